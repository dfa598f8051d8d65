import HTTP1
import Loop

/// A route whose body is one file that the engine reads once and does not keep (a job's description):
/// streamed into a temporary file of the spool with the uploads' backpressure (never held in memory), up to
/// `MAX_FILE_SIZE`, then handed to `use` by path; the file is deleted once `use` has answered. Nothing of it is
/// acknowledged into the pipeline.
@LoopActor
public final class FileBodyHandler: HTTPRequestHandler {
    private let exchange: HTTPExchange
    private let router: IngestRouter
    private let file: SpoolFile
    private let limit: Int
    private let use: @LoopActor (_ path: String, _ size: Int) async -> HTTPResponse
    private var size = 0
    private var reserved = 0
    private var paused = false
    private var done = false

    /// A handler for `exchange`'s body, or one that has answered already (no body, or one declared too large).
    public static func make(exchange: HTTPExchange, router: IngestRouter,
                            use: @escaping @LoopActor (_ path: String, _ size: Int) async -> HTTPResponse)
        -> any HTTPRequestHandler
    {
        let limit = router.configuration.limits.maxFileBytes
        switch exchange.head.framing {
        case .none:
            return router.reject(exchange, 400, "empty_body", "the request has no body; send the file as the body")
        case .contentLength(let length) where length > limit:
            return router.reject(exchange, 413, "file_too_large",
                                 "the file is \(length) bytes; the limit is \(limit) (MAX_FILE_SIZE)")
        default:
            break
        }
        if let refused = router.refuseWhenFull(exchange) { return refused }
        return FileBodyHandler(exchange: exchange, router: router, limit: limit, use: use)
    }

    private init(exchange: HTTPExchange, router: IngestRouter, limit: Int,
                 use: @escaping @LoopActor (_ path: String, _ size: Int) async -> HTTPResponse) {
        self.exchange = exchange
        self.router = router
        self.limit = limit
        self.use = use
        file = router.spool.makeFile()
        file.onProgress = { [weak self] in self?.applyBackpressure() }
    }

    public func receive(_ bytes: UnsafeRawBufferPointer) {
        guard !done else { return }
        size += bytes.count
        if size > limit {
            return fail(413, "file_too_large", "the file is over \(limit) bytes (MAX_FILE_SIZE)")
        }
        router.spool.reserve(bytes.count)
        reserved += bytes.count
        file.append(bytes)
        applyBackpressure()
    }

    private func applyBackpressure() {
        guard !done else { return }
        let unwritten = file.bufferedBytes
        if !paused && unwritten > BulkUploadHandler.pauseAbove {
            paused = true
            exchange.pauseBody()
        } else if paused && unwritten < BulkUploadHandler.resumeBelow {
            paused = false
            exchange.resumeBody()
        }
    }

    public func end() {
        guard !done else { return }
        if paused {
            paused = false
            exchange.resumeBody()
        }
        done = true
        guard size > 0 else { return fail(400, "empty_body", "the body is empty; send the file as the body") }
        let metadata = DocumentMetadata(id: file.id, tenant: "", batchID: file.id, filename: nil, declaredType: nil,
                                        size: size, sha256: [], receivedAtMilliseconds: SystemClock.shared.unixMilliseconds())
        file.finish(metadata: metadata) { [self] result in
            switch result {
            case .success:
                EventLoop.spawn { [self] in await answer() }
            case .failure(let error):
                file.discard()
                release()
                exchange.respond(.error(error.isNoSpace ? 507 : 500, code: "spool_write_failed",
                                        message: "the file could not be stored to be read: \(error)"))
            }
        }
    }

    /// Lets `use` read the file, then drops it and answers.
    private func answer() async {
        let response = await use(file.temporaryPath, size)
        file.discard()
        release()
        exchange.respond(response)
    }

    private func fail(_ status: Int, _ code: String, _ message: String) {
        done = true
        file.discard()
        release()
        if paused {
            paused = false
            exchange.resumeBody()
        }
        exchange.respond(.error(status, code: code, message: message))
    }

    public func abort() {
        done = true
        file.discard()
        release()
    }

    private func release() {
        router.spool.release(reserved)
        reserved = 0
    }
}
