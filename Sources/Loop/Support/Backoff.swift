/// Delays between retries of a request that failed for a transient reason (5xx, timeout, dropped
/// connection): exponential with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015) —
/// a uniformly random delay in `[0, min(cap, base·2^(attempt−1)))`, so that clients failing together do not
/// retry together. A pure value: the randomness is the caller's, passed in.
///
/// A `Retry-After` from the server takes precedence over this; the batcher waits for the longer of the two.
public struct Backoff: Sendable, Hashable {
    /// The ceiling of the first delay, in nanoseconds.
    public let base: UInt64
    /// The ceiling of every delay, in nanoseconds.
    public let cap: UInt64
    /// Attempts in all, the first one included.
    public let maxAttempts: Int

    public init(base: UInt64 = 500_000_000, cap: UInt64 = 30_000_000_000, maxAttempts: Int = 6) {
        precondition(base > 0 && cap >= base && maxAttempts >= 1)
        self.base = base
        self.cap = cap
        self.maxAttempts = maxAttempts
    }

    /// The ceiling of the delay after attempt number `attempt` (1 for the first) failed.
    public func ceiling(attempt: Int) -> UInt64 {
        let doublings = max(0, attempt - 1)
        guard doublings < base.leadingZeroBitCount else { return cap }
        return min(cap, base << UInt64(doublings))
    }

    /// How long to wait after attempt number `attempt` (1 for the first try) failed, given `random` uniform in
    /// `0..<1` (clamped into it): `nil` when that was the last allowed attempt.
    public func delay(attempt: Int, random: Double) -> UInt64? {
        guard attempt < maxAttempts else { return nil }
        let unit = random.isNaN ? 0 : min(max(random, 0), 1.0.nextDown)
        let ceiling = ceiling(attempt: attempt)
        return min(UInt64((Double(ceiling) * unit).rounded(.down)), ceiling - 1)
    }
}
