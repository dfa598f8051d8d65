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
}
