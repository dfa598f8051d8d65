internal import CLibUV

/// Runs blocking work (file system calls, hashing) on libuv's thread pool and finishes on the loop.
///
/// The loop thread must never block on a disk; `uv_queue_work` hands `work` to a pool thread and calls
/// back on the loop once it is done. The pool's size is `UV_THREADPOOL_SIZE` (read by libuv at first use).
package enum Offload {
    private final class Request: @unchecked Sendable {
        // @unchecked: `work` runs on one pool thread, then `after` on the loop; libuv orders the two.
        package let work: @Sendable () -> Void
        package let after: @LoopActor () -> Void
        package init(work: @escaping @Sendable () -> Void, after: @escaping @LoopActor () -> Void) {
            self.work = work
            self.after = after
        }
    }

    /// Queues `work` on the pool; `after` runs on the loop when it has finished.
    @LoopActor
    package static func submit(_ work: @escaping @Sendable () -> Void, after: @escaping @LoopActor () -> Void) {
        inFlight += 1
        let req = UnsafeMutablePointer<uv_work_t>.allocate(capacity: 1)
        req.pointee.data = Unmanaged.passRetained(Request(work: work, after: after)).toOpaque()
        let rc = uv_queue_work(EventLoop.shared.raw, req, Offload.runOnPool, { req, _ in
            LoopActor.assumeIsolated {
                let request = Unmanaged<Request>.fromOpaque(req!.pointee.data!).takeRetainedValue()
                req!.deallocate()
                request.after()
                Offload.inFlight -= 1
                if Offload.inFlight == 0 {
                    let waiters = Offload.idleWaiters
                    Offload.idleWaiters = []
                    waiters.forEach { $0.resume() }
                }
            }
        })
        precondition(rc == 0, "uv_queue_work: \(UVError(rc))")
    }

    /// Pool jobs submitted and not yet completed.
    @LoopActor private(set) static var inFlight = 0
    @LoopActor private static var idleWaiters: [CheckedContinuation<Void, Never>] = []

    /// Waits until every submitted job (and the jobs those submit) has completed: shutdown uses it so that
    /// no write, fsync or unlink is cut off when the process exits.
    @LoopActor
    package static func quiesce() async {
        if inFlight == 0 { return }
        await withCheckedContinuation(isolation: LoopActor.shared) { idleWaiters.append($0) }
    }

    /// The pool-thread half of a request. Declared outside any actor-isolated function: a closure literal
    /// written inside one would inherit the actor's isolation and trap when the pool calls it.
    private static let runOnPool: @convention(c) (UnsafeMutablePointer<uv_work_t>?) -> Void = { req in
        let request = Unmanaged<Request>.fromOpaque(req!.pointee.data!).takeUnretainedValue()
        request.work()
    }

    /// Runs `body` on the pool and returns its result on the loop.
    ///
    /// Continuations in loop code name their isolation explicitly, and tasks started on the loop use
    /// ``EventLoop/spawn(_:)``: see there for why.
    @LoopActor
    package static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let box = ResultBox<T>()
        return try await withCheckedThrowingContinuation(isolation: LoopActor.shared) { continuation in
            submit({ box.result = Result { try body() } }, after: { continuation.resume(with: box.result!) })
        }
    }

    /// Runs `body` on the pool and returns its result on the loop (for work that cannot fail).
    @LoopActor
    package static func runNonThrowing<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        let box = ResultBox<T>()
        return await withCheckedContinuation(isolation: LoopActor.shared) { continuation in
            submit({ box.result = .success(body()) }, after: { continuation.resume(returning: try! box.result!.get()) })
        }
    }

    private final class ResultBox<T>: @unchecked Sendable {
        // @unchecked: written on the pool thread before libuv signals completion, read on the loop after.
        package var result: Result<T, any Error>?
    }
}
