/// A loop's wait between polls that ends early when woken: the shape of every poller here (a queue in the
/// database that another engine, or this one, may fill at any time).
///
/// The check for a wake-up that came while not napping and the registration of the nap happen in one step,
/// inside the continuation's body: a call into another loop-isolated async function can suspend before its
/// body runs (an executor hop), and a `wake()` landing in that gap would otherwise be lost, or cancel the
/// timer of a nap not yet waiting.
@LoopActor
public final class Nap {
    private var timer: UVTimer?
    private var napping: CheckedContinuation<Void, Never>?
    private var woken = false
    private var closed = false

    public init() {}

    /// Waits `milliseconds`, or less when woken (at once when woken since the last nap, or closed).
    public func nap(milliseconds: UInt64) async {
        await withCheckedContinuation(isolation: LoopActor.shared) { continuation in
            if woken || closed {
                woken = false
                continuation.resume()
                return
            }
            napping = continuation
            if timer == nil { timer = UVTimer() }
            timer?.schedule(after: milliseconds) { [weak self] in self?.end() }
        }
    }

    /// Ends the nap in progress, or the next one before it starts.
    public func wake() {
        if napping == nil { woken = true }
        end()
    }

    /// Wakes for good: every later nap returns at once. The timer is closed.
    public func close() {
        closed = true
        end()
        timer?.close()
        timer = nil
    }

    private func end() {
        guard let continuation = napping else { return }
        napping = nil
        timer?.cancel()
        continuation.resume()
    }
}
