import Foundation
@testable import Loop
import Testing

@testable import Sink

@Suite("Sink: pure parts")
struct SinkUnitTests {
    @Test("a batch is due at its row count, its byte count or its age, whichever first; an empty one never")
    func flushPolicy() {
        let p = FlushPolicy(maxRows: 10, maxBytes: 1_000, maxAgeNanoseconds: 200)
        #expect(!p.isDue(rows: 0, bytes: 0, oldest: nil, now: 1_000))
        #expect(!p.isDue(rows: 9, bytes: 999, oldest: 100, now: 299))
        #expect(p.isDue(rows: 10, bytes: 1, oldest: 100, now: 100))
        #expect(p.isDue(rows: 1, bytes: 1_000, oldest: 100, now: 100))
        #expect(p.isDue(rows: 1, bytes: 1, oldest: 100, now: 300))
        #expect(p.deadline(oldest: 100) == 300)
    }

    @Test("lost connections replay, row errors bisect down to one row, then a failure record, then a reject")
    func planner() {
        let lost = PGError(kind: .connection, message: "server closed the connection unexpectedly")
        let shutdown = PGError(kind: .server, message: "terminating connection", sqlState: "57P01")
        let badJSON = PGError(kind: .server, message: "invalid input syntax for type json", sqlState: "22P02")
        let check = PGError(kind: .server, message: "violates check constraint", sqlState: "23514")
        let missing = PGError(kind: .server, message: "relation does not exist", sqlState: "42P01")
        for error in [lost, shutdown] {
            guard case .reconnectAndReplay(let delay) = FlushPlanner.action(for: error, rows: 100, reduced: false,
                                                                            attempt: 1, random: 0.5) else {
                Issue.record("\(error) should replay")
                continue
            }
            #expect(delay < 100_000_000)
        }
        #expect(FlushPlanner.action(for: badJSON, rows: 100, reduced: false, attempt: 1, random: 0) == .split(at: 50))
        #expect(FlushPlanner.action(for: check, rows: 3, reduced: false, attempt: 1, random: 0) == .split(at: 1))
        #expect(FlushPlanner.action(for: check, rows: 1, reduced: false, attempt: 1, random: 0)
                == .recordFailed(message: check.description))
        #expect(FlushPlanner.action(for: check, rows: 1, reduced: true, attempt: 1, random: 0)
                == .reject(message: check.description))
        guard case .retryLater(let delay) = FlushPlanner.action(for: missing, rows: 5, reduced: false, attempt: 20,
                                                                random: 0.999) else {
            Issue.record("a missing table is not the rows' fault: retry")
            return
        }
        #expect(delay <= 10_000_000_000, "backoff is capped")
    }

    @Test("NUL, invalid UTF-8, \\u0000 and unpaired surrogates are made acceptable; valid JSON is untouched")
    func sanitizer() throws {
        #expect(Sanitizer.text("a\u{0}b") == "ab")
        #expect(Sanitizer.text("plain") == "plain")
        func clean(_ s: String) -> String { String(decoding: Sanitizer.json(Array(s.utf8)), as: UTF8.self) }
        #expect(clean(#"{"a":"x\u0000y"}"#) == #"{"a":"x\ufffdy"}"#)
        #expect(clean(#"{"a":"\ud800"}"#) == #"{"a":"\ufffd"}"#)
        #expect(clean(#"{"a":"\udc00x"}"#) == #"{"a":"\ufffdx"}"#)
        #expect(clean(#"{"a":"\ud83d\ude00"}"#) == #"{"a":"\ud83d\ude00"}"#, "a pair is kept")
        #expect(clean(#"{"a":"\\u0000"}"#) == #"{"a":"\\u0000"}"#, "an escaped backslash is not an escape")
        #expect(clean(#"{"a":"\n\"q\""}"#) == #"{"a":"\n\"q\""}"#)
        let invalid: [UInt8] = Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        let fixed = Sanitizer.json(invalid)
        #expect(String(validating: fixed, as: UTF8.self) != nil)
        #expect(Sanitizer.json([0x7B, 0x00, 0x7D]) == [0x7B, 0x7D])
        // Whatever is left parses as JSON.
        for s in [#"{"a":"\ud800\u0000\udfff"}"#, #"["\ud83d"]"#] {
            #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(Sanitizer.json(Array(s.utf8)))) }
        }
    }

    @Test("UUIDs round-trip through their 16 bytes; anything else is refused")
    func uuids() {
        let text = "01a205ce-adda-76f5-aa57-5dfec6830056"
        let bytes = UUIDText.bytes(text)
        #expect(bytes?.count == 16)
        #expect(bytes.map(UUIDText.text) == text)
        #expect(UUIDText.bytes("01A205CE-ADDA-76F5-AA57-5DFEC6830056") == bytes)
        for bad in ["", "01a205ce", "01a205ce-adda-76f5-aa57-5dfec683005g", "01a205ce-adda-76f5-aa57-5dfec68300561"] {
            #expect(UUIDText.bytes(bad) == nil, "\(bad)")
        }
    }

    @Test("the password is never printed")
    func redaction() {
        #expect(SinkConfiguration.redacted("postgres://u:secret@h:5432/db") == "postgres://u:***@h:5432/db")
        #expect(SinkConfiguration.redacted("postgres://u@h/db") == "postgres://u@h/db")
        #expect(SinkConfiguration.redacted("host=h password=secret dbname=d") == "host=h password=*** dbname=d")
    }

    @Test("every form of password libpq accepts is masked, and nothing else changes", arguments: [
        ("postgresql://app:secret@db:5432/x", "postgresql://app:***@db:5432/x"),
        ("postgres://app@db/x?password=secret", "postgres://app@db/x?password=***"),
        ("postgres://app@db/x?sslmode=require&password=secret&connect_timeout=5",
         "postgres://app@db/x?sslmode=require&password=***&connect_timeout=5"),
        ("postgres://app@db/x?pass%77ord=secret", "postgres://app@db/x?pass%77ord=***"),
        ("postgres://app:s%40cret@h1:5432,h2:5433/x?password=again#frag", "postgres://app:***@h1:5432,h2:5433/x?password=***#frag"),
        ("postgres://db/x?application_name=a@b", "postgres://db/x?application_name=a@b"),
        ("  postgres://:secret@/x?host=/run/pg", "  postgres://:***@/x?host=/run/pg"),
        ("host=db password = secret user=app", "host=db password = *** user=app"),
        ("password='se cret \\' x' host=db", "password=*** host=db"),
        ("host=db password=a\\ b user=app", "host=db password=*** user=app"),
        ("password=one password=two", "password=*** password=***"),
        ("host=db user=app", "host=db user=app"),
        ("host=db passfile=/p password", "host=db passfile=/p password"),
    ] as [(String, String)])
    func redactionForms(conninfo: String, expected: String) {
        let redacted = SinkConfiguration.redacted(conninfo)
        #expect(redacted == expected)
        #expect(!redacted.contains("secret") && !redacted.contains("cret") && !redacted.contains("again"))
    }

    @Test("settings are read and checked")
    func settings() throws {
        let c = try SinkConfiguration(environment: ["DATABASE_URL": "postgres://x@y/z", "SINK_BATCH_ROWS": "100",
                                                    "SINK_BATCH_BYTES": "1MiB", "SINK_BATCH_AGE_MS": "50"])
        #expect(c.databaseURL == "postgres://x@y/z")
        #expect(c.batchRows == 100 && c.batchBytes == 1 << 20 && c.batchAgeMilliseconds == 50)
        #expect(throws: InvalidSetting.self) {
            try SinkConfiguration(environment: ["SINK_BATCH_ROWS": "0"])
        }
    }

    @Test("a cost is staged when documents.cost_usd can hold it, else NULL (unknown), never a refused row",
          arguments: [
              (0.0, 0.0), (0.00043485, 0.00043485), (9_999.999_999_99, 9_999.999_999_99), (10_000.0, nil),
              (-0.000001, nil), (Double.nan, nil), (Double.infinity, nil),
          ] as [(Double, Double?)])
    func storableCost(cost: Double, expected: Double?) {
        #expect(StagingEncoder.storableCost(cost) == expected)
    }

    @Test("copies of one content collapse to the latest, which keeps an earlier copy's tokens and cost when it was billed nothing (it reused that result)")
    @LoopActor
    func collapseKeepsBilling() {
        let tenant = [UInt8](repeating: 1, count: 16)
        var billed = SinkHarness.row(1)
        billed.promptTokens = 900
        billed.completionTokens = 200
        billed.cachedTokens = 512
        billed.costUSD = 0.0002334
        var reused = SinkHarness.row(1)
        reused.costUSD = 0
        let other = SinkHarness.row(2)
        let collapsed = Sink.latestPerKey([(billed, tenant), (other, tenant), (reused, tenant)]).map(\.row)
        #expect(collapsed.map(\.id) == [other.id, reused.id], "one row per content, the latest copy's")
        #expect(collapsed.last?.promptTokens == 900 && collapsed.last?.completionTokens == 200)
        #expect(collapsed.last?.cachedTokens == 512 && collapsed.last?.costUSD == 0.0002334)
        #expect(collapsed.first?.costUSD == nil, "another content keeps its own (none)")
        // A later copy that was billed itself keeps its own bill.
        var again = SinkHarness.row(1)
        again.promptTokens = 40
        again.completionTokens = 10
        again.cachedTokens = 0
        again.costUSD = 0.000012
        let latest = Sink.latestPerKey([(billed, tenant), (again, tenant)]).map(\.row)
        #expect(latest == [again])
    }

    @Test("the staged row carries tokens and cost after completion_tokens, as the staging table declares them")
    func stagedTokenColumns() throws {
        let columns = StagingEncoder.columns
        let at = try #require(columns.firstIndex(of: "completion_tokens"))
        #expect(Array(columns[at...].prefix(3)) == ["completion_tokens", "cached_tokens", "cost_usd"])
        #expect(SinkSQL.createStaging.contains("cached_tokens integer"))
        #expect(SinkSQL.createStaging.contains("cost_usd double precision"))
        let upsert = SinkSQL.upsert(tenantID: "01a205ce-adda-76f5-aa57-5dfec6830056")
        #expect(upsert.contains("cost_usd = excluded.cost_usd"), "a new result replaces the cost with the rest")
        #expect(upsert.contains("coalesce(sum(d.cost_usd) FILTER (WHERE d.id = i.id), 0) AS cost_usd"),
                "the batch's total is recounted, once per processed item")
    }

    @Test("the upsert statement names every staged column, keys on tenant and content, and skips identical replays")
    func upsertSQL() {
        let sql = SinkSQL.upsert(tenantID: "01a205ce-adda-76f5-aa57-5dfec6830056")
        #expect(sql.contains("set_config('app.tenant_id', '01a205ce-adda-76f5-aa57-5dfec6830056', true)"))
        #expect(sql.contains("ON CONFLICT (tenant_id, content_sha256) DO UPDATE"))
        #expect(sql.contains("IS DISTINCT FROM"))
        for column in StagingEncoder.columns.dropFirst() { #expect(sql.contains(column)) }
        #expect(SinkSQL.copy.hasPrefix("COPY sink_staging (seq, id, tenant_id"))
    }
}
