import ArgumentParser
import ExtractPool
import Ingest
import LLMBatcher
import Logging
import Sink

#if canImport(Glibc)
import Glibc
#endif

/// `resume-ingest serve`: the HTTP server and the spool, until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Accept uploads over HTTP into the durable spool (the engine's main job).")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Port to listen on (overrides PORT).")
    var port: Int?

    @Option(help: "Address to bind (overrides HOST).")
    var host: String?

    func run() async throws {
        try global.bootstrapLogging()
        var configuration = try ProcessEnvironment.configuration()
        if let port { configuration.port = port }
        if let host { configuration.host = host }
        var extract = try ProcessEnvironment.extractConfiguration()
        // Converters' private directories live beside the spool unless placed elsewhere.
        if ProcessEnvironment.current["EXTRACT_WORK_DIR"] == nil {
            extract.workDirectory = configuration.spoolDirectory + "/work"
        }
        let llm = try ProcessEnvironment.llmConfiguration()
        let database = try ProcessEnvironment.sinkConfiguration()
        let logger = Logger(label: "resume-ingest")
        try await Self.serve(configuration, extract: extract, llm: llm, database: database, logger: logger)
        // Every socket, timer and signal handle must be closed by now: report any that is not.
        let leaks = EventLoop.shared.stop()
        if !leaks.isEmpty {
            logger.error("handles left open at exit", metadata: ["handles": "\(leaks)"])
            throw ExitCode(70)
        }
    }

    @LoopActor
    static func serve(_ configuration: IngestConfiguration, extract: ExtractConfiguration, llm: LLMConfiguration,
                      database: SinkConfiguration, logger: Logger) async throws
    {
        let service = IngestService(configuration: configuration, logger: logger)
        let extractor = Extractor(configuration: extract, logger: logger)
        do {
            try await service.start()
            try await extractor.open()
        } catch {
            logger.critical("could not start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let tools = extractor.tools
        service.startupStatus.register("converters") {
            let missing = tools.summary.filter { $0.1 == "missing" }.map(\.0)
            return .init(status: missing.isEmpty ? "ok" : "degraded",
                         detail: tools.summary.map { "\($0.0): \($0.1)" }.joined(separator: ", "))
        }
        // spool → extraction pool → parser (LLM batcher, or the rules parser without an API key) → database; each
        // commit lets the spool forget the documents it holds. Without DATABASE_URL results are only logged and
        // documents stay in the spool.
        let results: any ResultStage
        var sink: Sink?
        if database.databaseURL != nil {
            let stage = DatabaseResults(configuration: database, spool: service.spool, logger: logger)
            stage.sink.start()
            sink = stage.sink
            results = stage
            service.startupStatus.register("database") {
                let c = stage.sink.counters
                let counts = "\(c.committedRows) rows committed, \(c.recordedFailed) recorded failed, \(c.rejected) rejected, "
                    + "\(stage.sink.held) waiting"
                switch stage.sink.state {
                case .ready(let version):
                    return .init(status: "ok", detail: "PostgreSQL \(version / 10_000).\(version % 10_000) at "
                                     + SinkConfiguration.redacted(database.databaseURL ?? "") + ": " + counts)
                case .connecting: return .init(status: "degraded", detail: "connecting; " + counts)
                case .down(let reason): return .init(status: "down", detail: reason + "; uploads are still spooled; " + counts)
                case .closed: return .init(status: "down", detail: "closed")
                }
            }
        } else {
            results = ParsedDocumentLog(logger: logger)
            logger.warning(
                "DATABASE_URL is not set: results are logged, not stored, and documents stay in the spool (make run starts a private PostgreSQL and sets it)")
            service.startupStatus.register("database") {
                .init(status: "down", detail: "DATABASE_URL is not set: results are not stored; documents stay in the spool")
            }
        }
        let http = HTTPClient()
        let parser: any ParsingStage
        if llm.usesLLM {
            let batcher = LLMBatcher(configuration: llm, http: http, consumer: results, logger: logger)
            parser = batcher
            service.startupStatus.register("llm") {
                if let reason = batcher.blockedReason { return .init(status: "degraded", detail: reason) }
                let c = batcher.counters
                let mode = llm.batchAPI ? "Batch API, \(c.batches) batches of \(c.batchRequests) requests"
                    : "\(c.requests) requests, \(c.rateLimited) answered 429"
                return .init(status: "ok", detail: "openai \(llm.model) at \(llm.baseURL): \(c.parsed) parsed, "
                                 + "\(c.failed) failed, \(batcher.held) waiting, \(mode)")
            }
        } else {
            let rules = RulesStage(consumer: results, concurrency: extract.concurrency)
            parser = rules
            logger.info("no OPENAI_API_KEY: the built-in rules parser fills the JSON Resume fields")
            service.startupStatus.register("llm") {
                .init(status: "ok", detail: "rules parser (no OPENAI_API_KEY): \(rules.parsed) parsed, \(rules.failed) failed")
            }
        }
        let pool = ExtractPool(extractor: extractor, source: SpoolSource(spool: service.spool),
                               consumer: ParserFeed(parser: parser, results: results),
                               metrics: ExtractMetrics(registry: service.metrics.registry), logger: logger)
        pool.start()
        service.startupStatus.register("extract_pool") {
            .init(status: "ok", detail: "\(pool.inFlight) in flight, \(pool.extracted) extracted, \(pool.failed) failed")
        }
        // Wait for the first SIGINT/SIGTERM; a second one during shutdown exits at once.
        let watcher = await StopSignal.wait(logger: logger)
        await service.shutdown()
        // Documents being extracted finish (each is bounded by EXTRACT_TIMEOUT_MS); the rest stay spooled.
        service.spool.closeQueue()
        await pool.waitUntilDone()
        await extractor.close()
        // Parsing in flight gets a moment; what does not finish is parsed again after a restart.
        await parser.drain(timeoutMilliseconds: 5_000)
        (parser as? LLMBatcher)?.close()
        // What reached the database stage is committed if the database lets it within a few seconds.
        await sink?.drain(timeoutMilliseconds: 10_000)
        sink?.close()
        http.close()
        watcher.cancel()
    }
}
