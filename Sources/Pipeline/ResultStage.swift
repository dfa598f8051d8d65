import LLMBatcher
import Loop

/// The stage after the parser, as the pipeline sees it: the database (``DatabaseResults``), or a log when no
/// database is configured (``LoggedResults``). Documents that are not parsed (refused before extraction, or
/// failed by it) come straight here with their record.
@LoopActor
public protocol ResultStage: ParsedDocumentConsumer, Stage {
    /// Takes a document's final record, with its extracted text when there is one.
    func settle(_ record: DocumentRecord, text: String?) async
}
