@testable import Loop
@testable import HTTP1
import Crypto
import Testing
import TestSupport

@testable import Ingest

/// Uploads over real sockets into a real spool: what gets acknowledged, what is rejected, what is left on disk.
@Suite("Uploads")
struct UploadTests {
    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            .joined()
    }

    @Test("two files are spooled durably with metadata and digests")
    func twoFiles() async throws {
        let server = try await TestServer()
        var rng = SeededBytes(seed: 1)
        let pdf = rng.bytes(300_000)
        let docx = Array("hello docx".utf8)
        var body = MultipartBody()
        body.file(filename: "a.pdf", contentType: "application/pdf", pdf)
        body.file(filename: "../../etc/b.docx", docx)
        let client = try TestClient(port: server.port)
        client.send(body.request())
        let response = try client.readResponse()
        #expect(response.status == 202)
        let json = try JSON.parse(response.body)
        let files = try #require(json["files"]?.array)
        #expect(files.count == 2)
        #expect(files[0]["sha256"]?.string == Self.sha256(pdf))
        #expect(files[1]["sha256"]?.string == Self.sha256(docx))
        #expect(files[1]["filename"]?.string == "../../etc/b.docx")
        #expect(files.allSatisfy { $0["status"]?.string == "queued" })
        let id0 = try #require(files[0]["id"]?.string)
        let id1 = try #require(files[1]["id"]?.string)
        #expect(server.incoming() == [id0 + ".data", id0 + ".json", id1 + ".data", id1 + ".json"].sorted())
        #expect(server.read("incoming/\(id0).data") == pdf)
        #expect(server.read("incoming/\(id1).data") == docx)
        let meta = try JSON.parse(try #require(server.read("incoming/\(id1).json")))
        #expect(meta["filename"]?.string == "../../etc/b.docx")
        #expect(meta["size"]?.int == docx.count)
        #expect(meta["sha256"]?.string == Self.sha256(docx))
        #expect(meta["batch_id"]?.string == json["batch_id"]?.string)
        #expect(meta["tenant"]?.string == "default")
        #expect(server.temporary().isEmpty)
        await server.stop()
    }

    @Test("a thousand one-byte parts are all stored, the request paused while too many of them are finishing")
    func thousandTinyParts() async throws {
        let server = try await TestServer()
        var body = MultipartBody()
        for i in 0..<1000 { body.file(filename: "p\(i).txt", [UInt8(0x30 + i % 10)]) }
        let client = try TestClient(port: server.port)
        client.send(body.request())
        let response = try client.readResponse()
        #expect(response.status == 202)
        let files = try #require(try JSON.parse(response.body)["files"]?.array)
        #expect(files.count == 1000)
        #expect(files.allSatisfy { $0["status"]?.string == "queued" && $0["size"]?.int == 1 })
        #expect(server.incoming().count == 2000)
        #expect(await server.waitForEmptyTemporary())
        await server.stop()
    }

    @Test("a part over MAX_FILE_SIZE is rejected alone; the others are kept")
    func oversizedPartRejectedAlone() async throws {
        let server = try await TestServer { $0.limits.maxFileBytes = 1000 }
        var body = MultipartBody()
        body.file(filename: "small.txt", Array(repeating: 0x61, count: 1000))
        body.file(filename: "big.pdf", Array(repeating: 0x62, count: 5000))
        body.file(filename: "small2.txt", Array(repeating: 0x63, count: 10))
        let client = try TestClient(port: server.port)
        client.send(body.request())
        let response = try client.readResponse()
        #expect(response.status == 202)
        let files = try #require(try JSON.parse(response.body)["files"]?.array)
        #expect(files.map { $0["status"]?.string } == ["queued", "rejected", "queued"])
        #expect(files[1]["error"]?["code"]?.string == "file_too_large")
        #expect(server.incoming().count == 4)
        #expect(await server.waitForEmptyTemporary())
        await server.stop()
    }

    @Test("413 when every part is rejected, and nothing is spooled")
    func allRejected() async throws {
        let server = try await TestServer { $0.limits.maxFileBytes = 10 }
        var body = MultipartBody()
        body.file(filename: "a.pdf", Array(repeating: 1, count: 100))
        body.file(filename: "b.pdf", Array(repeating: 2, count: 100))
        let client = try TestClient(port: server.port)
        client.send(body.request())
        let response = try client.readResponse()
        #expect(response.status == 413)
        let json = try JSON.parse(response.body)
        #expect(json["error"]?["code"]?.string == "all_files_rejected")
        #expect(json["files"]?.array?.count == 2)
        #expect(server.incoming().isEmpty)
        #expect(await server.waitForEmptyTemporary())
        await server.stop()
    }

    @Test("too many parts is 413 and nothing is spooled")
    func tooManyParts() async throws {
        let server = try await TestServer { $0.limits.maxFilesPerRequest = 3 }
        var body = MultipartBody()
        for i in 0..<5 { body.file(filename: "f\(i).txt", Array("x\(i)".utf8)) }
        let client = try TestClient(port: server.port)
        client.send(body.request())
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(try JSON.parse(response.body)["error"]?["code"]?.string == "too_many_parts")
        #expect(server.incoming().isEmpty)
        #expect(await server.waitForEmptyTemporary())
        await server.stop()
    }

    @Test("a body over MAX_REQUEST_SIZE by Content-Length is 413 before any byte is read")
    func requestTooLarge() async throws {
        let server = try await TestServer { $0.limits.maxRequestBytes = 1000 }
        let client = try TestClient(port: server.port)
        client.send("POST /api/v1/bulk-parse-resumes HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(try JSON.parse(response.body)["error"]?["code"]?.string == "request_too_large")
        #expect(response.header("Connection") == "close")
        await server.stop()
    }

    @Test("a chunked body past MAX_REQUEST_SIZE is cut off with 413 and its files dropped")
    func chunkedRequestTooLarge() async throws {
        let server = try await TestServer { $0.limits.maxRequestBytes = 4096 }
        var body = MultipartBody()
        body.file(filename: "a.txt", Array(repeating: 0x61, count: 10_000))
        let closed = body.closed
        let client = try TestClient(port: server.port)
        client.send("POST /api/v1/bulk-parse-resumes HTTP/1.1\r\nHost: x\r\nContent-Type: \(body.contentType)\r\nTransfer-Encoding: chunked\r\n\r\n")
        client.send(Array(String(closed.count, radix: 16).utf8) + [13, 10] + closed + Array("\r\n0\r\n\r\n".utf8))
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(server.incoming().isEmpty)
        #expect(await server.waitForEmptyTemporary())
        await server.stop()
    }

    @Test("Expect: 100-continue gets 100 before the body, then 202")
    func expectContinue() async throws {
        let server = try await TestServer()
        var body = MultipartBody()
        body.file(filename: "a.txt", Array("resume".utf8))
        let closed = body.closed
        let client = try TestClient(port: server.port)
        client.send("POST /api/v1/bulk-parse-resumes HTTP/1.1\r\nHost: x\r\nContent-Type: \(body.contentType)\r\nContent-Length: \(closed.count)\r\nExpect: 100-continue\r\n\r\n")
        let interim = try client.readResponse()
        #expect(interim.status == 100)
        client.send(closed)
        let response = try client.readResponse()
        #expect(response.status == 202)
        #expect(server.incoming().count == 2)
        await server.stop()
    }

    @Test("a chunked upload is accepted")
    func chunkedUpload() async throws {
        let server = try await TestServer()
        var body = MultipartBody()
        var rng = SeededBytes(seed: 2)
        let content = rng.bytes(200_000)
        body.file(filename: "a.bin", content)
        let closed = body.closed
        var wire = Array("POST /api/v1/bulk-parse-resumes HTTP/1.1\r\nHost: x\r\nContent-Type: \(body.contentType)\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        var offset = 0
        while offset < closed.count {
            let n = min(7000, closed.count - offset)
            wire += Array(String(n, radix: 16).utf8) + [13, 10] + closed[offset..<offset + n] + [13, 10]
            offset += n
        }
        wire += Array("0\r\n\r\n".utf8)
        let client = try TestClient(port: server.port)
        client.send(wire)
        let response = try client.readResponse()
        #expect(response.status == 202)
        let files = try #require(try JSON.parse(response.body)["files"]?.array)
        #expect(files.first?["sha256"]?.string == Self.sha256(content))
        await server.stop()
    }

    @Test("a non-multipart body is 415; a request with no file parts is 400 no_files")
    func wrongShapes() async throws {
        let server = try await TestServer()
        let client = try TestClient(port: server.port)
        client.send("POST /api/v1/bulk-parse-resumes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        let r1 = try client.readResponse()
        #expect(r1.status == 415)
        #expect(try JSON.parse(r1.body)["error"]?["code"]?.string == "unsupported_media_type")
        var body = MultipartBody()
        body.field(name: "note", "no files here")
        let client2 = try TestClient(port: server.port)
        client2.send(body.request())
        let r2 = try client2.readResponse()
        #expect(r2.status == 400)
        #expect(try JSON.parse(r2.body)["error"]?["code"]?.string == "no_files")
        #expect(server.incoming().isEmpty)
        await server.stop()
    }

    @Test("a file part not named files is reported, not silently dropped")
    func unexpectedField() async throws {
        let server = try await TestServer()
        var body = MultipartBody()
        body.file(name: "file", filename: "wrong.pdf", Array("x".utf8))
        body.file(filename: "right.pdf", Array("y".utf8))
        let client = try TestClient(port: server.port)
        client.send(body.request())
        let response = try client.readResponse()
        #expect(response.status == 202)
        let files = try #require(try JSON.parse(response.body)["files"]?.array)
        #expect(files[0]["error"]?["code"]?.string == "unexpected_field")
        #expect(files[1]["status"]?.string == "queued")
        #expect(server.incoming().count == 2)
        await server.stop()
    }
}
