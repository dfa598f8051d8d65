import Synchronization
import Testing

@testable import Loop

/// The executor gives libuv its turn: Swift jobs run a batch per wake-up, then timers, polls and signals.
@Suite("Event loop turns")
struct EventLoopTurnsTests {
    final class Flag: Sendable {
        let value = Atomic<Bool>(false)
        var fired: Bool { value.load(ordering: .relaxed) }
    }

    @Test("a stream of jobs that never lets the queue empty does not hold libuv's timers: a timer fires while it runs")
    @LoopActor
    func jobsDoNotHoldTimers() async {
        let flag = Flag()
        let timer = UVTimer()
        timer.schedule(after: 20) { flag.value.store(true, ordering: .relaxed) }
        // A task on the loop's own executor: each yield queues it again at once, from the loop thread, inside the
        // batch being run. Before, the executor ran jobs until its queue stayed empty, and libuv never got back
        // to its timers while a stream like this lasted (bounded here at 5 s).
        let seen = Flag()
        let spinner = EventLoop.spawn {
            let started = ContinuousClock.now
            while !flag.fired, ContinuousClock.now - started < .seconds(5) { await Task.yield() }
            seen.value.store(flag.fired, ordering: .relaxed)
        }
        await spinner.value
        timer.close()
        #expect(seen.fired, "the timer did not fire while the stream of jobs ran")
    }
}
