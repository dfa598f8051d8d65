import Loop
import HTTP1
import ResumeModel
import Foundation

/// What `llm-sim` reads from a `POST /v1/chat/completions` body.
struct SimulatorChatRequest {
    /// One message's role and text (text parts of array contents joined).
    struct Message {
        var role: String
        var content: String
    }

    /// `response_format`.
    enum ResponseFormat: Equatable {
        case text
        case jsonObject
        /// `json_schema`: the schema object (as JSON text, for token counting) and whether it is strict.
        case jsonSchema(schema: [String: Any], text: String, strict: Bool)

        static func == (a: ResponseFormat, b: ResponseFormat) -> Bool {
            switch (a, b) {
            case (.text, .text), (.jsonObject, .jsonObject): true
            case (.jsonSchema(_, let x, let s), .jsonSchema(_, let y, let t)): x == y && s == t
            default: false
            }
        }
    }

    var model: String
    var messages: [Message]
    /// `max_completion_tokens`, else `max_tokens`; nil when neither was sent.
    var maxTokens: Int?
    var temperature: Double?
    var responseFormat: ResponseFormat

    /// A request the simulator refuses with `400`: OpenAI's message, param and code.
    struct Invalid: Error {
        var message: String
        var param: String?
        var code: String?
    }

    /// Parses `body`.
    static func parse(_ body: [UInt8]) throws(Invalid) -> SimulatorChatRequest {
        guard let root = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw Invalid(message: SimulatorErrorBodies.unparsableBody, param: nil, code: nil)
        }
        guard let model = root["model"] as? String else {
            throw Invalid(message: "you must provide a model parameter", param: nil, code: nil)
        }
        guard let rawMessages = root["messages"] as? [Any] else {
            throw Invalid(message: "Missing required parameter: 'messages'.", param: "messages",
                          code: "missing_required_parameter")
        }
        guard !rawMessages.isEmpty else {
            throw Invalid(message: "Invalid 'messages': empty array. Expected an array with minimum length 1, but got "
                              + "an empty array instead.", param: "messages", code: "empty_array")
        }
        var messages: [Message] = []
        for (index, raw) in rawMessages.enumerated() {
            guard let m = raw as? [String: Any], let role = m["role"] as? String else {
                throw Invalid(message: "Missing required parameter: 'messages[\(index)].role'.",
                              param: "messages[\(index)].role", code: "missing_required_parameter")
            }
            var text = ""
            if let content = m["content"] as? String {
                text = content
            } else if let parts = m["content"] as? [Any] {
                text = parts.compactMap { ($0 as? [String: Any])?["text"] as? String }.joined(separator: "\n")
            }
            messages.append(Message(role: role, content: text))
        }
        var maxTokens: Int?
        for key in ["max_completion_tokens", "max_tokens"] where maxTokens == nil {
            guard let value = root[key], !(value is NSNull) else { continue }
            guard let number = value as? NSNumber, let int = Int(exactly: number.doubleValue) else {
                throw Invalid(message: "Invalid type for '\(key)': expected an integer, but got a decimal number "
                                  + "instead.", param: key, code: "invalid_type")
            }
            guard int >= 1 else {
                throw Invalid(message: "Invalid '\(key)': integer below minimum value. Expected a value >= 1, but got "
                                  + "\(int) instead.", param: key, code: "integer_below_min_value")
            }
            maxTokens = int
        }
        var format = ResponseFormat.text
        if let rf = root["response_format"] as? [String: Any] {
            switch rf["type"] as? String {
            case "text", nil:
                format = .text
            case "json_object":
                format = .jsonObject
            case "json_schema":
                guard let spec = rf["json_schema"] as? [String: Any] else {
                    throw Invalid(message: "Missing required parameter: 'response_format.json_schema'.",
                                  param: "response_format.json_schema", code: "missing_required_parameter")
                }
                guard spec["name"] is String else {
                    throw Invalid(message: "Missing required parameter: 'response_format.json_schema.name'.",
                                  param: "response_format.json_schema.name", code: "missing_required_parameter")
                }
                let schema = spec["schema"] as? [String: Any] ?? [:]
                let data = (try? JSONSerialization.data(withJSONObject: schema, options: [.sortedKeys])) ?? Data()
                format = .jsonSchema(schema: schema, text: String(decoding: data, as: UTF8.self),
                                     strict: spec["strict"] as? Bool ?? false)
            case let other?:
                throw Invalid(message: "Invalid value: '\(other)'. Supported values are: 'text', 'json_object', and "
                                  + "'json_schema'.", param: "response_format.type", code: "invalid_value")
            }
        }
        return SimulatorChatRequest(model: model, messages: messages, maxTokens: maxTokens,
                                    temperature: (root["temperature"] as? NSNumber)?.doubleValue,
                                    responseFormat: format)
    }

    /// The prompt as the model sees it, for counting and caching: the schema of a `json_schema` format
    /// first, then each message framed (4 tokens: boundaries and role), then 3 tokens priming the answer.
    ///
    /// Sources (see docs/llm-sim-fidelity.md):
    /// - Framing: OpenAI cookbook "How to count tokens with tiktoken", `num_tokens_from_messages`: for
    ///   `gpt-4o-mini-2024-07-18` `tokens_per_message = 3`, plus every value of the message encoded — the role
    ///   too, one token for system/user/assistant — plus 3 because "every reply is primed with
    ///   <|start|>assistant<|message|>" (the notebook checks 124 counted = 124 billed on gpt-4o-mini). Its 3 is
    ///   framing without the role; the 4 here is framing with the role, the same total.
    /// - Schema billed as input: OpenAI cookbook "Prompt Caching 201": "The entire request prefix is cacheable:
    ///   messages, images, audio, tool definitions, and structured output schemas", schemas being injected
    ///   before the instructions (hence first here). openai/openai-cookbook#2140 shows the schema in
    ///   `usage` and found it counted without its `required`/`additionalProperties` keywords plus 9 tokens
    ///   (Responses API): this count, the whole schema plus 4, is ~25 % higher on the engine's answer schema.
    ///   Not changed: one report, no documentation.
    func promptTokens() -> SimulatorPromptTokens {
        var tokens = SimulatorPromptTokens()
        if case .jsonSchema(_, let text, _) = responseFormat {
            tokens.appendMarker("schema", cost: 4)
            tokens.append(text)
        }
        for message in messages {
            tokens.appendMarker(message.role, cost: 4)
            tokens.append(message.content)
        }
        tokens.appendMarker("assistant", cost: 3)
        return tokens
    }

    /// The text of every message (what the json_object check and the extraction read).
    var userText: String {
        messages.filter { $0.role == "user" }.map(\.content).joined(separator: "\n")
    }

    /// The system (or developer) messages' text.
    var systemText: String {
        messages.filter { $0.role == "system" || $0.role == "developer" }.map(\.content).joined(separator: "\n")
    }
}
