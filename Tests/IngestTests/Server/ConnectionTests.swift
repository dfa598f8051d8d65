@testable import Loop
@testable import HTTP1
import Testing
import TestSupport

@testable import Ingest

/// HTTP/1.1 connection behaviour over real sockets: framing, pipelining, timeouts, caps.
@Suite("Connections")
struct ConnectionTests {
    @Test("pipelined requests are answered in order on one connection")
    func pipelining() async throws {
        let server = try await TestServer()
        var body = MultipartBody()
        body.file(filename: "a.txt", Array("resume text".utf8))
        let client = try TestClient(port: server.port)
        client.send(Array("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".utf8) + body.request()
                    + Array("GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        let statuses = try (0..<4).map { _ in try client.readResponse().status }
        #expect(statuses == [200, 202, 404, 200])
        #expect(server.incoming().count == 2)
        await server.stop()
    }

    @Test("Content-Length with Transfer-Encoding is 400 and the connection closes")
    func conflictingFraming() async throws {
        let server = try await TestServer()
        let client = try TestClient(port: server.port)
        client.send("POST /api/v1/bulk-parse-resumes HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(try JSON.parse(response.body)["error"]?["code"]?.string == "conflicting_framing")
        #expect(client.waitForClose())
        #expect(server.incoming().isEmpty)
        await server.stop()
    }

    @Test("duplicate Content-Length is 400")
    func duplicateContentLength() async throws {
        let server = try await TestServer()
        let client = try TestClient(port: server.port)
        client.send("POST /api/v1/bulk-parse-resumes HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc")
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(try JSON.parse(response.body)["error"]?["code"]?.string == "duplicate_content_length")
        await server.stop()
    }

    @Test("a bad chunk size is 400 and the partial upload is dropped")
    func badChunkSize() async throws {
        let server = try await TestServer()
        var body = MultipartBody()
        body.file(filename: "a.txt", Array(repeating: 0x61, count: 1000))
        let client = try TestClient(port: server.port)
        client.send("POST /api/v1/bulk-parse-resumes HTTP/1.1\r\nHost: x\r\nContent-Type: \(body.contentType)\r\nTransfer-Encoding: chunked\r\n\r\n")
        client.send(Array("100\r\n".utf8) + body.bytes.prefix(256) + Array("\r\nzz\r\n".utf8))
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(try JSON.parse(response.body)["error"]?["code"]?.string == "invalid_chunk_size")
        #expect(server.incoming().isEmpty)
        #expect(await server.waitForEmptyTemporary())
        await server.stop()
    }

    @Test("a header section over the limit is 431")
    func headersTooLarge() async throws {
        let server = try await TestServer { $0.limits.maxHeaderBytes = 2048 }
        let client = try TestClient(port: server.port)
        client.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 4000))\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 431)
        await server.stop()
    }

    @Test("too many header fields is 431")
    func tooManyHeaders() async throws {
        let server = try await TestServer { $0.limits.maxHeaderCount = 10 }
        let client = try TestClient(port: server.port)
        let fields = (0..<20).map { "X-H\($0): v\r\n" }.joined()
        client.send("GET /health HTTP/1.1\r\nHost: x\r\n\(fields)\r\n")
        let response = try client.readResponse()
        #expect(response.status == 431)
        #expect(try JSON.parse(response.body)["error"]?["code"]?.string == "too_many_headers")
        await server.stop()
    }

    @Test("slowloris: a head that does not finish in time gets 408 and the socket closed")
    func slowHeaders() async throws {
        let server = try await TestServer { $0.limits.headerTimeoutMilliseconds = 300 }
        let client = try TestClient(port: server.port)
        client.send("GET /health HTTP/1.1\r\nHost: x\r\n")
        try await Task.sleep(for: .milliseconds(150))
        client.send("X-A: 1\r\n")
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(try JSON.parse(response.body)["error"]?["code"]?.string == "request_timeout")
        #expect(client.waitForClose())
        await server.stop()
    }

    @Test("a body that stalls gets 408; nothing of it is spooled")
    func slowBody() async throws {
        let server = try await TestServer { $0.limits.bodyIdleTimeoutMilliseconds = 300 }
        var body = MultipartBody()
        body.file(filename: "a.txt", Array(repeating: 0x61, count: 5000))
        let request = body.request()
        let client = try TestClient(port: server.port)
        client.send(Array(request.prefix(request.count - 100)))
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(client.waitForClose())
        #expect(server.incoming().isEmpty)
        #expect(await server.waitForEmptyTemporary())
        await server.stop()
    }

    @Test("idle keep-alive connections are closed silently")
    func keepAliveTimeout() async throws {
        let server = try await TestServer { $0.limits.keepAliveTimeoutMilliseconds = 200 }
        let client = try TestClient(port: server.port)
        client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(client.waitForClose())
        await server.stop()
    }

    @Test("Connection: close is honoured")
    func connectionClose() async throws {
        let server = try await TestServer()
        let client = try TestClient(port: server.port)
        client.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        #expect(client.waitForClose())
        await server.stop()
    }

    @Test("connections over the cap get 503 and are closed")
    func connectionCap() async throws {
        let server = try await TestServer { $0.limits.maxConnections = 2 }
        let a = try TestClient(port: server.port)
        let b = try TestClient(port: server.port)
        a.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        b.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try a.readResponse().status == 200)
        #expect(try b.readResponse().status == 200)
        let c = try TestClient(port: server.port)
        let response = try c.readResponse()
        #expect(response.status == 503)
        #expect(try JSON.parse(response.body)["error"]?["code"]?.string == "too_many_connections")
        #expect(c.waitForClose())
        await server.stop()
    }

    @Test("unknown routes are 404 and wrong methods 405 with Allow")
    func routing() async throws {
        let server = try await TestServer()
        let client = try TestClient(port: server.port)
        client.send("GET /api/v1/bulk-parse-resumes HTTP/1.1\r\nHost: x\r\n\r\nDELETE /health HTTP/1.1\r\nHost: x\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        let r1 = try client.readResponse()
        #expect(r1.status == 405)
        #expect(r1.header("Allow") == "POST")
        #expect(try JSON.parse(r1.body)["error"]?["code"]?.string == "method_not_allowed")
        #expect(try client.readResponse().status == 405)
        let r3 = try client.readResponse()
        #expect(r3.status == 404)
        #expect(try JSON.parse(r3.body)["error"]?["code"]?.string == "not_found")
        await server.stop()
    }

    @Test("metrics count requests by route and status, bytes and spool depth")
    func metrics() async throws {
        let server = try await TestServer()
        var body = MultipartBody()
        body.file(filename: "a.txt", Array("abc".utf8))
        let client = try TestClient(port: server.port)
        client.send(body.request())
        #expect(try client.readResponse().status == 202)
        client.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try client.readResponse()
        let text = try client.readResponse().text
        #expect(text.contains(#"ingest_http_requests_total{route="bulk-parse-resumes",status="202"} 1"#))
        #expect(text.contains(#"ingest_http_requests_total{route="unmatched",status="404"} 1"#))
        #expect(text.contains("ingest_spool_depth_files 1"))
        #expect(text.contains("ingest_spool_fsync_seconds_count"))
        #expect(text.contains("ingest_bytes_received_total"))
        await server.stop()
    }

    @Test("startup-status describes the spool")
    func startupStatus() async throws {
        let server = try await TestServer()
        let client = try TestClient(port: server.port)
        client.send("GET /startup-status HTTP/1.1\r\nHost: x\r\n\r\n")
        let json = try JSON.parse(try client.readResponse().body)
        #expect(json["status"]?.string == "ok")
        #expect(json["components"]?["spool"]?["backlog_files"]?.int == 0)
        await server.stop()
    }
}
