import Foundation
import Ingest

/// The spool's backlog as the pool's source: committed documents, oldest first, then new ones as they
/// are acknowledged. A document stays in `incoming/` until the last stage has made it durable elsewhere.
@LoopActor
public final class SpoolSource: ExtractionSource {
    private let spool: Spool

    public init(spool: Spool) { self.spool = spool }

    public func next() async -> ExtractionInput? {
        while let id = await spool.nextCommitted() {
            let paths = spool.paths(of: id)
            let metadataPath = paths.metadata
            let bytes = await Offload.runNonThrowing { FileManager.default.contents(atPath: metadataPath) }
            guard let bytes, let json = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else {
                // The commit marker was written and synced by Ingest; unreadable means the disk lost it.
                // Leave both files for an operator rather than guess.
                continue
            }
            return ExtractionInput(id: id.description, path: paths.data, filename: json["filename"] as? String,
                                   declaredType: json["declared_type"] as? String,
                                   size: json["size"] as? Int ?? 0,
                                   spoolMetadata: json.compactMapValues { $0 as? String })
        }
        return nil
    }
}

/// Files and directories named on a command line (directories walked lazily, in name order).
@LoopActor
public final class FileListSource: ExtractionSource {
    private var pending: [String]
    private var counter = 0

    public init(paths: [String]) { pending = paths.reversed() }

    public func next() async -> ExtractionInput? {
        while let path = pending.popLast() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                let children = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                pending += children.sorted().reversed().map { path + "/" + $0 }
                continue
            }
            counter += 1
            let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
            let name = path.split(separator: "/").last.map(String.init)
            return ExtractionInput(id: String(counter), path: path, filename: name, size: size)
        }
        return nil
    }
}
