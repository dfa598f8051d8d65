/// One document as it walks the pipeline: the spool's metadata, then what extraction found, then what the
/// parser made of it. Each stage fills its part and hands the record on; the Sink turns it into a row.
///
/// The stages carry the record without looking inside the parts that are not theirs, so no stage keeps a
/// side table of what an earlier one learned. Text travels beside the record (in the extraction and parse
/// values), not in it: the record stays small while a document waits in a queue.
public struct DocumentRecord: Sendable, Equatable {
    /// What the spool recorded (id, tenant, batch, name, declared type, size, SHA-256, when received).
    public var metadata: DocumentMetadata
    /// What extraction found, once it ran.
    public var extraction: Extraction?
    /// What the parser made of the text, once it ran.
    public var parse: Parse?

    public init(metadata: DocumentMetadata, extraction: Extraction? = nil, parse: Parse? = nil) {
        self.metadata = metadata
        self.extraction = extraction
        self.parse = parse
    }

    /// The document's id.
    public var id: DocumentID { metadata.id }

    /// What extraction found (`documents.detected_type`, `extractor`, `ocr_used`, `page_count`, `text_chars`).
    public struct Extraction: Sendable, Equatable {
        /// Whether there is text.
        public var succeeded: Bool
        /// The MIME type libmagic found.
        public var detectedType: String?
        /// The converter whose output became the text.
        public var extractor: String?
        public var ocrUsed: Bool
        public var pageCount: Int?
        /// Characters of text (nil when extraction failed).
        public var textCharacters: Int?
        /// Notes, and the converters tried when it failed.
        public var warnings: [String]
        /// Why it failed: a stable code (`documents.error_code`) and what happened.
        public var errorCode: String?
        public var errorDetail: String?

        public init(succeeded: Bool, detectedType: String? = nil, extractor: String? = nil, ocrUsed: Bool = false,
                    pageCount: Int? = nil, textCharacters: Int? = nil, warnings: [String] = [],
                    errorCode: String? = nil, errorDetail: String? = nil) {
            self.succeeded = succeeded
            self.detectedType = detectedType
            self.extractor = extractor
            self.ocrUsed = ocrUsed
            self.pageCount = pageCount
            self.textCharacters = textCharacters
            self.warnings = warnings
            self.errorCode = errorCode
            self.errorDetail = errorDetail
        }
    }

    /// What the parser made of the text (`documents.parsed`, `provider`, `model`, tokens, cost).
    public struct Parse: Sendable, Equatable {
        public var succeeded: Bool
        /// The resume as JSON (JSON Resume schema), when parsed.
        public var resumeJSON: [UInt8]?
        /// `openai`, `rules`, or `reused` from the tenant's stored result for the same content.
        public var provider: String
        public var model: String?
        /// The document's share of the tokens billed: prompt (`cachedTokens` of them from the endpoint's
        /// prompt cache) and completion.
        public var promptTokens: Int
        public var completionTokens: Int
        public var cachedTokens: Int
        /// The document's share of the bill in USD, estimated at the configured prices (nil when the parser
        /// is not billed).
        public var costUSD: Double?
        public var warnings: [String]
        public var errorCode: String?
        public var errorDetail: String?
        /// The rules parser's confidence in its reading of the text (nil when only an LLM read it).
        public var confidence: Confidence?

        public init(succeeded: Bool, resumeJSON: [UInt8]? = nil, provider: String, model: String? = nil,
                    promptTokens: Int = 0, completionTokens: Int = 0, cachedTokens: Int = 0, costUSD: Double? = nil,
                    warnings: [String] = [], errorCode: String? = nil, errorDetail: String? = nil,
                    confidence: Confidence? = nil) {
            self.succeeded = succeeded
            self.resumeJSON = resumeJSON
            self.provider = provider
            self.model = model
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
            self.cachedTokens = cachedTokens
            self.costUSD = costUSD
            self.warnings = warnings
            self.errorCode = errorCode
            self.errorDetail = errorDetail
            self.confidence = confidence
        }
    }

    /// The rules parser's confidence as the row keeps it (`documents.parse_confidence`, `parse_weak`,
    /// `parse_scores`); ResumeModel's `ParseConfidence` is the whole of it.
    public struct Confidence: Sendable, Equatable {
        /// The core score, 0…1.
        public var core: Double
        /// The core fields are too doubtful to keep without a second reading.
        public var weak: Bool
        /// Scores by field path, as a JSON object.
        public var fieldsJSON: String

        public init(core: Double, weak: Bool, fieldsJSON: String) {
            self.core = core
            self.weak = weak
            self.fieldsJSON = fieldsJSON
        }
    }
}
