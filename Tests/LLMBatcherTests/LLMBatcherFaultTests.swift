@testable import LLMSimulator
import HTTP1
import ResumeModel
import Foundation
@testable import Loop
import Logging
import Testing
import TestSupport

@testable import LLMBatcher

/// Endpoints that misbehave, over real sockets: each test bounds the requests sent and ends with every resume
/// parsed, waiting, or failed with its code.
@Suite("LLM batcher against a misbehaving endpoint")
struct LLMBatcherFaultTests {
    @LoopActor
    static func submit(_ h: BatcherHarness, _ prefix: String, count: Int, tenant: String = "t") {
        for i in 0..<count {
            h.batcher.submit(ParseJob(id: "\(prefix)\(i)", tenant: tenant, contentSHA256: "\(prefix)\(i)",
                                      text: BatcherHarness.resume(i)))
        }
    }

    /// The breaker's probes that fit in `seconds` after it opened, with a first cooldown of `cooldown` seconds
    /// doubling after each failed probe (plus one for a probe in flight at either end).
    static func probes(within seconds: Double, cooldown: Double) -> Int {
        Int(log2(seconds / cooldown + 1).rounded(.down)) + 1
    }

    /// Waits up to `seconds` for `condition`, checking every 50 ms.
    @LoopActor
    static func eventually(seconds: Double, _ condition: @LoopActor () -> Bool) async {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() && Date() < deadline { try? await Task.sleep(nanoseconds: 50_000_000) }
    }

    @Test("an endpoint that always leaves the last resume out: the others parse, each left-out one fails llm_missing_answer after three requests")
    @LoopActor
    func omitsLast() async throws {
        let h = try BatcherHarness(simulator: { $0.omitLastRate = 1 },
                                   batcher: { $0.coalesceMode = "always"; $0.coalesceMaxDocuments = 3 })
        Self.submit(h, "o", count: 6)
        await h.collector.wait(for: 6, seconds: 60)
        let docs = h.collector.documents.values
        #expect(docs.count == 6, "every resume is accounted for")
        let missing = docs.filter { $0.failureCode == .missingAnswer }
        let parsed = docs.filter { $0.status == .parsed }
        #expect(parsed.count + missing.count == 6, "parsed or llm_missing_answer, nothing else")
        #expect(missing.count >= 2, "one per coalesced request at least")
        #expect(missing.allSatisfy { $0.failureDetail?.contains("3 times") == true })
        // Each left-out resume is carried by at most three requests; the groups themselves are at most six.
        #expect(h.simulator.counters.requests <= 6 + 2 * missing.count, "\(h.simulator.counters.requests) requests")
        #expect(h.batcher.held == 0)
        await h.stop()
    }

    @Test("an endpoint that answers {\"results\":[]}: every resume fails llm_missing_answer after exactly three requests")
    @LoopActor
    func emptyResults() async throws {
        let h = try BatcherHarness(simulator: { $0.emptyResultsRate = 1 }, batcher: { $0.coalesceMode = "never" })
        Self.submit(h, "e", count: 4)
        await h.collector.wait(for: 4, seconds: 60)
        #expect(h.collector.documents.count == 4)
        for doc in h.collector.documents.values {
            #expect(doc.status == .failed)
            #expect(doc.failureCode == .missingAnswer, "\(doc.failureCode?.rawValue ?? "none")")
        }
        #expect(h.simulator.counters.requests == 12, "three requests per resume: \(h.simulator.counters.requests)")
        #expect(h.batcher.held == 0)
        await h.stop()
    }

    @Test("an endpoint that answers every request context_length_exceeded: each resume fails llm_context_exceeded after four requests")
    @LoopActor
    func alwaysOverflows() async throws {
        let h = try BatcherHarness(simulator: { $0.contextExceededRate = 1 }, batcher: { $0.coalesceMode = "never" })
        Self.submit(h, "c", count: 3)
        await h.collector.wait(for: 3, seconds: 60)
        #expect(h.collector.documents.count == 3)
        for doc in h.collector.documents.values {
            #expect(doc.status == .failed)
            #expect(doc.failureCode == .contextExceeded, "\(doc.failureCode?.rawValue ?? "none")")
        }
        #expect(h.simulator.counters.requests <= 3 * ReplyPolicy.overflowLimit,
                "\(h.simulator.counters.requests) requests")
        #expect(h.batcher.held == 0)
        await h.stop()
    }

    @Test("a 10 MB text is compacted off the loop and parsed in one request")
    @LoopActor
    func tenMegabytes() async throws {
        let h = try BatcherHarness()
        let filler = String(repeating: "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", count: 10_000_000 / 57)
        let text = BatcherHarness.resume(7) + "\n" + filler
        #expect(text.utf8.count >= 10_000_000)
        h.batcher.submit(ParseJob(id: "big", tenant: "t", contentSHA256: "big", text: text))
        await h.collector.wait(for: 1, seconds: 120)
        let doc = try #require(h.collector.documents["big"])
        #expect(doc.status == .parsed, "\(doc.failureDetail ?? "")")
        #expect(doc.resume?.basics?.email == "person7@example.com")
        #expect(doc.warnings.contains { $0.contains("compacted") })
        #expect(h.simulator.counters.requests == 1)
        await h.stop()
    }

    @Test("a model the endpoint does not serve: documents wait for an operator, one request is sent, the reason names the model")
    @LoopActor
    func refusedModel() async throws {
        let h = try BatcherHarness(batcher: { $0.model = "gpt-nonexistent"; $0.coalesceMode = "never" })
        let started = Date()
        Self.submit(h, "m", count: 5)
        await h.collector.wait(for: 5, seconds: 2)
        let seconds = Date().timeIntervalSince(started)
        #expect(h.collector.documents.isEmpty, "nothing fails for a setting an operator can fix")
        #expect(h.batcher.held == 5)
        #expect(h.batcher.blockedReason?.contains("gpt-nonexistent") == true, "\(h.batcher.blockedReason ?? "")")
        // The first answers open the breaker: requests already sent, then nothing until its cooldown (10 s,
        // doubling; a loaded machine may wake this test late, so the bound follows the time that passed).
        #expect(h.simulator.counters.requests <= 5 + Self.probes(within: seconds, cooldown: 10) - 1,
                "\(h.simulator.counters.requests) requests in \(seconds) s")
        #expect(h.batcher.counts.responses == [.clientError: h.simulator.counters.requests], "404 is a 4xx")
        await h.stop()
    }

    @Test("a key revoked mid-run: documents wait, requests stop but for the breaker's probes, and all parse when it works again")
    @LoopActor
    func keyRevokedMidRun() async throws {
        let h = try BatcherHarness(batcher: { $0.coalesceMode = "never"; $0.breakerCooldownMilliseconds = 300 })
        Self.submit(h, "k", count: 3)
        await h.collector.wait(for: 3, seconds: 30)
        #expect(h.collector.documents.values.filter { $0.status == .parsed }.count == 3)
        h.simulator.reconfigure { $0.apiKey = "sk-rotated" }
        let before = h.simulator.counters.requests
        let revoked = Date()
        Self.submit(h, "r", count: 4)
        try await Task.sleep(nanoseconds: 1_500_000_000)
        let seconds = Date().timeIntervalSince(revoked)
        #expect(h.collector.documents.count == 3, "none of the new ones parsed or failed")
        #expect(h.batcher.held == 4)
        #expect(h.batcher.blockedReason?.contains("API key") == true, "\(h.batcher.blockedReason ?? "")")
        // The first refusals, then one probe per cooldown (300 ms, doubling): 4 + 3 in 1.5 s.
        let refused = h.simulator.counters.requests - before
        #expect(refused <= 4 + Self.probes(within: seconds, cooldown: 0.3),
                "\(refused) requests in \(seconds) s while the key was refused")
        h.simulator.reconfigure { $0.apiKey = "sk-test" }
        await h.collector.wait(for: 7, seconds: 30)
        #expect(h.collector.documents.values.filter { $0.status == .parsed }.count == 7)
        #expect(h.batcher.blockedReason == nil)
        await h.stop()
    }

    @Test("a storm of 429s: nothing fails, requests slow down to the Retry-After, and all parse once it passes")
    @LoopActor
    func rateLimitStorm() async throws {
        let h = try BatcherHarness(simulator: { $0.rateLimitStormRate = 1 }, batcher: { $0.coalesceMode = "never" })
        Self.submit(h, "s", count: 6)
        let started = Date()
        try await Task.sleep(nanoseconds: 2_500_000_000)
        #expect(h.collector.documents.isEmpty)
        let during = h.simulator.counters.requests
        // (A loaded machine may wake this test late: the bound follows the time that really passed.)
        let seconds = Date().timeIntervalSince(started).rounded(.up)
        // Every answer says "retry after 1 s" and empties the token budget for that long: one wave a second,
        // the first of 6, then half the flight size (3) or less.
        #expect(during <= 6 + 3 * Int(seconds), "\(during) requests in \(seconds) s of storm")
        #expect(h.batcher.dispatch.concurrency.limit <= 3)
        #expect(h.batcher.counters.rateLimited == during)
        #expect(h.batcher.counts.responses == [.rateLimited: during], "every answer a 429, counted by its status")
        #expect(h.batcher.counts.concurrencyLimit <= 3, "/metrics sees the halved limit")
        h.simulator.reconfigure { $0.rateLimitStormRate = 0 }
        await h.collector.wait(for: 6, seconds: 30)
        #expect(h.collector.documents.values.filter { $0.status == .parsed }.count == 6)
        await h.stop()
    }

    @Test("the endpoint down, then back on the same port: documents wait, probes are paced, all parse")
    @LoopActor
    func downAndBack() async throws {
        var sim = LLMSimulatorConfiguration()
        sim.port = 0
        sim.apiKey = "sk-test"
        sim.latencyBaseMilliseconds = 5
        sim.latencyPerTokenMilliseconds = 0
        let first = LLMSimulator(configuration: sim, logger: Logger(label: "sim"))
        let port = try first.start()
        var config = LLMConfiguration()
        config.apiKey = "sk-test"
        config.baseURL = "http://127.0.0.1:\(port)/v1"
        config.coalesceMode = "never"
        config.breakerCooldownMilliseconds = 200
        let collector = ParsedCollector()
        let http = HTTPClient()
        let batcher = LLMBatcher(configuration: config, http: http, consumer: collector, logger: Logger(label: "b"))
        for i in 0..<3 {
            batcher.submit(ParseJob(id: "a\(i)", tenant: "t", contentSHA256: "a\(i)", text: BatcherHarness.resume(i)))
        }
        await collector.wait(for: 3, seconds: 30)
        await first.shutdown(graceMilliseconds: 0)
        for i in 0..<4 {
            batcher.submit(ParseJob(id: "b\(i)", tenant: "t", contentSHA256: "b\(i)", text: BatcherHarness.resume(i + 10)))
        }
        // One request at a time (Little's law with a 5 ms endpoint), each failure backing off longer, until
        // five in a row open the breaker.
        await Self.eventually(seconds: 15) { batcher.blockedReason != nil }
        #expect(batcher.blockedReason != nil, "the breaker opened: \(batcher.counters.transportErrors) failures")
        let opened = batcher.counters.transportErrors
        #expect(opened >= 5)
        let openedAt = Date()
        try await Task.sleep(nanoseconds: 1_500_000_000)
        // Then one probe per cooldown (200, 400, 800 ms…): three in 1.5 s.
        let seconds = Date().timeIntervalSince(openedAt)
        let probes = batcher.counters.transportErrors - opened
        #expect(probes <= Self.probes(within: seconds, cooldown: 0.2), "\(probes) probes in \(seconds) s")
        #expect(collector.documents.count == 3, "nothing fails while the endpoint is down")
        #expect(batcher.held == 4)
        sim.port = port
        let second = LLMSimulator(configuration: sim, logger: Logger(label: "sim"))
        _ = try second.start()
        await collector.wait(for: 7, seconds: 30)
        #expect(collector.documents.values.filter { $0.status == .parsed }.count == 7)
        #expect(batcher.held == 0)
        batcher.close()
        http.close()
        await second.shutdown(graceMilliseconds: 0)
    }

    @Test("resumes of different tenants never share a request")
    @LoopActor
    func tenantsApart() async throws {
        let h = try BatcherHarness(batcher: { $0.coalesceMode = "always"; $0.coalesceMaxDocuments = 8 })
        for i in 0..<8 {
            h.batcher.submit(ParseJob(id: "t\(i)", tenant: i % 2 == 0 ? "acme" : "globex", contentSHA256: "t\(i)",
                                      text: BatcherHarness.resume(i)))
        }
        await h.collector.wait(for: 8, seconds: 30)
        #expect(h.collector.documents.values.filter { $0.status == .parsed }.count == 8)
        // Alternating tenants: every request carries one resume.
        #expect(h.simulator.counters.requests == 8, "\(h.simulator.counters.requests) requests")
        await h.stop()
    }
}

@Suite("LLM batcher against a context window smaller than configured")
struct LLMBatcherWindowTests {
    @Test("a 6,000-token window the engine was not told: one context_length_exceeded, then every request fits; all parse")
    @LoopActor
    func learnsWindowOnce() async throws {
        let h = try BatcherHarness(simulator: { $0.contextWindow = 6_000 }, batcher: {
            $0.contextWindow = 128_000
            $0.contextWindowSet = false
            $0.coalesceMode = "never"
        })
        // Resumes of about 1,500 to 9,000 tokens of text: the larger ones cannot fit 6,000 tokens as they are.
        for i in 0..<12 {
            let filler = String(repeating: "• Delivered a measurable improvement to a production system \(i)\n",
                                count: 100 + 60 * i)
            h.batcher.submit(ParseJob(id: "w\(i)", tenant: "t", contentSHA256: "w\(i)",
                                      text: BatcherHarness.resume(i, extra: filler)))
        }
        await h.collector.wait(for: 12, seconds: 120)
        #expect(h.collector.documents.values.filter { $0.status == .parsed }.count == 12)
        #expect(h.simulator.counters.contextLengthExceeded == 1,
                "\(h.simulator.counters.contextLengthExceeded) context_length_exceeded answers")
        #expect(h.batcher.dispatch.packer.contextWindow == 6_000, "the window stated by the error is learned")
        await h.stop()
    }
}
