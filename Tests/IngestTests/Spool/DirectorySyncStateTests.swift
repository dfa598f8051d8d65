import Testing

@testable import Ingest

/// Grouped directory syncs: who starts a sync, who waits, and who each completed sync releases.
@Suite("Directory sync grouping")
struct DirectorySyncStateTests {
    @Test("the first request starts a sync; requests during it share the next one")
    func grouping() {
        var machine = DirectorySyncState<Int>()
        #expect(machine.request(1) == .startSync)
        #expect(machine.request(2) == .wait)
        #expect(machine.request(3) == .wait)
        let first = machine.syncCompleted()
        #expect(first.resume == [1])
        #expect(first.startNext)
        #expect(machine.request(4) == .wait)
        let second = machine.syncCompleted()
        #expect(second.resume == [2, 3])
        #expect(second.startNext)
        let third = machine.syncCompleted()
        #expect(third.resume == [4])
        #expect(!third.startNext)
        #expect(machine.request(5) == .startSync)
    }
}
