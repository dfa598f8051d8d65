import HTTP1
import ResumeModel
import Loop

/// OpenAI's error answers, word for word, as `llm-sim` sends them.
///
/// The texts were checked against answers quoted in public issue threads (search corpus "issues", 2023–2026):
/// - TPM: "Rate limit reached for gpt-4o in organization org-… on tokens per min (TPM): Limit 30000, Used 29937,
///   Requested 385. Please try again in 644ms." (BuilderIO/micro-agent#86) and the same with "Visit
///   https://platform.openai.com/account/rate-limits to learn more." plus `'type': 'tokens', 'param': None,
///   'code': 'rate_limit_exceeded'` (FoundationAgents/MetaGPT#523, openai/codex#88).
/// - RPM: "Rate limit reached for gpt-4o-mini in organization org-… on requests per min (RPM): Limit 3, Used 3,
///   Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn
///   more." with `"type": "requests"` (an OpenAI answer pasted in a public Dart client).
/// - Too large: "Request too large for gpt-4o in organization org-… on tokens per min (TPM): Limit 30000,
///   Requested 30601. The input or output tokens must be reduced in order to run successfully. Visit …"
///   (DrShushen/climb#13, TheR1D/shell_gpt#653).
/// - Context: "This model's maximum context length is 4097 tokens. However, you requested 4203 tokens (3703 in
///   the messages, 500 in the completion). Please reduce the length of the messages or completion."
///   (The-Vibe-Company/quivr#505, conghaonet/hao_chatgpt#4); `'type': 'invalid_request_error', 'param':
///   'messages', 'code': 'context_length_exceeded'` (bytedance/deer-flow#310), whose "your messages resulted in
///   N tokens" form is the one without a completion budget (webtimemachine/wtm2#579).
/// - 401: "Incorrect API key provided: sk-PMafP***…E873. You can find your API key at
///   https://platform.openai.com/account/api-keys." with `'type': 'invalid_request_error', 'param': None,
///   'code': 'invalid_api_key'` (popjane/free_chatgpt_api#3, chatanywhere/GPT_API_free#427).
/// - 500/503: "The server had an error while processing your request. Sorry about that!" and "That model is
///   currently overloaded with other requests. …", `"type": "server_error", "param": null, "code": null`
///   (LlmKira/Openaibot#125, ikechan8370/chatgpt-plugin#125).
/// - Layout: OpenAI pretty-prints error bodies with four-space indents, keys in the order message, type,
///   param, code (bodies quoted verbatim in several public repositories).
enum SimulatorErrorBodies {
    static let rateLimitsURL = "https://platform.openai.com/account/rate-limits"

    /// `{"error": {"message", "type", "param", "code"}}` in OpenAI's layout.
    static func body(message: String, type: String, param: String?, code: String?) -> [UInt8] {
        func value(_ text: String?) -> [UInt8] {
            guard let text else { return Array("null".utf8) }
            var out: [UInt8] = []
            JSONText.appendString(text, to: &out)
            return out
        }
        var out = Array("{\n    \"error\": {\n        \"message\": ".utf8)
        out += value(message)
        out += Array(",\n        \"type\": ".utf8) + value(type)
        out += Array(",\n        \"param\": ".utf8) + value(param)
        out += Array(",\n        \"code\": ".utf8) + value(code)
        out += Array("\n    }\n}\n".utf8)
        return out
    }

    static func response(_ status: Int, message: String, type: String = "invalid_request_error", param: String? = nil,
                         code: String? = nil, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        .json(status, body(message: message, type: type, param: param, code: code), headers: headers)
    }

    /// How OpenAI shows a wrong key: the first 8 and last 4 characters, stars between; short keys in full.
    static func masked(_ key: String) -> String {
        guard key.count > 12 else { return key }
        return String(key.prefix(8)) + String(repeating: "*", count: key.count - 12) + String(key.suffix(4))
    }

    static func invalidAPIKey(_ key: String) -> HTTPResponse {
        response(401, message: "Incorrect API key provided: \(masked(key)). You can find your API key at "
                     + "https://platform.openai.com/account/api-keys.", code: "invalid_api_key")
    }

    static func missingAPIKey() -> HTTPResponse {
        response(401, message: "You didn't provide an API key. You need to provide your API key in an Authorization "
                     + "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field "
                     + "(with blank username) if you're accessing the API from your browser and are prompted for a "
                     + "username and password. You can obtain an API key from "
                     + "https://platform.openai.com/account/api-keys.")
    }

    static func tokensPerMinute(model: String, organization: String, limit: Int, used: Int, requested: Int,
                                retryMilliseconds: Int) -> [UInt8] {
        body(message: "Rate limit reached for \(model) in organization \(organization) on tokens per min (TPM): "
                 + "Limit \(limit), Used \(used), Requested \(requested). Please try again in "
                 + "\(SimulatorDurationText.format(milliseconds: retryMilliseconds)). Visit \(rateLimitsURL) to learn "
                 + "more.",
             type: "tokens", param: nil, code: "rate_limit_exceeded")
    }

    static func requestsPerMinute(model: String, organization: String, limit: Int, used: Int,
                                  retryMilliseconds: Int) -> [UInt8] {
        body(message: "Rate limit reached for \(model) in organization \(organization) on requests per min (RPM): "
                 + "Limit \(limit), Used \(used), Requested 1. Please try again in "
                 + "\(SimulatorDurationText.format(milliseconds: retryMilliseconds)). Visit \(rateLimitsURL) to learn "
                 + "more.",
             type: "requests", param: nil, code: "rate_limit_exceeded")
    }

    static func requestTooLarge(model: String, organization: String, limit: Int, requested: Int) -> [UInt8] {
        body(message: "Request too large for \(model) in organization \(organization) on tokens per min (TPM): "
                 + "Limit \(limit), Requested \(requested). The input or output tokens must be reduced in order to "
                 + "run successfully. Visit \(rateLimitsURL) to learn more.",
             type: "tokens", param: nil, code: "rate_limit_exceeded")
    }

    static func contextLengthExceeded(window: Int, prompt: Int, completion: Int?) -> [UInt8] {
        let message: String
        if let completion {
            message = "This model's maximum context length is \(window) tokens. However, you requested "
                + "\(prompt + completion) tokens (\(prompt) in the messages, \(completion) in the completion). "
                + "Please reduce the length of the messages or completion."
        } else {
            message = "This model's maximum context length is \(window) tokens. However, your messages resulted in "
                + "\(prompt) tokens. Please reduce the length of the messages."
        }
        return body(message: message, type: "invalid_request_error", param: "messages", code: "context_length_exceeded")
    }

    static let unparsableBody = "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
        + "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid "
        + "JSON. If you have trouble figuring out how to fix this, please contact us through our help center at "
        + "help.openai.com.)"

    static func modelNotFound(_ model: String) -> [UInt8] {
        body(message: "The model `\(model)` does not exist or you do not have access to it.",
             type: "invalid_request_error", param: nil, code: "model_not_found")
    }

    static func serverError(requestID: String) -> [UInt8] {
        body(message: "The server had an error while processing your request. Sorry about that!",
             type: "server_error", param: nil, code: nil)
    }

    static func overloaded(requestID: String) -> [UInt8] {
        body(message: "That model is currently overloaded with other requests. You can retry your request, or contact "
                 + "us through our help center at help.openai.com if the error persists. (Please include the request "
                 + "ID \(requestID) in your message.)",
             type: "server_error", param: nil, code: nil)
    }

    static func invalidURL(method: String, path: String) -> HTTPResponse {
        response(404, message: "Invalid URL (\(method) \(path))")
    }
}
