import Loop
/// What an ``HTTPServer`` allows a connection: how many at once, how long each phase may take, how large a
/// request head may be. The stage that owns the server fills it from its own configuration.
public struct HTTPServerLimits: Sendable, Equatable {
    /// Open connections at most; further ones are answered `503` and closed.
    public var maxConnections = 4096
    /// Time to receive a whole request head, from its first byte (slowloris gets `408`).
    public var headerTimeoutMilliseconds = 10_000
    /// Longest silence while a body is arriving (`408`).
    public var bodyIdleTimeoutMilliseconds = 30_000
    /// How long an idle keep-alive connection stays open.
    public var keepAliveTimeoutMilliseconds = 60_000
    /// Request line plus headers, in bytes.
    public var maxHeaderBytes = 32 * 1024
    /// Header fields per request.
    public var maxHeaderCount = 100
    /// Open connections from one client address at most; further ones are answered `503` and closed.
    public var maxConnectionsPerClient = 256
    /// A body must bring at least this many bytes in every ``bodyRateWindowMilliseconds`` (`408`).
    public var minBodyBytesPerWindow = 4096
    /// The window of ``minBodyBytesPerWindow``.
    public var bodyRateWindowMilliseconds = 10_000
    /// Time to receive a whole request, from the first byte of its head to the last of its body (`408`).
    public var requestTimeoutMilliseconds = 600_000
    /// Response bytes a connection may have queued and not yet sent: above it the connection stops reading
    /// requests until the client has taken them down to half of it.
    public var maxUnsentResponseBytes = 1 << 20
    /// How long a connection may stay above ``maxUnsentResponseBytes`` before it is closed (a client that
    /// sends requests and never reads the answers).
    public var sendStallTimeoutMilliseconds = 30_000
    /// Largest chunk-size a chunked body may declare (`413`).
    public var maxChunkBytes = 1 << 30

    public init() {}
}

/// What an ``HTTPServer`` reports as it works (the owner's metrics); every call is on the loop.
@LoopActor
public protocol HTTPServerObserver: AnyObject {
    /// Bytes read from a client socket, headers included.
    func received(bytes: Int)
    /// A response was sent for `route` (`"invalid"` for requests that did not parse, `"connection"` for
    /// connections refused at the cap).
    func request(route: String, status: Int)
    /// Connections now open.
    func connections(_ count: Int)
    /// Response bytes queued on every connection and not yet taken by the kernel.
    func unsentResponseBytes(_ total: Int)
}

/// An observer that keeps nothing, for servers without metrics (the LLM simulator, tests).
@LoopActor
public final class UnobservedHTTPServer: HTTPServerObserver {
    public init() {}
    public func received(bytes: Int) {}
    public func request(route: String, status: Int) {}
    public func connections(_ count: Int) {}
    public func unsentResponseBytes(_ total: Int) {}
}
