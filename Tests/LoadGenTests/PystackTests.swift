import Foundation
import Testing
import TestSupport

/// The Python service this engine replaces (`../shared/peers/pystack`, FastAPI + asyncpg, one LLM request per
/// resume), run against our `llm-sim` and the test PostgreSQL, loaded by `loadgen` like any ATS endpoint. It is
/// a peer kept beside the repository, not in it: where it is not on the machine the suite says so, and
/// `PYSTACK_DIR` points at another copy.
@Suite("loadgen drives pystack", .serialized,
       .enabled(if: Pystack.directory != nil, "pystack is not on this machine (set PYSTACK_DIR)"))
struct PystackTests {
    @Test("every request answered 200, and every resume sent is a row of pystack's table")
    func drivesPystack() async throws {
        let directory = try #require(Pystack.directory)
        let python = try Pystack.python()
        let simPort = try NginxBalancer.freePort()
        let sim = try EngineProcess(["llm-sim", "--port", "\(simPort)", "--latency-base-ms", "5",
                                     "--latency-per-token-ms", "0", "--rpm", "100000", "--tpm", "100000000"])
        defer { sim.kill() }
        try await Pystack.waitUntilListening(port: simPort, process: sim.process)
        let url = try TestDatabase.freshDatabase("loadgen_pystack")
        defer { try? TestDatabase.dropDatabase(url) }
        let port = try NginxBalancer.freePort()
        let spool = try TemporaryDirectory.make(prefix: "pystack-spool")
        let app = Process()
        app.executableURL = URL(fileURLWithPath: python)
        app.arguments = [directory + "/app.py", "--host", "127.0.0.1", "--port", "\(port)", "--log-level", "warning"]
        var env = ProcessInfo.processInfo.environment
        env["OPENAI_BASE_URL"] = "http://127.0.0.1:\(simPort)/v1"
        env["OPENAI_API_KEY"] = "sk-test"
        env["DATABASE_URL"] = url
        env["SPOOL_DIR"] = spool
        app.environment = env
        let log = try TemporaryDirectory.make(prefix: "pystack-log") + "/app.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        app.standardOutput = FileHandle(forWritingAtPath: log)
        app.standardError = FileHandle(forWritingAtPath: log)
        try app.run()
        defer {
            // SIGKILL: uvicorn's graceful stop waits on its LLM client's connections for minutes.
            kill(app.processIdentifier, SIGKILL)
            app.waitUntilExit()
        }
        try await Pystack.waitUntilListening(port: port, process: app)

        let corpus = try TemporaryDirectory.make(prefix: "pystack-cvs")
        for i in 0..<3 {
            let text = "Morgan Peer\(i)\nmorgan.peer\(i)@example.com\n\nEXPERIENCE\nAnalyst, Initech\n2018 - 2023\n"
            FileManager.default.createFile(atPath: "\(corpus)/cv-\(i).txt", contents: Data(text.utf8))
        }
        let run = try EngineProcess(["loadgen", "http://127.0.0.1:\(port)/api/v1/bulk-parse-resumes", "--corpus", corpus,
                                     "--requests", "6", "--files-per-request", "2", "--concurrency", "2", "--json", "--quiet"])
        let status = await run.waitForExit(seconds: 240)
        if status == nil { run.kill() }
        #expect(status == 0, "\(run.log)\n\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any],
                                "\(run.standardOutput)")
        #expect(json["ok"] as? Int == 6)
        #expect((json["statuses"] as? [String: Any])?["200"] as? Int == 6)
        #expect(json["files_accepted"] as? Int == 12)
        let rows = try TestDatabase.psql(url, "SELECT count(*) FROM candidates WHERE status = 'ok'")
        #expect(rows.trimmingCharacters(in: .whitespacesAndNewlines) == "12", "one row per resume sent: \(rows)")
    }
}

/// Where pystack is, and a Python with its requirements.
enum Pystack {
    static var directory: String? {
        var candidates: [String] = []
        if let dir = ProcessInfo.processInfo.environment["PYSTACK_DIR"] { candidates.append(dir) }
        candidates.append(EngineProcess.repositoryRoot + "/../shared/peers/pystack")
        candidates.append("/work/shared/peers/pystack")
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/app.py") }
    }

    /// `.data/pystack-venv`, which `scripts/install-deps.sh test` makes and fills when pystack is on the
    /// machine (Benchmarks/llm/peer.sh uses the same one). Made there, not here: pip would hold one of the
    /// test pool's two threads for minutes.
    static func python() throws -> String {
        let python = EngineProcess.repositoryRoot + "/.data/pystack-venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw TestFailure("pystack's Python environment is missing: run scripts/install-deps.sh test")
        }
        return python
    }

    /// Polls until something accepts connections on `port` (or the process exits, or 60 s pass).
    static func waitUntilListening(port: Int, process: Process) async throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && process.isRunning {
            if NginxBalancer.canConnect(port: port) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("nothing listens on port \(port)")
    }
}
