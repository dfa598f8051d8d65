import Foundation
import LLMBatcher
@testable import LLMSimulator
import Logging
@testable import Loop
import Testing
import TestSupport

/// Tokens and estimated cost per document and per batch, and the LLM path's `/metrics`, with the engine run as a
/// user runs it (`serve`, `import`) against llm-sim (in this process, over real sockets) and a real PostgreSQL.
@Suite("LLM tokens, cost and metrics end to end, with llm-sim and PostgreSQL")
struct LLMCostEndToEndTests {
    static let sample = EngineProcess.repositoryRoot + "/bench-data/sample/files"
    /// Fast converters only (text, HTML, DOCX).
    static let files = ["0012-noor-de-vries.txt", "0013-sophia-ward.html", "0003-youssef-haddad.docx"]
    static let maxConcurrency = 8

    /// llm-sim on a free port of 127.0.0.1, answering after `latencyMilliseconds`.
    @LoopActor
    static func simulator(latencyMilliseconds: Double) throws -> (LLMSimulator, Int) {
        var configuration = LLMSimulatorConfiguration()
        configuration.port = 0
        configuration.apiKey = "sk-test"
        configuration.latencyBaseMilliseconds = latencyMilliseconds
        configuration.latencyPerTokenMilliseconds = 0
        var logger = Logger(label: "llm-sim")
        logger.logLevel = .warning
        let simulator = LLMSimulator(configuration: configuration, logger: logger)
        return (simulator, try simulator.start())
    }

    /// The engine's environment for parsing with the simulator on `port`.
    static func llm(port: Int) -> [String: String?] {
        ["OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": "http://127.0.0.1:\(port)/v1",
         "LLM_MAX_CONCURRENCY": "\(maxConcurrency)"]
    }

    /// Prometheus text as `name{labels}` → value (comments left out).
    static func samples(_ text: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            values[String(line[..<space])] = value
        }
        return values
    }

    /// One row of SQL output under the default tenant, its columns split on `|`.
    static func row(_ url: String, _ query: String) throws -> [String] {
        let out = try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            \(query);
            """)
        let last = out.split(separator: "\n").last.map(String.init) ?? ""
        return last.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
    }

    @Test("serve: /metrics shows resumes in flight while the model answers, then requests by status, the concurrency target, tokens in and out and the cost so far; rows and the batch carry the same tokens and cost")
    func serveMetrics() async throws {
        let url = try TestDatabase.freshDatabase("llm_metrics")
        defer { try? TestDatabase.dropDatabase(url) }
        // Each answer takes twenty seconds: long enough to read /metrics while requests are out, even when a loaded
        // machine runs this test slowly (at 1.5 s and at 6 s, make test runs read it only after the answers: the
        // suites running beside it can hold this test back for seconds).
        let (simulator, port) = try await Self.simulator(latencyMilliseconds: 20_000)
        let serve = try await EngineProcess.serve(
            environment: Self.llm(port: port).merging(["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50"]) { $1 })
        let answer = try serve.upload(Self.files.map { Self.sample + "/" + $0 })
        #expect(answer.contains("\"status\":\"queued\""), "\(answer)")

        // While requests are out: the documents in them are in flight, and no more requests are out than the
        // ceiling allows.
        var during: [String: Double] = [:]
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, (during["llm_requests_in_flight"] ?? 0) < 1 {
            during = Self.samples(try serve.curl(["http://127.0.0.1:\(serve.port)/metrics"]))
            if (during["llm_requests_in_flight"] ?? 0) < 1 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect((1...Double(Self.maxConcurrency)).contains(during["llm_requests_in_flight"] ?? 0), "\(during)")
        #expect((1...Double(Self.files.count)).contains(during["parser_documents_in_flight"] ?? 0), "\(during)")
        #expect(during["parser_documents_queued"] != nil && during["llm_concurrency_target"] != nil, "\(during)")

        var rows: [String] = []
        let done = Date().addingTimeInterval(90)
        while Date() < done {
            rows = try TestDatabase.psql(url, """
                SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
                SELECT status || ':' || provider || ':' || prompt_tokens || ':' || cached_tokens || ':' \
                || completion_tokens || ':' || cost_usd FROM documents WHERE status = 'parsed';
                """).split(separator: "\n").dropFirst().map(String.init)
            if rows.count == Self.files.count && serve.spooled.isEmpty { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(rows.count == Self.files.count, "\(rows)\n\(serve.log)")
        for row in rows {
            let f = row.split(separator: ":").map(String.init)
            #expect(f.count == 6 && f[1] == "openai", "\(row)")
            #expect((Int(f[safe: 2]) ?? 0) > 0 && (Int(f[safe: 4]) ?? 0) > 0, "tokens: \(row)")
            #expect(Int(f[safe: 3]) != nil, "cached tokens stored (0 is a value): \(row)")
            #expect((Double(f[safe: 5]) ?? 0) > 0, "cost: \(row)")
        }

        let after = Self.samples(try serve.curl(["http://127.0.0.1:\(serve.port)/metrics"]))
        let requests = try #require(after["llm_requests_total"])
        #expect(requests >= 1)
        #expect(after["llm_responses_total{status=\"ok\"}"] == requests, "every request answered 200: \(after)")
        for status in ["429", "4xx", "5xx", "transport_error"] {
            #expect(after["llm_responses_total{status=\"\(status)\"}"] == 0, "\(status): \(after)")
        }
        #expect(after["llm_rate_limited_total"] == 0)
        #expect(after["llm_requests_in_flight"] == 0 && after["parser_documents_in_flight"] == 0)
        #expect(after["parser_documents_queued"] == 0)
        #expect(after["llm_concurrency_limit"] == Double(Self.maxConcurrency), "no 429: AIMD kept the ceiling")
        let target = try #require(after["llm_concurrency_target"])
        #expect(target >= 1 && target <= Double(Self.maxConcurrency), "\(target)")
        let prompt = try #require(after["llm_prompt_tokens_total"])
        let cached = try #require(after["llm_cached_tokens_total"])
        let completion = try #require(after["llm_completion_tokens_total"])
        let billed = await simulator.counters
        #expect(Int(prompt) == billed.promptTokensBilled && Int(completion) == billed.completionTokensBilled,
                "the engine counts what the endpoint billed")
        #expect(Int(cached) == billed.cachedTokens)
        let cost = try #require(after["llm_cost_usd_total"])
        let expected = LLMPrices.gpt4oMini.cost(promptTokens: Int(prompt), cachedTokens: Int(cached),
                                                completionTokens: Int(completion))
        #expect(cost > 0 && abs(cost - expected) < 1e-9, "\(cost) for \(expected)")

        // The documents' shares add up to the bill; the batch row sums them.
        let sums = try Self.row(url, """
            SELECT sum(prompt_tokens), sum(cached_tokens), sum(completion_tokens), sum(cost_usd) FROM documents
            """)
        #expect(abs((Double(sums[safe: 3]) ?? 0) - cost) < 1e-6, "\(sums) for \(cost)")
        let batch = try Self.row(url, "SELECT prompt_tokens, cached_tokens, completion_tokens, cost_usd FROM batches")
        #expect(batch == sums, "the batch's totals are its documents' sums")
        #expect(await serve.stop() == 0, "\(serve.log)")
        await simulator.shutdown(graceMilliseconds: 0)
    }

    @Test("import --json: cached_tokens and cost_usd summed over the run, equal to the rows' and the batch's")
    func importSummary() async throws {
        let url = try TestDatabase.freshDatabase("llm_import_cost")
        defer { try? TestDatabase.dropDatabase(url) }
        let (simulator, port) = try await Self.simulator(latencyMilliseconds: 5)
        let source = try ImportTests.folder(Self.files)
        let result = try await ImportTests.runImport([source], database: url, environment: Self.llm(port: port))
        await simulator.shutdown(graceMilliseconds: 0)
        #expect(result.status == 0, "\(result.log)")
        #expect(result.summary["parsed"] as? Int == Self.files.count, "\(result.summary)")
        let prompt = try #require(result.summary["prompt_tokens"] as? Int)
        let cached = try #require(result.summary["cached_tokens"] as? Int, "\(result.summary)")
        let completion = try #require(result.summary["completion_tokens"] as? Int)
        let cost = try #require(result.summary["cost_usd"] as? Double, "\(result.summary)")
        #expect(prompt > 0 && completion > 0 && cached >= 0)
        let expected = LLMPrices.gpt4oMini.cost(promptTokens: prompt, cachedTokens: cached,
                                                completionTokens: completion)
        #expect(cost > 0 && abs(cost - expected) < 1e-7, "\(cost) for \(expected)")
        let batchID = try #require(result.summary["batch_id"] as? String)
        let sums = try Self.row(url, """
            SELECT sum(prompt_tokens), sum(cached_tokens), sum(completion_tokens), sum(cost_usd) FROM documents
            WHERE batch_id = '\(batchID)'
            """)
        #expect(sums[safe: 0] == "\(prompt)" && sums[safe: 1] == "\(cached)" && sums[safe: 2] == "\(completion)",
                "\(sums)")
        #expect(abs((Double(sums[safe: 3]) ?? 0) - cost) < 1e-7, "\(sums) for \(cost)")
        let batch = try Self.row(url, """
            SELECT prompt_tokens, cached_tokens, completion_tokens, cost_usd FROM batches WHERE id = '\(batchID)'
            """)
        #expect(batch == sums)
    }
}

extension Array where Element == String {
    /// The element at `index`, or "" past the end (rows that came back short fail their checks, not the run).
    subscript(safe index: Int) -> String { indices.contains(index) ? self[index] : "" }
}
