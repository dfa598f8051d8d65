@testable import ExtractPool
import Foundation
@testable import Ingest
import Loop
@testable import Pipeline
import Testing
import TestSupport

@Suite("Spool as the extraction pool's source")
struct SpoolSourceTests {
    @Test("a spooled document is pulled from incoming/ with its metadata")
    @LoopActor
    func spoolSource() async throws {
        let root = try TemporaryDirectory.make(prefix: "spoolsource")
        try FileManager.default.createDirectory(atPath: root + "/incoming", withIntermediateDirectories: true)
        let spool = Spool(directory: root, marks: SpoolMarks(), metrics: IngestMetrics(), logger: .init(label: "t"))
        let id = DocumentID()
        try TemporaryDirectory.write(root + "/incoming/\(id).data", Array("Jane Doe\njane@example.com\n".utf8))
        try TemporaryDirectory.write(root + "/incoming/\(id).json", Array(
            "{\"version\":1,\"id\":\"\(id)\",\"tenant\":\"acme\",\"filename\":\"jane.txt\",\"size\":26}\n".utf8))
        try await spool.open()
        let source = SpoolSource(spool: spool)
        let input = try #require(await source.next())
        #expect(input.id == id.description)
        #expect(input.filename == "jane.txt")
        #expect(input.metadata?.tenant == "acme")
        #expect(input.size == 26)
        spool.closeQueue()
        #expect(await source.next() == nil)
    }

    @Test("damaged metadata: the document goes to quarantine/ with its reason, the others flow, nothing is deleted")
    @LoopActor
    func quarantine() async throws {
        let root = try TemporaryDirectory.make(prefix: "spoolsource")
        try FileManager.default.createDirectory(atPath: root + "/incoming", withIntermediateDirectories: true)
        let metrics = IngestMetrics()
        let spool = Spool(directory: root, marks: SpoolMarks(), metrics: metrics, logger: .init(label: "t"))
        let ids = (0..<3).map { _ in DocumentID() }.sorted()
        let damagedJSON = Array("{\"version\":1,\"id\":".utf8)
        let damagedData = Array("the damaged document's bytes".utf8)
        for (index, id) in ids.enumerated() {
            let data = index == 1 ? damagedData : Array("Jane Doe \(index)\n".utf8)
            try TemporaryDirectory.write(root + "/incoming/\(id).data", data)
            try TemporaryDirectory.write(root + "/incoming/\(id).json", index == 1 ? damagedJSON : Array(
                "{\"version\":1,\"id\":\"\(id)\",\"tenant\":\"acme\",\"size\":\(data.count)}\n".utf8))
        }
        try await spool.open()
        #expect(spool.depthFiles == 3)
        let source = SpoolSource(spool: spool)
        #expect(await source.next()?.id == ids[0].description)
        #expect(await source.next()?.id == ids[2].description, "the damaged document held the others up")

        let damaged = ids[1]
        let fm = FileManager.default
        #expect(!fm.fileExists(atPath: root + "/incoming/\(damaged).json"), "still in incoming/")
        #expect(!fm.fileExists(atPath: root + "/incoming/\(damaged).data"), "still in incoming/")
        #expect(fm.contents(atPath: root + "/quarantine/\(damaged).json").map(Array.init) == damagedJSON)
        #expect(fm.contents(atPath: root + "/quarantine/\(damaged).data").map(Array.init) == damagedData)
        let reason = fm.contents(atPath: root + "/quarantine/\(damaged).reason")
            .map { String(decoding: $0, as: UTF8.self) }
        #expect(reason?.contains("metadata_damaged") == true, "\(reason ?? "no reason file")")
        #expect(spool.depthFiles == 2)
        let rendered = String(decoding: metrics.render(), as: UTF8.self)
        #expect(rendered.contains("ingest_spool_quarantined_total{reason=\"metadata_damaged\"} 1"), "\(rendered)")

        // After a restart the two good documents are the backlog and the quarantined one is left alone.
        spool.release()
        let again = Spool(directory: root, marks: SpoolMarks(), metrics: IngestMetrics(), logger: .init(label: "t"))
        let recovery = try await again.open()
        #expect(recovery.backlogFiles == 2)
        #expect(recovery.removedOrphans == 0)
        #expect(fm.fileExists(atPath: root + "/quarantine/\(damaged).data"))
        again.release()
    }

    @Test("a quarantine interrupted between its renames is finished at start-up, not removed as an orphan")
    @LoopActor
    func interruptedQuarantine() async throws {
        let root = try TemporaryDirectory.make(prefix: "spoolsource")
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/incoming", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/quarantine", withIntermediateDirectories: true)
        let id = DocumentID()
        try TemporaryDirectory.write(root + "/quarantine/\(id).data", Array("bytes".utf8))
        try TemporaryDirectory.write(root + "/quarantine/\(id).reason", Array("reason: metadata_damaged\n".utf8))
        try TemporaryDirectory.write(root + "/incoming/\(id).json", Array("{".utf8))
        let spool = Spool(directory: root, marks: SpoolMarks(), metrics: IngestMetrics(), logger: .init(label: "t"))
        let recovery = try await spool.open()
        #expect(recovery.removedOrphans == 0)
        #expect(recovery.backlogFiles == 0)
        #expect(fm.contents(atPath: root + "/quarantine/\(id).json").map(Array.init) == Array("{".utf8))
        #expect(!fm.fileExists(atPath: root + "/incoming/\(id).json"))
        spool.release()
    }
}
