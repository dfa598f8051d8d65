internal import CLibUV

/// Watches a file descriptor on the loop (pipes of child processes, pidfds, and the sockets of the HTTP
/// client and of libpq, which do their own I/O and only need to know when to). The descriptor stays the
/// caller's: closing the handle does not close it.
@LoopActor
package final class UVPoll: UVHandle {
    /// Readiness reported to the callback.
    package struct Events: OptionSet, Sendable {
        package let rawValue: Int32
        package init(rawValue: Int32) { self.rawValue = rawValue }
        package static let readable = Events(rawValue: Int32(UV_READABLE.rawValue))
        package static let writable = Events(rawValue: Int32(UV_WRITABLE.rawValue))
    }

    private var callback: (@LoopActor (_ status: Int32, _ events: Events) -> Void)?

    package init(fd: Int32) throws(UVError) {
        super.init(type: UV_POLL)
        let rc = uv_poll_init(EventLoop.shared.raw, raw.assumingMemoryBound(to: uv_poll_t.self), fd)
        if rc < 0 {
            raw.deallocate()
            throw UVError(rc, "uv_poll_init")
        }
        register()
    }

    /// Calls `body` each time the descriptor is readable (or with a negative libuv code on error).
    package func startReading(_ body: @escaping @LoopActor (_ status: Int32) -> Void) {
        start(.readable) { status, _ in body(status) }
    }

    /// Watches for `events` (replacing what was watched); `body` gets the libuv status and what is ready.
    package func start(_ events: Events, _ body: @escaping @LoopActor (_ status: Int32, _ events: Events) -> Void) {
        guard !isClosing else { return }
        callback = body
        uv_poll_start(raw.assumingMemoryBound(to: uv_poll_t.self), events.rawValue) { p, status, events in
            LoopActor.assumeIsolated {
                let me: UVPoll = UVHandle.owner(UnsafeMutableRawPointer(p))
                me.callback?(status, Events(rawValue: events))
            }
        }
    }

    /// Stops watching (the handle can be started again).
    package func stop() {
        guard !isClosing else { return }
        uv_poll_stop(raw.assumingMemoryBound(to: uv_poll_t.self))
    }

    package override func didClose() { callback = nil }
}
