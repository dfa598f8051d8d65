import Foundation

/// What the spool records beside each document (`incoming/<id>.json`): the first part of the typed record
/// that walks the pipeline (``DocumentRecord``), written by Ingest (or `import`) and read back after a restart.
public struct DocumentMetadata: Sendable, Equatable {
    /// The document's id.
    public var id: DocumentID
    /// The tenant (its slug) the document belongs to.
    public var tenant: String
    /// The upload request (or import) it came in.
    public var batchID: DocumentID
    /// The client's file name (or an archive entry's name), for display only: never used as a path.
    public var filename: String?
    /// The part's `Content-Type` as the client declared it, or a type implied by the name (not trusted:
    /// ExtractPool sniffs).
    public var declaredType: String?
    /// Size in bytes.
    public var size: Int
    /// SHA-256 of the bytes.
    public var sha256: [UInt8]
    /// When the upload was acknowledged, in milliseconds since the epoch.
    public var receivedAtMilliseconds: Int64
    /// Set when the document could not be taken in as such (e.g. an archive entry refused as
    /// `unsafe_entry`): the stages record it as failed with this code and never read its bytes.
    public var refusal: Refusal?
    /// An archive (`POST /api/v1/imports`) to be read entry by entry into documents of its own before
    /// extraction; the archive itself never becomes a row.
    public var isArchive = false

    /// Why a document was refused before extraction: a stable code and what happened.
    public struct Refusal: Sendable, Equatable {
        public var code: String
        public var detail: String

        public init(code: String, detail: String) {
            self.code = code
            self.detail = detail
        }
    }

    public init(id: DocumentID, tenant: String, batchID: DocumentID, filename: String?, declaredType: String?,
                size: Int, sha256: [UInt8], receivedAtMilliseconds: Int64, refusal: Refusal? = nil) {
        self.id = id
        self.tenant = tenant
        self.batchID = batchID
        self.filename = filename
        self.declaredType = declaredType
        self.size = size
        self.sha256 = sha256
        self.receivedAtMilliseconds = receivedAtMilliseconds
        self.refusal = refusal
    }

    /// The JSON written to disk (one line).
    public func encoded() -> [UInt8] {
        var o = JSONText.Object()
        o.int("version", 1)
        o.string("id", id.description)
        o.string("tenant", tenant)
        o.string("batch_id", batchID.description)
        o.string("filename", filename)
        o.string("declared_type", declaredType)
        o.int("size", size)
        o.string("sha256", Hex.encode(sha256))
        o.string("received_at", Timestamp.rfc3339(unixMilliseconds: receivedAtMilliseconds))
        if let refusal {
            o.string("refusal_code", refusal.code)
            o.string("refusal_detail", refusal.detail)
        }
        if isArchive { o.bool("archive", true) }
        return o.finished() + [0x0A]
    }

    /// Why a metadata file could not be read back.
    public struct DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Reads back what ``encoded()`` wrote. The id is the one the file is named after; a missing tenant is
    /// `default` and a missing batch the document's own id (metadata written before those fields existed).
    public init(decoding bytes: [UInt8], id: DocumentID) throws(DecodingError) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw DecodingError(description: "the metadata of \(id) is not a JSON object")
        }
        func string(_ key: String) -> String? { object[key] as? String }
        guard let size = object["size"] as? Int, size >= 0 else {
            throw DecodingError(description: "the metadata of \(id) has no size")
        }
        let sha = string("sha256").flatMap(Hex.decode) ?? []
        self.init(
            id: id, tenant: string("tenant") ?? "default",
            batchID: string("batch_id").flatMap(DocumentID.init) ?? id, filename: string("filename"),
            declaredType: string("declared_type"), size: size, sha256: sha,
            receivedAtMilliseconds: string("received_at").flatMap(Timestamp.unixMilliseconds(rfc3339:))
                ?? SystemClock.shared.unixMilliseconds())
        isArchive = object["archive"] as? Bool ?? false
        if let code = string("refusal_code") {
            refusal = Refusal(code: code, detail: string("refusal_detail") ?? code)
        }
    }
}
