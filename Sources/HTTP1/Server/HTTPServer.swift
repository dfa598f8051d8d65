import Logging
import Loop
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on the loop: accepts connections up to a cap and serves them through a router.
@LoopActor
public final class HTTPServer {
    package let limits: HTTPServerLimits
    package let router: any HTTPRouter
    package let metrics: any HTTPServerObserver
    package let parserLimits: HTTPParserLimits
    /// Where connections read the time for their deadlines, and the `Date` header its second.
    let clock: any EngineClock
    private let logger: Logger
    private var listener: TCPListener?
    private var connections: [ObjectIdentifier: HTTPConnection] = [:]
    /// Open connections by client address.
    private var perClient: [String: Int] = [:]
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    private var unsentTotal = 0
    private var dateCache: (second: Int, text: String) = (0, "")
    /// Whether shutdown has begun: no new connections, no keep-alive.
    public private(set) var isDraining = false

    public init(limits: HTTPServerLimits, router: any HTTPRouter, metrics: any HTTPServerObserver, logger: Logger,
                clock: any EngineClock = SystemClock.shared) {
        self.limits = limits
        self.clock = clock
        self.router = router
        self.metrics = metrics
        self.logger = logger
        self.parserLimits = HTTPParserLimits(maxRequestLineBytes: min(8192, limits.maxHeaderBytes),
                                             maxHeaderBytes: limits.maxHeaderBytes,
                                             maxHeaderCount: limits.maxHeaderCount,
                                             maxChunkBytes: limits.maxChunkBytes)
    }

    /// Binds and listens; returns the port bound.
    @discardableResult
    public func start(host: String, port: Int) throws -> Int {
        let listener = try TCPListener(host: host, port: port, onAccept: { [weak self] stream in
            self?.accept(stream)
        }, onError: { [weak self] error in
            self?.logger.warning("accept failed", metadata: ["error": "\(error)"])
        })
        self.listener = listener
        return listener.port
    }

    /// The port bound, once started.
    public var port: Int? { listener?.port }

    /// Open connections.
    public var connectionCount: Int { connections.count }

    private func accept(_ stream: TCPStream) {
        if isDraining {
            stream.close()
            return
        }
        if connections.count >= limits.maxConnections {
            return refuse(stream, code: "too_many_connections",
                          message: "the server holds \(limits.maxConnections) connections already; retry shortly")
        }
        let address = stream.peerAddress
        if let address, perClient[address, default: 0] >= limits.maxConnectionsPerClient {
            return refuse(stream, code: "too_many_client_connections", message: """
                \(address) holds \(limits.maxConnectionsPerClient) connections already; reuse them or retry shortly
                """)
        }
        let connection = HTTPConnection(stream: stream, clientAddress: address, server: self)
        connections[ObjectIdentifier(connection)] = connection
        if let address { perClient[address, default: 0] += 1 }
        metrics.connections(connections.count)
    }

    /// Answers a connection over a cap with `503` and closes it.
    private func refuse(_ stream: TCPStream, code: String, message: String) {
        let response = HTTPResponse.error(503, code: code, message: message, headers: [("Retry-After", "1")])
        stream.write(response.encode(keepAlive: false, date: currentDate()))
        stream.shutdown { stream.close() }
        metrics.request(route: "connection", status: 503)
    }

    package func connectionClosed(_ connection: HTTPConnection) {
        guard connections.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return }
        if let address = connection.clientAddress {
            let left = perClient[address, default: 1] - 1
            perClient[address] = left > 0 ? left : nil
        }
        metrics.connections(connections.count)
        if isDraining && connections.isEmpty {
            let waiters = drainWaiters
            drainWaiters = []
            waiters.forEach { $0.resume() }
        }
    }

    /// A connection's queued, unsent response bytes changed by `delta`.
    package func unsentChanged(by delta: Int) {
        unsentTotal += delta
        metrics.unsentResponseBytes(unsentTotal)
    }

    /// Graceful shutdown: stop accepting, close idle connections, let requests in flight finish for up to
    /// `graceMilliseconds`, then close whatever is left (their uploads are discarded, never acknowledged).
    public func shutdown(graceMilliseconds: Int) async {
        isDraining = true
        listener?.close()
        listener = nil
        for connection in connections.values { connection.drain() }
        if !connections.isEmpty {
            let deadline = UVTimer()
            deadline.schedule(after: UInt64(graceMilliseconds)) { [weak self] in
                guard let self else { return }
                if !self.connections.isEmpty {
                    self.logger.warning("shutdown grace expired", metadata: ["open": "\(self.connections.count)"])
                }
                for connection in Array(self.connections.values) { connection.close() }
            }
            await withCheckedContinuation(isolation: LoopActor.shared) { drainWaiters.append($0) }
            deadline.close()
        }
    }

    /// The `Date` header value, cached per second.
    package func currentDate() -> String {
        let now = clock.unixSeconds()
        if dateCache.second != now { dateCache = (now, HTTPResponse.httpDate(now)) }
        return dateCache.text
    }
}
