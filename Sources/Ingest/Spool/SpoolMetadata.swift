/// What the spool records beside each document (`incoming/<id>.json`), for the stages after Ingest.
public struct SpoolMetadata: Sendable, Equatable {
    /// The document's id.
    public var id: DocumentID
    /// The tenant that uploaded it.
    public var tenant: String
    /// The upload request (or import) it came in.
    public var batchID: DocumentID
    /// The client's file name, for display only: never used as a path.
    public var filename: String?
    /// The part's `Content-Type` as the client declared it (not trusted; ExtractPool sniffs).
    public var declaredType: String?
    /// Size in bytes.
    public var size: Int
    /// SHA-256 of the bytes.
    public var sha256: [UInt8]
    /// When the upload was acknowledged, in milliseconds since the epoch.
    public var receivedAtMilliseconds: Int64

    /// The JSON written to disk.
    func encoded() -> [UInt8] {
        var o = JSONText.Object()
        o.int("version", 1)
        o.string("id", id.description)
        o.string("tenant", tenant)
        o.string("batch_id", batchID.description)
        o.string("filename", filename)
        o.string("declared_type", declaredType)
        o.int("size", size)
        o.string("sha256", Hex.encode(sha256))
        o.string("received_at", ContinuousClockReference.rfc3339(unixMilliseconds: receivedAtMilliseconds))
        return o.finished() + [0x0A]
    }
}
