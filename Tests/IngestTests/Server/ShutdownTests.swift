@testable import Loop
@testable import HTTP1
import Foundation
import Testing
import TestSupport

/// The real `resume-ingest serve` process: SIGTERM drains uploads in flight, refuses new ones, exits 0.
@Suite("Graceful shutdown", .serialized)
struct ShutdownTests {
    @Test("SIGTERM lets an upload in flight finish, then the process exits 0")
    func drainsInFlight() async throws {
        let server = try await EngineProcess.serve(environment: ["SHUTDOWN_GRACE_MS": "10000"])
        defer { server.kill() }
        var body = MultipartBody()
        var rng = SeededBytes(seed: 4)
        body.file(filename: "late.pdf", rng.bytes(300_000))
        let request = body.request()
        let client = try TestClient(port: server.port)
        client.send(Array(request.prefix(100_000)))
        // The steps that must follow each other within the server's timeouts keep this thread (usleep, not
        // Task.sleep): a suspended test can wait on the busy two-thread cooperative pool for half a minute.
        usleep(100_000)
        server.signal(SIGTERM)
        usleep(200_000)
        #expect(server.isRunning, "the server must wait for the upload in flight: \(server.log)")
        client.send(Array(request.dropFirst(100_000)))
        let response = try client.readResponse()
        #expect(response.status == 202, "\(server.log)")
        #expect(response.header("Connection") == "close")
        #expect(await server.waitForExit(seconds: 10) == 0)
        #expect(TemporaryDirectory.list(server.spool + "/incoming").count == 2)
    }

    @Test("past the grace period, unfinished uploads are dropped and the process still exits 0")
    func graceExpires() async throws {
        let server = try await EngineProcess.serve(environment: ["SHUTDOWN_GRACE_MS": "300"])
        defer { server.kill() }
        var body = MultipartBody()
        body.file(filename: "never.pdf", Array(repeating: 0x41, count: 200_000))
        let client = try TestClient(port: server.port)
        client.send(Array(body.request().prefix(150_000)))
        usleep(100_000)
        server.signal(SIGINT)
        #expect(await server.waitForExit(seconds: 10) == 0)
        #expect(TemporaryDirectory.list(server.spool + "/incoming").isEmpty)
        #expect(TemporaryDirectory.list(server.spool + "/tmp").isEmpty)
        #expect(client.waitForClose())
    }
}
