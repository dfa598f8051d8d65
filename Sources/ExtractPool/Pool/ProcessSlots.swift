import Loop

/// A counting semaphore on the loop: how many converter processes may run at once.
///
/// Every converter run takes a slot just before it starts and gives it back when it ends; nothing waits
/// for a second slot while holding one, so OCR of a many-page scan may use every slot without deadlock.
@LoopActor
public final class ProcessSlots {
    public let capacity: Int
    public private(set) var inUse = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Waits for a free slot and takes it.
    public func acquire() async {
        if inUse < capacity {
            inUse += 1
            return
        }
        await withCheckedContinuation(isolation: LoopActor.shared) { waiters.append($0) }
    }

    /// Gives a slot back (to the longest waiter, if any).
    public func release() {
        if waiters.isEmpty {
            inUse -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }

    /// Runs `body` holding a slot.
    public func with<T>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }
}
