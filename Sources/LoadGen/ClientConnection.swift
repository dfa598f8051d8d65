import HTTP1
import Loop

/// How a request failed without an answer.
package enum FailureKind: String, Sendable, CaseIterable, Comparable {
    /// The connection could not be made (refused, unreachable, timed out connecting).
    case connect
    /// No whole answer within `--timeout`.
    case timeout
    /// The connection was reset (`ECONNRESET`, `EPIPE`) while the request was out.
    case reset
    /// The server closed the connection cleanly before a whole answer.
    case closed
    /// The answer was not HTTP/1.x (garbage, a bad chunk, a head too large).
    case `protocol`

    package static func < (a: FailureKind, b: FailureKind) -> Bool { a.rawValue < b.rawValue }
}

/// One request on a connection: when it was meant to go, when it went, and what it was.
struct Exchange {
    /// When the request should have been sent (open loop: its slot in the schedule; closed loop: the send).
    var intended: UInt64
    var sent: UInt64 = 0
    var deadline: UInt64 = 0
    var bytes: [UInt8]
    var files: Int
    /// The batch a poll asks about (the follower's), else -1.
    var tag: Int = -1
}

@LoopActor
protocol ClientConnectionOwner: AnyObject {
    /// The exchange got its whole answer; the connection is idle again if `connection.isUsable`.
    func connection(_ connection: ClientConnection, answered response: HTTPResponseParser.Response, exchange: Exchange)
    /// The exchange failed; the connection is closed.
    func connection(_ connection: ClientConnection, failed kind: FailureKind, exchange: Exchange, detail: String)
    /// The connection closed with no request on it: the server's keep-alive ran out (`connectError` nil), or
    /// the connection could not be made (`connectError` says why). Never called from inside `connect`: a
    /// connection that fails there is simply not ``isUsable`` when `connect` returns.
    func connectionClosed(_ connection: ClientConnection, connectError: String?)
}

/// A keep-alive HTTP/1.1 client connection that carries one request at a time (no pipelining, like every
/// browser and wrk): the request is written whole, the answer read with ``HTTPResponseParser``.
@LoopActor
final class ClientConnection: TCPStreamDelegate {
    private let stream = TCPStream()
    // unowned(unsafe): the owner closes every connection before it goes, and a closed one never calls it.
    private unowned(unsafe) let owner: any ClientConnectionOwner
    private var parser: HTTPResponseParser
    private var connected = false
    private var closed = false
    private var reused = false
    private var inConnectCall = false
    /// Why the connection could not be made, once it could not.
    private(set) var connectFailure: String?
    /// The exchange in flight, if any.
    private(set) var exchange: Exchange?
    let clock: any EngineClock

    init(owner: any ClientConnectionOwner, keepBodyBytes: Int, clock: any EngineClock) {
        self.owner = owner
        self.clock = clock
        parser = HTTPResponseParser(keepBodyBytes: keepBodyBytes)
        stream.delegate = self
    }

    /// Can take a request: not closed and none in flight.
    var isIdle: Bool { !closed && exchange == nil }
    var isUsable: Bool { !closed }
    var isBusy: Bool { exchange != nil }

    func connect(to address: IPAddress, port: Int) {
        // Strong: the callback runs once, and a weak reference would give every connection a side table, which
        // makes each of its retains and releases take the slow path.
        inConnectCall = true
        defer { inConnectCall = false }
        stream.connect(to: address, port: port) { error in
            guard !self.closed else { return }
            if let error {
                self.fail(.connect, detail: error.description)
                return
            }
            self.connected = true
            self.stream.setNoDelay()
            self.stream.startReading()
            if let exchange = self.exchange { self.write(exchange) }
        }
    }

    /// Sends `exchange` now, or as soon as the connection is up. `timeout` is in nanoseconds.
    func send(_ exchange: Exchange, timeout: UInt64, now: UInt64) {
        precondition(isIdle, "send on a busy or closed connection")
        var exchange = exchange
        exchange.deadline = now &+ timeout
        exchange.sent = now
        self.exchange = exchange
        if connected { write(exchange) }
    }

    private func write(_ exchange: Exchange) {
        // A strong capture: the connection lives until its write completes (a weak one costs a side table per
        // request, which showed in profiles).
        stream.write(exchange.bytes) { error in
            guard let error else {
                // The kernel has the bytes: the connection need not hold the request while it waits.
                self.exchange?.bytes = []
                return
            }
            guard !self.closed, self.exchange != nil else { return }
            self.fail(.reset, detail: error.description)
        }
    }

    /// Fails the exchange in flight with `timeout` if its deadline passed (called by the owner's sweep).
    func checkDeadline(now: UInt64) {
        guard let exchange, !closed, now >= exchange.deadline else { return }
        if connected {
            fail(.timeout, detail: "no whole answer in time")
        } else {
            fail(.connect, detail: "no connection in time")
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        stream.delegate = nil
        stream.close()
    }

    private func fail(_ kind: FailureKind, detail: String) {
        if kind == .connect { connectFailure = detail }
        let failed = exchange
        exchange = nil
        close()
        if let failed {
            owner.connection(self, failed: kind, exchange: failed, detail: detail)
        } else if !inConnectCall {
            owner.connectionClosed(self, connectError: kind == .connect ? detail : nil)
        }
    }

    func stream(_ stream: TCPStream, didRead bytes: UnsafeRawBufferPointer) {
        guard !closed else { return }
        guard exchange != nil else {
            // Bytes nobody asked for: the server is not speaking HTTP/1.1 request-response.
            close()
            owner.connectionClosed(self, connectError: nil)
            return
        }
        do {
            switch try parser.feed(bytes) {
            case .needMore:
                return
            case .complete(let response, let consumed):
                guard consumed == bytes.count else {
                    fail(.protocol, detail: "bytes after the answer")
                    return
                }
                let done = exchange!
                exchange = nil
                reused = true
                if !response.keepAlive { close() }
                owner.connection(self, answered: response, exchange: done)
            }
        } catch {
            fail(.protocol, detail: error.description)
        }
    }

    func streamDidEnd(_ stream: TCPStream, error: UVError?) {
        guard !closed else { return }
        if exchange == nil {
            close()
            owner.connectionClosed(self, connectError: nil)
            return
        }
        if error == nil, let response = parser.finish() {
            let done = exchange!
            exchange = nil
            close()
            owner.connection(self, answered: response, exchange: done)
            return
        }
        if let error {
            fail(error.name == "ECONNRESET" || error.name == "EPIPE" ? .reset : .closed, detail: error.description)
        } else {
            fail(.closed, detail: "the server closed the connection before a whole answer")
        }
    }
}
