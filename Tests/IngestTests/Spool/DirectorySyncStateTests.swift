@testable import Loop
@testable import HTTP1
import Testing

@testable import Ingest

/// Grouped directory syncs: who starts a round, who waits, and which round each waiter belongs to.
@Suite("Directory sync grouping")
struct DirectorySyncStateTests {
    private func started(_ action: DirectorySyncState<Int>.RequestAction) -> [Int]? {
        if case .startRound(let round) = action { return round }
        return nil
    }

    @Test("the first request starts a round; requests during it share the next one")
    func grouping() {
        var machine = DirectorySyncState<Int>()
        #expect(started(machine.request(1)) == [1])
        #expect(started(machine.request(2)) == nil)
        #expect(started(machine.request(3)) == nil)
        #expect(machine.roundCompleted() == [2, 3])
        #expect(started(machine.request(4)) == nil)
        #expect(machine.roundCompleted() == [4])
        #expect(machine.roundCompleted() == nil)
        #expect(started(machine.request(5)) == [5])
        #expect(machine.roundCompleted() == nil)
    }
}
