import Foundation
import Logging
@testable import Loop
@testable import Pipeline
import Sink
import Testing
import TestSupport

/// The batch ledger's completion checks, against the test PostgreSQL.
@Suite("batch ledger")
struct BatchLedgerTests {
    /// Waits (bounded) for `condition`.
    @LoopActor
    static func eventually(_ seconds: Double = 30, _ condition: () async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test("a batch whose last document was handed over before an earlier commit settled still completes when that document's own commit settles, once")
    @LoopActor
    func lastDocumentAfterAnEarlierCommit() async throws {
        let url = try await offThread { try TestDatabase.freshDatabase("ledger_race") }
        defer { Task.detached { try? TestDatabase.dropDatabase(url) } }
        var database = SinkConfiguration()
        database.databaseURL = url
        let api = TenantAPI(configuration: database, logger: Logger(label: "test"))
        var completions: [String] = []
        api.ledger.completed = { _, _, batch in completions.append(batch.id) }
        let batch = DocumentID()
        let (first, second) = (DocumentID(), DocumentID())
        let shas = [String(repeating: "a", count: 64), String(repeating: "b", count: 64)]
        var metadata: [DocumentMetadata] = []
        for (id, sha) in zip([first, second], shas) {
            metadata.append(DocumentMetadata(id: id, tenant: "default", batchID: batch, filename: "\(id).txt",
                                             declaredType: nil, size: 3, sha256: Hex.decode(sha)!,
                                             receivedAtMilliseconds: 0))
        }
        api.ledger.committed(metadata)
        await api.ledger.seal(batch, tenant: "default", expected: 2, origin: "upload")
        #expect(await Self.eventually(120) { api.ledger.drainedForTests }, "items and seal written")
        // Both documents are handed to the database before the first commit is heard of.
        api.ledger.handedOver(first, tenant: "default", batch: batch)
        api.ledger.handedOver(second, tenant: "default", batch: batch)
        func commit(_ id: DocumentID, _ sha: String) async throws {
            _ = try await offThread { try TestDatabase.psql(url, """
                SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
                INSERT INTO documents (id, tenant_id, batch_id, content_sha256, size_bytes, status, received_at)
                SELECT '\(id)', id, '\(batch)', decode('\(sha)', 'hex'), 3, 'parsed', now() FROM tenants WHERE slug = 'default';
                UPDATE batches SET parsed = parsed + 1, documents = 2 WHERE id = '\(batch)';
                """) }
        }
        try await commit(first, shas[0])
        api.ledger.settled([first.description])
        #expect(await Self.eventually(120) { api.ledger.drainedForTests }, "the first check ran")
        #expect(completions.isEmpty, "one of two rows: not complete")
        try await commit(second, shas[1])
        api.ledger.settled([second.description])
        #expect(await Self.eventually(120) { completions == [batch.description] }, "completed on the second commit")
        api.ledger.settled([second.description])
        try? await Task.sleep(for: .milliseconds(300))
        #expect(completions == [batch.description], "once")
        #expect(try await offThread { try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            SELECT completed_at IS NOT NULL FROM batches WHERE id = '\(batch)';
            """) }.split(separator: "\n").last == "t")
        await api.close()
    }

    @Test("a seal made while the database is away is journaled beside the spool and written by the next run")
    @LoopActor
    func sealOutlivesARestart() async throws {
        let url = try await offThread { try TestDatabase.freshDatabase("ledger_journal") }
        defer { Task.detached { try? TestDatabase.dropDatabase(url) } }
        let journal = SealJournal(directory: try TemporaryDirectory.make(prefix: "seals"))
        var away = SinkConfiguration()
        away.databaseURL = "postgres://resume_ingest@127.0.0.1:1/nowhere?connect_timeout=1"
        let first = TenantAPI(configuration: away, logger: Logger(label: "test"))
        first.ledger.journal = journal
        let batch = DocumentID()
        await first.ledger.seal(batch, tenant: "default", expected: 3, origin: "upload", callbackURL: "https://example.com/h")
        #expect(await journal.entries().map(\.batch) == [batch.description], "journaled before anything else")
        await first.close()

        var database = SinkConfiguration()
        database.databaseURL = url
        let second = TenantAPI(configuration: database, logger: Logger(label: "test"))
        second.ledger.journal = journal
        await second.ledger.resumeJournal()
        let sealed = await Self.eventually(120) {
            (try? await offThread { try TestDatabase.psql(url, """
                SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
                SELECT expected || ':' || callback_url FROM batches WHERE id = '\(batch)' AND sealed_at IS NOT NULL;
                """) })?.split(separator: "\n").last == "3:https://example.com/h"
        }
        #expect(sealed, "the next run wrote the seal")
        #expect(await Self.eventually(30) { await journal.entries().isEmpty }, "and forgot the entry")
        await second.close()
    }
}
