import Foundation
import Testing
import TestSupport

/// The real `resume-ingest serve` process: SIGTERM drains uploads in flight, refuses new ones, exits 0.
@Suite("Graceful shutdown", .serialized)
struct ShutdownTests {
    @Test("SIGTERM lets an upload in flight finish, then the process exits 0")
    func drainsInFlight() async throws {
        let server = try ServerProcess.start(environment: ["SHUTDOWN_GRACE_MS": "10000"])
        defer { server.kill() }
        var body = MultipartBody()
        var rng = SeededBytes(seed: 4)
        body.file(filename: "late.pdf", rng.bytes(300_000))
        let request = body.request()
        let client = try TestClient(port: server.port)
        client.send(Array(request.prefix(100_000)))
        try await Task.sleep(for: .milliseconds(100))
        server.signal(SIGTERM)
        try await Task.sleep(for: .milliseconds(200))
        #expect(server.isRunning, "the server must wait for the upload in flight")
        client.send(Array(request.dropFirst(100_000)))
        let response = try client.readResponse()
        #expect(response.status == 202)
        #expect(response.header("Connection") == "close")
        #expect(server.waitForExit(seconds: 10) == 0)
        #expect(TemporaryDirectory.list(server.spool + "/incoming").count == 2)
    }

    @Test("past the grace period, unfinished uploads are dropped and the process still exits 0")
    func graceExpires() async throws {
        let server = try ServerProcess.start(environment: ["SHUTDOWN_GRACE_MS": "300"])
        defer { server.kill() }
        var body = MultipartBody()
        body.file(filename: "never.pdf", Array(repeating: 0x41, count: 200_000))
        let client = try TestClient(port: server.port)
        client.send(Array(body.request().prefix(150_000)))
        try await Task.sleep(for: .milliseconds(100))
        server.signal(SIGINT)
        #expect(server.waitForExit(seconds: 10) == 0)
        #expect(TemporaryDirectory.list(server.spool + "/incoming").isEmpty)
        #expect(TemporaryDirectory.list(server.spool + "/tmp").isEmpty)
        #expect(client.waitForClose())
    }
}

/// `resume-ingest serve` as a child process on a free port with its own spool.
final class ServerProcess {
    let process = Process()
    let port: Int
    let spool: String
    private let stderr = Pipe()

    private init(port: Int, spool: String) {
        self.port = port
        self.spool = spool
    }

    static var executable: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/resume-ingest").path
    }

    static func start(environment: [String: String]) throws -> ServerProcess {
        let spool = try TemporaryDirectory.make(prefix: "proc-spool")
        let port = try freePort()
        let server = ServerProcess(port: port, spool: spool)
        server.process.executableURL = URL(fileURLWithPath: executable)
        server.process.arguments = ["serve"]
        var env = ProcessInfo.processInfo.environment
        env["PORT"] = String(port)
        env["HOST"] = "127.0.0.1"
        env["SPOOL_DIR"] = spool
        env["LOG_LEVEL"] = "info"
        for (k, v) in environment { env[k] = v }
        server.process.environment = env
        server.process.standardError = server.stderr
        server.process.standardOutput = FileHandle.nullDevice
        try server.process.run()
        // Wait until it listens.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if (try? TestClient(port: port, timeoutSeconds: 1)) != nil { return server }
            guard server.process.isRunning else { throw TestFailure("server exited early") }
            usleep(20_000)
        }
        server.kill()
        throw TestFailure("server did not start listening on \(port)")
    }

    var isRunning: Bool { process.isRunning }

    func signal(_ signal: Int32) { Foundation.kill(process.processIdentifier, signal) }

    /// The exit status, or nil if it did not exit in time.
    func waitForExit(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw TestFailure("could not find a free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
