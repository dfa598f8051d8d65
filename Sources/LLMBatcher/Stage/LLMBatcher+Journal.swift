import ResumeModel
import Loop

/// Batch API batches across restarts, with a ``BatchJournal``: batches created are recorded; at start-up the
/// unfinished ones of this endpoint and model are polled again, and documents whose content they carry wait for
/// their answers instead of being sent (and paid for) again.
///
/// A resumed batch's answers are read line by line against the journal (the ids its prompts used), and each
/// document's answer is kept by content (``ResumedBatches``): a waiting job gets it with its share of the line's
/// tokens, as a direct answer's document would; one not yet back claims it when it comes. A line the batch did not
/// answer, or answered with an error or an invalid answer, sends its documents the usual way (which retries,
/// bisects or compacts them). A batch the endpoint no longer knows (404), or that failed, is dead: its documents
/// are sent again normally.
extension LLMBatcher {
    /// One document's answer from a resumed batch, with its share of the line's tokens.
    struct ResumedAnswer: Sendable {
        var answer: PromptFormat.Answer
        var promptTokens: Int
        var cachedTokens: Int
        var completionTokens: Int
        var batchID: String
    }

    /// Reads the journal's unfinished batches of this endpoint and model and resumes polling them. Documents
    /// submitted meanwhile wait (Batch API mode sends nothing until this returns). Without a journal, or when it
    /// cannot be read, nothing is resumed (the documents are sent again, as without a journal). Only the first call
    /// reads it.
    public func resumeJournaledBatches() async {
        guard configuration.batchAPI, let journal, !journalRead else { return }
        journalRead = true
        resuming = true
        defer {
            resuming = false
            pump()
        }
        let batches: [JournaledBatch]
        do {
            let (endpoint, model) = (configuration.baseURL, client.model)
            // Two tries only: start-up waits for this (a database that hangs costs each try the Sink's timeout).
            batches = try await retryingJournal(attempts: 2) {
                try await journal.unfinished(endpoint: endpoint, model: model)
            }
        } catch {
            logger.warning("could not read the Batch API journal; its batches are not resumed",
                           metadata: ["error": "\(error)"])
            return
        }
        for batch in batches {
            let keys = batch.lines.flatMap(\.documents).compactMap { document in
                document.contentSHA256.map { JobState.contentKey(tenant: document.tenant, sha256: $0) }
            }
            resumed.add(batchID: batch.batchID, contentKeys: keys)
            tally.resumedBatches += 1
            logger.info("resuming a Batch API batch", metadata: ["batch": "\(batch.batchID)",
                                                                 "documents": "\(keys.count)"])
            EventLoop.spawn { [self] in
                let outcome = await pollAndRead(batch.batchID, known: nil)
                await resumedBatchFinished(batch, outcome)
            }
        }
        // Jobs that came while the journal was read.
        let arrived = dispatch.pending
        dispatch.pending.removeAll()
        for job in arrived where !claimResumed(job) { dispatch.pending.append(job) }
    }

    /// Whether a resumed batch takes care of `job` (it waits for the batch, or gets the answer it left).
    func claimResumed(_ job: JobState) -> Bool {
        guard let key = job.key else { return false }
        switch resumed.claim(job, key: key) {
        case .none:
            return false
        case .wait:
            return true
        case .answer(let answer, let settled):
            deliverResumed(job, answer)
            if let settled { finishResumed(settled) }
            return true
        }
    }

    private func resumedBatchFinished(_ batch: JournaledBatch, _ outcome: BatchOutcome) {
        let cpu = startMeasuring()
        defer {
            pump()
            wakeWaiters()
            stopMeasuring(cpu)
        }
        let answers: [OpenAIClient.BatchAnswer]
        switch outcome {
        case .abandoned:
            return // closing: resumed at the next start
        case .notRun(let reason, _, _):
            logger.warning("a resumed batch is dead; its documents are sent again",
                           metadata: ["batch": "\(batch.batchID)", "reason": "\(reason)"])
            for job in resumed.dead(batchID: batch.batchID) { enqueue(job) }
            markFinished(batch.batchID)
            return
        case .answered(let read, _):
            answers = read
        }
        let lines = Dictionary(batch.lines.map { ($0.customID, $0) }, uniquingKeysWith: { first, _ in first })
        var byKey: [String: ResumedAnswer] = [:]
        for answer in answers {
            guard let line = lines[answer.customID], let reply = answer.reply, reply.status == 200 else { continue }
            let prompt = reply.promptTokens ?? 0
            let completion = reply.completionTokens ?? 0
            let cached = reply.cachedTokens ?? 0
            tally.promptTokens += prompt
            tally.completionTokens += completion
            tally.cachedTokens += cached
            guard reply.finishReason != "length",
                  let decoded = try? PromptFormat.decodeAnswer(reply.content ?? "",
                                                               expected: Set(line.documents.map(\.id)))
            else {
                tally.invalidAnswers += 1
                continue
            }
            let total = max(1, line.documents.reduce(0) { $0 + $1.characters })
            for document in line.documents {
                guard let sha = document.contentSHA256, let found = decoded[document.id] else { continue }
                let share = Double(document.characters) / Double(total)
                byKey[JobState.contentKey(tenant: document.tenant, sha256: sha)] = ResumedAnswer(
                    answer: found, promptTokens: Int((Double(prompt) * share).rounded()),
                    cachedTokens: Int((Double(cached) * share).rounded()),
                    completionTokens: Int((Double(completion) * share).rounded()), batchID: batch.batchID)
            }
        }
        let finish = resumed.finished(batchID: batch.batchID, answers: byKey)
        for (job, answer) in finish.deliver { deliverResumed(job, answer) }
        for job in finish.release { enqueue(job) }
        if finish.settled {
            markFinished(batch.batchID)
        } else {
            // Answers for documents not back yet wait for them, for the claim window.
            let timer = UVTimer()
            claimTimers[batch.batchID] = timer
            timer.schedule(after: UInt64(configuration.batchClaimMilliseconds)) { [unowned self] in
                resumed.expire(batchID: batch.batchID)
                finishResumed(batch.batchID)
            }
        }
    }

    /// A resumed batch has nothing left to hand out.
    private func finishResumed(_ batchID: String) {
        claimTimers.removeValue(forKey: batchID)?.close()
        markFinished(batchID)
    }

    private func deliverResumed(_ job: JobState, _ answer: ResumedAnswer) {
        var job = job
        var found = answer.answer
        if let ranges = found.lineRanges {
            // The answer names lines of the text as it was sent: the same text, prepared the same way again.
            dispatch.packer.prepare(&job)
            do throws(PromptFormat.InvalidAnswer) {
                try ranges.apply(to: &found.resume, lines: PromptFormat.lines(of: job.document.text))
                found.lineRanges = nil
            } catch {
                logger.debug("a resumed batch's answer does not fit the text; sending the document again",
                             metadata: ["document": "\(job.job.id)", "reason": "\(error.message)"])
                enqueue(job)
                return
            }
        }
        logger.debug("answered by a resumed batch",
                     metadata: ["batch": "\(answer.batchID)", "document": "\(job.job.id)"])
        deliver(parsedDocument(job, found, promptTokens: answer.promptTokens, cachedTokens: answer.cachedTokens,
                               completionTokens: answer.completionTokens), job: job)
    }

    /// Journals a batch the endpoint has created. A journal that fails costs only the resumption of this batch.
    func record(_ batch: JournaledBatch) async {
        guard let journal else { return }
        do {
            try await retryingJournal { try await journal.record(batch) }
        } catch {
            logger.warning("could not journal a Batch API batch; a restart would send its documents again",
                           metadata: ["batch": "\(batch.batchID)", "error": "\(error)"])
        }
    }

    /// Marks a batch finished in the journal (in the background).
    func markFinished(_ batchID: String) {
        guard let journal else { return }
        let logger = self.logger
        EventLoop.spawn { [self] in
            do {
                try await retryingJournal { try await journal.markFinished(batchID: batchID) }
            } catch {
                logger.warning("could not mark a Batch API batch finished; the next start polls it once more",
                               metadata: ["batch": "\(batchID)", "error": "\(error)"])
            }
        }
    }

    /// Runs a journal call, again after a failure (a dropped connection, the database restarting), `attempts` times
    /// at most (the backoff's five by default: about three seconds of waiting); then its last error is thrown.
    private func retryingJournal<Value>(attempts: Int = journalBackoff.maxAttempts,
                                        _ call: @LoopActor () async throws -> Value) async throws -> Value {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await call()
            } catch {
                guard attempt < attempts, !closed else { throw error }
                let jitter = Double.random(in: 0..<1, using: &random)
                let delay = Self.journalBackoff.delay(attempt: attempt, random: jitter) ?? Self.journalBackoff.cap
                logger.debug("Batch API journal call failed; retrying", metadata: ["error": "\(error)"])
                await UVTimer.sleep(milliseconds: delay / 1_000_000)
            }
        }
    }

    /// Backoff between journal retries: 200 ms doubling to 1.6 s, with full jitter; five attempts.
    static let journalBackoff = Backoff(base: 200_000_000, cap: 1_600_000_000, maxAttempts: 5)
}
