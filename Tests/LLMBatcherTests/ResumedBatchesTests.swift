import Testing

@testable import LLMBatcher

/// Batches resumed from the journal, pure: which job waits, which gets an answer, when a batch is settled.
@Suite("Resumed batches")
struct ResumedBatchesTests {
    @Test("content in a resumed batch waits; the answer goes to the waiting job; the rest is kept for jobs to come")
    func answers() {
        var r = ResumedBatches<String, Int>()
        r.add(batchID: "b1", contentKeys: ["A", "B", "C"])
        guard case .none = r.claim("x", key: "Z") else { Issue.record("not in a batch: sent as usual"); return }
        guard case .wait = r.claim("a", key: "A") else { Issue.record("A waits"); return }
        #expect(r.waitingCount == 1)
        let finish = r.finished(batchID: "b1", answers: ["A": 1, "B": 2])
        #expect(finish.deliver.map(\.0) == ["a"])
        #expect(finish.deliver.map(\.1) == [1])
        #expect(finish.release.isEmpty)
        #expect(!finish.settled, "B's answer waits for its document")
        #expect(r.waitingCount == 0)
        guard case .none = r.claim("c", key: "C") else { Issue.record("C was not answered: sent as usual"); return }
        guard case .answer(2, let settled) = r.claim("b", key: "B") else { Issue.record("B gets its answer"); return }
        #expect(settled == "b1", "the last answer claimed settles the batch")
        #expect(!r.holds("b1"))
        guard case .none = r.claim("b again", key: "B") else { Issue.record("an answer is given once"); return }
    }

    @Test("a waiting job whose content the batch did not answer is released to be sent")
    func unanswered() {
        var r = ResumedBatches<String, Int>()
        r.add(batchID: "b1", contentKeys: ["A", "B"])
        _ = r.claim("a", key: "A")
        _ = r.claim("b", key: "B")
        let finish = r.finished(batchID: "b1", answers: ["B": 5])
        #expect(finish.release == ["a"])
        #expect(finish.deliver.map(\.0) == ["b"])
        #expect(finish.settled)
    }

    @Test("a dead batch releases its waiting jobs and forgets its content")
    func dead() {
        var r = ResumedBatches<String, Int>()
        r.add(batchID: "gone", contentKeys: ["A", "B"])
        _ = r.claim("a", key: "A")
        #expect(r.dead(batchID: "gone") == ["a"])
        #expect(!r.holds("gone"))
        guard case .none = r.claim("b", key: "B") else { Issue.record("B goes as usual"); return }
    }

    @Test("the claim window's end forgets unclaimed answers; content in two batches stays with the first")
    func expiry() {
        var r = ResumedBatches<String, Int>()
        r.add(batchID: "b1", contentKeys: ["A"])
        r.add(batchID: "b2", contentKeys: ["A", "B"])
        let first = r.finished(batchID: "b1", answers: ["A": 1])
        #expect(!first.settled)
        r.expire(batchID: "b1")
        #expect(!r.holds("b1"))
        guard case .none = r.claim("a", key: "A") else { Issue.record("expired: sent as usual"); return }
        let second = r.finished(batchID: "b2", answers: ["A": 9, "B": 3])
        #expect(!second.settled, "B is still to be claimed")
        guard case .none = r.claim("a2", key: "A") else { Issue.record("A belonged to b1"); return }
    }
}
