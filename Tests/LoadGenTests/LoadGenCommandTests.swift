import Foundation
import Testing
import TestSupport

/// `resume-ingest loadgen` as a user runs it: bad input gets its message and exit status before any load,
/// and a run against the engine itself follows every batch to its rows.
@Suite("loadgen command", .serialized)
struct LoadGenCommandTests {
    /// Runs loadgen to its end (up to `seconds`: a full test run shares two cores with every other test).
    static func loadgen(_ arguments: [String], seconds: Double = 60) async throws -> (status: Int32?, out: String, err: String) {
        let run = try EngineProcess(["loadgen"] + arguments + ["--quiet"])
        let status = await run.waitForExit(seconds: seconds)
        if status == nil { run.kill() }
        return (status, run.standardOutput, run.log)
    }

    @Test("a corpus path that does not exist: exit 66 and the path named")
    func missingCorpus() async throws {
        let r = try await Self.loadgen(["http://127.0.0.1:9/", "--corpus", "/nonexistent/resumes", "--requests", "1"])
        #expect(r.status == 66)
        #expect(r.err.contains("corpus not found: /nonexistent/resumes"))
        #expect(r.out.isEmpty)
    }

    @Test("a corpus folder with no files (hidden ones do not count): exit 66")
    func emptyCorpus() async throws {
        let dir = try TemporaryDirectory.make(prefix: "empty-corpus")
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/.hidden", contents: Data("x".utf8))
        let r = try await Self.loadgen(["http://127.0.0.1:9/", "--corpus", dir, "--requests", "1"])
        #expect(r.status == 66)
        #expect(r.err.contains("the corpus holds no files"))
        let glob = try await Self.loadgen(["http://127.0.0.1:9/", "--corpus", dir + "/*.pdf", "--requests", "1"])
        #expect(glob.status == 66)
    }

    @Test("a public address without --allow-remote is refused before any connection: exit 64")
    func remoteRefused() async throws {
        let dir = try LoadGeneratorTests.corpus(1)
        let r = try await Self.loadgen(["http://93.184.216.34/upload", "--corpus", dir, "--requests", "1"])
        #expect(r.status == 64)
        #expect(r.err.contains("not a loopback or private test address"))
        #expect(r.err.contains("--allow-remote"))
        let https = try await Self.loadgen(["https://127.0.0.1/upload", "--corpus", dir, "--requests", "1"])
        #expect(https.status == 64)
        #expect(https.err.contains("https is not supported"))
    }

    @Test("an unreachable server: exit 69 before any load, the address named")
    func unreachable() async throws {
        let dir = try LoadGeneratorTests.corpus(1)
        let port = try NginxBalancer.freePort()
        let r = try await Self.loadgen(["http://127.0.0.1:\(port)/upload", "--corpus", dir, "--requests", "1"])
        #expect(r.status == 69)
        #expect(r.err.contains("cannot connect to 127.0.0.1:\(port)"))
        #expect(r.err.contains("ECONNREFUSED"))
    }

    @Test("bad options get their own message: exit 64")
    func badOptions() async throws {
        let dir = try LoadGeneratorTests.corpus(1)
        let stage = try await Self.loadgen(["http://127.0.0.1:9/", "--corpus", dir, "--stage", "fast"])
        #expect(stage.status == 64)
        #expect(stage.err.contains("--stage takes DURATION@LOAD"))
        let header = try await Self.loadgen(["http://127.0.0.1:9/", "--corpus", dir, "-H", "Content-Length: 5"])
        #expect(header.status == 64)
        #expect(header.err.contains("cannot set Content-Length"))
        let both = try await Self.loadgen(["http://127.0.0.1:9/", "--corpus", dir, "--rate", "5", "--concurrency", "2"])
        #expect(both.status == 64)
    }

    @Test("against the engine: every upload answered 202, every batch followed to completion, one row per distinct file")
    func againstTheEngine() async throws {
        let url = try TestDatabase.freshDatabase("loadgen_e2e")
        defer { try? TestDatabase.dropDatabase(url) }
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50"])
        defer { serve.kill() }
        let dir = try TemporaryDirectory.make(prefix: "loadgen-cvs")
        for i in 0..<4 {
            let text = "Jordan Tester\(i)\njordan.tester\(i)@example.com\n+1 415 555 01\(10 + i)\n\nEXPERIENCE\nEngineer, Acme Ltd\n2019 - 2024\n"
            FileManager.default.createFile(atPath: "\(dir)/cv-\(i).txt", contents: Data(text.utf8))
        }
        let r = try await Self.loadgen([
            "http://127.0.0.1:\(serve.port)/api/v1/bulk-parse-resumes", "--corpus", dir, "--requests", "6",
            "--files-per-request", "2", "--concurrency", "2", "--follow", "poll", "--poll-interval", "50ms",
            "--follow-wait", "240s", "--json",
        ], seconds: 300)
        #expect(r.status == 0, "\(r.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any], "\(r.out)")
        #expect(json["ok"] as? Int == 6)
        #expect(json["files_accepted"] as? Int == 12)
        #expect(json["batches_completed"] as? Int == 6)
        #expect(json["batches_unfinished"] as? Int == 0)
        #expect((json["end_to_end_ms"] as? [String: Any])?["p50"] != nil)
        let rows = try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            SELECT count(*) || '/' || count(*) FILTER (WHERE status = 'parsed') FROM documents;
            """)
        #expect(rows.split(separator: "\n").last == "4/4", "\(rows)")
    }
}
