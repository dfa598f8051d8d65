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

/// The `resume-ingest` command line.
@main
struct ResumeIngest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume-ingest",
        abstract: "Streaming, high-throughput resume ingestion.",
        subcommands: [Serve.self, Import.self, LoadGenCommand.self, Migrate.self, TenantCommand.self, KeyCommand.self, JobCommand.self, Extract.self, Doctor.self, LLMSim.self, LLMBench.self, LLMScoreBench.self, ScoreRules.self, ScoreCandidatesBench.self, SinkBench.self],
        defaultSubcommand: Serve.self
    )
}

/// Options every subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (LOG_LEVEL).")
    var logLevel: String?

    func bootstrapLogging() throws {
        let raw = logLevel ?? ProcessEnvironment.current["LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: raw.lowercased()) else {
            throw ValidationError("unknown log level \(raw)")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// The process environment as a dictionary.
enum ProcessEnvironment {
    static var current: [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                result[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            pointer += 1
        }
        return result
    }

    static func llmConfiguration() throws -> LLMConfiguration {
        do {
            return try LLMConfiguration(environment: current)
        } catch {
            throw ValidationError("invalid configuration: \(error)")
        }
    }

    static func sinkConfiguration() throws -> SinkConfiguration {
        do {
            return try SinkConfiguration(environment: current)
        } catch {
            throw ValidationError("invalid configuration: \(error)")
        }
    }

    static func extractConfiguration() throws -> ExtractConfiguration {
        do {
            return try ExtractConfiguration(environment: current)
        } catch {
            throw ValidationError("invalid configuration: \(error)")
        }
    }

    static func configuration() throws -> IngestConfiguration {
        do {
            return try IngestConfiguration(environment: current)
        } catch {
            throw ValidationError("invalid configuration: \(error)")
        }
    }
}

/// SIGINT and SIGTERM in the long-running commands: watched from before anything starts (a signal during
/// start-up is not the default "die at once"), waited for once the command runs. A second signal while
/// shutting down exits at once.
@LoopActor
final class StopSignal {
    private var watcher: SignalWatcher?
    private var received: Int32?
    private let waiters = Waiters()
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
        watcher = SignalWatcher(signals: [SIGINT, SIGTERM]) { [unowned self] signal in
            if received != nil {
                logger.warning("second signal: exiting without waiting")
                Glibc.exit(1)
            }
            received = signal
            logger.info("signal received", metadata: ["signal": "\(signal)"])
            waiters.resumeAll()
        }
    }

    /// Whether a signal came.
    var isSignalled: Bool { received != nil }

    /// Returns at the first SIGINT/SIGTERM (at once if one came already).
    func wait() async {
        while received == nil { await waiters.wait() }
    }

    /// Stops watching (after shutdown, so that the loop can close its handles).
    func cancel() {
        watcher?.cancel()
        watcher = nil
    }
}
