import ArgumentParser
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
        let logger = Logger(label: "resume-ingest")
        try await Self.serve(configuration, logger: logger)
        // Every socket, timer and signal handle must be closed by now: report any that is not.
        let leaks = EventLoop.shared.stop()
        if !leaks.isEmpty {
            logger.error("handles left open at exit", metadata: ["handles": "\(leaks)"])
            throw ExitCode(70)
        }
    }

    @LoopActor
    static func serve(_ configuration: IngestConfiguration, logger: Logger) async throws {
        let service = IngestService(configuration: configuration, logger: logger)
        do {
            try await service.start()
        } catch {
            logger.critical("could not start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        // Wait for the first SIGINT/SIGTERM; a second one during shutdown exits at once.
        var signalled = false
        var watcher: SignalWatcher?
        let signal = await withCheckedContinuation(isolation: LoopActor.shared) {
            (continuation: CheckedContinuation<Int32, Never>) in
            watcher = SignalWatcher(signals: [SIGINT, SIGTERM]) { signal in
                if signalled {
                    logger.warning("second signal: exiting without waiting")
                    Glibc.exit(1)
                }
                signalled = true
                continuation.resume(returning: signal)
            }
        }
        logger.info("signal received", metadata: ["signal": "\(signal)"])
        await service.shutdown()
        watcher?.cancel()
    }
}
