/// How many requests may be in flight at once, adjusted by additive increase and multiplicative decrease (AIMD,
/// as TCP's congestion window): one more after `limit` consecutive successes (about one more per round of
/// answers), half as many after a `429`. A pure value; the batcher reports each answer and reads ``limit``.
public struct ConcurrencyLimit: Sendable, Hashable {
    /// Requests allowed in flight now, within `minimum...maximum`.
    public private(set) var limit: Int
    /// The floor of ``limit``.
    public let minimum: Int
    /// The ceiling of ``limit``.
    public let maximum: Int
    /// After a decrease, further `429`s within this many nanoseconds are taken as the same burst.
    public let cooldownNanoseconds: UInt64
    /// Consecutive successes since the last change or failure.
    public private(set) var successes = 0
    /// When ``limit`` was last halved (`nil` before the first time).
    public private(set) var lastDecrease: UInt64?

    /// Starts at `initial` (clamped into `minimum...maximum`).
    public init(initial: Int, minimum: Int = 1, maximum: Int, cooldownNanoseconds: UInt64 = 5_000_000_000) {
        precondition(minimum >= 1 && minimum <= maximum, "need 1 <= minimum <= maximum")
        self.minimum = minimum
        self.maximum = maximum
        self.cooldownNanoseconds = cooldownNanoseconds
        limit = min(max(initial, minimum), maximum)
    }

    /// A request succeeded: after `limit` consecutive successes the limit grows by one (up to ``maximum``).
    public mutating func succeeded() {
        successes += 1
        guard successes >= limit else { return }
        successes = 0
        limit = min(limit + 1, maximum)
    }

    /// A request was answered `429`: the limit halves (rounded down, not below ``minimum``) — at most once per
    /// cooldown window, so the burst of `429`s that one overfull window produces halves it once. A request
    /// `sentAt` or before the last decrease was sent under the old limit and is ignored as well. What halves is
    /// the lesser of the limit and `inFlight` (the requests in flight when the 429 came, itself included), as TCP
    /// halves its flight size rather than a window it was not using (RFC 5681, 3.1): with 6 in flight under a
    /// limit of 128, a storm of 429s cuts to 3, not to 64. Returns whether the limit changed.
    @discardableResult
    public mutating func throttled(now: UInt64, sentAt: UInt64? = nil, inFlight: Int? = nil) -> Bool {
        successes = 0
        if let lastDecrease {
            if now < lastDecrease &+ cooldownNanoseconds, now >= lastDecrease { return false }
            if let sentAt, sentAt <= lastDecrease { return false }
        }
        lastDecrease = now
        let halved = max(min(limit, inFlight ?? limit) / 2, minimum)
        defer { limit = halved }
        return halved != limit
    }

    /// A request failed otherwise (5xx, timeout, dropped connection): no increase, and the run of successes
    /// starts again. The limit is not cut: server errors are the circuit breaker's and the backoff's business.
    public mutating func failed() {
        successes = 0
    }
}
