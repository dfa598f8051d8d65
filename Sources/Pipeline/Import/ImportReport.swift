import Loop

/// What an import did, counted as documents settle: for the progress line, the closing summary and `--json`.
public struct ImportReport: Sendable, Equatable {
    /// Documents the import put into the spool (archive entries each count).
    public var spooled = 0
    /// Documents left in the spool by an earlier run that was interrupted, finished by this one.
    public var resumed = 0
    /// Documents whose rows are committed (parsed, failed, or reused).
    public var done = 0
    public var parsed = 0
    public var failed = 0
    /// Documents whose stored result (same tenant, content and parser) was reused: nothing done again.
    public var reused = 0
    /// Documents the database refused even alone (kept in `sink_rejects`).
    public var rejected = 0
    /// Documents whose rules reading was weak (`documents.parse_weak`), and of them those the LLM read again
    /// because of it (`--llm-when-unsure`).
    public var weak = 0
    public var unsureToLLM = 0
    /// Archives read entry by entry.
    public var archives = 0
    public var bytes = 0
    /// By format (the detected type's short name, e.g. `pdf`), status, error code and extractor.
    public var byFormat: [String: Int] = [:]
    public var byErrorCode: [String: Int] = [:]
    public var byExtractor: [String: Int] = [:]
    /// Tokens billed for this run's documents (`cachedTokens` of the prompt tokens from the endpoint's cache),
    /// and their estimated cost in USD (0 with the rules parser, which is not billed).
    public var promptTokens = 0
    public var completionTokens = 0
    public var cachedTokens = 0
    public var costUSD = 0.0
    /// Paths named that could not be read.
    public var unreadable: [String] = []
    /// Wall time so far, in seconds.
    public var seconds = 0.0

    public init() {}

    /// Documents to wait for: fed now plus resumed.
    public var expected: Int { spooled + resumed }

    /// Documents per second of wall time.
    public var documentsPerSecond: Double { seconds > 0 ? Double(done) / seconds : 0 }

    /// Counts a record on its way to the database.
    mutating func count(_ record: DocumentRecord) {
        let format = Self.format(of: record)
        byFormat[format, default: 0] += 1
        if let extractor = record.extraction?.extractor { byExtractor[extractor, default: 0] += 1 }
        if let parse = record.parse {
            if parse.confidence?.weak == true {
                weak += 1
                if parse.provider != "rules" { unsureToLLM += 1 }
            }
            promptTokens += parse.promptTokens
            completionTokens += parse.completionTokens
            cachedTokens += parse.cachedTokens
            costUSD += parse.costUSD ?? 0
        }
        let code = record.metadata.refusal?.code ?? record.extraction?.errorCode ?? record.parse?.errorCode
        if record.parse?.succeeded == true {
            parsed += 1
        } else {
            failed += 1
            byErrorCode[code ?? "failed", default: 0] += 1
        }
    }

    /// A short name for the document's format: from the detected MIME type, else the name's extension.
    static func format(of record: DocumentRecord) -> String {
        let types: [(String, String)] = [
            ("application/pdf", "pdf"),
            ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
            ("application/msword", "doc"), ("application/rtf", "rtf"), ("text/rtf", "rtf"),
            ("application/vnd.oasis.opendocument.text", "odt"), ("text/html", "html"), ("text/plain", "txt"),
            ("image/png", "png"), ("image/jpeg", "jpg"), ("image/tiff", "tiff"),
        ]
        if let detected = record.extraction?.detectedType, let short = types.first(where: { $0.0 == detected })?.1 {
            return short
        }
        if let name = record.metadata.filename, let dot = name.lastIndex(of: "."), name.index(after: dot) < name.endIndex {
            let ext = name[name.index(after: dot)...].lowercased()
            if ext.count <= 5 { return ext }
        }
        return record.extraction?.detectedType ?? "unknown"
    }
}
