import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Uploads to `serve` while it is killed with SIGKILL at random moments and restarted on the same spool and
/// database: every acknowledged upload must end up exactly once in PostgreSQL.
@Suite("crash safety, with PostgreSQL", .serialized)
struct CrashTests {
    /// Uploads distinct small resumes in a loop on its own thread, remembering what was acknowledged (202).
    final class Uploader: @unchecked Sendable {
        // @unchecked: every field is guarded by `lock`.
        private let lock = NSLock()
        private var running = true
        private var acknowledged: [String: String] = [:]
        private var attempted = 0
        private let directory: String
        private let seed: Int
        private let thread: Thread

        init(port: Int, directory: String, seed: Int) {
            self.directory = directory
            self.seed = seed
            let box = Box()
            thread = Thread { box.uploader?.loop(port: port) }
            box.uploader = self
            thread.start()
        }

        private final class Box: @unchecked Sendable { weak var uploader: Uploader? }

        private func loop(port: Int) {
            var n = 0
            while lock.withLock({ running }) {
                n += 1
                var paths: [String] = []
                for k in 0..<3 {
                    let id = "\(seed)-\(n)-\(k)"
                    let path = directory + "/cv-\(id).txt"
                    let text = "Candidate \(id)\ncandidate.\(id.replacingOccurrences(of: "-", with: "."))@example.com\n"
                        + "+44 20 7946 \(String(format: "%04d", (n * 3 + k) % 10000))\n\nEXPERIENCE\nEngineer, Acme Ltd\n2019 - 2024\n"
                    FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
                    paths.append(path)
                }
                lock.withLock { attempted += paths.count }
                let curl = Process()
                curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                curl.arguments = ["-sS", "--max-time", "5", "-o", "-", "-w", "\n%{http_code}"]
                    + paths.flatMap { ["-F", "files=@\($0)"] } + ["http://127.0.0.1:\(port)/api/v1/bulk-parse-resumes"]
                let out = Pipe()
                curl.standardOutput = out
                curl.standardError = FileHandle.nullDevice
                guard (try? curl.run()) != nil else { continue }
                let data = out.fileHandleForReading.readDataToEndOfFile()
                curl.waitUntilExit()
                let text = String(decoding: data, as: UTF8.self)
                guard text.hasSuffix("\n202"),
                      let json = try? JSONSerialization.jsonObject(with: Data(text.dropLast(4).utf8)) as? [String: Any],
                      let files = json["files"] as? [[String: Any]] else { continue }
                lock.withLock {
                    for file in files where file["status"] as? String == "queued" {
                        if let sha = file["sha256"] as? String, let name = file["filename"] as? String {
                            acknowledged[sha] = name
                        }
                    }
                }
            }
        }

        /// Stops after the upload in progress; returns what was acknowledged and how many files were sent.
        func stop() -> (acknowledged: [String: String], attempted: Int) {
            lock.withLock { running = false }
            while thread.isExecuting { usleep(10_000) }
            return lock.withLock { (acknowledged, attempted) }
        }
    }

    @Test("SIGKILL five times at random moments under upload load: acknowledged uploads lost 0, rows duplicated 0")
    func killUnderLoad() async throws {
        let url = try TestDatabase.freshDatabase("crash")
        defer { try? TestDatabase.dropDatabase(url) }
        let spool = try TemporaryDirectory.make(prefix: "crash-spool")
        let files = try TemporaryDirectory.make(prefix: "crash-files")
        let environment: [String: String?] = ["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "20"]
        var acknowledged: [String: String] = [:]
        var attempted = 0
        var generator = SystemRandomNumberGenerator()
        for round in 0..<5 {
            let serve = try await EngineProcess.serve(environment: environment, spool: spool)
            let uploader = Uploader(port: serve.port, directory: files, seed: round)
            // A random moment: while uploads arrive, are spooled, extracted, parsed or committed.
            try await Task.sleep(for: .microseconds(UInt64.random(in: 300_000...1_500_000, using: &generator)))
            serve.kill()
            let (acked, sent) = uploader.stop()
            acknowledged.merge(acked) { a, _ in a }
            attempted += sent
        }
        #expect(acknowledged.count > 0, "the uploads never got through")
        // The last start finds what the crashes left in the spool and finishes it.
        let serve = try await EngineProcess.serve(environment: environment, spool: spool)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, !serve.spooled.isEmpty { try await Task.sleep(for: .microseconds(100_000)) }
        #expect(serve.spooled.isEmpty, "the spool drains after the restart: \(serve.spooled.count) files left")
        #expect(await serve.stop() == 0, "\(serve.log)")
        let stored = try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            SELECT encode(content_sha256, 'hex') FROM documents
            """).split(separator: "\n").dropFirst().map(String.init)
        let storedSet = Set(stored)
        let lost = acknowledged.keys.filter { !storedSet.contains($0) }
        #expect(lost.isEmpty, "acknowledged but not stored: \(lost.map { acknowledged[$0] ?? $0 })")
        #expect(stored.count == storedSet.count, "duplicated rows")
        // Each content was uploaded once: rows are at most what was sent (unacknowledged ones may be stored too).
        #expect(stored.count <= attempted)
        print("crash test: \(attempted) files sent, \(acknowledged.count) acknowledged, \(stored.count) rows, "
              + "\(lost.count) acknowledged lost, \(stored.count - storedSet.count) duplicated")
    }
}
