import Testing

@testable import LLMBatcher

private let tpmMessage = "Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, "
    + "Used 29892, Requested 1043. Please try again in 1.87s. Visit https://platform.openai.com/account/rate-limits "
    + "to learn more."
private let rpmMessage = "Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): "
    + "Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits "
    + "to learn more."
private let contextMessage = "This model's maximum context length is 128000 tokens. However, you requested 130500 "
    + "tokens (125500 in the messages, 5000 in the completion). Please reduce the length of the messages or completion."
private let olderContextMessage = "This model's maximum context length is 128000 tokens. However, your messages "
    + "resulted in 130000 tokens. Please reduce the length of the messages."

private func body(_ json: String) -> [UInt8] { Array(json.utf8) }

@Suite("Budget: OpenAI error bodies and messages")
struct BudgetErrorsTests {
    @Test("an OpenAI 429 body, pretty-printed as OpenAI sends it")
    func rateLimitBody() {
        let json = """
            {
                "error": {
                    "message": "\(tpmMessage)",
                    "type": "tokens",
                    "param": null,
                    "code": "rate_limit_exceeded"
                }
            }
            """
        let error = OpenAIError.parse(body(json))
        #expect(error == OpenAIError(message: tpmMessage, type: "tokens", param: nil, code: "rate_limit_exceeded"))
        #expect(error?.rateLimitKind == .tokens)
        #expect(error?.rateLimit == RateLimitDetails(kind: .tokens, limit: 30_000, used: 29_892, requested: 1_043,
                                                     retryIn: 1_870_000_000))
        #expect(error?.contextOverflow == nil)
        #expect(error?.isInsufficientQuota == false)
    }

    @Test("a context_length_exceeded body")
    func contextBody() {
        let json = #"{"error":{"message":"\#(contextMessage)","type":"invalid_request_error","param":"messages","#
            + #""code":"context_length_exceeded"}}"#
        let error = OpenAIError.parse(body(json))
        #expect(error?.code == "context_length_exceeded")
        #expect(error?.param == "messages")
        #expect(error?.contextOverflow == ContextOverflow(contextWindow: 128_000, requested: 130_500,
                                                          promptTokens: 125_500, completionTokens: 5_000))
        #expect(error?.rateLimitKind == nil)
    }

    @Test("odd but readable bodies: numeric code, vLLM's flat form, quota")
    func oddBodies() {
        #expect(OpenAIError.parse(body(#"{"error":{"message":"boom","code":500}}"#))
                    == OpenAIError(message: "boom", code: "500"))
        let flat = #"{"object":"error","message":"m","type":"BadRequestError","param":null,"code":400}"#
        #expect(OpenAIError.parse(body(flat)) == OpenAIError(message: "m", type: "BadRequestError", code: "400"))
        let quota = OpenAIError.parse(body(#"{"error":{"message":"You exceeded your current quota","#
            + #""type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#))
        #expect(quota?.isInsufficientQuota == true)
        #expect(quota?.rateLimitKind == nil)
    }

    @Test("bodies that are not an OpenAI error give nil", arguments: [
        "", "not json", "[]", "null", #"{"error":"too many requests"}"#, #"{"error":{"type":"x"}}"#,
        #"{"message":"no error key"}"#, #"{"error":{"message":42}}"#, "<html>502 Bad Gateway</html>",
        #"{"error":{"message":"cut"#,
    ])
    func notErrors(text: String) {
        #expect(OpenAIError.parse(body(text)) == nil)
    }

    @Test("the limit kind comes from type first, then from the message")
    func kinds() {
        #expect(RateLimitKind(type: "tokens", message: "") == .tokens)
        #expect(RateLimitKind(type: "requests", message: tpmMessage) == .requests)
        #expect(RateLimitKind(type: nil, message: rpmMessage) == .requests)
        #expect(RateLimitKind(type: "rate_limit_error", message: tpmMessage) == .tokens)
        #expect(RateLimitKind(type: nil, message: "… on tokens per day (TPD): Limit 90000 …") == .tokens)
        #expect(RateLimitKind(type: nil, message: "… on requests per day (RPD): Limit 200 …") == .requests)
        #expect(RateLimitKind(type: "server_error", message: "overloaded") == nil)
    }

    @Test("rate-limit messages and their variations")
    func rateLimitMessages() {
        #expect(RateLimitDetails.parse(message: rpmMessage)
                    == RateLimitDetails(kind: .requests, limit: 3, used: 3, requested: 1, retryIn: 20_000_000_000))
        let tooLarge = "Request too large for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, "
            + "Requested 30601. The input or output tokens must be reduced in order to run successfully."
        #expect(RateLimitDetails.parse(message: tooLarge)
                    == RateLimitDetails(kind: .tokens, limit: 30_000, requested: 30_601, requestTooLarge: true))
        let short = "… (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms."
        #expect(RateLimitDetails.parse(message: short)?.retryIn == 644_000_000)
        #expect(RateLimitDetails.parse(message: "… Please try again in 6m0s. Visit …")?.retryIn == 360_000_000_000)
        #expect(RateLimitDetails.parse(message: "… Please try again in 150ms.")?.retryIn == 150_000_000)
        #expect(RateLimitDetails.parse(message: "… Limit 1,000,000, Used 999,500, Requested 2,000.")
                    == RateLimitDetails(limit: 1_000_000, used: 999_500, requested: 2_000))
        #expect(RateLimitDetails.parse(message: "Requests to the ChatCompletions_Create Operation have exceeded "
                    + "call rate limit. Please retry after 20 seconds.")?.retryIn == 20_000_000_000)
        // Missing parts are nil.
        #expect(RateLimitDetails.parse(message: "Rate limit reached (TPM). Please try again in soon.") == nil)
        #expect(RateLimitDetails.parse(message: "Rate limit reached (TPM): Used 5. Please try again in soon.")
                    == RateLimitDetails(kind: .tokens, used: 5))
        #expect(RateLimitDetails.parse(message: "Rate limit reached (TPM): Limit 100.")
                    == RateLimitDetails(kind: .tokens, limit: 100))
        #expect(RateLimitDetails.parse(message: "Rate limit reached. Please slow down.") == nil)
        #expect(RateLimitDetails.parse(message: "") == nil)
    }

    @Test("context-length messages: OpenAI's current and older forms, and variations")
    func contextMessages() {
        #expect(ContextOverflow.parse(message: contextMessage)
                    == ContextOverflow(contextWindow: 128_000, requested: 130_500, promptTokens: 125_500,
                                       completionTokens: 5_000))
        #expect(ContextOverflow.parse(message: olderContextMessage)
                    == ContextOverflow(contextWindow: 128_000, requested: 130_000, promptTokens: 130_000))
        #expect(ContextOverflow.parse(message: "This model's maximum context length is 4097 tokens. However, your "
                    + "messages resulted in 4100 tokens (4000 in the messages, 100 in the functions). Please reduce "
                    + "the length of the messages or functions.")
                    == ContextOverflow(contextWindow: 4_097, requested: 4_100, promptTokens: 4_100))
        #expect(ContextOverflow.parse(message: "This model's maximum context length is 8192 tokens. However, you "
                    + "requested 9000 tokens in the messages, Please reduce the length of the messages.")
                    == ContextOverflow(contextWindow: 8_192, requested: 9_000, promptTokens: 9_000))
        #expect(ContextOverflow.parse(message: "'max_tokens' is too large: 5000. This model's maximum context length "
                    + "is 8192 tokens and your request has 4000 input tokens (5000 > 8192 - 4000).")
                    == ContextOverflow(contextWindow: 8_192, requested: 9_000, promptTokens: 4_000,
                                       completionTokens: 5_000))
        #expect(ContextOverflow.parse(message: "This model's maximum context length is 128000 tokens. However, you "
                    + "requested 130500 tokens. Please reduce the length of the messages or completion.")
                    == ContextOverflow(contextWindow: 128_000, requested: 130_500))
        // Without the window or the size there is nothing to recompute from.
        #expect(ContextOverflow.parse(message: "This model's maximum context length is 128000 tokens.") == nil)
        #expect(ContextOverflow.parse(message: "However, you requested 130500 tokens.") == nil)
        #expect(ContextOverflow.parse(message: "Your input exceeds the context window of this model.") == nil)
        #expect(ContextOverflow.parse(message: tpmMessage) == nil)
    }
}
