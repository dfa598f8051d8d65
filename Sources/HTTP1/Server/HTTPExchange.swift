import Loop
/// Receives one request's body and produces its response. Routes make one per request.
@LoopActor
public protocol HTTPRequestHandler: AnyObject {
    /// Body bytes, in order. Valid only during the call: copy what must outlive it.
    func receive(_ bytes: UnsafeRawBufferPointer)
    /// The body is complete. The handler answers through ``HTTPExchange/respond(_:)`` (now or later).
    func end()
    /// The client went away, or timed out, before the body was complete: release everything; no response.
    func abort()
}

/// Ignores a body: stands in while a route builds the real handler, and serves requests already answered.
@LoopActor
package final class DiscardBody: HTTPRequestHandler {
    package static let shared = DiscardBody()
    package func receive(_ bytes: UnsafeRawBufferPointer) {}
    package func end() {}
    package func abort() {}
}

/// Chooses the handler of each request.
@LoopActor
public protocol HTTPRouter: AnyObject {
    /// A handler for the request in `exchange`. May answer at once through `exchange`.
    func handler(for exchange: HTTPExchange) -> any HTTPRequestHandler
}

/// One request on a connection, as its handler sees it: the head, the way to answer, and body flow control.
@LoopActor
public final class HTTPExchange {
    /// The request head.
    public let head: HTTPRequestHead
    /// The route's name, for metrics (`requests by route and status`).
    public var route = "unmatched"
    /// Whether the whole body has been delivered.
    public internal(set) var bodyComplete: Bool
    /// Whether a response was given.
    public private(set) var responded = false

    /// Headers every response to this request carries (CORS, a request id), added to the response's own.
    public var extraHeaders: [(name: String, value: String)] = []
    /// Hears the response as it is sent (e.g. to keep it as an idempotent request's first answer).
    public var onRespond: (@LoopActor (HTTPResponse) -> Void)?

    package weak var connection: HTTPConnection?

    package init(head: HTTPRequestHead, connection: HTTPConnection) {
        self.head = head
        self.connection = connection
        self.bodyComplete = head.framing == .none
    }

    /// Sends the response (exactly once; later calls are ignored). Before the body is complete, this ends the
    /// connection after the response (the rest of the body is not read).
    public func respond(_ response: HTTPResponse) {
        guard !responded else { return }
        responded = true
        onRespond?(response)
        onRespond = nil
        if extraHeaders.isEmpty {
            connection?.respond(self, response)
        } else {
            var response = response
            response.headers += extraHeaders
            connection?.respond(self, response)
        }
    }

    /// Stops reading the socket (backpressure: the consumer is behind). Calls nest with ``resumeBody()``; the
    /// body's timeouts stand still meanwhile. Pauses end with the body: once it is complete (or the request
    /// failed) they no longer hold the connection, and later calls change nothing.
    public func pauseBody() { connection?.pauseReading(for: self) }

    /// Undoes one ``pauseBody()``.
    public func resumeBody() { connection?.resumeReading(for: self) }
}
