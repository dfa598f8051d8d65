import Archive
import ExtractPool
import Ingest
import LLMBatcher
import Logging
import Loop
import Prometheus
import Sink

/// The stages after the spool, wired once for both front doors (`serve` and `import`):
/// spool → extraction pool → parser (LLM batcher, or the rules parser without an API key) → database.
/// Each commit lets the spool forget the documents it settled. Without a database, results are only logged
/// and documents stay in the spool.
@LoopActor
public final class Engine {
    /// What the engine is built from.
    public struct Configuration: Sendable {
        public var extract: ExtractConfiguration
        public var llm: LLMConfiguration
        public var database: SinkConfiguration
        /// How long shutdown lets the parser and the database finish what they hold.
        public var parserDrainMilliseconds: UInt64 = 5_000
        public var databaseDrainMilliseconds: UInt64 = 10_000
        /// Limits on archives sent to `POST /api/v1/imports` (entries held to `MAX_FILE_SIZE`).
        public var archiveLimits = ArchiveLimits()
        /// Batch-completion webhooks (`WEBHOOK_*`).
        public var webhooks = WebhookConfiguration()
        /// How long failed documents' bytes are kept for a retry after they were received
        /// (`RETAIN_FAILED_HOURS`, 72; 0 keeps none).
        public var retainFailedHours: Double = 72
        /// Which scorer scores candidates for jobs (`SCORER`; the LLM's when one is configured).
        public var scorer: ScorerChoice = .rules

        public init(extract: ExtractConfiguration, llm: LLMConfiguration, database: SinkConfiguration) {
            self.extract = extract
            self.llm = llm
            self.database = database
        }
    }

    /// What happened to a document the engine settled without extracting it.
    public enum Shortcut: Sendable {
        /// Refused before extraction (e.g. an archive entry `unsafe_entry`): recorded failed with its code.
        case refused
        /// The tenant's stored result for the same content and parser was reused: nothing done again.
        case reused(StoredResult)
        /// An archive (`POST /api/v1/imports`) was read into this many documents of its own and left the spool.
        case expanded(Int)
        /// Its metadata could not be read: moved to the spool's `quarantine/` with its reason, for an operator.
        case unreadable
    }

    public let configuration: Configuration
    public let spool: Spool
    /// In shutdown order: extraction, parsing, results.
    public let stages: [any Stage]
    public let extraction: ExtractionStage
    public let parsing: ParsingStageDoor
    public let results: any ResultStage
    /// Stored results by content (nil without a database).
    public let stored: StoredResults?
    /// Tenants, batches and the results API (nil without a database).
    public let api: TenantAPI?
    /// The LLM batcher, when the parser is one; and its Batch API journal (Batch API mode with a database).
    private let batcher: LLMBatcher?
    private let batchJournal: LLMBatchJournalStore?
    private let http: HTTPClient
    /// The LLM scorer's own client, when it scores (closed at shutdown, after the scoring worker).
    private var scoringHTTP: HTTPClient?
    private let logger: Logger
    private let shortcut: @LoopActor (DocumentMetadata, Shortcut) -> Void
    private let metrics: PipelineMetrics
    /// Deletes kept failed documents past their time (every 10 minutes) and makes up missed batch completion
    /// checks (every minute).
    private var sweeper: Task<Void, Never>?
    /// Documents settled without extraction.
    public private(set) var reused = 0
    public private(set) var refused = 0
    public private(set) var archives = 0

    /// Wires the stages (all on `clock`); nothing runs before ``start()``. `observe` hears every record handed to the
    /// database, `settled` every durable batch of outcomes, `shortcut` every document settled without
    /// extraction.
    public init(configuration: Configuration, spool: Spool, metrics: PrometheusCollectorRegistry, logger: Logger,
                clock: any EngineClock = SystemClock.shared,
                observe: @escaping @LoopActor (DocumentRecord) -> Void = { _ in },
                settled: @escaping @LoopActor ([SinkOutcome]) -> Void = { _ in },
                shortcut: @escaping @LoopActor (DocumentMetadata, Shortcut) -> Void = { _, _ in }) {
        self.configuration = configuration
        self.spool = spool
        self.logger = logger
        self.shortcut = shortcut
        self.metrics = PipelineMetrics(registry: metrics)
        if configuration.database.databaseURL != nil {
            // The LLM scorer has an HTTP client of its own: its requests and the parser's share no queue.
            var scorer: (any CandidateScoring)?
            if configuration.scorer == .llm {
                let http = HTTPClient(maxConnectionsPerHost: configuration.llm.maxConcurrency)
                scoringHTTP = http
                scorer = LLMCandidateScoring(scorer: LLMScorer(configuration: configuration.llm, http: http,
                                                               logger: logger, clock: clock))
            }
            let api = TenantAPI(configuration: configuration.database, webhooks: configuration.webhooks, clock: clock,
                                logger: logger, scorer: scorer)
            self.api = api
            let ledger = api.ledger
            results = DatabaseResults(
                configuration: configuration.database, spool: spool, logger: logger, clock: clock,
                retainFailures: configuration.retainFailedHours > 0,
                observe: { record in
                    ledger.handedOver(record.id, tenant: record.metadata.tenant, batch: record.metadata.batchID)
                    observe(record)
                },
                settled: { outcomes in
                    ledger.settled(outcomes.map(\.id))
                    settled(outcomes)
                })
            stored = StoredResults(configuration: configuration.database, logger: logger)
            spool.committed = { metadata in ledger.committed(metadata) }
            ledger.journal = SealJournal(directory: spool.directory + "/seals")
        } else {
            results = LoggedResults(logger: logger)
            stored = nil
            api = nil
        }
        // As many connections as requests may be in flight: curl queues the rest, and a queued request's time
        // counts as the endpoint's latency (the batcher's Little's-law target would chase its own queue).
        http = HTTPClient(maxConnectionsPerHost: configuration.llm.maxConcurrency)
        let parser: any ParsingStage
        if configuration.llm.usesLLM {
            // Batch API batches are journaled in the database, so a restart resumes them instead of paying again.
            let journal = configuration.llm.batchAPI && configuration.database.databaseURL != nil
                ? LLMBatchJournalStore(configuration: configuration.database, logger: logger) : nil
            let batcher = LLMBatcher(configuration: configuration.llm, http: http, consumer: results, logger: logger,
                                     clock: clock, journal: journal.map(DatabaseBatchJournal.init(store:)))
            self.batcher = batcher
            batchJournal = journal
            // LLM_WHEN_UNSURE: the rules read every text first and hand the LLM only what they read weakly.
            parser = configuration.llm.whenUnsure
                ? RulesStage(consumer: results, concurrency: configuration.extract.concurrency, clock: clock,
                             unsure: batcher)
                : batcher
        } else {
            parser = RulesStage(consumer: results, concurrency: configuration.extract.concurrency, clock: clock)
            batcher = nil
            batchJournal = nil
        }
        parsing = ParsingStageDoor(parser)
        let feed = ParserFeed(parser: parser, results: results)
        let extractor = Extractor(configuration: configuration.extract, logger: logger)
        let source = SpoolSource(spool: spool, logger: logger)
        extraction = ExtractionStage(extractor: extractor, source: source, consumer: feed,
                                     metrics: ExtractMetrics(registry: metrics), logger: logger)
        stages = [extraction, parsing, results]
        source.screen = { [unowned self] metadata in await self.screen(metadata) }
        source.quarantined = { [unowned self] id in
            let metadata = DocumentMetadata(id: id, tenant: "", batchID: id, filename: nil, declaredType: nil, size: 0,
                                            sha256: [], receivedAtMilliseconds: 0)
            self.shortcut(metadata, .unreadable)
        }
        // An erasure through the API: the content's copies still waiting in the spool go, and so does any
        // result kept for reuse; copies already in flight are dropped by the Sink (`erasures`).
        api?.routes.erased = { [unowned self] tenant, sha256 in
            let purged = await self.spool.purge(tenant: tenant, sha256: sha256)
                + self.spool.purgeRetained(tenant: tenant, sha256: sha256)
            self.batcher?.forget(tenant: tenant, sha256Hex: Hex.encode(sha256))
            if purged > 0 {
                self.logger.info("erased copies removed from the spool", metadata: ["count": "\(purged)"])
            }
        }
        api?.routes.retained = { [unowned self] ids in await self.spool.retainedIDs(ids) }
        // A job's description sent as a file goes through the same converters as a resume.
        api?.jobRoutes.extract = { [extractor] path, filename, declaredType, size in
            let document = await extractor.extract(ExtractionInput(
                id: "job-description", path: path, filename: filename, declaredType: declaredType, size: size))
            var source = JSONText.Object()
            source.string("filename", filename)
            source.string("detected_type", document.detectedType)
            source.string("extractor", document.extractor)
            return JobRoutes.DescriptionFile(
                text: document.status == .extracted ? document.text : "", source: source.finished(),
                failure: document.failure.map { ($0.code.rawValue, $0.detail) })
        }
        api?.routes.restore = { [unowned self] ids in
            do {
                return try await self.spool.restore(ids)
            } catch {
                self.logger.error("could not move kept documents back for a retry", metadata: ["error": "\(error)"])
                return []
            }
        }
        let pipelineMetrics = self.metrics
        (results as? DatabaseResults)?.sink.onCommitted = { _, nanoseconds in
            pipelineMetrics.committed(nanoseconds: nanoseconds)
        }
    }

    /// The provider and model whose stored results count as this engine's own.
    public var parserIdentity: (provider: String, model: String?) {
        configuration.llm.usesLLM ? ("openai", configuration.llm.model) : ("rules", nil)
    }

    /// Opens the converters, connects the database and starts pulling from the spool.
    public func start() async throws {
        try await extraction.extractor.open()
        (results as? DatabaseResults)?.sink.start()
        if configuration.database.databaseURL == nil {
            logger.warning(
                "DATABASE_URL is not set: results are logged, not stored, and documents stay in the spool (make run starts a private PostgreSQL and sets it)")
        }
        if !configuration.llm.usesLLM {
            logger.info("no OPENAI_API_KEY: the built-in rules parser fills the JSON Resume fields")
        } else if configuration.llm.whenUnsure {
            logger.info("LLM_WHEN_UNSURE: the rules parser reads every document; only weak readings go to the LLM")
        }
        // Before any document arrives: those in a batch still running wait for it.
        await batcher?.resumeJournaledBatches()
        await api?.ledger.resumeJournal()
        extraction.start()
        api?.webhooks.start()
        api?.scoring.start()
        if results is DatabaseResults {
            let hours = max(0, configuration.retainFailedHours)
            sweeper = EventLoop.spawn { [spool, logger, api] in
                var round = 0
                while !Task.isCancelled {
                    if round % 10 == 0 {
                        let swept = await spool.sweepRetained(olderThan: hours * 3600)
                        if swept > 0 { logger.info("kept failed documents past RETAIN_FAILED_HOURS deleted", metadata: ["count": "\(swept)"]) }
                    }
                    if let api, let tenants = try? await api.directory.tenants() {
                        await api.ledger.sweep(tenants: tenants.map { ($0.slug, $0.id) })
                        await api.sweepScoringRuns(tenantIDs: tenants.map(\.id))
                        for tenant in tenants { await api.idempotency.expire(tenantID: tenant.id) }
                    }
                    round += 1
                    try? await Task.sleep(nanoseconds: 60_000_000_000)
                }
            }
        }
    }

    /// Brings the parser's and the Sink's metrics up to date (call before rendering `/metrics`).
    public func refreshMetrics() {
        metrics.refresh(parser: parsing.parser, sink: (results as? DatabaseResults)?.sink, reused: reused,
                        refused: refused, scoring: api?.scoring.counters)
    }

    /// Adds each stage's line to `/startup-status`.
    public func register(in status: StartupStatus) {
        let tools = extraction.extractor.tools
        status.register("converters") {
            let missing = tools.summary.filter { $0.1 == "missing" }.map(\.0)
            return .init(status: missing.isEmpty ? "ok" : "degraded",
                         detail: tools.summary.map { "\($0.0): \($0.1)" }.joined(separator: ", "))
        }
        let extractor = extraction.extractor
        let mode = configuration.extract.sandbox
        status.register("converter_sandbox") {
            let summary = extractor.sandbox.summary(mode: mode)
            return .init(status: summary.status, detail: summary.detail)
        }
        for stage in stages {
            status.register(stage.name) { stage.status }
        }
        if let scoring = api?.scoring {
            status.register("scoring") {
                let c = scoring.counters
                return .init(status: "ok", detail: "scorer \(scoring.scorerName): \(c.scored) candidates scored, "
                                 + "\(c.failed.values.reduce(0, +)) failed, \(c.reasonsDropped) reasons dropped "
                                 + "(quote not in the resume) since start")
            }
        }
        status.register("screening") { [unowned self] in
            .init(status: "ok", detail: "\(reused) reused from stored results (same tenant, content and parser), "
                      + "\(refused) refused before extraction, \(archives) archives read into documents")
        }
    }

    /// Shutdown, one loop over the stages: the spool stops handing out documents, then each stage drains
    /// (by its deadline) and closes, in pipeline order. What is not finished stays in the spool.
    public func shutdown() async {
        // The sweep's statement in progress finishes before the connections close.
        sweeper?.cancel()
        await sweeper?.value
        sweeper = nil
        spool.closeQueue()
        let deadlines: [ObjectIdentifier: UInt64] = [
            ObjectIdentifier(extraction): UInt64(configuration.extract.timeoutMilliseconds) + 5_000,
            ObjectIdentifier(parsing): configuration.parserDrainMilliseconds,
            ObjectIdentifier(results): configuration.databaseDrainMilliseconds,
        ]
        for stage in stages {
            await stage.drain(timeoutMilliseconds: deadlines[ObjectIdentifier(stage)] ?? 0)
            await stage.close()
        }
        await stored?.close()
        await api?.ledger.drain(timeoutMilliseconds: 5_000)
        await api?.close()
        await batchJournal?.close()
        http.close()
        scoringHTTP?.close()
    }

    /// Settles a document without extracting it when it was refused on the way in, or when the tenant's
    /// stored result for the same content came from this engine's parser. True when it was settled.
    private func screen(_ metadata: DocumentMetadata) async -> Bool {
        if metadata.isArchive {
            await expand(metadata)
            return true
        }
        if metadata.refusal != nil {
            await results.waitForRoom()
            await results.settle(DocumentRecord(metadata: metadata), text: nil)
            refused += 1
            shortcut(metadata, .refused)
            return true
        }
        guard let stored, let found = await stored.lookUp(tenant: metadata.tenant, sha256: metadata.sha256),
              Self.reusable(found, identity: parserIdentity, whenUnsure: configuration.llm.whenUnsure)
        else { return false }
        do {
            try await spool.remove(metadata.id, size: metadata.size)
        } catch {
            logger.error("could not remove a reused document from the spool", metadata: ["error": "\(error)"])
        }
        reused += 1
        // Its item was recorded when it was spooled; again here (a no-op then) in case the ledger's queue was
        // full and dropped it: a reused document never reaches the Sink, which writes the others' items.
        api?.ledger.committed([metadata])
        api?.ledger.reused(tenant: metadata.tenant, batch: metadata.batchID)
        shortcut(metadata, .reused(found))
        return true
    }

    /// Reads an archive document into documents of its own (same tenant and batch), then forgets the archive.
    /// Interrupted, it is read again after a restart: entries already spooled are the same content, so they
    /// end up as the same rows.
    private func expand(_ metadata: DocumentMetadata) async {
        var options = ImportFeeder.Options(tenant: metadata.tenant, batchID: metadata.batchID,
                                           archiveLimits: configuration.archiveLimits)
        options.waitsForRoom = false
        options.admit = await monthlyLimit(of: metadata.tenant)
        let feeder = ImportFeeder(spool: spool, options: options, logger: logger)
        // The batch exists (with the archive's name) even when the archive holds nothing to import.
        if let stored {
            do {
                try await stored.createBatch(metadata.batchID, tenant: metadata.tenant, label: metadata.filename,
                                             origin: "import")
            } catch {
                logger.warning("could not record the import's batch", metadata: ["error": "\(error)"])
            }
        }
        do {
            try await feeder.expandArchive(at: spool.paths(of: metadata.id).data,
                                           named: metadata.filename ?? "import", key: Hex.encode(metadata.sha256))
            // Sealed (journaled) before the archive leaves the spool: a restart in between reads it again.
            await api?.ledger.seal(metadata.batchID, tenant: metadata.tenant, expected: feeder.tally.spooled,
                                   origin: "import", label: metadata.filename)
            try await spool.remove(metadata.id, size: metadata.size)
            logger.info("archive read into documents", metadata: [
                "id": "\(metadata.id)", "documents": "\(feeder.tally.spooled)"])
            archives += 1
            shortcut(metadata, .expanded(feeder.tally.spooled))
        } catch {
            // The spool failed, or the archive cannot be read: it stays and is read again after a restart.
            logger.error("could not read an archive into the spool", metadata: [
                "id": "\(metadata.id)", "error": "\(error)"])
        }
    }

    /// The monthly limit of an imported archive's tenant, as the feeder asks it (nil: no limit). An archive's
    /// entries are counted as they are read: those past the limit are recorded `quota_exceeded`. When the
    /// database cannot say, entries are let through (their rows wait for the database anyway).
    private func monthlyLimit(of slug: String) async -> (@LoopActor (Int) async -> (admitted: Int, message: String))? {
        guard let api else { return nil }
        let tenant: TenantRecord?
        do throws(PGError) {
            tenant = try await api.directory.tenant(slug: slug)
        } catch {
            logger.warning("could not read the tenant's monthly limit; the import is not counted", metadata: ["error": "\(error)"])
            return nil
        }
        guard let tenant, let limit = tenant.monthlyLimit else { return nil }
        let directory = api.directory
        let logger = self.logger
        return { n in
            do throws(PGError) {
                guard let used = try await directory.reserve(tenantID: tenant.id, documents: n, limit: limit) else {
                    return (n, "")
                }
                let room = Int(max(0, limit - used))
                if room > 0, try await directory.reserve(tenantID: tenant.id, documents: room, limit: limit) == nil {
                    return (room, QuotaAnswer.message(used: limit, limit: limit))
                }
                return (0, QuotaAnswer.message(used: used, limit: limit))
            } catch {
                logger.warning("monthly count failed; entries let through", metadata: ["error": "\(error)"])
                return (n, "")
            }
        }
    }

    /// Whether a stored row stands for what this engine would produce now: parsed by the same parser and
    /// model, or failed for a reason in the bytes themselves (not a timeout, a missing converter or an
    /// endpoint that was down). With `whenUnsure` (the rules first, the LLM for weak readings), a rules result
    /// that was not weak is one too.
    nonisolated static func reusable(_ row: StoredResult, identity: (provider: String, model: String?),
                                     whenUnsure: Bool = false) -> Bool {
        switch row.status {
        case "parsed":
            if whenUnsure, row.provider == "rules" { return row.weak == false }
            return row.provider == identity.provider && (identity.provider == "rules" || row.model == identity.model)
        case "failed":
            // Only reasons in the bytes themselves: `empty_text` (OCR off or missing), `too_large` (limits),
            // `corrupt` (a converter that crashed) and the like may turn out otherwise with another setting.
            return row.errorCode.map(RetainableFailures.lasting.contains) ?? false
        default:
            return false
        }
    }
}
