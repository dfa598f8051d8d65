import Foundation
import Ingest
import LLMBatcher
import Logging
import Loop
import ResumeModel
import Sink

/// Results into PostgreSQL through the ``Sink``; after each commit the spool forgets the documents it settled.
@LoopActor
public final class DatabaseResults: ResultStage {
    public let sink: Sink
    private let logger: Logger
    /// Failed documents whose bytes are kept after their row commits (see ``Spool/retain(_:)``).
    private let retainable: RetainableFailures
    private let observe: @LoopActor (DocumentRecord) -> Void
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// `settled` hears every batch of outcomes once it is durable (after the spool has been told);
    /// `observe` every record handed to the Sink.
    public init(configuration: SinkConfiguration, spool: Spool, logger: Logger,
                clock: any EngineClock = SystemClock.shared, retainFailures: Bool = true,
                observe: @escaping @LoopActor (DocumentRecord) -> Void = { _ in },
                settled: @escaping @LoopActor ([SinkOutcome]) -> Void = { _ in }) {
        self.logger = logger
        self.observe = observe
        let retainable = RetainableFailures()
        retainable.enabled = retainFailures
        self.retainable = retainable
        sink = Sink(configuration: configuration, logger: logger, clock: clock) { outcomes in
            var forget: [(id: DocumentID, size: Int)] = []
            var retain: [(id: DocumentID, size: Int)] = []
            for o in outcomes {
                guard let id = DocumentID(o.id) else { continue }
                if case .committed = o.result, retainable.ids.remove(id) != nil {
                    retain.append((id, Int(o.sizeBytes)))
                } else {
                    retainable.ids.remove(id)
                    forget.append((id, Int(o.sizeBytes)))
                }
            }
            EventLoop.spawn {
                do {
                    // Failures that may go otherwise on another try wait in `retained/` for retry-failed.
                    try await spool.retain(retain)
                } catch {
                    logger.error("could not keep failed documents for a retry", metadata: ["error": "\(error)"])
                }
                do {
                    try await spool.remove(forget)
                } catch {
                    // The rows are committed: after a restart these documents are processed again and the
                    // upsert leaves the same rows.
                    logger.error("could not remove committed documents from the spool", metadata: ["error": "\(error)"])
                }
                await settled(outcomes)
            }
        }
    }

    public nonisolated var name: String { "database" }

    public func waitForRoom() async { await sink.waitForRoom() }

    public func settle(_ record: DocumentRecord, text: String?) async {
        await sink.waitForRoom()
        observe(record)
        if retainable.enabled, RetainableFailures.retriable(record) { retainable.ids.insert(record.id) }
        sink.accept(DocumentRow(record: record, text: text))
    }

    public func accept(_ parsed: ParsedDocument) async {
        guard var record = parsed.job.record else {
            logger.error("a parsed document without its record", metadata: ["id": "\(parsed.job.id)"])
            return
        }
        let encoder = self.encoder
        record.parse = parsed.recordPart { try? Array(encoder.encode($0)) }
        await settle(record, text: parsed.job.text)
    }

    public func drain(timeoutMilliseconds: UInt64) async { await sink.drain(timeoutMilliseconds: timeoutMilliseconds) }

    public func close() async { await sink.closeAndWait() }

    public var status: StartupStatus.Component {
        let c = sink.counters
        let counts = "\(c.committedRows) rows committed, \(c.recordedFailed) recorded failed, \(c.rejected) rejected, "
            + "\(sink.held) waiting"
        let url = SinkConfiguration.redacted(sink.configuration.databaseURL ?? "")
        switch sink.state {
        case .ready(let version):
            return .init(status: "ok", detail: "PostgreSQL \(version / 10_000).\(version % 10_000) at \(url): " + counts)
        case .connecting: return .init(status: "degraded", detail: "connecting; " + counts)
        case .down(let reason): return .init(status: "down", detail: reason + "; uploads are still spooled; " + counts)
        case .closed: return .init(status: "down", detail: "closed")
        }
    }
}

/// Ids of failed documents to keep for a retry once their rows commit.
@LoopActor
final class RetainableFailures {
    var ids: Set<DocumentID> = []
    var enabled = true

    /// Failures in the bytes themselves: another try gives the same answer, so they are not kept.
    nonisolated static let lasting: Set<String> = ["unsupported_type", "encrypted", "decompression_bomb",
                                                   "unsafe_entry", "nested_archive"]

    /// Whether `record` failed for a reason another try may change.
    nonisolated static func retriable(_ record: DocumentRecord) -> Bool {
        guard !(record.parse?.succeeded ?? false), !record.metadata.isArchive else { return false }
        let code = record.metadata.refusal?.code ?? record.extraction?.errorCode ?? record.parse?.errorCode
        return !(code.map(lasting.contains) ?? false) && record.metadata.refusal == nil
    }
}

/// Results when no database is configured: each is logged (debug) and counted; documents stay in the spool.
@LoopActor
public final class LoggedResults: ResultStage {
    private let logger: Logger
    private(set) var settled = 0

    public init(logger: Logger) { self.logger = logger }

    public nonisolated var name: String { "database" }

    public func waitForRoom() async {}

    public func settle(_ record: DocumentRecord, text: String?) async {
        settled += 1
        logger.debug("document done", metadata: [
            "id": "\(record.id)", "parsed": "\(record.parse?.succeeded ?? false)",
            "error_code": "\(record.metadata.refusal?.code ?? record.extraction?.errorCode ?? record.parse?.errorCode ?? "-")",
        ])
    }

    public func accept(_ parsed: ParsedDocument) async {
        guard var record = parsed.job.record else { return }
        record.parse = parsed.recordPart { _ in nil }
        await settle(record, text: nil)
    }

    public func drain(timeoutMilliseconds: UInt64) async {}
    public func close() async {}

    public var status: StartupStatus.Component {
        .init(status: "down", detail: "DATABASE_URL is not set: results are not stored; documents stay in the spool "
                  + "(\(settled) done since start)")
    }
}
