import Foundation
@testable import Loop
@testable import HTTP1
import Logging
import Testing
import TestSupport

@testable import Ingest

/// Start-up recovery: leftovers of interrupted uploads are removed; acknowledged documents are the backlog.
@Suite("Spool recovery")
struct SpoolRecoveryTests {
    @Test("tmp leftovers and half-committed files are removed; whole documents are counted")
    @LoopActor
    func recovery() async throws {
        let root = try TemporaryDirectory.make(prefix: "recovery")
        for sub in ["/tmp", "/incoming"] {
            try FileManager.default.createDirectory(atPath: root + sub, withIntermediateDirectories: true)
        }
        let (a, b, c) = (DocumentID(), DocumentID(), DocumentID())
        try TemporaryDirectory.write(root + "/tmp/0001.data", Array("partial upload".utf8))
        try TemporaryDirectory.write(root + "/tmp/0001.json", Array("{}".utf8))
        try TemporaryDirectory.write(root + "/incoming/\(a).data", Array(repeating: 1, count: 100))
        try TemporaryDirectory.write(root + "/incoming/\(a).json", Array("{}".utf8))
        try TemporaryDirectory.write(root + "/incoming/\(b).data", Array(repeating: 2, count: 50))
        try TemporaryDirectory.write(root + "/incoming/\(c).json", Array("{}".utf8))
        // A whole pair whose name is not a document id was not written by the engine: not backlog.
        try TemporaryDirectory.write(root + "/incoming/stray.data", Array(repeating: 3, count: 10))
        try TemporaryDirectory.write(root + "/incoming/stray.json", Array("{}".utf8))

        let spool = Spool(directory: root, marks: SpoolMarks(), metrics: IngestMetrics(), logger: Logger(label: "t"))
        let recovery = try await spool.open()
        #expect(recovery == Spool.Recovery(backlogFiles: 1, backlogBytes: 100, removedTemporary: 2,
                                           removedOrphans: 2))
        #expect(TemporaryDirectory.list(root + "/tmp").isEmpty)
        #expect(TemporaryDirectory.list(root + "/incoming").sorted()
                    == ["\(a).data", "\(a).json", "stray.data", "stray.json"])
        #expect(spool.depthFiles == 1)
        #expect(spool.depthBytes == 100)
    }

    @Test("a server restarted on an old spool reports its backlog and keeps it")
    func backlogSurvivesRestart() async throws {
        let first = try await TestServer()
        var body = MultipartBody()
        body.file(filename: "a.txt", Array("one".utf8))
        body.file(filename: "b.txt", Array("two".utf8))
        let client = try TestClient(port: first.port)
        client.send(body.request())
        #expect(try client.readResponse().status == 202)
        await first.stop()
        let dir = first.spoolDirectory
        let second = try await TestServer { $0.spoolDirectory = dir }
        let c2 = try TestClient(port: second.port)
        c2.send("GET /startup-status HTTP/1.1\r\nHost: x\r\n\r\n")
        let json = try JSON.parse(try c2.readResponse().body)
        #expect(json["components"]?["spool"]?["backlog_files"]?.int == 2)
        #expect(second.incoming().count == 4)
        await second.stop()
    }

    @Test("a spool is used by one process at a time: a second opener is told, and gets it once the first lets go")
    @LoopActor
    func oneUserAtATime() async throws {
        let root = try TemporaryDirectory.make(prefix: "spool-lock")
        let first = Spool(directory: root, marks: SpoolMarks(), metrics: IngestMetrics(), logger: Logger(label: "t"))
        try await first.open()
        let second = Spool(directory: root, marks: SpoolMarks(), metrics: IngestMetrics(), logger: Logger(label: "t"))
        await #expect(throws: Spool.InUse.self) { try await second.open() }
        first.release()
        try await second.open()
        second.release()
    }
}
