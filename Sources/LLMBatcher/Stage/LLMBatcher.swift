import ResumeModel
import Foundation
import Loop
import Logging

/// Parses resumes with an OpenAI-compatible model, spending the account's rate limits to the last percent.
///
/// - **Budgets.** Each request reserves its estimated prompt tokens plus `max_tokens` in a requests-per-
///   minute and a tokens-per-minute bucket (``RateBudget``) and settles with the usage reported; the
///   answers' `x-ratelimit-*` headers correct the buckets; a `429` honours `Retry-After`, empties the
///   bucket it names and halves concurrency (``ConcurrencyLimit``, AIMD). 5xx, timeouts and dropped
///   connections back off exponentially with jitter; a ``CircuitBreaker`` stops sending while the endpoint
///   is down — documents wait, they do not fail.
/// - **Coalescing.** Short resumes are packed into one request (up to `LLM_COALESCE_MAX_DOCS` and
///   `LLM_COALESCE_TOKENS`) behind one stable system message, so instructions are paid once and cached
///   prefixes apply; the answer maps ids to results. A failed, truncated or partial coalesced answer is
///   bisected and the halves retried; nothing is dropped.
/// - **Length.** Text over budget is compacted (``Compactor``) before sending; a `context_length_exceeded`
///   answer corrects the token estimate from its numbers, and the document is compacted harder and
///   retried. No document fails for length alone.
/// - **Cost.** Identical content of a tenant (same SHA-256) is parsed once: later copies reuse the
///   result, and copies arriving while it is in flight wait for it.
///
/// The decisions are pure values: what to send and when (`DispatchMachine`, with `Packer`), what an answer
/// means (`ReplyPolicy`), which copies wait for which (`ContentDedupe`). This actor runs their actions: it
/// sends, arms its one timer, compacts off the loop and hands results on (`LLMBatcher+Dispatch.swift`,
/// `+Replies.swift`, `+Results.swift`, `+BatchAPI.swift`).
@LoopActor
public final class LLMBatcher: ParsingStage {
    /// Time for budgets, backoff, lingering and latencies.
    let clock: any EngineClock
    public let configuration: LLMConfiguration
    let client: OpenAIClient
    let consumer: any ParsedDocumentConsumer
    let logger: Logger

    var dispatch: DispatchMachine
    var dedupe: ContentDedupe<JobState, ParsedDocument>
    /// Batch API: where batches are kept across restarts, the batches resumed from it, whether it has been read
    /// and is being read, and the claim-window timers of resumed batches whose answers wait for documents.
    let journal: (any BatchJournal)?
    var resumed = ResumedBatches<JobState, ResumedAnswer>()
    var journalRead = false
    var resuming = false
    var claimTimers: [String: UVTimer] = [:]
    let backoff = Backoff()
    var random = SystemRandomNumberGenerator()

    let wakeTimer = UVTimer()
    var wakeAt: UInt64 = .max
    var roomWaiters: [CheckedContinuation<Void, Never>] = []
    var drainWaiters: [CheckedContinuation<Void, Never>] = []
    var unauthorized: String?
    /// Whether the breaker was open at the last answer (for the warning when it changes).
    var endpointDown = false

    /// Documents in requests or batches in flight, and being compacted on the pool.
    var inFlightDocuments = 0
    var compacting = 0
    /// Batch API: whether `drain` asked for the waiting documents to go now, whether ``close()`` was called.
    var flushRequested = false
    var closed = false
    var measuringDepth = 0

    /// What the batcher did (benchmarks, `/startup-status`, tests).
    public struct Counters: Sendable, Equatable {
        public var requests = 0
        public var rateLimited = 0
        public var serverErrors = 0
        public var transportErrors = 0
        /// Chat Completions requests by how they ended (``requests`` less those in flight).
        public var responses: [LLMResponseStatus: Int] = [:]
        public var invalidAnswers = 0
        public var bisections = 0
        /// Resumes an answer left out (each sent again alone, or failed `llm_missing_answer`).
        public var missingAnswers = 0
        public var contextOverflows = 0
        public var compactions = 0
        public var promptTokens = 0
        public var completionTokens = 0
        public var cachedTokens = 0
        public var parsed = 0
        public var failed = 0
        public var reused = 0
        /// Batch API: batches created, and requests they carried.
        public var batches = 0
        public var batchRequests = 0
        /// Batch API: unfinished batches found in the journal at start-up and polled again.
        public var resumedBatches = 0
        /// Loop-thread CPU the batcher itself spent (queueing, budgets, packing, compaction, JSON both
        /// ways, validation), excluding the endpoint's time.
        public var overheadNanoseconds: UInt64 = 0
    }

    /// The counts kept here, without the compactions done while packing (``counters`` adds them).
    var tally = Counters()

    /// What the batcher did so far.
    public var counters: Counters {
        var counters = tally
        counters.compactions += dispatch.packer.compactions
        return counters
    }

    /// A batcher sending to `configuration`'s endpoint; in Batch API mode, `journal` keeps its batches across
    /// restarts (call ``resumeJournaledBatches()`` before submitting).
    public init(configuration: LLMConfiguration, http: HTTPClient, consumer: any ParsedDocumentConsumer, logger: Logger,
                clock: any EngineClock = SystemClock.shared, journal: (any BatchJournal)? = nil) {
        self.configuration = configuration
        self.journal = journal
        self.clock = clock
        self.client = OpenAIClient(http: http, baseURL: configuration.baseURL, apiKey: configuration.apiKey ?? "",
                                   model: configuration.model, temperature: configuration.temperature,
                                   timeoutMilliseconds: configuration.requestTimeoutMilliseconds)
        self.consumer = consumer
        self.logger = logger
        dispatch = DispatchMachine(configuration: configuration, now: clock.monotonicNanoseconds())
        dedupe = ContentDedupe(capacityBytes: configuration.reuseCacheBytes)
    }

    /// Tokens the budget would grant now (benchmarks compare it with the server's view).
    public var availableTokens: Double { dispatch.budget.availableTokens(now: clock.monotonicNanoseconds()) }

    /// Requests in flight, the current concurrency limit (AIMD) and the target the batcher aims at below it
    /// (what the rate limits allow at the measured latency, Little's law).
    public var concurrencyState: (inFlight: Int, limit: Int, target: Int) {
        (dispatch.inFlight, dispatch.concurrency.limit, dispatch.targetInFlight)
    }

    /// The estimated cost in USD of the tokens billed so far, at ``LLMConfiguration/billedPrices``.
    public var costUSD: Double {
        configuration.billedPrices.cost(promptTokens: tally.promptTokens, cachedTokens: tally.cachedTokens,
                                        completionTokens: tally.completionTokens)
    }

    /// Why requests are not being sent, if they are not (`/startup-status`).
    public var blockedReason: String? {
        if let unauthorized { return "the endpoint refused the API key or account: \(unauthorized)" }
        if case .open = dispatch.breaker.state { return "the endpoint is failing; retrying with backoff" }
        return nil
    }

    /// Documents held (waiting, in flight, or waiting for a copy in flight).
    public var counts: ParserCounts {
        let counters = self.counters
        var c = ParserCounts()
        c.parsed = counters.parsed
        c.failed = counters.failed
        c.reused = counters.reused
        c.waiting = held
        c.inFlight = inFlightDocuments
        c.requests = counters.requests
        c.rateLimited = counters.rateLimited
        c.serverErrors = counters.serverErrors
        c.transportErrors = counters.transportErrors
        c.responses = counters.responses
        (c.requestsInFlight, c.concurrencyLimit, c.concurrencyTarget) = concurrencyState
        c.promptTokens = counters.promptTokens
        c.completionTokens = counters.completionTokens
        c.cachedTokens = counters.cachedTokens
        c.costUSD = costUSD
        return c
    }

    public var summary: (healthy: Bool, detail: String) {
        if let reason = blockedReason { return (false, reason) }
        let c = counters
        let resumed = c.resumedBatches > 0 ? ", \(c.resumedBatches) resumed after a restart" : ""
        let mode = configuration.batchAPI ? "Batch API, \(c.batches) batches of \(c.batchRequests) requests" + resumed
            : "\(c.requests) requests, \(c.rateLimited) answered 429"
        return (true, "openai \(configuration.model) at \(configuration.baseURL): \(c.parsed) parsed, "
                    + "\(c.failed) failed, \(held) waiting, \(mode)")
    }

    public var held: Int {
        dispatch.waiting + inFlightDocuments + dedupe.followers + compacting + resumed.waitingCount
    }

    // MARK: ParsingStage

    public func waitForRoom() async {
        if held < capacity { return }
        await withCheckedContinuation(isolation: LoopActor.shared) { roomWaiters.append($0) }
    }

    public func submit(_ job: ParseJob) {
        let cpu = startMeasuring()
        defer { stopMeasuring(cpu) }
        let state = JobState(job: job, submitted: clock.monotonicNanoseconds())
        if job.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            fail(state, .emptyText, "the document has no text to parse")
            return
        }
        if let key = state.key {
            switch dedupe.admit(state, key: key) {
            case .reuse(let earlier):
                emitReused(state, from: earlier)
                return
            case .follow:
                return
            case .lead:
                if claimResumed(state) { return }
            }
        }
        enqueue(state)
    }

    /// Queues a job to be sent (compacted on the pool first when its text is over budget).
    func enqueue(_ state: JobState) {
        if state.textCount > dispatch.packer.characterBudget(for: state) {
            compactOffLoop(state) { [unowned self] job in
                dispatch.pending.append(job)
                pump()
            }
            return
        }
        dispatch.pending.append(state)
        pump()
    }

    /// Documents the batcher takes before ``waitForRoom()`` waits: `LLM_QUEUE`, and in Batch API mode enough
    /// for the batches in flight and one filling.
    var capacity: Int {
        guard configuration.batchAPI else { return configuration.queueCapacity }
        return max(configuration.queueCapacity, configuration.batchMaxDocuments * (configuration.batchesInFlight + 1))
    }

    /// Compacts a long text on libuv's pool (a megabyte of text takes the Compactor hundreds of
    /// milliseconds: never on the loop), then hands the job on.
    func compactOffLoop(_ job: JobState, then: @escaping @LoopActor (JobState) -> Void) {
        compacting += 1
        let budget = dispatch.packer.characterBudget(for: job)
        let window = dispatch.packer.contextWindow
        let text = job.job.text
        let level = job.compactionLevel
        EventLoop.spawn { [self] in
            let result = await Offload.runNonThrowing { Compactor.compact(text, budget: budget, minimumLevel: level) }
            await compacted(job, result, window: window, budget: budget, then: then)
        }
    }

    private func compacted(_ job: JobState, _ result: Compactor.Result, window: Int, budget: Int,
                           then: @LoopActor (JobState) -> Void) {
        var compacted = job
        compacted.prepared = result.text
        // Sized for this window: the packer does not compact it again on the loop (unless a smaller window is
        // learned meanwhile).
        compacted.preparedWindow = window
        compacted.preparedBudget = budget
        compacted.compactionLevel = max(job.compactionLevel, result.level)
        compacted.needsCompaction = false
        tally.compactions += 1
        compacting -= 1
        then(compacted)
    }

    /// Forgets the result kept for reuse for tenant `tenant`'s content `sha256Hex` (an erasure).
    public func forget(tenant: String, sha256Hex: String) {
        dedupe.forget(key: JobState.contentKey(tenant: tenant, sha256: sha256Hex))
    }

    public func drain(timeoutMilliseconds: UInt64) async {
        if held == 0 { return }
        // Batch API: what waits for company goes now.
        flushRequested = true
        pump()
        let timer = UVTimer()
        timer.schedule(after: timeoutMilliseconds) { [unowned self] in releaseDrainWaiters() }
        await withCheckedContinuation(isolation: LoopActor.shared) { drainWaiters.append($0) }
        timer.close()
    }

    /// Stops the timers (call after ``drain(timeoutMilliseconds:)``).
    public func close() {
        closed = true
        wakeTimer.close()
        for timer in claimTimers.values { timer.close() }
        claimTimers = [:]
        releaseDrainWaiters()
    }

    // MARK: Overhead

    /// Starts counting loop CPU as the batcher's overhead (nested calls count once).
    func startMeasuring() -> UInt64 {
        measuringDepth += 1
        return measuringDepth == 1 ? threadCPUNanoseconds() : 0
    }

    func stopMeasuring(_ start: UInt64) {
        measuringDepth -= 1
        if measuringDepth == 0 { tally.overheadNanoseconds += threadCPUNanoseconds() - start }
    }
}
