import Loop
#if canImport(Glibc)
import Glibc
#endif

/// Why a committed document left the backlog for `quarantine/`.
public enum QuarantineReason: String, Sendable, Equatable, CaseIterable {
    /// Its metadata file (the commit marker) cannot be read.
    case metadataUnreadable = "metadata_unreadable"
    /// Its metadata was read but does not decode.
    case metadataDamaged = "metadata_damaged"
}

extension Spool {
    /// `<root>/quarantine`: committed documents the pipeline cannot take, kept whole for an operator.
    public var quarantineDirectory: String { directory + "/quarantine" }

    /// Moves a committed document out of the backlog into `quarantine/`, deleting nothing: first
    /// `<id>.reason` (the reason's code and `detail`, synced), then `<id>.data`, then `<id>.json` (the commit
    /// marker, last: a crash in between leaves it alone in `incoming/`, and ``open()`` finishes the move),
    /// then both directories synced. Counted in `ingest_spool_quarantined_total{reason}`.
    public func quarantine(_ id: DocumentID, reason: QuarantineReason, detail: String) async throws {
        let incoming = incomingDirectory
        let quarantine = quarantineDirectory
        let text = "reason: \(reason.rawValue)\ndetail: \(detail)\nquarantined_at_unix: \(time(nil))\n"
        let size = try await Offload.run { () throws -> Int in
            try FileSystem.makeDirectories(quarantine)
            let reasonPath = quarantine + "/\(id).reason"
            let fd = try FileSystem.open(reasonPath, O_WRONLY | O_CREAT | O_TRUNC, 0o640)
            defer { FileSystem.close(fd) }
            try FileSystem.writeAll(fd, Array(text.utf8), path: reasonPath)
            try FileSystem.fsync(fd, path: reasonPath)
            let size = FileSystem.size(incoming + "/\(id).data") ?? 0
            for suffix in [".data", ".json"] where access(incoming + "/\(id)" + suffix, F_OK) == 0 {
                try FileSystem.rename(incoming + "/\(id)" + suffix, quarantine + "/\(id)" + suffix)
            }
            try FileSystem.fsyncDirectory(quarantine)
            try FileSystem.fsyncDirectory(incoming)
            return size
        }
        depthFiles -= 1
        depthBytes -= size
        metrics.spoolDepth(files: depthFiles, bytes: depthBytes)
        metrics.quarantined(reason: reason.rawValue)
    }
}
