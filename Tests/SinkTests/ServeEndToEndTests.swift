import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The built `resume-ingest serve`, run as a user runs it: uploads over HTTP, rows in PostgreSQL, the spool
/// emptied after the commit.
final class ServeProcess: @unchecked Sendable {
    // @unchecked: `output` is guarded by `lock`; the rest is set once in init.
    let process = Process()
    let spool: String
    private let lock = NSLock()
    private var output = Data()
    private(set) var port = 0

    init(databaseURL: String) throws {
        spool = NSTemporaryDirectory() + "serve-e2e-\(getpid())-\(UUID().uuidString.prefix(8))"
        let tests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var binary = tests.appendingPathComponent("resume-ingest").path
        if !FileManager.default.isExecutableFile(atPath: binary) {
            binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug/resume-ingest").path
        }
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--port", "0", "--host", "127.0.0.1"]
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        environment["SPOOL_DIR"] = spool
        environment["OPENAI_API_KEY"] = nil
        environment["LOG_LEVEL"] = "info"
        environment["SINK_BATCH_AGE_MS"] = "50"
        process.environment = environment
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            lock.withLock { output.append(data) }
        }
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, port == 0, process.isRunning {
            if let match = log.firstMatch(of: /port=(\d+) \[Ingest\] listening/) { port = Int(match.1) ?? 0 }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard port > 0 else {
            process.terminate()
            throw TestFailure("serve did not start listening:\n\(log)")
        }
    }

    var log: String { lock.withLock { String(decoding: output, as: UTF8.self) } }

    /// `curl` (the way a user tries it), returning the body.
    func curl(_ arguments: [String]) throws -> String {
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

    func upload(_ files: [String]) throws -> String {
        try curl(files.flatMap { ["-F", "files=@\($0)"] } + ["http://127.0.0.1:\(port)/api/v1/bulk-parse-resumes"])
    }

    func startupStatus() throws -> [String: Any] {
        let body = try curl(["http://127.0.0.1:\(port)/startup-status"])
        return (try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }

    /// Files left in the spool's `incoming/` (data and metadata).
    var spooled: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: spool + "/incoming")) ?? []).sorted()
    }

    /// SIGTERM, then waits; returns the exit status.
    func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: spool)
        return process.terminationStatus
    }
}

@Suite("serve end to end, with PostgreSQL")
struct ServeEndToEndTests {
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("bench-data/sample/files").path

    @Test("uploads become rows (parsed, or failed with the extraction code) and the spool forgets them after the commit")
    func uploadsBecomeRows() throws {
        let url = try TestDatabase.freshDatabase("serve")
        defer { try? TestDatabase.dropDatabase(url) }
        let serve = try ServeProcess(databaseURL: url)
        let files = ["0012-noor-de-vries.txt", "0003-youssef-haddad.docx", "0013-sophia-ward.html", "nasty-junk.pdf"]
        let answer = try serve.upload(files.map { Self.sample + "/" + $0 })
        #expect(answer.contains("\"status\":\"queued\""), "\(answer)")
        var rows = ""
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            rows = (try? TestDatabase.psql(url, """
                SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
                SELECT filename || ':' || status || ':' || coalesce(error_code, '-') || ':' \
                || coalesce(parsed->'basics'->>'email', '-') FROM documents ORDER BY filename;
                """)) ?? ""
            if rows.split(separator: "\n").count == 5 && serve.spooled.isEmpty { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let lines = rows.split(separator: "\n").dropFirst().map(String.init)
        #expect(lines.count == 4, "\(rows)\n\(serve.log)")
        #expect(lines.contains { $0.hasPrefix("nasty-junk.pdf:failed:unsupported_type:") }, "\(lines)")
        #expect(lines.filter { $0.contains(":parsed:-:") && $0.contains("@") }.count == 3, "\(lines)")
        #expect(serve.spooled.isEmpty, "committed documents leave the spool: \(serve.spooled)")
        let status = try serve.startupStatus()
        let database = (status["components"] as? [String: Any])?["database"] as? [String: Any]
        #expect(database?["status"] as? String == "ok", "\(status)")
        #expect(try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            SELECT documents || '/' || parsed || '/' || failed FROM batches;
            """).split(separator: "\n").last == "4/3/1")
        #expect(serve.stop() == 0)
    }

    @Test("PostgreSQL unreachable: uploads are still accepted into the spool and /startup-status says the database is down")
    func databaseDown() throws {
        let serve = try ServeProcess(databaseURL: "postgres://resume_ingest@127.0.0.1:1/nowhere?connect_timeout=2")
        let answer = try serve.upload([Self.sample + "/0012-noor-de-vries.txt"])
        #expect(answer.contains("\"status\":\"queued\""), "\(answer)")
        Thread.sleep(forTimeInterval: 1)
        let status = try serve.startupStatus()
        let database = (status["components"] as? [String: Any])?["database"] as? [String: Any]
        #expect(database?["status"] as? String == "down", "\(status)")
        #expect((database?["detail"] as? String)?.contains("uploads are still spooled") == true, "\(status)")
        #expect(serve.spooled.count == 2, "the document waits in the spool: \(serve.spooled)")
        #expect(serve.stop() == 0, "\(serve.log)")
    }
}
