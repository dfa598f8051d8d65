import Loop
import ArgumentParser
import Ingest
import Logging
import Sink

/// `resume-ingest migrate`: brings the database schema up to date (serve also does it at start-up).
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the embedded database migrations to DATABASE_URL (under an advisory lock).")

    @OptionGroup var global: GlobalOptions

    @Option(help: "The database (overrides DATABASE_URL): a postgres:// URL or a libpq keyword/value string.")
    var databaseURL: String?

    func run() async throws {
        try global.bootstrapLogging()
        let configuration = try ProcessEnvironment.sinkConfiguration()
        guard let url = databaseURL ?? configuration.databaseURL else {
            throw ValidationError("DATABASE_URL is not set (scripts/pg url prints the private cluster's)")
        }
        let outcome = await Self.migrate(url, timeoutMilliseconds: UInt64(configuration.timeoutMilliseconds))
        _ = EventLoop.shared.stop()
        switch outcome {
        case .success(let (applied, version)):
            print(applied.isEmpty ? "schema is up to date (version \(version))"
                  : "applied migration(s) \(applied.map(String.init).joined(separator: ", ")); schema version \(version)")
        case .failure(let error):
            print("error: \(error)")
            throw ExitCode(1)
        }
    }

    @LoopActor
    static func migrate(_ url: String, timeoutMilliseconds: UInt64) async -> Result<([Int], Int), PGError> {
        do throws(PGError) {
            let connection = try await PGConnection.connect(url, timeoutMilliseconds: timeoutMilliseconds)
            defer { connection.close() }
            let applied = try await Migrator.migrate(connection)
            return .success((applied, try await Migrator.currentVersion(connection)))
        } catch {
            return .failure(error)
        }
    }
}
