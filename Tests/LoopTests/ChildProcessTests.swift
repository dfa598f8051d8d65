import Foundation
import Testing
import TestSupport

@testable import Loop

/// Converter subprocesses: what the child starts with, and that it always ends, group and all.
@Suite("Child processes")
struct ChildProcessTests {
    @LoopActor
    private func sh(_ script: String, limits: ChildLimits = .init(), env: [String: String] = ["PATH": "/usr/bin:/bin"],
                    cwd: String? = nil, stdinPipe: Bool = false) -> ChildCommand {
        ChildCommand(executable: "/bin/sh", arguments: ["-c", script], environment: env, workingDirectory: cwd,
                     limits: limits, stdinPipe: stdinPipe)
    }

    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @LoopActor
    @Test("stdout, the stderr tail and the exit code come back")
    func outputAndExitCode() async throws {
        let outcome = try await ChildProcess.run(sh("printf 'a\\nb'; echo oops >&2; exit 3"))
        #expect(text(outcome.stdout) == "a\nb")
        #expect(outcome.stderrText == "oops")
        #expect(outcome.termination == .exited(3))
        #expect(!outcome.succeeded)
        #expect(!outcome.timedOut && !outcome.stdoutOverflowed)
    }

    @LoopActor
    @Test("the child gets only the environment it is given, /dev/null as stdin, its own group and cwd, fds 0-2")
    func startingState() async throws {
        let dir = try TemporaryDirectory.make(prefix: "child")
        // A descriptor of ours without close-on-exec: the spawner must close it anyway.
        let leaky = open("/dev/null", O_RDONLY)
        defer { close(leaky) }
        let script = "env | sort; echo cwd=$(pwd); echo stdin=$(cat | wc -c); "
            + "echo pgid=$(ps -o pgid= -p $$ | tr -d ' ') pid=$$; "
            + "if test -e /proc/self/fd/\(leaky); then echo fd=leaked; else echo fd=closed; fi"
        let outcome = try await ChildProcess.run(sh(script, env: ["PATH": "/usr/bin:/bin", "ONLY": "this"], cwd: dir))
        let lines = text(outcome.stdout).split(separator: "\n").map(String.init)
        #expect(outcome.succeeded, "\(outcome.stderrText)")
        let env = lines.filter {
            $0.contains("=") && !$0.hasPrefix("cwd=") && !$0.hasPrefix("stdin=") && !$0.hasPrefix("pgid=")
                && !$0.hasPrefix("fd=")
        }
        #expect(Set(env).isSubset(of: ["PATH=/usr/bin:/bin", "ONLY=this", "PWD=\(dir)", "OLDPWD=\(dir)"]))
        #expect(env.contains("ONLY=this"))
        #expect(lines.contains("cwd=\(dir)"))
        #expect(lines.contains("stdin=0"))
        let ids = lines.first { $0.hasPrefix("pgid=") }!.split(separator: " ")
        #expect(ids[0].dropFirst(5) == ids[1].dropFirst(4), "the child leads its own process group")
        #expect(lines.last == "fd=closed", "no descriptor of the engine leaks into the child")
    }

    @LoopActor
    @Test("kernel limits are set before the converter starts")
    func resourceLimits() async throws {
        var limits = ChildLimits()
        limits.addressSpace = 512 << 20
        limits.cpuSeconds = 7
        limits.fileSize = 1 << 20
        limits.openFiles = 64
        let outcome = try await ChildProcess.run(sh("ulimit -v; ulimit -t; ulimit -f; ulimit -n", limits: limits))
        // dash prints KiB for -v, seconds for -t, 512-byte blocks for -f.
        #expect(text(outcome.stdout).split(separator: "\n") == ["524288", "7", "2048", "64"])
    }

    @LoopActor
    @Test("a child writing past RLIMIT_FSIZE is stopped by the kernel")
    func fileSizeLimit() async throws {
        let dir = try TemporaryDirectory.make(prefix: "fsize")
        var limits = ChildLimits()
        limits.fileSize = 64 << 10
        let outcome = try await ChildProcess.run(sh("head -c 1000000 /dev/zero > big", limits: limits, cwd: dir))
        #expect(outcome.termination == .signaled(SIGXFSZ) || outcome.termination != .exited(0))
        let size = (try? FileManager.default.attributesOfItem(atPath: dir + "/big")[.size] as? Int) ?? -1
        #expect(size <= 64 << 10)
    }

    @LoopActor
    @Test("past the wall-clock limit the whole group is killed, grandchildren included")
    func timeoutKillsGroup() async throws {
        var limits = ChildLimits()
        // The limit counts from the spawn, and the shell must have set its trap before it: on a loaded machine a
        // shell has taken over 200 ms to get there, and a SIGTERM then ended it before the trap (CI saw this).
        limits.timeoutMilliseconds = 1_500
        limits.killGraceMilliseconds = 100
        // The shell ignores SIGTERM, so only the SIGKILL after the grace ends it; its background sleep must go too.
        let child = try await ChildProcess.start(sh("trap '' TERM; sleep 30 & echo $!; wait", limits: limits))
        let grandchild = await child.readLine().map { Int32(String(decoding: $0, as: UTF8.self))! }
        let outcome = await child.wait()
        #expect(outcome.timedOut)
        #expect(outcome.termination == .signaled(SIGKILL))
        let gc = try #require(grandchild)
        // The grandchild is not ours to reap: it is re-parented and reaped by init, so give it a moment.
        var alive = true
        for _ in 0..<50 where alive {
            alive = kill(gc, 0) == 0 && !((try? String(contentsOfFile: "/proc/\(gc)/stat", encoding: .utf8))?.contains(") Z ") ?? true)
            if alive { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(!alive, "the background sleep outlived its group")
    }

    @LoopActor
    @Test("a converter that floods stdout is cut off at the cap")
    func stdoutCap() async throws {
        var limits = ChildLimits()
        limits.stdoutCap = 100_000
        let outcome = try await ChildProcess.run(ChildCommand(executable: "/usr/bin/yes", arguments: [], limits: limits))
        #expect(outcome.stdoutOverflowed)
        #expect(outcome.stdout.count == 100_000)
        #expect(!outcome.succeeded)
    }

    @LoopActor
    @Test("a long-lived helper answers line by line and ends when stdin closes")
    func lineProtocol() async throws {
        let child = try await ChildProcess.start(ChildCommand(executable: "/bin/cat", arguments: [], stdinPipe: true))
        #expect(child.write(Array("one\ntwo\n".utf8)))
        #expect(await child.readLine().map(text) == "one")
        #expect(await child.readLine().map(text) == "two")
        child.closeStdin()
        #expect(await child.readLine() == nil)
        #expect(await child.wait().termination == .exited(0))
    }

    @LoopActor
    @Test("a missing executable fails to start with the step and errno")
    func missingExecutable() async throws {
        await #expect(throws: ChildSpawnError.self) {
            _ = try await ChildProcess.run(ChildCommand(executable: "/nonexistent/pdftotext", arguments: []))
        }
        do {
            _ = try await ChildProcess.run(ChildCommand(executable: "/nonexistent/pdftotext", arguments: []))
        } catch {
            #expect(error.stage == "execve")
            #expect(error.errno == ENOENT)
        }
    }

    @LoopActor
    @Test("many children at once all end and are reaped")
    func manyChildren() async throws {
        var children: [ChildProcess] = []
        for i in 0..<40 { children.append(try await ChildProcess.start(sh("echo \(i)"))) }
        var outcomes: [String] = []
        for child in children { outcomes.append(text(await child.wait().stdout)) }
        #expect(Set(outcomes) == Set((0..<40).map { "\($0)\n" }))
        for child in children {
            #expect(kill(child.pid, 0) == -1 && errno == ESRCH, "child \(child.pid) was not reaped")
        }
    }
}
