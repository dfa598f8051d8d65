import HTTP1
import ResumeModel
import Loop

/// `llm-sim`'s routes: Chat Completions, the model list, and the Batch API's files and batches.
@LoopActor
final class SimulatorRouter: HTTPRouter {
    private weak var simulator: LLMSimulator?

    init(simulator: LLMSimulator) { self.simulator = simulator }

    func handler(for exchange: HTTPExchange) -> any HTTPRequestHandler {
        let head = exchange.head
        let path = head.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first
            .map(String.init) ?? head.target
        let parts = path.split(separator: "/").map(String.init)
        let limit = simulator?.configuration.maxRequestBytes ?? 0
        switch (head.method, parts) {
        case ("POST", ["v1", "chat", "completions"]):
            exchange.route = "chat-completions"
            return CollectBody(exchange: exchange, limit: limit) { [weak simulator] in
                simulator?.chatCompletion(exchange, body: $0)
            }
        case ("GET", ["v1", "models"]):
            exchange.route = "models"
            return SimulatorReply(exchange: exchange, simulator: simulator) { $0.models() }
        case ("POST", ["v1", "files"]):
            exchange.route = "files"
            return CollectBody(exchange: exchange, limit: limit) { [weak simulator] in
                simulator?.uploadFile(exchange, body: $0)
            }
        case ("GET", let p) where p.count == 3 && p[0] == "v1" && p[1] == "files":
            exchange.route = "file"
            return SimulatorReply(exchange: exchange, simulator: simulator) { $0.file(p[2], content: false) }
        case ("GET", let p) where p.count == 4 && p[0] == "v1" && p[1] == "files" && p[3] == "content":
            exchange.route = "file-content"
            return SimulatorReply(exchange: exchange, simulator: simulator) { $0.file(p[2], content: true) }
        case ("POST", ["v1", "batches"]):
            exchange.route = "batches"
            return CollectBody(exchange: exchange, limit: limit) { [weak simulator] in
                simulator?.createBatch(exchange, body: $0)
            }
        case ("GET", let p) where p.count == 3 && p[0] == "v1" && p[1] == "batches":
            exchange.route = "batch"
            return SimulatorReply(exchange: exchange, simulator: simulator) { $0.batch(p[2]) }
        default:
            exchange.route = "unmatched"
            return SimulatorReply(exchange: exchange, simulator: simulator, authenticated: false) { _ in
                SimulatorErrorBodies.invalidURL(method: head.method, path: path)
            }
        }
    }
}

/// Collects a request's body (up to `limit` bytes, else `413`) and hands it on.
@LoopActor
final class CollectBody: HTTPRequestHandler {
    private let exchange: HTTPExchange
    private let limit: Int
    private let complete: @LoopActor ([UInt8]) -> Void
    private var body: [UInt8] = []
    private var tooLarge = false

    init(exchange: HTTPExchange, limit: Int, complete: @escaping @LoopActor ([UInt8]) -> Void) {
        self.exchange = exchange
        self.limit = limit
        self.complete = complete
    }

    func receive(_ bytes: UnsafeRawBufferPointer) {
        guard !tooLarge else { return }
        if body.count + bytes.count > limit {
            tooLarge = true
            body = []
            exchange.respond(SimulatorErrorBodies.response(413, message: "The request body exceeds \(limit) bytes."))
            return
        }
        body.append(contentsOf: bytes)
    }

    func end() {
        guard !tooLarge else { return }
        let bytes = body
        body = []
        complete(bytes)
    }

    func abort() { body = [] }
}

/// Answers a request that needs no body (after the key check, unless `authenticated` is false).
@LoopActor
final class SimulatorReply: HTTPRequestHandler {
    private let exchange: HTTPExchange
    private weak var simulator: LLMSimulator?
    private let authenticated: Bool
    private let make: @LoopActor (LLMSimulator) -> HTTPResponse

    init(exchange: HTTPExchange, simulator: LLMSimulator?, authenticated: Bool = true,
         make: @escaping @LoopActor (LLMSimulator) -> HTTPResponse) {
        self.exchange = exchange
        self.simulator = simulator
        self.authenticated = authenticated
        self.make = make
    }

    func receive(_ bytes: UnsafeRawBufferPointer) {}
    func end() {
        guard let simulator else { return }
        simulator.reply(exchange, authenticated: authenticated) { make(simulator) }
    }
    func abort() {}
}
