import ResumeModel
import Loop

/// Answers: the ``ReplyPolicy``'s actions, run.
extension LLMBatcher {
    /// Acts on an answer: a direct call's (`reservation` set: the budgets settle) or a Batch API output line's
    /// (`reservation` nil: batches have no per-minute budget); `probe` when the request probed the context window.
    func handle(_ group: [JobState], _ reply: OpenAIClient.Reply, reservation: UInt64?, promptCharacters: Int,
                format sentFormat: OpenAIClient.ResponseFormat, sentAt: UInt64, maxTokensSent: Int,
                reservedTokens: Int, probe: Bool = false, now: UInt64) {
        let action = ReplyPolicy.action(status: reply.status, error: reply.error,
                                        retryAfter: reply.rateLimits.retryAfter, groupSize: group.count,
                                        sentFormat: sentFormat, probe: probe)
        if action != .accept { dispatch.release(reservation, now: now) }
        switch action {
        case .accept:
            if let reason = unauthorized {
                logger.warning("LLM endpoint accepts requests again; waiting documents are being sent",
                               metadata: ["was": "\(reason)"])
                unauthorized = nil
            }
            let prompt = reply.promptTokens ?? dispatch.packer.estimator.estimate(characters: promptCharacters)
            let completion = reply.completionTokens ?? 0
            // OpenAI's limiter (and llm-sim's) keeps prompt + max_tokens once admitted; refund the unused
            // completion only for endpoints known to count actual usage.
            var charged = configuration.rateLimitCountsActualUsage ? prompt + completion : prompt + maxTokensSent
            // When the answer carried the server's remaining tokens, `observe` has already taken any shortfall of
            // our reservation off the budget: charging it again here would make the budget drift below the
            // server's, a little with every under-estimated prompt.
            if reply.rateLimits.remainingTokens != nil { charged = min(charged, reservedTokens) }
            dispatch.succeeded(reservation: reservation, promptCharacters: promptCharacters,
                               promptTokens: reply.promptTokens, charged: charged, now: now)
            tally.promptTokens += prompt
            tally.completionTokens += completion
            tally.cachedTokens += reply.cachedTokens ?? 0
            answered(group, reply, promptTokens: prompt, completionTokens: completion, now: now)
        case .waitForOperator(let reason):
            // Documents wait for a working key, account or model; the breaker paces the probes.
            if unauthorized == nil {
                logger.warning("LLM endpoint refuses this key, account or model; documents wait for an operator",
                               metadata: ["reason": "\(reason)", "waiting": "\(held)"])
            }
            unauthorized = reason
            dispatch.waitForOperator(now: now)
            dispatch.retries.prepend(group)
        case .rateLimited(let kind, let wait):
            tally.rateLimited += 1
            dispatch.rateLimited(reservation: reservation, kind: kind, wait: wait, headers: reply.rateLimits,
                                 sentAt: sentAt, now: now)
            dispatch.retries.prepend(group)
        case .learnWindowAndResend(let counted):
            // The probe's own max_tokens overflowed the window the error states: the group goes again as it is
            // (sized to the window now), its text was not the problem.
            contextOverflowed(promptCharacters: promptCharacters, countedPromptTokens: counted,
                              window: reply.error?.contextOverflow?.contextWindow)
            dispatch.retries.prepend(group)
        case .compactAndRetry(let counted):
            contextOverflowed(promptCharacters: promptCharacters, countedPromptTokens: counted,
                              window: reply.error?.contextOverflow?.contextWindow)
            var job = group[0]
            job.overflows += 1
            if ReplyPolicy.compactionExhausted(overflows: job.overflows, preparedCharacters: job.preparedCount,
                                               floor: Packer.floorCharacters) {
                fail(job, .contextExceeded, "the prompt stayed over the endpoint's context window after "
                        + "\(job.overflows) compactions (\(job.preparedCount) of \(job.textCount) characters sent)")
                return
            }
            job.shrink *= 0.8
            job.compactionLevel = min(3, job.compactionLevel + 1)
            job.warnings.append("compacted after context_length_exceeded (level \(job.compactionLevel))")
            compactOffLoop(job) { [unowned self] compacted in
                dispatch.retries.prepend([compacted])
                pump()
            }
        case .bisect(let overflow, let counted):
            if overflow {
                contextOverflowed(promptCharacters: promptCharacters, countedPromptTokens: counted,
                                  window: reply.error?.contextOverflow?.contextWindow)
            }
            bisect(group)
        case .switchToJSONObject:
            logger.notice("endpoint refuses json_schema response_format; using json_object")
            dispatch.format = .jsonObject
            dispatch.retries.prepend(group)
        case .fail(let code, let detail):
            for job in group { fail(job, code, detail) }
        case .retryAfterBackoff(let reason):
            tally.serverErrors += 1
            transientFailure(group, now: now, reason: reason)
        }
    }

    func contextOverflowed(promptCharacters: Int, countedPromptTokens: Int?, window: Int?) {
        tally.contextOverflows += 1
        // The error states the model's window: every later request is sized to it (LLM_CONTEXT_WINDOW was
        // larger than what the endpoint serves).
        if let window {
            if dispatch.packer.learn(contextWindow: window) {
                logger.warning("context window learned from the endpoint", metadata: [
                    "tokens": "\(window)", "configured": "\(configuration.contextWindow)"])
            }
            dispatch.windowLearned()
        }
        // The endpoint counted our prompt exactly: learn the real ratio before recomputing budgets.
        if let counted = countedPromptTokens {
            dispatch.packer.estimator.observeOverflow(characters: promptCharacters, promptTokens: counted)
        }
    }

    private func answered(_ group: [JobState], _ reply: OpenAIClient.Reply, promptTokens: Int, completionTokens: Int,
                          now: UInt64) {
        let answers: [String: PromptFormat.Answer]
        do throws(PromptFormat.InvalidAnswer) {
            guard reply.finishReason != "length" else {
                throw PromptFormat.InvalidAnswer(message: "the answer was cut off at max_tokens")
            }
            answers = try PromptFormat.decodeAnswer(reply.content ?? "", documents: Self.texts(group))
        } catch {
            tally.invalidAnswers += 1
            invalid(group, reason: error.message, truncated: reply.finishReason == "length")
            return
        }
        if let completion = reply.completionTokens, !answers.isEmpty {
            dispatch.packer.observeAnswer(group.filter { answers[$0.job.id] != nil }, completionTokens: completion)
        }
        let totalChars = max(1, group.reduce(0) { $0 + $1.preparedCount })
        var missing: [JobState] = []
        for job in group {
            guard let answer = answers[job.job.id] else {
                missing.append(job)
                continue
            }
            // Tokens are shared out by text length, so per-document costs add up to the bill.
            let share = Double(job.preparedCount) / Double(totalChars)
            let doc = parsedDocument(job, answer, promptTokens: Int((Double(promptTokens) * share).rounded()),
                                     cachedTokens: Int((Double(reply.cachedTokens ?? 0) * share).rounded()),
                                     completionTokens: Int((Double(completionTokens) * share).rounded()))
            deliver(doc, job: job)
        }
        // A partial answer: what is missing goes again, on its own, a bounded number of times.
        for var job in missing {
            tally.missingAnswers += 1
            job.missingAnswers += 1
            let fate = ReplyPolicy.afterMissingAnswer(missing: job.missingAnswers, groupSize: group.count,
                                                      backoff: backoff,
                                                      random: Double.random(in: 0..<1, using: &random))
            if fate.fail {
                fail(job, .missingAnswer, "the model's answers left this resume out \(job.missingAnswers) times")
            } else {
                dispatch.retry([job], notBefore: configuration.batchAPI ? now : now + fate.delay)
            }
        }
    }

    /// The texts as sent, by id (answers name their lines).
    static func texts(_ group: [JobState]) -> [String: String] {
        Dictionary(group.map { ($0.job.id, $0.document.text) }, uniquingKeysWith: { first, _ in first })
    }

    private func invalid(_ group: [JobState], reason: String, truncated: Bool) {
        var job = group[0]
        switch ReplyPolicy.invalidAnswer(truncated: truncated, groupSize: group.count, job: job,
                                         configuration: configuration, reason: reason) {
        case .bisect:
            bisect(group)
        case .retryWithMoreOutput:
            job.outputBoost *= 2
            dispatch.retries.prepend([job])
        case .repair(let reason):
            job.repaired = true
            job.warnings.append("answer repaired: \(reason)")
            dispatch.retries.prepend([job])
        case .fail(let code, let detail):
            fail(job, code, detail)
        }
    }

    func bisect(_ group: [JobState]) {
        tally.bisections += 1
        let half = group.count / 2
        dispatch.retries.prepend(Array(group[half...]))
        dispatch.retries.prepend(Array(group[..<half]))
    }

    /// A 5xx, a timeout or a dropped connection: the group goes again after a backoff; jobs that have failed too
    /// often while the endpoint answered others fail with `llm_unavailable`.
    func transientFailure(_ group: [JobState], now: UInt64, reason: String) {
        let wasAnswering = dispatch.transientFailure(now: now)
        var again: [JobState] = []
        for var job in group {
            let fate = ReplyPolicy.afterTransientFailure(attempts: job.attempts, endpointWasAnswering: wasAnswering)
            job.attempts = fate.attempts
            if fate.fail {
                fail(job, .unavailable, "the endpoint failed this document \(job.attempts) times: \(reason)")
            } else {
                again.append(job)
            }
        }
        guard !again.isEmpty else { return }
        let delay = ReplyPolicy.backoffDelay(backoff, attempt: again.map(\.attempts).max() ?? 1,
                                             random: Double.random(in: 0..<1, using: &random))
        dispatch.postpone(until: now + delay)
        dispatch.retries.prepend(again)
        logger.debug("LLM request failed; retrying", metadata: ["reason": "\(reason)", "delay_ms": "\(delay / 1_000_000)"])
    }
}
