import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("serve end to end, with PostgreSQL")
struct ServeEndToEndTests {
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("bench-data/sample/files").path

    @Test("uploads become rows (parsed, or failed with the extraction code) and the spool forgets them after the commit")
    func uploadsBecomeRows() throws {
        let url = try TestDatabase.freshDatabase("serve")
        defer { try? TestDatabase.dropDatabase(url) }
        let serve = try EngineProcess.serve(environment: ["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50"])
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
        #expect(serve.stop() == 0, "\(serve.log)")
    }

    @Test("PostgreSQL unreachable: uploads are still accepted into the spool and /startup-status says the database is down")
    func databaseDown() throws {
        let serve = try EngineProcess.serve(environment: ["DATABASE_URL": "postgres://resume_ingest@127.0.0.1:1/nowhere?connect_timeout=2", "SINK_BATCH_AGE_MS": "50"])
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
