import Foundation
@testable import Loop
import Testing

@Suite("Document metadata and the loop's waiters")
struct DocumentMetadataTests {
    private func metadata(refusal: DocumentMetadata.Refusal? = nil) -> DocumentMetadata {
        DocumentMetadata(id: DocumentID(), tenant: "acme", batchID: DocumentID(), filename: "jané \"cv\".pdf",
                         declaredType: "application/pdf", size: 1234, sha256: Array(repeating: 0xAB, count: 32),
                         receivedAtMilliseconds: 1_764_000_000_123, refusal: refusal)
    }

    @Test("what the spool writes reads back as the same typed value, refusal included")
    func roundTrip() throws {
        for original in [metadata(), metadata(refusal: .init(code: "unsafe_entry", detail: "../x escapes"))] {
            let back = try DocumentMetadata(decoding: original.encoded(), id: original.id)
            #expect(back == original)
        }
    }

    @Test("metadata from before the batch and tenant fields gets the defaults; damaged metadata is an error")
    func oldAndDamaged() throws {
        let id = DocumentID()
        let old = try DocumentMetadata(decoding: Array("{\"version\":1,\"size\":26}".utf8), id: id)
        #expect(old.tenant == "default")
        #expect(old.batchID == id)
        #expect(old.sha256.isEmpty)
        #expect(throws: DocumentMetadata.DecodingError.self) {
            try DocumentMetadata(decoding: Array("{\"version\":1}".utf8), id: id)
        }
        #expect(throws: DocumentMetadata.DecodingError.self) {
            try DocumentMetadata(decoding: Array("not json".utf8), id: id)
        }
    }

    @LoopActor
    private final class Trace {
        var log: [String] = []
        var inside = 0
        var maxInside = 0
        var woken: [Int] = []
    }

    @Test("a loop mutex runs one body at a time, in arrival order, across suspension points")
    @LoopActor
    func mutexOrder() async {
        let mutex = LoopMutex()
        let trace = Trace()
        let tasks = (0..<5).map { i in
            Task { @LoopActor in
                await mutex.withLock {
                    trace.inside += 1
                    trace.maxInside = max(trace.maxInside, trace.inside)
                    trace.log.append("start \(i)")
                    await Task.yield()
                    trace.log.append("end \(i)")
                    trace.inside -= 1
                }
            }
        }
        for t in tasks { await t.value }
        #expect(trace.maxInside == 1)
        #expect(trace.log.count == 10)
        for k in stride(from: 0, to: 10, by: 2) {
            #expect(trace.log[k].hasPrefix("start") && trace.log[k + 1].hasPrefix("end")
                        && trace.log[k].dropFirst(6) == trace.log[k + 1].dropFirst(4))
        }
    }

    @Test("waiters: resumeOne wakes one in order, resumeAll the rest")
    @LoopActor
    func waiters() async {
        let waiters = Waiters()
        let trace = Trace()
        let tasks = (0..<3).map { i in
            Task { @LoopActor in
                await waiters.wait()
                trace.woken.append(i)
            }
        }
        // Sleep, not Task.yield(): a yield loop on the loop re-queues itself at once and holds the loop's drain.
        while waiters.count < 3 { try? await Task.sleep(for: .milliseconds(1)) }
        #expect(waiters.resumeOne())
        while trace.woken.isEmpty { try? await Task.sleep(for: .milliseconds(1)) }
        try? await Task.sleep(for: .milliseconds(20))
        #expect(trace.woken.count == 1)
        #expect(waiters.count == 2)
        waiters.resumeAll()
        for t in tasks { await t.value }
        #expect(trace.woken.sorted() == [0, 1, 2])
        #expect(!waiters.resumeOne())
    }
}
