internal import CLibUV

/// Watches a file descriptor for readability on the loop (pipes of child processes, pidfds; later the
/// Postgres and HTTP client sockets). The descriptor stays the caller's: closing the handle does not close it.
@LoopActor
final class UVPoll: UVHandle {
    private var callback: (@LoopActor (_ status: Int32) -> Void)?

    init(fd: Int32) throws(UVError) {
        super.init(type: UV_POLL)
        let rc = uv_poll_init(EventLoop.shared.raw, raw.assumingMemoryBound(to: uv_poll_t.self), fd)
        if rc < 0 {
            raw.deallocate()
            throw UVError(rc, "uv_poll_init")
        }
        register()
    }

    /// Calls `body` each time the descriptor is readable (or with a negative libuv code on error).
    func startReading(_ body: @escaping @LoopActor (_ status: Int32) -> Void) {
        guard !isClosing else { return }
        callback = body
        uv_poll_start(raw.assumingMemoryBound(to: uv_poll_t.self), Int32(UV_READABLE.rawValue)) { p, status, _ in
            LoopActor.assumeIsolated {
                let me: UVPoll = UVHandle.owner(UnsafeMutableRawPointer(p))
                me.callback?(status)
            }
        }
    }

    override func didClose() { callback = nil }
}
