import Loop
import Logging

/// Makes documents durable rows of PostgreSQL, in batches, exactly once; and says which are durable, so the
/// spool can forget them.
///
/// - **Batches.** Rows gather until `SINK_BATCH_ROWS`, `SINK_BATCH_BYTES` or `SINK_BATCH_AGE_MS` (whichever
///   first), then one transaction: binary `COPY` into a temporary staging table, one upsert per tenant (with
///   the tenant set for row-level security), batch counters recounted, commit. `SINK_CONNECTIONS` batches
///   are written at once, each on its own connection; the next is encoded while the server works and one more
///   fills; beyond that ``waitForRoom()`` holds the stage before (backpressure).
/// - **Exactly once.** The upsert is keyed on (tenant, content SHA-256) and changes a row only when the result
///   differs, so a batch replayed after a lost connection (even one whose commit did happen) leaves the same
///   rows.
/// - **Faults.** A lost connection or a restarting server: reconnect with backoff, replay the batch. A row the
///   server refuses: the batch is halved until the row is alone, the rest is committed, and the row is
///   recorded as `failed` (`db_rejected`, with the server's message) or, if even that is refused, in
///   `sink_rejects`. Other refusals (a missing table, a permission) are retried: documents wait, never fail.
/// - **Start-up.** The engine does not wait for the database: the Sink connects (and migrates) in the
///   background and keeps trying; until then documents wait upstream and `/startup-status` says why.
///
/// Every decision is the ``SinkScheduler``'s; the Sink reports to it what happened, with the time, and runs
/// the actions it returns (``run(_:)``). The I/O of a transaction is in `Sink+Transaction.swift`, of a
/// connection in `Sink+Connection.swift`.
@LoopActor
public final class Sink {
    typealias Scheduler = SinkScheduler<CheckedContinuation<Void, Never>>

    /// Time for batch ages, deadlines and commit latency.
    let clock: any EngineClock
    public let configuration: SinkConfiguration
    let logger: Logger
    let durable: @LoopActor ([SinkOutcome]) -> Void

    var scheduler: Scheduler
    private let ageTimer = UVTimer()
    private var drainTimer: UVTimer?
    private var backOffTimers: [Int: UVTimer] = [:]
    private var random = SystemRandomNumberGenerator()

    var connections: [Int: PGConnection] = [:]
    var migrated = false
    /// Tenant ids by slug, as the database told them.
    var tenants: [String: [UInt8]] = [:]
    /// The COPY stream being encoded ahead (the scheduler says for which batch, and when it is used).
    var prepared: Prepared?
    /// Encoding buffers kept for reuse (a fresh multi-megabyte buffer per batch, grown on whichever pool thread
    /// encoded it, would leave that much behind in each thread's malloc arena: memory would climb with the
    /// number of pool threads).
    var spareBuffers: [[UInt8]] = []

    /// Where the Sink stands, for `/startup-status`.
    public enum State: Sendable, Equatable {
        case connecting
        case ready(serverVersion: Int)
        /// The last attempt failed; the Sink keeps trying.
        case down(String)
        case closed
    }
    public var state: State { scheduler.state }

    /// What the Sink has done (tests, benchmarks, `/startup-status`).
    public struct Counters: Sendable, Equatable {
        public var committedRows = 0
        public var recordedFailed = 0
        public var rejected = 0
        public var transactions = 0
        public var bisections = 0
        public var reconnects = 0
        public var retries = 0
        /// Bytes of COPY streams the server took.
        public var copiedBytes = 0
    }
    public var counters: Counters { scheduler.counters }
    /// Hears each committed transaction: its rows and how long it took from `BEGIN` to `COMMIT` (metrics).
    public var onCommitted: (@LoopActor (_ rows: Int, _ nanoseconds: UInt64) -> Void)?

    /// `durable` is called after each commit with the outcome of every document the commit settled.
    public init(configuration: SinkConfiguration, logger: Logger, clock: any EngineClock = SystemClock.shared,
                durable: @escaping @LoopActor ([SinkOutcome]) -> Void) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.durable = durable
        scheduler = Scheduler(policy: configuration.policy, connections: configuration.connections,
                              databaseConfigured: configuration.databaseURL != nil)
        Malloc.mapLargeAllocations()
    }

    /// Rows held: gathering, ready and being written.
    public var held: Int { scheduler.held }

    /// Connects (and migrates) in the background; returns at once.
    public func start() {
        run(scheduler.start())
    }

    // MARK: Taking rows

    /// Returns once the Sink can take another row: while a batch is written, one more fills; past that the
    /// stage before waits.
    public func waitForRoom() async {
        if scheduler.hasRoom { return }
        await withCheckedContinuation(isolation: LoopActor.shared) { run(scheduler.roomRequested($0)) }
    }

    /// Takes a row; it is written with the next batch.
    public func accept(_ row: DocumentRow) {
        run(scheduler.rowArrived(row, now: clock.monotonicNanoseconds()))
    }

    /// Writes what is gathering now and returns once everything taken is committed (or `timeoutMilliseconds`
    /// passed: the rest stays upstream, in the spool).
    public func drain(timeoutMilliseconds: UInt64) async {
        let deadline = clock.monotonicNanoseconds() &+ timeoutMilliseconds &* 1_000_000
        await withCheckedContinuation(isolation: LoopActor.shared) {
            run(scheduler.drainRequested($0, deadline: deadline))
        }
    }

    /// ``close()``, then waits until no connection is being opened any more (one that completes after
    /// the close is closed at once), so the loop is left with no handle of the Sink's.
    public func closeAndWait() async {
        close()
        await withCheckedContinuation(isolation: LoopActor.shared) { run(scheduler.connectsEnded($0)) }
    }

    /// Stops writing and closes the connection (after ``drain(timeoutMilliseconds:)``).
    public func close() {
        run(scheduler.close())
    }

    // MARK: Running the scheduler's actions

    /// Runs `actions` in order. I/O starts as tasks of its own, which report back to the scheduler when done.
    func run(_ actions: [Scheduler.Action]) {
        for action in actions {
            switch action {
            case .connect(let slot):
                EventLoop.spawn { [self] in await connect(slot) }
            case .write(let slot, let batch):
                EventLoop.spawn { [self] in await write(batch, slot: slot) }
            case .reject(let slot, let row, let reason):
                EventLoop.spawn { [self] in await reject(row, reason: reason, slot: slot) }
            case .backOff(let slot, let nanoseconds, let cause):
                log(cause, nanoseconds: nanoseconds)
                backOff(slot, nanoseconds: nanoseconds)
            case .dropConnection(let slot):
                dropConnection(slot)
            case .encodeAhead(let batch):
                encodeAhead(batch)
            case .armAgeTimer(let deadline):
                ageTimer.schedule(after: milliseconds(until: deadline)) { [unowned self] in
                    run(scheduler.ageTimerFired())
                }
            case .cancelAgeTimer:
                ageTimer.cancel()
            case .armDrainTimer(let deadline):
                let timer = drainTimer ?? UVTimer()
                drainTimer = timer
                timer.schedule(after: milliseconds(until: deadline)) { [unowned self] in
                    drainTimer?.close()
                    drainTimer = nil
                    run(scheduler.drainDeadlinePassed())
                }
            case .cancelDrainTimer:
                drainTimer?.close()
                drainTimer = nil
            case .resume(let waiters):
                waiters.forEach { $0.resume() }
            case .logRefusal(let id, let message):
                logger.warning("database refused a document; recording it as failed", metadata: [
                    "id": "\(id)", "error": "\(message)"])
            case .trimMemory:
                Malloc.trim()
            case .closeAll:
                ageTimer.close()
                drainTimer?.close()
                drainTimer = nil
                backOffTimers.values.forEach { $0.close() }
                backOffTimers = [:]
                connections.values.forEach { $0.close() }
                connections = [:]
                prepared = nil
            }
        }
    }

    /// Reports the end of `slot`'s backoff after `nanoseconds` (unless the Sink is closed first).
    private func backOff(_ slot: Int, nanoseconds: UInt64) {
        backOffTimers.removeValue(forKey: slot)?.close()
        let timer = UVTimer()
        backOffTimers[slot] = timer
        timer.schedule(after: max(1, nanoseconds / 1_000_000)) { [unowned self] in
            backOffTimers.removeValue(forKey: slot)?.close()
            run(scheduler.backOffElapsed(slot: slot))
        }
    }

    private func log(_ cause: Scheduler.Cause, nanoseconds: UInt64) {
        let delay = "\(nanoseconds / 1_000_000)"
        switch cause {
        case .connect(let error):
            logger.warning("database unavailable; retrying", metadata: ["error": "\(error)", "delay_ms": "\(delay)"])
        case .write(let error, let rows):
            logger.warning("database write failed; retrying", metadata: [
                "error": "\(error)", "rows": "\(rows)", "delay_ms": "\(delay)"])
        case .reject(let error):
            logger.error("could not record rejected documents; retrying", metadata: ["error": "\(error)"])
        }
    }

    /// Whole milliseconds from now to `deadline`, rounded up (a timer never fires before it).
    private func milliseconds(until deadline: UInt64) -> UInt64 {
        let now = clock.monotonicNanoseconds()
        return deadline > now ? (deadline - now + 999_999) / 1_000_000 : 0
    }

    /// Uniform in `0..<1`: the backoff's jitter.
    func randomUnit() -> Double {
        Double.random(in: 0..<1, using: &random)
    }
}
