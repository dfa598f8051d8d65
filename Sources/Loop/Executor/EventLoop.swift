internal import CLibUV
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The process's one libuv loop, running on a thread of its own, and a `SerialExecutor` over it.
///
/// Every socket, file, timer, signal and child process of the engine belongs to this loop. Swift jobs
/// enqueued on it (actors isolated to ``LoopActor``) run between libuv callbacks, on the same thread:
/// `enqueue` pushes onto a locked queue and wakes the loop with `uv_async_send` only when no wake-up is
/// pending, and the async callback drains the whole queue, so sends coalesce (the shape of NIO's
/// `NIOSerialEventLoopExecutor`).
public final class EventLoop: SerialExecutor, TaskExecutor, @unchecked Sendable {
    // @unchecked: `raw`, `wakeup` and `thread` are written once before the loop thread starts and only read
    // afterwards; everything mutable after start is behind `state`.

    /// The loop every stage of the engine runs on.
    public static let shared = EventLoop()

    /// Whether the loop measures its time in epoll for ``LoopLagProbe`` (two clock reads a poll). `loadgen`,
    /// which reports no loop lag and wakes about once per answer, turns it off before the loop first starts.
    nonisolated(unsafe) public static var measuresIdleTime = true

    let raw: UnsafeMutablePointer<uv_loop_t>
    private let wakeup: UnsafeMutablePointer<uv_async_t>
    private var thread = pthread_t()
    private let state = Mutex(State())

    private struct State {
        package var jobs: [UnownedJob] = []
        package var wakePending = false
        package var stopping = false
        package var wakeupClosed = false
    }

    /// Handles found open by ``stop()`` (leaks), and `uv_loop_close`'s result; read after the thread ends.
    private var leakedHandles: [String] = []
    private var closeResult: Int32 = 0

    private init() {
        // A peer that resets a socket must not kill the process: writes then fail with EPIPE instead.
        signal(SIGPIPE, SIG_IGN)
        // File writes and fsyncs of concurrent uploads run on libuv's pool; its default of 4 threads would
        // serialise them. Respect an explicit setting.
        setenv("UV_THREADPOOL_SIZE", "16", 0)
        raw = .allocate(capacity: 1)
        let rc = uv_loop_init(raw)
        precondition(rc == 0, "uv_loop_init: \(UVError(rc))")
        // Time spent waiting in epoll, for LoopLagProbe (two clock reads per poll).
        if Self.measuresIdleTime { cuv_enable_idle_metrics(raw) }
        wakeup = .allocate(capacity: 1)
        let ra = uv_async_init(raw, wakeup) { handle in
            EventLoop.shared.drain()
        }
        precondition(ra == 0, "uv_async_init: \(UVError(ra))")
        start()
        LoopStallWatch.startIfAsked()
    }

    private func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        let started = pthread_create(&thread, nil, { arg in
            let loop = Unmanaged<EventLoop>.fromOpaque(arg!).takeRetainedValue()
            loop.run()
            return nil
        }, box)
        precondition(started == 0, "pthread_create failed: \(started)")
    }

    private func run() {
        while true {
            uv_run(raw, UV_RUN_DEFAULT)
            // uv_run returns when nothing keeps the loop alive: the wake-up handle is unreferenced only
            // by `stop()`. Drain what is left, then leave.
            if state.withLock({ $0.stopping }) { break }
        }
        closeResult = uv_loop_close(raw)
    }

    /// Stops the loop for good: handles still open are reported as leaks and closed, the loop runs dry,
    /// `uv_loop_close` is called and the thread ends. Call once, off the loop, after the engine shut down.
    ///
    /// - Returns: descriptions of the handles that were still open (empty when nothing leaked).
    public func stop() -> [String] {
        precondition(!inLoop, "stop() must be called from outside the loop")
        state.withLock { $0.stopping = true }
        uv_async_send(wakeup)
        pthread_join(thread, nil)
        var report = leakedHandles
        if closeResult != 0 { report.append("uv_loop_close: \(UVError(closeResult))") }
        return report
    }

    /// On the loop, once stopping: closes every other handle (recording it) and then the wake-up handle.
    private func closeAllHandles() {
        final class Walk {
            package var names: [String] = []
            package let wakeup: UnsafeMutableRawPointer
            package init(wakeup: UnsafeMutableRawPointer) { self.wakeup = wakeup }
        }
        let walk = Walk(wakeup: UnsafeMutableRawPointer(wakeup))
        withExtendedLifetime(walk) {
            uv_walk(raw, { handle, arg in
                let walk = Unmanaged<Walk>.fromOpaque(arg!).takeUnretainedValue()
                guard let handle, UnsafeMutableRawPointer(handle) != walk.wakeup, uv_is_closing(handle) == 0 else {
                    return
                }
                walk.names.append(String(cString: uv_handle_type_name(uv_handle_get_type(handle))))
                uv_close(handle, nil)
            }, Unmanaged.passUnretained(walk).toOpaque())
        }
        leakedHandles = walk.names
        uv_close(UnsafeMutableRawPointer(wakeup).assumingMemoryBound(to: uv_handle_t.self), nil)
    }

    /// Whether the caller is on the loop thread.
    public var inLoop: Bool { pthread_equal(pthread_self(), thread) != 0 }

    // MARK: SerialExecutor

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        state.withLock { state in
            // After stop() the wake-up handle is gone: nothing can run any more.
            if state.wakeupClosed { return }
            state.jobs.append(unowned)
            if state.wakePending { return }
            state.wakePending = true
            // Sent under the lock: the loop closes the handle only after marking it closed under this lock, so a
            // send can never reach a closed handle (libuv aborts on that). A thread enqueueing while the loop
            // stops (LoopStallWatch's, every 100 ms) would otherwise race the close.
            uv_async_send(wakeup)
        }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    public func checkIsolated() {
        precondition(inLoop, "not on the libuv loop thread")
    }

    public func isIsolatingCurrentContext() -> Bool? {
        inLoop
    }

    private func drain() {
        defer {
            let close = state.withLock { state -> Bool in
                guard state.stopping, !state.wakeupClosed else { return false }
                state.wakeupClosed = true
                return true
            }
            if close { closeAllHandles() }
        }
        while true {
            let jobs = state.withLock { state -> [UnownedJob] in
                state.wakePending = false
                let jobs = state.jobs
                state.jobs.removeAll(keepingCapacity: true)
                return jobs
            }
            if jobs.isEmpty { return }
            let executor = asUnownedSerialExecutor()
            for job in jobs { job.runSynchronously(on: executor) }
        }
    }

    /// Starts a task whose code runs on the loop, including every resumption after a suspension.
    ///
    /// Use this, never a bare `Task {}`, for tasks started from loop code. With Swift 6.3.1, a `@LoopActor`
    /// task created from a libuv callback (no current task) resumed after continuations on the *global*
    /// executor before hopping back, so loop work silently waited for a free cooperative thread: uploads
    /// stalled for seconds whenever the cooperative pool was busy. The loop as the task's executor
    /// preference (SE-0417) keeps every hop on the loop thread. Closest upstream report: swiftlang/swift#69659
    /// (a continuation in an actor-isolated function that does not resume on the actor's executor).
    @discardableResult
    public static func spawn(_ body: sending @escaping () async -> Void) -> Task<Void, Never> {
        Task(executorPreference: EventLoop.shared, operation: body)
    }
}

/// The global actor of everything the loop owns: its isolation is "running on the loop thread".
///
/// Stage objects that own sockets, files or timers are `@LoopActor`; their async methods run on the loop
/// without hops, and libuv's C callbacks enter them with ``LoopActor/assumeIsolated(_:)``.
@globalActor public actor LoopActor {
    public static let shared = LoopActor()

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        EventLoop.shared.asUnownedSerialExecutor()
    }

    /// Enters the actor's isolation from a libuv callback, which always runs on the loop thread.
    /// Traps if called from any other thread.
    public static func assumeIsolated<T>(_ operation: @LoopActor () throws -> T) rethrows -> T {
        typealias Isolated = @LoopActor () throws -> T
        typealias Plain = () throws -> T
        EventLoop.shared.checkIsolated()
        return try withoutActuallyEscaping(operation) { isolated in
            try unsafeBitCast(isolated, to: Plain.self)()
        }
    }
}
