import DequeModule

/// What the batcher sends next, and when: the queues of waiting jobs, the per-minute budget (``RateBudget``),
/// the concurrency limit (``ConcurrencyLimit``), the ``CircuitBreaker`` and the backoff's earliest retry time.
/// A pure value with the time passed in: ``next(now:)`` returns an action, the batcher runs it (sends the
/// request, arms its one wake-up timer, or waits for the next event) and reports the answers back through the
/// event methods.
///
/// Order: groups to resend (halves of a bisected group, retries) go before new jobs, as they are; new jobs are
/// packed (``Packer``) up to the coalescing budget, and a group that is not full waits up to
/// `LLM_COALESCE_LINGER_MS` for company.
struct DispatchMachine: Sendable {
    /// A request to send.
    struct Request: Sendable {
        var group: [JobState]
        /// The budget's reservation, to settle or release with the answer.
        var reservation: UInt64
        var maxTokens: Int
        var promptCharacters: Int
        var reservedTokens: Int
        var format: OpenAIClient.ResponseFormat
        /// Estimated prompt tokens + `max_tokens`: what the context window must hold.
        var size: Int
        /// Whether the request probes an unknown context window (the only one above the sizes known to fit).
        var probe: Bool
    }

    /// What the batcher does next in Chat Completions mode.
    enum Action: Sendable {
        /// Send this request now (it is counted in flight), then ask again.
        case send(Request)
        /// Nothing may go before this time (budget, backoff, breaker, linger): wake up then and ask again.
        case armTimer(at: UInt64)
        /// Nothing to send, or every slot busy: ask again at the next event (a job, an answer).
        case idle
    }

    /// What the batcher does next in Batch API mode.
    enum BatchAction: Sendable {
        /// Send these lines as one batch (counted in flight), then ask again.
        case submit([BatchLine], documents: Int)
        /// Wait for company, or for the backoff, until this time, then ask again.
        case armTimer(at: UInt64)
        /// Nothing waits, or enough batches are in flight.
        case idle
    }

    let configuration: LLMConfiguration
    var packer: Packer
    var budget: RateBudget
    var concurrency: ConcurrencyLimit
    var breaker: CircuitBreaker
    /// The response format requests use (JSON mode once the endpoint refused structured outputs).
    var format: OpenAIClient.ResponseFormat

    /// Jobs not yet sent, in arrival order.
    var pending = Deque<JobState>()
    /// Groups to resend as they are (halves of a bisected group, retries), before anything new.
    var retries = GroupQueue()
    /// Groups to resend once their own backoff has passed (a resume an answer left out), so that one
    /// misbehaving resume does not hold the others back; by due time.
    private(set) var delayed: [(due: UInt64, group: [JobState])] = []
    private(set) var delayedDocuments = 0
    /// Requests in flight.
    private(set) var inFlight = 0
    /// The earliest time a waiting group may be tried again (rate limit, backoff, Batch API token limit).
    private(set) var notBefore: UInt64 = 0

    /// Nanoseconds a request takes per resume it carries, learned from the answers (an average that follows
    /// changes); nil until the first answer.
    private(set) var latencyPerResume: UInt64?
    /// Resumes a request carries, on average over the recent answers.
    private(set) var resumesPerRequest = 1.0
    /// Tokens reserved per request and per resume, learned as requests go (for what TPM allows in flight).
    private(set) var reservedPerRequest: Double?
    private(set) var reservedPerResume: Double?

    /// The context window is known (`LLM_CONTEXT_WINDOW` set, or stated by a `context_length_exceeded`):
    /// requests are sized to it and none is held back.
    private(set) var windowKnown: Bool
    /// While the window is not known: the largest request (estimated prompt + `max_tokens`) known to fit —
    /// 4,096 tokens, the smallest window of any chat model still served, until a larger one is answered.
    private(set) var fittingSize: Int
    /// A request above ``fittingSize`` is in flight: it alone probes the window, and the others above it wait
    /// for its answer (so that a window smaller than the setting costs one `context_length_exceeded`, not one
    /// per request in flight).
    private(set) var probing = false
    /// Groups held for the probe's answer.
    private var heldForProbe: [[JobState]] = []
    private var heldDocuments = 0

    /// Batch API: batches in flight, and since when the oldest waiting job waits.
    private(set) var batchesInFlight = 0
    private(set) var batchWaitingSince: UInt64?

    init(configuration: LLMConfiguration, now: UInt64) {
        self.configuration = configuration
        packer = Packer(configuration: configuration)
        budget = RateBudget(requestsPerMinute: configuration.requestsPerMinute,
                            tokensPerMinute: configuration.tokensPerMinute, now: now)
        // AIMD from the ceiling down: what is in flight is bounded by ``targetInFlight`` (the budgets × the
        // latency) and by the budgets' reservations; AIMD only answers 429s the limits did not foresee.
        concurrency = ConcurrencyLimit(initial: configuration.maxConcurrency, maximum: configuration.maxConcurrency)
        let cooldown = UInt64(configuration.breakerCooldownMilliseconds) * 1_000_000
        breaker = CircuitBreaker(initialCooldown: cooldown, maximumCooldown: max(cooldown, 120_000_000_000))
        format = configuration.responseFormat == "json_object" ? .jsonObject : .jsonSchema
        windowKnown = configuration.contextWindowSet
        fittingSize = min(configuration.contextWindow, 4_096)
    }

    /// Jobs waiting to be sent (new or again).
    var waiting: Int { pending.count + retries.documents + delayedDocuments + heldDocuments }

    /// Resends `group` as it is, not before `due`.
    mutating func retry(_ group: [JobState], notBefore due: UInt64) {
        let index = delayed.firstIndex { $0.due > due } ?? delayed.endIndex
        delayed.insert((due, group), at: index)
        delayedDocuments += group.count
    }

    /// Moves the delayed groups that are due at `now` to the front of the resend queue.
    private mutating func releaseDelayed(now: UInt64) {
        while let first = delayed.first, first.due <= now {
            delayed.removeFirst()
            delayedDocuments -= first.group.count
            retries.append(first.group)
        }
    }

    // MARK: Chat Completions

    /// The next thing to do at `now`.
    mutating func next(now: UInt64) -> Action {
        guard inFlight < min(concurrency.limit, targetInFlight) else { return .idle }
        if now < notBefore { return .armTimer(at: notBefore) }
        releaseDelayed(now: now)
        while true {
            var group: [JobState]
            if let retry = retries.popFirst() {
                group = retry
                // A window learned since the group was packed: its texts are cut to the new one.
                for index in group.indices { packer.prepare(&group[index]) }
            } else {
                guard let oldest = pending.first else {
                    if let due = delayed.first?.due { return .armTimer(at: due) }
                    return .idle
                }
                let limit = groupLimit()
                if limit > 1 {
                    let lingerEnds = oldest.submitted + UInt64(configuration.coalesceLingerMilliseconds) * 1_000_000
                    if now < lingerEnds && !packer.fullGroupPending(pending, limit: limit) {
                        return .armTimer(at: lingerEnds)
                    }
                }
                guard let packed = packer.packGroup(from: &pending, limit: limit) else { return .idle }
                group = packed
            }
            var probe = false
            // (Sizes matter only while the window is unknown: once known, groups are packed to fit it.)
            if !windowKnown, case let size = packer.requestSize(group), size > fittingSize {
                // Above what is known to fit: one such request at a time, the largest waiting.
                if probing {
                    hold(group)
                    continue
                }
                let sizes = heldForProbe.map(packer.requestSize)
                if let largest = sizes.indices.max(by: { sizes[$0] < sizes[$1] }), sizes[largest] > size {
                    heldDocuments += group.count - heldForProbe[largest].count
                    swap(&group, &heldForProbe[largest])
                }
                probe = true
            }
            return sendOrWait(group, now: now, probe: probe)
        }
    }

    /// Sends `group` if the budget and the breaker allow; else puts it back first in line and says when to ask
    /// again.
    ///
    /// The budget is asked before the breaker: ``CircuitBreaker/allow(now:)`` lets exactly one probe through once
    /// its cooldown has passed, and a probe taken but then held back by the budget would leave the breaker
    /// half-open with nothing in flight to close it, and parsing stalled for good.
    private mutating func sendOrWait(_ group: [JobState], now: UInt64, probe: Bool) -> Action {
        let prompt = packer.promptCharacters(group)
        let promptTokens = packer.estimator.estimate(characters: prompt)
        var maxTokens = packer.maxTokens(for: group)
        if probe {
            // The probe asks for as much completion as the configured window leaves (up to OPENAI_MAX_TOKENS):
            // the server checks prompt + max_tokens against the window at admission, so an accepted probe proves
            // the window holds every request up to that size in one round trip, and a refused one states the
            // window (refusals are not billed). The answer uses only what it needs; the extra reservation is
            // one request's.
            let generous = Int(Double(promptTokens) * 1.15)
            maxTokens = max(maxTokens, min(configuration.maxTokens, configuration.contextWindow - generous))
        }
        // The prompt estimate is a mean: individual prompts run up to ~15% over it, and a request the server
        // counts as larger than our reservation risks a 429. Until a few answers have taught the estimator this
        // endpoint's tokenizer, the first guess may be far off: a wider margin then (the first burst spends a full
        // bucket before any answer is back). The margin is refunded on settle.
        let margin = packer.estimator.observations < 3 ? 1.5 : 1.15
        let reserve = Int((Double(promptTokens) * margin).rounded(.up)) + maxTokens
        let grant = budget.nextGrantTime(tokens: reserve, now: now)
        guard grant <= now else {
            retries.prepend(group)
            return .armTimer(at: grant)
        }
        guard breaker.allow(now: now) else {
            retries.prepend(group)
            return .armTimer(at: now + 1_000_000_000)
        }
        switch budget.reserve(tokens: reserve, now: now) {
        case .granted(let id):
            inFlight += 1
            if probe { probing = true }
            reservedPerRequest = reservedPerRequest.map { $0 * 0.9 + Double(reserve) * 0.1 } ?? Double(reserve)
            let perResume = Double(reserve) / Double(group.count)
            reservedPerResume = reservedPerResume.map { $0 * 0.9 + perResume * 0.1 } ?? perResume
            return .send(Request(group: group, reservation: id, maxTokens: maxTokens, promptCharacters: prompt,
                                 reservedTokens: reserve, format: format,
                                 size: promptTokens + maxTokens, probe: probe))
        case .wait(let until):
            retries.prepend(group)
            return .armTimer(at: until)
        }
    }

    private mutating func hold(_ group: [JobState]) {
        heldForProbe.append(group)
        heldDocuments += group.count
    }

    /// The probe of the context window was answered: `fitted` when the endpoint took its size (then every
    /// request up to it fits). The held groups go again, first.
    mutating func probeEnded(size: Int, fitted: Bool) {
        probing = false
        if fitted { fittingSize = max(fittingSize, size) }
        releaseHeld()
    }

    /// The window was stated by the endpoint: requests are sized to it from now on.
    mutating func windowLearned() {
        windowKnown = true
        releaseHeld()
    }

    private mutating func releaseHeld() {
        for group in heldForProbe.reversed() { retries.prepend(group) }
        heldForProbe = []
        heldDocuments = 0
    }

    /// A request's HTTP exchange ended (answer or transport error): its slot is free.
    mutating func requestEnded() {
        inFlight -= 1
    }

    /// A request of `resumes` resumes sent at `sentAt` was answered at `now`: its time teaches the latency.
    mutating func answered(resumes: Int, sentAt: UInt64, now: UInt64) {
        guard resumes > 0, now > sentAt else { return }
        let sample = (now - sentAt) / UInt64(resumes)
        latencyPerResume = latencyPerResume.map { ($0 / 4) * 3 + sample / 4 } ?? sample
        resumesPerRequest = resumesPerRequest * 0.75 + Double(resumes) * 0.25
    }

    // MARK: How many at once, and how many together

    /// Requests in flight the limits allow (Little's law: arrivals per second × seconds each takes), from
    /// RPM, from TPM (with the tokens a request reserves) and `LLM_MAX_CONCURRENCY`, whichever is least;
    /// a fifth more than the mean, so that jitter in the latency does not leave the budget idle. Before any
    /// answer the ceiling holds (the budgets' reservations still bound the first burst).
    var targetInFlight: Int {
        guard let latencyPerResume else { return configuration.maxConcurrency }
        // A request's latency: a request of k resumes takes about k times one resume's (output is generated
        // token after token).
        let seconds = Double(latencyPerResume) / 1e9 * resumesPerRequest
        var allowed = Double(budget.requestsPerMinute) / 60 * seconds
        if let reservedPerRequest, reservedPerRequest > 0 {
            allowed = min(allowed, Double(budget.tokensPerMinute) / 60 * seconds / reservedPerRequest)
        }
        return max(1, min(configuration.maxConcurrency, Int((allowed * 1.2).rounded(.up))))
    }

    /// Resumes one new request may carry. `LLM_COALESCE=auto`: one, as long as the budgets can keep every
    /// waiting resume in a request of its own (packing k resumes makes the answer, generated token after token,
    /// about k times slower, so it only pays when a budget runs out). When RPM binds, as many as spreads the
    /// waiting resumes over the requests RPM allows in flight. When TPM binds, as many as one request may
    /// carry (`LLM_COALESCE_MAX_DOCS`, `LLM_COALESCE_TOKENS`): the resumes then share one system message, and
    /// with tokens the limit, tokens saved are resumes gained, while the slower answer costs nothing (the
    /// budget, not the latency, sets the pace).
    func groupLimit() -> Int {
        switch configuration.coalesceMode {
        case "never": return 1
        case "always": return configuration.coalesceMaxDocuments
        default: break
        }
        guard let latencyPerResume else { return 1 }
        let seconds = Double(latencyPerResume) / 1e9
        let resumes = Double(waiting + inFlight)
        if let reservedPerResume, reservedPerResume > 0,
           resumes > Double(budget.tokensPerMinute) / 60 * seconds / reservedPerResume {
            return configuration.coalesceMaxDocuments
        }
        let requestsInFlight = max(1, Double(budget.requestsPerMinute) / 60 * seconds)
        guard resumes > requestsInFlight else { return 1 }
        return min(configuration.coalesceMaxDocuments, Int((resumes / requestsInFlight).rounded(.up)))
    }

    /// A request never got an answer: one that never reached the server gives its reservation back; one that
    /// may have been admitted and counted is charged its prompt's estimate.
    mutating func transportFailed(reservation: UInt64, reachedServer: Bool, promptCharacters: Int, now: UInt64) {
        if reachedServer {
            budget.settle(id: reservation, actualTokens: packer.estimator.estimate(characters: promptCharacters),
                          now: now)
        } else {
            budget.release(id: reservation, now: now)
        }
    }

    /// An answer's `x-ratelimit-*` headers.
    mutating func observe(_ headers: RateLimitHeaders, reservation: UInt64, now: UInt64) {
        budget.observe(headers: headers, reservation: reservation, now: now)
    }

    /// A `200`: the endpoint is up; the reservation (if any: Batch API lines have none) is settled with what the
    /// server charges, and the estimator learns from the prompt tokens counted.
    mutating func succeeded(reservation: UInt64?, promptCharacters: Int, promptTokens: Int?, charged: Int,
                            now: UInt64) {
        breaker.record(success: true, now: now)
        concurrency.succeeded()
        if let reservation { budget.settle(id: reservation, actualTokens: charged, now: now) }
        if let promptTokens { packer.estimator.observe(characters: promptCharacters, promptTokens: promptTokens) }
    }

    /// A request the server did not count (refused): its reservation goes back.
    mutating func release(_ reservation: UInt64?, now: UInt64) {
        if let reservation { budget.release(id: reservation, now: now) }
    }

    /// A `429`: a direct request empties the bucket it names for `wait` and halves concurrency; a Batch API call
    /// (no reservation) waits `wait` before the next batch.
    mutating func rateLimited(reservation: UInt64?, kind: RateLimitKind, wait: UInt64, headers: RateLimitHeaders,
                              sentAt: UInt64, now: UInt64) {
        if let reservation {
            budget.penalize(retryAfterNanoseconds: wait, kind: kind, now: now)
            budget.resynchronize(after: reservation, headers: headers, now: now)
            concurrency.throttled(now: now, sentAt: sentAt, inFlight: inFlight + 1)
        } else {
            postpone(until: now + wait)
        }
    }

    /// The endpoint refused the key or the account: the breaker opens at once, so that probes are paced by its
    /// cooldown until an operator fixes it.
    mutating func waitForOperator(now: UInt64) {
        for _ in 0..<breaker.failureThreshold { breaker.record(success: false, now: now) }
    }

    /// A transient failure (5xx, timeout, dropped connection). Returns whether the endpoint was answering before
    /// (attempts count only then: during an outage documents wait).
    mutating func transientFailure(now: UInt64) -> Bool {
        let wasClosed: Bool = if case .closed = breaker.state { true } else { false }
        breaker.record(success: false, now: now)
        concurrency.failed()
        return wasClosed
    }

    /// Nothing waiting goes before `time`.
    mutating func postpone(until time: UInt64) {
        notBefore = max(notBefore, time)
    }

    // MARK: Batch API

    /// The next thing to do at `now` in Batch API mode: a batch goes when a batch's worth waits, when the oldest
    /// has waited `LLM_BATCH_LINGER_MS`, or when `flush` (drain) asks; at most `LLM_BATCHES_IN_FLIGHT` at once.
    mutating func nextBatch(now: UInt64, flush: Bool) -> BatchAction {
        guard batchesInFlight < configuration.batchesInFlight else { return .idle }
        let waiting = self.waiting
        guard waiting > 0 else {
            batchWaitingSince = nil
            return .idle
        }
        if now < notBefore { return .armTimer(at: notBefore) }
        releaseDelayed(now: now)
        let since = batchWaitingSince ?? now
        batchWaitingSince = since
        let due = since + UInt64(configuration.batchLingerMilliseconds) * 1_000_000
        if waiting < configuration.batchMaxDocuments && now < due && !flush { return .armTimer(at: due) }
        // A refused key or model, or an endpoint failing: one batch probes after the breaker's cooldown.
        guard breaker.allow(now: now) else { return .armTimer(at: now + 1_000_000_000) }
        var lines: [BatchLine] = []
        var documents = 0
        while documents < configuration.batchMaxDocuments,
              let group = retries.popFirst() ?? packer.packGroup(from: &pending) {
            lines.append(BatchLine(group: group, promptCharacters: packer.promptCharacters(group),
                                   maxTokens: packer.maxTokens(for: group), format: format))
            documents += group.count
        }
        batchWaitingSince = self.waiting == 0 ? nil : now
        batchesInFlight += 1
        return .submit(lines, documents: documents)
    }

    /// A batch ended (answered, not run, or abandoned).
    mutating func batchEnded() {
        batchesInFlight -= 1
    }
}

/// One request line of a Batch API batch.
struct BatchLine: Sendable {
    var group: [JobState]
    var promptCharacters: Int
    var maxTokens: Int
    var format: OpenAIClient.ResponseFormat
}
