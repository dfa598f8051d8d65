@testable import LLMSimulator
import HTTP1
import ResumeModel
import Foundation
@testable import Loop
import Logging
import Testing

@testable import LLMBatcher

/// Batch API mode against llm-sim's `/v1/files` and `/v1/batches`, over real sockets.
@Suite("LLM batcher in Batch API mode")
struct BatchAPITests {
    /// Batch mode with short timings: batches complete after 100 ms and are polled every 20 ms.
    static func batchMode(_ config: inout LLMConfiguration) {
        config.batchAPI = true
        config.batchLingerMilliseconds = 50
        config.batchPollMilliseconds = 20
        config.batchMaxDocuments = 100
    }

    static func fastBatches(_ sim: inout LLMSimulatorConfiguration) {
        sim.batchCompletionMilliseconds = 100
    }

    @Test("documents go out as one coalesced batch file, not as direct calls, and each comes back with its own fields")
    @LoopActor
    func oneBatch() async throws {
        let h = try BatcherHarness(simulator: Self.fastBatches, batcher: Self.batchMode)
        for i in 0..<30 {
            h.batcher.submit(ParseJob(id: "b\(i)", tenant: "t", contentSHA256: "b\(i)", text: BatcherHarness.resume(i)))
        }
        await h.collector.wait(for: 30)
        #expect(h.collector.documents.count == 30)
        for i in 0..<30 {
            let doc = try #require(h.collector.documents["b\(i)"])
            #expect(doc.status == .parsed, "\(doc.failureDetail ?? "")")
            #expect(doc.resume?.basics?.email == "person\(i)@example.com")
            #expect(doc.promptTokens > 0)
        }
        #expect(h.simulator.counters.batchesCreated == 1)
        #expect(h.simulator.counters.requests == 0, "no direct Chat Completions call")
        #expect(h.batcher.counters.batchRequests == h.simulator.counters.batchRequests)
        #expect(h.batcher.counters.batchRequests < 30 / 2, "coalesced: \(h.batcher.counters.batchRequests) lines")
        #expect(h.batcher.counters.promptTokens == h.simulator.counters.promptTokensBilled)
        #expect(h.batcher.held == 0)
        await h.stop()
    }

    @Test("a batch waits for company until the linger ends; drain sends it at once")
    @LoopActor
    func lingerAndDrain() async throws {
        let h = try BatcherHarness(simulator: Self.fastBatches, batcher: {
            Self.batchMode(&$0)
            $0.batchLingerMilliseconds = 600_000
        })
        h.batcher.submit(ParseJob(id: "w", tenant: "t", contentSHA256: "w", text: BatcherHarness.resume(1)))
        await h.collector.wait(for: 1, seconds: 1)
        #expect(h.collector.documents.isEmpty, "one document does not fill a batch of 100")
        #expect(h.simulator.counters.batchesCreated == 0)
        #expect(h.batcher.held == 1)
        await h.batcher.drain(timeoutMilliseconds: 30_000)
        #expect(h.batcher.held == 0)
        await h.collector.wait(for: 1, seconds: 5) // handed on: the collector takes it on the next turn of the loop
        #expect(h.collector.documents["w"]?.status == .parsed)
        #expect(h.simulator.counters.batchesCreated == 1)
        await h.stop()
    }

    @Test("a request over the context window comes back in the error file; the document is compacted and parsed in a later batch")
    @LoopActor
    func contextOverflow() async throws {
        let h = try BatcherHarness(simulator: { Self.fastBatches(&$0); $0.contextWindow = 3_000 },
                                   batcher: { Self.batchMode(&$0); $0.contextWindow = 100_000 })
        let long = BatcherHarness.resume(7, extra: (0..<2_000).map { "Project line \($0) with details" }.joined(separator: "\n"))
        h.batcher.submit(ParseJob(id: "long", tenant: "t", contentSHA256: "x", text: long))
        h.batcher.submit(ParseJob(id: "short", tenant: "t", contentSHA256: "y", text: BatcherHarness.resume(8)))
        await h.collector.wait(for: 2)
        let doc = try #require(h.collector.documents["long"])
        #expect(doc.status == .parsed, "\(doc.failureDetail ?? "")")
        #expect(doc.resume?.basics?.email == "person7@example.com")
        #expect(doc.warnings.contains { $0.contains("compacted") })
        #expect(h.collector.documents["short"]?.status == .parsed)
        #expect(h.batcher.counters.contextOverflows >= 1)
        #expect(h.simulator.counters.batchesCreated >= 2)
        await h.stop()
    }

    @Test("a model the endpoint does not serve: documents wait for an operator, none fails or is lost, one batch probes")
    @LoopActor
    func refusedModel() async throws {
        let h = try BatcherHarness(simulator: Self.fastBatches, batcher: { Self.batchMode(&$0); $0.model = "gpt-nonexistent" })
        let started = Date()
        for i in 0..<5 {
            h.batcher.submit(ParseJob(id: "m\(i)", tenant: "t", contentSHA256: "m\(i)", text: BatcherHarness.resume(i)))
        }
        await h.collector.wait(for: 5, seconds: 3)
        // The first batch's refusal sets the reason; on a loaded machine (CI runs every suite at once on two
        // cores) it may come after the three seconds above, so wait for it before reading it.
        await LLMBatcherFaultTests.eventually(seconds: 30) { h.batcher.blockedReason != nil }
        let seconds = Date().timeIntervalSince(started)
        #expect(h.collector.documents.isEmpty, "nothing fails for a setting an operator can fix")
        #expect(h.batcher.held == 5, "every document is still held")
        #expect(h.batcher.blockedReason?.contains("model_not_found") == true, "\(h.batcher.blockedReason ?? "")")
        #expect(h.batcher.blockedReason?.contains("gpt-nonexistent") == true, "\(h.batcher.blockedReason ?? "")")
        // The breaker's cooldown (10 s, doubling) holds the next batch back; a loaded machine may wake this test
        // late, so the bound follows the time that passed.
        #expect(h.simulator.counters.batchesCreated >= 1)
        #expect(h.simulator.counters.batchesCreated <= LLMBatcherFaultTests.probes(within: seconds, cooldown: 10),
                "\(h.simulator.counters.batchesCreated) batches in \(seconds) s")
        await h.stop()
    }

    @Test("a wrong API key: the upload is refused, documents wait (not fail), and the reason is shown")
    @LoopActor
    func unauthorized() async throws {
        let h = try BatcherHarness(simulator: Self.fastBatches, batcher: { Self.batchMode(&$0); $0.apiKey = "sk-wrong" })
        h.batcher.submit(ParseJob(id: "u", tenant: "t", contentSHA256: "u", text: BatcherHarness.resume(1)))
        await h.collector.wait(for: 1, seconds: 1)
        #expect(h.collector.documents.isEmpty)
        #expect(h.batcher.blockedReason?.contains("API key") == true, "\(h.batcher.blockedReason ?? "nil")")
        #expect(h.batcher.held == 1)
        #expect(h.simulator.counters.batchesCreated == 0)
        await h.stop()
    }

    @Test("the endpoint down while a batch is polled: the poll retries, and the batch is read when it is back")
    @LoopActor
    func endpointDownDuringPoll() async throws {
        var sim = LLMSimulatorConfiguration()
        sim.port = 0
        sim.apiKey = "sk-test"
        sim.latencyBaseMilliseconds = 1
        // The first endpoint never completes the batch: whatever is parsed comes from the second.
        sim.batchCompletionMilliseconds = 3_600_000
        let first = LLMSimulator(configuration: sim, logger: Logger(label: "sim"))
        let port = try first.start()
        var config = LLMConfiguration()
        config.apiKey = "sk-test"
        config.baseURL = "http://127.0.0.1:\(port)/v1"
        Self.batchMode(&config)
        config.batchPollMilliseconds = 100
        let collector = ParsedCollector()
        let http = HTTPClient()
        let batcher = LLMBatcher(configuration: config, http: http, consumer: collector, logger: Logger(label: "batcher"))
        batcher.submit(ParseJob(id: "p", tenant: "t", contentSHA256: "p", text: BatcherHarness.resume(2)))
        // Wait for the batch to be created, then take the endpoint away while it is being polled.
        for _ in 0..<2_000 where first.counters.batchesCreated == 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(first.counters.batchesCreated == 1)
        await first.shutdown(graceMilliseconds: 0)
        for _ in 0..<2_000 where batcher.counters.transportErrors == 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(batcher.counters.transportErrors >= 1, "the polls fail while the endpoint is down")
        #expect(collector.documents.isEmpty, "nothing to read while the endpoint is down")
        #expect(batcher.held == 1)
        sim.batchCompletionMilliseconds = 100
        // The endpoint comes back (a fresh one on the same port, which knows nothing of the batch: 404), and
        // the document is sent again in a new batch rather than lost.
        sim.port = port
        let second = LLMSimulator(configuration: sim, logger: Logger(label: "sim2"))
        _ = try second.start()
        await collector.wait(for: 1, seconds: 60)
        let doc = try #require(collector.documents["p"])
        #expect(doc.status == .parsed, "\(doc.failureDetail ?? "")")
        #expect(second.counters.batchesCreated == 1)
        batcher.close()
        http.close()
        await second.shutdown(graceMilliseconds: 0)
    }
}
