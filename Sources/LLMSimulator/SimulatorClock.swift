import Loop
import HTTP1
import ResumeModel
import Synchronization

/// The time `llm-sim`'s rate-limit buckets and prompt cache run on: elapsed time since a fixed origin.
///
/// Injectable so tests can move time forward without sleeping (answer latencies still run on the loop's
/// timers: they are not what tests assert).
public protocol SimulatorClock: Sendable {
    /// Time elapsed since the clock's origin; never decreases.
    func now() -> Duration
}

/// Real time (`ContinuousClock`).
public struct SystemSimulatorClock: SimulatorClock {
    private let origin = ContinuousClock.now
    public init() {}
    public func now() -> Duration { ContinuousClock.now - origin }
}

/// Time that moves only when told to.
public final class ManualSimulatorClock: SimulatorClock {
    private let elapsed = Mutex(Duration.zero)
    public init() {}
    public func now() -> Duration { elapsed.withLock { $0 } }
    /// Moves time forward by `duration`.
    public func advance(by duration: Duration) { elapsed.withLock { $0 += duration } }
}
