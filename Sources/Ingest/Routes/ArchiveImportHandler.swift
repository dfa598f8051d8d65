import Archive
import HTTP1
import Loop

/// `POST /api/v1/imports`: one archive body (zip, tar, tar.gz, tar.zst), streamed into the spool as one
/// document marked as an archive, acknowledged (`202`) once it is durable. The pipeline then reads it entry by
/// entry into documents of its own (as `resume-ingest import` does), and the archive leaves the spool.
///
/// The body is never held: it goes through a ``SpoolFile`` with the same backpressure as uploads. Its first
/// bytes must be an archive's (checked as they arrive, so a wrong body is refused before it is stored).
@LoopActor
final class ArchiveImportHandler: HTTPRequestHandler {
    private let exchange: HTTPExchange
    private let router: IngestRouter
    private let tenant: AuthenticatedTenant
    /// The request's `Idempotency-Key`, when it has one (its fingerprint: the archive's name and SHA-256).
    private var idempotency: IdempotencyContext?
    /// `?callback_url=`: where the batch's completion webhook goes.
    private var callbackURL: String?
    /// `?job_id=`: the job the archive's documents are scored for.
    private var jobID: String?
    private let body: SpoolBody
    private var file: SpoolFile { body.file }
    private let batchID = DocumentID()
    private let filename: String?
    private let declaredType: String?
    private let limit: Int
    /// The first bytes, until the format is known.
    private var head: [UInt8] = []
    private var checked = false
    private var done = false

    /// Checks the head; answers at once (and returns a sink for the body) when the request cannot be taken.
    static func make(exchange: HTTPExchange, router: IngestRouter, tenant: AuthenticatedTenant,
                     idempotency: IdempotencyContext? = nil, jobID: String? = nil) -> any HTTPRequestHandler {
        let head = exchange.head
        let limits = router.configuration.limits
        func reject(_ status: Int, _ code: String, _ message: String) -> any HTTPRequestHandler {
            router.reject(exchange, status, code, message)
        }
        if let refused = router.refuseWhenFull(exchange) { return refused }
        switch head.headers.first("Content-Encoding")?.lowercased().trimmingWhitespace() {
        case nil, "", "identity": break
        case let other?:
            return reject(415, "unsupported_content_encoding",
                          "Content-Encoding \(other) is not supported for imports; send the archive as it is "
                              + "(.tar.zst and .tar.gz are compressed already)")
        }
        if head.framing == .none {
            return reject(400, "empty_body", "the request has no body; send one archive (zip, tar, tar.gz, tar.zst)")
        }
        if case .contentLength(let length) = head.framing, length > limits.maxImportBytes {
            return reject(413, "import_too_large",
                          "the archive is \(length) bytes; the limit is \(limits.maxImportBytes) (MAX_IMPORT_SIZE)")
        }
        var callbackURL: String?
        switch router.callbackURL(exchange) {
        case .success(let url): callbackURL = url
        case .failure(let refusal): return reject(refusal.status, refusal.code, refusal.message)
        }
        let query = head.target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        let name = query.split(separator: "&").first { $0.hasPrefix("filename=") }
            .flatMap { $0.dropFirst("filename=".count).removingPercentEncoding() }
        let handler = ArchiveImportHandler(exchange: exchange, router: router, tenant: tenant,
                                           filename: name ?? "import", declaredType: head.headers.first("Content-Type"),
                                           limit: limits.maxImportBytes)
        handler.idempotency = idempotency
        handler.callbackURL = callbackURL
        handler.jobID = jobID
        return handler
    }

    private init(exchange: HTTPExchange, router: IngestRouter, tenant: AuthenticatedTenant, filename: String?,
                 declaredType: String?, limit: Int) {
        self.exchange = exchange
        self.tenant = tenant
        self.router = router
        self.filename = filename
        self.declaredType = declaredType
        self.limit = limit
        body = SpoolBody(exchange: exchange, spool: router.spool)
    }

    func receive(_ bytes: UnsafeRawBufferPointer) {
        guard !done else { return }
        if body.size + bytes.count > limit {
            return fail(413, "import_too_large", "the archive is over \(limit) bytes (MAX_IMPORT_SIZE)")
        }
        if !checked {
            head += bytes.prefix(ArchiveFormat.headLength - head.count)
            if head.count >= ArchiveFormat.headLength, !check() { return }
        }
        body.append(bytes)
    }

    /// Whether the first bytes are an archive's; refuses the request when not.
    private func check() -> Bool {
        checked = true
        guard ArchiveFormat.detect(head: head) != nil else {
            fail(415, "not_an_archive", "the body is not a zip, tar, tar.gz or tar.zst archive; send one archive "
                     + "(or upload files with POST /api/v1/bulk-parse-resumes)")
            return false
        }
        return true
    }

    func end() {
        guard !done else { return }
        if !checked, !check() { return }
        body.settle()
        done = true
        let metadata = DocumentMetadata(
            id: file.id, tenant: tenant.slug, batchID: batchID, filename: filename, declaredType: declaredType,
            size: 0, sha256: [], receivedAtMilliseconds: SystemClock.shared.unixMilliseconds())
        var marked = metadata
        marked.isArchive = true
        file.finish(metadata: marked) { [self] result in
            switch result {
            case .success(let finished):
                EventLoop.spawn { [self] in await commit(finished.metadata) }
            case .failure(let error):
                release()
                exchange.respond(.error(error.isNoSpace ? 507 : 500, code: "spool_write_failed",
                                        message: "the archive could not be stored: \(error)"))
            }
        }
    }

    private func commit(_ metadata: DocumentMetadata) async {
        if let idempotency {
            let fingerprint = IdempotencyContext.fingerprint(
                route: "imports", parts: [(metadata.filename ?? "", Hex.encode(metadata.sha256))])
            idempotency.fingerprint = fingerprint
            if let replay = idempotency.replay {
                file.discard()
                release()
                return exchange.respond(idempotency.replayAnswer(replay, mine: fingerprint))
            }
        }
        do {
            try await router.spool.commit([(file, metadata)])
        } catch {
            release()
            router.logger.error("spool commit failed", metadata: ["error": "\(error)"])
            return exchange.respond(.error(500, code: "spool_write_failed",
                                           message: "the archive could not be stored: \(error)"))
        }
        release()
        await router.uploadAccepted?(batchID, tenant, nil, callbackURL, jobID)
        router.metrics.accepted(files: 1)
        var archive = JSONText.Object()
        archive.string("id", metadata.id.description)
        archive.string("filename", metadata.filename)
        archive.int("size", metadata.size)
        archive.string("sha256", Hex.encode(metadata.sha256))
        var body = JSONText.Object()
        body.string("batch_id", batchID.description)
        body.string("status", "queued")
        body.object("archive", archive)
        let response = HTTPResponse.json(202, body.finished() + [0x0A])
        await idempotency?.keepBeforeAnswering(response)
        exchange.respond(response)
    }

    private func fail(_ status: Int, _ code: String, _ message: String) {
        done = true
        body.discard()
        exchange.respond(.error(status, code: code, message: message))
    }

    func abort() {
        idempotency?.abandoned()
        done = true
        body.abandon()
    }

    private func release() { body.release() }
}
