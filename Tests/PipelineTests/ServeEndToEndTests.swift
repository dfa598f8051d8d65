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
    func uploadsBecomeRows() async throws {
        let url = try TestDatabase.freshDatabase("serve")
        defer { try? TestDatabase.dropDatabase(url) }
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50"])
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
            try await Task.sleep(for: .seconds(0.2))
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
        // Every stage in /metrics: extraction, the parser, the Sink.
        let metrics = try serve.curl(["http://127.0.0.1:\(serve.port)/metrics"])
        for line in ["parser_documents_parsed_total 3", "sink_rows_committed_total 4",
                     "extract_documents_total{status=\"failed\",error_code=\"unsupported_type\"} 1"] {
            #expect(metrics.contains(line), "\(line) in\n\(metrics)")
        }
        #expect(metrics.contains("sink_commit_duration_seconds_count"), "\(metrics)")
        #expect(await serve.stop() == 0, "\(serve.log)")
    }

    @Test("a password in DATABASE_URL's query never reaches /startup-status, before or after the database is connected")
    func passwordRedactedInStatus() async throws {
        let url = try TestDatabase.freshDatabase("serve_redact")
        defer { try? TestDatabase.dropDatabase(url) }
        // The private cluster trusts local connections, so the password is carried but not needed.
        let withPassword = url + (url.contains("?") ? "&" : "?") + "password=hunter2-in-query"
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": withPassword])
        var body = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            body = try serve.curl(["http://127.0.0.1:\(serve.port)/startup-status"])
            #expect(!body.contains("hunter2"), "\(body)")
            if body.contains("PostgreSQL ") { break }
            try await Task.sleep(for: .seconds(0.2))
        }
        #expect(body.contains("password=***"), "the database line names its URL, masked: \(body)")
        #expect(!serve.log.contains("hunter2"), "\(serve.log)")
        #expect(await serve.stop() == 0, "\(serve.log)")
    }

    @Test("POST /api/v1/imports: one archive body becomes one row per entry in its batch (a bad entry failed with its code); a body that is not an archive is 415 and nothing is kept")
    func archiveImport() async throws {
        let url = try TestDatabase.freshDatabase("serve_import")
        defer { try? TestDatabase.dropDatabase(url) }
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50"])
        let dir = try TemporaryDirectory.make(prefix: "serve-import")
        let archive = dir + "/cvs.tar.gz"
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        python.arguments = ["-c", """
            import io, sys, tarfile
            out, src = sys.argv[1], sys.argv[2:]
            with tarfile.open(out, "w:gz") as t:
                for p in src: t.add(p, "cvs/" + p.rsplit("/", 1)[1])
                i = tarfile.TarInfo("../../etc/cron.d/x"); i.size = 4; t.addfile(i, io.BytesIO(b"evil"))
            """, archive] + ["0012-noor-de-vries.txt", "0013-sophia-ward.html", "0003-youssef-haddad.docx"].map { Self.sample + "/" + $0 }
        try python.run()
        python.waitUntilExit()
        let answer = try serve.curl(["-H", "Content-Type: application/gzip", "--data-binary", "@" + archive,
                                     "http://127.0.0.1:\(serve.port)/api/v1/imports?filename=cvs.tar.gz"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any], "\(answer)")
        let batch = try #require(json["batch_id"] as? String, "\(answer)")
        #expect(json["status"] as? String == "queued")
        var lines: [String] = []
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            lines = ((try? TestDatabase.psql(url, """
                SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
                SELECT filename || ':' || status || ':' || coalesce(error_code, '-') || ':' || batch_id
                FROM documents ORDER BY filename;
                """)) ?? "").split(separator: "\n").dropFirst().map(String.init)
            if lines.count == 4 && serve.spooled.isEmpty { break }
            try await Task.sleep(for: .seconds(0.2))
        }
        #expect(lines.count == 4, "\(lines)\n\(serve.log)")
        #expect(lines.allSatisfy { $0.hasSuffix(":" + batch) }, "every entry in the import's batch: \(lines)")
        #expect(lines.filter { $0.contains(":parsed:-:") }.count == 3, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("../../etc/cron.d/x:failed:unsafe_entry:") }, "\(lines)")
        #expect(serve.spooled.isEmpty, "the archive and its entries leave the spool: \(serve.spooled)")
        #expect(!FileManager.default.fileExists(atPath: "/etc/cron.d/x"))

        // Not an archive: refused before anything is stored.
        let refused = try serve.curl(["-s", "-o", "-", "-w", "\n%{http_code}", "--data-binary",
                                      "@" + Self.sample + "/0012-noor-de-vries.txt",
                                      "http://127.0.0.1:\(serve.port)/api/v1/imports"])
        #expect(refused.hasSuffix("\n415"), "\(refused)")
        #expect(refused.contains("\"code\":\"not_an_archive\""), "\(refused)")
        let empty = try serve.curl(["-s", "-o", "-", "-w", "\n%{http_code}", "-X", "POST",
                                    "http://127.0.0.1:\(serve.port)/api/v1/imports"])
        #expect(empty.hasSuffix("\n400") && empty.contains("empty_body"), "\(empty)")
        // An archive with nothing in it: its batch exists all the same, named after it.
        let emptyZip = dir + "/empty.zip"
        FileManager.default.createFile(atPath: emptyZip, contents: Data([0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18)))
        let emptyAnswer = try serve.curl(["--data-binary", "@" + emptyZip,
                                          "http://127.0.0.1:\(serve.port)/api/v1/imports?filename=empty.zip"])
        let emptyBatch = try #require((try JSONSerialization.jsonObject(with: Data(emptyAnswer.utf8)) as? [String: Any])?["batch_id"] as? String, "\(emptyAnswer)")
        var batchRow = ""
        for _ in 0..<100 where batchRow.isEmpty || !serve.spooled.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            batchRow = (try? TestDatabase.psql(url, """
                SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
                SELECT label || '/' || origin || '/' || documents FROM batches WHERE id = '\(emptyBatch)'
                """).split(separator: "\n").dropFirst().first.map(String.init)) ?? ""
        }
        #expect(batchRow == "empty.zip/import/0", "\(batchRow)")
        try await Task.sleep(for: .seconds(0.3))
        #expect(serve.spooled.isEmpty, "\(serve.spooled)")
        #expect(TemporaryDirectory.list(serve.spool + "/tmp").isEmpty)
        #expect(try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            SELECT count(*) FROM documents
            """).split(separator: "\n").last == "4", "nothing of the refused or empty bodies reached the database")
        #expect(await serve.stop() == 0, "\(serve.log)")
    }

    @Test("PostgreSQL unreachable: uploads are still accepted into the spool and /startup-status says the database is down")
    func databaseDown() async throws {
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": "postgres://resume_ingest@127.0.0.1:1/nowhere?connect_timeout=2", "SINK_BATCH_AGE_MS": "50"])
        let answer = try serve.upload([Self.sample + "/0012-noor-de-vries.txt"])
        #expect(answer.contains("\"status\":\"queued\""), "\(answer)")
        try await Task.sleep(for: .seconds(1))
        let status = try serve.startupStatus()
        let database = (status["components"] as? [String: Any])?["database"] as? [String: Any]
        #expect(database?["status"] as? String == "down", "\(status)")
        #expect((database?["detail"] as? String)?.contains("uploads are still spooled") == true, "\(status)")
        #expect(serve.spooled.count == 2, "the document waits in the spool: \(serve.spooled)")
        #expect(await serve.stop() == 0, "\(serve.log)")
    }
}
