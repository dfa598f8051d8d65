import Loop

/// One document as the Sink writes it: a row of `documents` (see ``Migrations``), parsed or failed.
public struct DocumentRow: Sendable, Equatable {
    public enum Status: String, Sendable {
        case parsed, failed
    }

    /// The document's id (a UUID, as the spool names it).
    public var id: String
    /// The tenant's slug (`tenants.slug`); a slug the database does not know is refused (``SinkOutcome``).
    public var tenant: String
    /// The upload request or import it came in (a UUID).
    public var batchID: String?
    /// SHA-256 of the original bytes, 32 bytes.
    public var contentSHA256: [UInt8]
    public var filename: String?
    public var declaredType: String?
    public var detectedType: String?
    public var sizeBytes: Int64
    public var status: Status
    public var extractor: String?
    public var ocrUsed: Bool?
    public var pageCount: Int?
    public var textCharacters: Int?
    /// Extracted text (NUL characters are removed before sending: PostgreSQL text cannot hold them).
    public var text: String?
    /// The parsed resume as JSON (JSON Resume schema), or nil.
    public var parsed: [UInt8]?
    public var provider: String?
    public var model: String?
    public var promptTokens: Int?
    public var completionTokens: Int?
    /// The part of `promptTokens` served from the endpoint's prompt cache.
    public var cachedTokens: Int?
    /// The document's estimated share of the LLM bill in USD (`numeric(12,8)`: a value it cannot hold is
    /// written NULL, see ``StagingEncoder/storableCost(_:)``).
    public var costUSD: Double?
    public var errorCode: String?
    public var errorDetail: String?
    public var warnings: [String]
    /// The rules parser's confidence in its reading: the core score (0…1), whether the core fields are weak,
    /// and the scores by field path as a JSON object (`parse_confidence`, `parse_weak`, `parse_scores`). Nil
    /// when the rules did not read the text (an LLM alone, or a failure before the parser).
    public var parseConfidence: Double?
    public var parseWeak: Bool?
    public var parseScores: String?
    /// When the upload was acknowledged, in milliseconds since the Unix epoch.
    public var receivedAtMilliseconds: Int64

    public init(id: String, tenant: String, batchID: String?, contentSHA256: [UInt8], filename: String?,
                declaredType: String?, detectedType: String?, sizeBytes: Int64, status: Status,
                extractor: String? = nil, ocrUsed: Bool? = nil, pageCount: Int? = nil, textCharacters: Int? = nil,
                text: String? = nil, parsed: [UInt8]? = nil, provider: String? = nil, model: String? = nil,
                promptTokens: Int? = nil, completionTokens: Int? = nil, cachedTokens: Int? = nil,
                costUSD: Double? = nil, errorCode: String? = nil, errorDetail: String? = nil, warnings: [String] = [],
                receivedAtMilliseconds: Int64) {
        self.id = id
        self.tenant = tenant
        self.batchID = batchID
        self.contentSHA256 = contentSHA256
        self.filename = filename
        self.declaredType = declaredType
        self.detectedType = detectedType
        self.sizeBytes = sizeBytes
        self.status = status
        self.extractor = extractor
        self.ocrUsed = ocrUsed
        self.pageCount = pageCount
        self.textCharacters = textCharacters
        self.text = text
        self.parsed = parsed
        self.provider = provider
        self.model = model
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedTokens = cachedTokens
        self.costUSD = costUSD
        self.errorCode = errorCode
        self.errorDetail = errorDetail
        self.warnings = warnings
        self.receivedAtMilliseconds = receivedAtMilliseconds
    }

    /// Bytes this row adds to a COPY stream, about (for the flush's byte limit).
    public var approximateBytes: Int {
        256 + (text?.utf8.count ?? 0) + (parsed?.count ?? 0) + (errorDetail?.utf8.count ?? 0)
            + (filename?.utf8.count ?? 0) + warnings.reduce(0) { $0 + $1.utf8.count + 4 }
    }

    /// Takes `earlier`'s tokens and cost when this copy of the same content was billed nothing (it reused
    /// `earlier`'s result): the row then carries what its result cost once. In separate batches the upsert leaves
    /// the row as `earlier` wrote it (the results are identical), so either way the row and its batch's totals
    /// count the bill once, not zero times.
    mutating func keepBilling(of earlier: DocumentRow) {
        guard (promptTokens ?? 0) == 0, (completionTokens ?? 0) == 0, (costUSD ?? 0) == 0,
              (earlier.promptTokens ?? 0) > 0 || (earlier.completionTokens ?? 0) > 0 || (earlier.costUSD ?? 0) > 0
        else { return }
        promptTokens = earlier.promptTokens
        completionTokens = earlier.completionTokens
        cachedTokens = earlier.cachedTokens
        costUSD = earlier.costUSD
    }

    /// The same document recorded as failed because the database refused it: metadata kept, the text and
    /// result that the server would not take dropped.
    func rejected(_ message: String) -> DocumentRow {
        var row = self
        row.status = .failed
        row.text = nil
        row.parsed = nil
        row.errorCode = "db_rejected"
        row.errorDetail = message
        return row
    }
}

/// What became of a document the Sink took.
public struct SinkOutcome: Sendable, Equatable {
    public enum Result: Sendable, Equatable {
        /// Its row is committed (inserted, replaced, or already there unchanged).
        case committed
        /// The database refused the row itself; it is committed as `failed` with `db_rejected` and the server's
        /// message.
        case recordedFailed(String)
        /// It could not be stored as a document at all (e.g. its tenant does not exist); the reason is committed
        /// in `sink_rejects`.
        case rejected(String)
    }

    public var id: String
    /// The document's size (the spool needs it to forget the document).
    public var sizeBytes: Int64
    public var result: Result

    public init(id: String, sizeBytes: Int64, result: Result) {
        self.id = id
        self.sizeBytes = sizeBytes
        self.result = result
    }
}

/// Writes ``DocumentRow``s into a binary COPY stream for the staging table, sanitising as it goes.
struct StagingEncoder {
    /// The staging table's columns, in COPY order.
    static let columns = [
        "seq", "id", "tenant_id", "batch_id", "content_sha256", "filename", "declared_type", "detected_type",
        "size_bytes", "status", "extractor", "ocr_used", "page_count", "text_chars", "text", "parsed", "provider",
        "model", "prompt_tokens", "completion_tokens", "cached_tokens", "cost_usd", "error_code", "error_detail",
        "warnings", "parse_confidence", "parse_weak", "parse_scores", "received_at",
    ]

    /// Encodes one row; `tenantID` is the tenant's UUID (16 bytes), `seq` its position in the batch.
    static func encode(_ row: DocumentRow, seq: Int32, tenantID: [UInt8], into e: inout CopyBinaryEncoder) {
        identity(row, seq: seq, tenantID: tenantID, into: &e)
        text(row.detectedType, &e)
        e.int64(row.sizeBytes)
        e.text(row.status.rawValue)
        text(row.extractor, &e)
        if let ocr = row.ocrUsed { e.bool(ocr) } else { e.null() }
        int(row.pageCount, &e)
        int(row.textCharacters, &e)
        text(row.text, &e)
        if let parsed = row.parsed { e.jsonb(Sanitizer.json(parsed)) } else { e.null() }
        text(row.provider, &e)
        text(row.model, &e)
        int(row.promptTokens, &e)
        int(row.completionTokens, &e)
        int(row.cachedTokens, &e)
        if let cost = storableCost(row.costUSD) { e.float64(cost) } else { e.null() }
        text(row.errorCode, &e)
        text(row.errorDetail, &e)
        e.jsonb(Sanitizer.jsonArray(row.warnings))
        if let confidence = row.parseConfidence, confidence.isFinite { e.float64(confidence) } else { e.null() }
        if let weak = row.parseWeak { e.bool(weak) } else { e.null() }
        if let scores = row.parseScores { e.jsonb(Sanitizer.json(Array(scores.utf8))) } else { e.null() }
        e.timestamp(unixMilliseconds: row.receivedAtMilliseconds)
    }

    /// Encodes a batch item only: the row's identity (id, tenant, batch, content, name, declared type, size,
    /// received time) with `status` NULL, which the upsert writes to `batch_items` and not to `documents`.
    static func encodeItem(_ row: DocumentRow, seq: Int32, tenantID: [UInt8], into e: inout CopyBinaryEncoder) {
        identity(row, seq: seq, tenantID: tenantID, into: &e)
        e.null()
        e.int64(row.sizeBytes)
        // status through parse_scores: NULL (9 fields written, received_at last).
        for _ in 0..<(columns.count - 10) { e.null() }
        e.timestamp(unixMilliseconds: row.receivedAtMilliseconds)
    }

    /// A row's first fields, the same for a document and an item: seq, id, tenant, batch, content, name, declared
    /// type.
    private static func identity(_ row: DocumentRow, seq: Int32, tenantID: [UInt8], into e: inout CopyBinaryEncoder) {
        e.beginRow(fields: columns.count)
        e.int32(seq)
        if let id = UUIDText.bytes(row.id) { e.uuid(id) } else { e.null() }
        e.uuid(tenantID)
        if let b = row.batchID.flatMap(UUIDText.bytes) { e.uuid(b) } else { e.null() }
        e.bytea(row.contentSHA256)
        text(row.filename, &e)
        text(row.declaredType, &e)
    }

    /// Costs `documents.cost_usd` (`numeric(12,8)`) holds once rounded to 8 decimals: from 0 to 9,999.99999999.
    static let storableCosts: ClosedRange<Double> = 0...9_999.999_999_99

    /// `cost` when the column can hold it, else nil (written NULL: unknown). Out of range means prices or
    /// counts gone wrong, and such a value must not make the server refuse the row and lose the resume.
    static func storableCost(_ cost: Double?) -> Double? {
        guard let cost, storableCosts.contains(cost) else { return nil }
        return cost
    }

    private static func text(_ value: String?, _ e: inout CopyBinaryEncoder) {
        if let value { e.text(Sanitizer.text(value)) } else { e.null() }
    }

    private static func int(_ value: Int?, _ e: inout CopyBinaryEncoder) {
        if let value, let v = Int32(exactly: value) { e.int32(v) } else { e.null() }
    }
}

/// UUIDs in their text form (the spool's ``DocumentID`` reads and writes it).
enum UUIDText {
    /// The 16 bytes of `8-4-4-4-12` hex text (either case), or nil when it is not one.
    static func bytes(_ text: String) -> [UInt8]? { DocumentID(text)?.bytes }

    /// `8-4-4-4-12` lower-case hex text of 16 bytes.
    static func text(_ bytes: [UInt8]) -> String { DocumentID(bytes: bytes)?.description ?? "" }
}
