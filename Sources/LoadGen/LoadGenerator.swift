import Foundation
import HTTP1
import Loop

/// How a run loads the server.
package struct LoadPlan: Sendable {
    package enum Mode: Sendable, Equatable {
        /// `concurrency` connections, each sending its next request when the last is answered.
        case closed(concurrency: Int)
        /// Requests at `rate` per second on a fixed schedule, whatever the answers do, on up to
        /// `maxConnections` connections; latency counts from each request's slot in the schedule.
        case open(rate: Double, maxConnections: Int)
    }

    /// Over `seconds`, the load moves in a straight line from where it was to `level` (requests/s in the
    /// open loop, connections in the closed loop).
    package struct Stage: Sendable, Equatable {
        package var seconds: Double
        package var level: Double
        package init(seconds: Double, level: Double) {
            self.seconds = seconds
            self.level = level
        }
    }

    package var mode: Mode
    package var stages: [Stage] = []
    /// How long to send; nil: the stages' sum, or until `requests`, or 10 s.
    package var duration: Double?
    /// How many requests to send at most.
    package var requests: Int?
    package var timeoutSeconds: Double = 30
    /// An open-loop request sent this long after its slot is late.
    package var lateThresholdMilliseconds: Double = 10

    package init(mode: Mode) { self.mode = mode }

    /// Seconds of sending: the duration given, else the stages', else unbounded when a request count bounds
    /// the run, else 10 s.
    package var sendingSeconds: Double {
        if let duration { return duration }
        if !stages.isEmpty { return stages.reduce(0) { $0 + $1.seconds } }
        return requests == nil ? 10 : .infinity
    }

    /// The load at `t` seconds after the start.
    package func level(at t: Double) -> Double {
        var start: Double
        switch mode {
        case .closed(let c): start = Double(c)
        case .open(let r, _): start = r
        }
        var t = t
        for stage in stages {
            if t < stage.seconds {
                return start + (stage.level - start) * (stage.seconds > 0 ? t / stage.seconds : 1)
            }
            t -= stage.seconds
            start = stage.level
        }
        return start
    }
}

/// Runs one load test on the loop: keeps the plan's load on the target, records every answer and failure,
/// follows batches when asked, and returns the report when the last request sent has its answer (or timed out).
@LoopActor
package final class LoadGenerator: ClientConnectionOwner {
    private let plan: LoadPlan
    private let addresses: [IPAddress]
    private let port: Int
    private let feed: CorpusFeed
    private let clock: any EngineClock
    private let follower: BatchFollower?
    private let live: ((String) -> Void)?

    private var stats = LoadStats()
    /// Every open connection, by identity.
    private var byID: [ObjectIdentifier: ClientConnection] = [:]
    private var idle: [ClientConnection] = []
    /// Closed loop: connections waiting for the corpus to have a request ready.
    private var starving: [ClientConnection] = []
    /// Open loop: slots due but not sent yet (no connection or no request free), oldest first.
    private var pending: [UInt64] = []
    private var pendingHead = 0
    private var nextSlot: UInt64 = 0
    /// Requests owed by the low-rate schedule (see ``tickOpenLoop()``), as a fraction.
    private var slotCredit = 0.0
    private var start: UInt64 = 0
    private var sendUntil: UInt64 = 0
    private var issued = 0
    private var inFlight = 0
    private var stopping = false
    private var stoppedAt: UInt64 = .max
    private var addressCursor = 0
    private var connectBackoffUntil: UInt64 = 0
    private var finished: CheckedContinuation<Void, Never>?
    private var scheduler: UVTimer?
    private var sweeper: UVTimer?
    private var lastLive: (time: UInt64, answered: Int) = (0, 0)
    private var timeoutNanos: UInt64 { UInt64(plan.timeoutSeconds * 1e9) }

    package init(plan: LoadPlan, addresses: [IPAddress], port: Int, feed: CorpusFeed, follower: BatchFollower?,
                clock: any EngineClock = SystemClock.shared, live: ((String) -> Void)? = nil) {
        self.plan = plan
        self.addresses = addresses
        self.port = port
        self.feed = feed
        self.follower = follower
        self.clock = clock
        self.live = live
    }

    /// Runs the plan to its end (or until `stop()`), then waits for the answers still out.
    package func run() async -> LoadReport {
        feed.start { Task { @LoopActor [weak self] in self?.corpusHasRequests() } }
        // The clock starts once the first request is built: the client's own start-up (the first file read,
        // its body made, compressed) is not the server's latency.
        // Waited for on libuv's pool, not the loop thread: nothing else on the loop should stall behind the
        // first file read (a test process runs other tests' loops on it; a serve process would run its server).
        let feed = self.feed
        await withCheckedContinuation(isolation: LoopActor.shared) { (ready: CheckedContinuation<Void, Never>) in
            Offload.submit({ feed.waitUntilReady(seconds: 60) }, after: { ready.resume() })
        }
        start = clock.monotonicNanoseconds()
        lastLive = (start, 0)
        let seconds = plan.sendingSeconds
        sendUntil = seconds.isFinite ? start &+ UInt64(seconds * 1e9) : .max
        nextSlot = start
        let scheduler = UVTimer()
        let sweeper = UVTimer()
        self.scheduler = scheduler
        self.sweeper = sweeper
        sweep()
        switch plan.mode {
        case .closed: fillClosedLoop()
        case .open: tickOpenLoop()
        }
        await withCheckedContinuation(isolation: LoopActor.shared) { continuation in
            finished = continuation
            finishIfDone()
        }
        let end = clock.monotonicNanoseconds()
        scheduler.close()
        sweeper.close()
        feed.stop()
        for connection in byID.values { connection.close() }
        byID.removeAll()
        if let follower { await follower.drain() }
        if let error = feed.error, case .corpusEmpty = error { stats.failureSamples.insert(error.description, at: 0) }
        return LoadReport(plan: plan, stats: stats, seconds: Double(end &- start) / 1e9,
                          sendingSeconds: Double(max(start, min(end, sendUntil, stoppedAt)) &- start) / 1e9,
                          corpusStarved: feed.starved, corpusCached: feed.isCached,
                          follow: follower?.report())
    }

    /// Ends the sending now (Ctrl-C): the answers still out are waited for, up to their timeout.
    package func stop() {
        guard !stopping else {
            // A second stop while batches are still followed: stop following, and report.
            follower?.abandon()
            return
        }
        stopping = true
        stoppedAt = clock.monotonicNanoseconds()
        if case .open = plan.mode { stats.unsent += pending.count - pendingHead }
        pending.removeAll()
        pendingHead = 0
        for connection in idle { close(connection) }
        idle.removeAll()
        for connection in starving { close(connection) }
        starving.removeAll()
        finishIfDone()
    }

    // MARK: - Closed loop

    private func fillClosedLoop() {
        guard !stopping else { return }
        let now = clock.monotonicNanoseconds()
        let target = Int(plan.level(at: Double(now &- start) / 1e9).rounded())
        while byID.count < target && !stopping && !limitReached && now >= connectBackoffUntil {
            guard let connection = open() else { return }
            issueClosedLoop(on: connection)
        }
    }

    private var limitReached: Bool { plan.requests.map { issued >= $0 } ?? false }

    private func issueClosedLoop(on connection: ClientConnection) {
        guard !stopping, !limitReached else {
            close(connection)
            finishIfDone()
            return
        }
        let now = clock.monotonicNanoseconds()
        let target = Int(plan.level(at: Double(now &- start) / 1e9).rounded())
        if byID.count > target {
            close(connection)
            return
        }
        guard let request = feed.next() else {
            starving.append(connection)
            if feed.error != nil { stop() }
            return
        }
        send(request, intended: now, on: connection)
    }

    // MARK: - Open loop

    private func tickOpenLoop() {
        guard !stopping, case .open(_, let maxConnections) = plan.mode else { return }
        let now = clock.monotonicNanoseconds()
        while nextSlot <= now && nextSlot < sendUntil && !limitReachedOpen {
            let rate = max(plan.level(at: Double(nextSlot &- start) / 1e9), 0)
            if rate < 100 {
                // Under one request per 10 ms (a low rate, or a stage ramping through zero), the schedule moves
                // in 10 ms steps and sends when the rate's integral reaches one more request: spacing by
                // 1 / rate would jump far past a ramp that starts from nothing.
                slotCredit += rate / 100
                if slotCredit >= 1 {
                    slotCredit -= 1
                    pending.append(nextSlot)
                    stats.scheduled += 1
                }
                nextSlot &+= 10_000_000
                continue
            }
            pending.append(nextSlot)
            stats.scheduled += 1
            nextSlot &+= UInt64(1e9 / rate)
        }
        dispatchOpenLoop(maxConnections: maxConnections)
        guard !stopping, !limitReachedOpen else { return }
        if now >= sendUntil {
            stop()
            return
        }
        let due = min(nextSlot, sendUntil)
        scheduler?.schedule(after: due > now ? (due - now + 999_999) / 1_000_000 : 0) { [weak self] in
            self?.tickOpenLoop()
        }
    }

    /// With `--requests`, the open loop ends once every slot was scheduled and sent.
    private var limitReachedOpen: Bool { plan.requests.map { stats.scheduled >= $0 } ?? false }

    private func dispatchOpenLoop(maxConnections: Int) {
        while pendingHead < pending.count && !stopping {
            let connection: ClientConnection
            if let free = idle.popLast() {
                connection = free
            } else if byID.count < maxConnections && clock.monotonicNanoseconds() >= connectBackoffUntil,
                      let opened = open() {
                connection = opened
            } else {
                break
            }
            guard let request = feed.next() else {
                idle.append(connection)
                if feed.error != nil { stop() }
                break
            }
            let slot = pending[pendingHead]
            pendingHead += 1
            send(request, intended: slot, on: connection)
        }
        if limitReachedOpen && pendingHead == pending.count && !stopping {
            stop()
            return
        }
        if pendingHead > 4096 && pendingHead * 2 > pending.count {
            pending.removeFirst(pendingHead)
            pendingHead = 0
        }
    }

    // MARK: - Sending and answers

    /// A new connection on its way up, or nil when it failed at once (out of descriptors, no route): then it
    /// is counted and new connections wait a little.
    private func open() -> ClientConnection? {
        let connection = ClientConnection(owner: self, keepBodyBytes: 4096, clock: clock)
        let address = addresses[addressCursor % addresses.count]
        addressCursor += 1
        connection.connect(to: address, port: port)
        guard connection.isUsable else {
            connectFailed(connection.connectFailure ?? "connect failed")
            return nil
        }
        byID[ObjectIdentifier(connection)] = connection
        return connection
    }

    /// A connection failed before any request was on it: counted apart from requests, and the next
    /// connections wait 50 ms (a refusing server is not hammered in a tight loop).
    private func connectFailed(_ detail: String) {
        stats.connectErrors += 1
        if stats.failureSamples.count < 5 { stats.failureSamples.append("connect: \(detail)") }
        connectBackoffUntil = clock.monotonicNanoseconds() &+ 50_000_000
    }

    private func close(_ connection: ClientConnection) {
        connection.close()
        byID[ObjectIdentifier(connection)] = nil
    }

    private func send(_ request: PreparedRequest, intended: UInt64, on connection: ClientConnection) {
        precondition(connection.isIdle, "a request for a connection that is closed or busy")
        issued += 1
        stats.requests += 1
        inFlight += 1
        let now = clock.monotonicNanoseconds()
        if case .open = plan.mode {
            let lateness = now > intended ? now - intended : 0
            if Double(lateness) > plan.lateThresholdMilliseconds * 1e6 { stats.late += 1 }
            stats.worstLateness = max(stats.worstLateness, lateness / 1000)
        }
        stats.bytesSent += request.bytes.count
        connection.send(Exchange(intended: intended, bytes: request.bytes, files: request.files), timeout: timeoutNanos,
                        now: now)
    }

    func connection(_ connection: ClientConnection, answered response: HTTPResponseParser.Response, exchange: Exchange) {
        inFlight -= 1
        let now = clock.monotonicNanoseconds()
        let micros = (now &- exchange.intended) / 1000
        var code: String?
        if !(200..<300).contains(response.status) { code = Self.errorCode(response.body) }
        stats.answered(status: response.status, latencyMicros: micros, errorCode: code, files: exchange.files,
                       received: response.bodyLength)
        connectBackoffUntil = 0
        if response.status == 202, let follower {
            if let batch = Self.batchID(response.body) {
                follower.track(batch: batch, uploadedAt: exchange.intended, files: exchange.files)
            } else {
                follower.untracked += 1
            }
        }
        reuse(connection)
    }

    func connection(_ connection: ClientConnection, failed kind: FailureKind, exchange: Exchange, detail: String) {
        inFlight -= 1
        stats.failed(kind, detail: detail)
        byID[ObjectIdentifier(connection)] = nil
        if kind == .connect {
            // The server refuses connections: try again soon, not in a tight loop.
            connectBackoffUntil = clock.monotonicNanoseconds() &+ 50_000_000
        }
        replace()
    }

    func connectionClosed(_ connection: ClientConnection, connectError: String?) {
        byID[ObjectIdentifier(connection)] = nil
        idle.removeAll { $0 === connection }
        starving.removeAll { $0 === connection }
        if let connectError { connectFailed(connectError) }
        replace()
    }

    private func reuse(_ connection: ClientConnection) {
        guard connection.isUsable else {
            byID[ObjectIdentifier(connection)] = nil
            replace()
            return
        }
        switch plan.mode {
        case .closed:
            issueClosedLoop(on: connection)
        case .open(_, let maxConnections):
            if stopping { close(connection) } else {
                idle.append(connection)
                dispatchOpenLoop(maxConnections: maxConnections)
            }
        }
        finishIfDone()
    }

    private func replace() {
        switch plan.mode {
        case .closed: fillClosedLoop()
        case .open(_, let maxConnections): dispatchOpenLoop(maxConnections: maxConnections)
        }
        finishIfDone()
    }

    private func corpusHasRequests() {
        switch plan.mode {
        case .closed:
            let waiting = starving
            starving.removeAll()
            for connection in waiting { issueClosedLoop(on: connection) }
            if feed.error != nil { stop() }
        case .open(_, let maxConnections):
            dispatchOpenLoop(maxConnections: maxConnections)
        }
        finishIfDone()
    }

    /// Every 100 ms: deadlines, the closed loop's stages and the end of sending, the live line.
    private func sweep() {
        let now = clock.monotonicNanoseconds()
        for connection in byID.values { connection.checkDeadline(now: now) }
        if now >= sendUntil || (limitReached && plan.mode.isClosed) { stop() }
        if case .closed = plan.mode { fillClosedLoop() }
        if case .open(_, let max) = plan.mode, !stopping { dispatchOpenLoop(maxConnections: max) }
        if let live, now &- lastLive.time >= 1_000_000_000 {
            let answered = stats.answered
            let rate = Double(answered - lastLive.answered) / (Double(now &- lastLive.time) / 1e9)
            lastLive = (now, answered)
            let p99 = Double(stats.latency.valueAtPercentile(99)) / 1000
            live(String(format: "%6.1fs  %9.1f req/s  p99 %8.2f ms  ok %d  errors %d  in flight %d%@",
                        Double(now &- start) / 1e9, rate, p99, stats.ok, stats.failed + stats.answered - stats.ok,
                        inFlight, stats.late > 0 ? "  late \(stats.late)" : ""))
        }
        finishIfDone()
        sweeper?.schedule(after: 100) { [weak self] in self?.sweep() }
    }

    private func finishIfDone() {
        guard stopping, inFlight == 0, let finished else { return }
        self.finished = nil
        finished.resume()
    }

    // MARK: - Reading answers

    /// `{"error":{"code":"spool_full",…}}` → `spool_full` (the engine's and many APIs' error shape).
    nonisolated static func errorCode(_ body: [UInt8]) -> String? {
        guard !body.isEmpty, let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        if let error = json["error"] as? [String: Any], let code = error["code"] as? String { return code }
        if let code = json["code"] as? String { return code }
        return nil
    }

    /// The `batch_id` of a 202's JSON. Only the first bytes of an answer are kept (an upload of many files
    /// answers with an entry per file), so a body cut short is read by its key rather than as a whole.
    nonisolated static func batchID(_ body: [UInt8]) -> String? {
        if let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
            return json["batch_id"] as? String
        }
        let key = Array("\"batch_id\":\"".utf8)
        guard let at = ByteSearch.firstIndex(of: key, in: body) else { return nil }
        let value = body[(at + key.count)...].prefix { $0 != UInt8(ascii: "\"") }
        guard !value.isEmpty, value.count <= 64, at + key.count + value.count < body.count else { return nil }
        return String(decoding: value, as: UTF8.self)
    }
}

extension LoadPlan.Mode {
    var isClosed: Bool {
        if case .closed = self { return true }
        return false
    }
}
