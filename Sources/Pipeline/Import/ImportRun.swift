import Archive
import Ingest
import Logging
import Loop
import Sink

/// `import` as one object: the spool (its own directory, so an import and a server never take each other's
/// documents), the engine, and the feeder, until every document fed (and every one an interrupted run left in
/// the spool) has its row committed.
///
/// Durable and resumable: a document is in the spool before it counts as imported, and leaves it only once
/// its row is committed. Killed at any moment, the next run over the same paths finishes the leftovers,
/// feeds the paths again, and reuses the rows already committed (the same content is neither parsed again nor
/// stored twice).
@LoopActor
public final class ImportRun {
    public struct Options: Sendable {
        public var paths: [String]
        public var tenant = "default"
        /// A label for the batch (kept with it in the database).
        public var label: String?
        public var spool: IngestConfiguration
        public var engine: Engine.Configuration
        public var archiveLimits = ArchiveLimits()

        public init(paths: [String], spool: IngestConfiguration, engine: Engine.Configuration) {
            self.paths = paths
            self.spool = spool
            self.engine = engine
        }
    }

    /// Why an import could not run at all (as opposed to documents that failed).
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let options: Options
    public let batchID = DocumentID()
    public private(set) var report = ImportReport()
    private let logger: Logger
    private let metrics = IngestMetrics()
    private let spool: Spool
    private let done = Waiters()
    private var feeding = true
    private var stopped = false
    private var started: UInt64 = 0
    /// Called whenever the counts change (progress); at most as often as documents settle.
    public var onProgress: @LoopActor (ImportReport) -> Void = { _ in }

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
        spool = Spool(directory: options.spool.spoolDirectory, marks: options.spool.spoolMarks, metrics: metrics,
                      logger: logger)
    }

    /// Runs the import to the end (or until `stop` returns, e.g. on SIGINT: the rest stays in the spool).
    public func run(stop: @escaping @LoopActor () async -> Void) async throws -> ImportReport {
        guard options.engine.database.databaseURL != nil else {
            throw Failure(description: "import stores its results in PostgreSQL: set DATABASE_URL (`make run` and "
                              + "`scripts/pg url` give the private cluster's)")
        }
        if let refusal = options.engine.llm.whenUnsureRefusal { throw Failure(description: refusal) }
        started = SystemClock.shared.monotonicNanoseconds()
        let recovery: Spool.Recovery
        do {
            recovery = try await spool.open()
        } catch {
            throw Failure(description: "cannot open the spool at \(options.spool.spoolDirectory): \(error)")
        }
        report.resumed = recovery.backlogFiles
        if recovery.backlogFiles > 0 {
            logger.notice("finishing documents an interrupted import left in the spool",
                          metadata: ["documents": "\(recovery.backlogFiles)"])
        }
        let engine = Engine(
            configuration: options.engine, spool: spool, metrics: metrics.registry, logger: logger,
            observe: { [weak self] record in self?.report.count(record) },
            settled: { [weak self] outcomes in self?.settled(outcomes) },
            shortcut: { [weak self] _, shortcut in
                guard let self else { return }
                switch shortcut {
                case .reused:
                    report.reused += 1
                    report.done += 1
                case .unreadable:
                    // Moved to the spool's quarantine/ (its metadata is damaged): counted so that the import can end.
                    report.failed += 1
                    report.byErrorCode["spool_metadata_unreadable", default: 0] += 1
                    report.done += 1
                case .refused, .expanded:
                    return
                }
                progress()
            })
        if let stored = engine.stored {
            do {
                try await stored.ensureTenant(options.tenant)
                try await stored.createBatch(batchID, tenant: options.tenant, label: options.label, origin: "import")
            } catch {
                await engine.shutdown()
                throw Failure(description: "cannot reach the database to create tenant \(options.tenant): \(error)")
            }
        }
        do {
            try await engine.start()
        } catch {
            await engine.shutdown()
            throw Failure(description: "cannot start the engine: \(error)")
        }
        let feeder = ImportFeeder(
            spool: spool, options: ImportFeeder.Options(tenant: options.tenant, batchID: batchID,
                                                        archiveLimits: options.archiveLimits),
            logger: logger)
        feeder.onCommit = { [weak self] tally in
            guard let self else { return }
            report.spooled = tally.spooled
            report.bytes = tally.bytes
            report.archives = tally.archives
            progress()
        }
        // A stop request (SIGINT/SIGTERM) ends the wait; what is not committed stays in the spool.
        let stopTask = EventLoop.spawn { [self] in await stopWhen(stop, feeder: feeder) }
        var feedError: (any Error)?
        do {
            try await feeder.feed(options.paths)
        } catch {
            feedError = error
            logger.error("the spool failed; the import stops", metadata: ["error": "\(error)"])
        }
        report.spooled = feeder.tally.spooled
        report.archives = feeder.tally.archives
        report.bytes = feeder.tally.bytes
        report.unreadable = feeder.tally.unreadable
        if feedError == nil {
            await engine.api?.ledger.seal(batchID, tenant: options.tenant, expected: feeder.tally.spooled,
                                          origin: "import", label: options.label)
        }
        feeding = false
        progress()
        while !stopped, feedError == nil, report.done < report.expected {
            await done.wait()
        }
        stopTask.cancel()
        await engine.shutdown()
        report.seconds = Double(SystemClock.shared.monotonicNanoseconds() - started) / 1e9
        if let feedError { throw Failure(description: "the spool failed: \(feedError)") }
        if stopped && report.done < report.expected {
            throw Failure(description: "stopped with \(report.expected - report.done) documents still in the spool "
                              + "(run the same import again to finish them)")
        }
        return report
    }

    /// Waits for the stop request, then stops feeding and ends the wait for documents.
    private func stopWhen(_ stop: @LoopActor () async -> Void, feeder: ImportFeeder) async {
        await stop()
        stopped = true
        feeder.isCancelled = true
        done.resumeAll()
    }

    private func settled(_ outcomes: [SinkOutcome]) {
        for outcome in outcomes {
            if case .rejected = outcome.result { report.rejected += 1 }
        }
        report.done += outcomes.count
        progress()
    }

    private func progress() {
        report.seconds = Double(SystemClock.shared.monotonicNanoseconds() - started) / 1e9
        onProgress(report)
        if !feeding && report.done >= report.expected { done.resumeAll() }
    }
}
