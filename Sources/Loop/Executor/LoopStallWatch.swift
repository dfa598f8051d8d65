import Foundation
import Synchronization

/// Says on standard error when the loop has not reached a job handed to it for a while: every timer, socket and
/// child process of the process waits while the loop thread is held (a blocking call or a long computation on
/// it) or has more work queued than it can do, and what waits sees only a late timer. Turned on by `LOOP_STALL_WARN_MS` (the test suite sets it, so that a stall shows in
/// the log between the tests that ran at the time).
///
/// A thread of its own hands the loop a small job every 100 ms and checks that the previous one ran: no
/// libuv handle (nothing for the exit's leak check to find) and nothing on the loop but the job. One line when
/// a stall passes the threshold, one when it ends.
public enum LoopStallWatch {
    private static let started = Atomic<Bool>(false)

    /// Starts watching when `LOOP_STALL_WARN_MS` holds a positive number of milliseconds; once per process.
    static func startIfAsked() {
        guard let text = ProcessInfo.processInfo.environment["LOOP_STALL_WARN_MS"], let threshold = UInt64(text),
              threshold > 0 else { return }
        start(thresholdMilliseconds: threshold)
    }

    /// Starts watching (once per process).
    public static func start(thresholdMilliseconds: UInt64) {
        guard !started.exchange(true, ordering: .relaxed) else { return }
        let thread = Thread { watch(threshold: thresholdMilliseconds * 1_000_000) }
        thread.name = "loop-stall-watch"
        thread.start()
    }

    private static func watch(threshold: UInt64) {
        let ran = Stamp()
        var sent: UInt64 = 0
        var reported = false
        while true {
            let now = SystemClock.shared.monotonicNanoseconds()
            if ran.value.load(ordering: .acquiring) >= sent {
                if reported {
                    say("the event loop reached the job after \((now - sent) / 1_000_000) ms")
                    reported = false
                }
                sent = now
                _ = EventLoop.spawn { ran.value.store(SystemClock.shared.monotonicNanoseconds(), ordering: .releasing) }
            } else if !reported, now - sent >= threshold {
                say("the event loop has not reached a job handed to it \((now - sent) / 1_000_000) ms ago: it is "
                    + "blocked (a blocking call or a long computation on its thread) or has more work queued than it "
                    + "can do; every timer and socket of this process waits meanwhile")
                reported = true
            }
            usleep(100_000)
        }
    }

    private static func say(_ message: String) {
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt,
                                                formatOptions: [.withInternetDateTime, .withFractionalSeconds])
        FileHandle.standardError.write(Data("\(stamp) warning [Loop] \(message)\n".utf8))
    }

    /// When the loop last ran the watch's job.
    private final class Stamp: Sendable {
        let value = Atomic<UInt64>(0)
    }
}
