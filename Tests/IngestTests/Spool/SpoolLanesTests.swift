import Crypto
import Foundation
@testable import Loop
import Logging
import Testing
import TestSupport

@testable import Ingest

/// The backlog's lanes: tenants are served round robin (with weights), and an erasure takes a content's copies
/// out of the backlog and off the disk.
@Suite("Spool lanes")
struct SpoolLanesTests {
    @LoopActor
    static func spool() async throws -> Spool {
        let root = try TemporaryDirectory.make(prefix: "lanes")
        let spool = Spool(directory: root, marks: SpoolMarks(), metrics: IngestMetrics(), logger: Logger(label: "t"))
        _ = try await spool.open()
        return spool
    }

    /// Spools `count` documents of `tenant` whose bytes are `content(i)`; returns their ids in order.
    @LoopActor
    static func add(_ spool: Spool, tenant: String, count: Int, content: (Int) -> String) async throws -> [DocumentID] {
        var documents: [SpooledDocument] = []
        for i in 0..<count {
            let bytes = Array(content(i).utf8)
            let tmp = spool.temporaryDirectory
            let doc: SpooledDocument = try await Offload.run {
                let writer = try SpoolWriter(temporaryDirectory: tmp)
                try bytes.withUnsafeBytes { try writer.write($0) }
                let metadata = DocumentMetadata(id: writer.id, tenant: tenant, batchID: DocumentID(), filename: "f\(i)",
                                                declaredType: nil, size: 0, sha256: [],
                                                receivedAtMilliseconds: 0)
                return try writer.finish(metadata)
            }
            documents.append(doc)
        }
        try await spool.commit(documents)
        return documents.map(\.metadata.id)
    }

    @Test("a tenant's single upload is served after at most one document of a tenant importing thousands; weights give more turns")
    @LoopActor
    func roundRobin() async throws {
        let spool = try await Self.spool()
        let bulk = try await Self.add(spool, tenant: "bulk", count: 200, content: { "bulk \($0)" })
        let single = try await Self.add(spool, tenant: "single", count: 1, content: { _ in "single" })
        var order: [DocumentID] = []
        for _ in 0..<3 { order.append(try #require(await spool.nextCommitted())) }
        #expect(order[0] == bulk[0])
        #expect(order[1] == single[0], "the single upload comes second, not after 200 documents")
        #expect(order[2] == bulk[1])
        #expect(spool.pendingCount == 198)

        // Weight 3 for "heavy": three of its documents per turn, one of "light"'s.
        let weighted = try await Self.spool()
        weighted.weights["heavy"] = 3
        _ = try await Self.add(weighted, tenant: "heavy", count: 9, content: { "heavy \($0)" })
        let light = try await Self.add(weighted, tenant: "light", count: 3, content: { "light \($0)" })
        var lanes: [String] = []
        for _ in 0..<8 {
            let id = try #require(await weighted.nextCommitted())
            lanes.append(light.contains(id) ? "L" : "H")
        }
        #expect(lanes.joined() == "HHHLHHHL", "\(lanes)")
    }

    @Test("purge removes the tenant's copies of one content from the backlog and the disk, and only those")
    @LoopActor
    func purge() async throws {
        let spool = try await Self.spool()
        let mine = try await Self.add(spool, tenant: "acme", count: 4, content: { $0 % 2 == 0 ? "same cv" : "other cv \($0)" })
        let theirs = try await Self.add(spool, tenant: "beta", count: 1, content: { _ in "same cv" })
        let sha = Array(SHA256.hash(data: Array("same cv".utf8)))
        let removed = await spool.purge(tenant: "acme", sha256: sha)
        #expect(removed == 2)
        #expect(spool.pendingCount == 3)
        for id in [mine[0], mine[2]] {
            #expect(!FileManager.default.fileExists(atPath: spool.paths(of: id).data), "erased bytes are gone")
        }
        var left: [DocumentID] = []
        while spool.pendingCount > 0 { left.append(try #require(await spool.nextCommitted())) }
        #expect(Set(left) == Set([mine[1], mine[3], theirs[0]]), "beta's copy of the same bytes stays")
    }
}
