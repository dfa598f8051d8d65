/// The deadlines of one HTTP connection as a state machine: the connection tells it what happened and when
/// (times are an ``EngineClock``'s monotonic nanoseconds, passed in, never read), and it answers with what to
/// do with the connection's one timer, or with the connection.
///
/// - Between requests, an idle keep-alive connection is closed silently `keepAlive` after the last response
///   (or after it opened).
/// - A request head must be complete `header` after its first byte, however slowly it trickles in (slowloris):
///   else `408`.
/// - While a body arrives, `bodyIdle` may pass without a byte at most: else `408`.
/// - While the handler works on a complete request, nothing times out.
/// - After an answer that ends the connection early, unread bytes are discarded for `linger`, then it closes.
///
/// The timer is re-armed lazily: a deadline that moves later (each body read) leaves the armed timer alone, and
/// its ``tick(at:)`` arms it again for the rest, so a stream of reads costs no timer calls.
struct HTTPConnectionTimer: Sendable {
    /// The time limits, in milliseconds.
    struct Timeouts: Sendable, Equatable {
        var keepAlive: Int
        var header: Int
        var bodyIdle: Int
        var linger: Int

        init(keepAlive: Int, header: Int, bodyIdle: Int, linger: Int = 2_000) {
            self.keepAlive = keepAlive
            self.header = header
            self.bodyIdle = bodyIdle
            self.linger = linger
        }

        /// A server's limits; unread bytes are discarded for two seconds after an early answer.
        init(_ limits: HTTPServerLimits) {
            self.init(keepAlive: limits.keepAliveTimeoutMilliseconds, header: limits.headerTimeoutMilliseconds,
                      bodyIdle: limits.bodyIdleTimeoutMilliseconds)
        }
    }

    /// Where the connection is, as far as time goes.
    enum Phase: Sendable, Equatable {
        /// Between requests since `since`, no byte of the next head yet. Next: `head`, `closing`, `closed`
        /// (the keep-alive time passed).
        case idle(since: UInt64)
        /// A request head began at `start`. Next: `body`, `handling`, `closing` (timed out, or the head was bad).
        case head(start: UInt64)
        /// A body is arriving; its last byte came at `lastByte`. Next: `handling`, `closing`.
        case body(lastByte: UInt64)
        /// The request is complete and the handler works: no deadline. Next: `idle` (keep-alive), `closing`,
        /// `lingering`.
        case handling
        /// Discarding unread bytes after an early answer since `since`. Next: `closed`.
        case lingering(since: UInt64)
        /// The connection ends without a deadline of its own (a last response being flushed, or the `408`
        /// just sent, which lingers next). Next: `lingering`, `closed`.
        case closing
        /// The timer has nothing more to do. Next: none.
        case closed
    }

    /// What the connection does.
    enum Action: Sendable, Equatable {
        /// Nothing.
        case none
        /// Arm the timer to fire at `deadline` (replacing the armed one); call ``tick(at:)`` when it fires.
        case arm(deadline: UInt64)
        /// Stop the armed timer.
        case cancel
        /// Close the connection without a word.
        case close
        /// Answer `408 request_timeout` with `message`, then linger (``linger(at:)``).
        case requestTimeout(message: String)
    }

    let timeouts: Timeouts
    private(set) var phase: Phase
    /// The deadline the timer is armed for, if it is.
    private(set) var armed: UInt64?

    /// A connection opened at `now`, idle.
    init(timeouts: Timeouts, openedAt now: UInt64) {
        self.timeouts = timeouts
        phase = .idle(since: now)
    }

    // MARK: Events

    /// Arms the timer for the connection just opened.
    mutating func opened() -> Action {
        schedule()
    }

    /// The first bytes of a request head arrived at `now` (the head is not complete). Later calls during the
    /// same head change nothing: the head's time counts from its first byte.
    mutating func headStarted(at now: UInt64) -> Action {
        guard case .idle = phase else { return .none }
        phase = .head(start: now)
        return schedule()
    }

    /// Bytes arrived at `now`; in a body they hold off its idle deadline.
    mutating func bytesArrived(at now: UInt64) -> Action {
        guard case .body = phase else { return .none }
        phase = .body(lastByte: now)
        return schedule()
    }

    /// A request head was complete at `now`; a body follows or not.
    mutating func headComplete(at now: UInt64, expectingBody: Bool) -> Action {
        switch phase {
        case .idle, .head, .body, .handling:
            phase = expectingBody ? .body(lastByte: now) : .handling
            return schedule()
        case .lingering, .closing, .closed:
            return .none
        }
    }

    /// The request's body is complete: the handler works without a deadline.
    mutating func bodyComplete() -> Action {
        guard case .body = phase else { return .none }
        phase = .handling
        return schedule()
    }

    /// A response was sent at `now` and the connection stays open for the next request.
    mutating func keptAlive(at now: UInt64) -> Action {
        switch phase {
        case .idle, .head, .body, .handling:
            phase = .idle(since: now)
            return schedule()
        case .lingering, .closing, .closed:
            return .none
        }
    }

    /// The connection closes once its last response is flushed: no deadline of ours.
    mutating func closing() -> Action {
        switch phase {
        case .idle, .head, .body, .handling:
            phase = .closing
            return schedule()
        case .lingering, .closing, .closed:
            return .none
        }
    }

    /// An early answer was sent at `now`: discard what the client still sends for a moment, then close.
    mutating func linger(at now: UInt64) -> Action {
        switch phase {
        case .lingering, .closed:
            return .none
        case .idle, .head, .body, .handling, .closing:
            phase = .lingering(since: now)
            return schedule()
        }
    }

    /// The timer fired at `now`. Before the deadline (it moved later, or the timer ran early) the timer is armed
    /// again for the rest; from the deadline on, the phase's timeout happens.
    mutating func tick(at now: UInt64) -> Action {
        armed = nil
        guard let deadline = deadline else { return .none }
        if now < deadline { return schedule() }
        switch phase {
        case .idle, .lingering:
            phase = .closed
            return .close
        case .head:
            phase = .closing
            return .requestTimeout(message: "the request head did not arrive within \(timeouts.header) ms")
        case .body:
            phase = .closing
            return .requestTimeout(message: "no body bytes for \(timeouts.bodyIdle) ms")
        case .handling, .closing, .closed:
            return .none
        }
    }

    /// The connection closed: nothing is armed any more.
    mutating func closed() {
        phase = .closed
        armed = nil
    }

    // MARK: Decisions

    /// When the current phase times out, if it does.
    var deadline: UInt64? {
        switch phase {
        case .idle(let since): since + Self.nanoseconds(timeouts.keepAlive)
        case .head(let start): start + Self.nanoseconds(timeouts.header)
        case .body(let lastByte): lastByte + Self.nanoseconds(timeouts.bodyIdle)
        case .lingering(let since): since + Self.nanoseconds(timeouts.linger)
        case .handling, .closing, .closed: nil
        }
    }

    /// The timer action for the current deadline: armed anew when none is armed or the armed one is too late;
    /// left alone when it fires at or before the deadline (its tick re-arms); stopped when there is no deadline.
    private mutating func schedule() -> Action {
        guard let deadline else {
            guard armed != nil else { return .none }
            armed = nil
            return .cancel
        }
        if let armed, armed <= deadline { return .none }
        armed = deadline
        return .arm(deadline: deadline)
    }

    private static func nanoseconds(_ milliseconds: Int) -> UInt64 { UInt64(milliseconds) * 1_000_000 }
}
