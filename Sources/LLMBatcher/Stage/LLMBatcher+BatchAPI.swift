import ResumeModel
import Foundation
import Loop

/// Batch API mode (`LLM_BATCH_API`): the same coalesced requests as Chat Completions mode, written as the lines
/// of a JSONL file, uploaded (`POST /files`, purpose `batch`), run as a batch (`POST /batches`, 24 h window) and
/// polled (`GET /batches/{id}`) until the output and error files can be read. Answers go through the same
/// handling as direct ones: validation, repair, bisection of partial answers, compact-and-retry on length.
///
/// Nothing is lost on the way: a step that fails for the network, a 5xx or a 429 is retried with backoff (the
/// documents wait); a batch that fails, expires or is cancelled sends its unanswered requests again in a later
/// batch, each document at most eight times before it fails with `llm_unavailable`; an upload or batch the
/// endpoint refuses fails its documents with `llm_request_rejected` after three tries.
///
/// With a ``BatchJournal``, each batch the endpoint creates is recorded and marked finished once its answers are
/// handed on (or it is dead), so that a restart resumes polling it (`LLMBatcher+Journal.swift`).
extension LLMBatcher {
    /// How a batch ended, as ``runBatch(_:journal:)`` and ``pollAndRead(_:known:)`` report it.
    enum BatchOutcome {
        /// The batch finished (completed, expired or cancelled): its answers (possibly not all of them).
        case answered([OpenAIClient.BatchAnswer], status: String)
        /// The batch could not be run: each request goes again (counted as an attempt) or fails after
        /// `limit` attempts with `code`.
        case notRun(reason: String, code: ParsedDocument.FailureCode, limit: Int)
        /// ``close()`` was called: the documents stay where they are (in the spool).
        case abandoned
    }

    /// Sends the waiting documents as batches: when a batch's worth is waiting, when the oldest has waited
    /// `LLM_BATCH_LINGER_MS`, or when ``drain(timeoutMilliseconds:)`` asks; at most `LLM_BATCHES_IN_FLIGHT`
    /// batches at once.
    func pumpBatches() {
        let cpu = startMeasuring()
        defer { stopMeasuring(cpu) }
        let now = clock.monotonicNanoseconds()
        // While the journal is read, nothing goes: a waiting document may be in a batch about to be resumed.
        while !closed && !resuming {
            switch dispatch.nextBatch(now: now, flush: flushRequested) {
            case .submit(let lines, let documents):
                submitBatch(lines, documents: documents)
            case .armTimer(let time):
                wake(at: time)
                return
            case .idle:
                return
            }
        }
    }

    private func submitBatch(_ lines: [BatchLine], documents: Int) {
        inFlightDocuments += documents
        tally.batches += 1
        tally.batchRequests += lines.count
        var byID: [String: BatchLine] = [:]
        var jsonl: [UInt8] = []
        var journaled = JournaledBatch(batchID: "", inputFileID: "", provider: "openai",
                                       endpoint: configuration.baseURL, model: client.model, lines: [])
        for (index, line) in lines.enumerated() {
            // Unique within the file, and readable in the provider's dashboard.
            let customID = "r\(index)-\(line.group[0].job.id)"
            byID[customID] = line
            journaled.lines.append(JournaledBatch.Line(customID: customID, documents: line.group.map {
                JournaledBatch.Document(id: $0.job.id, tenant: $0.job.tenant, contentSHA256: $0.job.contentSHA256,
                                        characters: $0.preparedCount)
            }))
            client.appendBatchLine(customID: customID, system: PromptFormat.systemMessage,
                                   user: PromptFormat.userMessage(line.group.map(\.document)),
                                   maxTokens: line.maxTokens, format: line.format, to: &jsonl)
        }
        logger.info("sending a batch", metadata: ["documents": "\(documents)", "requests": "\(lines.count)",
                                                  "bytes": "\(jsonl.count)"])
        EventLoop.spawn { [self] in
            let (outcome, batchID) = await runBatch(jsonl, journal: journaled)
            await batchFinished(byID, outcome, documents: documents, batchID: batchID)
        }
    }

    /// Uploads, creates (and journals), polls and reads one batch. Network failures, 5xx and 429 are retried with
    /// backoff; the key being refused is waited out (documents wait for a working key). Returns the batch's id too,
    /// once created.
    private func runBatch(_ jsonl: [UInt8], journal entry: JournaledBatch) async
        -> (BatchOutcome, batchID: String?)
    {
        let fileID: String
        let lines = entry.lines.count
        switch await step("upload", { [client] () async throws(HTTPClientError) in
            try await client.uploadBatchFile(jsonl, filename: "resume-ingest-\(lines).jsonl")
        }) {
        case .value(let id): fileID = id
        case .refused(let reason): return (.notRun(reason: reason, code: .requestRejected, limit: 3), nil)
        case .closed: return (.abandoned, nil)
        }
        let batch: OpenAIClient.BatchObject
        switch await step("create batch", { [client] () async throws(HTTPClientError) in
            try await client.createBatch(inputFileID: fileID)
        }) {
        case .value(let created): batch = created
        case .refused(let reason): return (.notRun(reason: reason, code: .requestRejected, limit: 3), nil)
        case .closed: return (.abandoned, nil)
        }
        logger.info("batch created", metadata: ["batch": "\(batch.id)", "requests": "\(lines)"])
        var recorded = entry
        recorded.batchID = batch.id
        recorded.inputFileID = fileID
        await record(recorded)
        return (await pollAndRead(batch.id, known: batch), batch.id)
    }

    /// Polls batch `id` (from `known`, or from a first poll at once) until it is finished, then reads its answers.
    func pollAndRead(_ id: String, known: OpenAIClient.BatchObject?) async -> BatchOutcome {
        var polled = known
        while polled?.isFinished != true {
            if polled != nil { await UVTimer.sleep(milliseconds: UInt64(configuration.batchPollMilliseconds)) }
            switch await step("poll batch", { [client] () async throws(HTTPClientError) in
                try await client.batch(id)
            }) {
            case .value(let object): polled = object
            case .refused(let reason): return .notRun(reason: "batch \(id): \(reason)", code: .unavailable, limit: 8)
            case .closed: return .abandoned
            }
        }
        guard let batch = polled else { return .abandoned }
        if batch.status == "failed" {
            let reason = "batch \(batch.id) failed: " + (batch.errors.isEmpty ? "no reason given" : batch.errors.joined(separator: "; "))
            logger.warning("batch failed", metadata: ["batch": "\(batch.id)", "errors": "\(batch.errors)"])
            // The limit on enqueued tokens clears as earlier batches finish: wait, do not count it.
            if batch.errors.allSatisfy({ $0.hasPrefix("token_limit_exceeded") }) && !batch.errors.isEmpty {
                dispatch.postpone(until: clock.monotonicNanoseconds()
                                      + UInt64(configuration.batchPollMilliseconds) * 1_000_000)
                return .notRun(reason: reason, code: .unavailable, limit: .max)
            }
            return .notRun(reason: reason, code: .requestRejected, limit: 3)
        }
        var answers: [OpenAIClient.BatchAnswer] = []
        for fileID in [batch.outputFileID, batch.errorFileID].compactMap({ $0 }) {
            switch await step("read batch answers", { [client] () async throws(HTTPClientError) in
                try await client.batchAnswers(fileID: fileID)
            }) {
            case .value(let read): answers += read
            case .refused(let reason):
                // The file is gone: what it answered goes again.
                logger.warning("batch answers unreadable", metadata: ["file": "\(fileID)", "reason": "\(reason)"])
            case .closed: return .abandoned
            }
        }
        return .answered(answers, status: batch.status)
    }

    /// What ``step(_:_:)`` got: the value, a refusal, or nothing because ``close()`` was called.
    enum StepResult<Value> {
        case value(Value)
        case refused(String)
        case closed
    }

    /// Runs one Batch API call until it gives an answer: transport failures, 5xx and 429 back off and try
    /// again; 401/403 wait for a working key; another refusal is returned.
    private func step<Value>(_ name: String,
                             _ call: @LoopActor () async throws(HTTPClientError) -> OpenAIClient.BatchResult<Value>)
        async -> StepResult<Value>
    {
        var attempt = 0
        while !closed {
            attempt += 1
            let reason: String
            do {
                switch try await call() {
                case .success(let value):
                    unauthorized = nil
                    return .value(value)
                case .refused(let status, let error) where status == 401 || status == 403:
                    unauthorized = error?.message ?? "HTTP \(status)"
                    reason = "HTTP \(status)"
                case .refused(let status, let error) where status == 429 || status >= 500:
                    reason = "HTTP \(status): \(error?.message ?? "no error body")"
                case .refused(let status, let error):
                    return .refused("\(name) refused (HTTP \(status)): \(error?.message ?? "no error body")")
                }
            } catch {
                tally.transportErrors += 1
                reason = error.description
            }
            let delay = backoff.delay(attempt: min(attempt, 8), random: Double.random(in: 0..<1, using: &random))
                ?? 30_000_000_000
            logger.debug("Batch API call failed; retrying", metadata: ["step": "\(name)", "reason": "\(reason)",
                                                                       "delay_ms": "\(delay / 1_000_000)"])
            await UVTimer.sleep(milliseconds: delay / 1_000_000)
        }
        return .closed
    }

    /// Hands each answer to the common handling; requests without an answer go again. The journal entry is
    /// then finished (unless closing: the batch is resumed at the next start).
    private func batchFinished(_ lines: [String: BatchLine], _ outcome: BatchOutcome, documents: Int,
                               batchID: String?) {
        dispatch.batchEnded()
        inFlightDocuments -= documents
        let cpu = startMeasuring()
        defer {
            if case .abandoned = outcome {} else if let batchID { markFinished(batchID) }
            pump()
            wakeWaiters()
            stopMeasuring(cpu)
        }
        var unanswered = lines
        let now = clock.monotonicNanoseconds()
        switch outcome {
        case .abandoned:
            // Closing: the documents are neither parsed nor failed; they stay in the spool for the next start.
            return
        case .notRun(let reason, let code, let limit):
            for line in lines.values { requeue(line.group, reason: reason, code: code, limit: limit) }
            return
        case .answered(let answers, let status):
            for answer in answers {
                guard let line = unanswered.removeValue(forKey: answer.customID) else { continue }
                if let reply = answer.reply {
                    handle(line.group, reply, reservation: nil, promptCharacters: line.promptCharacters,
                           format: line.format, sentAt: now, maxTokensSent: line.maxTokens, reservedTokens: 0, now: now)
                } else {
                    requeue(line.group, reason: answer.error ?? "no answer", code: .unavailable, limit: 8)
                }
            }
            for line in unanswered.values {
                requeue(line.group, reason: "the batch ended \(status) without answering this request",
                        code: .unavailable, limit: 8)
            }
        }
    }

    /// Sends a group again in a later batch, counting an attempt; documents past `limit` attempts fail.
    private func requeue(_ group: [JobState], reason: String, code: ParsedDocument.FailureCode, limit: Int) {
        var again: [JobState] = []
        for var job in group {
            let fate = ReplyPolicy.afterUnansweredBatchLine(attempts: job.attempts, limit: limit)
            job.attempts = fate.attempts
            if fate.fail {
                fail(job, code, "the Batch API did not answer after \(job.attempts) tries: \(reason)")
            } else {
                again.append(job)
            }
        }
        if !again.isEmpty { dispatch.retries.append(again) }
    }
}
