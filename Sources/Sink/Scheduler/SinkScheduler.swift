import DequeModule

/// The Sink's decisions, pure: when gathering rows become a batch, which connection writes it, what a failure
/// leads to (through ``FlushPlanner``), when the stage before may hand over another row, and when a drain or a
/// close is over. It reads no clock and does no I/O: the ``Sink`` reports what happened (a row arrived, a timer
/// fired, a connection opened, a transaction committed or failed) with the time and randomness it needs, and
/// runs the actions it gets back, in order.
///
/// Each of the `connections` slots writes one batch at a time on a connection of its own; ``Slot`` lists a
/// slot's states. Rows wait in three places: gathering (the batch being filled), ready (sealed batches, in
/// order), and a slot's work. Generic over the waiter so that tests need no tasks (the Sink's are
/// continuations).
struct SinkScheduler<Waiter> {
    /// What the Sink does next. Actions are run in the order given.
    enum Action {
        /// Open connection `slot` (with the migrations, once, and its staging table), then report
        /// ``connected(slot:serverVersion:)`` or ``connectFailed(slot:error:random:)``.
        case connect(slot: Int)
        /// Write `batch` in one transaction on `slot`'s connection, then report
        /// ``committed(slot:outcomes:serverVersion:)`` or ``writeFailed(slot:error:connectionOpen:random:)``, or
        /// ``connectionLost(slot:)`` when the connection turned out closed before anything was sent.
        case write(slot: Int, batch: SinkBatch)
        /// Record `row` in `sink_rejects` with `reason`, in one transaction on `slot`'s connection; report as
        /// for ``write(slot:batch:)``.
        case reject(slot: Int, row: DocumentRow, reason: String)
        /// Wait `nanoseconds`, then report ``backOffElapsed(slot:)``; `cause` is what failed (for the log).
        case backOff(slot: Int, nanoseconds: UInt64, cause: Cause)
        /// Close `slot`'s connection: it opened after the Sink was closed.
        case dropConnection(slot: Int)
        /// Encode `batch` for COPY now, while the server works on the batch before; report
        /// ``encodeAheadDeclined(_:)`` when that cannot be done yet (a tenant of it is not known).
        case encodeAhead(SinkBatch)
        /// Report ``ageTimerFired()`` at `deadline` (monotonic nanoseconds), replacing any earlier schedule.
        case armAgeTimer(deadline: UInt64)
        /// The age timer is not wanted any more (its rows were sealed).
        case cancelAgeTimer
        /// Report ``drainDeadlinePassed()`` at `deadline` (monotonic nanoseconds), replacing any earlier one.
        case armDrainTimer(deadline: UInt64)
        /// The drain timer is not wanted any more (everything taken is committed).
        case cancelDrainTimer
        /// Resume these waiters: for room, for a drain, or for the end of a close.
        case resume([Waiter])
        /// The database refused document `documentID` alone: say so; it is written again as a failure record.
        case logRefusal(documentID: String, message: String)
        /// Work left a slot: hand the memory it freed back to the system.
        case trimMemory
        /// The Sink is closed: stop every timer (age, drain, backoffs), close every connection, drop anything
        /// encoded ahead.
        case closeAll
    }

    /// What failed before a ``Action/backOff(slot:nanoseconds:cause:)``.
    enum Cause: Equatable {
        /// Opening a connection.
        case connect(PGError)
        /// Writing a batch of `rows` rows.
        case write(PGError, rows: Int)
        /// Recording a row in `sink_rejects`.
        case reject(PGError)
    }

    /// What a slot works on.
    enum Work: Equatable {
        /// A batch of rows, to commit as documents.
        case batch(SinkBatch)
        /// One row the database refused even as a failure record, to keep in `sink_rejects`.
        case reject(DocumentRow, reason: String)

        var rows: Int {
            switch self {
            case .batch(let batch): batch.rows.count
            case .reject: 1
            }
        }
    }

    /// Where one connection stands. A `nil` work is the start-up connection, opened (with the migrations) before
    /// any batch needs it.
    enum Slot: Equatable {
        /// Nothing to do; its connection, if open, is idle.
        /// Next: `running` or `connecting` when a batch is handed over (never once closed).
        case free
        /// Opening the connection for `work`.
        /// Next: `running` (the start-up connection: `free`) when connected; `backingOff` when that failed;
        /// `free` when the Sink was closed meanwhile.
        case connecting(Work?)
        /// Waiting before trying `work` (or the start-up connection) again.
        /// Next: `running` when its connection is still open, else `connecting`; `free` at close.
        case backingOff(Work?)
        /// Writing `work` in one transaction.
        /// Next: `free` on commit; `running` again with a half of a split batch, a failure record or a reject;
        /// `backingOff` when the failure is retried; `connecting` when the connection turned out closed;
        /// `free` when the Sink was closed meanwhile.
        case running(Work)

        var rows: Int {
            switch self {
            case .free: 0
            case .connecting(let work), .backingOff(let work): work?.rows ?? 0
            case .running(let work): work.rows
            }
        }
    }

    /// When a batch is due.
    private let policy: FlushPolicy
    /// Without a database, no connection is opened: the rows stay upstream, in the spool.
    private let databaseConfigured: Bool
    private(set) var slots: [Slot]
    /// Whether each slot's connection is open, as far as the Sink has heard.
    private var open: [Bool]
    /// Free slots, the one freed last at the end (it is used first: its connection is the warmest).
    private var freeSlots: [Int]

    /// Rows gathering for the next batch, their bytes, and when the oldest arrived.
    private var filling: [DocumentRow] = []
    private var fillingBytes = 0
    private var oldest: UInt64?
    /// Batches sealed and waiting for a free slot, in order (the second half of a split batch goes first).
    private var ready = Deque<SinkBatch>()
    private var readyRows = 0
    private var readyBytes = 0
    private var serials = 0
    /// The batch whose COPY stream is being encoded ahead.
    private var ahead: Int?
    /// Failures in a row, of any slot (the backoff's attempt number).
    private var failures = 0

    private var roomWaiters: [Waiter] = []
    private var drainWaiters: [Waiter] = []
    private var drainDeadline: UInt64?
    private var closeWaiters: [Waiter] = []

    private(set) var isClosed = false
    /// Where the Sink stands, for `/startup-status`.
    private(set) var state: Sink.State = .connecting
    private(set) var counters = Sink.Counters()

    /// A delay before reconnecting when the connection string itself is wrong (retrying soon will not help).
    static var settingDelay: UInt64 { 30_000_000_000 }

    init(policy: FlushPolicy, connections: Int, databaseConfigured: Bool = true) {
        self.policy = policy
        self.databaseConfigured = databaseConfigured
        let count = max(1, connections)
        slots = Array(repeating: .free, count: count)
        open = Array(repeating: false, count: count)
        freeSlots = Array((0..<count).reversed())
    }

    /// Rows held: gathering, ready and being written.
    var held: Int { filling.count + readyRows + slots.reduce(0) { $0 + $1.rows } }

    /// While every slot writes a batch, one more batch may fill; past that the stage before waits. Always true
    /// once closed (nothing waits for a closed Sink).
    var hasRoom: Bool {
        isClosed || (held < policy.maxRows * (slots.count + 1) && fillingBytes + readyBytes < policy.maxBytes * 2)
    }

    /// Whether a connection is being opened now.
    var isConnecting: Bool {
        slots.contains { if case .connecting = $0 { true } else { false } }
    }

    // MARK: Start and rows

    /// Opens the first connection (and migrates) before any batch needs it.
    mutating func start() -> [Action] {
        guard databaseConfigured else {
            state = .down("DATABASE_URL is not set")
            return []
        }
        guard !isClosed, let slot = freeSlots.popLast() else { return [] }
        slots[slot] = .connecting(nil)
        return [.connect(slot: slot)]
    }

    /// `waiter` wants to hand over a row: resumed now when there is room, else once there is.
    mutating func roomRequested(_ waiter: Waiter) -> [Action] {
        if hasRoom { return [.resume([waiter])] }
        roomWaiters.append(waiter)
        return []
    }

    /// A row arrived at `now`: it gathers, and the batch is sealed when due by rows, bytes or age.
    mutating func rowArrived(_ row: DocumentRow, now: UInt64) -> [Action] {
        var actions: [Action] = []
        if filling.isEmpty && !isClosed {
            oldest = now
            actions.append(.armAgeTimer(deadline: policy.deadline(oldest: now)))
        }
        filling.append(row)
        fillingBytes += row.approximateBytes
        if !isClosed, policy.isDue(rows: filling.count, bytes: fillingBytes, oldest: oldest, now: now) {
            actions.append(.cancelAgeTimer)
            seal(into: &actions)
        }
        return actions
    }

    /// The oldest gathering row is as old as a batch may get: the batch goes now.
    mutating func ageTimerFired() -> [Action] {
        var actions: [Action] = []
        if !isClosed { seal(into: &actions) }
        return actions
    }

    /// Moves the gathering rows (if any) into a ready batch and hands ready batches to free slots.
    private mutating func seal(into actions: inout [Action]) {
        guard !filling.isEmpty else { return }
        let batch = makeBatch(filling, bytes: fillingBytes)
        ready.append(batch)
        readyRows += batch.rows.count
        readyBytes += batch.bytes
        filling = []
        fillingBytes = 0
        oldest = nil
        pump(into: &actions)
    }

    private mutating func makeBatch(_ rows: [DocumentRow], reduced: Bool = false, bytes: Int? = nil) -> SinkBatch {
        serials += 1
        return SinkBatch(serial: serials, rows: rows, reduced: reduced, bytes: bytes)
    }

    /// Hands ready batches to free slots, in order.
    private mutating func pump(into actions: inout [Action]) {
        guard databaseConfigured else {
            // Nothing will write them: they stay upstream, in the spool, for a start with a database.
            ready.removeAll()
            readyRows = 0
            readyBytes = 0
            return
        }
        while !isClosed, !freeSlots.isEmpty, let batch = ready.popFirst() {
            let slot = freeSlots.removeLast()
            readyRows -= batch.rows.count
            readyBytes -= batch.bytes
            begin(.batch(batch), on: slot, into: &actions)
        }
    }

    /// Starts `work` on `slot`: written at once on an open connection, else after connecting.
    private mutating func begin(_ work: Work, on slot: Int, into actions: inout [Action]) {
        guard open[slot] else {
            slots[slot] = .connecting(work)
            actions.append(.connect(slot: slot))
            return
        }
        slots[slot] = .running(work)
        switch work {
        case .batch(let batch): actions.append(.write(slot: slot, batch: batch))
        case .reject(let row, let reason): actions.append(.reject(slot: slot, row: row, reason: reason))
        }
    }

    /// `slot` is done with its work: it takes the next ready batch, and waiters hear of the room.
    private mutating func release(_ slot: Int, into actions: inout [Action]) {
        let rows = slots[slot].rows
        slots[slot] = .free
        freeSlots.append(slot)
        if rows > 0 { actions.append(.trimMemory) }
        // The next write first, then the stages waiting for room: they share the loop, and the database should
        // not sit idle while they refill.
        pump(into: &actions)
        wake(into: &actions)
    }

    private mutating func wake(into actions: inout [Action]) {
        if hasRoom, !roomWaiters.isEmpty {
            actions.append(.resume(roomWaiters))
            roomWaiters = []
        }
        if held == 0, !drainWaiters.isEmpty {
            actions.append(.resume(drainWaiters))
            drainWaiters = []
            if drainDeadline != nil {
                drainDeadline = nil
                actions.append(.cancelDrainTimer)
            }
        }
        endConnectsWait(into: &actions)
    }

    /// Resumes whoever waits for the end of connecting, when no slot is connecting any more.
    private mutating func endConnectsWait(into actions: inout [Action]) {
        if !closeWaiters.isEmpty, !isConnecting {
            actions.append(.resume(closeWaiters))
            closeWaiters = []
        }
    }

    // MARK: Connections

    /// `slot`'s connection is open (and migrated, with its staging table).
    mutating func connected(slot: Int, serverVersion: Int) -> [Action] {
        guard case .connecting(let work) = slots[slot] else { preconditionFailure("slot \(slot) was not connecting") }
        var actions: [Action] = []
        if isClosed {
            actions.append(.dropConnection(slot: slot))
            release(slot, into: &actions)
            return actions
        }
        open[slot] = true
        if counters.transactions > 0 || failures > 0 { counters.reconnects += 1 }
        state = .ready(serverVersion: serverVersion)
        if let work {
            begin(work, on: slot, into: &actions)
        } else {
            release(slot, into: &actions)
        }
        endConnectsWait(into: &actions)
        return actions
    }

    /// Opening `slot`'s connection failed; `random` is uniform in `0..<1` (the backoff's jitter).
    mutating func connectFailed(slot: Int, error: PGError, random: Double) -> [Action] {
        guard case .connecting(let work) = slots[slot] else { preconditionFailure("slot \(slot) was not connecting") }
        var actions: [Action] = []
        if isClosed {
            release(slot, into: &actions)
            return actions
        }
        failures += 1
        state = .down(error.description)
        let delay = error.kind == .setting ? Self.settingDelay
            : FlushPlanner.backoff.delay(attempt: failures, random: random) ?? FlushPlanner.backoff.cap
        slots[slot] = .backingOff(work)
        actions.append(.backOff(slot: slot, nanoseconds: delay, cause: .connect(error)))
        endConnectsWait(into: &actions)
        return actions
    }

    /// `slot`'s connection was found closed before its work was sent: connect again (no failure counted).
    mutating func connectionLost(slot: Int) -> [Action] {
        guard case .running(let work) = slots[slot] else { preconditionFailure("slot \(slot) was not running") }
        open[slot] = false
        var actions: [Action] = []
        if isClosed {
            release(slot, into: &actions)
        } else {
            begin(work, on: slot, into: &actions)
        }
        return actions
    }

    /// `slot`'s backoff is over: try its work (or its connection) again.
    mutating func backOffElapsed(slot: Int) -> [Action] {
        guard case .backingOff(let work) = slots[slot] else { return [] } // freed by a close meanwhile
        var actions: [Action] = []
        if let work {
            begin(work, on: slot, into: &actions)
        } else {
            slots[slot] = .connecting(nil)
            actions.append(.connect(slot: slot))
        }
        return actions
    }

    // MARK: Transactions

    /// `slot`'s transaction is about to COPY its batch: whether to take the stream encoded ahead (only when it
    /// was encoded for this batch). Whatever was encoded ahead is spent either way: one for another batch, which
    /// a split overtook, is dropped.
    mutating func copyWillStart(slot: Int) -> Bool {
        defer { ahead = nil }
        guard case .running(.batch(let batch)) = slots[slot] else { return false }
        return ahead == batch.serial
    }

    /// `slot`'s COPY is in the server (`bytes` of it): while the server works on the upsert, the next ready
    /// batch is encoded, unless one already is.
    mutating func copied(slot: Int, bytes: Int) -> [Action] {
        counters.copiedBytes += bytes
        guard !isClosed, ahead == nil, let next = ready.first else { return [] }
        ahead = next.serial
        return [.encodeAhead(next)]
    }

    /// `batch` could not be encoded ahead (a tenant of it is not known yet): its transaction encodes it.
    mutating func encodeAheadDeclined(_ batch: SinkBatch) {
        if ahead == batch.serial { ahead = nil }
    }

    /// `slot`'s transaction committed, settling `outcomes`.
    mutating func committed(slot: Int, outcomes: [SinkOutcome], serverVersion: Int) -> [Action] {
        guard case .running(let work) = slots[slot] else { preconditionFailure("slot \(slot) was not running") }
        counters.transactions += 1
        if case .batch = work {
            failures = 0
            if case .down = state { state = .ready(serverVersion: serverVersion) }
        }
        for outcome in outcomes {
            switch outcome.result {
            case .committed: counters.committedRows += 1
            case .recordedFailed: counters.recordedFailed += 1
            case .rejected: counters.rejected += 1
            }
        }
        var actions: [Action] = []
        release(slot, into: &actions)
        return actions
    }

    /// `slot`'s transaction failed with `error` (rolled back); `connectionOpen` says whether its connection
    /// survived; `random` is uniform in `0..<1` (the backoff's jitter). A batch goes where ``FlushPlanner``
    /// says: replayed after a backoff, split, rewritten as a failure record, or kept in `sink_rejects`.
    mutating func writeFailed(slot: Int, error: PGError, connectionOpen: Bool, random: Double) -> [Action] {
        guard case .running(let work) = slots[slot] else { preconditionFailure("slot \(slot) was not running") }
        open[slot] = connectionOpen
        var actions: [Action] = []
        if isClosed {
            release(slot, into: &actions)
            return actions
        }
        failures += 1
        guard case .batch(let batch) = work else {
            state = .down(error.description)
            let delay = FlushPlanner.backoff.delay(attempt: failures, random: random) ?? FlushPlanner.backoff.cap
            slots[slot] = .backingOff(work)
            return [.backOff(slot: slot, nanoseconds: delay, cause: .reject(error))]
        }
        switch FlushPlanner.action(for: error, rows: batch.rows.count, reduced: batch.reduced, attempt: failures,
                                   random: random) {
        case .reconnectAndReplay(let delay), .retryLater(let delay):
            state = .down(error.description)
            counters.retries += 1
            slots[slot] = .backingOff(work)
            actions.append(.backOff(slot: slot, nanoseconds: delay, cause: .write(error, rows: batch.rows.count)))
        case .split(let at):
            failures = 0
            counters.bisections += 1
            // The second half waits first in line for a slot; this slot goes on with the first.
            let second = makeBatch(Array(batch.rows[at...]))
            ready.prepend(second)
            readyRows += second.rows.count
            readyBytes += second.bytes
            begin(.batch(makeBatch(Array(batch.rows[..<at]))), on: slot, into: &actions)
        case .recordFailed(let message):
            failures = 0
            actions.append(.logRefusal(documentID: batch.rows[0].id, message: message))
            begin(.batch(makeBatch([batch.rows[0].rejected(message)], reduced: true)), on: slot, into: &actions)
        case .reject(let message):
            failures = 0
            let reason = "the database refused the document and its failure record: \(message)"
            begin(.reject(batch.rows[0], reason: reason), on: slot, into: &actions)
        }
        return actions
    }

    // MARK: Drain and close

    /// `waiter` wants everything taken committed by `deadline` (monotonic nanoseconds): what is gathering is
    /// sealed now. Resumed at once when nothing is held, when the database is down (nothing would commit: the
    /// rows stay upstream, in the spool) or when closed; else once nothing is held, or at the deadline.
    mutating func drainRequested(_ waiter: Waiter, deadline: UInt64) -> [Action] {
        var actions: [Action] = []
        if !isClosed {
            if !filling.isEmpty { actions.append(.cancelAgeTimer) }
            seal(into: &actions)
        }
        let down = if case .down = state { true } else { false }
        if isClosed || held == 0 || down {
            actions.append(.resume([waiter]))
            return actions
        }
        drainWaiters.append(waiter)
        if drainDeadline.map({ deadline < $0 }) ?? true {
            drainDeadline = deadline
            actions.append(.armDrainTimer(deadline: deadline))
        }
        return actions
    }

    /// The earliest drain deadline passed: every drain waiting ends (the rest stays upstream, in the spool).
    mutating func drainDeadlinePassed() -> [Action] {
        drainDeadline = nil
        guard !drainWaiters.isEmpty else { return [] }
        defer { drainWaiters = [] }
        return [.resume(drainWaiters)]
    }

    /// Stops writing: connections close, slots waiting out a backoff are freed, and everyone waiting (for
    /// room or for a drain) is resumed. Work in flight ends with the I/O that carries it.
    mutating func close() -> [Action] {
        guard !isClosed else { return [] }
        isClosed = true
        state = .closed
        ahead = nil
        drainDeadline = nil
        var actions: [Action] = [.closeAll]
        var freed = 0
        for slot in slots.indices {
            open[slot] = false
            if case .backingOff = slots[slot] {
                freed += slots[slot].rows
                slots[slot] = .free
                freeSlots.append(slot)
            }
        }
        if freed > 0 { actions.append(.trimMemory) }
        let waiters = drainWaiters + roomWaiters
        drainWaiters = []
        roomWaiters = []
        if !waiters.isEmpty { actions.append(.resume(waiters)) }
        return actions
    }

    /// `waiter` wants to know when no connection is being opened any more (one that opens after the close is
    /// closed at once), so that the loop is left with no handle of the Sink's.
    mutating func connectsEnded(_ waiter: Waiter) -> [Action] {
        if !isConnecting { return [.resume([waiter])] }
        closeWaiters.append(waiter)
        return []
    }
}

extension SinkScheduler.Action: Equatable where Waiter: Equatable {}
