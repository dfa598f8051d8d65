import ExtractPool
import LLMBatcher
import Loop

/// Between extraction and the parser: an extracted document's record goes to the parser with its text; a
/// document that failed extraction skips the parser and settles with its code.
@LoopActor
final class ParserFeed: ExtractionConsumer {
    private let parser: any ParsingStage
    private let results: any ResultStage

    init(parser: any ParsingStage, results: any ResultStage) {
        self.parser = parser
        self.results = results
    }

    func waitForRoom() async {
        await parser.waitForRoom()
        await results.waitForRoom()
    }

    func accept(_ document: ExtractedDocument) async {
        guard let metadata = document.input.metadata else {
            preconditionFailure("the pipeline extracts only spooled documents, which have metadata")
        }
        let record = DocumentRecord(metadata: metadata, extraction: document.recordPart)
        guard document.status == .extracted else {
            await results.settle(record, text: nil)
            return
        }
        parser.submit(ParseJob(record: record, text: document.text))
    }
}
