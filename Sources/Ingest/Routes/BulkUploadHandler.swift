import HTTP1
import Loop
import Logging

/// `POST /api/v1/bulk-parse-resumes`: streams every `files` part of a multipart body into the spool and
/// answers `202` once all of them are durable.
///
/// Bytes flow socket → (zstd) → ``MultipartParser`` → ``SpoolFile`` (copied, then written and hashed on the
/// pool). Nothing is held whole: when the files' unwritten bytes pass `pauseAbove`, the socket stops being
/// read until they drop below `resumeBelow`. A part larger than `MAX_FILE_SIZE` is rejected alone (its
/// bytes dropped, the rest kept). The request is acknowledged as a whole: if it fails or the client leaves,
/// none of its files reach `incoming/`.
@LoopActor
package final class BulkUploadHandler: HTTPRequestHandler {
    /// Unwritten bytes above which the socket is paused: one write in flight plus one gathering, so a
    /// connection holds about 2 × 128 KiB plus a read, whatever the upload's size.
    package nonisolated static let pauseAbove = 2 * SpoolFile.flushThreshold
    /// Unwritten bytes below which a paused socket is resumed.
    package nonisolated static let resumeBelow = SpoolFile.flushThreshold
    /// Files of one request finishing (their last write and two fsyncs) at once; past it the socket is paused
    /// until some are done, so a flood of tiny parts cannot queue thousands of fsyncs.
    package nonisolated static let maxFinishing = 16

    /// Whether the socket should be paused: when the memory reserved for unwritten bytes passes
    /// ``pauseAbove`` or too many files are finishing; once paused, until the unwritten bytes drop below
    /// ``resumeBelow`` and the files below ``maxFinishing``. Resuming looks at bytes, not reservations: a
    /// buffer below the write threshold is never written, so waiting for its capacity to shrink would wait
    /// forever.
    package nonisolated static func shouldPause(reserved: Int, unwritten: Int, finishing: Int, paused: Bool) -> Bool {
        if finishing >= maxFinishing { return true }
        return paused ? unwritten >= resumeBelow : reserved > pauseAbove
    }

    /// Decompressed bytes one turn of the loop may produce for a zstd body; the rest of the read waits (the
    /// socket paused) for the next turn, so a small read that inflates a lot never holds the loop.
    package static let decodeSlice = 1 << 20

    /// What happens to the bytes of the part being parsed.
    private enum Part {
        /// Before the first part, or between parts.
        case none
        /// A file part being spooled (index into `results`).
        case file(SpoolFile, Int)
        /// A part whose bytes are dropped: rejected (index into `results`) or a plain form field (nil).
        case skip(Int?)
    }

    /// One entry of the response's `files` array.
    private struct Result {
        package var filename: String?
        package var declaredType: String?
        package var file: SpoolFile?
        package var finished: SpoolFile.Finished?
        package var failure: SystemError?
        package var error: (code: String, message: String)?
    }

    private let exchange: HTTPExchange
    private let router: IngestRouter
    /// Who the upload is for.
    private let tenant: AuthenticatedTenant
    /// The request's `Idempotency-Key`, when it has one.
    private var idempotency: IdempotencyContext?
    /// `?wait=SECONDS`: answer with the results once done (or at the deadline).
    private var wait: Double?
    /// `?callback_url=`: where the batch's completion webhook goes (else the tenant's).
    private var callbackURL: String?
    /// `?job_id=`: the job the upload's documents are scored for.
    private var jobID: String?
    private let started = SystemClock.shared.monotonicNanoseconds()
    private let limits: IngestLimits
    private var parser: MultipartParser
    private var decoder: ZstdStreamDecoder?
    private var part = Part.none
    private var results: [Result] = []
    private var bodyBytes = 0
    private var reserved = 0
    private var paused = false
    private var done = false
    /// zstd input not decoded yet (the decoder stopped at ``decodeSlice``), and whether output is pending.
    private var compressed: [UInt8] = []
    private var decoderHasMore = false
    /// The socket is paused until `compressed` is decoded; `end()` came meanwhile.
    private var decodingPaused = false
    private var endAfterDecoding = false
    private var sliceTimer: UVTimer?
    private let batchID = DocumentID()
    /// Files whose final write and fsync are still running.
    private var finishing = 0
    /// Runs once `finishing` drops to zero.
    private var waitingForFiles: (@LoopActor () -> Void)?

    /// Checks the head; answers at once (and returns a sink for the body) when the request cannot be taken.
    package static func make(exchange: HTTPExchange, router: IngestRouter, tenant: AuthenticatedTenant,
                             idempotency: IdempotencyContext? = nil, jobID: String? = nil) -> any HTTPRequestHandler
    {
        let head = exchange.head
        let limits = router.configuration.limits
        func reject(_ status: Int, _ code: String, _ message: String) -> any HTTPRequestHandler {
            router.reject(exchange, status, code, message)
        }
        if let refused = router.refuseWhenFull(exchange) { return refused }
        guard let contentType = head.headers.first("Content-Type"),
              let boundary = MultipartParser.boundary(fromContentType: contentType)
        else {
            return reject(415, "unsupported_media_type",
                          "expected Content-Type: multipart/form-data with a boundary parameter")
        }
        var decoder: ZstdStreamDecoder?
        switch head.headers.first("Content-Encoding")?.lowercased().trimmingWhitespace() {
        case nil, "", "identity":
            break
        case "zstd":
            decoder = ZstdStreamDecoder(maxOutputBytes: min(limits.maxDecompressedBytes, limits.maxRequestBytes))
        case let other?:
            return reject(415, "unsupported_content_encoding",
                          "Content-Encoding \(other) is not supported; send identity or zstd")
        }
        if head.framing == .none {
            return reject(400, "empty_body", "the request has no body; send multipart/form-data with files parts")
        }
        var callbackURL: String?
        switch router.callbackURL(exchange) {
        case .success(let url): callbackURL = url
        case .failure(let refusal): return reject(refusal.status, refusal.code, refusal.message)
        }
        var wait: Double?
        if let text = QueryString.value("wait", in: head.target) {
            guard let seconds = Double(text), seconds >= 0, seconds <= IngestRouter.maxWaitSeconds else {
                return reject(400, "invalid_parameter",
                              "wait must be a number of seconds from 0 to \(Int(IngestRouter.maxWaitSeconds))")
            }
            guard router.waiter != nil else {
                return reject(400, "wait_unsupported", "?wait needs the database (DATABASE_URL) to read results from")
            }
            wait = seconds
        }
        if case .contentLength(let length) = head.framing, length > limits.maxRequestBytes {
            return reject(413, "request_too_large",
                          "the body is \(length) bytes; the limit is \(limits.maxRequestBytes) (MAX_REQUEST_SIZE)")
        }
        let parser: MultipartParser
        do {
            parser = try MultipartParser(boundary: boundary, limits: MultipartLimits(
                maxPartCount: limits.maxFilesPerRequest))
        } catch {
            return reject(error.status, error.code, error.message)
        }
        let handler = BulkUploadHandler(exchange: exchange, router: router, tenant: tenant, parser: parser,
                                        decoder: decoder)
        handler.idempotency = idempotency
        handler.wait = wait
        handler.callbackURL = callbackURL
        handler.jobID = jobID
        return handler
    }

    private init(exchange: HTTPExchange, router: IngestRouter, tenant: AuthenticatedTenant, parser: MultipartParser,
                 decoder: consuming ZstdStreamDecoder?) {
        self.exchange = exchange
        self.tenant = tenant
        self.router = router
        self.limits = router.configuration.limits
        self.parser = parser
        self.decoder = decoder
    }

    // MARK: Body

    package func receive(_ bytes: UnsafeRawBufferPointer) {
        guard !done else { return }
        if decoder != nil {
            // Pausing takes effect after the read being parsed: bytes of it still to come queue behind the
            // undecoded rest, in order (at most one read).
            if !compressed.isEmpty || decoderHasMore {
                compressed.append(contentsOf: bytes)
                return
            }
            decodeSlice(bytes)
        } else {
            parse(bytes)
        }
        applyBackpressure()
    }

    /// Decodes up to ``decodeSlice`` bytes of output from `input`; keeps what is left for the next turn.
    private func decodeSlice(_ input: UnsafeRawBufferPointer) {
        let progress: ZstdStreamDecoder.Progress
        do throws(ZstdStreamDecoder.Failure) {
            progress = try decoder!.decode(input, budget: Self.decodeSlice) { out in parse(out) }
        } catch {
            return fail(error)
        }
        guard !done else { return }
        decoderHasMore = progress.more
        compressed = Array(input[progress.consumed...])
        if compressed.isEmpty && !decoderHasMore {
            if decodingPaused {
                decodingPaused = false
                exchange.resumeBody()
            }
            if endAfterDecoding { end() }
            return
        }
        if !decodingPaused {
            decodingPaused = true
            exchange.pauseBody()
        }
        let timer = sliceTimer ?? UVTimer()
        sliceTimer = timer
        // A timer, not a task: the loop polls its sockets before timers run again.
        // Strong: after `end()` the connection lets go of the handler, and the timer keeps it until it fires.
        timer.schedule(after: 0) { [self] in decodeCompressed() }
    }

    private func decodeCompressed() {
        guard !done else { return }
        let pending = compressed
        pending.withUnsafeBytes { decodeSlice($0) }
        applyBackpressure()
    }

    private func parse(_ bytes: UnsafeRawBufferPointer) {
        guard !done else { return }
        bodyBytes += bytes.count
        if bodyBytes > limits.maxRequestBytes {
            fail(status: 413, code: "request_too_large",
                 message: "the body exceeds \(limits.maxRequestBytes) bytes (MAX_REQUEST_SIZE)")
            return
        }
        do throws(MultipartError) {
            try parser.parse(bytes) { event in handle(event) }
        } catch {
            fail(status: error.status, code: error.code, message: error.message)
        }
    }

    private func handle(_ event: MultipartEvent) {
        switch event {
        case .partBegin(let head):
            beginPart(head)
        case .body(let bytes):
            switch part {
            case .file(let file, let index):
                if file.size + bytes.count > limits.maxFileBytes {
                    file.discard()
                    results[index].file = nil
                    results[index].error = ("file_too_large",
                                            "the file exceeds \(limits.maxFileBytes) bytes (MAX_FILE_SIZE)")
                    part = .skip(index)
                } else {
                    // Only bytes kept count against the spool's mark: a preamble, a skipped part or an
                    // oversized file's rest, decompressed and thrown away, must not fill it for everyone.
                    router.spool.reserve(bytes.count)
                    reserved += bytes.count
                    file.append(bytes)
                }
            case .skip, .none:
                break
            }
        case .partEnd:
            if case .file(let file, let index) = part {
                finishing += 1
                let metadata = DocumentMetadata(
                    id: file.id, tenant: tenant.slug, batchID: batchID, filename: results[index].filename,
                    declaredType: results[index].declaredType, size: 0, sha256: [],
                    receivedAtMilliseconds: SystemClock.shared.unixMilliseconds())
                file.finish(metadata: metadata) { [self] result in
                    finishing -= 1
                    switch result {
                    case .success(let finished): results[index].finished = finished
                    case .failure(let error): results[index].failure = error
                    }
                    if finishing == 0, let waiting = waitingForFiles {
                        waitingForFiles = nil
                        waiting()
                    } else {
                        applyBackpressure()
                    }
                }
            }
            part = .none
        case .end:
            break
        }
    }

    private func beginPart(_ head: MultipartPartHead) {
        guard head.name == "files" else {
            if head.filename != nil {
                results.append(Result(filename: head.filename, declaredType: head.contentType, error: (
                    "unexpected_field", "file parts must be named \"files\"; this one is named \"\(head.name)\"")))
                part = .skip(results.count - 1)
            } else {
                part = .skip(nil)
            }
            return
        }
        let file = router.spool.makeFile()
        file.onProgress = { [weak self] in self?.applyBackpressure() }
        results.append(Result(filename: head.filename, declaredType: head.contentType, file: file))
        part = .file(file, results.count - 1)
    }

    private var unwrittenBytes: Int {
        results.reduce(0) { $0 + ($1.file?.bufferedBytes ?? 0) }
    }

    private var reservedBytes: Int {
        results.reduce(0) { $0 + ($1.file?.reservedBytes ?? 0) }
    }

    private func applyBackpressure() {
        guard !done else { return }
        let pause = Self.shouldPause(reserved: reservedBytes, unwritten: unwrittenBytes, finishing: finishing,
                                     paused: paused)
        if pause && !paused {
            paused = true
            exchange.pauseBody()
        } else if !pause && paused {
            paused = false
            exchange.resumeBody()
        }
    }

    // MARK: End

    package func end() {
        guard !done else { return }
        if !compressed.isEmpty || decoderHasMore {
            endAfterDecoding = true
            return
        }
        closeSliceTimer()
        do throws(ZstdStreamDecoder.Failure) {
            try decoder?.finish()
        } catch {
            return fail(error)
        }
        do throws(MultipartError) {
            try parser.finish()
        } catch {
            return fail(status: error.status, code: error.code, message: error.message)
        }
        if paused {
            paused = false
            exchange.resumeBody()
        }
        done = true
        let proceed: @LoopActor () -> Void = { [self] in startCompletion() }
        if finishing == 0 { proceed() } else { waitingForFiles = proceed }
    }

    private func startCompletion() {
        let handler = self
        EventLoop.spawn { await handler.complete() }
    }

    private func complete() async {
        var entries: [(file: SpoolFile, metadata: DocumentMetadata)] = []
        var writeFailure: SystemError?
        for index in results.indices {
            guard let file = results[index].file else { continue }
            if let failure = results[index].failure {
                writeFailure = writeFailure ?? failure
            } else if let finished = results[index].finished {
                entries.append((file, finished.metadata))
            }
        }
        if let writeFailure {
            discardAll()
            releaseReservation()
            router.logger.error("spool write failed", metadata: ["error": "\(writeFailure)"])
            return exchange.respond(.error(
                writeFailure.isNoSpace ? 507 : 500, code: "spool_write_failed",
                message: "the upload could not be stored: \(writeFailure)",
                headers: [("Retry-After", String(router.spool.marks.retryAfterSeconds))]))
        }
        guard !results.isEmpty else {
            releaseReservation()
            return exchange.respond(.error(400, code: "no_files",
                                           message: "the body holds no file parts; send one or more parts named \"files\""))
        }
        // An idempotent request: its fingerprint is its files' names and digests (or refusals), in order. A
        // repeat of a finished request is answered from the first answer (or 422) and keeps nothing.
        if let idempotency {
            let fingerprint = IdempotencyContext.fingerprint(route: "bulk-parse-resumes", parts: results.map {
                ($0.filename ?? "", $0.finished.map { Hex.encode($0.metadata.sha256) } ?? ($0.error?.code ?? "-"))
            })
            idempotency.fingerprint = fingerprint
            if let replay = idempotency.replay {
                discardAll()
                releaseReservation()
                return exchange.respond(idempotency.replayAnswer(replay, mine: fingerprint))
            }
        }
        // The monthly limit, before anything is acknowledged: refused, none of the files is kept.
        var reservedDocuments = 0
        if let usage = router.usage, tenant.monthlyLimit != nil, !entries.isEmpty {
            switch await usage.reserve(tenant, documents: entries.count) {
            case .granted:
                reservedDocuments = entries.count
            case .refused(let used, let limit):
                discardAll()
                releaseReservation()
                if used >= limit { router.noteAtLimit(tenant, used: used, limit: limit) }
                return exchange.respond(.error(402, code: "quota_exceeded",
                                               message: QuotaAnswer.message(used: used, limit: limit)))
            case .unavailable(let why):
                discardAll()
                releaseReservation()
                return exchange.respond(.error(503, code: "quota_unavailable",
                                               message: "the monthly document count cannot be checked now (\(why)); retry shortly",
                                               headers: [("Retry-After", "5")]))
            }
        }
        do {
            try await router.spool.commit(entries)
        } catch {
            if reservedDocuments > 0 { await router.usage?.release(tenant, documents: reservedDocuments) }
            releaseReservation()
            router.logger.error("spool commit failed", metadata: ["error": "\(error)"])
            return exchange.respond(.error(500, code: "spool_write_failed",
                                           message: "the upload could not be stored: \(error)"))
        }
        releaseReservation()
        let accepted = entries.count
        if accepted > 0 { await router.uploadAccepted?(batchID, tenant, accepted, callbackURL, jobID) }
        router.metrics.accepted(files: accepted)
        router.metrics.rejected(files: results.count - accepted)
        var body = JSONText.Object()
        if accepted == 0 {
            var error = JSONText.Object()
            error.string("code", "all_files_rejected")
            error.string("message", "every file part was rejected; see files[].error")
            body.object("error", error)
        }
        body.string("batch_id", batchID.description)
        body.array("files", results.map(Self.describe))
        var response = HTTPResponse.json(accepted == 0 ? 413 : 202, body.finished() + [0x0A])
        if accepted > 0, let wait, let waiter = router.waiter,
           let done = await waiter.wait(batch: batchID, tenant: tenant, seconds: wait, files: accepted) {
            // The synchronous answer (the shape of the service this engine replaces), plus where to poll.
            var sync = JSONText.Object()
            sync.string("batch_id", batchID.description)
            sync.bool("completed", done.completed)
            sync.int("count", results.count)
            sync.int("ok", done.ok)
            sync.int("elapsed_ms", Int((SystemClock.shared.monotonicNanoseconds() - started) / 1_000_000))
            sync.raw("results", done.results)
            sync.array("rejected", results.filter { $0.finished == nil }.map(Self.describe))
            sync.string("poll", "/api/v1/batches/\(batchID)")
            response = .json(done.completed ? 200 : 202, sync.finished() + [0x0A])
        }
        await idempotency?.keepBeforeAnswering(response)
        exchange.respond(response)
    }

    private static func describe(_ result: Result) -> JSONText.Object {
        var o = JSONText.Object()
        if let file = result.file, let finished = result.finished {
            o.string("id", file.id.description)
            o.string("filename", result.filename)
            o.int("size", finished.metadata.size)
            o.string("sha256", Hex.encode(finished.metadata.sha256))
            o.string("status", "queued")
        } else {
            o.string("id", nil)
            o.string("filename", result.filename)
            o.string("status", "rejected")
            var error = JSONText.Object()
            error.string("code", result.error?.code ?? "rejected")
            error.string("message", result.error?.message ?? "rejected")
            o.object("error", error)
        }
        return o
    }

    // MARK: Failure

    private func fail(_ failure: ZstdStreamDecoder.Failure) {
        switch failure {
        case .corrupt(let why):
            fail(status: 400, code: "invalid_zstd", message: "the zstd body is corrupt: \(why)")
        case .tooLarge(let limit):
            fail(status: 413, code: "decompressed_too_large",
                 message: "the body decompresses to more than \(limit) bytes (MAX_DECOMPRESSED_SIZE)")
        case .truncated:
            fail(status: 400, code: "invalid_zstd", message: "the zstd body ends inside a frame")
        case .ratioExceeded(let limit):
            fail(status: 413, code: "decompression_ratio_exceeded",
                 message: "the body decompresses to more than \(limit) times its compressed size")
        case .windowTooLarge(let limit):
            fail(status: 413, code: "zstd_window_too_large",
                 message: "a zstd frame needs a window above \(limit >> 20) MiB; compress at level 19 or below, "
                    + "without --long")
        }
    }

    /// Answers with an error and drops every file of the request.
    private func fail(status: Int, code: String, message: String) {
        guard !done else { return }
        done = true
        discardAll()
        releaseReservation()
        if decodingPaused {
            // Undo this handler's pause, so the connection can read on (to discard the rest or close).
            decodingPaused = false
            exchange.resumeBody()
        }
        exchange.respond(.error(status, code: code, message: message))
    }

    package func abort() {
        idempotency?.abandoned()
        guard !done else { return }
        done = true
        discardAll()
        releaseReservation()
    }

    private func discardAll() {
        for result in results { result.file?.discard() }
        part = .none
        compressed = []
        closeSliceTimer()
    }

    private func closeSliceTimer() {
        sliceTimer?.close()
        sliceTimer = nil
    }

    private func releaseReservation() {
        router.spool.release(reserved)
        reserved = 0
    }
}
