import Foundation
import Logging
import Loop

/// A Batch API batch as `llm_batches` and `llm_batch_documents` keep it: where it runs, and the documents of each
/// request line, in order.
public struct LLMBatchRecord: Sendable, Equatable {
    /// One document of one request line.
    public struct Document: Sendable, Equatable {
        public var customID: String
        public var documentID: String
        public var tenant: String
        /// Hex, as the parser keys content; nil when the job had none.
        public var contentSHA256: String?
        public var characters: Int

        public init(customID: String, documentID: String, tenant: String, contentSHA256: String?, characters: Int) {
            self.customID = customID
            self.documentID = documentID
            self.tenant = tenant
            self.contentSHA256 = contentSHA256
            self.characters = characters
        }
    }

    public var batchID: String
    public var inputFileID: String
    public var provider: String
    public var endpoint: String
    public var model: String
    /// The lines' documents, line by line and in prompt order within a line.
    public var documents: [Document]

    public init(batchID: String, inputFileID: String, provider: String, endpoint: String, model: String,
                documents: [Document]) {
        self.batchID = batchID
        self.inputFileID = inputFileID
        self.provider = provider
        self.endpoint = endpoint
        self.model = model
        self.documents = documents
    }
}

/// The Batch API journal in PostgreSQL (migration 3), on a connection of its own (the Sink's are busy with COPY),
/// opened on first use and again after it is lost. Each call is one statement: a batch and its documents are
/// recorded together or not at all.
@LoopActor
public final class LLMBatchJournalStore {
    private let configuration: SinkConfiguration
    private let logger: Logger
    private var connection: PGConnection?
    /// One statement at a time on the connection, and one connect.
    private let turn = LoopMutex()
    private var closed = false

    public init(configuration: SinkConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Records a batch and its documents (again: nothing changes).
    public func record(_ batch: LLMBatchRecord) async throws(PGError) {
        let documents: [[String: Any]] = batch.documents.enumerated().map { position, document in
            ["custom_id": document.customID, "position": position, "document_id": document.documentID,
             "tenant": document.tenant, "content_sha256": document.contentSHA256 ?? NSNull(),
             "characters": document.characters]
        }
        let json = String(decoding: (try? JSONSerialization.data(withJSONObject: documents)) ?? Data("[]".utf8),
                          as: UTF8.self)
        try await run { c throws(PGError) in
            try await c.query("""
                WITH batch AS (
                    INSERT INTO llm_batches (batch_id, input_file_id, provider, endpoint, model)
                    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (batch_id) DO NOTHING
                )
                INSERT INTO llm_batch_documents (batch_id, custom_id, position, document_id, tenant, content_sha256,
                                                 characters)
                SELECT $1, d.custom_id, d.position, d.document_id, d.tenant, d.content_sha256, d.characters
                FROM jsonb_to_recordset($6::jsonb) AS d(custom_id text, position integer, document_id text,
                                                       tenant text, content_sha256 text, characters integer)
                ON CONFLICT DO NOTHING
                """, [batch.batchID, batch.inputFileID, batch.provider, batch.endpoint, batch.model, json])
        }
    }

    /// The unfinished batches of `endpoint` and `model`, oldest first.
    public func unfinished(endpoint: String, model: String) async throws(PGError) -> [LLMBatchRecord] {
        let result = try await run { c throws(PGError) in
            try await c.query("""
                SELECT b.batch_id, b.input_file_id, b.provider, d.custom_id, d.document_id, d.tenant,
                       d.content_sha256, d.characters
                FROM llm_batches b LEFT JOIN llm_batch_documents d USING (batch_id)
                WHERE b.finished_at IS NULL AND b.endpoint = $1 AND b.model = $2
                ORDER BY b.created_at, b.batch_id, d.position
                """, [endpoint, model])
        }
        var batches: [LLMBatchRecord] = []
        for row in result.rows {
            guard let batchID = row[0], let inputFileID = row[1], let provider = row[2] else { continue }
            if batches.last?.batchID != batchID {
                batches.append(LLMBatchRecord(batchID: batchID, inputFileID: inputFileID, provider: provider,
                                              endpoint: endpoint, model: model, documents: []))
            }
            guard let customID = row[3], let documentID = row[4], let tenant = row[5] else { continue }
            batches[batches.count - 1].documents.append(LLMBatchRecord.Document(
                customID: customID, documentID: documentID, tenant: tenant, contentSHA256: row[6],
                characters: row[7].flatMap { Int($0) } ?? 0))
        }
        return batches
    }

    /// Marks a batch finished and forgets its documents.
    public func markFinished(_ batchID: String) async throws(PGError) {
        try await run { c throws(PGError) in
            try await c.query("""
                WITH done AS (
                    UPDATE llm_batches SET finished_at = now() WHERE batch_id = $1 AND finished_at IS NULL
                )
                DELETE FROM llm_batch_documents WHERE batch_id = $1
                """, [batchID])
        }
    }

    /// Closes the connection once the statement in progress (if any) is done.
    public func close() async {
        closed = true
        await turn.withLock {
            connection?.close()
            connection = nil
        }
    }

    /// Runs `body` on the connection, alone; a lost connection is dropped (the next call opens another).
    @discardableResult
    private func run(_ body: (PGConnection) async throws(PGError) -> PGResult) async throws(PGError) -> PGResult {
        let outcome: Result<PGResult, PGError> = await turn.withLock {
            do throws(PGError) {
                return .success(try await body(try await open()))
            } catch {
                if error.isConnectionLoss || !(connection?.isOpen ?? false) {
                    connection?.close()
                    connection = nil
                }
                logger.debug("Batch API journal statement failed", metadata: ["error": "\(error)"])
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    private func open() async throws(PGError) -> PGConnection {
        if let connection, connection.isOpen { return connection }
        connection?.close()
        connection = nil
        if closed { throw PGError(kind: .connection, message: "closed") }
        let c = try await SideConnection.open(configuration)
        if closed {
            c.close()
            throw PGError(kind: .connection, message: "closed")
        }
        connection = c
        return c
    }
}
