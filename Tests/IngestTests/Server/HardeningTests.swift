@testable import Loop
@testable import HTTP1
import Logging
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@testable import Ingest

/// Issue 11's hardening findings over real sockets: each test is a client that misbehaves on purpose, and
/// checks the status, the error code, that nothing of the request was kept and that others are still served.
@Suite("Hardening")
struct HardeningTests {
    private static let metricsRequest = Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8)

    private static func code(_ response: TestResponse) throws -> String? {
        try JSON.parse(response.body)["error"]?["code"]?.string
    }

    /// Polls `condition` on the loop every 10 ms until it holds or `seconds` pass; true if it held.
    private static func eventually(seconds: Double, _ condition: @LoopActor () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return await condition()
    }

    // MARK: Finding 2: responses queued without bound

    /// A client with a 4 KiB receive buffer that pipelines up to 100,000 `GET /metrics` (3.5 MB: the kernel's
    /// buffers may take them all) and never reads; the sends end when they are all out or the server closes.
    private static func greedyClient(port: Int) throws -> (TestClient, BackgroundWork) {
        let greedy = try TestClient(port: port, timeoutSeconds: 5, receiveBufferBytes: 4096)
        let batch = Array([[UInt8]](repeating: metricsRequest, count: 1_000).joined())
        let sender = BackgroundWork {
            for _ in 0..<100 where greedy.send(batch) {}
        }
        return (greedy, sender)
    }

    @Test("a client that pipelines and never reads is held at the unsent mark; another client is served meanwhile")
    func pipelinerHeldAtTheMark() async throws {
        let mark = 256 << 10
        let server = try await TestServer {
            $0.limits.maxUnsentResponseBytes = mark
            $0.limits.sendStallTimeoutMilliseconds = 600_000
        }
        let metrics = await server.ingest.metrics
        let polite = try TestClient(port: server.port, timeoutSeconds: 5)
        polite.send(Self.metricsRequest)
        let responseBytes = try await offPool { try polite.readResponse() }.body.count + 400
        let (greedy, sender) = try Self.greedyClient(port: server.port)
        // The greedy connection fills its queue (without a mark far past it).
        #expect(await Self.eventually(seconds: 20) { metrics.unsentResponseBytesPeak > mark / 2 })
        polite.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await offPool { try polite.readResponse() }.status == 200)
        #expect(await server.ingest.connectionCount == 2, "the greedy connection is held, not closed")
        let peak = await metrics.unsentResponseBytesPeak
        #expect(peak <= mark + responseBytes, "unsent bytes peaked at \(peak); the mark is \(mark)")
        // Held, it reads nothing, so it would learn that the client left only at the stall time (the other
        // test): the shutdown closes it.
        greedy.reset()
        await server.stop()
        #expect(await sender.wait(seconds: 10))
        #expect(await metrics.unsentResponseBytes == 0)
    }

    @Test("a client that pipelines and never reads is closed once it stays above the mark for the stall time")
    func pipelinerClosedAfterStall() async throws {
        let mark = 256 << 10
        let server = try await TestServer {
            $0.limits.maxUnsentResponseBytes = mark
            $0.limits.sendStallTimeoutMilliseconds = 500
        }
        let metrics = await server.ingest.metrics
        let polite = try TestClient(port: server.port, timeoutSeconds: 5)
        polite.send(Self.metricsRequest)
        let responseBytes = try await offPool { try polite.readResponse() }.body.count + 400
        let (greedy, sender) = try Self.greedyClient(port: server.port)
        #expect(await Self.eventually(seconds: 20) { metrics.unsentResponseBytesPeak > mark / 2 })
        // Without a deadline the wait gives up at 32 times the mark, before the machine suffers.
        _ = await Self.eventually(seconds: 15) {
            server.ingest.connectionCount == 1 || metrics.unsentResponseBytesPeak > 32 * mark
        }
        let closed = await server.ingest.connectionCount == 1
        let peak = await metrics.unsentResponseBytesPeak
        #expect(closed, "the stalled connection is closed")
        #expect(peak <= mark + responseBytes, "unsent bytes peaked at \(peak); the mark is \(mark)")
        if closed {
            #expect(try await offPool { greedy.waitForClose() }, "the greedy client sees the connection end")
        } else {
            greedy.reset()
        }
        #expect(await sender.wait(seconds: 10))
        #expect(await Self.eventually(seconds: 5) { metrics.unsentResponseBytes == 0 })
        polite.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await offPool { try polite.readResponse() }.status == 200, "the other connection is untouched")
        await server.stop()
    }

    // MARK: Finding 6: slow bodies and descriptors

    @Test("a body that trickles in under the minimum rate gets 408 body_too_slow; nothing is spooled")
    func bodyBelowMinimumRate() async throws {
        let server = try await TestServer {
            $0.limits.minBodyBytesPerWindow = 1_000
            $0.limits.bodyRateWindowMilliseconds = 300
        }
        var body = MultipartBody()
        body.file(filename: "a.txt", Array(repeating: 0x61, count: 5_000))
        let request = body.request()
        let client = try TestClient(port: server.port, timeoutSeconds: 4)
        let head = request.count - body.closed.count
        client.send(Array(request.prefix(head + 200)))
        // One byte every 20 ms (50 bytes a second, well under 1,000 per 300 ms), until the server closes.
        let trickle = BackgroundWork {
            for byte in request[(head + 200)...].prefix(300) {
                guard client.send([byte]) else { return }
                usleep(20_000)
            }
        }
        let response = try await offPool { try client.readResponse() }
        #expect(response.status == 408)
        #expect(try Self.code(response) == "body_too_slow")
        #expect(await trickle.wait(seconds: 10))
        #expect(server.incoming().isEmpty)
        #expect(await server.waitForEmptyTemporary())
        await server.stop()
    }

    @Test("a body that keeps the minimum rate still ends at the whole-request deadline with 408 request_timeout")
    func wholeRequestDeadline() async throws {
        let server = try await TestServer {
            // One byte per window is kept whatever the trickle's pace; the deadline comes first.
            $0.limits.minBodyBytesPerWindow = 1
            $0.limits.bodyRateWindowMilliseconds = 5_000
            $0.limits.requestTimeoutMilliseconds = 600
        }
        var body = MultipartBody()
        body.file(filename: "a.txt", Array(repeating: 0x61, count: 5_000))
        let request = body.request()
        let client = try TestClient(port: server.port, timeoutSeconds: 4)
        let head = request.count - body.closed.count
        client.send(Array(request.prefix(head + 200)))
        let trickle = BackgroundWork {
            for byte in request[(head + 200)...].prefix(300) {
                guard client.send([byte]) else { return }
                usleep(20_000)
            }
        }
        let response = try await offPool { try client.readResponse() }
        #expect(response.status == 408)
        #expect(try Self.code(response) == "request_timeout")
        #expect(await trickle.wait(seconds: 10))
        #expect(server.incoming().isEmpty)
        #expect(await server.waitForEmptyTemporary())
        await server.stop()
    }

    @Test("connections over the per-client cap get 503 too_many_client_connections; a freed slot serves again")
    func perClientCap() async throws {
        let server = try await TestServer { $0.limits.maxConnectionsPerClient = 2 }
        let a = try TestClient(port: server.port, timeoutSeconds: 4)
        let b = try TestClient(port: server.port, timeoutSeconds: 4)
        for client in [a, b] {
            client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await offPool { try client.readResponse() }.status == 200)
        }
        let c = try TestClient(port: server.port, timeoutSeconds: 4)
        c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let refused = try await offPool { try c.readResponse() }
        #expect(refused.status == 503)
        #expect(try Self.code(refused) == "too_many_client_connections")
        #expect(refused.header("Retry-After") != nil)
        #expect(try await offPool { c.waitForClose() })
        a.reset()
        #expect(await Self.eventually(seconds: 5) { server.ingest.connectionCount == 1 })
        let d = try TestClient(port: server.port, timeoutSeconds: 4)
        d.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await offPool { try d.readResponse() }.status == 200)
        b.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await offPool { try b.readResponse() }.status == 200,
                "the connections under the cap were never disturbed")
        await server.stop()
    }

    @Test("startup-status reports the connection cap and the descriptor limit it was fitted under")
    func descriptorBudgetReported() async throws {
        let server = try await TestServer()
        let client = try TestClient(port: server.port, timeoutSeconds: 4)
        client.send("GET /startup-status HTTP/1.1\r\nHost: x\r\n\r\n")
        let json = try JSON.parse(try await offPool { try client.readResponse() }.body)
        let connections = json["components"]?["connections"]
        #expect(connections?["status"]?.string == "ok")
        #expect(connections?["detail"]?.string?.contains("open-file limit") == true)
        await server.stop()
    }

    // MARK: Finding 9: a failed upload can leave its connection paused

    @Test("a request that fails while its handler paused reading does not leave the connection paused")
    func failureWhilePaused() async throws {
        let (server, port) = try await Self.pausingServer()
        // The server is shut down whatever happens: its connections must not outlive it.
        do {
            let client = try TestClient(port: port, timeoutSeconds: 4)
            client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            let failed = try await offPool { try client.readResponse() }
            #expect(failed.status == 400)
            #expect(try Self.code(failed) == "bad_upload")
            // The next request arrives in a read of its own: the connection must be reading again.
            client.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
            let next = try await offPool { try client.readResponse() }
            #expect(next.status == 200)
            #expect(next.text == "next")
        } catch {
            Issue.record(error)
        }
        await server.shutdown(graceMilliseconds: 0)
    }

    @LoopActor
    private static func pausingServer() throws -> (HTTPServer, Int) {
        let server = HTTPServer(limits: HTTPServerLimits(), router: PauseThenFailRoutes(),
                                metrics: UnobservedHTTPServer(), logger: Logger(label: "test"))
        return (server, try server.start(host: "127.0.0.1", port: 0))
    }

    // MARK: Finding 10: bodies of routes that take none, and chunk sizes

    @Test("a body over MAX_OTHER_BODY_SIZE on a route that takes none is 413 at once and the connection closes",
          arguments: ["/health", "/metrics", "/nope"])
    func otherRouteBodyByLength(path: String) async throws {
        let server = try await TestServer()
        let client = try TestClient(port: server.port, timeoutSeconds: 4)
        client.send("GET \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n")
        let response = try await offPool { try client.readResponse() }
        #expect(response.status == 413)
        #expect(try Self.code(response) == "body_too_large")
        #expect(try await offPool { client.waitForClose() })
        await server.stop()
    }

    @Test("a chunked body that grows past MAX_OTHER_BODY_SIZE on a route that takes none is cut off with 413")
    func otherRouteBodyChunked() async throws {
        let server = try await TestServer { $0.limits.maxOtherBodyBytes = 1_000 }
        let client = try TestClient(port: server.port, timeoutSeconds: 4)
        client.send("GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in 0..<3 { client.send("200\r\n" + String(repeating: "x", count: 0x200) + "\r\n") }
        let response = try await offPool { try client.readResponse() }
        #expect(response.status == 413)
        #expect(try Self.code(response) == "body_too_large")
        #expect(try await offPool { client.waitForClose() })
        await server.stop()
    }

    @Test("a chunk size larger than any body a route takes is 413 chunk_too_large; nothing is spooled")
    func hugeChunkSize() async throws {
        let server = try await TestServer()
        var body = MultipartBody()
        body.file(filename: "a.txt", Array(repeating: 0x61, count: 1_000))
        let client = try TestClient(port: server.port, timeoutSeconds: 4)
        client.send("POST /api/v1/bulk-parse-resumes HTTP/1.1\r\nHost: x\r\nContent-Type: \(body.contentType)\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n")
        client.send(Array("100\r\n".utf8) + body.bytes.prefix(256) + Array("\r\n7fffffffffffffff\r\n".utf8)
                    + body.bytes.dropFirst(256))
        let response = try await offPool { try client.readResponse() }
        #expect(response.status == 413)
        #expect(try Self.code(response) == "chunk_too_large")
        #expect(try await offPool { client.waitForClose() })
        #expect(server.incoming().isEmpty)
        #expect(await server.waitForEmptyTemporary())
        await server.stop()
    }
}

/// `POST` pauses reading on its first body bytes and fails at the body's end without resuming (a handler
/// that errs the way finding 9 describes); anything else answers 200 with its path.
@LoopActor
private final class PauseThenFailRoutes: HTTPRouter {
    func handler(for exchange: HTTPExchange) -> any HTTPRequestHandler {
        if exchange.head.method == "POST" { return PauseThenFail(exchange) }
        let path = String(exchange.head.target.dropFirst())
        return Respond(exchange) { HTTPResponse(status: 200, headers: [], body: Array(path.utf8)) }
    }
}

@LoopActor
private final class PauseThenFail: HTTPRequestHandler {
    private let exchange: HTTPExchange
    private var paused = false

    init(_ exchange: HTTPExchange) { self.exchange = exchange }

    func receive(_ bytes: UnsafeRawBufferPointer) {
        guard !paused else { return }
        paused = true
        exchange.pauseBody()
    }

    func end() {
        exchange.respond(.error(400, code: "bad_upload", message: "the upload failed while reading was paused"))
    }

    func abort() {}
}
