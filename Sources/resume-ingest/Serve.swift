import ArgumentParser
import ExtractPool
import Ingest
import Logging

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
        let logger = Logger(label: "resume-ingest")
        try await Self.serve(configuration, extract: extract, logger: logger)
        // Every socket, timer and signal handle must be closed by now: report any that is not.
        let leaks = EventLoop.shared.stop()
        if !leaks.isEmpty {
            logger.error("handles left open at exit", metadata: ["handles": "\(leaks)"])
            throw ExitCode(70)
        }
    }

    @LoopActor
    static func serve(_ configuration: IngestConfiguration, extract: ExtractConfiguration, logger: Logger)
        async throws
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
        // The spool's backlog feeds the pool. Until the LLM and database stages exist, extracted documents
        // are logged and counted, and stay in the spool (only the database commit may remove them).
        let pool = ExtractPool(extractor: extractor, source: SpoolSource(spool: service.spool),
                               consumer: ExtractedDocumentLog(logger: logger),
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
        watcher.cancel()
    }
}

/// The next stage while there is none: each extracted document is logged (debug) and counted by the
/// pool's metrics; the document stays in the spool.
@LoopActor
final class ExtractedDocumentLog: ExtractionConsumer {
    private let logger: Logger
    init(logger: Logger) { self.logger = logger }
    func waitForRoom() async {}
    func accept(_ document: ExtractedDocument) async {
        logger.debug("document extracted", metadata: [
            "id": "\(document.input.id)", "status": "\(document.status.rawValue)",
            "extractor": "\(document.extractor ?? "-")", "chars": "\(document.textCharacters)",
            "error_code": "\(document.failure?.code.rawValue ?? "-")",
        ])
    }
}
