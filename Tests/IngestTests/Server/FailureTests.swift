import Logging
#if canImport(Glibc)
import Glibc
#endif
@testable import Loop
@testable import HTTP1
import Testing
import TestSupport

@testable import Ingest

/// Bad input gets a clear error and loses nothing: malformed bodies, departures, overload, zstd.
@Suite("Failures")
struct FailureTests {
    /// Sends `request`, expects `status` with `code`, and checks that nothing reached `incoming/`.
    private func expectRejected(_ request: [UInt8], status: Int, code: String,
                                configure: (inout IngestConfiguration) -> Void = { _ in }) async throws {
        let server = try await TestServer(configure)
        let client = try TestClient(port: server.port)
        client.send(request)
        let response = try client.readResponse()
        #expect(response.status == status)
        #expect(try JSON.parse(response.body)["error"]?["code"]?.string == code)
        #expect(server.incoming().isEmpty)
        #expect(await server.waitForEmptyTemporary())
        await server.stop()
    }

    @Test("no closing boundary is 400 missing_closing_boundary")
    func missingClosingBoundary() async throws {
        var body = MultipartBody()
        body.file(filename: "a.pdf", Array(repeating: 0x25, count: 3000))
        try await expectRejected(body.request(body: body.bytes), status: 400, code: "missing_closing_boundary")
    }

    @Test("a boundary inside a part's headers is 400 boundary_in_part_headers")
    func boundaryInHeaders() async throws {
        var body = MultipartBody()
        body.file(filename: "ok.pdf", Array("fine".utf8))
        body.raw("--\(body.boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"b.pdf\"\r\n--\(body.boundary)\r\n\r\nx\r\n")
        try await expectRejected(body.request(), status: 400, code: "boundary_in_part_headers")
    }

    @Test("a part without Content-Disposition is 400 missing_content_disposition")
    func missingContentDisposition() async throws {
        var body = MultipartBody()
        body.file(filename: "ok.pdf", Array("fine".utf8))
        body.raw("--\(body.boundary)\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n")
        try await expectRejected(body.request(), status: 400, code: "missing_content_disposition")
    }

    @Test("a client that disconnects mid-upload leaves only earlier acknowledged files")
    func disconnectMidUpload() async throws {
        let server = try await TestServer()
        var first = MultipartBody()
        first.file(filename: "kept.txt", Array("acknowledged".utf8))
        let client = try TestClient(port: server.port)
        client.send(first.request())
        let response = try client.readResponse()
        #expect(response.status == 202)
        let keptID = try #require(try JSON.parse(response.body)["files"]?.array?.first?["id"]?.string)

        var second = MultipartBody()
        var rng = SeededBytes(seed: 9)
        second.file(filename: "a.pdf", rng.bytes(400_000))
        second.file(filename: "b.pdf", rng.bytes(400_000))
        let request = second.request()
        client.send(Array(request.prefix(600_000)))
        try await Task.sleep(for: .milliseconds(100))
        client.reset()
        #expect(await server.waitForEmptyTemporary(), "left in tmp: \(server.temporary())")
        #expect(server.incoming() == [keptID + ".data", keptID + ".json"])
        await server.stop()
    }

    @Test("a failed fsync of incoming/ is 500 spool_write_failed and leaves nothing to be ingested after a restart")
    func directorySyncFailure() async throws {
        let server = try await TestServer()
        let spool = await server.ingest.spool
        await SpoolFaults.set(spool) { path throws(SystemError) in
            throw SystemError("fsync", path: path, errno: EIO)
        }
        var body = MultipartBody()
        body.file(filename: "a.txt", Array("refused one".utf8))
        body.file(filename: "b.txt", Array("refused two".utf8))
        let client = try TestClient(port: server.port)
        client.send(body.request())
        let refused = try client.readResponse()
        #expect(refused.status == 500)
        #expect(try JSON.parse(refused.body)["error"]?["code"]?.string == "spool_write_failed")
        #expect(server.incoming().isEmpty, "told it failed, yet kept: \(server.incoming())")
        #expect(await server.waitForEmptyTemporary())
        #expect(await spool.pendingCount == 0)

        // The disk recovers: the next upload is stored, and a restart finds exactly that one.
        await SpoolFaults.set(spool) { path throws(SystemError) in try FileSystem.fsyncDirectory(path) }
        var next = MultipartBody()
        next.file(filename: "c.txt", Array("stored".utf8))
        let second = try TestClient(port: server.port)
        second.send(next.request())
        let stored = try second.readResponse()
        #expect(stored.status == 202)
        let id = try #require(try JSON.parse(stored.body)["files"]?.array?.first?["id"]?.string)
        await server.stop()
        let reopened = await Spool(directory: server.spoolDirectory, marks: SpoolMarks(), metrics: IngestMetrics(),
                                   logger: Logger(label: "t"))
        let recovery = try await reopened.open()
        #expect(recovery.backlogFiles == 1)
        #expect(server.incoming() == [id + ".data", id + ".json"])
        await reopened.release()
    }

    @Test("above the spool's high-water mark new uploads get 503 with Retry-After")
    func spoolFull() async throws {
        let server = try await TestServer {
            $0.spoolMarks.highWaterFiles = 1
            $0.spoolMarks.retryAfterSeconds = 7
        }
        var body = MultipartBody()
        body.file(filename: "a.txt", Array("one".utf8))
        let client = try TestClient(port: server.port)
        client.send(body.request())
        #expect(try client.readResponse().status == 202)
        let client2 = try TestClient(port: server.port)
        client2.send(body.request())
        let response = try client2.readResponse()
        #expect(response.status == 503)
        #expect(response.header("Retry-After") == "7")
        #expect(try JSON.parse(response.body)["error"]?["code"]?.string == "spool_full")
        #expect(server.incoming().count == 2)
        await server.stop()
    }

    @Test("above the byte high-water mark new uploads get 503; the spooled ones stay")
    func spoolFullByBytes() async throws {
        let server = try await TestServer { $0.spoolMarks.highWaterBytes = 1000 }
        var body = MultipartBody()
        body.file(filename: "big.txt", Array(repeating: 0x62, count: 1500))
        let client = try TestClient(port: server.port)
        client.send(body.request())
        #expect(try client.readResponse().status == 202)
        let client2 = try TestClient(port: server.port)
        client2.send(body.request())
        let response = try client2.readResponse()
        #expect(response.status == 503)
        #expect(try JSON.parse(response.body)["error"]?["code"]?.string == "spool_full")
        #expect(server.incoming().count == 2)
        await server.stop()
    }

    @Test("a zstd-encoded body is decompressed while streaming")
    func zstdBody() async throws {
        let server = try await TestServer()
        var body = MultipartBody()
        let content = Array(String(repeating: "Senior Swift engineer. ", count: 20_000).utf8)
        body.file(filename: "cv.txt", content)
        let compressed = try Zstd.compress(body.closed)
        #expect(compressed.count < content.count / 10)
        let client = try TestClient(port: server.port)
        client.send(body.request(body: compressed, extraHeaders: "Content-Encoding: zstd\r\n"))
        let response = try client.readResponse()
        #expect(response.status == 202)
        let file = try #require(try JSON.parse(response.body)["files"]?.array?.first)
        #expect(file["size"]?.int == content.count)
        let id = try #require(file["id"]?.string)
        #expect(server.read("incoming/\(id).data") == content)
        await server.stop()
    }

    @Test("a zstd bomb stops at the decompression cap with 413")
    func zstdBomb() async throws {
        var body = MultipartBody()
        body.file(filename: "bomb.txt", Array(repeating: 0, count: 8 << 20))
        let compressed = try Zstd.compress(body.closed)
        try await expectRejected(body.request(body: compressed, extraHeaders: "Content-Encoding: zstd\r\n"),
                                 status: 413, code: "decompressed_too_large") {
            $0.limits.maxDecompressedBytes = 1 << 20
        }
    }

    @Test("a zstd body that inflates more than 100 times its size is 413 decompression_ratio_exceeded, under every other cap")
    func zstdRatio() async throws {
        var body = MultipartBody()
        body.file(filename: "zeros.txt", Array(repeating: 0, count: 8 << 20))
        let compressed = try Zstd.compress(body.closed)
        #expect(compressed.count < (8 << 20) / 1000)
        // The default caps (256 MiB decompressed, 100 MiB per request) would take it whole.
        try await expectRejected(body.request(body: compressed, extraHeaders: "Content-Encoding: zstd\r\n"),
                                 status: 413, code: "decompression_ratio_exceeded")
    }

    @Test("a zstd frame that asks for a window over 8 MiB is 413 zstd_window_too_large before anything is inflated")
    func zstdWindow() async throws {
        var body = MultipartBody()
        var rng = SeededBytes(seed: 21)
        body.file(filename: "long.txt", rng.letters(12 << 20))
        let compressed = try Zstd.compress(body.closed, arguments: ["--long=27", "-1"])
        try await expectRejected(body.request(body: compressed, extraHeaders: "Content-Encoding: zstd\r\n"),
                                 status: 413, code: "zstd_window_too_large")
    }

    @Test("a zstd body inflated over many turns of the loop arrives whole")
    func zstdSlices() async throws {
        let server = try await TestServer()
        var body = MultipartBody()
        var rng = SeededBytes(seed: 22)
        let content = rng.letters(5 << 20)
        body.file(filename: "a.txt", content)
        body.file(filename: "b.txt", Array("second".utf8))
        let compressed = try Zstd.compress(body.closed, arguments: ["-3"])
        #expect(compressed.count < content.count)
        let client = try TestClient(port: server.port)
        client.send(body.request(body: compressed, extraHeaders: "Content-Encoding: zstd\r\n"))
        let response = try client.readResponse()
        #expect(response.status == 202, "\(response.body)")
        let files = try #require(try JSON.parse(response.body)["files"]?.array)
        let id = try #require(files.first?["id"]?.string)
        #expect(server.read("incoming/\(id).data") == content)
        #expect(files.count == 2)
        await server.stop()
    }

    @Test("bytes thrown away (a form field, a preamble) do not count against the spool's byte mark")
    func discardedBytesDoNotFillTheSpool() async throws {
        let server = try await TestServer { $0.spoolMarks.highWaterBytes = 1 << 20 }
        // A request holding a 3 MiB form field and not finishing: nothing of it will be kept.
        var held = MultipartBody()
        held.field(name: "note", String(repeating: "n", count: 3 << 20))
        let request = held.request()
        let holder = try TestClient(port: server.port)
        holder.send(Array(request.prefix(request.count - 100)))
        // The server has read the field (it parses as it reads) when a legitimate upload arrives.
        try await Task.sleep(for: .milliseconds(300))
        var body = MultipartBody()
        body.file(filename: "cv.txt", Array("A real resume".utf8))
        let client = try TestClient(port: server.port)
        client.send(body.request())
        let response = try client.readResponse()
        #expect(response.status == 202, "\(response.body)")
        #expect(server.incoming().count == 2)
        holder.reset()
        await server.stop()
    }

    @Test("a corrupt zstd body is 400 invalid_zstd")
    func zstdCorrupt() async throws {
        var body = MultipartBody()
        body.file(filename: "a.txt", Array("x".utf8))
        var compressed = try Zstd.compress(body.closed)
        for i in 4..<min(compressed.count, 40) { compressed[i] ^= 0x5A }
        try await expectRejected(body.request(body: compressed, extraHeaders: "Content-Encoding: zstd\r\n"),
                                 status: 400, code: "invalid_zstd")
    }

    @Test("an unknown Content-Encoding is 415")
    func unknownEncoding() async throws {
        var body = MultipartBody()
        body.file(filename: "a.txt", Array("x".utf8))
        try await expectRejected(body.request(extraHeaders: "Content-Encoding: br\r\n"), status: 415,
                                 code: "unsupported_content_encoding")
    }
}

/// Sets the spool's directory sync from a test (the spool lives on the loop's actor).
enum SpoolFaults {
    @LoopActor
    static func set(_ spool: Spool, _ sync: @escaping @Sendable (String) throws(SystemError) -> Int64) {
        spool.syncDirectory = sync
    }
}
