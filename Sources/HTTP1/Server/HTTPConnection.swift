import Loop
import Logging

/// One client connection: feeds socket bytes through ``HTTPRequestParser``, hands each request to a handler,
/// writes responses in request order, and enforces the timeouts that ``HTTPConnectionTimer`` decides.
///
/// Requests are served one at a time: once a request's body is complete, reading stops until its response
/// is queued, and bytes of pipelined requests that already arrived wait in `stash`. That answers pipelined
/// requests in order and lets TCP flow control hold back a client that runs ahead. Responses the client does
/// not read are held back the same way: above ``HTTPServerLimits/maxUnsentResponseBytes`` queued and unsent,
/// no further request is read or parsed until the client has taken them down to half of it, and a client
/// that stays above it for ``HTTPServerLimits/sendStallTimeoutMilliseconds`` is closed.
@LoopActor
package final class HTTPConnection: TCPStreamDelegate {
    /// Where the connection is in its request/response cycle.
    package enum State {
        /// Between requests, or reading a request head. Next: `receiving`, `closing`.
        case idle
        /// Head received, body streaming to the handler. Next: `awaitingResponse` (body done), `closing`.
        case receiving(HTTPExchange, any HTTPRequestHandler)
        /// Body complete, reading paused, the handler is working. Next: `idle` (keep-alive) or `closing`.
        case awaitingResponse(HTTPExchange)
        /// Going away: the last response is being flushed, or the rest of an unread body is discarded.
        case closing
    }

    package let stream: TCPStream
    /// The client's address, as counted against ``HTTPServerLimits/maxConnectionsPerClient``.
    package let clientAddress: String?
    private weak var serverReference: HTTPServer?
    private var server: HTTPServer { serverReference! }
    private var parser: HTTPRequestParser
    private var state = State.idle
    private var stash: [UInt8] = []
    private let clock: any EngineClock
    private let timer = UVTimer()
    private var timers: HTTPConnectionTimer
    /// Pauses the current request's handler asked for (backpressure); they end with its body.
    private var pauses = 0
    /// Whether unsent responses are above the server's mark: nothing more is read or parsed.
    private var sendBlocked = false
    private var inParse = false
    private var peerClosed = false
    private var closed = false
    /// This connection's unsent bytes as last counted in the server's total.
    private var reportedUnsent = 0

    package init(stream: TCPStream, clientAddress: String?, server: HTTPServer) {
        self.stream = stream
        self.clientAddress = clientAddress
        self.serverReference = server
        self.parser = HTTPRequestParser(limits: server.parserLimits)
        self.clock = server.clock
        self.timers = HTTPConnectionTimer(timeouts: .init(server.limits), openedAt: server.clock.monotonicNanoseconds())
        stream.delegate = self
        stream.setNoDelay()
        run(timers.opened())
        stream.startReading()
    }

    /// Whether the connection has no request in progress (shutdown closes such connections at once).
    package var isIdle: Bool {
        if case .idle = state { return parser.isIdle && stash.isEmpty }
        return false
    }

    // MARK: Reading

    package func stream(_ stream: TCPStream, didRead bytes: UnsafeRawBufferPointer) {
        server.metrics.received(bytes: bytes.count)
        switch state {
        case .closing:
            return
        case .receiving:
            break
        case .awaitingResponse:
            // Reading is stopped while a response is pending; a read that was already queued lands here.
            stash.append(contentsOf: bytes)
            return
        case .idle:
            // Held back behind unsent responses, or behind pipelined bytes not parsed yet: keep the order.
            if sendBlocked || !stash.isEmpty {
                stash.append(contentsOf: bytes)
                stream.stopReading()
                return
            }
        }
        feed(bytes)
    }

    private func feed(_ input: UnsafeRawBufferPointer) {
        defer { readIfReady() }
        var offset = 0
        while offset < input.count {
            switch state {
            case .closing:
                return
            case .awaitingResponse:
                stash.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[offset...]))
                stream.stopReading()
                return
            case .idle where sendBlocked && parser.isIdle:
                // Between requests with too much unsent: the next requests wait until the client reads.
                stash.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[offset...]))
                stream.stopReading()
                return
            case .idle, .receiving:
                break
            }
            let consumed: Int
            do {
                inParse = true
                defer { inParse = false }
                consumed = try parser.parse(UnsafeRawBufferPointer(rebasing: input[offset...])) { event in
                    handle(event)
                }
            } catch {
                failRequest(status: error.status, code: error.code, message: error.message)
                return
            }
            offset += consumed
            // A head begun and not complete: its time runs from here (later calls change nothing).
            if case .idle = state, !parser.isIdle { run(timers.headStarted(at: clock.monotonicNanoseconds())) }
            if consumed == 0 { break }
        }
    }

    private func handle(_ event: HTTPParserEvent) {
        switch event {
        case .head(let head):
            let exchange = HTTPExchange(head: head, connection: self)
            state = .receiving(exchange, DiscardBody.shared)
            let handler = server.router.handler(for: exchange)
            guard case .receiving(let current, _) = state, current === exchange else { return }
            state = .receiving(exchange, handler)
            if head.framing != .none && head.expectsContinue && !exchange.responded {
                send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            }
            run(timers.headComplete(at: clock.monotonicNanoseconds(), expectingBody: head.framing != .none))
        case .body(let bytes):
            guard case .receiving(_, let handler) = state else { return }
            // Body bytes (framing aside) hold off the idle deadline and count for the rate; a rate window that
            // ended with too few fails the request here.
            run(timers.bytesArrived(bytes.count, at: clock.monotonicNanoseconds()))
            if case .receiving = state { handler.receive(bytes) }
        case .end:
            guard case .receiving(let exchange, let handler) = state else { return }
            exchange.bodyComplete = true
            state = .awaitingResponse(exchange)
            // The handler's pauses belong to the body, which is over: a handler that fails without undoing
            // them must not leave the connection deaf to the next request.
            pauses = 0
            run(timers.bodyComplete())
            // Pipelined bytes wait in the kernel (and `stash`) until this response is out: TCP flow control,
            // not memory, holds back a client that runs ahead.
            stream.stopReading()
            handler.end()
        }
    }

    package func streamDidEnd(_ stream: TCPStream, error: UVError?) {
        peerClosed = true
        switch state {
        case .receiving(let exchange, let handler):
            // The client went away mid-request: nothing of it may be acknowledged.
            state = .closing
            if !exchange.responded { handler.abort() }
            close()
        case .awaitingResponse:
            // The request is complete: its response is still written if the socket allows, then we close.
            break
        case .idle, .closing:
            close()
        }
    }

    // MARK: Responding

    package func respond(_ exchange: HTTPExchange, _ response: HTTPResponse) {
        server.metrics.request(route: exchange.route, status: response.status)
        let early: Bool
        switch state {
        case .receiving(let current, _) where current === exchange:
            early = !exchange.bodyComplete
        case .awaitingResponse(let current) where current === exchange:
            early = false
        default:
            return
        }
        let keepAlive = exchange.head.keepAlive && !early && !server.isDraining && !peerClosed
        let isHead = exchange.head.method == "HEAD"
        send(response.encode(keepAlive: keepAlive, date: server.currentDate(), includeBody: !isHead))
        if keepAlive {
            state = .idle
            run(timers.keptAlive(at: clock.monotonicNanoseconds()))
            if !inParse { resumeAfterResponse() }
        } else if early {
            // Unread body bytes may still arrive: half-close and discard them for a moment so the client
            // reads our answer instead of a reset.
            state = .closing
            linger()
        } else {
            state = .closing
            run(timers.closing())
            stream.shutdown { [self] in close() }
        }
    }

    /// Queues `bytes` and keeps the server's count of unsent bytes up to date.
    private func send(_ bytes: [UInt8]) {
        stream.write(bytes) { [weak self] _ in self?.countUnsent() }
        countUnsent()
    }

    /// Tells the server how the bytes waiting in this connection's write queue changed, and holds requests
    /// back while they are above the mark, or lets them go once they are down to half of it.
    private func countUnsent() {
        let unsent = closed ? 0 : stream.unsentBytes
        if unsent != reportedUnsent {
            serverReference?.unsentChanged(by: unsent - reportedUnsent)
            reportedUnsent = unsent
        }
        guard !closed, let limit = serverReference?.limits.maxUnsentResponseBytes else { return }
        if !sendBlocked && unsent > limit {
            sendBlocked = true
            stream.stopReading()
            run(timers.sendStalled(at: clock.monotonicNanoseconds()))
        } else if sendBlocked && unsent <= limit / 2 {
            sendBlocked = false
            run(timers.sendDrained())
            guard !inParse else { return }
            if case .idle = state { resumeAfterResponse() } else { readIfReady() }
        }
    }

    /// Answers a request the parser or a timeout cut short, then closes.
    private func failRequest(status: Int, code: String, message: String) {
        if case .receiving(let exchange, let handler) = state, !exchange.responded { handler.abort() }
        server.metrics.request(route: "invalid", status: status)
        state = .closing
        let response = HTTPResponse.error(status, code: code, message: message)
        send(response.encode(keepAlive: false, date: server.currentDate()))
        linger()
    }

    private func resumeAfterResponse() {
        if !stash.isEmpty {
            let pending = stash
            stash = []
            pending.withUnsafeBytes { feed($0) }
        }
        readIfReady()
    }

    /// Reads again when a request may arrive or continue and nobody asked for a pause.
    private func readIfReady() {
        switch state {
        case .idle, .receiving:
            if pauses == 0 && !sendBlocked && !closed { stream.startReading() }
        case .awaitingResponse, .closing:
            break
        }
    }

    private func linger() {
        stream.shutdown { [self] in
            if peerClosed { close() }
        }
        run(timers.linger(at: clock.monotonicNanoseconds()))
        stream.startReading()
    }

    // MARK: Flow control

    /// The handler of `exchange` is behind: stop reading its body (calls nest with ``resumeReading(for:)``).
    /// Ignored once the body is complete: its pauses ended with it.
    package func pauseReading(for exchange: HTTPExchange) {
        guard case .receiving(let current, _) = state, current === exchange else { return }
        pauses += 1
        stream.stopReading()
        if pauses == 1 { run(timers.readingPaused(at: clock.monotonicNanoseconds())) }
    }

    /// Undoes one ``pauseReading(for:)`` of the request still receiving.
    package func resumeReading(for exchange: HTTPExchange) {
        guard case .receiving(let current, _) = state, current === exchange, pauses > 0 else { return }
        pauses -= 1
        guard pauses == 0 else { return }
        run(timers.readingResumed(at: clock.monotonicNanoseconds()))
        readIfReady()
    }

    // MARK: Timers

    /// Carries out what ``HTTPConnectionTimer`` decided.
    private func run(_ action: HTTPConnectionTimer.Action) {
        switch action {
        case .none:
            break
        case .arm(let deadline):
            let now = clock.monotonicNanoseconds()
            // Rounded up: a timer that fires before the deadline is only armed again for the rest.
            let milliseconds = deadline > now ? (deadline - now + 999_999) / 1_000_000 : 0
            timer.schedule(after: milliseconds) { [weak self] in self?.timerFired() }
        case .cancel:
            timer.cancel()
        case .close:
            close()
        case .requestTimeout(let code, let message):
            failRequest(status: 408, code: code, message: message)
        }
    }

    private func timerFired() {
        run(timers.tick(at: clock.monotonicNanoseconds()))
    }

    // MARK: Closing

    /// Closes the socket now. A request still receiving is aborted.
    package func close() {
        guard !closed else { return }
        if case .receiving(let exchange, let handler) = state, !exchange.responded { handler.abort() }
        closed = true
        state = .closing
        timers.closed()
        timer.close()
        stream.close()
        countUnsent()
        serverReference?.connectionClosed(self)
    }

    /// Asks the connection to finish: closes at once when idle, else after the current response.
    package func drain() {
        if isIdle {
            close()
        } else if case .closing = state {
            close()
        }
    }
}
