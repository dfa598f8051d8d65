import ExtractPool
import Foundation
import Ingest
import LLMBatcher
import Logging
import Sink

/// Where `serve` sends each document's outcome: the database (``DatabaseResults``), or, without
/// `DATABASE_URL`, a log (``ParsedDocumentLog``; documents then stay in the spool).
@LoopActor
protocol ResultStage: ParsedDocumentConsumer {
    /// A document was extracted and goes to the parser: remember what the parser does not carry.
    func extracted(_ document: ExtractedDocument)
    /// A document failed extraction: it skips the parser.
    func extractionFailed(_ document: ExtractedDocument) async
}

/// Hands extracted documents to the parser; documents that failed extraction skip it.
@LoopActor
final class ParserFeed: ExtractionConsumer {
    private let parser: any ParsingStage
    private let results: any ResultStage

    init(parser: any ParsingStage, results: any ResultStage) {
        self.parser = parser
        self.results = results
    }

    func waitForRoom() async {
        await parser.waitForRoom()
        await results.waitForRoom()
    }

    func accept(_ document: ExtractedDocument) async {
        guard document.status == .extracted else {
            await results.extractionFailed(document)
            return
        }
        results.extracted(document)
        let meta = document.input.spoolMetadata
        parser.submit(ParseJob(id: document.input.id, tenant: meta["tenant"] ?? "default",
                               contentSHA256: meta["sha256"], text: document.text))
    }
}

/// Results into PostgreSQL through the ``Sink``; after each commit the spool forgets the documents it settled.
@LoopActor
final class DatabaseResults: ResultStage {
    let sink: Sink
    /// What extraction learned about documents now with the parser, by id (bounded by the parser's queue).
    private var extractions: [String: ExtractedDocument] = [:]
    private let logger: Logger
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    init(configuration: SinkConfiguration, spool: Spool, logger: Logger) {
        self.logger = logger
        sink = Sink(configuration: configuration, logger: logger) { outcomes in
            let settled = outcomes.compactMap { o in DocumentID(o.id).map { ($0, Int(o.sizeBytes)) } }
            EventLoop.spawn {
                do {
                    try await spool.remove(settled)
                } catch {
                    // The rows are committed: after a restart these documents are processed again and the
                    // upsert leaves the same rows.
                    logger.error("could not remove committed documents from the spool", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    func waitForRoom() async { await sink.waitForRoom() }

    func extracted(_ document: ExtractedDocument) {
        var kept = document
        kept.text = "" // the parser carries the text; keep only what it does not
        extractions[document.input.id] = kept
    }

    func extractionFailed(_ document: ExtractedDocument) async {
        await sink.waitForRoom()
        var row = Self.row(document)
        row.status = .failed
        row.errorCode = document.failure?.code.rawValue ?? "extract_failed"
        row.errorDetail = document.failure?.detail
        sink.accept(row)
    }

    func accept(_ parsed: ParsedDocument) async {
        guard let extraction = extractions.removeValue(forKey: parsed.job.id) else {
            logger.error("a parsed document the engine did not extract", metadata: ["id": "\(parsed.job.id)"])
            return
        }
        var row = Self.row(extraction)
        row.text = parsed.job.text
        row.textCharacters = parsed.job.text.count
        row.provider = parsed.provider
        row.model = parsed.model
        row.promptTokens = parsed.promptTokens
        row.completionTokens = parsed.completionTokens
        row.warnings += parsed.warnings
        switch parsed.status {
        case .parsed:
            row.status = .parsed
            row.parsed = parsed.resume.flatMap { try? Array(encoder.encode($0)) }
        case .failed:
            row.status = .failed
            row.errorCode = parsed.failureCode?.rawValue
            row.errorDetail = parsed.failureDetail
        }
        sink.accept(row)
    }

    /// The row's columns that extraction knows.
    private static func row(_ document: ExtractedDocument) -> DocumentRow {
        let meta = document.input.spoolMetadata
        var warnings = document.warnings
        if document.status == .failed, !document.attempts.isEmpty {
            warnings += document.attempts.map { "\($0.converter): \($0.outcome)" }
        }
        return DocumentRow(
            id: document.input.id, tenant: meta["tenant"] ?? "default", batchID: meta["batch_id"],
            contentSHA256: meta["sha256"].flatMap(Hex.decode) ?? [], filename: document.input.filename,
            declaredType: document.input.declaredType, detectedType: document.detectedType,
            sizeBytes: Int64(document.input.size), status: .failed, extractor: document.extractor,
            ocrUsed: document.ocrUsed, pageCount: document.pageCount,
            textCharacters: document.status == .extracted ? document.textCharacters : nil, warnings: warnings,
            receivedAtMilliseconds: meta["received_at"].flatMap { ContinuousClockReference.unixMilliseconds(rfc3339: $0) }
                ?? ContinuousClockReference.unixMilliseconds())
    }
}

/// Results when no database is configured: each is logged (debug) and counted; documents stay in the spool.
@LoopActor
final class ParsedDocumentLog: ResultStage {
    private let logger: Logger
    init(logger: Logger) { self.logger = logger }
    func waitForRoom() async {}

    func extracted(_ document: ExtractedDocument) {}

    func accept(_ document: ParsedDocument) async {
        logger.debug("document parsed", metadata: [
            "id": "\(document.job.id)", "status": "\(document.status.rawValue)", "provider": "\(document.provider)",
            "name": "\(document.resume?.basics?.name ?? "-")", "error_code": "\(document.failureCode?.rawValue ?? "-")",
        ])
    }

    func extractionFailed(_ document: ExtractedDocument) async {
        logger.debug("document failed extraction", metadata: [
            "id": "\(document.input.id)", "error_code": "\(document.failure?.code.rawValue ?? "-")",
        ])
    }
}
