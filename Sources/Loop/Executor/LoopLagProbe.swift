internal import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// Measures the loop's stalls while it runs: for each loop iteration, its wall time minus the time it
/// spent waiting in epoll (libuv's idle-time metric) — the time the loop thread spent running callbacks
/// and Swift jobs. A spawn, a blocking call or a long job shows up here with microsecond precision
/// (libuv's timers only have milliseconds). For `extract --probe-loop` and benchmarks.
@LoopActor
package final class LoopLagProbe {
    private let prepare: UVHook
    private var lastPrepare: UInt64 = 0
    private var lastIdle: UInt64 = 0
    private var lastCPU: UInt64 = 0
    /// Busy time of each iteration (wall clock minus epoll wait: includes time the OS took the CPU away),
    /// in nanoseconds.
    package private(set) var busy: [UInt64] = []
    /// CPU time the loop thread used in each iteration (the work itself), in nanoseconds.
    package private(set) var cpu: [UInt64] = []

    package init() {
        prepare = UVHook(prepare: true)
    }

    package func start() {
        prepare.start { [unowned self] in
            let now = SystemClock.shared.monotonicNanoseconds()
            let idle = uv_metrics_idle_time(EventLoop.shared.raw)
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            let thread = UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
            if lastPrepare > 0 {
                let wall = now - lastPrepare
                let waited = idle - lastIdle
                busy.append(wall > waited ? wall - waited : 0)
                cpu.append(thread - lastCPU)
            }
            lastPrepare = now
            lastIdle = idle
            lastCPU = thread
        }
    }

    /// Percentiles of one series, in nanoseconds.
    package struct Summary: Sendable {
        package var p50: UInt64 = 0
        package var p99: UInt64 = 0
        package var max: UInt64 = 0
        package var samples = 0
    }

    /// Stops the probe and returns the busy (wall) and CPU time per iteration.
    package func stop() -> (busy: Summary, cpu: Summary) {
        prepare.close()
        return (Self.summary(busy), Self.summary(cpu))
    }

    private static func summary(_ values: [UInt64]) -> Summary {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return Summary() }
        return Summary(p50: sorted[sorted.count / 2], p99: sorted[min(sorted.count - 1, sorted.count * 99 / 100)],
                       max: sorted.last!, samples: sorted.count)
    }
}

/// A `uv_prepare_t` (runs before each poll) or `uv_check_t` (after each poll).
@LoopActor
private final class UVHook: UVHandle {
    private let isPrepare: Bool
    private var callback: (@LoopActor () -> Void)?

    package init(prepare: Bool) {
        isPrepare = prepare
        super.init(type: prepare ? UV_PREPARE : UV_CHECK)
        let rc = prepare
            ? uv_prepare_init(EventLoop.shared.raw, raw.assumingMemoryBound(to: uv_prepare_t.self))
            : uv_check_init(EventLoop.shared.raw, raw.assumingMemoryBound(to: uv_check_t.self))
        precondition(rc == 0, "uv_prepare/check_init: \(UVError(rc))")
        register()
    }

    package func start(_ body: @escaping @LoopActor () -> Void) {
        callback = body
        if isPrepare {
            uv_prepare_start(raw.assumingMemoryBound(to: uv_prepare_t.self)) { h in
                LoopActor.assumeIsolated { (UVHandle.owner(UnsafeMutableRawPointer(h)) as UVHook).callback?() }
            }
        } else {
            uv_check_start(raw.assumingMemoryBound(to: uv_check_t.self)) { h in
                LoopActor.assumeIsolated { (UVHandle.owner(UnsafeMutableRawPointer(h)) as UVHook).callback?() }
            }
        }
    }

    package override func didClose() { callback = nil }
}
