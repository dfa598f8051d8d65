import Ingest
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// An Ingest service on 127.0.0.1 and a free port, with its own spool in a fresh temporary directory.
public final class TestServer: Sendable {
    /// The bound port.
    public let port: Int
    /// The spool root.
    public let spoolDirectory: String
    private let service: IngestService

    /// Starts a server; `configure` adjusts limits and marks.
    public init(_ configure: (inout IngestConfiguration) -> Void = { _ in }) async throws {
        var configuration = IngestConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.spoolDirectory = try TemporaryDirectory.make(prefix: "spool")
        configuration.limits.shutdownGraceMilliseconds = 2000
        configure(&configuration)
        spoolDirectory = configuration.spoolDirectory
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let service = await IngestService(configuration: configuration, logger: logger)
        self.service = service
        port = try await service.start()
    }

    /// Shuts the server down (gracefully, within its grace period).
    public func stop() async {
        await service.shutdown()
        await service.spool.release()
    }

    /// The service, for assertions on its state.
    public var ingest: IngestService { service }

    /// File names in `incoming/`, sorted.
    public func incoming() -> [String] { TemporaryDirectory.list(spoolDirectory + "/incoming").sorted() }

    /// File names in `tmp/`.
    public func temporary() -> [String] { TemporaryDirectory.list(spoolDirectory + "/tmp").sorted() }

    /// Waits (polling, up to `seconds`) until `tmp/` is empty: discarded uploads are unlinked on the pool.
    public func waitForEmptyTemporary(seconds: Double = 5) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if temporary().isEmpty { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return temporary().isEmpty
    }

    /// Reads a file of the spool.
    public func read(_ relativePath: String) -> [UInt8]? {
        TemporaryDirectory.read(spoolDirectory + "/" + relativePath)
    }
}

/// Temporary directories and small file helpers for tests.
public enum TemporaryDirectory {
    /// Creates `/tmp/resume-ingest-tests/<prefix>-XXXXXX`.
    public static func make(prefix: String) throws -> String {
        mkdir("/tmp/resume-ingest-tests", 0o755)
        var template = Array("/tmp/resume-ingest-tests/\(prefix)-XXXXXX".utf8CString)
        guard let result = mkdtemp(&template) else { throw TestFailure("mkdtemp failed") }
        return String(cString: result)
    }

    public static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public static func read(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return out
    }

    public static func write(_ path: String, _ bytes: [UInt8]) throws {
        guard let f = fopen(path, "wb") else { throw TestFailure("fopen \(path)") }
        defer { fclose(f) }
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
    }
}
