import Loop
import HTTP1
import ResumeModel
/// OpenAI's per-minute limits as two continuously refilling buckets: `requestsPerMinute` requests and
/// `tokensPerMinute` tokens, each refilling at limit/60 s⁻¹ up to the limit. A pure value fed with the time.
///
/// A request is admitted when the request bucket holds one request and the token bucket holds its cost
/// (prompt tokens + max_tokens); both are taken at admission and never refunded. A request refused with
/// `429` takes nothing. The error message's "Used" is the limit minus what the bucket holds, and "try again
/// in" is the time until it holds enough — which is how OpenAI's own numbers relate (Limit 30000, Used 29937,
/// Requested 385 → 322 tokens short at 500/s → "644ms").
///
/// Sources (see docs/llm-sim-fidelity.md):
/// - Continuous refill: headers quoted on community.openai.com ("How to get rate limit reset time for response
///   API?") read limit 5000 RPM, 4999 left, `x-ratelimit-reset-requests: 12ms` — one request at 60 s / 5000 —
///   and 160000 TPM, 24 tokens used, `x-ratelimit-reset-tokens: 9ms` — 24 × 60 s / 160000. The cookbook's
///   api_request_parallel_processor.py refills its own buckets the same way (limit × elapsed / 60 s).
/// - Never refunded: in "What is new field in Rate limits (x-ratelimit-reset-tokens_usage_based)"
///   (community.openai.com) `x-ratelimit-remaining-tokens` fell faster than its `_usage_based` twin, as a
///   count of reservations rather than of tokens used would. (There 4379 tokens used of a 1500000 daily
///   limit show `reset-tokens: 4m12.172s`, 4379 × 24 h / 1500000: the same continuous refill.)
struct SimulatorRateLimiter: Sendable {
    /// One bucket.
    struct Bucket: Sendable {
        let limit: Int
        private(set) var level: Double
        private var updated: Duration

        init(limit: Int, now: Duration) {
            self.limit = limit
            level = Double(limit)
            updated = now
        }

        /// Units per millisecond.
        var rate: Double { Double(limit) / 60_000 }

        mutating func refill(now: Duration) {
            guard now > updated else { return }
            let elapsed = Double((now - updated) / .microseconds(1)) / 1000
            level = min(Double(limit), level + elapsed * rate)
            updated = now
        }

        mutating func take(_ amount: Int) { level -= Double(amount) }

        /// What the bucket holds, rounded down (the `x-ratelimit-remaining-*` value).
        var remaining: Int { max(0, Int(level.rounded(.down))) }

        /// Milliseconds until it holds `amount`, rounded up.
        func millisecondsUntil(_ amount: Int) -> Int {
            let missing = Double(amount) - level
            return missing <= 0 ? 0 : Int((missing / rate).rounded(.up))
        }

        /// Milliseconds until it is full again (the `x-ratelimit-reset-*` value).
        var millisecondsUntilFull: Int { millisecondsUntil(limit) }
    }

    /// The decision on one request.
    enum Verdict: Sendable, Equatable {
        /// Taken from both buckets.
        case admitted
        /// No request left: `429` type `requests`.
        case requestsExceeded(used: Int, retryMilliseconds: Int)
        /// Not enough tokens left: `429` type `tokens`.
        case tokensExceeded(used: Int, retryMilliseconds: Int)
        /// The cost exceeds the whole per-minute limit: `429` "Request too large"; waiting cannot help.
        case tooLarge
    }

    private(set) var requests: Bucket
    private(set) var tokens: Bucket

    init(requestsPerMinute: Int, tokensPerMinute: Int, now: Duration) {
        requests = Bucket(limit: requestsPerMinute, now: now)
        tokens = Bucket(limit: tokensPerMinute, now: now)
    }

    /// Refills to `now`, then admits a request costing `cost` tokens or says why not.
    mutating func admit(cost: Int, now: Duration) -> Verdict {
        refill(now: now)
        if requests.level < 1 {
            return .requestsExceeded(used: requests.limit - requests.remaining,
                                     retryMilliseconds: max(1, requests.millisecondsUntil(1)))
        }
        if cost > tokens.limit { return .tooLarge }
        if tokens.level < Double(cost) {
            return .tokensExceeded(used: tokens.limit - tokens.remaining,
                                   retryMilliseconds: max(1, tokens.millisecondsUntil(cost)))
        }
        requests.take(1)
        tokens.take(cost)
        return .admitted
    }

    mutating func refill(now: Duration) {
        requests.refill(now: now)
        tokens.refill(now: now)
    }

    /// The six `x-ratelimit-*` headers for the buckets' current state: OpenAI's rate-limits guide, "Rate limits
    /// in headers", lists these six; `reset-*` is "The time until the rate limit (based on requests) resets to
    /// its initial state", i.e. until the bucket is full, in Go's duration format (``SimulatorDurationText``).
    var headers: [(name: String, value: String)] {
        [
            ("x-ratelimit-limit-requests", "\(requests.limit)"),
            ("x-ratelimit-limit-tokens", "\(tokens.limit)"),
            ("x-ratelimit-remaining-requests", "\(requests.remaining)"),
            ("x-ratelimit-remaining-tokens", "\(tokens.remaining)"),
            ("x-ratelimit-reset-requests", SimulatorDurationText.format(milliseconds: requests.millisecondsUntilFull)),
            ("x-ratelimit-reset-tokens", SimulatorDurationText.format(milliseconds: tokens.millisecondsUntilFull)),
        ]
    }
}
