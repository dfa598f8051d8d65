import HTTP1
import Loop

/// Holds a request while its credentials are checked (a key not cached yet, a JWT's tenant): the body is
/// paused, and what already arrived of it (at most the rest of one read) is kept, then handed to the route's
/// handler once the tenant is known. Refused, the request is answered at once and its body dropped.
@LoopActor
final class AuthGate: HTTPRequestHandler {
    private let exchange: HTTPExchange
    private var inner: (any HTTPRequestHandler)?
    private var held: [UInt8] = []
    private var ended = false
    private var aborted = false
    private var paused = true

    /// Starts checking at once; `route` builds the handler for the authenticated tenant.
    init(exchange: HTTPExchange, authenticate: @escaping @LoopActor () async -> Result<AuthenticatedTenant, AuthFailure>,
         route: @escaping @LoopActor (AuthenticatedTenant) -> any HTTPRequestHandler) {
        self.exchange = exchange
        exchange.pauseBody()
        EventLoop.spawn { [self] in await decide(authenticate, route) }
    }

    private func decide(_ authenticate: @LoopActor () async -> Result<AuthenticatedTenant, AuthFailure>,
                        _ route: @LoopActor (AuthenticatedTenant) -> any HTTPRequestHandler) async {
        let outcome = await authenticate()
        guard !aborted else { return }
        switch outcome {
        case .success(let tenant):
            let handler = route(tenant)
            inner = handler
            if !held.isEmpty {
                let bytes = held
                held = []
                bytes.withUnsafeBytes { handler.receive($0) }
            }
            resume()
            if ended { handler.end() }
        case .failure(let failure):
            exchange.respond(IngestRouter.refusal(failure))
            inner = DiscardBody.shared
            held = []
            resume()
        }
    }

    private func resume() {
        guard paused else { return }
        paused = false
        exchange.resumeBody()
    }

    func receive(_ bytes: UnsafeRawBufferPointer) {
        if let inner { inner.receive(bytes) } else { held.append(contentsOf: bytes) }
    }

    func end() {
        if let inner { inner.end() } else { ended = true }
    }

    func abort() {
        aborted = true
        held = []
        inner?.abort()
    }
}
