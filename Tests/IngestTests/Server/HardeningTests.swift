@testable import Loop
@testable import HTTP1
import Testing
import TestSupport

@testable import Ingest

/// Issue 11's hardening findings over real sockets: each test is a client that misbehaves on purpose, and
/// checks the status, the error code, that nothing of the request was kept and that others are still served.
@Suite("Hardening")
struct HardeningTests {
    private static func code(_ response: TestResponse) throws -> String? {
        try JSON.parse(response.body)["error"]?["code"]?.string
    }

    // MARK: Finding 10: bodies of routes that take none, and chunk sizes

    @Test("a body over MAX_OTHER_BODY_SIZE on a route that takes none is 413 at once and the connection closes",
          arguments: ["/health", "/metrics", "/nope"])
    func otherRouteBodyByLength(path: String) async throws {
        let server = try await TestServer()
        let client = try TestClient(port: server.port, timeoutSeconds: 4)
        client.send("GET \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(try Self.code(response) == "body_too_large")
        #expect(client.waitForClose())
        await server.stop()
    }

    @Test("a chunked body that grows past MAX_OTHER_BODY_SIZE on a route that takes none is cut off with 413")
    func otherRouteBodyChunked() async throws {
        let server = try await TestServer { $0.limits.maxOtherBodyBytes = 1_000 }
        let client = try TestClient(port: server.port, timeoutSeconds: 4)
        client.send("GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in 0..<3 { client.send("200\r\n" + String(repeating: "x", count: 0x200) + "\r\n") }
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(try Self.code(response) == "body_too_large")
        #expect(client.waitForClose())
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
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(try Self.code(response) == "chunk_too_large")
        #expect(client.waitForClose())
        #expect(server.incoming().isEmpty)
        #expect(await server.waitForEmptyTemporary())
        await server.stop()
    }
}
