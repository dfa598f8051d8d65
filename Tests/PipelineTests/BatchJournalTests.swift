import Foundation
import LLMBatcher
@testable import LLMSimulator
import Logging
@testable import Loop
@testable import Pipeline
import Sink
import Testing
import TestSupport

/// Counts every document handed on, by id (a second result for one id is a bug).
@LoopActor
final class CountingConsumer: ParsedDocumentConsumer {
    private(set) var documents: [String: ParsedDocument] = [:]
    private(set) var deliveries: [String: Int] = [:]

    func waitForRoom() async {}

    func accept(_ document: ParsedDocument) async {
        documents[document.job.id] = document
        deliveries[document.job.id, default: 0] += 1
    }

    /// Waits (up to `seconds`) until `count` documents have come.
    func wait(for count: Int, seconds: Int = 60) async {
        for _ in 0..<(seconds * 100) where documents.count < count {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Batch API batches kept in PostgreSQL across a restart of the batcher, against llm-sim over real sockets.
///
/// `TestDatabase` blocks its thread while psql (or the cluster's first start) runs: on the loop that stalls every
/// timer and socket of the test process, on the cooperative pool (two threads) every other test. These tests call it
/// on a thread of their own (``offThread(_:)``); what runs the batchers and the simulator is `@LoopActor`.
@Suite("Batch API journal across restarts")
struct BatchJournalTests {

    static func resume(_ i: Int) -> String {
        """
        Person Number\(i)
        person\(i)@example.com · +44 20 7946 \(String(format: "%04d", i))

        Experience
        Acme Ltd — Engineer, 2019 – Present

        Education
        University of Somewhere — BSc Computing, 2018
        """
    }

    @LoopActor
    static func simulator(completionMilliseconds: Int) throws -> (LLMSimulator, Int) {
        var sim = LLMSimulatorConfiguration()
        sim.port = 0
        sim.apiKey = "sk-test"
        sim.latencyBaseMilliseconds = 1
        sim.latencyPerTokenMilliseconds = 0
        sim.batchCompletionMilliseconds = completionMilliseconds
        var logger = Logger(label: "sim")
        logger.logLevel = .warning
        let simulator = LLMSimulator(configuration: sim, logger: logger)
        return (simulator, try simulator.start())
    }

    static func batchConfiguration(port: Int) -> LLMConfiguration {
        var config = LLMConfiguration()
        config.apiKey = "sk-test"
        config.baseURL = "http://127.0.0.1:\(port)/v1"
        config.batchAPI = true
        config.batchLingerMilliseconds = 20
        config.batchPollMilliseconds = 25
        config.batchMaxDocuments = 100
        config.coalesceMaxDocuments = 2
        config.outputTokensPerResume = 400
        return config
    }

    static func database(_ url: String) -> SinkConfiguration {
        var database = SinkConfiguration()
        database.databaseURL = url
        return database
    }

    @LoopActor
    static func batcher(_ config: LLMConfiguration, database url: String, consumer: CountingConsumer)
        -> (LLMBatcher, LLMBatchJournalStore, HTTPClient)
    {
        var logger = Logger(label: "batcher")
        logger.logLevel = .warning
        let store = LLMBatchJournalStore(configuration: database(url), logger: logger)
        let http = HTTPClient()
        let batcher = LLMBatcher(configuration: config, http: http, consumer: consumer, logger: logger,
                                 journal: DatabaseBatchJournal(store: store))
        return (batcher, store, http)
    }

    @Test("stopped while its batch runs, a new batcher resumes polling it: no second batch, every document answered once, even under another id and after the batch finished")
    func resumesAfterRestart() async throws {
        let url = try await offThread { try TestDatabase.freshDatabase("batch_journal_restart") }
        defer { try? TestDatabase.dropDatabase(url) }
        let batchID = try await Self.restart(url)
        let state = try await offThread { try TestDatabase.psql(url, """
            SELECT finished_at IS NOT NULL, (SELECT count(*) FROM llm_batch_documents)
            FROM llm_batches WHERE batch_id = '\(batchID)'
            """) }
        #expect(state == "t|0", "the entry is finished once every answer has been claimed; its documents are forgotten")
    }

    @LoopActor
    static func restart(_ url: String) async throws -> String {
        // The batch completes when the test says so, not on a timer.
        let (simulator, port) = try Self.simulator(completionMilliseconds: 3_600_000)
        let config = Self.batchConfiguration(port: port)

        // The first run: six documents go out as one batch, which the endpoint is still running when it stops.
        let first = CountingConsumer()
        let (batcher1, store1, http1) = Self.batcher(config, database: url, consumer: first)
        await batcher1.resumeJournaledBatches()
        for i in 0..<6 {
            batcher1.submit(ParseJob(id: "old\(i)", tenant: "t", contentSHA256: "c\(i)", text: Self.resume(i)))
        }
        let journal = DatabaseBatchJournal(store: store1)
        var journaled: [JournaledBatch] = []
        for _ in 0..<1_000 where journaled.isEmpty {
            try await Task.sleep(for: .milliseconds(10))
            journaled = (try? await journal.unfinished(endpoint: config.baseURL, model: config.model)) ?? []
        }
        #expect(journaled.count == 1)
        let batchID = try #require(journaled.first?.batchID)
        #expect(journaled.first?.lines.count == 3, "two documents a line")
        #expect(Set(journaled.first?.lines.flatMap { $0.documents.map(\.contentSHA256) } ?? []) ==
                    Set((0..<6).map { "c\($0)" }))
        #expect(simulator.counters.batchesCreated == 1)
        batcher1.close()
        http1.close()
        await store1.close()
        #expect(first.documents.isEmpty, "stopped before the batch finished")

        // The second run: four documents come back (under new ids) while the batch runs, two after it finished.
        let second = CountingConsumer()
        let (batcher2, store2, http2) = Self.batcher(config, database: url, consumer: second)
        await batcher2.resumeJournaledBatches()
        #expect(batcher2.counters.resumedBatches == 1)
        for i in 0..<4 {
            batcher2.submit(ParseJob(id: "new\(i)", tenant: "t", contentSHA256: "c\(i)", text: Self.resume(i)))
        }
        #expect(batcher2.held == 4, "they wait for the batch")
        try await Task.sleep(for: .milliseconds(100))
        #expect(second.documents.isEmpty, "nothing before the batch completes")
        #expect(simulator.counters.batchesCreated == 1, "and nothing sent for them")
        simulator.batchStore.complete(batchID, now: 0)
        await second.wait(for: 4)
        #expect(second.documents.count == 4)
        for i in 4..<6 {
            batcher2.submit(ParseJob(id: "new\(i)", tenant: "t", contentSHA256: "c\(i)", text: Self.resume(i)))
        }
        await second.wait(for: 6)
        for i in 0..<6 {
            let doc = try #require(second.documents["new\(i)"])
            #expect(doc.status == .parsed, "\(doc.failureDetail ?? "")")
            #expect(doc.resume?.basics?.email == "person\(i)@example.com", "each document gets its own answer")
            #expect(doc.promptTokens > 0)
            #expect(second.deliveries["new\(i)"] == 1)
        }
        #expect(second.documents.count == 6)
        #expect(simulator.counters.batchesCreated == 1, "no second batch for the same documents")
        #expect(simulator.counters.requests == 0)
        #expect(batcher2.counters.batches == 0)
        #expect(batcher2.held == 0)
        // Marked finished in the background: wait for it before closing.
        try await Self.waitUntilFinished(store2, config)
        batcher2.close()
        http2.close()
        await store2.close()
        await simulator.shutdown(graceMilliseconds: 0)
        return batchID
    }

    /// Waits until the journal lists no unfinished batch.
    @LoopActor
    static func waitUntilFinished(_ store: LLMBatchJournalStore, _ config: LLMConfiguration) async throws {
        let journal = DatabaseBatchJournal(store: store)
        for _ in 0..<1_000 {
            if (try? await journal.unfinished(endpoint: config.baseURL, model: config.model))?.isEmpty == true {
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("a batch is still unfinished")
    }

    @Test("a journaled batch the endpoint no longer knows (404): its documents are sent again normally, and it is finished")
    func unknownBatchIsSentAgain() async throws {
        let url = try await offThread { try TestDatabase.freshDatabase("batch_journal_gone") }
        defer { try? TestDatabase.dropDatabase(url) }
        try await Self.unknownBatch(url)
        let rows = try await offThread { try TestDatabase.psql(url, """
            SELECT batch_id, finished_at IS NOT NULL FROM llm_batches ORDER BY batch_id = 'batch_gone' DESC
            """) }.split(separator: "\n")
        #expect(rows.count == 2, "the dead batch and the new one: \(rows)")
        #expect(rows.first == "batch_gone|t")
        #expect(rows.allSatisfy { $0.hasSuffix("|t") }, "both finished: \(rows)")
    }

    @LoopActor
    static func unknownBatch(_ url: String) async throws {
        let (simulator, port) = try Self.simulator(completionMilliseconds: 50)
        let config = Self.batchConfiguration(port: port)
        let consumer = CountingConsumer()
        let (batcher, store, http) = Self.batcher(config, database: url, consumer: consumer)
        // What a run against an endpoint that has since forgotten its batches left behind.
        let gone = LLMBatchRecord(
            batchID: "batch_gone", inputFileID: "file-gone", provider: "openai", endpoint: config.baseURL,
            model: config.model, documents: (0..<3).map {
                LLMBatchRecord.Document(customID: "r0-old\($0)", documentID: "old\($0)", tenant: "t",
                                        contentSHA256: "g\($0)", characters: 200)
            })
        // A first connection may fail on a machine this busy; the batcher retries its journal calls, so does this.
        for attempt in 1...5 {
            do throws(PGError) {
                try await store.record(gone)
                break
            } catch {
                if attempt == 5 { throw error }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        await batcher.resumeJournaledBatches()
        #expect(batcher.counters.resumedBatches == 1)
        for i in 0..<3 {
            batcher.submit(ParseJob(id: "d\(i)", tenant: "t", contentSHA256: "g\(i)", text: Self.resume(i)))
        }
        await consumer.wait(for: 3)
        for i in 0..<3 {
            let doc = try #require(consumer.documents["d\(i)"])
            #expect(doc.status == .parsed, "\(doc.failureDetail ?? "")")
            #expect(doc.resume?.basics?.email == "person\(i)@example.com")
            #expect(consumer.deliveries["d\(i)"] == 1)
        }
        #expect(simulator.counters.batchesCreated == 1, "sent again, in one new batch")
        try await Self.waitUntilFinished(store, config)
        batcher.close()
        http.close()
        await store.close()
        await simulator.shutdown(graceMilliseconds: 0)
    }

    @Test("the engine killed while its batch runs, restarted on the same spool and database: it waits for that batch; one batch in all, one parsed row per document")
    func engineRestart() async throws {
        let url = try await offThread { try TestDatabase.freshDatabase("batch_journal_engine") }
        defer { try? TestDatabase.dropDatabase(url) }
        let (simulator, port) = try await Self.simulator(completionMilliseconds: 3_600_000)
        let spool = try TemporaryDirectory.make(prefix: "journal-spool")
        let files = try TemporaryDirectory.make(prefix: "journal-files")
        var paths: [String] = []
        for i in 0..<3 {
            let path = files + "/cv-\(i).txt"
            _ = FileManager.default.createFile(atPath: path, contents: Data(Self.resume(i).utf8))
            paths.append(path)
        }
        let environment: [String: String?] = [
            "DATABASE_URL": url, "SINK_BATCH_AGE_MS": "20", "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": "http://127.0.0.1:\(port)/v1", "LLM_BATCH_API": "1", "LLM_BATCH_LINGER_MS": "100",
            "LLM_BATCH_POLL_MS": "50",
        ]
        let first = try await EngineProcess.serve(environment: environment, spool: spool)
        defer { first.kill() }
        let upload = paths.flatMap { ["-F", "files=@\($0)"] }
            + ["http://127.0.0.1:\(first.port)/api/v1/bulk-parse-resumes"]
        let answer = try await offThread { try first.curl(upload) }
        #expect(answer.contains("queued"), "\(answer)")
        // (Fails until the engine has applied the migrations.)
        let batchID = await Self.poll(url, "SELECT batch_id FROM llm_batches WHERE finished_at IS NULL") {
            !$0.isEmpty
        }
        #expect(!batchID.isEmpty, "the batch is journaled: \(first.log)")
        #expect(await simulator.counters.batchesCreated == 1)
        first.kill()

        let second = try await EngineProcess.serve(environment: environment, spool: spool)
        defer { second.kill() }
        for _ in 0..<600 where !second.log.contains("resuming a Batch API batch") {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(second.log.contains("resuming a Batch API batch"))
        try await Task.sleep(for: .milliseconds(500))
        #expect(await simulator.counters.batchesCreated == 1, "the documents wait for the batch; nothing is sent again")
        await Self.complete(batchID, on: simulator)
        // Row-level security shows a session only the rows of the tenant it names.
        let parsed = await Self.poll(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            SELECT count(*) FROM documents WHERE status = 'parsed'
            """) { $0 == "3" }
        #expect(parsed == "3", "\(second.log)")
        // As the superuser: row-level security hides every tenant's rows from a session that names none.
        let emails = try await offThread { try TestDatabase.psqlAdmin(database: url, sql: """
            SELECT parsed->'basics'->>'email' || ' ' || provider || ' ' || prompt_tokens FROM documents ORDER BY 1
            """) }
        #expect(emails.split(separator: "\n").map { $0.split(separator: " ").prefix(2).joined(separator: " ") } ==
                    ["person0@example.com openai", "person1@example.com openai", "person2@example.com openai"])
        #expect(!emails.contains(" 0\n") && !emails.hasSuffix(" 0"), "each row carries its share of the tokens")
        #expect(await simulator.counters.batchesCreated == 1)
        #expect(await simulator.counters.requests == 0)
        #expect(await Self.poll(url, "SELECT finished_at IS NOT NULL FROM llm_batches") { $0 == "t" } == "t")
        #expect(await second.stop() == 0)
        await simulator.shutdown(graceMilliseconds: 0)
    }

    /// Runs `sql` every 50 ms until `done` takes the first column of its last statement's first row, or 60 s have
    /// passed; returns that value. On the loop, with a connection of the test's own: waiting this way blocks no
    /// thread, as a psql in a loop would (tests share a cooperative pool of two threads).
    @LoopActor
    static func poll(_ url: String, _ sql: String, until done: (String) -> Bool) async -> String {
        var connection: PGConnection?
        var value = ""
        for _ in 0..<1_200 {
            do throws(PGError) {
                if connection?.isOpen != true { connection = try await PGConnection.connect(url) }
                value = try await connection?.simpleQuery(sql).last?.scalar ?? ""
                if done(value) { break }
            } catch {
                if connection?.isOpen != true { connection = nil }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        connection?.close()
        return value
    }

    /// Completes a batch of the simulator now.
    @LoopActor
    static func complete(_ batchID: String, on simulator: LLMSimulator) {
        simulator.batchStore.complete(batchID, now: 0)
    }
}
