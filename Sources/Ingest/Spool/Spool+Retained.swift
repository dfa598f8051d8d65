import Foundation
import Loop
#if canImport(Glibc)
import Glibc
#endif

/// Failed documents kept for `POST /api/v1/batches/{id}/retry-failed`.
///
/// A document whose failure may turn out otherwise on another try (a timeout, a converter or an endpoint that
/// was down, not "unsupported type") leaves `incoming/` for `retained/` once its failed row is committed,
/// instead of being deleted; there it is kept until `RETAIN_FAILED_HOURS` (72) after it was received, for a
/// retry, which moves it back into
/// `incoming/` under the same id. Erasure removes retained copies too. Retained documents do not count toward
/// the spool's depth (they are not backlog). A node's retained copies are its own: behind a load balancer, a
/// retry reaches the copies on the node it lands on (the answer says which could not be retried).
extension Spool {
    /// `<root>/retained`.
    public var retainedDirectory: String { directory + "/retained" }

    /// Moves documents from `incoming/` to `retained/` (their rows are committed as failed).
    public func retain(_ documents: [(id: DocumentID, size: Int)]) async throws {
        guard !documents.isEmpty else { return }
        let incoming = incomingDirectory
        let retained = retainedDirectory
        let ids = documents.map(\.id)
        try await Offload.run {
            try FileSystem.makeDirectories(retained)
            for id in ids {
                // Data first, metadata (the marker) last: a crash in between leaves an orphan `.data` in
                // `retained/` (swept with age) and the metadata in `incoming/`, which start-up removes.
                for suffix in [".data", ".json"] where access(incoming + "/\(id)" + suffix, F_OK) == 0 {
                    try FileSystem.rename(incoming + "/\(id)" + suffix, retained + "/\(id)" + suffix)
                }
            }
            try FileSystem.fsyncDirectory(retained)
        }
        try await syncIncoming([])
        depthFiles -= documents.count
        depthBytes -= documents.reduce(0) { $0 + $1.size }
        metrics.spoolDepth(files: depthFiles, bytes: depthBytes)
    }

    /// Which of `ids` are retained here.
    public func retainedIDs(_ ids: [DocumentID]) async -> Set<DocumentID> {
        let retained = retainedDirectory
        return await Offload.runNonThrowing {
            Set(ids.filter { access(retained + "/\($0).data", F_OK) == 0 && access(retained + "/\($0).json", F_OK) == 0 })
        }
    }

    /// Moves retained documents back into `incoming/` and queues them; returns the ids found (others were not
    /// retained here, or were swept).
    public func restore(_ ids: [DocumentID]) async throws -> [DocumentID] {
        let incoming = incomingDirectory
        let retained = retainedDirectory
        let found: [(DocumentID, String, Int)] = try await Offload.run {
            var found: [(DocumentID, String, Int)] = []
            for id in ids {
                let json = retained + "/\(id).json"
                guard access(retained + "/\(id).data", F_OK) == 0,
                      let bytes = FileManager.default.contents(atPath: json),
                      let metadata = try? DocumentMetadata(decoding: Array(bytes), id: id)
                else { continue }
                try FileSystem.rename(retained + "/\(id).data", incoming + "/\(id).data")
                try FileSystem.rename(json, incoming + "/\(id).json")
                found.append((id, metadata.tenant, metadata.size))
            }
            if !found.isEmpty { try FileSystem.fsyncDirectory(retained) }
            return found
        }
        guard !found.isEmpty else { return [] }
        try await syncIncoming([])
        for (id, tenant, _) in found { enqueue(id, tenant: tenant) }
        depthFiles += found.count
        depthBytes += found.reduce(0) { $0 + $1.2 }
        metrics.spoolDepth(files: depthFiles, bytes: depthBytes)
        return found.map(\.0)
    }

    /// Deletes retained documents of `tenant` whose content is `sha256` (an erasure); returns how many.
    public func purgeRetained(tenant: String, sha256: [UInt8]) async -> Int {
        let retained = retainedDirectory
        return await Offload.runNonThrowing {
            var removed = 0
            for name in (try? FileSystem.list(retained)) ?? [] where name.hasSuffix(".json") {
                guard let id = DocumentID(String(name.dropLast(5))),
                      let bytes = FileManager.default.contents(atPath: retained + "/" + name),
                      let m = try? DocumentMetadata(decoding: Array(bytes), id: id),
                      m.tenant == tenant, m.sha256 == sha256
                else { continue }
                FileSystem.unlink(retained + "/\(id).data")
                FileSystem.unlink(retained + "/\(id).json")
                removed += 1
            }
            if removed > 0 { _ = try? FileSystem.fsyncDirectory(retained) }
            return removed
        }
    }

    /// Deletes retained files older than `seconds`; returns how many documents went.
    public func sweepRetained(olderThan seconds: Double) async -> Int {
        let retained = retainedDirectory
        return await Offload.runNonThrowing {
            let cutoff = Date().addingTimeInterval(-seconds)
            var removed = 0
            for name in (try? FileSystem.list(retained)) ?? [] {
                let path = retained + "/" + name
                guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                      modified < cutoff else { continue }
                FileSystem.unlink(path)
                if name.hasSuffix(".data") { removed += 1 }
            }
            return removed
        }
    }
}
