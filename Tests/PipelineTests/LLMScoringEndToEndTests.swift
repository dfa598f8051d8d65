import Foundation
import LLMBatcher
@testable import LLMSimulator
import Logging
import Loop
import Testing
import TestSupport

/// The LLM scorer end to end: `serve` with `SCORER=llm` against llm-sim (in this process, over real sockets) and
/// a real PostgreSQL, from an upload naming a job to the ranked list, with the simulator citing text that is not
/// in the resume, moving quotes' offsets and leaving scores out.
@Suite("LLM scoring end to end, with llm-sim and PostgreSQL")
struct LLMScoringEndToEndTests {
    typealias API = TenantAPITests
    typealias Jobs = JobScoringTests

    static let files = ["0001-abigail-thompson.pdf", "0003-youssef-haddad.docx", "0012-noor-de-vries.txt",
                        "0013-sophia-ward.html", "0002-divya-iyer.pdf", "0004-matthias-wagner.docx",
                        "0025-valentina-fernandez-hernandez-lopez.txt", "0027-jose-garcia.html"]

    @Test("quotes the model made up are dropped and counted (rows and /metrics agree), moved quotes are re-anchored, every stored quote is the text at its offsets, the job's prefix is cached; answers without a score get a repair turn, and answers that stay invalid fail llm_invalid_output")
    func llmScoring() async throws {
        let url = try TestDatabase.freshDatabase("llm_scoring")
        defer { try? TestDatabase.dropDatabase(url) }
        let (simulator, port) = try await LLMCostEndToEndTests.simulator(latencyMilliseconds: 5)
        await simulator.reconfigure {
            $0.scoringFabricatedQuoteRate = 0.8
            $0.scoringWrongOffsetsRate = 0.8
            $0.scoringNoScoreRate = 0.4
            $0.scoringRepairNoScoreRate = 0
        }
        var environment = LLMCostEndToEndTests.llm(port: port)
        environment["DATABASE_URL"] = url
        environment["SCORER"] = "llm"
        let serve = try await EngineProcess.serve(environment: environment)

        // A job ad of a realistic length: its system message is over the 1,024 tokens an endpoint caches.
        let ad = String(repeating: "You will design, build and run payment services in Python and Go on Kubernetes, "
                            + "review code, mentor engineers, and own reliability end to end. ", count: 40)
        let posted = try Jobs.send(serve, "POST", "/api/v1/jobs", body: Jobs.json([
            "title": "Senior Backend Engineer", "description": ad, "required_skills": ["Python", "SQL", "Kubernetes", "Go"],
            "nice_to_have_skills": ["AWS"], "min_years": 3]))
        let job = try #require(posted.json["id"] as? String, "\(posted.body)")
        let upload = try API.call(serve, "POST", "/api/v1/bulk-parse-resumes?job_id=\(job)", files: Self.files)
        let batch = try #require(upload.json["batch_id"] as? String, "\(upload.body)")
        _ = try await API.completed(serve, batch: batch, token: nil)
        let run = try #require(try API.rows(url, tenant: "default", "SELECT id FROM scoring_runs").first)
        let done = try await Jobs.completedRun(serve, job: job, run: run)
        #expect((done["counts"] as? [String: Any])?["scored"] as? Int == Self.files.count, "repaired, not failed: \(done)")

        let candidates = try Jobs.allCandidates(serve, job: job, limit: 100)
        #expect(candidates.count == Self.files.count)
        #expect(candidates.allSatisfy { $0["scorer"] as? String == "llm" && $0["model"] is String }, "\(candidates)")
        let scores = candidates.compactMap { $0["score"] as? Int }
        #expect(scores == scores.sorted(by: >))
        let dropped = candidates.reduce(0) { $0 + (($1["reasons_dropped"] as? Int) ?? 0) }
        let moved = candidates.reduce(0) { $0 + (($1["reasons_reanchored"] as? Int) ?? 0) }
        #expect(dropped > 0 && moved > 0, "dropped \(dropped), re-anchored \(moved)")
        // Whatever the model said, what is stored is the resume's own text at the offsets stored.
        let check = try API.rows(url, tenant: "default", """
            SELECT count(*), count(*) FILTER (WHERE substr(d.text, (r->>'start')::int + 1,
                                                           (r->>'end')::int - (r->>'start')::int) = r->>'quote')
            FROM job_scores s JOIN documents d ON d.id = s.document_id, jsonb_array_elements(s.reasons) r
            """)
        let pair = try #require(check.first).split(separator: "|").map { Int($0) ?? -1 }
        #expect(pair.count == 2 && pair[0] > 0 && pair[0] == pair[1], "\(check)")
        let cached = candidates.compactMap { ($0["tokens"] as? [String: Any])?["cached"] as? Int }
        // The endpoint caches a prefix once a request with it is answered (as OpenAI does): the scorer sends a
        // job's first candidate alone, and every later one finds the prefix cached.
        #expect(cached.count == Self.files.count && cached.filter { $0 == 0 }.count <= 1,
                "the job's prefix is cached from its second candidate on: \(cached)")

        var metrics = LLMCostEndToEndTests.samples(try serve.curl(["-s", "http://127.0.0.1:\(serve.port)/metrics"]))
        #expect(metrics["scoring_reasons_dropped_total"] == Double(dropped), "\(metrics.filter { $0.key.hasPrefix("scoring") })")
        #expect(metrics["scoring_reasons_reanchored_total"] == Double(moved))
        #expect((metrics["scoring_cached_tokens_total"] ?? 0) > 0)

        // Answers that stay without a score after the repair turn: the candidates fail llm_invalid_output.
        await simulator.reconfigure {
            $0.scoringNoScoreRate = 1
            $0.scoringRepairNoScoreRate = 1
        }
        let second = try #require(try Jobs.send(serve, "POST", "/api/v1/jobs", body: Jobs.job).json["id"] as? String)
        let request = try Jobs.send(serve, "POST", "/api/v1/jobs/\(second)/score", body: #"{"all": true}"#)
        let secondRun = try #require(request.json["run_id"] as? String, "\(request.body)")
        let failed = try await Jobs.completedRun(serve, job: second, run: secondRun)
        #expect((failed["counts"] as? [String: Any])?["failed"] as? Int == Self.files.count, "\(failed)")
        let invalid = try Jobs.allCandidates(serve, job: second, limit: 100, query: "&status=failed")
        #expect(invalid.allSatisfy { ($0["error"] as? [String: Any])?["code"] as? String == "llm_invalid_output" }, "\(invalid)")
        metrics = LLMCostEndToEndTests.samples(try serve.curl(["-s", "http://127.0.0.1:\(serve.port)/metrics"]))
        #expect(metrics[#"scoring_candidates_failed_total{code="llm_invalid_output"}"#] == Double(Self.files.count))
        #expect(await serve.stop() == 0, "\(serve.log)")
        await simulator.shutdown(graceMilliseconds: 0)
    }
}
