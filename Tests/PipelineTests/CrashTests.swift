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
            let uploader = UploadLoop(port: serve.port, directory: files, seed: String(round))
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
