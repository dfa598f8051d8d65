import Loop

/// What ExtractPool hands to the next stage for one document: its text, or why there is none.
public struct ExtractedDocument: Sendable {
    /// `extracted` with text, or `failed` with ``failure``.
    public enum Status: String, Sendable, Equatable {
        case extracted
        case failed
    }

    /// One converter tried on the document, in order.
    public struct Attempt: Sendable, Equatable {
        /// The converter, e.g. `pdftotext`, `office-xml`, `libreoffice`, `tesseract`.
        public var converter: String
        /// `ok`, `empty` (ran, no text), `skipped` (disabled or not installed) or a failure code.
        public var outcome: String
        /// The error and the converter's stderr tail, when it failed.
        public var detail: String?
        /// Wall-clock time of the attempt, in milliseconds.
        public var milliseconds: Double

        public init(converter: String, outcome: String, detail: String? = nil, milliseconds: Double = 0) {
            self.converter = converter
            self.outcome = outcome
            self.detail = detail
            self.milliseconds = milliseconds
        }
    }

    /// The input as it came in.
    public var input: ExtractionInput
    public var status: Status
    /// The MIME type libmagic found (`documents.detected_type`).
    public var detectedType: String?
    /// The kind the type mapped to.
    public var kind: DocumentKind?
    /// Clean text (empty when failed).
    public var text: String
    /// The converter whose output became ``text`` (`documents.extractor`).
    public var extractor: String?
    /// Whether OCR produced the text (`documents.ocr_used`).
    public var ocrUsed: Bool
    /// Pages, when known.
    public var pageCount: Int?
    /// Characters of ``text`` (`documents.text_chars`).
    public var textCharacters: Int { text.count }
    /// The encoding the converter output (or the text file) was decoded from.
    public var encoding: String?
    /// The whole extraction, in milliseconds.
    public var milliseconds: Double
    /// The chain of converters tried, with their outcomes.
    public var attempts: [Attempt]
    /// Why it failed (`documents.error_code`, `error_detail`).
    public var failure: ExtractionFailure?
    /// Notes that are not failures (e.g. OCR stopped at the page cap).
    public var warnings: [String]

    /// The extraction's part of the document's record (the text itself travels beside it).
    public var recordPart: DocumentRecord.Extraction {
        var notes = warnings
        if status == .failed, !attempts.isEmpty {
            notes += attempts.map { "\($0.converter): \($0.outcome)" }
        }
        return DocumentRecord.Extraction(
            succeeded: status == .extracted, detectedType: detectedType, extractor: extractor, ocrUsed: ocrUsed,
            pageCount: pageCount, textCharacters: status == .extracted ? textCharacters : nil, warnings: notes,
            errorCode: status == .failed ? failure?.code.rawValue ?? "extract_failed" : nil,
            errorDetail: status == .failed ? failure?.detail : nil)
    }
}

/// A document to extract: a file on disk and what the client said about it.
public struct ExtractionInput: Sendable, Equatable {
    /// The engine's id for it (the spool's document id, or a generated one).
    public var id: String
    /// Path of the bytes.
    public var path: String
    /// The client's file name (display only).
    public var filename: String?
    /// The client's `Content-Type` (not trusted).
    public var declaredType: String?
    /// Size in bytes.
    public var size: Int
    /// What the spool recorded beside the document (tenant, batch, sha256, received_at…), for the stages
    /// after this one; nil for files read from a command line by `extract`.
    public var metadata: DocumentMetadata?

    public init(id: String, path: String, filename: String? = nil, declaredType: String? = nil, size: Int,
                metadata: DocumentMetadata? = nil) {
        self.id = id
        self.path = path
        self.filename = filename
        self.declaredType = declaredType
        self.size = size
        self.metadata = metadata
    }
}
