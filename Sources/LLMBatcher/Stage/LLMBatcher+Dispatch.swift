import ResumeModel
import Loop

/// Chat Completions mode: runs the ``DispatchMachine``'s actions (send, arm the timer, wait).
extension LLMBatcher {
    /// Sends what may go now, and arms the timer for what must wait.
    func pump() {
        if configuration.batchAPI {
            pumpBatches()
            return
        }
        let cpu = startMeasuring()
        defer { stopMeasuring(cpu) }
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
        guard time < wakeAt || wakeAt <= clock.monotonicNanoseconds() else { return }
        wakeAt = time
        let now = clock.monotonicNanoseconds()
        let delay = time > now ? (time - now + 999_999) / 1_000_000 : 0
        wakeTimer.schedule(after: delay) { [unowned self] in
            wakeAt = .max
            pump()
        }
    }

    private func launch(_ request: DispatchMachine.Request) {
        inFlightDocuments += request.group.count
        tally.requests += 1
        let user = PromptFormat.userMessage(request.group.map(\.document))
        let sentAt = clock.monotonicNanoseconds()
        EventLoop.spawn { [self] in
            let outcome: Result<OpenAIClient.Reply, HTTPClientError>
            do {
                outcome = .success(try await client.complete(system: PromptFormat.systemMessage, user: user,
                                                             maxTokens: request.maxTokens, format: request.format))
            } catch let error as HTTPClientError {
                outcome = .failure(error)
            } catch {
                outcome = .failure(HTTPClientError(kind: .other, message: "\(error)"))
            }
            await finished(request, outcome, sentAt: sentAt)
        }
    }

    private func finished(_ request: DispatchMachine.Request, _ outcome: Result<OpenAIClient.Reply, HTTPClientError>,
                          sentAt: UInt64) {
        dispatch.requestEnded()
        inFlightDocuments -= request.group.count
        let now = clock.monotonicNanoseconds()
        let cpu = startMeasuring()
        if case .success(let r) = outcome { tally.overheadNanoseconds += r.cpuNanoseconds }
        defer {
            noteEndpointState()
            pump()
            wakeWaiters()
            stopMeasuring(cpu)
        }
        defer {
            if request.probe {
                let fitted = if case .success(let reply) = outcome { reply.status == 200 } else { false }
                dispatch.probeEnded(size: request.size, fitted: fitted)
            }
        }
        switch outcome {
        case .failure(let error):
            tally.transportErrors += 1
            tally.responses[.transportError, default: 0] += 1
            dispatch.transportFailed(reservation: request.reservation, reachedServer: error.kind != .connect,
                                     promptCharacters: request.promptCharacters, now: now)
            transientFailure(request.group, now: now, reason: error.description)
        case .success(let reply):
            tally.responses[LLMResponseStatus(httpStatus: reply.status), default: 0] += 1
            if reply.status == 200 { dispatch.answered(resumes: request.group.count, sentAt: sentAt, now: now) }
            dispatch.observe(reply.rateLimits, reservation: request.reservation, now: now)
            handle(request.group, reply, reservation: request.reservation, promptCharacters: request.promptCharacters,
                   format: request.format, sentAt: sentAt, maxTokensSent: request.maxTokens,
                   reservedTokens: request.reservedTokens, probe: request.probe, now: now)
        }
    }

    /// Logs, at warning level, the endpoint going down (the breaker opened: documents wait) and coming back.
    func noteEndpointState() {
        let down: Bool = if case .closed = dispatch.breaker.state { false } else { true }
        guard down != endpointDown else { return }
        endpointDown = down
        guard unauthorized == nil else { return }
        if down {
            logger.warning("LLM endpoint is failing; documents wait and are retried with backoff", metadata: [
                "waiting": "\(held)", "transport_errors": "\(tally.transportErrors)",
                "server_errors": "\(tally.serverErrors)"])
        } else {
            logger.warning("LLM endpoint answers again; waiting documents are being sent", metadata: [
                "waiting": "\(held)"])
        }
    }
}
