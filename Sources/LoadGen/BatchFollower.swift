import Foundation
import Histogram
import HTTP1
import Loop

/// End-to-end mode for asynchronous engines: after an upload's `202`, polls `GET /api/v1/batches/{id}` until
/// the batch says `"completed": true`, and records upload → result latency (from the upload's slot, so a
/// stall anywhere shows). The resolution is the poll interval.
@LoopActor
package final class BatchFollower: ClientConnectionOwner {
    private struct Followed {
        var id: String
        var uploadedAt: UInt64
        var files: Int
        var nextPoll: UInt64
    }

    private let builder: RequestBuilder
    private let addresses: [IPAddress]
    private let port: Int
    private let interval: UInt64
    private let waitAfterRun: Double
    private let maxConnections: Int
    private let clock: any EngineClock
    private var followed: [Int: Followed] = [:]
    private var nextTag = 0
    private var due: [Int] = []
    private var connections: [ObjectIdentifier: ClientConnection] = [:]
    private var idle: [ClientConnection] = []
    private var timer: UVTimer?
    private var drained: CheckedContinuation<Void, Never>?

    private var latency = Histogram<UInt64>(highestTrackableValue: LoadStats.highest, numberOfSignificantValueDigits: .three)
    private var completed = 0
    private var parsed = 0
    private var failedDocuments = 0
    private var pollErrors = 0
    private var unfinished = 0
    /// 202s whose batch id could not be read: not followed, and said so.
    var untracked = 0

    /// `pollMilliseconds` between polls of one batch; after the run, batches still open are waited for up to
    /// `waitSeconds`, then counted unfinished.
    package init(builder: RequestBuilder, addresses: [IPAddress], port: Int, pollMilliseconds: Int, waitSeconds: Double,
                maxConnections: Int = 4, clock: any EngineClock = SystemClock.shared) {
        self.builder = builder
        self.addresses = addresses
        self.port = port
        interval = UInt64(max(pollMilliseconds, 10)) * 1_000_000
        waitAfterRun = waitSeconds
        self.maxConnections = maxConnections
        self.clock = clock
    }

    func track(batch: String, uploadedAt: UInt64, files: Int) {
        guard batch.allSatisfy({ $0.isHexDigit || $0 == "-" }) else { return }
        nextTag += 1
        followed[nextTag] = Followed(id: batch, uploadedAt: uploadedAt, files: files,
                                     nextPoll: clock.monotonicNanoseconds() &+ interval)
        if timer == nil {
            let timer = UVTimer()
            self.timer = timer
            tick()
        }
    }

    private func tick() {
        let now = clock.monotonicNanoseconds()
        for connection in connections.values { connection.checkDeadline(now: now) }
        for (tag, batch) in followed where batch.nextPoll <= now {  // a due batch's nextPoll is .max
            due.append(tag)
            followed[tag]?.nextPoll = .max
        }
        dispatch()
        timer?.schedule(after: max(interval / 4_000_000, 5)) { [weak self] in self?.tick() }
    }

    private func dispatch() {
        while !due.isEmpty {
            let connection: ClientConnection
            if let free = idle.popLast() {
                connection = free
            } else if connections.count < maxConnections {
                connection = ClientConnection(owner: self, keepBodyBytes: 1 << 20, clock: clock)
                connection.connect(to: addresses[connections.count % addresses.count], port: port)
                guard connection.isUsable else {
                    // Failed at once: the next tick tries again.
                    pollErrors += 1
                    return
                }
                connections[ObjectIdentifier(connection)] = connection
            } else {
                return
            }
            let tag = due.removeFirst()
            guard let batch = followed[tag] else {
                idle.append(connection)
                continue
            }
            let now = clock.monotonicNanoseconds()
            var exchange = Exchange(intended: now, bytes: builder.get("/api/v1/batches/\(batch.id)"), files: 0)
            exchange.tag = tag
            connection.send(exchange, timeout: 30_000_000_000, now: now)
        }
    }

    func connection(_ connection: ClientConnection, answered response: HTTPResponseParser.Response, exchange: Exchange) {
        let now = clock.monotonicNanoseconds()
        if connection.isUsable { idle.append(connection) } else { connections[ObjectIdentifier(connection)] = nil }
        guard let batch = followed[exchange.tag] else { return }
        if response.status == 200,
           let json = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] {
            if json["completed"] as? Bool == true {
                _ = latency.record(min((now &- batch.uploadedAt) / 1000, LoadStats.highest))
                completed += 1
                if let counts = json["counts"] as? [String: Any] {
                    parsed += counts["parsed"] as? Int ?? 0
                    failedDocuments += counts["failed"] as? Int ?? 0
                }
                followed[exchange.tag] = nil
                finishIfDrained()
                return
            }
        } else {
            pollErrors += 1
        }
        followed[exchange.tag]?.nextPoll = now &+ interval
    }

    func connection(_ connection: ClientConnection, failed kind: FailureKind, exchange: Exchange, detail: String) {
        connections[ObjectIdentifier(connection)] = nil
        pollErrors += 1
        followed[exchange.tag]?.nextPoll = clock.monotonicNanoseconds() &+ interval
    }

    func connectionClosed(_ connection: ClientConnection, connectError: String?) {
        connections[ObjectIdentifier(connection)] = nil
        idle.removeAll { $0 === connection }
        if connectError != nil { pollErrors += 1 }
    }

    /// Waits for the batches still open, up to the wait given at init; the rest are unfinished.
    func drain() async {
        if !followed.isEmpty {
            let giveUp = UVTimer()
            await withCheckedContinuation(isolation: LoopActor.shared) { continuation in
                drained = continuation
                giveUp.schedule(after: UInt64(waitAfterRun * 1000)) { [weak self] in
                    guard let self, let drained = self.drained else { return }
                    self.drained = nil
                    drained.resume()
                }
            }
            giveUp.close()
        }
        unfinished = followed.count
        followed.removeAll()
        timer?.close()
        timer = nil
        for connection in connections.values { connection.close() }
        connections.removeAll()
        idle.removeAll()
    }

    /// Stops waiting for the batches still open (a second Ctrl-C): they are counted unfinished.
    func abandon() {
        guard let drained else { return }
        self.drained = nil
        drained.resume()
    }

    private func finishIfDrained() {
        guard followed.isEmpty, let drained else { return }
        self.drained = nil
        drained.resume()
    }

    func report() -> FollowReport {
        FollowReport(latency: latency, batches: completed, documentsParsed: parsed, documentsFailed: failedDocuments,
                     unfinished: unfinished, pollErrors: pollErrors, untracked: untracked)
    }
}

/// What the follower saw.
package struct FollowReport: Sendable {
    package var latency: Histogram<UInt64>
    package var batches: Int
    package var documentsParsed: Int
    package var documentsFailed: Int
    package var unfinished: Int
    package var pollErrors: Int
    package var untracked: Int
}
