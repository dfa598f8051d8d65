/// The deadlines of one HTTP connection as a state machine: the connection tells it what happened and when
/// (times are an ``EngineClock``'s monotonic nanoseconds, passed in, never read), and it answers with what to
/// do with the connection's one timer, or with the connection.
///
/// - Between requests, an idle keep-alive connection is closed silently `keepAlive` after the last response
///   (or after it opened).
/// - A request head must be complete `header` after its first byte, however slowly it trickles in (slowloris):
///   else `408`.
/// - While a body arrives, `bodyIdle` may pass without a byte at most, every `rateWindow` must bring
///   `minBodyBytes`, and the whole request (from its head's first byte) must be in within `request`: else `408`.
///   While the server itself has paused reading (its consumer is behind: a slow disk is not a slow client) these
///   clocks stand still.
/// - While the handler works on a complete request, nothing times out.
/// - After an answer that ends the connection early, unread bytes are discarded for `linger`, then it closes.
/// - Whatever the phase, a connection whose unsent responses stay above the server's mark for `sendStall`
///   (the client does not read them) is closed.
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
        /// Body bytes every `rateWindow` must bring at least; 0 checks no rate.
        var minBodyBytes: Int
        var rateWindow: Int
        /// The whole request, head and body; 0 sets no such deadline.
        var request: Int
        /// How long unsent responses may stay above the server's mark before the connection closes.
        var sendStall: Int

        init(keepAlive: Int, header: Int, bodyIdle: Int, linger: Int = 2_000, minBodyBytes: Int = 0,
             rateWindow: Int = 10_000, request: Int = 0, sendStall: Int = 30_000) {
            self.keepAlive = keepAlive
            self.header = header
            self.bodyIdle = bodyIdle
            self.linger = linger
            self.minBodyBytes = minBodyBytes
            self.rateWindow = rateWindow
            self.request = request
            self.sendStall = sendStall
        }

        /// A server's limits; unread bytes are discarded for two seconds after an early answer.
        init(_ limits: HTTPServerLimits) {
            self.init(keepAlive: limits.keepAliveTimeoutMilliseconds, header: limits.headerTimeoutMilliseconds,
                      bodyIdle: limits.bodyIdleTimeoutMilliseconds, minBodyBytes: limits.minBodyBytesPerWindow,
                      rateWindow: limits.bodyRateWindowMilliseconds, request: limits.requestTimeoutMilliseconds,
                      sendStall: limits.sendStallTimeoutMilliseconds)
        }
    }

    /// The clocks of a body being received. Every time is on the clock that stops while the server pauses
    /// reading: a pause moves them all later by its length when it ends.
    struct Body: Sendable, Equatable {
        /// When the request's head began (its whole-request deadline counts from here).
        var requestStart: UInt64
        /// When the last bytes arrived.
        var lastByte: UInt64
        /// When the current rate window began, and the bytes it brought so far.
        var windowStart: UInt64
        var windowBytes: Int
        /// Since when the server has paused reading, if it has.
        var pausedSince: UInt64?
    }

    /// Where the connection is, as far as time goes.
    enum Phase: Sendable, Equatable {
        /// Between requests since `since`, no byte of the next head yet. Next: `head`, `closing`, `closed`
        /// (the keep-alive time passed).
        case idle(since: UInt64)
        /// A request head began at `start`. Next: `body`, `handling`, `closing` (timed out, or the head was bad).
        case head(start: UInt64)
        /// A body is arriving (its clocks in ``Body``). Next: `handling`, `closing`.
        case body(Body)
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
        /// Answer `408` with `code` (`request_timeout`, `body_too_slow`) and `message`, then linger
        /// (``linger(at:)``).
        case requestTimeout(code: String, message: String)
    }

    let timeouts: Timeouts
    private(set) var phase: Phase
    /// The deadline the timer is armed for, if it is.
    private(set) var armed: UInt64?
    /// Since when the connection's unsent responses have been above the server's mark, if they are.
    private(set) var sendStalledSince: UInt64?

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

    /// `count` bytes arrived at `now`; in a body they hold off its idle deadline and count for its rate. A rate
    /// window that ended before them is judged first: too few bytes in it is `408 body_too_slow`.
    /// Bytes the connection still parses after pausing count for the window, whose clock stands still.
    mutating func bytesArrived(_ count: Int = 0, at now: UInt64) -> Action {
        guard case .body(var body) = phase else { return .none }
        if body.pausedSince != nil {
            body.windowBytes += count
            phase = .body(body)
            return .none
        }
        if timeouts.minBodyBytes > 0 && now >= body.windowStart + Self.nanoseconds(timeouts.rateWindow) {
            if body.windowBytes < timeouts.minBodyBytes { return tooSlow(body) }
            body.windowStart = now
            body.windowBytes = 0
        }
        body.lastByte = now
        body.windowBytes += count
        phase = .body(body)
        return schedule()
    }

    /// The server stopped reading the body at `now` (its consumer is behind): the body's clocks stop.
    mutating func readingPaused(at now: UInt64) -> Action {
        guard case .body(var body) = phase, body.pausedSince == nil else { return .none }
        body.pausedSince = now
        phase = .body(body)
        return schedule()
    }

    /// The server reads the body again at `now`: its clocks go on where they stopped.
    mutating func readingResumed(at now: UInt64) -> Action {
        guard case .body(var body) = phase, let since = body.pausedSince else { return .none }
        let paused = now > since ? now - since : 0
        body.pausedSince = nil
        body.requestStart += paused
        body.lastByte += paused
        body.windowStart += paused
        phase = .body(body)
        return schedule()
    }

    /// The connection's unsent responses went above the server's mark at `now` (later calls while they stay
    /// above change nothing).
    mutating func sendStalled(at now: UInt64) -> Action {
        guard phase != .closed, sendStalledSince == nil else { return .none }
        sendStalledSince = now
        return schedule()
    }

    /// The client took its responses down below the resume mark.
    mutating func sendDrained() -> Action {
        guard sendStalledSince != nil else { return .none }
        sendStalledSince = nil
        return schedule()
    }

    /// A request head was complete at `now`; a body follows or not.
    mutating func headComplete(at now: UInt64, expectingBody: Bool) -> Action {
        switch phase {
        case .idle, .head, .body, .handling:
            if expectingBody {
                var start = now
                if case .head(let headStart) = phase { start = headStart }
                phase = .body(Body(requestStart: start, lastByte: now, windowStart: now, windowBytes: 0))
            } else {
                phase = .handling
            }
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
        if let stalled = sendStalledSince, now >= stalled + Self.nanoseconds(timeouts.sendStall) {
            phase = .closed
            sendStalledSince = nil
            return .close
        }
        switch phase {
        case .idle, .lingering:
            phase = .closed
            return .close
        case .head:
            phase = .closing
            return .requestTimeout(code: "request_timeout",
                                   message: "the request head did not arrive within \(timeouts.header) ms")
        case .body(var body):
            if timeouts.request > 0 && now >= body.requestStart + Self.nanoseconds(timeouts.request) {
                phase = .closing
                return .requestTimeout(code: "request_timeout",
                                       message: "the request did not arrive whole within \(timeouts.request) ms")
            }
            if now >= body.lastByte + Self.nanoseconds(timeouts.bodyIdle) {
                phase = .closing
                return .requestTimeout(code: "request_timeout", message: "no body bytes for \(timeouts.bodyIdle) ms")
            }
            // The rate window ended: too few bytes in it fails; enough starts the next one.
            if body.windowBytes < timeouts.minBodyBytes { return tooSlow(body) }
            body.windowStart = now
            body.windowBytes = 0
            phase = .body(body)
            return schedule()
        case .handling, .closing, .closed:
            return .none
        }
    }

    /// The body brought too few bytes in its rate window: `408 body_too_slow`.
    private mutating func tooSlow(_ body: Body) -> Action {
        phase = .closing
        return .requestTimeout(code: "body_too_slow", message: """
            the body brought \(body.windowBytes) bytes in \(timeouts.rateWindow) ms; at least \
            \(timeouts.minBodyBytes) are needed
            """)
    }

    /// The connection closed: nothing is armed any more.
    mutating func closed() {
        phase = .closed
        armed = nil
        sendStalledSince = nil
    }

    // MARK: Decisions

    /// When the current phase times out, or the stalled sends close the connection, whichever comes first.
    var deadline: UInt64? {
        let stall = sendStalledSince.map { $0 + Self.nanoseconds(timeouts.sendStall) }
        guard let own = phaseDeadline else { return stall }
        return stall.map { min($0, own) } ?? own
    }

    private var phaseDeadline: UInt64? {
        switch phase {
        case .idle(let since): return since + Self.nanoseconds(timeouts.keepAlive)
        case .head(let start): return start + Self.nanoseconds(timeouts.header)
        case .body(let body):
            guard body.pausedSince == nil else { return nil }
            var deadline = body.lastByte + Self.nanoseconds(timeouts.bodyIdle)
            if timeouts.minBodyBytes > 0 {
                deadline = min(deadline, body.windowStart + Self.nanoseconds(timeouts.rateWindow))
            }
            if timeouts.request > 0 { deadline = min(deadline, body.requestStart + Self.nanoseconds(timeouts.request)) }
            return deadline
        case .lingering(let since): return since + Self.nanoseconds(timeouts.linger)
        case .handling, .closing, .closed: return nil
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
