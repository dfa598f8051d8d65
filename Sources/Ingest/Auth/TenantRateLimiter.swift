import Loop

/// Per-tenant request rate: a token bucket per tenant that has a rate, holding one second of requests
/// (at least one), refilled continuously. Each engine counts its own requests: behind a load balancer of N
/// engines a tenant gets up to N times its rate (the database is not asked per request).
@LoopActor
public final class TenantRateLimiter {
    private var buckets: [String: (tokens: Double, at: UInt64, rate: Double)] = [:]
    private let clock: any EngineClock

    public init(clock: any EngineClock = SystemClock.shared) { self.clock = clock }

    /// Takes one request from `tenant`'s bucket; nil when allowed, else the seconds until one is (for
    /// `Retry-After`, at least 1).
    public func admit(_ tenant: AuthenticatedTenant) -> Int? {
        guard let rate = tenant.ratePerSecond, rate > 0 else { return nil }
        let now = clock.monotonicNanoseconds()
        let capacity = max(1, rate)
        var bucket = buckets[tenant.slug] ?? (capacity, now, rate)
        if bucket.rate != rate {
            bucket.rate = rate
            bucket.tokens = min(bucket.tokens, capacity)
        }
        let elapsed = Double(now &- bucket.at) / 1e9
        bucket.tokens = min(capacity, bucket.tokens + elapsed * rate)
        bucket.at = now
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            buckets[tenant.slug] = bucket
            return nil
        }
        buckets[tenant.slug] = bucket
        let wait = (1 - bucket.tokens) / rate
        return max(1, Int(wait.rounded(.up)))
    }
}
