import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Uploads distinct small text resumes in a loop on a thread of its own (with `curl`, as a client would), and
/// remembers what was acknowledged: each file the server answered `202` with status `queued`, by SHA-256.
///
/// For the crash tests: the server (or a node behind a load balancer) is killed while this runs, and every
/// acknowledged upload must then be found exactly once in the database.
public final class UploadLoop: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `lock`.
    private let lock = NSLock()
    private var running = true
    private var acknowledged: [String: String] = [:]
    private var attempted = 0
    private var requests = 0
    private let directory: String
    private let seed: String
    private let filesPerRequest: Int
    private let pauseMicroseconds: UInt32
    private let thread: Thread

    /// Starts uploading to `127.0.0.1:port`, writing the files into `directory`; `seed` makes their content unique
    /// to this loop, `pauseMicroseconds` spaces the requests (0: back to back).
    public init(port: Int, directory: String, seed: String, filesPerRequest: Int = 3, pauseMicroseconds: UInt32 = 0) {
        self.directory = directory
        self.seed = seed
        self.filesPerRequest = filesPerRequest
        self.pauseMicroseconds = pauseMicroseconds
        let box = Box()
        thread = Thread { box.loop?.run(port: port) }
        box.loop = self
        thread.start()
    }

    private final class Box: @unchecked Sendable { weak var loop: UploadLoop? }

    private func run(port: Int) {
        var n = 0
        while lock.withLock({ running }) {
            n += 1
            var paths: [String] = []
            for k in 0..<filesPerRequest {
                let id = "\(seed)-\(n)-\(k)"
                let path = directory + "/cv-\(id).txt"
                let text = "Candidate \(id)\ncandidate.\(id.replacingOccurrences(of: "-", with: "."))@example.com\n"
                    + "+44 20 7946 \(String(format: "%04d", (n * 3 + k) % 10000))\n"
                    + "\nEXPERIENCE\nEngineer, Acme Ltd\n2019 - 2024\n"
                _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
                paths.append(path)
            }
            lock.withLock { attempted += paths.count }
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-sS", "--max-time", "5", "-o", "-", "-w", "\n%{http_code}"]
                + paths.flatMap { ["-F", "files=@\($0)"] } + ["http://127.0.0.1:\(port)/api/v1/bulk-parse-resumes"]
            let out = Pipe()
            curl.standardOutput = out
            curl.standardError = FileHandle.nullDevice
            guard (try? curl.run()) != nil else { continue }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            curl.waitUntilExit()
            lock.withLock { requests += 1 }
            let text = String(decoding: data, as: UTF8.self)
            if text.hasSuffix("\n202"),
               let json = try? JSONSerialization.jsonObject(with: Data(text.dropLast(4).utf8)) as? [String: Any],
               let files = json["files"] as? [[String: Any]] {
                lock.withLock {
                    for file in files where file["status"] as? String == "queued" {
                        if let sha = file["sha256"] as? String, let name = file["filename"] as? String {
                            acknowledged[sha] = name
                        }
                    }
                }
            }
            if pauseMicroseconds > 0 { usleep(pauseMicroseconds) }
        }
    }

    /// How many files were acknowledged so far (the loop goes on).
    public var acknowledgedCount: Int { lock.withLock { acknowledged.count } }

    /// How many requests were answered (any status, or none) so far.
    public var requestCount: Int { lock.withLock { requests } }

    /// Stops after the upload in progress; returns what was acknowledged (SHA-256 → file name) and how many files
    /// were sent.
    public func stop() -> (acknowledged: [String: String], attempted: Int) {
        lock.withLock { running = false }
        while thread.isExecuting { usleep(10_000) }
        return lock.withLock { (acknowledged, attempted) }
    }
}
