internal import CLibUV

/// A libuv timer: one pending callback at a time, restartable.
@LoopActor
package final class UVTimer: UVHandle {
    private var callback: (@LoopActor () -> Void)?

    package init() {
        super.init(type: UV_TIMER)
        let rc = uv_timer_init(EventLoop.shared.raw, raw.assumingMemoryBound(to: uv_timer_t.self))
        precondition(rc == 0, "uv_timer_init: \(UVError(rc))")
        register()
    }

    /// Fires `body` once after `milliseconds`, replacing any pending schedule.
    package func schedule(after milliseconds: UInt64, _ body: @escaping @LoopActor () -> Void) {
        guard !isClosing else { return }
        callback = body
        uv_timer_start(raw.assumingMemoryBound(to: uv_timer_t.self), { t in
            LoopActor.assumeIsolated {
                let me: UVTimer = UVHandle.owner(UnsafeMutableRawPointer(t))
                let body = me.callback
                me.callback = nil
                body?()
            }
        }, milliseconds, 0)
    }

    /// Cancels the pending schedule, if any.
    package func cancel() {
        callback = nil
        guard !isClosing else { return }
        uv_timer_stop(raw.assumingMemoryBound(to: uv_timer_t.self))
    }

    package override func didClose() { callback = nil }

    /// Suspends the calling loop task for `milliseconds`, on a timer of its own.
    package static func sleep(milliseconds: UInt64) async {
        let timer = UVTimer()
        await withCheckedContinuation(isolation: LoopActor.shared) { continuation in
            timer.schedule(after: milliseconds) { continuation.resume() }
        }
        timer.close()
    }

    /// The loop's cached clock, in milliseconds.
    package static var now: UInt64 { uv_now(EventLoop.shared.raw) }

}
