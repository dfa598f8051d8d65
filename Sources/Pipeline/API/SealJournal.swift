import Foundation
import Loop
#if canImport(Glibc)
import Glibc
#endif

/// Seals not yet in the database, kept beside the spool (`<spool>/seals/<batch>.json`) so that an engine
/// stopped while the database was away still seals its batches after a restart: without its seal a batch
/// never completes, and its webhook never fires. Written (and synced) before an upload is answered or an
/// archive leaves the spool; deleted once the database has the seal.
struct SealJournal: Sendable {
    struct Entry: Codable, Sendable, Equatable {
        var tenant: String
        var batch: String
        var expected: Int?
        var origin: String
        var label: String?
        var callbackURL: String?
        /// An upload's `job_id` (absent in entries written before jobs existed).
        var jobID: String?
    }

    let directory: String

    /// Writes `entry` durably (temporary file, fsync, rename, directory fsync), on the pool.
    func write(_ entry: Entry) async throws {
        let directory = self.directory
        guard let bytes = try? JSONEncoder().encode(entry) else { return }
        try await Offload.run {
            try FileSystem.makeDirectories(directory)
            let path = directory + "/\(entry.batch).json"
            let temporary = path + ".tmp"
            let fd = try FileSystem.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o640)
            defer { FileSystem.close(fd) }
            try FileSystem.writeAll(fd, Array(bytes), path: temporary)
            _ = try FileSystem.fsync(fd, path: temporary)
            try FileSystem.rename(temporary, path)
            _ = try FileSystem.fsyncDirectory(directory)
        }
    }

    /// Forgets batch `batch`'s entry (its seal is in the database).
    func remove(_ batch: String) async {
        let path = directory + "/\(batch).json"
        await Offload.runNonThrowing { FileSystem.unlink(path) }
    }

    /// Batch `batch`'s entry, if one is left.
    func entry(_ batch: String) async -> Entry? {
        let path = directory + "/\(batch).json"
        return await Offload.runNonThrowing {
            FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(Entry.self, from: $0) }
        }
    }

    /// Every entry left (after a restart).
    func entries() async -> [Entry] {
        let directory = self.directory
        return await Offload.runNonThrowing {
            ((try? FileSystem.list(directory)) ?? []).filter { $0.hasSuffix(".json") }.compactMap { name in
                FileManager.default.contents(atPath: directory + "/" + name)
                    .flatMap { try? JSONDecoder().decode(Entry.self, from: $0) }
            }
        }
    }
}
