import Loop

/// What to do with an answer: every decision of the answer path in pure functions, as the Sink's
/// `FlushPlanner` does for its failures. The batcher runs the action (settles the budget, requeues, bisects,
/// compacts, fails); nothing here does I/O or reads a clock, and randomness is passed in.
enum ReplyPolicy {
    /// The action for an answer from the endpoint.
    enum Action: Sendable, Equatable {
        /// `200`: read the answers (which ``invalidAnswer(truncated:groupSize:job:configuration:reason:)`` may
        /// still send back).
        case accept
        /// The key or the account is refused (`401`, `403`, `insufficient_quota`): documents wait for an
        /// operator, the breaker paces the probes, and `/startup-status` shows `reason`.
        case waitForOperator(reason: String)
        /// `429`: resend after `wait` (the server's `Retry-After` or its message's hint, else a second); the
        /// budget's bucket of `kind` is emptied for that long.
        case rateLimited(kind: RateLimitKind, wait: UInt64)
        /// A probe of an unknown context window overflowed it with its own `max_tokens` (the whole window it was
        /// configured with) and the error states the window: learn it and resend the group as it is.
        case learnWindowAndResend(countedPromptTokens: Int?)
        /// The prompt is over the context window (`context_length_exceeded`) and the group holds one document:
        /// compact it harder and resend. `countedPromptTokens` is the endpoint's count of the prompt, when it
        /// said.
        case compactAndRetry(countedPromptTokens: Int?)
        /// A group of several documents failed as a whole (over the context window, refused, or an invalid
        /// answer): resend each half on its own.
        case bisect(contextOverflow: Bool, countedPromptTokens: Int?)
        /// The endpoint does not take structured outputs: JSON mode from now on, and resend.
        case switchToJSONObject
        /// A transient failure (5xx): resend after a backoff.
        case retryAfterBackoff(reason: String)
        /// Give the documents up with this code.
        case fail(ParsedDocument.FailureCode, detail: String)
    }

    /// The action for an answer with HTTP `status` and error `error` to a request for `groupSize` documents sent
    /// with `format` (`probe`: the request probed the context window).
    static func action(status: Int, error: OpenAIError?, retryAfter: UInt64?, groupSize: Int,
                       sentFormat: OpenAIClient.ResponseFormat, probe: Bool = false) -> Action {
        switch status {
        case 200:
            return .accept
        case 429 where error?.isInsufficientQuota == true:
            // Out of credit: waiting for the limit would not help; documents wait for an operator.
            return .waitForOperator(reason: "insufficient_quota: " + (error?.message ?? ""))
        case 429:
            return .rateLimited(kind: error?.rateLimitKind ?? .tokens,
                                wait: retryAfter ?? error?.rateLimit?.retryIn ?? 1_000_000_000)
        case 400 where error?.code == "context_length_exceeded" && probe && error?.contextOverflow != nil:
            return .learnWindowAndResend(countedPromptTokens: error?.contextOverflow?.promptTokens)
        case 400 where error?.code == "context_length_exceeded":
            let counted = error?.contextOverflow?.promptTokens
            return groupSize > 1 ? .bisect(contextOverflow: true, countedPromptTokens: counted)
                : .compactAndRetry(countedPromptTokens: counted)
        case 400 where sentFormat == .jsonSchema && (error?.param == "response_format"
                                                    || (error?.message.contains("response_format") ?? false)):
            return .switchToJSONObject
        case 401, 403:
            return .waitForOperator(reason: error?.message ?? "HTTP \(status)")
        case 404 where error?.code == "model_not_found":
            // OPENAI_MODEL names a model this key cannot use: every request would be refused alike, so
            // documents wait for an operator instead of each failing (and each being billed a request).
            return .waitForOperator(reason: "model_not_found: " + (error?.message ?? ""))
        case 400..<500:
            if groupSize > 1 { return .bisect(contextOverflow: false, countedPromptTokens: nil) }
            return .fail(.requestRejected, detail: "the endpoint refused the request (\(status)): "
                            + (error?.message ?? "no error body"))
        default:
            return .retryAfterBackoff(reason: "HTTP \(status): \(error?.message ?? "no error body")")
        }
    }

    /// The action for an answer that came back `200` but is not what was asked for.
    enum InvalidAnswerAction: Sendable, Equatable {
        /// Resend each half of the group on its own.
        case bisect
        /// Resend the one document asking for more completion tokens (its answer was cut off at `max_tokens`).
        case retryWithMoreOutput
        /// Resend the one document once more, noting why its answer was invalid.
        case repair(reason: String)
        /// Give the document up with this code.
        case fail(ParsedDocument.FailureCode, detail: String)
    }

    /// The action for a `200` whose content is not the answer expected (not JSON, wrong ids, cut off): a group is
    /// bisected; one document cut off at `max_tokens` asks for more (up to four times the usual, within
    /// `OPENAI_MAX_TOKENS`); otherwise it is repaired once, then fails with `llm_invalid_output`.
    static func invalidAnswer(truncated: Bool, groupSize: Int, job: JobState, configuration: LLMConfiguration,
                              reason: String) -> InvalidAnswerAction {
        if groupSize > 1 { return .bisect }
        if truncated && job.outputBoost < 4 && job.maxTokens(configuration) < configuration.maxTokens {
            return .retryWithMoreOutput
        }
        if !job.repaired { return .repair(reason: reason) }
        return .fail(.invalidOutput, detail: "the model's answer stayed invalid after a retry: \(reason)")
    }

    /// Requests that may leave a resume out of their answer before it fails `llm_missing_answer`.
    static let missingAnswerLimit = 3

    /// A resume an answer left out: fail it (the limit reached), or send it again alone after `delay`
    /// nanoseconds — at once after its first omission from a group of several (the model may simply have lost
    /// count), after the backoff otherwise. `random` is uniform in `0..<1`.
    static func afterMissingAnswer(missing: Int, groupSize: Int, backoff: Backoff, random: Double)
        -> (fail: Bool, delay: UInt64)
    {
        if missing >= missingAnswerLimit { return (true, 0) }
        if missing == 1 && groupSize > 1 { return (false, 0) }
        return (false, backoffDelay(backoff, attempt: missing, random: random))
    }

    /// `context_length_exceeded` answers to requests carrying a resume alone before it fails
    /// `llm_context_exceeded`: the compactor's three levels, then one more with the budget cut again.
    static let overflowLimit = 4

    /// Whether a resume alone in a request that overflowed the window has been compacted as far as it goes:
    /// `overflows` such answers so far (this one included), `preparedCharacters` the text as sent, `floor` the
    /// least text the packer ever cuts to.
    static func compactionExhausted(overflows: Int, preparedCharacters: Int, floor: Int) -> Bool {
        overflows >= overflowLimit || preparedCharacters <= floor
    }

    /// A job's fate after a transient failure: its attempts (counted only while the endpoint answered others),
    /// and whether it has had enough (more than eight).
    static func afterTransientFailure(attempts: Int, endpointWasAnswering: Bool) -> (attempts: Int, fail: Bool) {
        let counted = endpointWasAnswering ? attempts + 1 : attempts
        return (counted, counted > 8)
    }

    /// How long the group waits after a transient failure, given the most attempts among its jobs and `random`
    /// uniform in `0..<1`: the backoff's delay, or its cap once the backoff has run out of attempts.
    static func backoffDelay(_ backoff: Backoff, attempt: Int, random: Double) -> UInt64 {
        backoff.delay(attempt: max(1, attempt), random: random) ?? 30_000_000_000
    }

    /// A Batch API request that was not answered (the batch failed, expired, or skipped it): its attempts, and
    /// whether it fails now (`limit` attempts reached).
    static func afterUnansweredBatchLine(attempts: Int, limit: Int) -> (attempts: Int, fail: Bool) {
        (attempts + 1, attempts + 1 >= limit)
    }
}
