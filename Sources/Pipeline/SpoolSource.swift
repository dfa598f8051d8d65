import ExtractPool
import Foundation
import Ingest
import Logging
import Loop

/// The spool's backlog as the extraction pool's source: committed documents, oldest first, then new ones as
/// they are acknowledged. A document stays in `incoming/` until the last stage has made it durable elsewhere.
@LoopActor
public final class SpoolSource: ExtractionSource {
    private let spool: Spool
    private let logger: Logger
    /// Looks at each document before extraction and returns true when it settled the document itself
    /// (refused on the way in, or a stored result reused); such documents are not handed to the pool.
    var screen: @LoopActor (DocumentMetadata) async -> Bool = { _ in false }
    /// Hears each document taken out of the backlog because its metadata could not be read (moved to the
    /// spool's `quarantine/`, or left in `incoming/` when even that failed).
    var quarantined: @LoopActor (DocumentID) -> Void = { _ in }

    public init(spool: Spool, logger: Logger = Logger(label: "resume-ingest")) {
        self.spool = spool
        self.logger = logger
    }

    public func next() async -> ExtractionInput? {
        while let id = await spool.nextCommitted() {
            let paths = spool.paths(of: id)
            let metadataPath = paths.metadata
            let bytes = await Offload.runNonThrowing { FileManager.default.contents(atPath: metadataPath) }
            guard let bytes else {
                // The commit marker was written and synced by Ingest; unreadable means the disk lost it.
                // Keep both files for an operator rather than guess, out of the backlog.
                await quarantine(id, .metadataUnreadable, "cannot read \(metadataPath)")
                continue
            }
            let metadata: DocumentMetadata
            do {
                metadata = try DocumentMetadata(decoding: Array(bytes), id: id)
            } catch {
                await quarantine(id, .metadataDamaged, "\(error)")
                continue
            }
            if await screen(metadata) { continue }
            return ExtractionInput(id: id.description, path: paths.data, filename: metadata.filename,
                                   declaredType: metadata.declaredType, size: metadata.size, metadata: metadata)
        }
        return nil
    }

    /// Moves a document whose metadata the pipeline cannot use to the spool's `quarantine/`.
    private func quarantine(_ id: DocumentID, _ reason: QuarantineReason, _ detail: String) async {
        do {
            try await spool.quarantine(id, reason: reason, detail: detail)
            logger.error("a spooled document's metadata cannot be used; moved to quarantine", metadata: [
                "id": "\(id)", "reason": "\(reason.rawValue)", "detail": "\(detail)",
                "directory": "\(spool.quarantineDirectory)",
            ])
        } catch {
            logger.error("a spooled document cannot be used nor quarantined; left in incoming/",
                         metadata: ["id": "\(id)", "reason": "\(reason.rawValue)", "error": "\(error)"])
        }
        quarantined(id)
    }
}
