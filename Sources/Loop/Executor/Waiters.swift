/// Tasks on the loop waiting for something (room, a drain, a turn), woken together or one at a time.
///
/// The one place that holds continuations for "wait until…", instead of arrays of them in every stage.
/// Continuations are resumed outside any lock (everything runs on the loop), and each exactly once.
@LoopActor
public final class Waiters {
    private var continuations: [CheckedContinuation<Void, Never>] = []

    public init() {}

    /// Tasks waiting now.
    public var count: Int { continuations.count }

    /// Suspends until ``resumeAll()`` or ``resumeOne()`` wakes this task.
    public func wait() async {
        await withCheckedContinuation(isolation: LoopActor.shared) { continuations.append($0) }
    }

    /// Wakes every task waiting now (ones that start waiting while they run are not woken).
    public func resumeAll() {
        let woken = continuations
        continuations = []
        woken.forEach { $0.resume() }
    }

    /// Wakes the longest-waiting task; false when none was waiting.
    @discardableResult
    public func resumeOne() -> Bool {
        guard !continuations.isEmpty else { return false }
        continuations.removeFirst().resume()
        return true
    }
}

/// Mutual exclusion across suspension points on the loop: one task at a time runs the body, the others wait
/// their turn in order (e.g. the statements of one database connection, which runs one at a time).
@LoopActor
public final class LoopMutex {
    private var held = false
    private let waiters = Waiters()

    public init() {}

    /// Runs `body` once no other task holds the mutex.
    public func withLock<T>(_ body: () async throws -> T) async rethrows -> T {
        while held { await waiters.wait() }
        held = true
        defer {
            held = false
            waiters.resumeOne()
        }
        return try await body()
    }
}
