/// Stops sending to an endpoint that is down, and finds out cheaply when it is back: closed → open after
/// `failureThreshold` consecutive failures → half-open after a cooldown, letting exactly one probe through →
/// closed when the probe succeeds, open again (with twice the cooldown, up to ``maximumCooldown``) when it fails.
///
/// While the breaker is open, documents are not failed: the batcher keeps them queued and sends them once it
/// closes (the "documents wait, they don't fail"). Which answers count as failures (5xx, timeouts,
/// dropped connections — not `4xx` or `429`, which say the endpoint is up) is the caller's choice.
/// A pure value fed with the time.
public struct CircuitBreaker: Sendable, Hashable {
    /// Where the breaker is.
    public enum State: Sendable, Hashable {
        /// Requests flow. Next: ``open(until:)`` when `consecutiveFailures` reaches the threshold.
        case closed(consecutiveFailures: Int)
        /// Nothing is sent before `until`. Next: ``halfOpen`` at the first ``CircuitBreaker/allow(now:)`` from
        /// `until` on.
        case open(until: UInt64)
        /// One probe is out; nothing else is sent. Next: ``closed(consecutiveFailures:)`` when it succeeds,
        /// ``open(until:)`` (cooldown doubled) when it fails.
        case halfOpen
    }

    /// The current state (an `open` state whose time has passed turns half-open at the next ``allow(now:)``).
    public private(set) var state: State = .closed(consecutiveFailures: 0)
    /// Consecutive failures that open a closed breaker.
    public let failureThreshold: Int
    /// The first cooldown, in nanoseconds.
    public let initialCooldown: UInt64
    /// The longest cooldown, in nanoseconds.
    public let maximumCooldown: UInt64
    /// The cooldown the next opening will use.
    public private(set) var cooldown: UInt64

    public init(failureThreshold: Int = 5, initialCooldown: UInt64 = 10_000_000_000,
                maximumCooldown: UInt64 = 120_000_000_000) {
        precondition(failureThreshold >= 1 && initialCooldown > 0 && maximumCooldown >= initialCooldown)
        self.failureThreshold = failureThreshold
        self.initialCooldown = initialCooldown
        self.maximumCooldown = maximumCooldown
        cooldown = initialCooldown
    }

    /// Whether a request may be sent now. Closed: yes. Open: no, until the cooldown has passed; then the breaker
    /// turns half-open and this call — only this one — answers yes: the caller must send that request (the probe)
    /// and ``record(success:now:)`` its result. Half-open: no.
    public mutating func allow(now: UInt64) -> Bool {
        switch state {
        case .closed:
            return true
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen
            return true
        case .halfOpen:
            return false
        }
    }

    /// Folds in the result of a request that was allowed. Results that arrive while open (requests sent before it
    /// opened) are ignored; in half-open the first result is taken as the probe's.
    public mutating func record(success: Bool, now: UInt64) {
        switch state {
        case .closed(let failures):
            if success {
                state = .closed(consecutiveFailures: 0)
            } else if failures + 1 >= failureThreshold {
                open(now: now)
            } else {
                state = .closed(consecutiveFailures: failures + 1)
            }
        case .open:
            break
        case .halfOpen:
            if success {
                state = .closed(consecutiveFailures: 0)
                cooldown = initialCooldown
            } else {
                cooldown = min(cooldown * 2, maximumCooldown)
                open(now: now)
            }
        }
    }

    private mutating func open(now: UInt64) {
        let (until, overflow) = now.addingReportingOverflow(cooldown)
        state = .open(until: overflow ? .max : until)
    }
}
