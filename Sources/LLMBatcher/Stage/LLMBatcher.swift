import ResumeModel
import DequeModule
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
@LoopActor
public final class LLMBatcher: ParsingStage {
    /// Time for budgets, backoff, lingering and latencies.
    let clock: any EngineClock
    public let configuration: LLMConfiguration
    let client: OpenAIClient
    private let consumer: any ParsedDocumentConsumer
    let logger: Logger

    private var budget: RateBudget
    private var concurrency: ConcurrencyLimit
    private var breaker = CircuitBreaker()
    let backoff = Backoff()
    private var estimator: TokenEstimator
    var format: OpenAIClient.ResponseFormat
    var random = SystemRandomNumberGenerator()

    /// Jobs not yet sent, in arrival order.
    var pending = Deque<JobState>()
    /// Groups to resend as they are (halves of a bisected group, retries), before anything new.
    var retries = GroupQueue()
    private var inFlight = 0
    /// The earliest time a waiting group may be tried again (rate limit, backoff, breaker).
    var notBefore: UInt64 = 0
    private let wakeTimer = UVTimer()
    private var wakeAt: UInt64 = .max
    private var roomWaiters: [CheckedContinuation<Void, Never>] = []
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    var unauthorized: String?
    private var lingerUntil: UInt64 = 0

    /// Results by (tenant, sha256), for reuse; and copies waiting for a result in flight.
    private var results: [String: ParsedDocument] = [:]
    private var resultOrder = Deque<String>()
    private var leaders: [String: [JobState]] = [:]

    /// What the batcher did (benchmarks, `/startup-status`, tests).
    public struct Counters: Sendable, Equatable {
        public var requests = 0
        public var rateLimited = 0
        public var serverErrors = 0
        public var transportErrors = 0
        public var invalidAnswers = 0
        public var bisections = 0
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
        /// Loop-thread CPU the batcher itself spent (queueing, budgets, packing, compaction, JSON both
        /// ways, validation), excluding the endpoint's time.
        public var overheadNanoseconds: UInt64 = 0
    }
    public internal(set) var counters = Counters()

    public init(configuration: LLMConfiguration, http: HTTPClient, consumer: any ParsedDocumentConsumer, logger: Logger,
                clock: any EngineClock = SystemClock.shared) {
        self.configuration = configuration
        self.clock = clock
        self.client = OpenAIClient(http: http, baseURL: configuration.baseURL, apiKey: configuration.apiKey ?? "",
                                   model: configuration.model, temperature: configuration.temperature,
                                   timeoutMilliseconds: configuration.requestTimeoutMilliseconds)
        self.consumer = consumer
        self.logger = logger
        let now = clock.monotonicNanoseconds()
        budget = RateBudget(requestsPerMinute: configuration.requestsPerMinute,
                            tokensPerMinute: configuration.tokensPerMinute, now: now)
        concurrency = ConcurrencyLimit(initial: min(4, configuration.maxConcurrency), maximum: configuration.maxConcurrency)
        estimator = TokenEstimator(charactersPerToken: configuration.charactersPerToken)
        format = configuration.responseFormat == "json_object" ? .jsonObject : .jsonSchema
    }

    /// Tokens the budget would grant now (benchmarks compare it with the server's view).
    public var availableTokens: Double { budget.availableTokens(now: clock.monotonicNanoseconds()) }

    /// Requests in flight and the current concurrency limit.
    public var concurrencyState: (inFlight: Int, limit: Int) { (inFlight, concurrency.limit) }

    /// Why requests are not being sent, if they are not (`/startup-status`).
    public var blockedReason: String? {
        if let unauthorized { return "the endpoint refused the API key or account: \(unauthorized)" }
        if case .open = breaker.state { return "the endpoint is failing; retrying with backoff" }
        return nil
    }

    /// Documents held (waiting, in flight, or waiting for a copy in flight).
    public var counts: ParserCounts {
        var c = ParserCounts()
        c.parsed = counters.parsed
        c.failed = counters.failed
        c.reused = counters.reused
        c.waiting = held
        c.requests = counters.requests
        c.rateLimited = counters.rateLimited
        c.serverErrors = counters.serverErrors
        c.transportErrors = counters.transportErrors
        c.promptTokens = counters.promptTokens
        c.completionTokens = counters.completionTokens
        c.cachedTokens = counters.cachedTokens
        return c
    }

    public var summary: (healthy: Bool, detail: String) {
        if let reason = blockedReason { return (false, reason) }
        let c = counters
        let mode = configuration.batchAPI ? "Batch API, \(c.batches) batches of \(c.batchRequests) requests"
            : "\(c.requests) requests, \(c.rateLimited) answered 429"
        return (true, "openai \(configuration.model) at \(configuration.baseURL): \(c.parsed) parsed, "
                    + "\(c.failed) failed, \(held) waiting, \(mode)")
    }

    public var held: Int { pending.count + retryDocuments + inFlightDocuments + followers + compacting }
    var inFlightDocuments = 0
    private var followers = 0
    private var retryDocuments: Int { retries.documents }

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
            emit(state, failure: .emptyText, detail: "the document has no text to parse")
            return
        }
        if let key = state.key {
            if let earlier = results[key] {
                emitReused(state, from: earlier)
                return
            }
            if leaders[key] != nil {
                leaders[key]!.append(state)
                followers += 1
                return
            }
            leaders[key] = []
        }
        if state.textCount > characterBudget(for: state) {
            compactOffLoop(state) { [unowned self] job in
                pending.append(job)
                pump()
            }
            return
        }
        pending.append(state)
        pump()
    }

    /// Documents the batcher takes before ``waitForRoom()`` waits: `LLM_QUEUE`, and in Batch API mode enough
    /// for the batches in flight and one filling.
    private var capacity: Int {
        guard configuration.batchAPI else { return configuration.queueCapacity }
        return max(configuration.queueCapacity, configuration.batchMaxDocuments * (configuration.batchesInFlight + 1))
    }

    /// Batch API state: batches created and not yet read, when the oldest waiting document arrived, whether
    /// `drain` asked for the waiting documents to go now, whether ``close()`` was called.
    var batchesInFlight = 0
    var batchWaitingSince: UInt64?
    var flushRequested = false
    var closed = false

    /// Documents being compacted on the pool.
    private var compacting = 0

    /// Compacts a long text on libuv's pool (a megabyte of text takes the Compactor hundreds of
    /// milliseconds: never on the loop), then hands the job on.
    private func compactOffLoop(_ job: JobState, then: @escaping @LoopActor (JobState) -> Void) {
        compacting += 1
        let budget = characterBudget(for: job)
        let text = job.job.text
        let level = job.compactionLevel
        EventLoop.spawn { [self] in
            let result = await Offload.runNonThrowing { Compactor.compact(text, budget: budget, minimumLevel: level) }
            await compacted(job, result, then: then)
        }
    }

    private func compacted(_ job: JobState, _ result: Compactor.Result, then: @LoopActor (JobState) -> Void) {
        var compacted = job
        compacted.prepared = result.text
        compacted.compactionLevel = max(job.compactionLevel, result.level)
        compacted.needsCompaction = false
        counters.compactions += 1
        compacting -= 1
        then(compacted)
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
        releaseDrainWaiters()
    }

    // MARK: Dispatch

    private var measuringDepth = 0

    /// Starts counting loop CPU as the batcher's overhead (nested calls count once).
    func startMeasuring() -> UInt64 {
        measuringDepth += 1
        return measuringDepth == 1 ? threadCPUNanoseconds() : 0
    }

    func stopMeasuring(_ start: UInt64) {
        measuringDepth -= 1
        if measuringDepth == 0 { counters.overheadNanoseconds += threadCPUNanoseconds() - start }
    }

    func pump() {
        if configuration.batchAPI {
            pumpBatches()
            return
        }
        let cpu = startMeasuring()
        defer { stopMeasuring(cpu) }
        let now = clock.monotonicNanoseconds()
        while inFlight < concurrency.limit {
            if now < notBefore {
                wake(at: notBefore)
                return
            }
            lingerUntil = 0
            guard let group = nextGroup() else {
                if lingerUntil > 0 { wake(at: lingerUntil) }
                return
            }
            guard breaker.allow(now: now) else {
                putBack(group)
                wake(at: now + 1_000_000_000)
                return
            }
            let prompt = promptCharacters(group)
            let maxTokens = maxTokens(for: group)
            // The prompt estimate is a mean: individual prompts run up to ~15% over it, and a request the
            // server counts as larger than our reservation risks a 429. Until a few answers have taught the
            // estimator this endpoint's tokenizer, the first guess may be far off: a wider margin then (the
            // first burst spends a full bucket before any answer is back). The margin is refunded on settle.
            let margin = estimator.observations < 3 ? 1.5 : 1.15
            let reserve = Int((Double(estimator.estimate(characters: prompt)) * margin).rounded(.up)) + maxTokens
            switch budget.reserve(tokens: reserve, now: now) {
            case .granted(let id):
                launch(group, reservation: id, maxTokens: maxTokens, promptCharacters: prompt, reservedTokens: reserve)
            case .wait(let until):
                putBack(group)
                wake(at: until)
                return
            }
        }
    }

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

    /// The next group to send: a retry group as it is, or new jobs packed up to the coalescing budget. A
    /// group that is not full waits up to `LLM_COALESCE_LINGER_MS` for company (then `lingerUntil` is set).
    private func nextGroup() -> [JobState]? {
        if let group = retries.popFirst() { return group }
        guard let oldest = pending.first else { return nil }
        let now = clock.monotonicNanoseconds()
        let lingerEnds = oldest.submitted + UInt64(configuration.coalesceLingerMilliseconds) * 1_000_000
        if now < lingerEnds && !fullGroupPending() {
            lingerUntil = lingerEnds
            return nil
        }
        return packGroup()
    }

    /// Pops the oldest pending jobs, as many as one request can carry.
    func packGroup() -> [JobState]? {
        guard var first = pending.popFirst() else { return nil }
        prepare(&first)
        var group = [first]
        var tokens = estimator.estimate(characters: first.preparedCount)
        while group.count < configuration.coalesceMaxDocuments, var next = pending.first {
            prepare(&next)
            let more = estimator.estimate(characters: next.preparedCount)
            guard tokens + more <= configuration.coalesceTokens,
                  (group.count + 1) * configuration.outputTokensPerResume <= configuration.maxTokens
            else { break }
            pending.removeFirst()
            group.append(next)
            tokens += more
        }
        return group
    }

    /// Whether the pending jobs already fill a request (no reason to linger).
    private func fullGroupPending() -> Bool {
        if pending.count >= configuration.coalesceMaxDocuments { return true }
        var characters = 0
        for job in pending {
            characters += min(job.textCount, configuration.maxInputCharacters)
            if estimator.estimate(characters: characters) >= configuration.coalesceTokens { return true }
        }
        return false
    }

    private func putBack(_ group: [JobState]) {
        retries.prepend(group)
    }

    /// Compacts a job's text to what one request can carry (once, or again after a length error).
    private func prepare(_ job: inout JobState) {
        guard job.prepared.isEmpty || job.needsCompaction else { return }
        let budget = characterBudget(for: job)
        if job.compactionLevel == 0 && job.textCount <= budget {
            job.prepared = job.job.text
            job.needsCompaction = false
            return
        }
        let result = Compactor.compact(job.job.text, budget: budget, minimumLevel: job.compactionLevel)
        if result.level > 0 {
            if result.level > job.compactionLevel || job.prepared.isEmpty { counters.compactions += 1 }
            job.compactionLevel = result.level
        }
        job.prepared = result.text
        job.needsCompaction = false
    }

    /// Characters a single document may use: `MAX_INPUT_CHARS`, and what the context window leaves once
    /// the system message and the completion are reserved (with a margin for the estimate's error).
    private func characterBudget(for job: JobState) -> Int {
        let system = estimator.estimate(characters: Self.systemCharacters) + 64
        let room = configuration.contextWindow - system - job.maxTokens(configuration)
        let byWindow = Int(Double(room) * estimator.charactersPerToken * 0.9 * job.shrink)
        return max(200, min(configuration.maxInputCharacters, byWindow))
    }

    private static let systemCharacters = PromptFormat.systemMessage.utf8.count

    /// The prompt's length in characters, from the cached lengths (building the message to count it would
    /// walk every text again).
    func promptCharacters(_ group: [JobState]) -> Int {
        Self.systemCharacters + group.reduce(PromptFormat.userMessageHeaderCharacters) {
            $0 + $1.preparedCount + $1.job.id.count + PromptFormat.perDocumentCharacters
        }
    }

    func maxTokens(for group: [JobState]) -> Int {
        min(configuration.maxTokens, group.reduce(0) { $0 + $1.maxTokens(configuration) } + 64)
    }

    private func launch(_ group: [JobState], reservation: UInt64, maxTokens: Int, promptCharacters: Int,
                        reservedTokens: Int) {
        inFlight += 1
        inFlightDocuments += group.count
        counters.requests += 1
        let user = PromptFormat.userMessage(group.map(\.document))
        let format = self.format
        let sentAt = clock.monotonicNanoseconds()
        EventLoop.spawn { [self] in
            let outcome: Result<OpenAIClient.Reply, HTTPClientError>
            do {
                outcome = .success(try await client.complete(system: PromptFormat.systemMessage, user: user,
                                                             maxTokens: maxTokens, format: format))
            } catch let error as HTTPClientError {
                outcome = .failure(error)
            } catch {
                outcome = .failure(HTTPClientError(kind: .other, message: "\(error)"))
            }
            await finished(group, outcome, reservation: reservation, promptCharacters: promptCharacters, format: format,
                           sentAt: sentAt, maxTokensSent: maxTokens, reservedTokens: reservedTokens)
        }
    }

    // MARK: Answers

    private func finished(_ group: [JobState], _ outcome: Result<OpenAIClient.Reply, HTTPClientError>,
                          reservation: UInt64, promptCharacters: Int, format sentFormat: OpenAIClient.ResponseFormat,
                          sentAt: UInt64, maxTokensSent: Int, reservedTokens: Int) {
        inFlight -= 1
        inFlightDocuments -= group.count
        let now = clock.monotonicNanoseconds()
        let cpu = startMeasuring()
        if case .success(let r) = outcome { counters.overheadNanoseconds += r.cpuNanoseconds }
        defer {
            pump()
            wakeWaiters()
            stopMeasuring(cpu)
        }
        let reply: OpenAIClient.Reply
        switch outcome {
        case .failure(let error):
            counters.transportErrors += 1
            if error.kind == .connect {
                _ = budget.release(id: reservation, now: now) // it never reached the server
            } else {
                // It may have been admitted and counted: assume its prompt was.
                _ = budget.settle(id: reservation, actualTokens: estimator.estimate(characters: promptCharacters), now: now)
            }
            transientFailure(group, now: now, reason: error.description)
            return
        case .success(let r):
            reply = r
        }
        budget.observe(headers: reply.rateLimits, reservation: reservation, now: now)
        handle(group, reply, reservation: reservation, promptCharacters: promptCharacters, format: sentFormat,
               sentAt: sentAt, maxTokensSent: maxTokensSent, reservedTokens: reservedTokens, now: now)
    }

    /// Acts on an answer: a direct call's (`reservation` set: the budgets settle) or a Batch API output line's
    /// (`reservation` nil: batches have no per-minute budget).
    func handle(_ group: [JobState], _ reply: OpenAIClient.Reply, reservation: UInt64?, promptCharacters: Int,
                format sentFormat: OpenAIClient.ResponseFormat, sentAt: UInt64, maxTokensSent: Int,
                reservedTokens: Int, now: UInt64) {
        func release() {
            if let reservation { _ = budget.release(id: reservation, now: now) }
        }
        switch reply.status {
        case 200:
            breaker.record(success: true, now: now)
            concurrency.succeeded()
            unauthorized = nil
            let prompt = reply.promptTokens ?? estimator.estimate(characters: promptCharacters)
            let completion = reply.completionTokens ?? 0
            if let reservation {
                // OpenAI's limiter (and llm-sim's) keeps prompt + max_tokens once admitted; refund the unused
                // completion only for endpoints known to count actual usage.
                var charged = configuration.rateLimitCountsActualUsage ? prompt + completion : prompt + maxTokensSent
                // When the answer carried the server's remaining tokens, `observe` has already taken any
                // shortfall of our reservation off the budget: charging it again here would make the budget
                // drift below the server's, a little with every under-estimated prompt.
                if reply.rateLimits.remainingTokens != nil { charged = min(charged, reservedTokens) }
                _ = budget.settle(id: reservation, actualTokens: charged, now: now)
            }
            if let p = reply.promptTokens { estimator.observe(characters: promptCharacters, promptTokens: p) }
            counters.promptTokens += prompt
            counters.completionTokens += completion
            counters.cachedTokens += reply.cachedTokens ?? 0
            answered(group, reply, promptTokens: prompt, completionTokens: completion)
        case 429 where reply.error?.isInsufficientQuota == true:
            // Out of credit: waiting for the limit would not help; documents wait for an operator.
            release()
            unauthorized = "insufficient_quota: " + (reply.error?.message ?? "")
            for _ in 0..<5 { breaker.record(success: false, now: now) }
            retries.prepend(group)
        case 429:
            counters.rateLimited += 1
            release()
            let kind = reply.error?.rateLimitKind ?? .tokens
            let wait = reply.rateLimits.retryAfter ?? reply.error?.rateLimit?.retryIn ?? 1_000_000_000
            if let reservation {
                budget.penalize(retryAfterNanoseconds: wait, kind: kind, now: now)
                budget.resynchronize(after: reservation, headers: reply.rateLimits, now: now)
                concurrency.throttled(now: now, sentAt: sentAt)
            } else {
                notBefore = max(notBefore, now + wait)
            }
            retries.prepend(group)
        case 400 where reply.error?.code == "context_length_exceeded":
            counters.contextOverflows += 1
            release()
            if let overflow = reply.error?.contextOverflow,
               let sentTokens = overflow.promptTokens {
                // The endpoint counted our prompt exactly: learn the real ratio before recomputing budgets.
                estimator.observe(characters: promptCharacters, promptTokens: sentTokens)
            }
            if group.count > 1 {
                bisect(group)
            } else {
                var job = group[0]
                job.shrink *= 0.8
                job.compactionLevel = min(3, job.compactionLevel + 1)
                job.warnings.append("compacted after context_length_exceeded (level \(job.compactionLevel))")
                compactOffLoop(job) { [unowned self] compacted in
                    retries.prepend([compacted])
                    pump()
                }
            }
        case 400 where sentFormat == .jsonSchema && (reply.error?.param == "response_format"
                                                    || (reply.error?.message.contains("response_format") ?? false)):
            // The endpoint does not take structured outputs: JSON mode from now on.
            release()
            logger.notice("endpoint refuses json_schema response_format; using json_object")
            format = .jsonObject
            retries.prepend(group)
        case 401, 403:
            release()
            unauthorized = reply.error?.message ?? "HTTP \(reply.status)"
            breaker.record(success: false, now: now)
            // Documents wait for a working key; the breaker paces the probes.
            for _ in 0..<5 { breaker.record(success: false, now: now) }
            retries.prepend(group)
        case 400..<500:
            release()
            if group.count > 1 {
                bisect(group)
            } else {
                fail(group[0], .requestRejected, "the endpoint refused the request (\(reply.status)): "
                        + (reply.error?.message ?? "no error body"))
            }
        default:
            counters.serverErrors += 1
            release()
            transientFailure(group, now: now, reason: "HTTP \(reply.status): \(reply.error?.message ?? "no error body")")
        }
    }

    private func answered(_ group: [JobState], _ reply: OpenAIClient.Reply, promptTokens: Int, completionTokens: Int) {
        let ids = Set(group.map(\.job.id))
        let answers: [String: PromptFormat.Answer]
        do throws(PromptFormat.InvalidAnswer) {
            guard reply.finishReason != "length" else {
                throw PromptFormat.InvalidAnswer(message: "the answer was cut off at max_tokens")
            }
            answers = try PromptFormat.decodeAnswer(reply.content ?? "", expected: ids)
        } catch {
            counters.invalidAnswers += 1
            invalid(group, reason: error.message, truncated: reply.finishReason == "length")
            return
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
            var doc = document(job, status: .parsed)
            doc.resume = answer.resume
            doc.promptTokens = Int((Double(promptTokens) * share).rounded())
            doc.completionTokens = Int((Double(completionTokens) * share).rounded())
            doc.injectionSuspected = doc.injectionSuspected || answer.injectionSuspected
            if answer.injectionSuspected && !doc.warnings.contains("prompt_injection_suspected") {
                doc.warnings.append("prompt_injection_suspected")
            }
            let r = answer.resume
            if r.basics?.email == nil && r.basics?.phone == nil && (r.work ?? []).isEmpty && (r.education ?? []).isEmpty {
                doc.warnings.append("not_a_resume: no e-mail, phone, work or education found")
            }
            deliver(doc, job: job)
        }
        if !missing.isEmpty {
            // A partial answer: what is missing goes again, on its own.
            counters.bisections += 1
            for job in missing { retries.append([job]) }
        }
    }

    private func invalid(_ group: [JobState], reason: String, truncated: Bool) {
        if group.count > 1 {
            bisect(group)
            return
        }
        var job = group[0]
        if truncated && job.outputBoost < 4 && job.maxTokens(configuration) < configuration.maxTokens {
            job.outputBoost *= 2
            retries.prepend([job])
            return
        }
        if !job.repaired {
            job.repaired = true
            job.warnings.append("answer repaired: \(reason)")
            retries.prepend([job])
            return
        }
        fail(job, .invalidOutput, "the model's answer stayed invalid after a retry: \(reason)")
    }

    func bisect(_ group: [JobState]) {
        counters.bisections += 1
        let half = group.count / 2
        retries.prepend(Array(group[half...]))
        retries.prepend(Array(group[..<half]))
    }

    func transientFailure(_ group: [JobState], now: UInt64, reason: String) {
        let wasClosed: Bool = if case .closed = breaker.state { true } else { false }
        breaker.record(success: false, now: now)
        concurrency.failed()
        var again: [JobState] = []
        for var job in group {
            // Attempts count only while the endpoint answers others: during an outage documents wait.
            if wasClosed { job.attempts += 1 }
            if job.attempts > 8 {
                fail(job, .unavailable, "the endpoint failed this document \(job.attempts) times: \(reason)")
            } else {
                again.append(job)
            }
        }
        guard !again.isEmpty else { return }
        let attempt = again.map(\.attempts).max() ?? 1
        let delay = backoff.delay(attempt: max(1, attempt), random: Double.random(in: 0..<1, using: &random))
            ?? 30_000_000_000
        notBefore = max(notBefore, now + delay)
        retries.prepend(again)
        logger.debug("LLM request failed; retrying", metadata: ["reason": "\(reason)", "delay_ms": "\(delay / 1_000_000)"])
    }

    // MARK: Results

    private func document(_ job: JobState, status: ParsedDocument.Status) -> ParsedDocument {
        let injection = InjectionPatterns.suspicious(job.job.text)
        var warnings = job.warnings
        if job.compactionLevel > 0 && !warnings.contains(where: { $0.hasPrefix("compacted") }) {
            warnings.append("compacted (level \(job.compactionLevel)) from \(job.textCount) to \(job.preparedCount) characters")
        }
        if injection { warnings.append("prompt_injection_suspected") }
        return ParsedDocument(job: job.job, status: status, resume: nil, provider: "openai", model: client.model,
                              promptTokens: 0, completionTokens: 0,
                              milliseconds: Double(clock.monotonicNanoseconds() - job.submitted) / 1e6,
                              warnings: warnings, failureCode: nil, failureDetail: nil,
                              injectionSuspected: injection, reusedFrom: nil)
    }

    func fail(_ job: JobState, _ code: ParsedDocument.FailureCode, _ detail: String) {
        var doc = document(job, status: .failed)
        doc.failureCode = code
        doc.failureDetail = detail
        deliver(doc, job: job)
    }

    private func emit(_ job: JobState, failure: ParsedDocument.FailureCode, detail: String) {
        fail(job, failure, detail)
    }

    private func emitReused(_ job: JobState, from earlier: ParsedDocument) {
        var doc = earlier
        doc.job = job.job
        doc.promptTokens = 0
        doc.completionTokens = 0
        doc.reusedFrom = earlier.job.id
        doc.milliseconds = Double(clock.monotonicNanoseconds() - job.submitted) / 1e6
        doc.warnings.append("reused the result of \(earlier.job.id) (same tenant and content)")
        counters.reused += 1
        send(doc)
    }

    private func deliver(_ doc: ParsedDocument, job: JobState) {
        if doc.status == .parsed { counters.parsed += 1 } else { counters.failed += 1 }
        if let key = job.key {
            if doc.status == .parsed {
                results[key] = doc
                resultOrder.append(key)
                if resultOrder.count > 10_000, let old = resultOrder.popFirst() { results[old] = nil }
            }
            let waiting = leaders.removeValue(forKey: key) ?? []
            followers -= waiting.count
            if doc.status == .parsed {
                for follower in waiting { emitReused(follower, from: doc) }
            } else if let next = waiting.first {
                // The leader failed: the first copy is tried on its own, the others wait for it.
                leaders[key] = Array(waiting.dropFirst())
                followers += waiting.count - 1
                pending.append(next)
            }
        }
        send(doc)
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

    private func releaseDrainWaiters() {
        let waiters = drainWaiters
        drainWaiters = []
        waiters.forEach { $0.resume() }
    }
}

/// A job on its way through the batcher.
struct JobState: Sendable {
    var job: ParseJob
    var submitted: UInt64
    /// The text as sent (compacted when needed), and its length in UTF-8 bytes: the batcher's "characters"
    /// (estimates and budgets) are bytes, which a native string knows without walking it.
    var prepared = "" {
        didSet { preparedCount = prepared.utf8.count }
    }
    private(set) var preparedCount = 0
    /// The original text's length in characters.
    let textCount: Int
    var compactionLevel = 0
    var needsCompaction = false
    /// Factor applied to the character budget after each length error.
    var shrink = 1.0
    /// Transient failures counted against this job.
    var attempts = 0
    var repaired = false
    /// Multiplier of the completion tokens reserved after a truncated answer.
    var outputBoost = 1
    var warnings: [String] = []

    init(job: ParseJob, submitted: UInt64) {
        self.job = job
        self.submitted = submitted
        textCount = job.text.utf8.count
    }

    var key: String? { job.contentSHA256.map { job.tenant + "\u{0}" + $0 } }

    var document: PromptFormat.Document { PromptFormat.Document(id: job.id, text: prepared) }

    func maxTokens(_ configuration: LLMConfiguration) -> Int {
        min(configuration.maxTokens, configuration.outputTokensPerResume * outputBoost)
    }
}

/// A queue of request groups that also counts the documents in it.
struct GroupQueue {
    private var groups = Deque<[JobState]>()
    private(set) var documents = 0

    mutating func prepend(_ group: [JobState]) {
        groups.prepend(group)
        documents += group.count
    }

    mutating func append(_ group: [JobState]) {
        groups.append(group)
        documents += group.count
    }

    mutating func popFirst() -> [JobState]? {
        guard let group = groups.popFirst() else { return nil }
        documents -= group.count
        return group
    }
}
