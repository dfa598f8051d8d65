import ResumeModel
import Foundation
import Loop

/// The built-in parser as a stage: the default when no API key is set, and the floor the LLM must beat.
/// Parsing is CPU work, so it runs on libuv's pool; at most `concurrency` documents at once.
///
/// With an LLM to fall back on (`unsure`: `LLM_WHEN_UNSURE`, `import --llm-when-unsure`), the rules read every
/// text first and only documents whose reading is weak (``ParseConfidence/weak``) go to the LLM, carrying their
/// confidence; the others go on with the rules' result. The stage then answers for both: draining, closing,
/// the summary and the counts take the LLM's in.
@LoopActor
public final class RulesStage: ParsingStage {
    private let clock: any EngineClock
    private let consumer: any ParsedDocumentConsumer
    private let parser = RulesParser()
    /// The LLM that reads again what the rules read weakly, if any.
    private let unsure: (any ParsingStage)?
    private let concurrency: Int
    private var running = 0
    private var queue: [ParseJob] = []
    private var roomWaiters: [CheckedContinuation<Void, Never>] = []
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    /// Documents parsed and failed.
    public private(set) var parsed = 0
    public private(set) var failed = 0
    /// Documents handed to the LLM because their reading was weak.
    public private(set) var sentUnsure = 0

    public init(consumer: any ParsedDocumentConsumer, concurrency: Int = 2, clock: any EngineClock = SystemClock.shared,
                unsure: (any ParsingStage)? = nil) {
        self.consumer = consumer
        self.clock = clock
        self.concurrency = max(1, concurrency)
        self.unsure = unsure
    }

    public func waitForRoom() async {
        if running + queue.count < concurrency * 4 { return }
        await withCheckedContinuation(isolation: LoopActor.shared) { roomWaiters.append($0) }
    }

    public func submit(_ job: ParseJob) {
        queue.append(job)
        next()
    }

    /// Waits for the rules' own work (short: no I/O), then for the LLM's.
    public func drain(timeoutMilliseconds: UInt64) async {
        if running > 0 || !queue.isEmpty {
            await withCheckedContinuation(isolation: LoopActor.shared) { drainWaiters.append($0) }
        }
        await unsure?.drain(timeoutMilliseconds: timeoutMilliseconds)
    }

    public var summary: (healthy: Bool, detail: String) {
        guard let unsure else { return (true, "rules parser (no OPENAI_API_KEY): \(parsed) parsed, \(failed) failed") }
        let llm = unsure.summary
        return (llm.healthy, "rules parser first, the LLM when unsure (LLM_WHEN_UNSURE): \(parsed) parsed by the "
                    + "rules, \(failed) failed, \(sentUnsure) sent to the LLM; LLM: \(llm.detail)")
    }

    /// The rules' counts, plus the LLM's when it reads the weak documents (`unsure` counts those sent).
    public var counts: ParserCounts {
        var c = unsure?.counts ?? ParserCounts()
        c.parsed += parsed
        c.failed += failed
        c.waiting += running + queue.count
        c.inFlight += running
        c.unsure = sentUnsure
        return c
    }

    /// Nothing of the rules' own to release (parsing runs on libuv's pool and holds no handle); the LLM's.
    public func close() { unsure?.close() }

    private func next() {
        while running < concurrency, !queue.isEmpty {
            let job = queue.removeFirst()
            running += 1
            EventLoop.spawn { [self] in await run(job) }
        }
    }

    private func run(_ job: ParseJob) async {
        let started = clock.monotonicNanoseconds()
        let parser = self.parser
        let text = job.text
        let result = await Offload.runNonThrowing { parser.parse(text) }
        var doc = ParsedDocument(job: job, status: .parsed, resume: result.resume, provider: "rules", model: nil,
                                 promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUSD: nil,
                                 milliseconds: 0, warnings: result.warnings,
                                 failureCode: nil, failureDetail: nil,
                                 injectionSuspected: InjectionPatterns.suspicious(text), reusedFrom: nil)
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            doc.status = .failed
            doc.resume = nil
            doc.failureCode = .emptyText
            doc.failureDetail = "the document has no text to parse"
        }
        if doc.injectionSuspected { doc.warnings.append("prompt_injection_suspected") }
        doc.milliseconds = Double(clock.monotonicNanoseconds() - started) / 1e6
        doc.confidence = result.confidence
        if let unsure, doc.status == .parsed, result.confidence.weak {
            var weak = job
            weak.confidence = result.confidence
            sentUnsure += 1
            await unsure.waitForRoom()
            unsure.submit(weak)
        } else {
            if doc.status == .parsed { parsed += 1 } else { failed += 1 }
            await consumer.waitForRoom()
            await consumer.accept(doc)
        }
        running -= 1
        next()
        if running + queue.count < concurrency * 4 {
            let waiters = roomWaiters
            roomWaiters = []
            waiters.forEach { $0.resume() }
        }
        if running == 0 && queue.isEmpty {
            let waiters = drainWaiters
            drainWaiters = []
            waiters.forEach { $0.resume() }
        }
    }
}
