@testable import LLMSimulator
import HTTP1
import ResumeModel
import Foundation
@testable import Loop
import Logging
import Testing
import TestSupport

@testable import LLMBatcher

/// Answers by path: /echo returns the body and a header count; /big a large body; /slow never answers;
/// /status/N answers N.
@LoopActor
final class EchoRoutes: HTTPRouter {
    private(set) var requests = 0
    func handler(for exchange: HTTPExchange) -> any HTTPRequestHandler {
        requests += 1
        return Handler(exchange: exchange)
    }

    final class Handler: HTTPRequestHandler {
        let exchange: HTTPExchange
        var body: [UInt8] = []
        init(exchange: HTTPExchange) { self.exchange = exchange }
        func receive(_ bytes: UnsafeRawBufferPointer) { body += bytes }
        func abort() {}
        func end() {
            let path = exchange.head.target
            if path == "/slow" { return }
            if path == "/big" {
                exchange.respond(HTTPResponse(status: 200, body: Array(repeating: 0x61, count: 300_000)))
                return
            }
            if path.hasPrefix("/status/") {
                exchange.respond(HTTPResponse.text(Int(path.dropFirst(8))!, "status"))
                return
            }
            let auth = exchange.head.headers.first("authorization") ?? "-"
            exchange.respond(HTTPResponse(status: 200, headers: [("x-method", exchange.head.method), ("x-auth", auth)],
                                          body: body))
        }
    }
}
/// The libcurl client on the loop, against the engine's own HTTP server over real sockets.
@Suite("HTTP client")
struct HTTPClientTests {
    @LoopActor
    private func server() throws -> (HTTPServer, EchoRoutes, Int) {
        let routes = EchoRoutes()
        let server = HTTPServer(limits: HTTPServerLimits(), router: routes, metrics: UnobservedHTTPServer(), logger: Logger(label: "t"))
        let port = try server.start(host: "127.0.0.1", port: 0)
        return (server, routes, port)
    }

    @Test("a POST's body and headers arrive, the answer comes back, and the connection is reused")
    @LoopActor
    func roundTripAndKeepAlive() async throws {
        let (server, routes, port) = try server()
        let client = HTTPClient()
        let payload = Array("{\"hello\":\"wörld\"}".utf8) + Array(repeating: 0x20, count: 100_000)
        for _ in 0..<5 {
            let response = try await client.send(HTTPClientRequest(
                url: "http://127.0.0.1:\(port)/echo", headers: [("Authorization", "Bearer k")], body: payload))
            #expect(response.status == 200)
            #expect(response.body == payload)
            #expect(response.header("X-Method") == "POST")
            #expect(response.header("x-auth") == "Bearer k")
        }
        #expect(routes.requests == 5)
        #expect(server.connectionCount == 1, "five requests, one kept-alive connection")
        client.close()
        await server.shutdown(graceMilliseconds: 0)
    }

    @Test("requests in flight at once all complete")
    @LoopActor
    func concurrent() async throws {
        let (server, _, port) = try server()
        let client = HTTPClient()
        let box = ResultsBox()
        let tasks = (0..<20).map { i in box.send(client, "http://127.0.0.1:\(port)/echo", i) }
        for t in tasks { await t.value }
        #expect(box.results.sorted() == Array(0..<20))
        client.close()
        await server.shutdown(graceMilliseconds: 0)
    }

    @Test("error statuses are responses, not errors")
    @LoopActor
    func statuses() async throws {
        let (server, _, port) = try server()
        let client = HTTPClient()
        let r = try await client.send(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(port)/status/429"))
        #expect(r.status == 429)
        client.close()
        await server.shutdown(graceMilliseconds: 0)
    }

    @Test("failures are typed: refused connection, timeout, oversized answer")
    @LoopActor
    func failures() async throws {
        let (server, _, port) = try server()
        let client = HTTPClient()
        do {
            _ = try await client.send(HTTPClientRequest(url: "http://127.0.0.1:1/nothing-listens"))
            Issue.record("expected a connect error")
        } catch {
            #expect(error.kind == .connect)
        }
        do {
            _ = try await client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/slow", timeoutMilliseconds: 200))
            Issue.record("expected a timeout")
        } catch {
            #expect(error.kind == .timeout)
        }
        do {
            _ = try await client.send(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(port)/big",
                                                        maxResponseBytes: 100_000))
            Issue.record("expected too large")
        } catch {
            #expect(error.kind == .tooLarge)
        }
        #expect(client.inFlight == 0)
        client.close()
        await server.shutdown(graceMilliseconds: 0)
    }
}

@LoopActor
final class ResultsBox {
    var results: [Int] = []
    func send(_ client: HTTPClient, _ url: String, _ i: Int) -> Task<Void, Never> {
        EventLoop.spawn {
            let r = try? await client.send(HTTPClientRequest(url: url, body: Array("\(i)".utf8)))
            await self.add(r.map { Int(String(decoding: $0.body, as: UTF8.self)) ?? -1 } ?? -1)
        }
    }
    func add(_ value: Int) { results.append(value) }
}
