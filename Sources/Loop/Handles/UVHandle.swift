internal import CLibUV

/// Owner of one `uv_handle_t`, in the manner of node's `HandleWrap`.
///
/// The handle's `data` holds a retained reference to this object from `register()` until libuv's close
/// callback, so the object outlives every callback libuv can still make. `close()` is idempotent; the
/// handle's memory is freed only in the close callback. `EventLoop.stop()` reports any handle still open.
@LoopActor
package class UVHandle {
    package let raw: UnsafeMutableRawPointer
    private(set) var isClosing = false
    private var registered = false

    var handle: UnsafeMutablePointer<uv_handle_t> { raw.assumingMemoryBound(to: uv_handle_t.self) }

    init(type: uv_handle_type) {
        raw = .allocate(byteCount: uv_handle_size(type), alignment: 16)
    }

    /// Ties the initialised handle to this object. Call right after a successful `uv_*_init`.
    package func register() {
        precondition(!registered)
        registered = true
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Recovers the owner of a handle inside a C callback.
    package static func owner<T: UVHandle>(_ handle: UnsafeMutableRawPointer?, as: T.Type = T.self) -> T {
        let h = handle!.assumingMemoryBound(to: uv_handle_t.self)
        return Unmanaged<T>.fromOpaque(h.pointee.data!).takeUnretainedValue()
    }

    /// Closes the handle; safe to call more than once.
    package func close() {
        precondition(registered, "close() before register()")
        guard !isClosing else { return }
        isClosing = true
        uv_close(handle) { h in
            LoopActor.assumeIsolated {
                let me = Unmanaged<UVHandle>.fromOpaque(h!.pointee.data!).takeRetainedValue()
                me.didClose()
                me.raw.deallocate()
            }
        }
    }

    /// Subclasses drop their callbacks here (breaks reference cycles through closures).
    package func didClose() {}

}
