import Pipeline
import Loop
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
        let retain: Double
        do {
            retain = try EnvironmentReader(ProcessEnvironment.current).double("RETAIN_FAILED_HOURS", default: 72,
                                                                              range: 0...8760)
        } catch {
            throw ValidationError("invalid configuration: \(error)")
        }
        let logger = Logger(label: "resume-ingest")
        try await Self.serve(configuration, extract: extract, llm: llm, database: database, retainFailedHours: retain,
                             logger: logger)
        // Every socket, timer and signal handle must be closed by now: report any that is not.
        let leaks = EventLoop.shared.stop()
        if !leaks.isEmpty {
            logger.error("handles left open at exit", metadata: ["handles": "\(leaks)"])
            throw ExitCode(70)
        }
    }

    @LoopActor
    static func serve(_ configuration: IngestConfiguration, extract: ExtractConfiguration, llm: LLMConfiguration,
                      database: SinkConfiguration, retainFailedHours: Double = 72, logger: Logger) async throws
    {
        let stop = StopSignal(logger: logger)
        let service = IngestService(configuration: configuration, logger: logger)
        var engineConfiguration = Engine.Configuration(extract: extract, llm: llm, database: database)
        engineConfiguration.archiveLimits.maxEntryBytes = configuration.limits.maxFileBytes
        engineConfiguration.retainFailedHours = retainFailedHours
        do {
            engineConfiguration.webhooks = try WebhookConfiguration(environment: ProcessEnvironment.current)
            engineConfiguration.scorer = try ScorerChoice.from(environment: ProcessEnvironment.current, llm: llm)
        } catch {
            logger.critical("invalid configuration", metadata: ["error": "\(error)"])
            throw ExitCode(2)
        }
        let engine = Engine(configuration: engineConfiguration, spool: service.spool,
                            metrics: service.metrics.registry, logger: logger)
        // With a database: API keys and tenants, and the results API. Without one, uploads are tenant
        // default's (or a JWT's tenant) and results are only logged.
        engine.api?.install(on: service.router, settings: configuration.auth)
        do {
            try await service.start()
            try await engine.start()
        } catch {
            logger.critical("could not start", metadata: ["error": "\(error)"])
            stop.cancel()
            await engine.shutdown()
            throw ExitCode(1)
        }
        engine.register(in: service.startupStatus)
        service.metrics.onRender { engine.refreshMetrics() }
        if let port = service.port {
            let shown = configuration.host == "0.0.0.0" ? "127.0.0.1" : configuration.host
            logger.notice("""
                ready: send resumes with  curl -F files=@resume.pdf http://\(shown):\(port)/api/v1/bulk-parse-resumes  \
                or import a folder or an archive with  resume-ingest import PATH…  (status: http://\(shown):\(port)/startup-status)
                """)
        }
        if let api = engine.api, configuration.auth.jwtSecret == nil, await api.resolver.keysIssued() == false {
            logger.notice("""
                no API key issued yet: anyone who can reach this port uploads as tenant default. Give each partner \
                a tenant and a key with  make tenant NAME=acme  (resume-ingest tenant create acme); from then on \
                every request needs Authorization: Bearer <key>
                """)
        }
        // Wait for the first SIGINT/SIGTERM; a second one during shutdown exits at once.
        await stop.wait()
        // No new uploads (those in flight finish within SHUTDOWN_GRACE_MS), then the stages drain in order;
        // what is not finished stays in the spool for the next start.
        await service.shutdown()
        await engine.shutdown()
        stop.cancel()
    }
}
