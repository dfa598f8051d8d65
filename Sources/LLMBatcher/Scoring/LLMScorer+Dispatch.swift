import ResumeModel
import Loop

/// Sending and answers: the ``ScoringDispatch``'s actions and the ``ReplyPolicy``'s, run.
extension LLMScorer {
    static let schema = OpenAIClient.AnswerSchema(name: ScoringPrompt.schemaName, json: ScoringPrompt.answerSchemaJSON)

    /// Sends what may go now, and arms the timer for what must wait.
    func pump() {
        guard !closed else { return }
        let now = clock.monotonicNanoseconds()
        while true {
            switch dispatch.next(now: now) {
            case .send(let request):
                launch(request)
            case .armTimer(let time):
                wake(at: time)
                return
            case .idle:
                return
            }
        }
    }

    /// Arms the one wake-up timer for `time`, unless it is already armed for earlier.
    func wake(at time: UInt64) {
        let now = clock.monotonicNanoseconds()
        guard time < wakeAt || wakeAt <= now else { return }
        wakeAt = time
        let delay = time > now ? (time - now + 999_999) / 1_000_000 : 0
        wakeTimer.schedule(after: delay) { [unowned self] in
            wakeAt = .max
            pump()
        }
    }

    private func launch(_ request: ScoringDispatch.Request) {
        counters.requests += 1
        if request.task.invalidAnswer != nil { counters.repairs += 1 }
        let messages = request.task.messages
        let sentAt = clock.monotonicNanoseconds()
        EventLoop.spawn { [self] in
            let outcome: Result<OpenAIClient.Reply, HTTPClientError>
            do {
                outcome = .success(try await client.complete(messages: messages, maxTokens: request.maxTokens,
                                                             format: request.format, schema: Self.schema))
            } catch let error as HTTPClientError {
                outcome = .failure(error)
            } catch {
                outcome = .failure(HTTPClientError(kind: .other, message: "\(error)"))
            }
            await finished(request, outcome, sentAt: sentAt)
        }
    }

    private func finished(_ request: ScoringDispatch.Request, _ outcome: Result<OpenAIClient.Reply, HTTPClientError>,
                          sentAt: UInt64) {
        dispatch.requestEnded()
        let now = clock.monotonicNanoseconds()
        defer { pump() }
        if case .success(let reply) = outcome, reply.status == 200 {
            dispatch.firstRequestEnded(jobID: request.task.jobID, cached: true)
        } else {
            dispatch.firstRequestEnded(jobID: request.task.jobID, cached: false)
        }
        switch outcome {
        case .failure(let error):
            counters.transportErrors += 1
            dispatch.transportFailed(reservation: request.reservation, reachedServer: error.kind != .connect,
                                     promptCharacters: request.promptCharacters, now: now)
            retryLater(request.task, now: now, reason: error.description)
        case .success(let reply):
            dispatch.observe(reply.rateLimits, reservation: request.reservation, now: now)
            handle(request, reply, sentAt: sentAt, now: now)
        }
    }

    private func handle(_ request: ScoringDispatch.Request, _ reply: OpenAIClient.Reply, sentAt: UInt64,
                        now: UInt64) {
        var task = request.task
        let action = ReplyPolicy.action(status: reply.status, error: reply.error,
                                        retryAfter: reply.rateLimits.retryAfter, groupSize: 1,
                                        sentFormat: request.format)
        if action != .accept { dispatch.release(request.reservation, now: now) }
        switch action {
        case .accept:
            if let reason = unauthorized {
                logger.warning("LLM endpoint accepts scoring requests again", metadata: ["was": "\(reason)"])
                unauthorized = nil
            }
            let prompt = reply.promptTokens ?? dispatch.estimator.estimate(characters: request.promptCharacters)
            let completion = reply.completionTokens ?? 0
            // As the parser: OpenAI's limiter (and llm-sim's) keeps prompt + max_tokens once admitted.
            var charged = configuration.rateLimitCountsActualUsage ? prompt + completion : prompt + request.maxTokens
            if reply.rateLimits.remainingTokens != nil { charged = min(charged, request.reservedTokens) }
            dispatch.succeeded(reservation: request.reservation, promptCharacters: request.promptCharacters,
                               promptTokens: reply.promptTokens, charged: charged, now: now)
            counters.promptTokens += prompt
            counters.completionTokens += completion
            counters.cachedTokens += reply.cachedTokens ?? 0
            task.promptTokens += prompt
            task.completionTokens += completion
            task.cachedTokens += reply.cachedTokens ?? 0
            answered(task, reply, maxTokens: request.maxTokens)
        case .waitForOperator(let reason):
            if unauthorized == nil {
                logger.warning("LLM endpoint refuses this key, account or model; candidates wait for an operator",
                               metadata: ["reason": "\(reason)"])
            }
            unauthorized = reason
            dispatch.waitForOperator(now: now)
            requeue(task)
        case .rateLimited(let kind, let wait):
            counters.rateLimited += 1
            dispatch.rateLimited(reservation: request.reservation, kind: kind, wait: wait, headers: reply.rateLimits,
                                 sentAt: sentAt, now: now)
            requeue(task)
        case .compactAndRetry(let counted), .learnWindowAndResend(let counted),
             .bisect(contextOverflow: true, let counted):
            counters.contextOverflows += 1
            if let window = reply.error?.contextOverflow?.contextWindow, window < contextWindow {
                contextWindow = window
            }
            if let counted { dispatch.estimator.observeOverflow(characters: request.promptCharacters,
                                                                promptTokens: counted) }
            task.overflows += 1
            if ReplyPolicy.compactionExhausted(overflows: task.overflows, preparedCharacters: task.prepared.utf8.count,
                                               floor: Packer.floorCharacters) {
                finish(task, .failed(code: ScoringFailure.contextExceeded,
                                     detail: "the prompt stayed over the endpoint's context window after "
                                        + "\(task.overflows) compactions (\(task.prepared.utf8.count) of "
                                        + "\(task.text.utf8.count) characters sent)"))
                return
            }
            task.shrink *= 0.8
            task.compactionLevel = min(3, task.compactionLevel + 1)
            if wanted(task) { enqueue(task, first: true) }
        case .switchToJSONObject:
            logger.notice("endpoint refuses json_schema response_format; scoring uses json_object")
            dispatch.format = .jsonObject
            requeue(task)
        case .fail(let code, let detail):
            finish(task, .failed(code: code.rawValue, detail: detail))
        case .bisect:
            // A group of one is never bisected; a 4xx for it is a refusal.
            finish(task, .failed(code: ScoringFailure.requestRejected,
                                 detail: "the endpoint refused the request (\(reply.status))"))
        case .retryAfterBackoff(let reason):
            counters.serverErrors += 1
            dispatch.transientFailure(now: now)
            retryLater(task, now: now, reason: reason)
        }
    }

    /// A `200`: the answer validated and its evidence checked, or one repair turn, or `llm_invalid_output`.
    private func answered(_ task: ScoringTask, _ reply: OpenAIClient.Reply, maxTokens: Int) {
        if reply.finishReason == "length" && task.outputBoost < 4 && maxTokens < configuration.maxTokens {
            // Cut off: the same request again with room to finish (the answer was not wrong, only long).
            counters.truncated += 1
            var again = task
            again.outputBoost *= 2
            requeue(again)
            return
        }
        let answer: ScoringPrompt.Answer
        do throws(ScoringPrompt.InvalidAnswer) {
            guard reply.finishReason != "length" else {
                throw ScoringPrompt.InvalidAnswer(message: "the answer was cut off at max_tokens")
            }
            answer = try ScoringPrompt.decodeAnswer(reply.content ?? "")
        } catch {
            counters.invalidAnswers += 1
            guard !task.repaired else {
                finish(task, .failed(code: ScoringFailure.invalidOutput,
                                     detail: "the model's answer stayed invalid after a repair turn: \(error.message)"))
                return
            }
            var again = task
            again.repaired = true
            again.invalidAnswer = (reply.content ?? "", error.message)
            requeue(again)
            return
        }
        if let completion = reply.completionTokens { dispatch.observeAnswer(completionTokens: completion) }
        let (score, evidence) = ScoringPrompt.score(answer, text: task.text)
        counters.evidence += evidence
        let usage = ScoringUsage(promptTokens: task.promptTokens, completionTokens: task.completionTokens,
                                 cachedTokens: task.cachedTokens, model: configuration.model)
        finish(task, .scored(score, usage: usage, evidence: evidence))
    }

    /// Puts a task back first in line (unless its job was cancelled meanwhile).
    private func requeue(_ task: ScoringTask) {
        guard wanted(task) else { return }
        dispatch.enqueue(task, first: true)
    }

    /// A 5xx, a timeout or a dropped connection: the task goes again after the backoff (capped; it never fails
    /// for this — while the endpoint is down, the breaker paces the probes).
    private func retryLater(_ task: ScoringTask, now: UInt64, reason: String) {
        var task = task
        task.attempts += 1
        let delay = ReplyPolicy.backoffDelay(backoff, attempt: task.attempts,
                                             random: Double.random(in: 0..<1, using: &random))
        dispatch.postpone(until: now + delay)
        requeue(task)
        logger.debug("LLM scoring request failed; retrying", metadata: [
            "reason": "\(reason)", "delay_ms": "\(delay / 1_000_000)"])
    }
}
