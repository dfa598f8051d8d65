import Loop
import Synchronization

/// Time that moves only when a test says so: an ``EngineClock`` for components under test, so that rate
/// limits, deadlines and timestamps are tested without sleeping.
public final class ManualClock: EngineClock {
    private let state: Mutex<(nanoseconds: UInt64, unixMilliseconds: Int64)>

    /// Starts at an arbitrary monotonic origin and at `unixMilliseconds` of wall time.
    public init(unixMilliseconds: Int64 = 1_764_000_000_000) {
        state = Mutex((1_000_000_000, unixMilliseconds))
    }

    public func monotonicNanoseconds() -> UInt64 { state.withLock { $0.nanoseconds } }
    public func unixMilliseconds() -> Int64 { state.withLock { $0.unixMilliseconds } }

    /// Moves both clocks forward by `duration`.
    public func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
        state.withLock {
            $0.nanoseconds += nanoseconds
            $0.unixMilliseconds += Int64(nanoseconds / 1_000_000)
        }
    }
}
