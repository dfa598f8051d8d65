import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// N engines, one database: two `serve` processes, each with its own spool, writing to one PostgreSQL behind
/// Debian's nginx as the load balancer (README, "Several nodes"). Exactly-once comes from the `(tenant_id,
/// content_sha256)` upsert alone: the same content through either node, or both at once, is one row; a node
/// killed with SIGKILL and restarted on its spool loses nothing it acknowledged.
///
/// nginx is required: without it these tests fail (they do not skip), since they are the only check of the
/// topology the README recommends.
@Suite("two engines behind nginx, one PostgreSQL", .serialized)
struct TwoEnginesTests {
    /// Both nodes: the same database, spools of their own, commits every 20 ms.
    static func environment(_ url: String) -> [String: String?] {
        ["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "20"]
    }

    @Test("the same content through node 1, node 2 and nginx, at once, is one row; nginx spreads distinct files over both nodes and each acknowledged file is one row")
    func sameContentOneRow() async throws {
        let url = try TestDatabase.freshDatabase("two_engines")
        defer { try? TestDatabase.dropDatabase(url) }
        let files = try TemporaryDirectory.make(prefix: "two-engines-files")
        // Started one after the other would hide a race of the migrations: both at once, as an orchestrator does.
        async let starting1 = EngineProcess.serve(environment: Self.environment(url))
        async let starting2 = EngineProcess.serve(environment: Self.environment(url))
        let first: Result<EngineProcess, any Error>
        do { first = .success(try await starting1) } catch { first = .failure(error) }
        let second: Result<EngineProcess, any Error>
        do { second = .success(try await starting2) } catch { second = .failure(error) }
        defer { for case .success(let node) in [first, second] { node.kill() } }
        let node1 = try first.get()
        let node2 = try second.get()
        let nginx = try await NginxBalancer.start(upstreams: [node1.port, node2.port])
        defer { nginx.stop() }

        // One content, eight uploads in flight together: two to each node directly, four through nginx.
        let shared = files + "/shared-cv.txt"
        try Data(Self.resume("shared").utf8).write(to: URL(fileURLWithPath: shared))
        let ports = [node1.port, node1.port, node2.port, node2.port] + Array(repeating: nginx.port, count: 4)
        let uploads = try ports.map { try CurlUpload(files: [shared], port: $0) }
        var sharedSHA: Set<String> = []
        for upload in uploads {
            let answer = await upload.answer()
            #expect(answer.status == 202 && answer.queued.count == 1, "\(answer.body)")
            sharedSHA.formUnion(answer.queued)
        }
        #expect(sharedSHA.count == 1, "one content, one SHA-256: \(sharedSHA)")

        // Distinct files, one per request, through nginx only: round robin gives each node some.
        let before = (try node1.filesAccepted(), try node2.filesAccepted())
        var acknowledged = sharedSHA
        var sentThroughNginx = 0
        for batch in 0..<4 {
            var inFlight: [CurlUpload] = []
            for k in 0..<6 {
                let path = files + "/cv-\(batch)-\(k).txt"
                try Data(Self.resume("\(batch)-\(k)").utf8).write(to: URL(fileURLWithPath: path))
                inFlight.append(try CurlUpload(files: [path], port: nginx.port))
            }
            for upload in inFlight {
                let answer = await upload.answer()
                sentThroughNginx += 1
                #expect(answer.status == 202 && answer.queued.count == 1, "\(answer.body)")
                acknowledged.formUnion(answer.queued)
            }
        }
        let served = (try node1.filesAccepted() - before.0, try node2.filesAccepted() - before.1)
        #expect(served.0 > 0 && served.1 > 0, "nginx sent to both nodes: node 1 \(served.0), node 2 \(served.1)")
        #expect(served.0 + served.1 == sentThroughNginx, "each file through nginx reached exactly one node")

        // A retry with the same Idempotency-Key on the other node gets the first node's answer (the keys are
        // kept in PostgreSQL): no second batch.
        let retried = files + "/retried-cv.txt"
        try Data(Self.resume("retried").utf8).write(to: URL(fileURLWithPath: retried))
        let key = "Idempotency-Key: two-engines-\(getpid())"
        let firstAnswer = await (try CurlUpload(files: [retried], port: node1.port, headers: [key])).answer()
        let retryAnswer = await (try CurlUpload(files: [retried], port: node2.port, headers: [key])).answer()
        #expect(firstAnswer.status == 202 && firstAnswer.queued.count == 1, "\(firstAnswer.body)")
        #expect(retryAnswer.status == firstAnswer.status && retryAnswer.body == firstAnswer.body,
                "node 2 replays node 1's answer:\n\(firstAnswer.body)\n\(retryAnswer.body)")
        acknowledged.formUnion(firstAnswer.queued)

        try await Self.waitForDrain([node1, node2])
        let rows = try Self.rows(url)
        #expect(rows.filter { $0.sha == sharedSHA.first }.count == 1, "the shared content is one row: \(rows)")
        Self.expectExactlyOnce(acknowledged: acknowledged, rows: rows)
        #expect(rows.allSatisfy { $0.status == "parsed" }, "every row was processed: \(rows)")
        #expect(await node1.stop() == 0, "\(node1.log)")
        #expect(await node2.stop() == 0, "\(node2.log)")
        print("two engines: shared content uploaded 8 times, \(rows.count) rows; through nginx node 1 took "
              + "\(served.0), node 2 \(served.1)")
    }

    @Test("node 1 killed with SIGKILL while uploads run through nginx, restarted on its spool: every acknowledged upload is one row")
    func killOneNodeUnderLoad() async throws {
        let url = try TestDatabase.freshDatabase("two_engines_kill")
        defer { try? TestDatabase.dropDatabase(url) }
        let files = try TemporaryDirectory.make(prefix: "two-engines-kill-files")
        // Node 1 commits nothing before it is killed (a batch is due after ten minutes or a thousand rows): what
        // it acknowledged is then only in its spool, as with a node lost at the worst moment.
        var holding = Self.environment(url)
        holding["SINK_BATCH_AGE_MS"] = "600000"
        holding["SINK_BATCH_ROWS"] = "1000"
        let node1 = try await EngineProcess.serve(environment: holding)
        defer { node1.kill() }
        let node2 = try await EngineProcess.serve(environment: Self.environment(url))
        defer { node2.kill() }
        let nginx = try await NginxBalancer.start(upstreams: [node1.port, node2.port])
        defer { nginx.stop() }

        // Two files a request, a short pause between requests: a few dozen files in all.
        let uploader = UploadLoop(port: nginx.port, directory: files, seed: "kill", filesPerRequest: 2,
                                  pauseMicroseconds: 20_000)
        var stopped = false
        defer { if !stopped { _ = uploader.stop() } }
        // Until node 1 has acknowledged some uploads (so the kill may catch some of them uncommitted).
        try await Self.wait("node 1 acknowledges uploads") { (try? node1.filesAccepted()) ?? 0 >= 6 }
        node1.kill()
        let leftInSpool = node1.spooled.filter { $0.hasSuffix(".data") }.count
        #expect(leftInSpool >= 6, "node 1's acknowledged uploads wait in its spool: \(node1.spooled)")
        // nginx finds node 1 refusing connections and sends the requests to node 2 (nothing of them was sent).
        let atKill = uploader.acknowledgedCount
        try await Self.wait("uploads acknowledged by node 2 alone") { uploader.acknowledgedCount >= atKill + 8 }

        // The replacement: the same spool (what it acknowledged is there), a new port, nginx reloaded with it.
        let restarted = try await EngineProcess.serve(environment: Self.environment(url), spool: node1.spool)
        defer { restarted.kill() }
        try await nginx.reload(upstreams: [restarted.port, node2.port])
        try await Self.wait("the restarted node takes uploads") { (try? restarted.filesAccepted()) ?? 0 >= 4 }
        let (acknowledged, attempted) = uploader.stop()
        stopped = true

        try await Self.waitForDrain([restarted, node2])
        let rows = try Self.rows(url)
        Self.expectExactlyOnce(acknowledged: Set(acknowledged.keys), rows: rows)
        #expect(rows.allSatisfy { $0.status == "parsed" }, "every row was processed: \(rows)")
        // Each file's content is its own: rows are at most what was sent (unacknowledged ones may be stored too).
        #expect(rows.count <= attempted, "\(rows.count) rows for \(attempted) files sent")
        #expect(await restarted.stop() == 0, "\(restarted.log)")
        #expect(await node2.stop() == 0, "\(node2.log)")
        // For the record: connections node 1 refused (passed on to node 2), and requests whose body had gone to
        // node 1 when it died (answered 502, not passed on: node 1 may have spooled them, and did if they are
        // among the rows).
        let passedOn = nginx.errorLog.components(separatedBy: "while connecting to upstream").count - 1
        let badGateway = nginx.accessLog.split(separator: "\n").filter { $0.hasPrefix("502 ") }.count
        print("two engines, one killed: \(attempted) files sent through nginx, \(acknowledged.count) acknowledged, "
              + "\(rows.count) rows; node 1 left \(leftInSpool) in its spool; "
              + "nginx saw \(passedOn) refused connections and answered \(badGateway) with 502")
    }
}

// MARK: - Helpers

extension TwoEnginesTests {
    /// A small text resume whose content is unique to `id`.
    static func resume(_ id: String) -> String {
        "Candidate \(id)\ncandidate.\(id.replacingOccurrences(of: "-", with: "."))@example.com\n"
            + "+44 20 7946 0000\n\nEXPERIENCE\nEngineer, Acme Ltd\n2019 - 2024\n"
    }

    /// Polls `condition` every 50 ms for up to `seconds`; throws what it waited for when it never held.
    static func wait(_ what: String, seconds: Double = 60, _ condition: () throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("timed out after \(Int(seconds)) s waiting until \(what)")
    }

    /// Until every node's `incoming/` is empty: a document leaves a spool only once its row has committed.
    static func waitForDrain(_ nodes: [EngineProcess]) async throws {
        do {
            try await wait("the spools drain", seconds: 120) { nodes.allSatisfy { $0.spooled.isEmpty } }
        } catch {
            throw TestFailure("\(error): \(nodes.map { $0.spooled.count }) files left\n"
                              + nodes.map(\.log).joined(separator: "\n---\n"))
        }
    }

    /// Tenant default's rows: SHA-256 (hex) and status.
    static func rows(_ url: String) throws -> [(sha: String, status: String)] {
        try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            SELECT encode(content_sha256, 'hex') || ' ' || status FROM documents
            """).split(separator: "\n").dropFirst().map {
            let parts = $0.split(separator: " ")
            return (String(parts.first ?? ""), String(parts.last ?? ""))
        }
    }

    /// Every acknowledged SHA-256 has exactly one row.
    static func expectExactlyOnce(acknowledged: Set<String>, rows: [(sha: String, status: String)],
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        var count: [String: Int] = [:]
        for row in rows { count[row.sha, default: 0] += 1 }
        let lost = acknowledged.filter { count[$0] == nil }
        let duplicated = count.filter { $0.value > 1 }
        #expect(!acknowledged.isEmpty, "nothing was acknowledged", sourceLocation: sourceLocation)
        #expect(lost.isEmpty, "acknowledged but not stored: \(lost.sorted())", sourceLocation: sourceLocation)
        #expect(duplicated.isEmpty, "more than one row: \(duplicated)", sourceLocation: sourceLocation)
    }
}

/// One upload by `curl` as a child process, started at once; ``answer()`` waits for it without holding a thread
/// of the cooperative pool (two on a two-core machine).
final class CurlUpload: @unchecked Sendable {
    // @unchecked: set in init; `process` is read only after it has exited.
    struct Answer {
        var status: Int
        var body: String
        /// The SHA-256 of each file the answer calls `queued`.
        var queued: [String]
    }

    private let process = Process()
    private let directory: String

    init(files: [String], port: Int, headers: [String] = []) throws {
        directory = try TemporaryDirectory.make(prefix: "curl")
        // The body into one file, the status (`-w`, on standard output) into another: nothing to drain meanwhile.
        _ = FileManager.default.createFile(atPath: directory + "/status", contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sS", "--max-time", "30", "-o", directory + "/body", "-w", "%{http_code}"]
            + headers.flatMap { ["-H", $0] } + files.flatMap { ["-F", "files=@\($0)"] }
            + ["http://127.0.0.1:\(port)/api/v1/bulk-parse-resumes"]
        process.standardOutput = FileHandle(forWritingAtPath: directory + "/status")
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func answer() async -> Answer {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        let read = { (name: String) in
            (try? String(contentsOfFile: self.directory + "/" + name, encoding: .utf8)) ?? ""
        }
        let body = read("body")
        let status = Int(read("status").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        try? FileManager.default.removeItem(atPath: directory)
        var queued: [String] = []
        if let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
           let files = json["files"] as? [[String: Any]] {
            queued = files.filter { $0["status"] as? String == "queued" }.compactMap { $0["sha256"] as? String }
        }
        return Answer(status: status, body: body, queued: queued)
    }
}

extension EngineProcess {
    /// `ingest_files_accepted_total` from the node's `/metrics`: file parts it spooled and acknowledged.
    func filesAccepted() throws -> Int {
        let metrics = try curl(["http://127.0.0.1:\(port)/metrics"])
        guard let match = metrics.firstMatch(of: /(?m)^ingest_files_accepted_total (\d+)/) else {
            throw TestFailure("no ingest_files_accepted_total in /metrics:\n\(metrics)")
        }
        return Int(match.1) ?? 0
    }
}
