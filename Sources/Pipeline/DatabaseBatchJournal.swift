import LLMBatcher
import Loop
import Sink

/// The batcher's ``BatchJournal`` kept in PostgreSQL by the Sink's ``LLMBatchJournalStore``: the two stages meet
/// here, so that neither imports the other.
@LoopActor
final class DatabaseBatchJournal: BatchJournal {
    let store: LLMBatchJournalStore

    init(store: LLMBatchJournalStore) {
        self.store = store
    }

    func record(_ batch: JournaledBatch) async throws {
        let documents = batch.lines.flatMap { line in
            line.documents.map {
                LLMBatchRecord.Document(customID: line.customID, documentID: $0.id, tenant: $0.tenant,
                                        contentSHA256: $0.contentSHA256, characters: $0.characters)
            }
        }
        try await store.record(LLMBatchRecord(batchID: batch.batchID, inputFileID: batch.inputFileID,
                                              provider: batch.provider, endpoint: batch.endpoint, model: batch.model,
                                              documents: documents))
    }

    func unfinished(endpoint: String, model: String) async throws -> [JournaledBatch] {
        try await store.unfinished(endpoint: endpoint, model: model).map { record in
            var lines: [JournaledBatch.Line] = []
            for document in record.documents {
                let entry = JournaledBatch.Document(id: document.documentID, tenant: document.tenant,
                                                    contentSHA256: document.contentSHA256,
                                                    characters: document.characters)
                if lines.last?.customID == document.customID {
                    lines[lines.count - 1].documents.append(entry)
                } else {
                    lines.append(JournaledBatch.Line(customID: document.customID, documents: [entry]))
                }
            }
            return JournaledBatch(batchID: record.batchID, inputFileID: record.inputFileID, provider: record.provider,
                                  endpoint: record.endpoint, model: record.model, lines: lines)
        }
    }

    func markFinished(batchID: String) async throws {
        try await store.markFinished(batchID)
    }
}
