/// When a failed webhook attempt is tried again, and when to stop.
///
/// The default follows the Standard Webhooks reference schedule: after the first attempt fails, waits of up to
/// 5 s, 5 min, 30 min, 2 h, 5 h and 10 h — seven attempts in all, spread over at most 17 h 35 min 5 s — then the
/// delivery `failed`. Each wait is drawn with full jitter, uniformly in `[0, ceiling)` (as ``Backoff``; AWS
/// Architecture Blog, "Exponential Backoff and Jitter", 2015), so that the many messages an endpoint's outage
/// failed at once do not all come back together when it returns; a draw is never shorter than
/// ``minimumDelay``. No attempt is scheduled past ``window`` after the series' first (24 h), whatever the delays
/// say. A replay starts a new series.
///
/// A pure value: time and randomness are passed in.
public struct WebhookRetrySchedule: Sendable, Equatable {
    /// The ceiling of the wait after each failed attempt of a series: `delays[0]` after the first, and so on.
    /// Attempts in all: `delays.count + 1`.
    public var delays: [Duration]
    /// The latest an attempt may be scheduled, from the series' first.
    public var window: Duration
    /// The shortest wait drawn (capped by the step's ceiling).
    public var minimumDelay: Duration

    public init(delays: [Duration], window: Duration = .seconds(86_400), minimumDelay: Duration = .seconds(1)) {
        self.delays = delays
        self.window = window
        self.minimumDelay = minimumDelay
    }

    /// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h; a 24 h window.
    public static let standard = WebhookRetrySchedule(delays: [
        .seconds(5), .seconds(5 * 60), .seconds(30 * 60), .seconds(2 * 3600), .seconds(5 * 3600), .seconds(10 * 3600),
    ])

    /// Attempts a series may make.
    public var maxAttempts: Int { delays.count + 1 }

    /// When to try again (unix milliseconds) after `failed` attempts of the series have failed (1 after the
    /// first), the series having started at `seriesStartedAt`; nil to give up. `random` is uniform in `0..<1`.
    public func nextAttempt(afterFailed failed: Int, seriesStartedAt: Int64, now: Int64, random: Double) -> Int64? {
        guard failed >= 1, failed <= delays.count else { return nil }
        let ceiling = Self.milliseconds(delays[failed - 1])
        let unit = random.isNaN ? 0 : min(max(random, 0), 1.0.nextDown)
        let drawn = Int64((Double(ceiling) * unit).rounded(.down))
        let delay = min(ceiling, max(drawn, Self.milliseconds(minimumDelay)))
        let at = now + delay
        guard at <= seriesStartedAt + Self.milliseconds(window) else { return nil }
        return at
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
