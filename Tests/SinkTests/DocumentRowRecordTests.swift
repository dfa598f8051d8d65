@testable import Loop
@testable import Sink
import Testing

@Suite("A document's record becomes its row")
struct DocumentRowRecordTests {
    private let metadata = DocumentMetadata(
        id: DocumentID(), tenant: "acme", batchID: DocumentID(), filename: "cv.pdf", declaredType: "application/pdf",
        size: 2048, sha256: Array(repeating: 7, count: 32), receivedAtMilliseconds: 1_764_000_000_000)

    private var extracted: DocumentRecord.Extraction {
        .init(succeeded: true, detectedType: "application/pdf", extractor: "pdftotext", ocrUsed: false, pageCount: 2,
              textCharacters: 11, warnings: ["note"])
    }

    @Test("parsed: every column from the spool, extraction and parser, text and resume kept")
    func parsed() {
        let parse = DocumentRecord.Parse(succeeded: true, resumeJSON: Array("{}".utf8), provider: "openai",
                                         model: "gpt-4o-mini", promptTokens: 900, completionTokens: 200,
                                         cachedTokens: 512, costUSD: 0.0001962, warnings: ["compacted"])
        let row = DocumentRow(record: DocumentRecord(metadata: metadata, extraction: extracted, parse: parse),
                              text: "Jane Doe cv")
        #expect(row.id == metadata.id.description)
        #expect(row.tenant == "acme")
        #expect(row.batchID == metadata.batchID.description)
        #expect(row.contentSHA256 == metadata.sha256)
        #expect(row.filename == "cv.pdf" && row.declaredType == "application/pdf")
        #expect(row.detectedType == "application/pdf" && row.extractor == "pdftotext" && row.pageCount == 2)
        #expect(row.sizeBytes == 2048 && row.receivedAtMilliseconds == 1_764_000_000_000)
        #expect(row.status == .parsed && row.errorCode == nil)
        #expect(row.text == "Jane Doe cv" && row.textCharacters == 11)
        #expect(row.parsed == Array("{}".utf8))
        #expect(row.provider == "openai" && row.model == "gpt-4o-mini")
        #expect(row.promptTokens == 900 && row.completionTokens == 200)
        #expect(row.cachedTokens == 512 && row.costUSD == 0.0001962)
        #expect(row.warnings == ["note", "compacted"])
    }

    @Test("failed by the parser: its code, the text still stored")
    func parserFailed() {
        let parse = DocumentRecord.Parse(succeeded: false, provider: "openai", model: "m",
                                         errorCode: "llm_invalid_output", errorDetail: "bad JSON")
        let row = DocumentRow(record: DocumentRecord(metadata: metadata, extraction: extracted, parse: parse),
                              text: "Jane Doe cv")
        #expect(row.status == .failed && row.errorCode == "llm_invalid_output" && row.errorDetail == "bad JSON")
        #expect(row.text == "Jane Doe cv" && row.parsed == nil)
    }

    @Test("failed by extraction: its code and detail, no text, no parser columns")
    func extractionFailed() {
        let failed = DocumentRecord.Extraction(succeeded: false, detectedType: "application/zip",
                                               warnings: ["office-xml: encrypted"], errorCode: "encrypted",
                                               errorDetail: "password-protected")
        let row = DocumentRow(record: DocumentRecord(metadata: metadata, extraction: failed), text: "ignored")
        #expect(row.status == .failed && row.errorCode == "encrypted" && row.errorDetail == "password-protected")
        #expect(row.text == nil && row.provider == nil && row.textCharacters == nil)
        #expect(row.detectedType == "application/zip" && row.warnings == ["office-xml: encrypted"])
    }

    @Test("refused before extraction (an unsafe archive entry): the refusal's code, nothing else")
    func refused() {
        var m = metadata
        m.refusal = .init(code: "unsafe_entry", detail: "'../etc/passwd' leaves the archive")
        let row = DocumentRow(record: DocumentRecord(metadata: m), text: nil)
        #expect(row.status == .failed && row.errorCode == "unsafe_entry")
        #expect(row.errorDetail == "'../etc/passwd' leaves the archive")
        #expect(row.contentSHA256 == m.sha256 && row.filename == "cv.pdf")
    }

    @Test("a record that skipped a stage is recorded failed, never parsed")
    func incomplete() {
        #expect(DocumentRow(record: DocumentRecord(metadata: metadata), text: nil).errorCode == "internal_error")
        let row = DocumentRow(record: DocumentRecord(metadata: metadata, extraction: extracted), text: "t")
        #expect(row.status == .failed && row.errorCode == "internal_error")
    }
}
