import ResumeModel
import Loop

/// Results: the document handed on for each job, copies answered from their leader's result, and the waiters
/// woken as documents leave.
extension LLMBatcher {
    func document(_ job: JobState, status: ParsedDocument.Status) -> ParsedDocument {
        let injection = InjectionPatterns.suspicious(job.job.text)
        var warnings = job.warnings
        if job.compactionLevel > 0 && !warnings.contains(where: { $0.hasPrefix("compacted") }) {
            warnings.append("compacted (level \(job.compactionLevel)) from \(job.textCount) to \(job.preparedCount) characters")
        }
        if injection { warnings.append("prompt_injection_suspected") }
        return ParsedDocument(job: job.job, status: status, resume: nil, provider: "openai", model: client.model,
                              promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUSD: 0,
                              milliseconds: Double(clock.monotonicNanoseconds() - job.submitted) / 1e6,
                              warnings: warnings, failureCode: nil, failureDetail: nil,
                              injectionSuspected: injection, reusedFrom: nil)
    }

    /// The parsed document for `job` from the model's `answer`, with its share of the tokens (`cachedTokens` of
    /// them served from the endpoint's cache) and their cost.
    func parsedDocument(_ job: JobState, _ answer: PromptFormat.Answer, promptTokens: Int, cachedTokens: Int,
                        completionTokens: Int) -> ParsedDocument
    {
        var doc = document(job, status: .parsed)
        doc.resume = answer.resume
        doc.promptTokens = promptTokens
        doc.completionTokens = completionTokens
        doc.cachedTokens = cachedTokens
        doc.costUSD = configuration.billedPrices.cost(promptTokens: promptTokens, cachedTokens: cachedTokens,
                                                      completionTokens: completionTokens)
        doc.injectionSuspected = doc.injectionSuspected || answer.injectionSuspected
        if answer.injectionSuspected && !doc.warnings.contains("prompt_injection_suspected") {
            doc.warnings.append("prompt_injection_suspected")
        }
        let r = answer.resume
        if r.basics?.email == nil && r.basics?.phone == nil && (r.work ?? []).isEmpty && (r.education ?? []).isEmpty {
            doc.warnings.append("not_a_resume: no e-mail, phone, work or education found")
        }
        return doc
    }

    func fail(_ job: JobState, _ code: ParsedDocument.FailureCode, _ detail: String) {
        var doc = document(job, status: .failed)
        doc.failureCode = code
        doc.failureDetail = detail
        deliver(doc, job: job)
    }

    func emitReused(_ job: JobState, from earlier: ParsedDocument) {
        var doc = earlier
        doc.job = job.job
        doc.promptTokens = 0
        doc.completionTokens = 0
        doc.cachedTokens = 0
        doc.costUSD = 0
        doc.reusedFrom = earlier.job.id
        doc.milliseconds = Double(clock.monotonicNanoseconds() - job.submitted) / 1e6
        doc.warnings.append("reused the result of \(earlier.job.id) (same tenant and content)")
        tally.reused += 1
        send(doc)
    }

    /// Hands a leader's outcome on, and with it its followers': they reuse a result; after a failure the first
    /// of them is tried on its own and the others wait for it.
    func deliver(_ doc: ParsedDocument, job: JobState) {
        if doc.status == .parsed { tally.parsed += 1 } else { tally.failed += 1 }
        if let key = job.key {
            let settlement = dedupe.settle(key: key, result: doc.status == .parsed ? Self.reusable(doc) : nil,
                                           bytes: Self.estimatedBytes(doc))
            for follower in settlement.reuse { emitReused(follower, from: doc) }
            if let next = settlement.nextLeader { dispatch.pending.append(next) }
        }
        send(doc)
    }

    /// What the reuse cache keeps of a result: not the text (nor the record), which a later copy brings itself.
    static func reusable(_ doc: ParsedDocument) -> ParsedDocument {
        var kept = doc
        kept.job.text = ""
        kept.job.record = nil
        return kept
    }

    /// A kept result's size in memory, estimated from the JSON it was written in: its share of the completion
    /// (about four bytes a token), twice over for the strings' storage, plus its warnings and a fixed part.
    static func estimatedBytes(_ doc: ParsedDocument) -> Int {
        512 + 8 * doc.completionTokens + doc.warnings.reduce(0) { $0 + 32 + $1.utf8.count }
    }

    private func send(_ doc: ParsedDocument) {
        let consumer = self.consumer
        EventLoop.spawn {
            await consumer.waitForRoom()
            await consumer.accept(doc)
        }
        wakeWaiters()
    }

    func wakeWaiters() {
        if held < capacity, !roomWaiters.isEmpty {
            let waiters = roomWaiters
            roomWaiters = []
            waiters.forEach { $0.resume() }
        }
        if held == 0 {
            flushRequested = false
            releaseDrainWaiters()
        }
    }

    func releaseDrainWaiters() {
        let waiters = drainWaiters
        drainWaiters = []
        waiters.forEach { $0.resume() }
    }
}
