/// The per-minute budget of one API key: requests per minute (RPM) and tokens per minute (TPM), as two
/// continuously refilling token buckets. A pure value: no I/O and no clock is read inside; every event carries
/// `now`, nanoseconds from a monotonic clock, so the same events always give the same decisions.
///
/// Each bucket holds at most its per-minute limit, starts full, and refills at limit / 60 per second. The
/// arithmetic is exact: a level is an integer count of *token-nanoseconds per minute* (one token is 60·10⁹
/// units, and a bucket gains exactly `limit` units per nanosecond), so no rounding accumulates over hours of
/// refills and a wait computed by ``nextGrantTime(tokens:now:)`` ends on the first nanosecond at which the
/// bucket holds enough.
///
/// The life of a request:
/// 1. ``reserve(tokens:now:)`` takes one request and `tokens` (prompt estimate + `max_tokens`) or says how long
///    to wait.
/// 2. Its answer is folded in with ``observe(headers:reservation:now:)`` (the `x-ratelimit-*` headers) and then
///    ``settle(id:actualTokens:now:)`` (the `usage` block). A request that never reached the server is
///    ``release(id:now:)``d instead.
/// 3. A `429` is ``release(id:now:)``d (the server did not count it) and *then*
///    ``penalize(retryAfterNanoseconds:kind:now:)``d: in the other order the refund would refill the bucket the
///    penalty has just emptied.
///
/// What to pass to `settle` depends on how the server counts. A server that bills actual usage against the
/// limit is settled with `usage.prompt_tokens + usage.completion_tokens`. OpenAI counts a request at admission
/// as its prompt plus `max_tokens` and refunds nothing (so does `llm-sim`): settle those with
/// `usage.prompt_tokens + max_tokens`, which corrects only the prompt estimate.
///
/// A known gap: while a request granted from a *full* bucket is still on its way, the server's bucket is full too
/// and wastes the refill that ours has already started counting (at most transit time × rate). So the first time
/// the buckets run dry after an idle spell, one request may meet a `429`; its penalty resynchronises the two.
public struct RateBudget: Sendable {
    /// The answer to ``RateBudget/reserve(tokens:now:)``.
    public enum Reservation: Sendable, Hashable {
        /// Send now. The reservation is remembered under `id` until it is settled or released.
        case granted(id: UInt64)
        /// Nothing was taken; ask again at `untilNanoseconds` (on the same clock as `now`).
        case wait(untilNanoseconds: UInt64)
    }

    /// The per-minute request limit in force (the server's, once a response has named it).
    public var requestsPerMinute: Int { requests.limit }
    /// The per-minute token limit in force (the server's, once a response has named it).
    public var tokensPerMinute: Int { tokens.limit }
    /// No grant before this time (set by ``penalize(retryAfterNanoseconds:kind:now:)``); 0 when never penalized.
    public private(set) var blockedUntil: UInt64 = 0
    /// Reservations granted and not yet settled or released.
    public var outstandingReservations: Int { outstanding.count }
    /// Tokens held by the outstanding reservations.
    public var outstandingTokens: Int { outstanding.values.reduce(0) { $0 + $1.tokens } }

    private var requests: Bucket
    private var tokens: Bucket
    private var outstanding: [UInt64: Outstanding] = [:]
    private var nextID: UInt64 = 1

    /// A full budget at `now`. Both limits must be positive.
    public init(requestsPerMinute: Int, tokensPerMinute: Int, now: UInt64) {
        precondition(requestsPerMinute > 0 && tokensPerMinute > 0, "rate limits must be positive")
        requests = Bucket(limit: requestsPerMinute, now: now)
        tokens = Bucket(limit: tokensPerMinute, now: now)
    }

    // MARK: Events

    /// Takes one request and `tokens` tokens if both buckets hold them, else answers when they will.
    ///
    /// A request costing more than the whole TPM limit could never be covered; it is granted when the token bucket
    /// is full (and drives it into debt, repaid by refill before anything else goes), so it waits at most a
    /// minute instead of forever. The server may still refuse it ("Request too large"); splitting it is the
    /// caller's business.
    public mutating func reserve(tokens requested: Int, now: UInt64) -> Reservation {
        refill(now: now)
        let cost = max(0, requested)
        let at = grantTime(tokens: cost, now: now)
        guard at <= now else { return .wait(untilNanoseconds: at) }
        requests.level -= Self.unitsPerToken
        tokens.level -= Int128(cost) * Self.unitsPerToken
        let id = nextID
        nextID += 1
        outstanding[id] = Outstanding(tokens: cost, lowRequests: requests.level, lowTokens: tokens.level)
        markLevels()
        return .granted(id: id)
    }

    /// Folds in what a granted request actually cost: refunds `reserved − actualTokens` when it cost less (never
    /// more than was reserved, and never above the bucket's capacity), takes the difference when it cost more
    /// (possibly driving the bucket below zero: a debt that refill repays before the next grant).
    /// Unknown ids are ignored; returns whether the id was outstanding.
    @discardableResult
    public mutating func settle(id: UInt64, actualTokens: Int, now: UInt64) -> Bool {
        refill(now: now)
        guard let reservation = outstanding.removeValue(forKey: id) else { return false }
        let difference = Int128(reservation.tokens - max(0, actualTokens)) * Self.unitsPerToken
        tokens.level = min(tokens.capacity, tokens.level + difference)
        if difference < 0 { markLevels() }
        return true
    }

    /// Gives back a reservation whose request the server never counted (a connect error, or a `429`): its tokens
    /// and its request, up to the buckets' capacities. Unknown ids are ignored; returns whether the id was
    /// outstanding.
    @discardableResult
    public mutating func release(id: UInt64, now: UInt64) -> Bool {
        refill(now: now)
        guard let reservation = outstanding.removeValue(forKey: id) else { return false }
        requests.level = min(requests.capacity, requests.level + Self.unitsPerToken)
        tokens.level = min(tokens.capacity, tokens.level + Int128(reservation.tokens) * Self.unitsPerToken)
        return true
    }

    /// Corrects the budget from a response's `x-ratelimit-*` headers.
    ///
    /// Limits: a `x-ratelimit-limit-*` that differs from ours is adopted; the level is kept and clamped to the new
    /// capacity, and refill runs at the new rate from now on.
    ///
    /// Remaining: the server is authoritative but its snapshot is not simultaneous with our view — it may predate
    /// requests we have already reserved for (it has not seen them yet) or be seconds old (taken when the request
    /// was admitted, delivered with the answer). The rule, per bucket:
    /// - our budget only ever goes *down* from a header, never up;
    /// - with `reservation` (the id of the request whose answer carried the headers, still outstanding), the
    ///   snapshot was taken somewhere between that grant and now; if the server were in step with us it would
    ///   read at least our *lowest* level over that window. Only the part of the gap that is certain is taken
    ///   off the current level: `lowest − (remaining + 1)` when positive (the `+ 1` because servers round
    ///   remaining down). In-flight reservations are never counted twice, and a stale snapshot does not erase
    ///   the refill since. A correction lowers every outstanding window's low by the same amount, so the same
    ///   shortfall reported again by another answer is not taken off twice.
    /// - without `reservation`, the snapshot is taken to be now: `level = min(level, remaining + 1)`.
    public mutating func observe(headers: RateLimitHeaders, reservation: UInt64? = nil, now: UInt64) {
        refill(now: now)
        if let limit = headers.limitRequests, limit > 0, limit != requests.limit { requests.adopt(limit: limit) }
        if let limit = headers.limitTokens, limit > 0, limit != tokens.limit { tokens.adopt(limit: limit) }
        let window = reservation.flatMap { outstanding[$0] }
        if let remaining = headers.remainingRequests {
            let lowest = min(window?.lowRequests ?? requests.level, requests.level)
            let excess = requests.correct(lowest: lowest, remaining: remaining)
            if excess > 0 { shiftLows { $0.lowRequests -= excess } }
        }
        if let remaining = headers.remainingTokens {
            let lowest = min(window?.lowTokens ?? tokens.level, tokens.level)
            let excess = tokens.correct(lowest: lowest, remaining: remaining)
            if excess > 0 { shiftLows { $0.lowTokens -= excess } }
        }
    }

    /// After a `429`: nothing is granted before `now + retryAfterNanoseconds`, and the named bucket is emptied
    /// (a debt already owed stays owed). Release the refused reservation *before* this, not after.
    public mutating func penalize(retryAfterNanoseconds: UInt64, kind: RateLimitKind, now: UInt64) {
        refill(now: now)
        let (until, overflow) = now.addingReportingOverflow(retryAfterNanoseconds)
        blockedUntil = max(blockedUntil, overflow ? .max : until)
        switch kind {
        case .requests: requests.level = min(requests.level, 0)
        case .tokens: tokens.level = min(tokens.level, 0)
        }
        markLevels()
    }

    /// After a `429` whose answer carried the server's remaining counts: adopt them, less what was granted
    /// after the refused request (the server may not have seen those yet). Unlike ``observe(headers:reservation:now:)``
    /// this may *raise* the level: the refusal's snapshot is the freshest there is, and without it the emptying
    /// by ``penalize(retryAfterNanoseconds:kind:now:)`` would leave the budget below the server's for good (the
    /// difference is refill wasted every minute after). Call after `release` and `penalize`.
    public mutating func resynchronize(after refusedID: UInt64, headers: RateLimitHeaders, now: UInt64) {
        refill(now: now)
        let later = outstanding.filter { $0.key > refusedID }
        if let remaining = headers.remainingTokens {
            let unseen = Int128(later.values.reduce(0) { $0 + $1.tokens }) * Self.unitsPerToken
            tokens.level = min(tokens.capacity, Int128(remaining) * Self.unitsPerToken - unseen)
        }
        if let remaining = headers.remainingRequests {
            let unseen = Int128(later.count) * Self.unitsPerToken
            requests.level = min(requests.capacity, Int128(remaining) * Self.unitsPerToken - unseen)
        }
        markLevels()
    }

    // MARK: Queries

    /// Tokens the TPM bucket would hold at `now` (negative while in debt). Does not change the budget.
    public func availableTokens(now: UInt64) -> Double {
        Double(tokens.level(at: now)) / Double(Self.unitsPerToken)
    }

    /// Requests the RPM bucket would hold at `now`. Does not change the budget.
    public func availableRequests(now: UInt64) -> Double {
        Double(requests.level(at: now)) / Double(Self.unitsPerToken)
    }

    /// The earliest time, not before `now`, at which ``reserve(tokens:now:)`` would grant `tokens` if nothing
    /// else happened in between. Equal to `now` when it would grant now.
    public func nextGrantTime(tokens requested: Int, now: UInt64) -> UInt64 {
        var copy = self
        copy.refill(now: now)
        return copy.grantTime(tokens: max(0, requested), now: now)
    }

    // MARK: Internals

    /// Units per token (and per request): nanoseconds per minute, so that refill is `limit` units per nanosecond.
    static let unitsPerToken: Int128 = 60_000_000_000

    /// One bucket, in units of ``RateBudget/unitsPerToken`` per token.
    struct Bucket: Sendable {
        private(set) var limit: Int
        var level: Int128
        private(set) var updated: UInt64

        init(limit: Int, now: UInt64) {
            self.limit = limit
            level = Int128(limit) * RateBudget.unitsPerToken
            updated = now
        }

        var capacity: Int128 { Int128(limit) * RateBudget.unitsPerToken }

        /// The level at `now`; time going backwards counts as no time.
        func level(at now: UInt64) -> Int128 {
            guard now > updated, level < capacity else { return level }
            let missing = capacity - level
            let elapsed = Int128(now - updated)
            // Compared before multiplying so that a long idle period cannot overflow.
            return elapsed >= (missing + Int128(limit) - 1) / Int128(limit) ? capacity : level + elapsed * Int128(limit)
        }

        mutating func refill(now: UInt64) {
            level = level(at: now)
            updated = max(updated, now)
        }

        /// Nanoseconds after `updated` until the level reaches `units` (0 when it already has).
        func nanoseconds(until units: Int128) -> Int128 {
            let missing = units - level
            guard missing > 0 else { return 0 }
            return (missing + Int128(limit) - 1) / Int128(limit)
        }

        mutating func adopt(limit newLimit: Int) {
            limit = newLimit
            level = min(level, capacity)
        }

        /// Lowers the level by what the server's `remaining` proves we over-count, and returns that amount (0 if
        /// nothing is proven).
        mutating func correct(lowest: Int128, remaining: Int) -> Int128 {
            let ceiling = (Int128(remaining) + 1) * RateBudget.unitsPerToken
            guard lowest > ceiling else { return 0 }
            level -= lowest - ceiling
            return lowest - ceiling
        }
    }

    /// A granted reservation, with the lowest levels each bucket has shown since it was granted (the window in
    /// which the server's snapshot for its answer was taken).
    struct Outstanding: Sendable {
        var tokens: Int
        var lowRequests: Int128
        var lowTokens: Int128
    }

    private mutating func refill(now: UInt64) {
        requests.refill(now: now)
        tokens.refill(now: now)
    }

    /// When a reservation of `cost` tokens can be granted, given buckets refilled to `now`.
    private func grantTime(tokens cost: Int, now: UInt64) -> UInt64 {
        let needed = min(Int128(cost) * Self.unitsPerToken, tokens.capacity)
        let wait = max(requests.nanoseconds(until: Self.unitsPerToken), tokens.nanoseconds(until: needed))
        let ready = Int128(max(now, tokens.updated)) + wait
        return max(blockedUntil, ready > Int128(UInt64.max) ? .max : UInt64(ready))
    }

    /// A correction means we over-counted all along: every window's low was that much lower too (so the same
    /// news, carried by another answer, is not taken off twice).
    private mutating func shiftLows(_ shift: (inout Outstanding) -> Void) {
        for id in outstanding.keys { shift(&outstanding[id]!) }
    }

    /// Records the current levels in every outstanding reservation's low-water marks (after a level went down;
    /// between events levels only rise, so these are the window minima).
    private mutating func markLevels() {
        for id in outstanding.keys {
            outstanding[id]!.lowRequests = min(outstanding[id]!.lowRequests, requests.level)
            outstanding[id]!.lowTokens = min(outstanding[id]!.lowTokens, tokens.level)
        }
    }
}
