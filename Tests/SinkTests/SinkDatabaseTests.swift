import Foundation
@testable import Loop
import Logging
import Testing
import TestSupport

@testable import Sink

/// A Sink on a fresh database of the private PostgreSQL cluster, and the outcomes it reported.
@LoopActor
final class SinkHarness {
    final class Outcomes {
        var all: [SinkOutcome] = []
        var waiter: (count: Int, continuation: CheckedContinuation<Void, Never>)?
    }

    let url: String
    let sink: Sink
    let outcomes = Outcomes()

    init(url: String, tweak: (inout SinkConfiguration) -> Void = { _ in }) {
        self.url = url
        var configuration = SinkConfiguration()
        configuration.databaseURL = url
        configuration.batchAgeMilliseconds = 20
        configuration.timeoutMilliseconds = 20_000
        tweak(&configuration)
        let outcomes = self.outcomes
        sink = Sink(configuration: configuration, logger: Logger(label: "sink")) { settled in
            outcomes.all += settled
            if let w = outcomes.waiter, outcomes.all.count >= w.count {
                outcomes.waiter = nil
                w.continuation.resume()
            }
        }
        sink.start()
    }

    /// Hands rows over as fast as the Sink takes them.
    func write(_ rows: [DocumentRow]) async {
        for row in rows {
            await sink.waitForRoom()
            sink.accept(row)
        }
    }

    /// Waits until `count` outcomes were reported, or `seconds` passed.
    func waitForOutcomes(_ count: Int, seconds: UInt64 = 60) async {
        if outcomes.all.count >= count { return }
        let timer = UVTimer()
        timer.schedule(after: seconds * 1000) { [outcomes] in
            if let w = outcomes.waiter {
                outcomes.waiter = nil
                w.continuation.resume()
            }
        }
        await withCheckedContinuation(isolation: LoopActor.shared) { outcomes.waiter = (count, $0) }
        timer.close()
    }

    var reported: [SinkOutcome] { outcomes.all }
    var counters: Sink.Counters { sink.counters }
    var state: Sink.State { sink.state }
    var held: Int { sink.held }

    func stop() async {
        await sink.drain(timeoutMilliseconds: 10_000)
        sink.close()
    }

    /// A realistic row: ~4 KiB of text, ~2 KiB of JSON Resume, metadata.
    nonisolated static func row(_ i: Int, tenant: String = "default", batch: String = "01a205ce-adda-76f5-aa57-5dfec6830056",
                                text: String? = nil, parsed: [UInt8]? = nil, sha: [UInt8]? = nil) -> DocumentRow {
        let body = text ?? (0..<60).map { "Line \($0) of resume \(i): built and ran systems at scale." }.joined(separator: "\n")
        let json = parsed ?? Array("""
            {"basics":{"name":"Person \(i)","email":"person\(i)@example.com"},"work":[\((0..<12).map { _ in
                #"{"name":"Acme","position":"Engineer","startDate":"2019-01","highlights":["Shipped things"]}"# }
                .joined(separator: ","))]}
            """.utf8)
        return DocumentRow(
            id: UUID().uuidString.lowercased(), tenant: tenant, batchID: batch, contentSHA256: sha ?? digest(i),
            filename: "resume-\(i).pdf", declaredType: "application/pdf", detectedType: "application/pdf",
            sizeBytes: 50_000, status: .parsed, extractor: "pdftotext", ocrUsed: false, pageCount: 2,
            textCharacters: body.count, text: body, parsed: json, provider: "rules", model: nil, promptTokens: 0,
            completionTokens: 0, warnings: ["w\(i)"], receivedAtMilliseconds: 1_795_000_000_000 + Int64(i))
    }

    /// 32 bytes that differ for every `i`.
    nonisolated static func digest(_ i: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt64(i).bigEndian) { Array($0) } + [UInt8](repeating: 0xAB, count: 24)
    }
}

/// Counts rows as the engine's role sees them under row-level security (tenant `default`), through psql.
func count(_ url: String, _ whereClause: String = "true", table: String = "documents") throws -> Int {
    let sql = """
        SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
        SELECT count(*) FROM \(table) WHERE \(whereClause);
        """
    let lines = try TestDatabase.psql(url, sql).split(separator: "\n")
    return Int(lines.last ?? "") ?? -1
}

@Suite("Sink against a real PostgreSQL")
struct SinkDatabaseTests {
    @Test("migrations apply once, also when two engines start at once, and record their version")
    func migrations() async throws {
        let url = try TestDatabase.freshDatabase("migrate")
        defer { try? TestDatabase.dropDatabase(url) }
        let (first, second) = await Self.migrateTwice(url)
        let applied = try [first.get(), second.get()].sorted { $0.count > $1.count }
        #expect(applied[0] == Migrations.all.map(\.version))
        #expect(applied[1] == [], "the second engine found the schema up to date")
        #expect(try TestDatabase.psql(url, "SELECT max(version) FROM schema_migrations") == "\(Migrations.latest)")
        #expect(try TestDatabase.psql(url, "SELECT slug FROM tenants") == "default")
        // Row-level security is forced for the owner too.
        #expect(try TestDatabase.psql(url, "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'documents'") == "t")
    }

    @Test("an engine that starts while another holds the migration lock longer than its answer timeout waits, then migrates")
    func migrationLockOutwaitsTheAnswerTimeout() async throws {
        let url = try TestDatabase.freshDatabase("migrate_wait")
        defer { try? TestDatabase.dropDatabase(url) }
        try await Self.migrateBehindAHeldLock(url)
    }

    @LoopActor
    static func migrateBehindAHeldLock(_ url: String) async throws {
        let holder = try await connect(url)
        defer { holder.close() }
        try await holder.query("SELECT pg_advisory_lock($1)", [String(Migrations.lockKey)])
        // One second to answer any statement: one pg_advisory_lock held back 2.5 s would be taken for a dead server.
        async let migration = migrateOnce(url, timeoutMilliseconds: 1_000)
        try await Task.sleep(for: .milliseconds(2_500))
        #expect(try await holder.query("SELECT to_regclass('schema_migrations') IS NULL").scalar == "t",
                "nothing is applied while the lock is held")
        try await holder.query("SELECT pg_advisory_unlock($1)", [String(Migrations.lockKey)])
        #expect(try await migration.get() == Migrations.all.map(\.version))
    }

    @Test("closing a connection while a statement waits for the server ends the wait with an error, at once")
    func closeWhileWaiting() async throws {
        // The database is made and dropped off the loop (psql is a child process the test waits for).
        let url = try TestDatabase.freshDatabase("close_waiting")
        defer { try? TestDatabase.dropDatabase(url) }
        try await Self.closeWhileWaiting(url)
    }

    @LoopActor
    static func closeWhileWaiting(_ url: String) async throws {
        let connected: PGConnection? = try await connect(url)
        let connection = try #require(connected)
        let started = Date()
        let closer = UVTimer()
        closer.schedule(after: 200) { connection.close() }
        var failure: PGError?
        do throws(PGError) {
            try await connection.simpleQuery("SELECT pg_sleep(30)")
        } catch {
            failure = error
        }
        closer.close()
        #expect(failure?.kind == .connection, "\(String(describing: failure))")
        #expect(failure?.message.contains("closed") == true, "\(String(describing: failure))")
        #expect(Date().timeIntervalSince(started) < 20, "the wait ended with the close, not with the statement")
        #expect(!connection.isOpen)
    }

    /// Connects, trying again up to four times: what these tests check is what follows, not the connect, and a
    /// server this loaded may end a first connection (CI and `make test` saw "server closed the connection
    /// unexpectedly" while other tests' DROP DATABASE checkpoints held the disk for 20 s).
    @LoopActor
    static func connect(_ url: String, timeoutMilliseconds: UInt64 = 30_000) async throws(PGError) -> PGConnection {
        for attempt in 1... {
            do throws(PGError) {
                return try await PGConnection.connect(url, timeoutMilliseconds: timeoutMilliseconds)
            } catch {
                if attempt == 5 || error.kind != .connection { throw error }
                try? await Task.sleep(for: .milliseconds(300 * attempt))
            }
        }
        fatalError("unreachable")
    }

    @LoopActor
    static func migrateTwice(_ url: String) async -> (Result<[Int], PGError>, Result<[Int], PGError>) {
        async let a = migrateOnce(url)
        async let b = migrateOnce(url)
        return await (a, b)
    }

    @LoopActor
    static func migrateOnce(_ url: String, timeoutMilliseconds: UInt64 = 30_000) async -> Result<[Int], PGError> {
        do throws(PGError) {
            let c = try await connect(url, timeoutMilliseconds: timeoutMilliseconds)
            defer { c.close() }
            return .success(try await Migrator.migrate(c))
        } catch {
            return .failure(error)
        }
    }

    @Test("rows go in through binary COPY (two writers at once) and come back as written; each document is reported committed once")
    func roundTrip() async throws {
        let url = try TestDatabase.freshDatabase("roundtrip")
        defer { try? TestDatabase.dropDatabase(url) }
        let rows = (0..<300).map { SinkHarness.row($0) }
        let h = await SinkHarness(url: url) { $0.batchRows = 100 }
        await h.write(rows)
        await h.waitForOutcomes(300)
        let reported = await h.reported
        #expect(reported.count == 300)
        #expect(Set(reported.map(\.id)) == Set(rows.map(\.id)))
        #expect(reported.allSatisfy { $0.result == .committed })
        #expect(await h.counters.transactions >= 3)
        #expect(await h.counters.retries == 0, "two writers on one batch row wait for each other, never deadlock")
        await h.stop()
        #expect(try count(url) == 300)
        let r = rows[7]
        let got = try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            SELECT encode(content_sha256, 'hex'), filename, status, parsed->'basics'->>'email', text_chars, \
            page_count, ocr_used, warnings->>0, extract(epoch FROM received_at)::bigint, length(text), batch_id
            FROM documents WHERE id = '\(r.id)';
            """).split(separator: "\n").last.map(String.init)
        let expected = [Hex.encode(r.contentSHA256), "resume-7.pdf", "parsed", "person7@example.com",
                        "\(r.textCharacters!)", "2", "f", "w7", "\(r.receivedAtMilliseconds / 1000)",
                        "\(r.text!.count)", r.batchID!]
        #expect(got == expected.joined(separator: "|"))
        // Batch counters are the documents' counts.
        #expect(try count(url, "documents = 300 AND parsed = 300 AND failed = 0", table: "batches") == 1)
    }

    @Test("tokens and estimated cost go in through binary COPY and come back as written (cost rounded to 8 decimals, one the column cannot hold NULL); the batch sums them")
    func tokensAndCost() async throws {
        let url = try TestDatabase.freshDatabase("cost")
        defer { try? TestDatabase.dropDatabase(url) }
        func billed(_ i: Int, prompt: Int, cached: Int?, completion: Int, cost: Double?) -> DocumentRow {
            var row = SinkHarness.row(i)
            row.provider = "openai"
            row.model = "gpt-4o-mini"
            row.promptTokens = prompt
            row.cachedTokens = cached
            row.completionTokens = completion
            row.costUSD = cost
            return row
        }
        let rows = [
            // 810 × 0.15 + 1024 × 0.075 + 412 × 0.60 per million.
            billed(1, prompt: 1834, cached: 1024, completion: 412, cost: 0.0004455),
            billed(2, prompt: 7, cached: 0, completion: 3, cost: 0.000002854999),
            SinkHarness.row(3),
            billed(4, prompt: 10, cached: 0, completion: 10, cost: 12_345.6),
            // A copy of the first that reused its result: billed nothing, and the row keeps the first's bill.
            billed(1, prompt: 0, cached: 0, completion: 0, cost: 0),
        ]
        let h = await SinkHarness(url: url)
        await h.write(rows)
        await h.waitForOutcomes(5)
        await h.stop()
        #expect(await h.reported.count == 5)
        #expect(await h.reported.allSatisfy { $0.result == .committed })
        let got = try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            SELECT filename, prompt_tokens, cached_tokens, completion_tokens, cost_usd FROM documents ORDER BY filename;
            """).split(separator: "\n").dropFirst().map(String.init)
        #expect(got == [
            "resume-1.pdf|1834|1024|412|0.00044550",
            "resume-2.pdf|7|0|3|0.00000285",
            "resume-3.pdf|0||0|",
            "resume-4.pdf|10|0|10|",
        ])
        let batch = try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            SELECT prompt_tokens, completion_tokens, cached_tokens, cost_usd FROM batches;
            """).split(separator: "\n").last.map(String.init)
        #expect(batch == "1851|425|1024|0.00044835")
    }

    @Test("row-level security: without the tenant set the engine's role sees no rows")
    func rowLevelSecurity() async throws {
        let url = try TestDatabase.freshDatabase("rls")
        defer { try? TestDatabase.dropDatabase(url) }
        let h = await SinkHarness(url: url)
        await h.write((0..<5).map { SinkHarness.row($0) })
        await h.waitForOutcomes(5)
        await h.stop()
        #expect(try TestDatabase.psql(url, "SELECT count(*) FROM documents") == "0")
        #expect(try count(url) == 5)
        let other = try TestDatabase.psql(url, """
            INSERT INTO tenants (slug) VALUES ('other');
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'other'), false);
            SELECT count(*) FROM documents;
            """).split(separator: "\n").last
        #expect(other == "0", "another tenant sees none of them")
    }

    @Test("an identical replay changes nothing; a new result replaces the old; a failure never replaces a parse")
    func idempotent() async throws {
        let url = try TestDatabase.freshDatabase("replay")
        defer { try? TestDatabase.dropDatabase(url) }
        let rows = (0..<50).map { SinkHarness.row($0) }
        let h = await SinkHarness(url: url)
        await h.write(rows)
        await h.waitForOutcomes(50)
        let before = try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            SELECT string_agg(xmin::text, ',' ORDER BY id) FROM documents;
            """).split(separator: "\n").last
        await h.write(rows)
        await h.waitForOutcomes(100)
        let after = try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            SELECT string_agg(xmin::text, ',' ORDER BY id) FROM documents;
            """).split(separator: "\n").last
        #expect(before == after, "no row was rewritten by the identical replay")
        #expect(try count(url) == 50)
        // A re-parse with another result replaces it; a later failure does not.
        var reparsed = rows[3]
        reparsed.id = UUID().uuidString.lowercased()
        reparsed.parsed = Array(#"{"basics":{"name":"Renamed"}}"#.utf8)
        var failed = rows[4]
        failed.status = .failed
        failed.errorCode = "llm_unavailable"
        await h.write([reparsed, failed])
        await h.waitForOutcomes(102)
        await h.stop()
        #expect(try count(url) == 50)
        #expect(try count(url, "parsed->'basics'->>'name' = 'Renamed' AND id = '\(rows[3].id)'") == 1,
                "the row keeps its id and takes the new result")
        #expect(try count(url, "id = '\(rows[4].id)' AND status = 'parsed'") == 1)
    }

    @Test("a batch made only of copies of one document commits one row and reports every copy committed")
    func duplicates() async throws {
        let url = try TestDatabase.freshDatabase("dups")
        defer { try? TestDatabase.dropDatabase(url) }
        let copies = (0..<40).map { _ in SinkHarness.row(1) }
        let h = await SinkHarness(url: url) { $0.batchRows = 40 }
        await h.write(copies)
        await h.waitForOutcomes(40)
        await h.stop()
        let reported = await h.reported
        #expect(reported.count == 40)
        #expect(reported.allSatisfy { $0.result == .committed })
        #expect(try count(url) == 1)
        #expect(await h.counters.bisections == 0)
    }

    @Test("NUL bytes, invalid UTF-8, \\u0000, unpaired surrogates and a 10 MB text are stored, sanitised")
    func awkwardValues() async throws {
        let url = try TestDatabase.freshDatabase("awkward")
        defer { try? TestDatabase.dropDatabase(url) }
        let big = String(repeating: "0123456789", count: 1_000_000)
        let rows = [
            SinkHarness.row(0, text: "before\u{0}after"),
            SinkHarness.row(1, parsed: Array(#"{"basics":{"name":""#.utf8) + [0xFF, 0xFE] + Array(#""}}"#.utf8)),
            SinkHarness.row(2, parsed: Array(#"{"basics":{"name":"a\u0000b"}}"#.utf8)),
            SinkHarness.row(3, parsed: Array(#"{"basics":{"name":"x\ud800y"}}"#.utf8)),
            SinkHarness.row(4, text: big),
        ]
        let h = await SinkHarness(url: url)
        await h.write(rows)
        await h.waitForOutcomes(5)
        await h.stop()
        #expect(await h.reported.allSatisfy { $0.result == .committed })
        #expect(try count(url) == 5)
        #expect(try count(url, "id = '\(rows[0].id)' AND text = 'beforeafter'") == 1)
        #expect(try count(url, "id = '\(rows[1].id)' AND parsed->'basics'->>'name' = E'\\uFFFD\\uFFFD'") == 1)
        #expect(try count(url, "id = '\(rows[2].id)' AND parsed->'basics'->>'name' = E'a\\uFFFDb'") == 1)
        #expect(try count(url, "id = '\(rows[3].id)' AND parsed->'basics'->>'name' = E'x\\uFFFDy'") == 1)
        #expect(try count(url, "id = '\(rows[4].id)' AND length(text) = 10000000") == 1)
    }

    @Test("rows the server refuses are bisected out: the rest commits, one is recorded failed, one lands in sink_rejects")
    func badRows() async throws {
        let url = try TestDatabase.freshDatabase("bisect")
        defer { try? TestDatabase.dropDatabase(url) }
        var rows = (0..<40).map { SinkHarness.row($0) }
        rows[13] = SinkHarness.row(13, parsed: Array("{not json".utf8)) // refused by COPY (jsonb input)
        rows[29] = SinkHarness.row(29, sha: [1, 2, 3])                      // refused by the upsert (CHECK), twice
        let h = await SinkHarness(url: url) { $0.batchRows = 40 }
        await h.write(rows)
        await h.waitForOutcomes(40)
        await h.stop()
        let reported = await h.reported
        #expect(reported.count == 40)
        let byID = Dictionary(reported.map { ($0.id, $0.result) }, uniquingKeysWith: { a, _ in a })
        #expect(reported.filter { $0.result == .committed }.count == 38)
        guard case .recordedFailed(let message)? = byID[rows[13].id] else {
            Issue.record("row 13 should be recorded failed: \(String(describing: byID[rows[13].id]))")
            return
        }
        #expect(message.contains("json"), "\(message)")
        guard case .rejected? = byID[rows[29].id] else {
            Issue.record("row 29 should be rejected: \(String(describing: byID[rows[29].id]))")
            return
        }
        #expect(try count(url) == 39)
        #expect(try count(url, "id = '\(rows[13].id)' AND status = 'failed' AND error_code = 'db_rejected' AND parsed IS NULL") == 1)
        #expect(try TestDatabase.psql(url, "SELECT count(*) FROM sink_rejects WHERE document_id = '\(rows[29].id)'") == "1")
        #expect(await h.counters.bisections >= 2)
    }

    @Test("a document of a tenant that does not exist is kept in sink_rejects with the reason; the others commit")
    func unknownTenant() async throws {
        let url = try TestDatabase.freshDatabase("tenant")
        defer { try? TestDatabase.dropDatabase(url) }
        let rows = [SinkHarness.row(0), SinkHarness.row(1, tenant: "nobody"), SinkHarness.row(2)]
        let h = await SinkHarness(url: url)
        await h.write(rows)
        await h.waitForOutcomes(3)
        await h.stop()
        let reported = await h.reported
        #expect(reported.first { $0.id == rows[1].id }?.result == .rejected("tenant 'nobody' does not exist"))
        #expect(reported.filter { $0.result == .committed }.count == 2)
        #expect(try count(url) == 2)
        #expect(try TestDatabase.psql(url, "SELECT tenant || ':' || error FROM sink_rejects")
                == "nobody:tenant 'nobody' does not exist")
    }

    @Test("a reject's tenant and reason reach sink_rejects verbatim, even with standard_conforming_strings off")
    func rejectsAreParameters() async throws {
        let url = try TestDatabase.freshDatabase("rejectparams")
        defer { try? TestDatabase.dropDatabase(url) }
        // A legacy setting under which quoting by doubling quotes is not enough: backslashes escape.
        let database = try #require(url.split(separator: "/").last.map { String($0.split(separator: "?")[0]) })
        _ = try TestDatabase.psql(url, "ALTER DATABASE \(database) SET standard_conforming_strings = off")
        let slug = #"back\slash', 'x'); DROP TABLE documents; --"#
        let rows = [SinkHarness.row(0), SinkHarness.row(1, tenant: slug)]
        let h = await SinkHarness(url: url)
        await h.write(rows)
        await h.waitForOutcomes(2)
        await h.stop()
        #expect(try count(url) == 1)
        let stored = try TestDatabase.psql(url, "SET standard_conforming_strings = on; SELECT tenant FROM sink_rejects")
        #expect(stored.split(separator: "\n").last.map(String.init) == slug, "\(stored)")
    }

    @Test("the connection killed in the middle of a transaction, and again at commit: reconnect, replay, every row once")
    func killedMidTransaction() async throws {
        let url = try TestDatabase.freshDatabase("kill")
        defer { try? TestDatabase.dropDatabase(url) }
        let h = await SinkHarness(url: url) { $0.batchRows = 50 }
        await h.write([SinkHarness.row(10_000)]) // migrates the schema
        await h.waitForOutcomes(1)
        // The server ends the session itself, once in the upsert and once at commit (a deferred trigger).
        _ = try TestDatabase.psql(url, """
            CREATE SEQUENCE kill_upsert; CREATE SEQUENCE kill_commit;
            CREATE FUNCTION kill_upsert() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF nextval('kill_upsert') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF; RETURN NULL; END $$;
            CREATE FUNCTION kill_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF nextval('kill_commit') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF; RETURN NULL; END $$;
            CREATE TRIGGER kill_upsert AFTER INSERT ON documents FOR EACH STATEMENT EXECUTE FUNCTION kill_upsert();
            CREATE CONSTRAINT TRIGGER kill_commit AFTER INSERT ON documents DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW EXECUTE FUNCTION kill_commit();
            """)
        let rows = (0..<200).map { SinkHarness.row($0) }
        await h.write(rows)
        await h.waitForOutcomes(201)
        await h.stop()
        let reported = await h.reported
        #expect(reported.count == 201, "each document reported once")
        #expect(Set(reported.map(\.id)).count == 201)
        #expect(reported.allSatisfy { $0.result == .committed })
        #expect(try count(url) == 201)
        #expect(await h.counters.reconnects >= 2)
        #expect(try TestDatabase.psql(url, "SELECT count(*) FROM sink_rejects") == "0")
    }

    @Test("the server gone while COPY streams: reconnect and replay, no loss, no duplicate")
    func killedMidCopy() async throws {
        let url = try TestDatabase.freshDatabase("copykill")
        defer { try? TestDatabase.dropDatabase(url) }
        let name = String(url.split(separator: "/").last ?? "")
        let h = await SinkHarness(url: url) { $0.batchRows = 3_000; $0.batchBytes = 1 << 30 }
        // Big rows, so COPY streams for a while; a watcher ends the session as soon as it sees COPY running.
        let text = String(repeating: "Experience at scale with systems and people. ", count: 1_000)
        var written: [DocumentRow] = []
        var killed = 0
        for round in 0..<5 where killed == 0 {
            let rows = (0..<3_000).map { SinkHarness.row(round * 3_000 + $0, text: text) }
            written += rows
            let watcher = Task.detached { () -> Int in
                for _ in 0..<400 {
                    let n = (try? TestDatabase.psqlAdmin(sql: """
                        SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                        WHERE datname = '\(name)' AND state = 'active' AND query LIKE 'COPY sink_staging%'
                        """)).flatMap { Int($0) } ?? 0
                    if n > 0 { return n }
                    try? await Task.sleep(for: .milliseconds(5))
                }
                return 0
            }
            await h.write(rows)
            await h.waitForOutcomes(written.count, seconds: 120)
            killed = await watcher.value
        }
        await h.stop()
        #expect(killed > 0, "the watcher never caught COPY running")
        let reported = await h.reported
        #expect(Set(reported.map(\.id)) == Set(written.map(\.id)))
        #expect(reported.count == written.count)
        #expect(try count(url) == written.count)
        #expect(await h.counters.reconnects >= 1)
    }

    @Test("PostgreSQL unavailable at start: the Sink says so and holds rows (backpressure), then commits them when it is back")
    func unavailableAtStart() async throws {
        let url = try TestDatabase.freshDatabase("late")
        let name = String(url.split(separator: "/").last ?? "")
        try TestDatabase.dropDatabase(url)
        defer { try? TestDatabase.dropDatabase(url) }
        let h = await SinkHarness(url: url) { $0.batchRows = 10; $0.connections = 2 }
        let rows = (0..<25).map { SinkHarness.row($0) }
        await h.write(rows) // under (2 connections + 1) batches of 10: taken without waiting
        try await Task.sleep(for: .milliseconds(300))
        guard case .down(let reason) = await h.state else {
            Issue.record("the Sink should say the database is down: \(await h.state)")
            return
        }
        #expect(reason.contains(name) || reason.contains("does not exist"), "\(reason)")
        #expect(await h.held == 25)
        #expect(await h.reported.isEmpty)
        // Room for 30 rows: the 31st waits.
        let blocked = Task { @LoopActor in
            await h.write((25..<35).map { SinkHarness.row($0) })
            return true
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(await h.held == 30, "the stage before is held back once every connection has a batch and one more waits")
        _ = try TestDatabase.psqlAdmin(sql: "CREATE DATABASE \(name) OWNER resume_ingest")
        #expect(await blocked.value)
        await h.waitForOutcomes(35)
        let state = await h.state
        await h.stop()
        #expect(try count(url) == 35)
        guard case .ready = state else {
            Issue.record("back to ready: \(state)")
            return
        }
    }
}
