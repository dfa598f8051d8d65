import Loop

/// Where Batch API batches are kept while they run, so that a restart resumes polling them instead of sending
/// (and paying for) their documents again. The engine keeps it in PostgreSQL (`llm_batches`); the batcher knows
/// only this protocol.
///
/// A batch is recorded once the endpoint has created it, listed as unfinished at the next start until it is
/// marked finished: when its answers have been handed on (and every document it answered has been claimed, or the
/// claim window passed), or when it turned out dead (failed, expired, unknown to the endpoint).
public protocol BatchJournal: AnyObject, Sendable {
    /// Records a batch the endpoint has just created.
    @LoopActor func record(_ batch: JournaledBatch) async throws
    /// The batches of `endpoint` and `model` not yet marked finished, oldest first.
    @LoopActor func unfinished(endpoint: String, model: String) async throws -> [JournaledBatch]
    /// Marks a batch finished: it is not resumed again.
    @LoopActor func markFinished(batchID: String) async throws
}

/// A batch as the journal keeps it: where it runs, and which documents each of its request lines carries.
public struct JournaledBatch: Sendable, Equatable {
    /// One request line: its `custom_id` and the documents its prompt carries.
    public struct Line: Sendable, Equatable {
        public var customID: String
        public var documents: [Document]

        public init(customID: String, documents: [Document]) {
            self.customID = customID
            self.documents = documents
        }
    }

    /// One document of a line: the id its answer is keyed by, and what identifies its content.
    public struct Document: Sendable, Equatable {
        /// The document id the prompt used (the answer's `results[].id`).
        public var id: String
        public var tenant: String
        /// SHA-256 of the content (hex); nil when the job had none (it cannot be matched after a restart).
        public var contentSHA256: String?
        /// The length of the text as sent (its share of the line's tokens).
        public var characters: Int

        public init(id: String, tenant: String, contentSHA256: String?, characters: Int) {
            self.id = id
            self.tenant = tenant
            self.contentSHA256 = contentSHA256
            self.characters = characters
        }
    }

    public var batchID: String
    public var inputFileID: String
    /// `openai`.
    public var provider: String
    /// The base URL the batch was created at (a batch id means nothing elsewhere).
    public var endpoint: String
    public var model: String
    public var lines: [Line]

    public init(batchID: String, inputFileID: String, provider: String, endpoint: String, model: String,
                lines: [Line]) {
        self.batchID = batchID
        self.inputFileID = inputFileID
        self.provider = provider
        self.endpoint = endpoint
        self.model = model
        self.lines = lines
    }
}
