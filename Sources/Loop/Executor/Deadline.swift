extension EventLoop {
    /// Runs `body` as a task of its own and waits for it at most `milliseconds`; true when it finished in
    /// time. Past the deadline the body goes on running (nothing here can stop it): for shutdown steps that
    /// must not hold the rest up, like waiting for workers parked behind a database that is down.
    @LoopActor
    public static func wait(atMost milliseconds: UInt64,
                            for body: @escaping @Sendable @LoopActor () async -> Void) async -> Bool {
        let state = DeadlineState()
        spawn { await state.run(body) }
        let timer = UVTimer()
        timer.schedule(after: milliseconds) { state.expire() }
        while !state.finished && !state.expired { await state.waiters.wait() }
        timer.close()
        return state.finished
    }
}

/// Who came first: the body or the deadline.
@LoopActor
private final class DeadlineState: Sendable {
    private(set) var finished = false
    private(set) var expired = false
    let waiters = Waiters()

    func run(_ body: @Sendable @LoopActor () async -> Void) async {
        await body()
        finished = true
        waiters.resumeAll()
    }

    func expire() {
        expired = true
        waiters.resumeAll()
    }
}
