#if canImport(Glibc)
import Glibc
#endif

/// The engine's one source of time: monotonic nanoseconds for durations, deadlines and rates, and wall-clock
/// milliseconds for the timestamps people read. Components take one (``SystemClock`` by default) so that tests
/// can move time with a manual clock instead of sleeping. libuv's timers keep their own loop time: they decide
/// when to wake, never what time it is.
public protocol EngineClock: Sendable {
    /// Nanoseconds since an arbitrary origin; never decreases.
    func monotonicNanoseconds() -> UInt64
    /// Milliseconds since the Unix epoch.
    func unixMilliseconds() -> Int64
}

extension EngineClock {
    /// Whole seconds since the Unix epoch.
    public func unixSeconds() -> Int { Int(unixMilliseconds() / 1000) }

    /// Time since `origin` (a ``monotonicNanoseconds()`` reading), as a `Duration`.
    public func elapsed(since origin: UInt64) -> Duration {
        .nanoseconds(Int64(monotonicNanoseconds() &- origin))
    }
}

/// The operating system's clocks: `CLOCK_MONOTONIC` and `CLOCK_REALTIME`.
public struct SystemClock: EngineClock {
    /// The one instance everything without an injected clock reads.
    public static let shared = SystemClock()

    public init() {}

    public func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public func unixMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
