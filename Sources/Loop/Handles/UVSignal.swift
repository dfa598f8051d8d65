internal import CLibUV

/// Delivers a POSIX signal to the loop as a callback (libuv's self-pipe, so it is safe to do anything).
@LoopActor
package final class UVSignal: UVHandle {
    private var callback: (@LoopActor () -> Void)?

    /// Starts watching `signal` (e.g. `SIGTERM`); `body` runs on the loop each time it arrives.
    package init(signal: Int32, _ body: @escaping @LoopActor () -> Void) {
        callback = body
        super.init(type: UV_SIGNAL)
        let h = raw.assumingMemoryBound(to: uv_signal_t.self)
        precondition(uv_signal_init(EventLoop.shared.raw, h) == 0)
        register()
        let rc = uv_signal_start(h, { s, _ in
            LoopActor.assumeIsolated {
                let me: UVSignal = UVHandle.owner(UnsafeMutableRawPointer(s))
                me.callback?()
            }
        }, signal)
        precondition(rc == 0, "uv_signal_start: \(UVError(rc))")
    }

    /// Stops watching and releases the handle.
    package func cancel() { close() }

    package override func didClose() { callback = nil }
}

/// Watches POSIX signals on the loop (e.g. `SIGTERM` for graceful shutdown).
@LoopActor
public final class SignalWatcher {
    private var handles: [UVSignal] = []

    /// Runs `body` on the loop whenever one of `signals` arrives, until ``cancel()``.
    public init(signals: [Int32], _ body: @escaping @LoopActor (Int32) -> Void) {
        handles = signals.map { signal in UVSignal(signal: signal) { body(signal) } }
    }

    /// Stops watching.
    public func cancel() {
        handles.forEach { $0.cancel() }
        handles = []
    }
}
