internal import CLibUV
internal import CSpawn

#if canImport(Glibc)
import Glibc
#endif

/// What to run: an absolute executable path, its arguments and everything the child starts with.
package struct ChildCommand: Sendable {
    /// Absolute path of the executable (no `PATH` search in the child).
    package var executable: String
    /// Arguments after `argv[0]` (which is the executable's last path component).
    package var arguments: [String]
    /// The whole environment: nothing of the engine's own leaks in.
    package var environment: [String: String]
    /// The child's working directory.
    package var workingDirectory: String?
    /// Limits enforced by the kernel and by the loop.
    package var limits: ChildLimits
    /// Whether the engine writes to the child's stdin (a long-lived helper) or it reads `/dev/null`.
    package var stdinPipe: Bool

    package init(executable: String, arguments: [String], environment: [String: String] = [:],
                 workingDirectory: String? = nil, limits: ChildLimits = .init(), stdinPipe: Bool = false) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.limits = limits
        self.stdinPipe = stdinPipe
    }
}

/// Resource and output limits of one child; `0` means none for the kernel limits.
package struct ChildLimits: Sendable, Equatable {
    /// `RLIMIT_AS`, bytes of address space.
    package var addressSpace: UInt64 = 1 << 30
    /// `RLIMIT_CPU`, seconds of CPU (`SIGXCPU`, then `SIGKILL` a second later).
    package var cpuSeconds: UInt64 = 60
    /// `RLIMIT_FSIZE`, the largest file the child may write (`SIGXFSZ`).
    package var fileSize: UInt64 = 64 << 20
    /// `RLIMIT_NOFILE`.
    package var openFiles: UInt64 = 256
    /// Bytes of stdout kept; past it the process group is killed and the outcome says so.
    package var stdoutCap: Int = 16 << 20
    /// Bytes at the end of stderr kept for error messages.
    package var stderrTail: Int = 4096
    /// Wall-clock limit in milliseconds (0: none); then `SIGTERM` to the group, `SIGKILL` after the grace.
    package var timeoutMilliseconds: UInt64 = 60_000
    /// Time between `SIGTERM` and `SIGKILL`.
    package var killGraceMilliseconds: UInt64 = 2_000
    /// Niceness added to the child: converters are batch work, and the loop (uploads) must not wait for
    /// the CPU behind them.
    package var nice: Int32 = 10

    package init() {}
}

/// How a child ended and what it wrote.
package struct ChildOutcome: Sendable {
    /// How the process ended.
    package enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    package var termination: Termination
    /// Everything written to stdout, up to the cap.
    package var stdout: [UInt8]
    /// The last bytes written to stderr.
    package var stderrTail: [UInt8]
    /// The wall-clock limit passed and the group was killed.
    package var timedOut: Bool
    /// Stdout passed its cap and the group was killed.
    package var stdoutOverflowed: Bool
    /// From the spawn request to the end, in nanoseconds.
    package var wallNanoseconds: UInt64
    /// Time the loop thread itself spent starting this child (pipes, handles), in nanoseconds: the
    /// exec runs on a pool thread, so this is the child's whole cost to the loop's latency.
    package var loopNanoseconds: UInt64

    package var succeeded: Bool { termination == .exited(0) && !timedOut && !stdoutOverflowed }

    /// The stderr tail as text (lossy UTF-8), trimmed.
    package var stderrText: String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }
        let start = stderrTail.firstIndex { !isSpace($0) } ?? stderrTail.endIndex
        let end = stderrTail.lastIndex { !isSpace($0) }.map { $0 + 1 } ?? start
        return String(decoding: stderrTail[start..<max(start, end)], as: UTF8.self)
    }
}

/// A child that could not be started.
package struct ChildSpawnError: Error, Sendable, CustomStringConvertible {
    /// `errno` of the step that failed.
    package let errno: Int32
    /// The step, e.g. `execve` or `chdir`.
    package let stage: String
    package let executable: String
    package var description: String {
        "cannot start \(executable): \(stage): \(String(cString: strerror(errno)))"
    }
}

/// One converter (or helper) process, owned by the loop.
///
/// The child gets its own process group, `/dev/null` or a pipe as stdin, pipes as stdout and stderr, no
/// other descriptor, default signals, the given environment only, and its kernel limits set before exec
/// (`CSpawn`). The exec itself runs on libuv's pool so the loop never waits for it. The loop watches the
/// pipes and a pidfd with `uv_poll`; stdout is collected up to a cap, stderr's tail is kept, a timer
/// enforces the wall-clock limit (`SIGTERM`, then `SIGKILL` to the whole group), and when the child exits
/// its group is killed too, so no grandchild outlives it.
@LoopActor
package final class ChildProcess {
    package let pid: Int32
    private let pidfd: Int32
    private let limits: ChildLimits
    private let started: UInt64
    private var loopNanoseconds: UInt64

    private var stdinFD: Int32
    private var stdoutFD: Int32
    private var stderrFD: Int32
    private var stdoutPoll: UVPoll?
    private var stderrPoll: UVPoll?
    private var exitPoll: UVPoll?
    private var timer: UVTimer?

    private var stdout: [UInt8] = []
    /// Where the next line starts, for ``readLine()`` users.
    private var lineStart = 0
    private var stderrTail: [UInt8] = []
    private var termination: ChildOutcome.Termination?
    private var timedOut = false
    private var overflowed = false
    private var lineWaiter: CheckedContinuation<[UInt8]?, Never>?
    private var exitWaiters: [CheckedContinuation<ChildOutcome, Never>] = []

    /// Children started and not yet reaped, for shutdown and tests.
    package private(set) static var running = 0

    /// Starts `command`; the returned process is running (or has already exited).
    package static func start(_ command: ChildCommand) async throws(ChildSpawnError) -> ChildProcess {
        let t0 = SystemClock.shared.monotonicNanoseconds()
        var fds: [Int32] = []
        func makePipe() throws(ChildSpawnError) -> (read: Int32, write: Int32) {
            var p: [Int32] = [-1, -1]
            guard cspawn_pipe(&p) == 0 else {
                let e = Glibc.errno
                fds.forEach { _ = Glibc.close($0) }
                throw ChildSpawnError(errno: e, stage: "pipe2", executable: command.executable)
            }
            fds += p
            return (p[0], p[1])
        }
        let out = try makePipe()
        let err = try makePipe()
        let input: (read: Int32, write: Int32)
        if command.stdinPipe {
            input = try makePipe()
        } else {
            let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
            input = (null, -1)
            fds.append(null)
        }
        let prepared = SystemClock.shared.monotonicNanoseconds() - t0
        // The child is taken in hand (its wall-clock timer armed, its pipes watched) in the pool's completion
        // callback, on the loop thread as soon as the spawn returns: not when the caller's task next runs. A
        // task without the loop as its executor preference resumes through the cooperative pool, and with its
        // threads blocked (tests run blocking calls there) that took over 30 s while the child ran unwatched:
        // CI saw a 1.5 s limit never enforced.
        let box = SpawnBox()
        let outcome: Result<ChildProcess, ChildSpawnError> = await withCheckedContinuation(isolation: LoopActor.shared) {
            continuation in
            Offload.submit({
                box.spawned = Self.spawnOnPool(command, stdin: input.read, stdout: out.write, stderr: err.write)
            }, after: {
                let t1 = SystemClock.shared.monotonicNanoseconds()
                let spawned = box.spawned ?? (pid: -1, pidfd: -1, errno: EINVAL, stage: "spawn")
                // The child holds its own copies now; the parent keeps only its ends.
                _ = Glibc.close(input.read)
                _ = Glibc.close(out.write)
                _ = Glibc.close(err.write)
                guard spawned.pid > 0 else {
                    [out.read, err.read, input.write].filter { $0 >= 0 }.forEach { _ = Glibc.close($0) }
                    continuation.resume(returning: .failure(ChildSpawnError(errno: spawned.errno, stage: spawned.stage,
                                                                           executable: command.executable)))
                    return
                }
                let child = ChildProcess(pid: spawned.pid, pidfd: spawned.pidfd, stdin: input.write, stdout: out.read,
                                         stderr: err.read, limits: command.limits, started: t0)
                child.loopNanoseconds = prepared + (SystemClock.shared.monotonicNanoseconds() - t1)
                continuation.resume(returning: .success(child))
            })
        }
        return try outcome.get()
    }

    /// The spawn's result, written on the pool thread before libuv signals completion, read on the loop after.
    private final class SpawnBox: @unchecked Sendable {
        var spawned: (pid: Int32, pidfd: Int32, errno: Int32, stage: String)?
    }

    /// Runs `command` to its end and returns what it did.
    package static func run(_ command: ChildCommand) async throws(ChildSpawnError) -> ChildOutcome {
        let child = try await start(command)
        return await child.wait()
    }

    private init(pid: Int32, pidfd: Int32, stdin: Int32, stdout: Int32, stderr: Int32, limits: ChildLimits,
                 started: UInt64) {
        self.pid = pid
        self.pidfd = pidfd
        self.stdinFD = stdin
        self.stdoutFD = stdout
        self.stderrFD = stderr
        self.limits = limits
        self.started = started
        self.loopNanoseconds = 0
        Self.running += 1
        for fd in [stdout, stderr, stdin] where fd >= 0 {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        // Failing to watch a descriptor leaves the loop unable to ever finish this child: treat as fatal.
        do {
            let o = try UVPoll(fd: stdout)
            o.startReading { [unowned self] _ in self.drainStdout() }
            stdoutPoll = o
            let e = try UVPoll(fd: stderr)
            e.startReading { [unowned self] _ in self.drainStderr() }
            stderrPoll = e
            let x = try UVPoll(fd: pidfd)
            x.startReading { [unowned self] _ in self.childExited() }
            exitPoll = x
        } catch {
            preconditionFailure("uv_poll_init on a fresh pipe failed: \(error)")
        }
        if limits.timeoutMilliseconds > 0 {
            let t = UVTimer()
            t.schedule(after: limits.timeoutMilliseconds) { [unowned self] in self.timeUp() }
            timer = t
        }
    }

    // MARK: Talking to a long-lived child

    /// Writes `bytes` to the child's stdin (small requests only: the pipe must have room).
    package func write(_ bytes: [UInt8]) -> Bool {
        guard stdinFD >= 0, termination == nil else { return false }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress, $0.count) }
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    /// The next line of stdout without its newline, or `nil` once the child has exited and no full line is
    /// left. One reader at a time.
    package func readLine() async -> [UInt8]? {
        if let line = takeLine() { return line }
        if termination != nil { return nil }
        precondition(lineWaiter == nil, "one readLine() at a time")
        return await withCheckedContinuation(isolation: LoopActor.shared) { lineWaiter = $0 }
    }

    private func takeLine() -> [UInt8]? {
        guard let nl = stdout[lineStart...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let line = Array(stdout[lineStart..<nl])
        lineStart = nl + 1
        if lineStart > 64 << 10 {
            // Drop consumed lines so a long-lived helper does not accumulate its whole history.
            stdout.removeFirst(lineStart)
            lineStart = 0
        }
        return line
    }

    /// Closes stdin: a long-lived helper takes it as the signal to finish.
    package func closeStdin() {
        if stdinFD >= 0 {
            _ = Glibc.close(stdinFD)
            stdinFD = -1
        }
    }

    /// Kills the whole process group now.
    package func kill() {
        guard termination == nil else { return }
        _ = cspawn_kill_group(pid, pidfd, SIGKILL)
    }

    /// Waits for the child to end (it is killed at its time limit) and returns the outcome.
    package func wait() async -> ChildOutcome {
        if termination != nil { return outcome() }
        return await withCheckedContinuation(isolation: LoopActor.shared) { exitWaiters.append($0) }
    }

    // MARK: Events

    /// One read buffer for every child's pipes (as TCPStream does for sockets): the loop reads one pipe at a
    /// time and copies out what it keeps.
    private static let readBufferSize = 64 << 10
    private static let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readBufferSize, alignment: 64)

    private func drainStdout() {
        let buffer = Self.readBuffer
        while stdoutFD >= 0 {
            let n = Glibc.read(stdoutFD, buffer.baseAddress, buffer.count)
            if n > 0 {
                let room = limits.stdoutCap - (stdout.count - lineStart)
                if n > room {
                    stdout += buffer[0..<max(room, 0)]
                    overflowed = true
                    closeStdout()
                    _ = cspawn_kill_group(pid, pidfd, SIGKILL)
                    return
                }
                stdout += buffer[0..<n]
                if let waiter = lineWaiter, let line = takeLine() {
                    lineWaiter = nil
                    waiter.resume(returning: line)
                }
            } else if n == 0 {
                closeStdout()
            } else {
                if Glibc.errno == EINTR { continue }
                if Glibc.errno != EAGAIN { closeStdout() }
                return
            }
        }
    }

    private func drainStderr() {
        let buffer = Self.readBuffer
        while stderrFD >= 0 {
            let n = Glibc.read(stderrFD, buffer.baseAddress, buffer.count)
            if n > 0 {
                stderrTail += buffer[0..<n]
                if stderrTail.count > limits.stderrTail { stderrTail.removeFirst(stderrTail.count - limits.stderrTail) }
            } else if n == 0 || Glibc.errno != EINTR && Glibc.errno != EAGAIN {
                stderrPoll?.close()
                stderrPoll = nil
                _ = Glibc.close(stderrFD)
                stderrFD = -1
            } else if Glibc.errno == EAGAIN {
                return
            }
        }
    }

    private func closeStdout() {
        stdoutPoll?.close()
        stdoutPoll = nil
        if stdoutFD >= 0 { _ = Glibc.close(stdoutFD) }
        stdoutFD = -1
    }

    private func timeUp() {
        guard termination == nil else { return }
        timedOut = true
        _ = cspawn_kill_group(pid, pidfd, SIGTERM)
        timer?.schedule(after: limits.killGraceMilliseconds) { [unowned self] in self.kill() }
    }

    private func childExited() {
        // The child is a zombie until reaped, so its pid (= the group id) cannot be reused yet: kill what
        // is left of its group first, then reap.
        _ = cspawn_kill_group(pid, pidfd, SIGKILL)
        var exited: Int32 = 0
        var status: Int32 = 0
        let rc = cspawn_reap(pidfd, &exited, &status)
        guard rc != 0 else { return } // spurious wake-up
        termination = rc < 0 ? .signaled(SIGKILL) : (exited != 0 ? .exited(status) : .signaled(status))
        Self.running -= 1
        // Everything the child wrote is in the pipes by now; a grandchild that kept them open was just
        // killed, so read what is there and stop.
        drainStdout()
        drainStderr()
        closeStdout()
        if stderrFD >= 0 {
            stderrPoll?.close()
            stderrPoll = nil
            _ = Glibc.close(stderrFD)
            stderrFD = -1
        }
        closeStdin()
        exitPoll?.close()
        exitPoll = nil
        _ = Glibc.close(pidfd)
        timer?.close()
        timer = nil
        if let waiter = lineWaiter {
            lineWaiter = nil
            waiter.resume(returning: takeLine())
        }
        let result = outcome()
        let waiters = exitWaiters
        exitWaiters = []
        waiters.forEach { $0.resume(returning: result) }
    }

    private func outcome() -> ChildOutcome {
        ChildOutcome(termination: termination!, stdout: Array(stdout[lineStart...]), stderrTail: stderrTail,
                     timedOut: timedOut, stdoutOverflowed: overflowed,
                     wallNanoseconds: SystemClock.shared.monotonicNanoseconds() - started, loopNanoseconds: loopNanoseconds)
    }

    // MARK: The pool-thread half

    private nonisolated static func spawnOnPool(_ command: ChildCommand, stdin: Int32, stdout: Int32,
                                                stderr: Int32) -> (pid: Int32, pidfd: Int32, errno: Int32, stage: String) {
        let name = command.executable.split(separator: "/").last.map(String.init) ?? command.executable
        let argv = ([name] + command.arguments).map { strdup($0) } + [nil]
        let envp = command.environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var limits = cspawn_limits(address_space_bytes: command.limits.addressSpace,
                                   cpu_seconds: command.limits.cpuSeconds,
                                   file_size_bytes: command.limits.fileSize,
                                   open_files: command.limits.openFiles, nice: command.limits.nice)
        var pidfd: Int32 = -1
        var error: Int32 = 0
        var stage: UnsafePointer<CChar>?
        let pid = argv.withUnsafeBufferPointer { a in
            envp.withUnsafeBufferPointer { e in
                cspawn_start(command.executable, a.baseAddress, e.baseAddress, command.workingDirectory,
                             stdin, stdout, stderr, &limits, &pidfd, &error, &stage)
            }
        }
        return (pid, pidfd, error, stage.map { String(cString: $0) } ?? "")
    }
}

/// CPU time the calling thread has used, in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`): for measuring a
/// stage's own cost on the loop, apart from the time it waits.
package func threadCPUNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

