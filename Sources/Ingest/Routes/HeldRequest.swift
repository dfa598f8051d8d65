import HTTP1
import Loop

/// Holds a request while something is asked before its handler can be chosen (credentials not cached yet,
/// an idempotency key's state): the body is paused, and what already arrived of it (at most the rest of one
/// read) is kept, then handed to the handler `decide` returns. A handler that answered at once (a refusal)
/// gets the body only to drop it.
@LoopActor
package final class HeldRequest: HTTPRequestHandler {
    private let exchange: HTTPExchange
    private var inner: (any HTTPRequestHandler)?
    private var held: [UInt8] = []
    private var ended = false
    private var aborted = false
    private var paused = true

    /// Starts deciding at once.
    package init(exchange: HTTPExchange, decide: @escaping @LoopActor () async -> any HTTPRequestHandler) {
        self.exchange = exchange
        exchange.pauseBody()
        EventLoop.spawn { [self] in await run(decide) }
    }

    private func run(_ decide: @LoopActor () async -> any HTTPRequestHandler) async {
        let handler = await decide()
        guard !aborted else {
            handler.abort()
            return
        }
        inner = handler
        if !held.isEmpty {
            let bytes = held
            held = []
            bytes.withUnsafeBytes { handler.receive($0) }
        }
        if paused {
            paused = false
            exchange.resumeBody()
        }
        if ended { handler.end() }
    }

    package func receive(_ bytes: UnsafeRawBufferPointer) {
        if let inner { inner.receive(bytes) } else { held.append(contentsOf: bytes) }
    }

    package func end() {
        if let inner { inner.end() } else { ended = true }
    }

    package func abort() {
        aborted = true
        held = []
        inner?.abort()
    }
}
