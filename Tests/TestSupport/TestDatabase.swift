import Foundation
import Loop
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL for database tests: the repository's private cluster (`scripts/pg`), started once per test
/// process on first use, or the server that `TEST_DATABASE_URL` names.
///
/// Each test takes a database of its own from ``freshDatabase(_:)``, so tests start from nothing and run in
/// parallel, and drops it with ``dropDatabase(_:)``. ``psql(_:_:)`` runs SQL through Debian's `psql`, so tests assert
/// rows independently of the engine's own client. Faults: ``terminateConnections(database:)`` (gentle, one database)
/// and ``restartServer()`` (the whole cluster, so every test using it sees the restart).
///
/// Environment:
/// - `TEST_DATABASE_URL`: a server to use instead of the private cluster; its role needs `CREATEDB`.
///   `TEST_DATABASE_ADMIN_URL` (default: `TEST_DATABASE_URL`) creates, drops and terminates. ``restartServer()``
///   needs the private cluster.
/// - `PG_PORT`, `PG_DATA`: passed through to `scripts/pg` (see its header). `PG_FSYNC` too, but a cluster the tests
///   start runs with it `off` unless it is set.
///
/// Every function blocks its thread while `psql` or `scripts/pg` runs, and is safe to call from parallel tests.
public enum TestDatabase {
    /// How long `scripts/pg start` may take (it may install PostgreSQL with apt-get on a fresh machine).
    public static let startTimeout: Duration = .seconds(600)
    /// How long one `psql` may take before it is killed and the call throws.
    public static let psqlTimeout: Duration = .seconds(120)

    /// The engine's URL (`postgres://resume_ingest@127.0.0.1:PORT/resume_ingest` on the private cluster).
    public static func url() throws -> String { try server().url }

    /// The superuser's URL (`postgres://postgres@127.0.0.1:PORT/postgres` on the private cluster).
    public static func adminURL() throws -> String { try server().adminURL }

    /// Creates an empty database owned by the engine's role and returns its URL.
    ///
    /// The name is `t_<label>_<pid>_<counter>`, reduced to `[a-z0-9_]` and 63 bytes, so it is unique in this process
    /// and across processes sharing the cluster.
    public static func freshDatabase(_ label: String) throws -> String {
        let server = try server()
        let number = state.withLock { state in
            state.counter += 1
            return state.counter
        }
        let cleaned = String(label.lowercased().map { ("a"..."z").contains($0) || ("0"..."9").contains($0) ? $0 : "_" })
        let name = "t_\(cleaned.prefix(40))_\(getpid())_\(number)"
        _ = try psql(
            server.adminURL,
            "CREATE DATABASE \(quoteIdentifier(name)) OWNER \(quoteIdentifier(server.owner))"
        )
        return try replacingDatabase(in: server.url, with: name)
    }

    /// Drops a database made by ``freshDatabase(_:)`` (given its URL or name), closing its connections first.
    public static func dropDatabase(_ url: String) throws {
        let name = databaseName(of: url)
        guard name.hasPrefix("t_") else {
            throw TestFailure("dropDatabase drops only databases made by freshDatabase, not '\(name)'")
        }
        _ = try psql(try server().adminURL, "DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
    }

    /// Runs `sql` (one or more statements) with `psql -X -A -t -q -v ON_ERROR_STOP=1` against `url` and returns its
    /// output trimmed: one row per line, columns separated by `|`, no headers or command tags.
    @discardableResult
    public static func psql(_ url: String, _ sql: String) throws -> String {
        let result = try run(
            "/usr/bin/env",
            ["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "-"],
            input: sql,
            timeout: psqlTimeout
        )
        guard result.status == 0 else {
            let hint = result.status == 127 ? " (is psql installed? make test installs postgresql-client)" : ""
            throw TestFailure(
                "psql on \(url) failed\(hint): \(result.description)\n--- SQL ---\n\(sql)"
            )
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `sql` as the superuser in `database` (a name, or a URL whose database is used; default `postgres`).
    @discardableResult
    public static func psqlAdmin(database: String = "postgres", sql: String) throws -> String {
        let server = try server()
        return try psql(try replacingDatabase(in: server.adminURL, with: databaseName(of: database)), sql)
    }

    /// Ends every other session on `database` (a name, or a URL from ``freshDatabase(_:)``) with
    /// `pg_terminate_backend`, as a server-side failure the client did not see coming. Returns how many ended.
    @discardableResult
    public static func terminateConnections(database: String) throws -> Int {
        let name = databaseName(of: database)
        let output = try psql(
            try server().adminURL,
            """
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = \(quoteLiteral(name)) AND pid <> pg_backend_pid()
            """
        )
        return Int(output) ?? 0
    }

    /// Stops the private cluster (fast shutdown: sessions end, open transactions roll back) and starts it again on
    /// the same port. Every test using the cluster sees it; prefer ``terminateConnections(database:)``.
    ///
    /// The start passes the port as `PG_PORT`, so should another process take the port in between, the restart fails
    /// rather than `scripts/pg` moving the cluster to a free port, away from the URLs already handed out (to this
    /// process's tests, and to a `make run` of the same checkout sharing the cluster).
    public static func restartServer() throws {
        guard environment["TEST_DATABASE_URL"] == nil else {
            throw TestFailure("restartServer needs the private cluster (scripts/pg), not TEST_DATABASE_URL")
        }
        let server = try server()
        guard let port = URLComponents(string: server.url)?.port else {
            throw TestFailure("no port in the private cluster's URL \(server.url)")
        }
        try state.withLock { _ in
            try runScript("stop")
            try runScript("start", environment: testStartEnvironment.merging(["PG_PORT": String(port)]) { $1 })
        }
    }
}

// MARK: - The server, found once.

extension TestDatabase {
    private struct Server: Sendable {
        var url: String
        var adminURL: String
        /// The role that owns fresh databases: the engine URL's user.
        var owner: String
    }

    private struct State {
        var server: Result<Server, TestFailure>?
        var counter = 0
    }

    private static let state = Mutex(State())

    private static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The repository root, three levels above this file (`Tests/TestSupport/TestDatabase.swift`).
    private static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Starts the private cluster (or reads `TEST_DATABASE_URL`) on the first call; later calls return the result,
    /// a failure included, so a broken setup fails every database test quickly with the same message.
    private static func server() throws -> Server {
        // Before the lock: another thread may hold it for the whole cluster start.
        try refuseOnLoop("TestDatabase")
        return try state.withLock { state in
            if state.server == nil {
                state.server = Result { try findServer() }.mapError {
                    $0 as? TestFailure ?? TestFailure(String(describing: $0))
                }
            }
            return try state.server!.get()
        }
    }

    private static func findServer() throws -> Server {
        let url: String
        let adminURL: String
        if let external = environment["TEST_DATABASE_URL"], !external.isEmpty {
            url = external
            adminURL = environment["TEST_DATABASE_ADMIN_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? external
        } else {
            try runScript("start", environment: testStartEnvironment)
            url = try runScript("url")
            adminURL = try runScript("admin-url")
        }
        let owner = try psql(url, "SELECT current_user")
        return Server(url: url, adminURL: adminURL, owner: owner)
    }

    /// A cluster the tests start runs without fsync (see `PG_FSYNC` in scripts/pg: each DROP DATABASE forces a
    /// checkpoint, and synced checkpoints held every other test's database work for 20 s at a time), unless
    /// `PG_FSYNC` says otherwise. A cluster already running keeps its own setting.
    private static var testStartEnvironment: [String: String] {
        ["PG_FSYNC": environment["PG_FSYNC"].flatMap { $0.isEmpty ? nil : $0 } ?? "off"]
    }

    /// Runs `scripts/pg <command>` (with `environment` added to this process's) and returns its standard output,
    /// trimmed.
    @discardableResult
    private static func runScript(_ command: String, environment: [String: String] = [:]) throws -> String {
        let script = repositoryRoot + "/scripts/pg"
        let result = try run(script, [command], input: nil, environment: environment, timeout: startTimeout)
        guard result.status == 0 else { throw TestFailure("\(script) \(command) failed: \(result.description)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

// MARK: - Names and URLs.

extension TestDatabase {
    /// `url` with its database replaced: the path of a `postgres://` URL, or a trailing `dbname=` of a keyword/value
    /// string (libpq takes the last value of a repeated keyword).
    static func replacingDatabase(in url: String, with name: String) throws -> String {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            guard var components = URLComponents(string: url) else { throw TestFailure("not a URL: \(url)") }
            components.path = "/" + name
            guard let replaced = components.string else { throw TestFailure("cannot rebuild URL: \(url)") }
            return replaced
        }
        return url + " dbname=" + quoteLiteral(name)
    }

    /// The database of a `postgres://` URL or keyword/value string (its last `dbname=`), or `text` itself.
    static func databaseName(of text: String) -> String {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            let path = URLComponents(string: text)?.path ?? ""
            return String(path.drop(while: { $0 == "/" }))
        }
        guard text.contains("=") else { return text }
        var name = ""
        for word in text.split(separator: " ") where word.hasPrefix("dbname=") {
            name = String(word.dropFirst("dbname=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        return name
    }

    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func quoteLiteral(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

// MARK: - Child processes.

extension TestDatabase {
    struct Output: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String

        var description: String {
            "exit \(status)\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
        }
    }

    /// Waiting on the loop thread would stall every loop timer and socket in the test process for as long as a
    /// program runs: another test's kill timer, a connection's 30 s answer timer (which then fires first, as
    /// libuv runs due timers before I/O). A test doing so fails here, every time, not as a rare flake.
    static func refuseOnLoop(_ what: String) throws {
        if EventLoop.shared.inLoop {
            throw TestFailure("\(what) would block the loop thread: call TestDatabase from a test that is not "
                              + "@LoopActor, or through offThread")
        }
    }

    /// Runs a program to completion with stdin from `input` and output captured in temporary files (files, not
    /// pipes: nothing to drain, and a daemon that inherits them cannot hold the call open), with `extraEnvironment`
    /// added to this process's environment. Kills it after `timeout`.
    static func run(
        _ executable: String,
        _ arguments: [String],
        input: String?,
        environment extraEnvironment: [String: String] = [:],
        timeout: Duration
    ) throws -> Output {
        try refuseOnLoop("\(executable) \(arguments.first ?? "")")
        let directory = try TemporaryDirectory.make(prefix: "pg")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let inPath = directory + "/stdin"
        let outPath = directory + "/stdout"
        let errPath = directory + "/stderr"
        try TemporaryDirectory.write(inPath, Array((input ?? "").utf8))
        try TemporaryDirectory.write(outPath, [])
        try TemporaryDirectory.write(errPath, [])
        guard let stdin = FileHandle(forReadingAtPath: inPath),
            let stdout = FileHandle(forWritingAtPath: outPath),
            let stderr = FileHandle(forWritingAtPath: errPath)
        else { throw TestFailure("cannot open the files of \(directory)") }
        defer {
            try? stdin.close()
            try? stdout.close()
            try? stderr.close()
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PGCONNECT_TIMEOUT"] = environment["PGCONNECT_TIMEOUT"] ?? "10"
        environment["PGAPPNAME"] = "resume-ingest-tests"
        environment.merge(extraEnvironment) { _, added in added }
        process.environment = environment
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw TestFailure("cannot run \(executable): \(error)")
        }

        let pid = process.processIdentifier
        let started = ContinuousClock.now
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) * 1e-18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
        process.waitUntilExit()
        watchdog.cancel()

        let text = { (path: String) in String(decoding: TemporaryDirectory.read(path) ?? [], as: UTF8.self) }
        var output = Output(status: process.terminationStatus, stdout: text(outPath), stderr: text(errPath))
        if process.terminationReason == .uncaughtSignal {
            let late = ContinuousClock.now - started >= timeout
            output.stderr += late ? "\n(killed after \(timeout))" : "\n(killed by signal \(output.status))"
            output.status = 128 + output.status
        }
        return output
    }
}
