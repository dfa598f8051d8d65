@testable import HTTP1
import Testing
import TestSupport

/// The connection's deadlines without a socket or a sleep: a manual clock moves, the machine is told what
/// happened, and its actions are checked.
@Suite("HTTP connection timer")
struct HTTPConnectionTimerTests {
    private let timeouts = HTTPConnectionTimer.Timeouts(keepAlive: 200, header: 300, bodyIdle: 500, linger: 2_000)

    /// A connection opened now, with its first action.
    private func open(_ clock: ManualClock) -> (HTTPConnectionTimer, HTTPConnectionTimer.Action) {
        var timer = HTTPConnectionTimer(timeouts: timeouts, openedAt: clock.now)
        let action = timer.opened()
        return (timer, action)
    }

    @Test("an idle keep-alive connection closes silently when its time has passed, not a moment before")
    func keepAlive() {
        let clock = ManualClock()
        let opened = clock.now
        var (timer, action) = open(clock)
        #expect(action == .arm(deadline: opened + ms(200)))
        clock.advance(by: .milliseconds(199))
        #expect(timer.tick(at: clock.now) == .arm(deadline: opened + ms(200)), "a timer that ran early is re-armed")
        clock.advance(by: .milliseconds(1))
        #expect(timer.tick(at: clock.now) == .close)
        #expect(timer.phase == .closed)
        #expect(timer.tick(at: clock.now + ms(10_000)) == .none)
    }

    @Test("slowloris: a head trickling in gets 408 its header time after its first byte, whatever arrives")
    func slowloris() {
        let clock = ManualClock()
        var (timer, _) = open(clock)
        clock.advance(by: .milliseconds(150))
        let first = clock.now
        // The header deadline (first + 300) is later than the keep-alive one (opened + 200): the armed timer
        // stays and its tick arms the rest.
        #expect(timer.headStarted(at: first) == .none)
        #expect(timer.armed == first - ms(150) + ms(200))
        for _ in 0..<5 {
            clock.advance(by: .milliseconds(40))
            #expect(timer.bytesArrived(at: clock.now) == .none)
            #expect(timer.headStarted(at: clock.now) == .none, "the head's time runs from its first byte")
        }
        #expect(timer.tick(at: first + ms(50)) == .arm(deadline: first + ms(300)))
        #expect(timer.tick(at: first + ms(299)) == .arm(deadline: first + ms(300)))
        #expect(timer.tick(at: first + ms(300))
            == .requestTimeout(code: "request_timeout", message: "the request head did not arrive within 300 ms"))
        #expect(timer.phase == .closing)
    }

    @Test("a head begun later than the keep-alive deadline arms an earlier timer at once")
    func headArmsEarlier() {
        let clock = ManualClock()
        var timer = HTTPConnectionTimer(
            timeouts: .init(keepAlive: 60_000, header: 300, bodyIdle: 500), openedAt: clock.now)
        #expect(timer.opened() == .arm(deadline: clock.now + ms(60_000)))
        clock.advance(by: .milliseconds(10))
        #expect(timer.headStarted(at: clock.now) == .arm(deadline: clock.now + ms(300)))
    }

    @Test("a body that keeps arriving never times out; one that stalls gets 408 its idle time after the last byte")
    func bodyIdle() {
        let clock = ManualClock()
        var (timer, _) = open(clock)
        clock.advance(by: .milliseconds(10))
        let head = clock.now
        #expect(timer.headComplete(at: head, expectingBody: true) == .none, "the armed timer fires earlier")
        var last = head
        for _ in 0..<20 {
            clock.advance(by: .milliseconds(100))
            last = clock.now
            #expect(timer.bytesArrived(at: last) == .none, "a read costs no timer call")
        }
        // Two seconds of body, the timer (armed for the keep-alive deadline) long past: each tick arms the rest.
        #expect(timer.tick(at: last) == .arm(deadline: last + ms(500)))
        #expect(timer.tick(at: last + ms(499)) == .arm(deadline: last + ms(500)))
        #expect(timer.tick(at: last + ms(500))
            == .requestTimeout(code: "request_timeout", message: "no body bytes for 500 ms"))
    }

    @Test("nothing times out while the handler works; the response starts the keep-alive time")
    func handling() {
        let clock = ManualClock()
        var (timer, _) = open(clock)
        clock.advance(by: .milliseconds(5))
        #expect(timer.headComplete(at: clock.now, expectingBody: true) == .none)
        #expect(timer.bodyComplete() == .cancel)
        #expect(timer.armed == nil)
        clock.advance(by: .seconds(3600))
        #expect(timer.tick(at: clock.now) == .none)
        #expect(timer.keptAlive(at: clock.now) == .arm(deadline: clock.now + ms(200)))
        #expect(timer.phase == .idle(since: clock.now))
    }

    @Test("a head without a body stops the timer; its response restarts it")
    func headWithoutBody() {
        let clock = ManualClock()
        var (timer, _) = open(clock)
        #expect(timer.headComplete(at: clock.now, expectingBody: false) == .cancel)
        #expect(timer.bodyComplete() == .none)
        clock.advance(by: .milliseconds(40))
        #expect(timer.keptAlive(at: clock.now) == .arm(deadline: clock.now + ms(200)))
    }

    @Test("after a 408 the connection lingers, then closes; a last response closes without a deadline")
    func lingerAndClosing() {
        let clock = ManualClock()
        var (timer, _) = open(clock)
        _ = timer.headStarted(at: clock.now)
        clock.advance(by: .milliseconds(300))
        _ = timer.tick(at: clock.now)
        #expect(timer.linger(at: clock.now) == .arm(deadline: clock.now + ms(2_000)))
        // Bytes discarded while lingering count for nothing.
        #expect(timer.bytesArrived(at: clock.now + ms(1_000)) == .none)
        #expect(timer.keptAlive(at: clock.now) == .none)
        #expect(timer.tick(at: clock.now + ms(2_000)) == .close)

        var (last, _) = open(clock)
        _ = last.headComplete(at: clock.now, expectingBody: false)
        #expect(last.closing() == .none, "nothing was armed")
        #expect(last.phase == .closing)
        #expect(last.tick(at: clock.now + ms(100_000)) == .none)
    }

    @Test("once closed nothing arms the timer again")
    func closed() {
        let clock = ManualClock()
        var (timer, _) = open(clock)
        timer.closed()
        #expect(timer.armed == nil)
        #expect(timer.headStarted(at: clock.now) == .none)
        #expect(timer.headComplete(at: clock.now, expectingBody: true) == .none)
        #expect(timer.linger(at: clock.now) == .none)
        #expect(timer.tick(at: clock.now + ms(1_000)) == .none)
    }

    @Test("the server's limits are the timeouts; unread bytes linger two seconds")
    func fromLimits() {
        var limits = HTTPServerLimits()
        limits.headerTimeoutMilliseconds = 7
        limits.bodyIdleTimeoutMilliseconds = 8
        limits.keepAliveTimeoutMilliseconds = 9
        limits.minBodyBytesPerWindow = 10
        limits.bodyRateWindowMilliseconds = 11
        limits.requestTimeoutMilliseconds = 12
        limits.sendStallTimeoutMilliseconds = 13
        #expect(HTTPConnectionTimer.Timeouts(limits) == .init(
            keepAlive: 9, header: 7, bodyIdle: 8, linger: 2_000, minBodyBytes: 10, rateWindow: 11, request: 12,
            sendStall: 13))
    }

    // MARK: Rate, whole-request deadline, pauses, stalled sends (issue 11, findings 2 and 6)

    private let slowBodies = HTTPConnectionTimer.Timeouts(
        keepAlive: 60_000, header: 10_000, bodyIdle: 30_000, minBodyBytes: 1_000, rateWindow: 300, request: 5_000,
        sendStall: 100)

    /// A connection whose body began now.
    private func receivingBody(_ clock: ManualClock) -> HTTPConnectionTimer {
        var timer = HTTPConnectionTimer(timeouts: slowBodies, openedAt: clock.now)
        _ = timer.opened()
        _ = timer.headComplete(at: clock.now, expectingBody: true)
        return timer
    }

    @Test("one byte now and then holds off the idle deadline but not the rate: 408 body_too_slow at the window's end")
    func belowMinimumRate() {
        let clock = ManualClock()
        let start = clock.now
        var timer = receivingBody(clock)
        #expect(timer.armed == start + ms(300), "the rate window ends before the idle deadline")
        for _ in 0..<29 {
            clock.advance(by: .milliseconds(10))
            #expect(timer.bytesArrived(1, at: clock.now) == .none)
        }
        #expect(timer.tick(at: start + ms(300)) == .requestTimeout(
            code: "body_too_slow", message: "the body brought 29 bytes in 300 ms; at least 1000 are needed"))
        #expect(timer.phase == .closing)
    }

    @Test("a body at the minimum rate goes on window after window")
    func atMinimumRate() {
        let clock = ManualClock()
        var timer = receivingBody(clock)
        for window in 1...5 {
            clock.advance(by: .milliseconds(100))
            #expect(timer.bytesArrived(1_000, at: clock.now) == .none)
            clock.advance(by: .milliseconds(200))
            #expect(timer.tick(at: clock.now) == .arm(deadline: clock.now + ms(300)), "window \(window) passed")
        }
        #expect(timer.bodyComplete() == .cancel)
    }

    @Test("bytes that arrive after a window ended judge that window first")
    func lateBytesJudgeTheirWindow() {
        let clock = ManualClock()
        let start = clock.now
        var timer = receivingBody(clock)
        #expect(timer.bytesArrived(100, at: start + ms(50)) == .none)
        #expect(timer.bytesArrived(5_000, at: start + ms(350)) == .requestTimeout(
            code: "body_too_slow", message: "the body brought 100 bytes in 300 ms; at least 1000 are needed"))
    }

    @Test("a request that keeps the rate still ends at its deadline, counted from the head's first byte")
    func wholeRequestDeadline() {
        let clock = ManualClock()
        var timer = HTTPConnectionTimer(timeouts: slowBodies, openedAt: clock.now)
        _ = timer.opened()
        let first = clock.now
        _ = timer.headStarted(at: first)
        clock.advance(by: .milliseconds(100))
        _ = timer.headComplete(at: clock.now, expectingBody: true)
        var action = HTTPConnectionTimer.Action.none
        while clock.now < first + ms(5_000) {
            clock.advance(by: .milliseconds(50))
            _ = timer.bytesArrived(600, at: clock.now)
            if let armed = timer.armed, armed <= clock.now { action = timer.tick(at: clock.now) }
            if case .requestTimeout = action { break }
        }
        #expect(clock.now == first + ms(5_000))
        #expect(action == .requestTimeout(code: "request_timeout",
                                          message: "the request did not arrive whole within 5000 ms"))
    }

    @Test("while the server has paused reading the body's clocks stand still; they resume where they stopped")
    func pausedReadingStopsTheClocks() {
        let clock = ManualClock()
        let start = clock.now
        var timer = receivingBody(clock)
        #expect(timer.bytesArrived(400, at: start + ms(100)) == .none)
        #expect(timer.readingPaused(at: start + ms(100)) == .cancel)
        #expect(timer.deadline == nil)
        // An hour of a slow disk: no 408 of any kind (idle, rate or whole request).
        #expect(timer.tick(at: start + ms(3_600_000)) == .none)
        #expect(timer.bytesArrived(100, at: start + ms(3_600_000)) == .none,
                "the rest of a read, parsed after the pause")
        #expect(timer.readingPaused(at: start + ms(3_600_000)) == .none, "pauses are counted by the connection")
        let resumed = start + ms(3_600_100)
        // The window had 200 ms left, 500 bytes in it: it ends 200 ms after the resumption.
        #expect(timer.readingResumed(at: resumed) == .arm(deadline: resumed + ms(200)))
        #expect(timer.bytesArrived(500, at: resumed + ms(100)) == .none)
        #expect(timer.tick(at: resumed + ms(200)) == .arm(deadline: resumed + ms(500)), "1,000 bytes: enough")
        #expect(timer.readingResumed(at: resumed + ms(300)) == .none, "not paused")
    }

    @Test("unsent responses above the mark for the stall time close the connection; draining in time does not")
    func sendStall() {
        let clock = ManualClock()
        var timer = HTTPConnectionTimer(timeouts: slowBodies, openedAt: clock.now)
        _ = timer.opened()
        _ = timer.headComplete(at: clock.now, expectingBody: false)
        let stalled = clock.now + ms(10)
        #expect(timer.keptAlive(at: stalled) == .arm(deadline: stalled + ms(60_000)))
        #expect(timer.sendStalled(at: stalled) == .arm(deadline: stalled + ms(100)))
        #expect(timer.sendStalled(at: stalled + ms(50)) == .none, "the stall counts from its start")
        #expect(timer.sendDrained() == .none, "the armed timer fires earlier and re-arms")
        #expect(timer.tick(at: stalled + ms(100)) == .arm(deadline: stalled + ms(60_000)))

        let again = stalled + ms(1_000)
        #expect(timer.sendStalled(at: again) == .arm(deadline: again + ms(100)))
        #expect(timer.tick(at: again + ms(99)) == .arm(deadline: again + ms(100)))
        #expect(timer.tick(at: again + ms(100)) == .close)
        #expect(timer.phase == .closed)
        #expect(timer.sendStalled(at: again + ms(200)) == .none)
    }

    private func ms(_ milliseconds: UInt64) -> UInt64 { milliseconds * 1_000_000 }
}

extension ManualClock {
    fileprivate var now: UInt64 { monotonicNanoseconds() }
}
