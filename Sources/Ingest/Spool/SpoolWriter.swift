import Crypto
import Loop
#if canImport(Glibc)
import Glibc
#endif

/// One document written into the spool's `tmp/` from a worker thread: a file being imported, or an archive
/// entry as it is inflated. Bytes are written and hashed as they come (memory stays at one chunk), and
/// ``finish(_:)`` completes the metadata (size, SHA-256), writes it and `fsync`s both files; the document is
/// acknowledged only when ``Spool/commit(_:)`` renames it into `incoming/`.
///
/// Blocking: use it on libuv's pool (``Offload``), never on the loop. Not shared between threads.
public final class SpoolWriter {
    /// The document's id.
    public let id: DocumentID
    private let dataPath: String
    private let metadataPath: String
    private var fd: Int32 = -1
    private var hasher = SHA256()
    /// Bytes written so far.
    public private(set) var size = 0

    /// Opens `tmp/<id>.data` of the spool rooted at `temporaryDirectory`.
    public init(temporaryDirectory: String, id: DocumentID = DocumentID()) throws(SystemError) {
        self.id = id
        dataPath = temporaryDirectory + "/\(id).data"
        metadataPath = temporaryDirectory + "/\(id).json"
        fd = try FileSystem.open(dataPath, O_WRONLY | O_CREAT | O_TRUNC)
    }

    deinit {
        if fd >= 0 {
            // Never finished: not acknowledged, so nothing of it may stay behind.
            FileSystem.close(fd)
            FileSystem.unlink(dataPath)
        }
    }

    /// Appends bytes to the document.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        guard !bytes.isEmpty else { return }
        hasher.update(bufferPointer: bytes)
        try FileSystem.writeAll(fd, bytes, path: dataPath)
        size += bytes.count
    }

    /// Fills in `size` and `sha256`, writes the metadata beside the data and `fsync`s both; returns the
    /// document ready for ``Spool/commit(_:)``. A refused document keeps the SHA-256 it was given (its bytes
    /// were never read, so its content key is made from what identifies it).
    public func finish(_ metadata: DocumentMetadata) throws(SystemError) -> SpooledDocument {
        var metadata = metadata
        metadata.id = id
        metadata.size = size
        if metadata.refusal == nil || metadata.sha256.count != 32 {
            metadata.sha256 = Array(hasher.finalize())
        }
        do throws(SystemError) {
            _ = try FileSystem.fsync(fd, path: dataPath)
            FileSystem.close(fd)
            fd = -1
            let metadataFD = try FileSystem.open(metadataPath, O_WRONLY | O_CREAT | O_TRUNC)
            defer { FileSystem.close(metadataFD) }
            try FileSystem.writeAll(metadataFD, metadata.encoded(), path: metadataPath)
            _ = try FileSystem.fsync(metadataFD, path: metadataPath)
        } catch {
            discard()
            throw error
        }
        return SpooledDocument(metadata: metadata, dataPath: dataPath, metadataPath: metadataPath)
    }

    /// Removes what was written (an entry that failed half-way).
    public func discard() {
        if fd >= 0 { FileSystem.close(fd) }
        fd = -1
        FileSystem.unlink(dataPath)
        FileSystem.unlink(metadataPath)
    }
}

/// A document whose bytes and metadata are durable in `tmp/`, waiting for ``Spool/commit(_:)``.
public struct SpooledDocument: Sendable, Equatable {
    public var metadata: DocumentMetadata
    let dataPath: String
    let metadataPath: String

    /// Deletes the prepared files (a document that will not be committed). Blocking: on the pool.
    public func discard() {
        FileSystem.unlink(dataPath)
        FileSystem.unlink(metadataPath)
    }
}

extension Spool {
    /// Makes prepared documents durable in `incoming/` (all or, on error, none), in the next grouped
    /// directory sync, and queues them for the next stage.
    public func commit(_ documents: [SpooledDocument]) async throws {
        guard !documents.isEmpty else { return }
        try await syncIncoming(documents.map { Move(data: $0.dataPath, metadata: $0.metadataPath, id: $0.metadata.id) })
        documents.forEach { enqueue($0.metadata.id, tenant: $0.metadata.tenant) }
        committed?(documents.map(\.metadata))
        depthFiles += documents.count
        depthBytes += documents.reduce(0) { $0 + $1.metadata.size }
        metrics.spoolDepth(files: depthFiles, bytes: depthBytes)
    }
}
