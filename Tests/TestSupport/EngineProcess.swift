import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The built `resume-ingest` binary run as a child process, the way a user runs it: `serve` on a free port
/// with its own spool, or a one-shot command such as `import`. Its standard error (the log) is kept.
public final class EngineProcess: @unchecked Sendable {
    // @unchecked: `output` and `standardOutput` are guarded by `lock`; the rest is set once in init.
    public let process = Process()
    /// The spool directory the engine was given (`SPOOL_DIR`).
    public let spool: String
    /// The port `serve` listens on (0 for other commands).
    public private(set) var port = 0
    private let lock = NSLock()
    private var output = Data()
    private var standardOutputData = Data()

    /// The built binary: beside the test bundle, else `.build/debug/resume-ingest`.
    public static var executable: String {
        let tests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let beside = tests.appendingPathComponent("resume-ingest").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return repositoryRoot + "/.build/debug/resume-ingest"
    }

    /// The repository's root (two levels above this file, `Tests/TestSupport/EngineProcess.swift`).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// Starts `arguments` with the environment of the tests plus `environment` (a nil value removes a
    /// variable) and a fresh spool unless `spool` names one.
    public init(_ arguments: [String], environment: [String: String?] = [:], spool: String? = nil,
                input: String? = nil) throws {
        self.spool = try spool ?? TemporaryDirectory.make(prefix: "engine-spool")
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["SPOOL_DIR"] = self.spool
        env["IMPORT_SPOOL_DIR"] = self.spool
        env["LOG_LEVEL"] = env["LOG_LEVEL"] ?? "info"
        env["OPENAI_API_KEY"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let errors = Pipe()
        let out = Pipe()
        process.standardError = errors
        process.standardOutput = out
        errors.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            lock.withLock { output.append(data) }
        }
        out.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            lock.withLock { standardOutputData.append(data) }
        }
        if let input {
            let stdin = Pipe()
            process.standardInput = stdin
            try process.run()
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
    }

    /// `resume-ingest serve` on a free port of 127.0.0.1, once it listens.
    ///
    /// Async, and waits with `Task.sleep`: tests run on Swift's cooperative pool (two threads on a two-core
    /// machine), and a test that blocks a thread while it waits stalls every other test's timing.
    public static func serve(environment: [String: String?] = [:], spool: String? = nil,
                             timeoutSeconds: Double = 60) async throws -> EngineProcess {
        let engine = try EngineProcess(["serve", "--port", "0", "--host", "127.0.0.1"], environment: environment,
                                       spool: spool)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline, engine.port == 0, engine.process.isRunning {
            if let match = engine.log.firstMatch(of: /port=(\d+) \[Ingest\] listening/) {
                engine.port = Int(match.1) ?? 0
            }
            if engine.port == 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        guard engine.port > 0 else {
            engine.kill()
            throw TestFailure("serve did not start listening:\n\(engine.log)")
        }
        return engine
    }

    /// What the engine wrote to standard error so far.
    public var log: String { lock.withLock { String(decoding: output, as: UTF8.self) } }

    /// What the engine wrote to standard output so far.
    public var standardOutput: String { lock.withLock { String(decoding: standardOutputData, as: UTF8.self) } }

    public var isRunning: Bool { process.isRunning }

    public func signal(_ signal: Int32) { Foundation.kill(process.processIdentifier, signal) }

    /// The exit status, or nil if it did not exit in time.
    public func waitForExit(seconds: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { return nil }
        // Let the pipes' handlers take the last bytes.
        try? await Task.sleep(for: .milliseconds(50))
        return process.terminationStatus
    }

    /// SIGKILL, at once (a crash as the operating system sees it).
    public func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGTERM, then waits; returns the exit status.
    public func stop(seconds: Double = 60) async -> Int32? {
        signal(SIGTERM)
        return await waitForExit(seconds: seconds)
    }

    /// Files left in the spool's `incoming/` (data and metadata).
    public var spooled: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: spool + "/incoming")) ?? []).sorted()
    }

    /// `curl` (the way a user tries it), returning the body.
    public func curl(_ arguments: [String]) throws -> String {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sS", "--max-time", "30"] + arguments
        let out = Pipe()
        curl.standardOutput = out
        try curl.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Uploads files as parts named `files`; returns the answer's body.
    public func upload(_ files: [String]) throws -> String {
        try curl(files.flatMap { ["-F", "files=@\($0)"] } + ["http://127.0.0.1:\(port)/api/v1/bulk-parse-resumes"])
    }

    /// `GET /startup-status` as JSON.
    public func startupStatus() throws -> [String: Any] {
        let body = try curl(["http://127.0.0.1:\(port)/startup-status"])
        return (try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }
}
