import Loop
import Testing

@testable import LLMBatcher

/// The reply policy, pure: an answer's status and error, and the attempt state, in; an action out.
@Suite("Reply policy")
struct ReplyPolicyTests {
    static func action(_ status: Int, _ error: OpenAIError? = nil, retryAfter: UInt64? = nil, group: Int = 1,
                       format: OpenAIClient.ResponseFormat = .jsonSchema) -> ReplyPolicy.Action {
        ReplyPolicy.action(status: status, error: error, retryAfter: retryAfter, groupSize: group, sentFormat: format)
    }

    static let overflow = OpenAIError(
        message: "This model's maximum context length is 3000 tokens. However, you requested 5200 tokens "
            + "(4800 in the messages, 400 in the completion). Please reduce the length of the messages or completion.",
        type: "invalid_request_error", param: "messages", code: "context_length_exceeded")

    @Test("a 200 is read")
    func accept() {
        #expect(Self.action(200) == .accept)
    }

    @Test("a 429 waits for Retry-After, else the message's hint, else a second; the kind comes from the error")
    func rateLimited() {
        let tokens = OpenAIError(message: "Rate limit reached on tokens per min (TPM): Limit 30000, Used 29892, "
                                     + "Requested 1043. Please try again in 1.87s.", type: "tokens")
        #expect(Self.action(429, tokens, retryAfter: 2_000_000_000) == .rateLimited(kind: .tokens, wait: 2_000_000_000))
        #expect(Self.action(429, tokens) == .rateLimited(kind: .tokens, wait: 1_870_000_000))
        let requests = OpenAIError(message: "Rate limit reached on requests per min (RPM).", type: "requests")
        #expect(Self.action(429, requests) == .rateLimited(kind: .requests, wait: 1_000_000_000))
        #expect(Self.action(429) == .rateLimited(kind: .tokens, wait: 1_000_000_000))
    }

    @Test("out of credit and a refused key make documents wait for an operator, never fail")
    func waitForOperator() {
        let quota = OpenAIError(message: "You exceeded your current quota.", type: "insufficient_quota")
        #expect(Self.action(429, quota) ==
                    .waitForOperator(reason: "insufficient_quota: You exceeded your current quota."))
        #expect(Self.action(401, OpenAIError(message: "Incorrect API key provided")) ==
                    .waitForOperator(reason: "Incorrect API key provided"))
        #expect(Self.action(403, group: 5) == .waitForOperator(reason: "HTTP 403"))
    }

    @Test("over the context window: a group is bisected, one document compacted; the server's prompt count is passed on")
    func contextLength() {
        #expect(Self.action(400, Self.overflow, group: 3) == .bisect(contextOverflow: true, countedPromptTokens: 4800))
        #expect(Self.action(400, Self.overflow) == .compactAndRetry(countedPromptTokens: 4800))
    }

    @Test("structured outputs refused: JSON mode, but only when they were asked for")
    func responseFormat() {
        let refusal = OpenAIError(message: "Invalid parameter: 'response_format' of type 'json_schema' is not supported.",
                                  param: "response_format")
        #expect(Self.action(400, refusal, group: 4) == .switchToJSONObject)
        #expect(Self.action(400, refusal, format: .jsonObject) ==
                    .fail(.requestRejected, detail: "the endpoint refused the request (400): " + refusal.message))
    }

    @Test("another 4xx bisects a group and fails a single document with llm_request_rejected")
    func rejected() {
        #expect(Self.action(404, group: 2) == .bisect(contextOverflow: false, countedPromptTokens: nil))
        #expect(Self.action(422) ==
                    .fail(.requestRejected, detail: "the endpoint refused the request (422): no error body"))
    }

    @Test("a 5xx (and anything unexpected) is retried after a backoff")
    func serverErrors() {
        #expect(Self.action(503, OpenAIError(message: "overloaded")) ==
                    .retryAfterBackoff(reason: "HTTP 503: overloaded"))
        #expect(Self.action(302) == .retryAfterBackoff(reason: "HTTP 302: no error body"))
    }

    @Test("an invalid answer: bisect a group; a cut-off answer gets more output (up to 4×); then one repair; then fail")
    func invalidAnswers() {
        var configuration = LLMConfiguration()
        configuration.outputTokensPerResume = 1_000
        configuration.maxTokens = 16_000
        var job = JobState(job: ParseJob(id: "a", tenant: "t", contentSHA256: nil, text: "x"), submitted: 0)
        func decide(truncated: Bool, group: Int = 1) -> ReplyPolicy.InvalidAnswerAction {
            ReplyPolicy.invalidAnswer(truncated: truncated, groupSize: group, job: job, configuration: configuration,
                                      reason: "not JSON")
        }
        #expect(decide(truncated: true, group: 2) == .bisect)
        #expect(decide(truncated: true) == .retryWithMoreOutput)
        job.outputBoost = 4
        #expect(decide(truncated: true) == .repair(reason: "not JSON"), "boosted enough")
        job.outputBoost = 1
        configuration.maxTokens = 1_000
        #expect(decide(truncated: true) == .repair(reason: "not JSON"), "no room for more output")
        #expect(decide(truncated: false) == .repair(reason: "not JSON"))
        job.repaired = true
        #expect(decide(truncated: false) ==
                    .fail(.invalidOutput, detail: "the model's answer stayed invalid after a retry: not JSON"))
    }

    @Test("transient failures count only while the endpoint answers others; the ninth fails")
    func transientAttempts() {
        #expect(ReplyPolicy.afterTransientFailure(attempts: 0, endpointWasAnswering: true) == (1, false))
        #expect(ReplyPolicy.afterTransientFailure(attempts: 8, endpointWasAnswering: true) == (9, true))
        #expect(ReplyPolicy.afterTransientFailure(attempts: 8, endpointWasAnswering: false) == (8, false))
        let backoff = Backoff()
        #expect(ReplyPolicy.backoffDelay(backoff, attempt: 0, random: 0.5) == 250_000_000, "attempt 1: under 500 ms")
        #expect(ReplyPolicy.backoffDelay(backoff, attempt: 3, random: 0.5) == 1_000_000_000)
        #expect(ReplyPolicy.backoffDelay(backoff, attempt: 6, random: 0.5) == 30_000_000_000,
                "past the backoff's attempts")
    }

    @Test("an unanswered Batch API line counts an attempt and fails at its limit")
    func batchLines() {
        #expect(ReplyPolicy.afterUnansweredBatchLine(attempts: 0, limit: 3) == (1, false))
        #expect(ReplyPolicy.afterUnansweredBatchLine(attempts: 2, limit: 3) == (3, true))
        #expect(ReplyPolicy.afterUnansweredBatchLine(attempts: 1_000, limit: .max) == (1_001, false))
    }
}
