import DequeModule
import Loop

/// What the scorer sends next, and when: its queue of candidates, the per-minute budget (``RateBudget``), the
/// concurrency limit (``ConcurrencyLimit``), the ``CircuitBreaker``, the token estimate (``TokenEstimator``)
/// and the backoff's earliest retry time. A pure value with the time passed in: ``next(now:)`` returns an
/// action, the scorer runs it, and reports answers back through the event methods.
///
/// Why not the parser's ``DispatchMachine``: most of it is about *groups* of resumes (the ``Packer``, lingering
/// for company, bisecting, the context-window probe held for one request at a time, the Batch API), none of
/// which scoring has — it sends one candidate per request (see ``LLMScorer``) to one context window it knows.
/// Making that machine generic over what a request carries would thread a type parameter through the packer
/// and the journal of the parse path for the sake of a few dozen lines. The parts that are the same are the
/// budget types themselves, and those are shared, not copied: the same ``RateBudget``, ``ConcurrencyLimit``,
/// ``CircuitBreaker``, ``TokenEstimator``, the same ``ReplyPolicy`` for what an answer means, the same margins.
struct ScoringDispatch: Sendable {
    /// A request to send.
    struct Request: Sendable {
        var task: ScoringTask
        /// The budget's reservation, to settle or release with the answer.
        var reservation: UInt64
        var reservedTokens: Int
        /// Completion tokens asked for (`max_tokens`).
        var maxTokens: Int
        var promptCharacters: Int
        var format: OpenAIClient.ResponseFormat
    }

    /// What the scorer does next.
    enum Action: Sendable {
        /// Send this request now (it is counted in flight), then ask again.
        case send(Request)
        /// Nothing may go before this time (budget, backoff, breaker): wake up then and ask again.
        case armTimer(at: UInt64)
        /// Nothing waits, or every slot is busy: ask again at the next event.
        case idle
    }

    var budget: RateBudget
    var concurrency: ConcurrencyLimit
    var breaker: CircuitBreaker
    var estimator: TokenEstimator
    /// The response format requests use (JSON mode once the endpoint refused structured outputs).
    var format: OpenAIClient.ResponseFormat
    /// Candidates waiting, in order; retries go first.
    private(set) var queue = Deque<ScoringTask>()
    /// Requests in flight.
    private(set) var inFlight = 0
    /// Nothing waiting goes before this time (a backoff after a transient failure).
    private(set) var notBefore: UInt64 = 0
    /// The most completion tokens a request asks for before any boost (`OPENAI_MAX_TOKENS` if lower).
    var answerCeiling: Int
    /// `OPENAI_MAX_TOKENS`: no request asks for more, boosted or not.
    let maxTokensSetting: Int
    /// Completion tokens of the valid answers, on average over the recent ones; nil before the first.
    private(set) var completionMean: Double?
    /// The least `max_tokens` a request asks for once answers have been seen.
    static let answerFloor = 300

    init(configuration: LLMConfiguration, now: UInt64) {
        budget = RateBudget(requestsPerMinute: configuration.requestsPerMinute,
                            tokensPerMinute: configuration.tokensPerMinute, now: now)
        concurrency = ConcurrencyLimit(initial: configuration.maxConcurrency, maximum: configuration.maxConcurrency)
        let cooldown = UInt64(configuration.breakerCooldownMilliseconds) * 1_000_000
        breaker = CircuitBreaker(initialCooldown: cooldown, maximumCooldown: max(cooldown, 120_000_000_000))
        estimator = TokenEstimator(charactersPerToken: configuration.charactersPerToken)
        format = .jsonSchema
        maxTokensSetting = configuration.maxTokens
        answerCeiling = min(configuration.maxTokens, LLMScorer.answerTokens)
    }

    /// `max_tokens` for `task`: until answers have been seen, ``answerCeiling``; then two and a half times the
    /// mean answer (at least ``answerFloor``, at most the ceiling), times the task's boost after a cut-off answer,
    /// within `OPENAI_MAX_TOKENS`. OpenAI counts `max_tokens` against TPM at admission whatever the answer uses,
    /// so asking for what answers need instead of a fixed allowance is candidates per minute at a TPM bound
    /// (measured on llm-sim: answers of ~170 tokens, 1,000 asked for was a third of each request's cost).
    func maxTokens(for task: ScoringTask) -> Int {
        let base = completionMean.map { min(answerCeiling, max(Self.answerFloor, Int(($0 * 2.5).rounded(.up)))) }
            ?? answerCeiling
        return min(maxTokensSetting, base * task.outputBoost)
    }

    /// A valid answer used `completionTokens`.
    mutating func observeAnswer(completionTokens: Int) {
        guard completionTokens > 0 else { return }
        completionMean = completionMean.map { $0 * 0.9 + Double(completionTokens) * 0.1 } ?? Double(completionTokens)
    }

    /// Candidates waiting to be sent.
    var waiting: Int { queue.count }

    /// Jobs whose prefix (system message) the endpoint has answered once, so it holds it in its prompt cache;
    /// and jobs whose first request is out. While a job's first request is out, its other candidates wait:
    /// an endpoint caches a prefix once a request with it has been answered, so candidates sent beside the
    /// first would each pay the whole prefix (the first wave of a new job, as many as the concurrency allows).
    /// The wait costs one request's latency per job, once (Benchmarks/llm-scoring measures both).
    private(set) var warmJobs: Set<String> = []
    private(set) var warmingJobs: Set<String> = []
    /// The shortest prefix an endpoint caches (OpenAI: 1,024 tokens): a shorter one is never cached, so its
    /// candidates need not wait for the first answer.
    static let cacheablePrefixTokens = 1_024

    /// Whether `task` may go now as far as the prompt cache is concerned.
    private func mayGo(_ task: ScoringTask) -> Bool {
        warmJobs.contains(task.jobID) || !warmingJobs.contains(task.jobID) || !cacheable(task)
    }

    private func cacheable(_ task: ScoringTask) -> Bool {
        estimator.estimate(characters: task.system.utf8.count) >= Self.cacheablePrefixTokens
    }

    /// The first request of job `jobID` ended: answered (`cached`: its prefix is in the endpoint's cache now,
    /// the job's other candidates go), or not (another of them may try).
    mutating func firstRequestEnded(jobID: String, cached: Bool) {
        guard warmingJobs.remove(jobID) != nil else { return }
        if cached {
            // Jobs come and go; the set is a hint, kept from growing without end.
            if warmJobs.count >= 10_000 { warmJobs.removeAll() }
            warmJobs.insert(jobID)
        }
    }

    /// Queues `task` last (new) or first (a retry).
    mutating func enqueue(_ task: ScoringTask, first: Bool = false) {
        if first { queue.prepend(task) } else { queue.append(task) }
    }

    /// Takes every waiting task that `predicate` picks out of the queue (a cancelled job's).
    mutating func remove(where predicate: (ScoringTask) -> Bool) -> [ScoringTask] {
        let removed = Array(queue.filter(predicate))
        if !removed.isEmpty { queue.removeAll(where: predicate) }
        return removed
    }

    /// The next thing to do at `now`.
    ///
    /// The budget is asked before the breaker: ``CircuitBreaker/allow(now:)`` lets exactly one probe through
    /// once its cooldown has passed, and a probe taken but then held back by the budget would leave the breaker
    /// half-open with nothing in flight to close it, for good.
    mutating func next(now: UInt64) -> Action {
        guard inFlight < concurrency.limit, let index = queue.firstIndex(where: mayGo) else { return .idle }
        let task = queue[index]
        if now < notBefore { return .armTimer(at: notBefore) }
        let prompt = task.promptCharacters
        let promptTokens = estimator.estimate(characters: prompt)
        // As the parser: a wider margin until a few answers have taught the estimator this endpoint's tokenizer;
        // the margin is refunded on settle.
        let margin = estimator.observations < 3 ? 1.5 : 1.15
        let maxTokens = maxTokens(for: task)
        let reserve = Int((Double(promptTokens) * margin).rounded(.up)) + maxTokens
        let grant = budget.nextGrantTime(tokens: reserve, now: now)
        if grant > now { return .armTimer(at: grant) }
        switch breaker.state {
        case .open(let until) where now < until:
            return .armTimer(at: until)
        case .halfOpen:
            // The probe is out: its answer (an event) asks again.
            return .idle
        default:
            break
        }
        guard breaker.allow(now: now) else { return .idle }
        guard case .granted(let id) = budget.reserve(tokens: reserve, now: now) else {
            // Not reached: the grant time was now. Ask again at once rather than trust it.
            return .armTimer(at: now + 1_000_000)
        }
        queue.remove(at: index)
        inFlight += 1
        if !warmJobs.contains(task.jobID), cacheable(task) { warmingJobs.insert(task.jobID) }
        return .send(Request(task: task, reservation: id, reservedTokens: reserve, maxTokens: maxTokens,
                             promptCharacters: prompt, format: format))
    }

    // MARK: Events

    /// A request's HTTP exchange ended (answer or transport error): its slot is free.
    mutating func requestEnded() {
        inFlight -= 1
    }

    /// A request never got an answer: one that never reached the server gives its reservation back; one that
    /// may have been counted is charged its prompt's estimate; the breaker and AIMD hear of it.
    mutating func transportFailed(reservation: UInt64, reachedServer: Bool, promptCharacters: Int, now: UInt64) {
        if reachedServer {
            budget.settle(id: reservation, actualTokens: estimator.estimate(characters: promptCharacters), now: now)
        } else {
            budget.release(id: reservation, now: now)
        }
        transientFailure(now: now)
    }

    /// An answer's `x-ratelimit-*` headers.
    mutating func observe(_ headers: RateLimitHeaders, reservation: UInt64, now: UInt64) {
        budget.observe(headers: headers, reservation: reservation, now: now)
    }

    /// A `200`: the endpoint is up; the reservation is settled with what the server charges, and the estimator
    /// learns from the prompt tokens counted.
    mutating func succeeded(reservation: UInt64, promptCharacters: Int, promptTokens: Int?, charged: Int,
                            now: UInt64) {
        breaker.record(success: true, now: now)
        concurrency.succeeded()
        budget.settle(id: reservation, actualTokens: charged, now: now)
        if let promptTokens { estimator.observe(characters: promptCharacters, promptTokens: promptTokens) }
    }

    /// A request the server did not count (refused): its reservation goes back.
    mutating func release(_ reservation: UInt64, now: UInt64) {
        budget.release(id: reservation, now: now)
    }

    /// A `429`: the bucket it names is emptied for `wait`, the budget takes the server's counts, concurrency
    /// halves. Call after ``release(_:now:)``.
    mutating func rateLimited(reservation: UInt64, kind: RateLimitKind, wait: UInt64, headers: RateLimitHeaders,
                              sentAt: UInt64, now: UInt64) {
        budget.penalize(retryAfterNanoseconds: wait, kind: kind, now: now)
        budget.resynchronize(after: reservation, headers: headers, now: now)
        concurrency.throttled(now: now, sentAt: sentAt, inFlight: inFlight + 1)
    }

    /// A transient failure (5xx, timeout, dropped connection): the breaker and AIMD hear of it.
    mutating func transientFailure(now: UInt64) {
        breaker.record(success: false, now: now)
        concurrency.failed()
    }

    /// The endpoint refused the key or the account: the breaker opens at once, so that probes are paced by its
    /// cooldown until an operator fixes it.
    mutating func waitForOperator(now: UInt64) {
        for _ in 0..<breaker.failureThreshold { breaker.record(success: false, now: now) }
    }

    /// Nothing waiting goes before `time`.
    mutating func postpone(until time: UInt64) {
        notBefore = max(notBefore, time)
    }
}
