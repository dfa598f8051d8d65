import Testing

@testable import Sink

/// The Sink's scheduler alone: no database, no loop, no sleeps. Waiters are strings, time is a number.
@Suite("Sink scheduler: batches, slots, backoff, waiters")
struct SinkSchedulerTests {
    typealias Machine = SinkScheduler<String>

    static let lost = PGError(kind: .connection, message: "server closed the connection unexpectedly")
    static let refused = PGError(kind: .connection, message: "connection refused")
    static let badURL = PGError(kind: .setting, message: "invalid connection option")
    static let missing = PGError(kind: .server, message: "relation does not exist", sqlState: "42P01")
    static let badJSON = PGError(kind: .server, message: "invalid input syntax for type json", sqlState: "22P02")

    /// A row of `256 + text` approximate bytes.
    static func row(_ i: Int, text: Int = 0) -> DocumentRow {
        DocumentRow(id: "r\(i)", tenant: "t", batchID: nil, contentSHA256: [UInt8(i)], filename: nil,
                    declaredType: nil, detectedType: nil, sizeBytes: 1, status: .parsed,
                    text: String(repeating: "x", count: text), receivedAtMilliseconds: 0)
    }

    static func machine(connections: Int = 1, rows: Int = 3, bytes: Int = 1 << 20, age: UInt64 = 200,
                        started: Bool = true) -> Machine {
        var m = Machine(policy: FlushPolicy(maxRows: rows, maxBytes: bytes, maxAgeNanoseconds: age),
                        connections: connections)
        if started {
            _ = m.start()
            _ = m.connected(slot: 0, serverVersion: 170_000)
        }
        return m
    }

    static func committed(_ rows: [DocumentRow]) -> [SinkOutcome] {
        rows.map { SinkOutcome(id: $0.id, sizeBytes: $0.sizeBytes, result: .committed) }
    }

    // MARK: Start

    @Test("start: the first connection opens before any batch, then frees its slot; connecting → ready")
    func start() {
        var m = Self.machine(started: false)
        #expect(m.state == .connecting)
        #expect(m.start() == [.connect(slot: 0)])
        #expect(m.slots == [.connecting(nil)])
        #expect(m.isConnecting)
        #expect(m.connected(slot: 0, serverVersion: 170_000) == [])
        #expect(m.slots == [.free])
        #expect(m.state == .ready(serverVersion: 170_000))
        #expect(m.counters.reconnects == 0, "a first connection is not a reconnect")
        // The open connection is used at once: no second connect.
        let rows = (0..<3).map { Self.row($0) }
        #expect(m.rowArrived(rows[0], now: 0) == [.armAgeTimer(deadline: 200)])
        #expect(m.rowArrived(rows[1], now: 0) == [])
        #expect(m.rowArrived(rows[2], now: 0)
                == [.cancelAgeTimer, .write(slot: 0, batch: SinkBatch(serial: 1, rows: rows))])
    }

    @Test("without a database nothing connects: the Sink says why and rows are let go upstream (the spool keeps them)")
    func noDatabase() {
        var m = Machine(policy: FlushPolicy(maxRows: 1, maxBytes: 1 << 20, maxAgeNanoseconds: 200), connections: 2,
                        databaseConfigured: false)
        #expect(m.start() == [])
        #expect(m.state == .down("DATABASE_URL is not set"))
        #expect(m.rowArrived(Self.row(0), now: 0) == [.armAgeTimer(deadline: 200), .cancelAgeTimer])
        #expect(m.held == 0)
        #expect(m.drainRequested("drain", deadline: 1_000) == [.resume(["drain"])])
    }

    // MARK: Batches

    @Test("a batch is sealed by its rows, its bytes or its age (time passed in), and the age timer follows")
    func sealing() {
        var m = Self.machine(rows: 3, bytes: 1_000, age: 200)
        // Age: a row arriving after the deadline seals what gathers.
        #expect(m.rowArrived(Self.row(0), now: 1_000) == [.armAgeTimer(deadline: 1_200)])
        #expect(m.rowArrived(Self.row(1), now: 1_199) == [])
        #expect(m.rowArrived(Self.row(2, text: 100), now: 1_200)
                == [.cancelAgeTimer, .write(slot: 0, batch: SinkBatch(serial: 1, rows: [Self.row(0), Self.row(1),
                                                                                        Self.row(2, text: 100)]))])
        #expect(m.committed(slot: 0, outcomes: [], serverVersion: 170_000) == [.trimMemory])
        // Bytes: 256 + 800 ≥ 1,000 on the first row.
        let big = Self.row(3, text: 800)
        #expect(m.rowArrived(big, now: 2_000)
                == [.armAgeTimer(deadline: 2_200), .cancelAgeTimer,
                    .write(slot: 0, batch: SinkBatch(serial: 2, rows: [big]))])
        #expect(m.committed(slot: 0, outcomes: [], serverVersion: 170_000) == [.trimMemory])
        // The timer: whatever gathers goes when it fires; with nothing gathering it does nothing.
        #expect(m.rowArrived(Self.row(4), now: 3_000) == [.armAgeTimer(deadline: 3_200)])
        #expect(m.ageTimerFired() == [.write(slot: 0, batch: SinkBatch(serial: 3, rows: [Self.row(4)]))])
        #expect(m.ageTimerFired() == [])
        #expect(m.held == 1)
    }

    @Test("batches go to free slots in order, the slot freed last first; a slot without a connection connects first")
    func slots() {
        var m = Self.machine(connections: 2, rows: 1, started: false)
        let r = (0..<4).map { Self.row($0) }
        let b = r.indices.map { SinkBatch(serial: $0 + 1, rows: [r[$0]]) }
        #expect(m.rowArrived(r[0], now: 0) == [.armAgeTimer(deadline: 200), .cancelAgeTimer, .connect(slot: 0)])
        #expect(m.rowArrived(r[1], now: 0) == [.armAgeTimer(deadline: 200), .cancelAgeTimer, .connect(slot: 1)])
        #expect(m.rowArrived(r[2], now: 0) == [.armAgeTimer(deadline: 200), .cancelAgeTimer], "no slot free: it waits")
        #expect(m.slots == [.connecting(.batch(b[0])), .connecting(.batch(b[1]))])
        #expect(m.held == 3)
        #expect(m.connected(slot: 1, serverVersion: 170_000) == [.write(slot: 1, batch: b[1])])
        #expect(m.connected(slot: 0, serverVersion: 170_000) == [.write(slot: 0, batch: b[0])])
        #expect(m.committed(slot: 1, outcomes: Self.committed([r[1]]), serverVersion: 170_000)
                == [.trimMemory, .write(slot: 1, batch: b[2])])
        #expect(m.counters.committedRows == 1 && m.counters.transactions == 1)
        #expect(m.committed(slot: 0, outcomes: Self.committed([r[0]]), serverVersion: 170_000) == [.trimMemory])
        #expect(m.slots == [.free, .running(.batch(b[2]))])
        #expect(m.committed(slot: 1, outcomes: Self.committed([r[2]]), serverVersion: 170_000) == [.trimMemory])
        // Slot 1 was freed last: the next batch is its.
        #expect(m.rowArrived(r[3], now: 0)
                == [.armAgeTimer(deadline: 200), .cancelAgeTimer, .write(slot: 1, batch: b[3])])
        #expect(m.counters.committedRows == 3 && m.counters.transactions == 3)
    }

    // MARK: Backpressure

    @Test("room: while every slot writes, one more batch may fill; waiters resume after the next write starts")
    func roomByRows() {
        var m = Self.machine(connections: 1, rows: 2)
        let r = (0..<5).map { Self.row($0) }
        _ = m.rowArrived(r[0], now: 0)
        #expect(m.rowArrived(r[1], now: 0).contains(.write(slot: 0, batch: SinkBatch(serial: 1, rows: [r[0], r[1]]))))
        _ = m.rowArrived(r[2], now: 0)
        #expect(m.hasRoom, "3 held, room for 2 × (1 + 1)")
        #expect(m.roomRequested("early") == [.resume(["early"])])
        _ = m.rowArrived(r[3], now: 0)
        #expect(m.held == 4)
        #expect(!m.hasRoom)
        #expect(m.roomRequested("a") == [])
        #expect(m.roomRequested("b") == [])
        #expect(m.committed(slot: 0, outcomes: Self.committed([r[0], r[1]]), serverVersion: 170_000)
                == [.trimMemory, .write(slot: 0, batch: SinkBatch(serial: 2, rows: [r[2], r[3]])), .resume(["a", "b"])])
        #expect(m.hasRoom)
    }

    @Test("room: bytes gathering and ready count too, at twice a batch's bytes; bytes being written do not")
    func roomByBytes() {
        var m = Self.machine(connections: 1, rows: 100, bytes: 1_000)
        let r = (0..<5).map { Self.row($0, text: 500) } // 756 bytes each
        _ = m.rowArrived(r[0], now: 0)
        #expect(m.rowArrived(r[1], now: 0).contains(.write(slot: 0, batch: SinkBatch(serial: 1, rows: [r[0], r[1]]))))
        _ = m.rowArrived(r[2], now: 0)
        _ = m.rowArrived(r[3], now: 0) // sealed: ready behind the batch being written (1,512 bytes)
        #expect(m.hasRoom)
        _ = m.rowArrived(r[4], now: 0) // 1,512 ready + 756 gathering ≥ 2,000
        #expect(m.held == 5)
        #expect(!m.hasRoom, "5 rows is far below 100, but the bytes are not")
        #expect(m.roomRequested("w") == [])
        let freed = m.committed(slot: 0, outcomes: [], serverVersion: 170_000)
        #expect(freed.last == .resume(["w"]), "the ready batch went to the slot: 756 bytes left")
    }

    // MARK: Drain

    @Test("drain: what gathers is sealed; resumed when the last commit lands, and the drain timer is cancelled")
    func drainToEmpty() {
        var m = Self.machine(rows: 10)
        #expect(m.drainRequested("empty", deadline: 1_000) == [.resume(["empty"])], "nothing held")
        _ = m.rowArrived(Self.row(0), now: 0)
        #expect(m.drainRequested("d", deadline: 5_000)
                == [.cancelAgeTimer, .write(slot: 0, batch: SinkBatch(serial: 1, rows: [Self.row(0)])),
                    .armDrainTimer(deadline: 5_000)])
        #expect(m.drainRequested("later", deadline: 9_000) == [], "the earlier deadline's timer stays")
        #expect(m.drainRequested("sooner", deadline: 4_000) == [.armDrainTimer(deadline: 4_000)])
        #expect(m.committed(slot: 0, outcomes: Self.committed([Self.row(0)]), serverVersion: 170_000)
                == [.trimMemory, .resume(["d", "later", "sooner"]), .cancelDrainTimer])
        #expect(m.drainDeadlinePassed() == [], "a late timer finds nobody")
    }

    @Test("drain by a deadline: the timer resumes every drain and the rows stay held (upstream keeps them)")
    func drainByDeadline() {
        var m = Self.machine(rows: 10)
        _ = m.rowArrived(Self.row(0), now: 0)
        _ = m.rowArrived(Self.row(1), now: 0)
        #expect(m.drainRequested("d1", deadline: 5_000).last == .armDrainTimer(deadline: 5_000))
        #expect(m.drainRequested("d2", deadline: 6_000) == [])
        #expect(m.drainDeadlinePassed() == [.resume(["d1", "d2"])])
        #expect(m.held == 2)
        // A new drain arms a new timer.
        #expect(m.drainRequested("d3", deadline: 7_000) == [.armDrainTimer(deadline: 7_000)])
    }

    @Test("drain with the database down returns at once: nothing would commit")
    func drainWhileDown() {
        var m = Self.machine(rows: 1, started: false)
        _ = m.rowArrived(Self.row(0), now: 0)
        _ = m.connectFailed(slot: 0, error: Self.refused, random: 0)
        #expect(m.state == .down(Self.refused.description))
        #expect(m.drainRequested("d", deadline: 5_000) == [.resume(["d"])])
        #expect(m.held == 1)
    }

    // MARK: Failures

    @Test("a lost connection: back off, reconnect (backoff growing with failures in a row), replay the same batch")
    func lostConnection() {
        var m = Self.machine(rows: 1)
        let r0 = Self.row(0)
        let b1 = SinkBatch(serial: 1, rows: [r0])
        #expect(m.rowArrived(r0, now: 0).last == .write(slot: 0, batch: b1))
        // Full jitter: half of 100 ms, then half of 200 ms.
        #expect(m.writeFailed(slot: 0, error: Self.lost, connectionOpen: false, random: 0.5)
                == [.backOff(slot: 0, nanoseconds: 50_000_000, cause: .write(Self.lost, rows: 1))])
        #expect(m.state == .down(Self.lost.description))
        #expect(m.counters.retries == 1)
        #expect(m.slots == [.backingOff(.batch(b1))])
        #expect(m.held == 1)
        #expect(m.backOffElapsed(slot: 0) == [.connect(slot: 0)], "the connection is gone: reconnect first")
        #expect(m.connectFailed(slot: 0, error: Self.refused, random: 0.5)
                == [.backOff(slot: 0, nanoseconds: 100_000_000, cause: .connect(Self.refused))])
        #expect(m.backOffElapsed(slot: 0) == [.connect(slot: 0)])
        #expect(m.connected(slot: 0, serverVersion: 170_001) == [.write(slot: 0, batch: b1)], "replayed as it was")
        #expect(m.state == .ready(serverVersion: 170_001))
        #expect(m.counters.reconnects == 1)
        #expect(m.committed(slot: 0, outcomes: Self.committed([r0]), serverVersion: 170_001) == [.trimMemory])
        // A commit ends the run of failures: the next backoff starts from the first step again.
        _ = m.rowArrived(Self.row(1), now: 0)
        #expect(m.writeFailed(slot: 0, error: Self.lost, connectionOpen: false, random: 0.5)
                == [.backOff(slot: 0, nanoseconds: 50_000_000, cause: .write(Self.lost, rows: 1))])
    }

    @Test("a refusal that is not the rows' with the connection open: wait, then write again without reconnecting")
    func retryLater() {
        var m = Self.machine(rows: 1)
        let b1 = SinkBatch(serial: 1, rows: [Self.row(0)])
        _ = m.rowArrived(Self.row(0), now: 0)
        #expect(m.writeFailed(slot: 0, error: Self.missing, connectionOpen: true, random: 0)
                == [.backOff(slot: 0, nanoseconds: 0, cause: .write(Self.missing, rows: 1))])
        #expect(m.backOffElapsed(slot: 0) == [.write(slot: 0, batch: b1)])
        #expect(m.slots == [.running(.batch(b1))])
    }

    @Test("reconnect backoff doubles to a 10 s cap; a wrong connection string waits 30 s")
    func backoffSteps() {
        var m = Self.machine(started: false)
        #expect(m.start() == [.connect(slot: 0)])
        var delays: [UInt64] = []
        for _ in 0..<9 {
            let actions = m.connectFailed(slot: 0, error: Self.refused, random: 0.5)
            guard case .backOff(0, let delay, .connect)? = actions.first, actions.count == 1 else {
                Issue.record("a failed connect backs off")
                return
            }
            delays.append(delay)
            #expect(m.backOffElapsed(slot: 0) == [.connect(slot: 0)])
        }
        #expect(delays == [50, 100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000].map { $0 * 1_000_000 })
        #expect(m.connectFailed(slot: 0, error: Self.badURL, random: 0.5)
                == [.backOff(slot: 0, nanoseconds: 30_000_000_000, cause: .connect(Self.badURL))])
        #expect(m.backOffElapsed(slot: 0) == [.connect(slot: 0)])
        #expect(m.connected(slot: 0, serverVersion: 170_000) == [])
        #expect(m.counters.reconnects == 1, "a connection after failures is a reconnect")
    }

    @Test("a refused row: halves (the second first in line) until it is alone, a failure record, then sink_rejects")
    func refusedRow() {
        var m = Self.machine(rows: 4)
        let r = (0..<4).map { Self.row($0) }
        for row in r { _ = m.rowArrived(row, now: 0) }
        #expect(m.slots == [.running(.batch(SinkBatch(serial: 1, rows: r)))])
        #expect(m.writeFailed(slot: 0, error: Self.badJSON, connectionOpen: true, random: 0)
                == [.write(slot: 0, batch: SinkBatch(serial: 3, rows: [r[0], r[1]]))])
        #expect(m.counters.bisections == 1)
        #expect(m.held == 4)
        #expect(m.writeFailed(slot: 0, error: Self.badJSON, connectionOpen: true, random: 0)
                == [.write(slot: 0, batch: SinkBatch(serial: 5, rows: [r[0]]))])
        let message = Self.badJSON.description
        let record = r[0].rejected(message)
        #expect(m.writeFailed(slot: 0, error: Self.badJSON, connectionOpen: true, random: 0)
                == [.logRefusal(documentID: "r0", message: message),
                    .write(slot: 0, batch: SinkBatch(serial: 6, rows: [record], reduced: true))])
        #expect(record.status == .failed && record.errorCode == "db_rejected")
        let reason = "the database refused the document and its failure record: \(message)"
        #expect(m.writeFailed(slot: 0, error: Self.badJSON, connectionOpen: true, random: 0)
                == [.reject(slot: 0, row: record, reason: reason)])
        #expect(m.state == .ready(serverVersion: 170_000), "a refused row is not the database being down")
        let rejected = [SinkOutcome(id: "r0", sizeBytes: 1, result: .rejected(reason))]
        // Then the halves in line, the nearest first.
        #expect(m.committed(slot: 0, outcomes: rejected, serverVersion: 170_000)
                == [.trimMemory, .write(slot: 0, batch: SinkBatch(serial: 4, rows: [r[1]]))])
        #expect(m.counters.rejected == 1 && m.counters.bisections == 2 && m.counters.retries == 0)
        #expect(m.committed(slot: 0, outcomes: Self.committed([r[1]]), serverVersion: 170_000)
                == [.trimMemory, .write(slot: 0, batch: SinkBatch(serial: 2, rows: [r[2], r[3]]))])
    }

    @Test("recording a reject fails: back off and record it again; its commit leaves the state as it was")
    func rejectRetried() {
        var m = Self.machine(rows: 1)
        _ = m.rowArrived(Self.row(0), now: 0)
        _ = m.writeFailed(slot: 0, error: Self.badJSON, connectionOpen: true, random: 0)
        let actions = m.writeFailed(slot: 0, error: Self.badJSON, connectionOpen: true, random: 0)
        guard case .reject(0, let row, let reason)? = actions.first else {
            Issue.record("a refused failure record goes to sink_rejects: \(actions)")
            return
        }
        #expect(m.writeFailed(slot: 0, error: Self.lost, connectionOpen: false, random: 0.5)
                == [.backOff(slot: 0, nanoseconds: 50_000_000, cause: .reject(Self.lost))])
        #expect(m.backOffElapsed(slot: 0) == [.connect(slot: 0)])
        #expect(m.connected(slot: 0, serverVersion: 170_000) == [.reject(slot: 0, row: row, reason: reason)])
        #expect(m.committed(slot: 0, outcomes: [SinkOutcome(id: "r0", sizeBytes: 1, result: .rejected(reason))],
                            serverVersion: 170_000) == [.trimMemory])
        #expect(m.counters.rejected == 1 && m.counters.transactions == 1)
        #expect(m.held == 0)
    }

    @Test("a connection found closed before a write: connect again, the same batch, no failure counted")
    func connectionLost() {
        var m = Self.machine(rows: 1)
        let b1 = SinkBatch(serial: 1, rows: [Self.row(0)])
        _ = m.rowArrived(Self.row(0), now: 0)
        #expect(m.connectionLost(slot: 0) == [.connect(slot: 0)])
        #expect(m.slots == [.connecting(.batch(b1))])
        #expect(m.connected(slot: 0, serverVersion: 170_000) == [.write(slot: 0, batch: b1)])
        #expect(m.counters.reconnects == 0 && m.counters.retries == 0)
        #expect(m.writeFailed(slot: 0, error: Self.lost, connectionOpen: false, random: 0.5)
                == [.backOff(slot: 0, nanoseconds: 50_000_000, cause: .write(Self.lost, rows: 1))], "first failure")
    }

    // MARK: Encode ahead

    @Test("encode ahead: after a COPY the next ready batch, one at a time; its transaction takes it, another drops it")
    func encodeAhead() {
        var m = Self.machine(rows: 1)
        let r = (0..<3).map { Self.row($0) }
        let b = r.indices.map { SinkBatch(serial: $0 + 1, rows: [r[$0]]) }
        for row in r { _ = m.rowArrived(row, now: 0) }
        #expect(m.copyWillStart(slot: 0) == false, "nothing was encoded ahead")
        #expect(m.copied(slot: 0, bytes: 100) == [.encodeAhead(b[1])])
        #expect(m.copied(slot: 0, bytes: 50) == [], "one at a time")
        #expect(m.counters.copiedBytes == 150)
        #expect(m.committed(slot: 0, outcomes: [], serverVersion: 170_000)
                == [.trimMemory, .write(slot: 0, batch: b[1])])
        #expect(m.copyWillStart(slot: 0) == true)
        #expect(m.copyWillStart(slot: 0) == false, "a replay encodes again")
        // A batch that cannot be encoded ahead (a tenant not yet known) is offered again after the next COPY.
        #expect(m.copied(slot: 0, bytes: 1) == [.encodeAhead(b[2])])
        m.encodeAheadDeclined(b[2])
        #expect(m.copied(slot: 0, bytes: 1) == [.encodeAhead(b[2])])
        // The batch written now is refused: its failure record is written before b[2], and drops what was
        // encoded ahead for b[2].
        _ = m.writeFailed(slot: 0, error: Self.badJSON, connectionOpen: true, random: 0)
        #expect(m.copyWillStart(slot: 0) == false)
        #expect(m.committed(slot: 0, outcomes: [], serverVersion: 170_000)
                == [.trimMemory, .write(slot: 0, batch: b[2])])
        #expect(m.copyWillStart(slot: 0) == false)
        #expect(m.copied(slot: 0, bytes: 1) == [], "nothing left ready")
    }

    // MARK: Close

    @Test("close: waiters resume, backoffs end, a connection opened afterwards is closed; over when none connects")
    func close() {
        var m = Self.machine(connections: 2, rows: 1, started: false)
        let r = (0..<4).map { Self.row($0) }
        for row in r { _ = m.rowArrived(row, now: 0) }
        #expect(m.slots == [.connecting(.batch(SinkBatch(serial: 1, rows: [r[0]]))),
                            .connecting(.batch(SinkBatch(serial: 2, rows: [r[1]])))])
        #expect(m.drainRequested("drain", deadline: 10_000) == [.armDrainTimer(deadline: 10_000)])
        #expect(m.connectFailed(slot: 1, error: Self.refused, random: 0)
                == [.backOff(slot: 1, nanoseconds: 0, cause: .connect(Self.refused))])
        #expect(m.roomRequested("room") == [], "4 held, room for 1 × (2 + 1)")
        #expect(m.close() == [.closeAll, .trimMemory, .resume(["drain", "room"])])
        #expect(m.state == .closed)
        #expect(m.slots[1] == .free, "the backoff is over")
        #expect(m.isConnecting)
        #expect(m.connectsEnded("closer") == [])
        #expect(m.connected(slot: 0, serverVersion: 170_000)
                == [.dropConnection(slot: 0), .trimMemory, .resume(["closer"])])
        #expect(m.slots == [.free, .free])
        #expect(m.connectsEnded("again") == [.resume(["again"])])
        // Closed: nothing is written, nobody waits.
        #expect(m.rowArrived(Self.row(9), now: 0) == [])
        #expect(m.ageTimerFired() == [])
        #expect(m.roomRequested("late") == [.resume(["late"])])
        #expect(m.drainRequested("late", deadline: 1) == [.resume(["late"])])
        #expect(m.backOffElapsed(slot: 1) == [])
        #expect(m.close() == [])
    }

    @Test("close while batches are in the server: a failure frees its slot without a retry, a commit still counts")
    func closeInFlight() {
        var m = Self.machine(connections: 3, rows: 1)
        let r = (0..<3).map { Self.row($0) }
        for row in r { _ = m.rowArrived(row, now: 0) }
        #expect(m.connected(slot: 2, serverVersion: 170_000)
                == [.write(slot: 2, batch: SinkBatch(serial: 3, rows: [r[2]]))])
        #expect(m.slots[1] == .connecting(.batch(SinkBatch(serial: 2, rows: [r[1]]))))
        #expect(m.connectsEnded("closer") == [], "slot 1 is connecting")
        #expect(m.close() == [.closeAll])
        #expect(m.writeFailed(slot: 0, error: Self.lost, connectionOpen: false, random: 0) == [.trimMemory])
        #expect(m.committed(slot: 2, outcomes: Self.committed([r[2]]), serverVersion: 170_000) == [.trimMemory])
        #expect(m.connectFailed(slot: 1, error: Self.lost, random: 0) == [.trimMemory, .resume(["closer"])])
        #expect(m.counters.retries == 0 && m.counters.committedRows == 1)
        #expect(m.state == .closed)
        #expect(m.held == 0)
    }
}
