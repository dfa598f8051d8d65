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
    private let body: SpoolBody
    private let limit: Int
    private let use: @LoopActor (_ path: String, _ size: Int) async -> HTTPResponse
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
        body = SpoolBody(exchange: exchange, spool: router.spool)
    }

    public func receive(_ bytes: UnsafeRawBufferPointer) {
        guard !done else { return }
        if body.size + bytes.count > limit {
            return fail(413, "file_too_large", "the file is over \(limit) bytes (MAX_FILE_SIZE)")
        }
        body.append(bytes)
    }

    public func end() {
        guard !done else { return }
        done = true
        body.settle()
        guard body.size > 0 else { return fail(400, "empty_body", "the body is empty; send the file as the body") }
        let file = body.file
        let metadata = DocumentMetadata(id: file.id, tenant: "", batchID: file.id, filename: nil, declaredType: nil,
                                        size: body.size, sha256: [],
                                        receivedAtMilliseconds: SystemClock.shared.unixMilliseconds())
        file.finish(metadata: metadata) { [self] result in
            switch result {
            case .success:
                EventLoop.spawn { [self] in await answer() }
            case .failure(let error):
                body.discard()
                exchange.respond(.error(error.isNoSpace ? 507 : 500, code: "spool_write_failed",
                                        message: "the file could not be stored to be read: \(error)"))
            }
        }
    }

    /// Lets `use` read the file, then drops it and answers.
    private func answer() async {
        let response = await use(body.file.temporaryPath, body.size)
        body.discard()
        exchange.respond(response)
    }

    private func fail(_ status: Int, _ code: String, _ message: String) {
        done = true
        body.discard()
        exchange.respond(.error(status, code: code, message: message))
    }

    public func abort() {
        done = true
        body.abandon()
    }
}
