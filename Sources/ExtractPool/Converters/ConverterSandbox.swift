import Loop

#if canImport(Glibc)
import Glibc
#endif

/// How converters are confined (`EXTRACT_SANDBOX`): bubblewrap around every child, or today's isolation only.
///
/// Converters parse hostile bytes. In the sandbox each one runs in its own user, PID, network, IPC and UTS
/// namespaces with every capability dropped (and its own session when the engine has a terminal): no network (a private loopback only), a fresh `/proc` that shows
/// only its own processes, `/usr` and `/etc` read-only (the shadow files, `/etc/ssl/private` and `/etc/ssh`
/// masked), an empty `/tmp`, its work directory the only writable place and its input read-only. Nothing else
/// of the engine's files — the spool, the database's files, the checkout — is in its view. Without it (or with
/// `off`), a converter still gets only a private environment, kernel limits and its own process group.
public enum SandboxMode: String, Sendable, Equatable, CaseIterable {
    /// Bubblewrap when the probe at start-up shows it works, otherwise today's isolation (and a warning).
    case auto
    /// Bubblewrap or no start: the extractor refuses to open when the probe fails.
    case bwrap
    /// Today's isolation: private environment, limits, process group.
    case off
}

/// The sandbox decided at start-up, and the bubblewrap command line around one child (pure: no I/O).
public struct ConverterSandbox: Sendable, Equatable {
    /// Whether converters run in bubblewrap, and why not.
    public enum State: Sendable, Equatable {
        /// Every converter runs under `bwrap` at this path, with ``system`` as its view of the machine.
        case bwrap(path: String)
        /// No sandbox; the reason is for `/startup-status` and `doctor`.
        case off(reason: String)
    }

    public var state: State
    /// The system's part of bubblewrap's arguments (read-only `/usr` and `/etc`, the top-level links, masks),
    /// laid out after this machine's root by ``systemArguments(isDirectory:isSymlink:exists:)``.
    var system: [String]
    /// Whether each converter gets a session of its own (`--new-session`): only when the engine has a controlling
    /// terminal, which a converter could otherwise push input into (`TIOCSTI`). Without one, a new session would
    /// only put every converter in a scheduler autogroup of its own (`sched_autogroup_enabled`), where its
    /// nice 10 no longer yields to the engine's loop and each converter weighs as much as the whole engine.
    var newSession = false

    init(state: State, system: [String], newSession: Bool = false) {
        self.state = state
        self.system = system
        self.newSession = newSession
    }

    /// A sandbox that is not used.
    public static func off(_ reason: String) -> ConverterSandbox {
        ConverterSandbox(state: .off(reason: reason), system: [])
    }

    /// Whether converters are confined.
    public var isActive: Bool {
        if case .bwrap = state { return true }
        return false
    }

    /// `(status, detail)` for `/startup-status` and `doctor`: `ok` when sandboxed or switched off on purpose,
    /// `degraded` when `auto` found no working bubblewrap.
    public func summary(mode: SandboxMode) -> (status: String, detail: String) {
        switch state {
        case .bwrap(let path):
            return ("ok", "sandboxed (\(path)): no network, private /proc, read-only /usr and /etc, "
                        + "only the work directory writable, the input read-only")
        case .off(let reason):
            return (mode == .off ? "ok" : "degraded", "not sandboxed: \(reason)")
        }
    }

    // MARK: The command line

    /// `command` run inside the sandbox: `writable` directories bound read-write and `readOnly` files or
    /// directories read-only, each at its own path; the working directory and environment stay the command's.
    /// The kernel limits apply to bubblewrap and so to everything it starts. Unchanged when the sandbox is off.
    func wrap(_ command: ChildCommand, writable: [String], readOnly: [String]) -> ChildCommand {
        guard case .bwrap(let bwrap) = state else { return command }
        var arguments = ["--unshare-all", "--cap-drop", "ALL", "--die-with-parent"]
        if newSession { arguments.append("--new-session") }
        arguments += system
        arguments += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        for path in writable { arguments += ["--bind", path, path] }
        // The executable too when it lives outside /usr (a configured EXTRACT_PATH, test stubs).
        let extra = Self.isSystemPath(command.executable) ? [] : [command.executable]
        for path in extra + readOnly { arguments += ["--ro-bind", path, path] }
        if let directory = command.workingDirectory { arguments += ["--chdir", directory] }
        arguments += ["--", command.executable] + command.arguments
        var wrapped = command
        wrapped.executable = bwrap
        wrapped.arguments = arguments
        return wrapped
    }

    /// The converter's own ending seen through bubblewrap, which exits with 128 + N when its child was killed
    /// by signal N (`SIGXCPU`, `SIGXFSZ`…): that becomes the signal again, so the failure codes stay the same.
    func unwrapped(_ outcome: ChildOutcome) -> ChildOutcome {
        guard isActive, case .exited(let code) = outcome.termination, code > 128, code < 128 + 65 else {
            return outcome
        }
        var outcome = outcome
        outcome.termination = .signaled(code - 128)
        return outcome
    }

    /// Whether `path` is under a directory the sandbox always shows.
    static func isSystemPath(_ path: String) -> Bool {
        ["/usr/", "/etc/"].contains { path.hasPrefix($0) }
    }

    /// Top-level entries merged-/usr systems make links (`/bin -> usr/bin`) and older ones directories.
    static let topLevel = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]
    /// Files under `/etc` hidden behind an empty one: the engine's user may be able to read them.
    static let maskedFiles = ["/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-"]
    /// Directories under `/etc` hidden behind an empty one.
    static let maskedDirectories = ["/etc/ssl/private", "/etc/ssh"]

    /// The system's view given what the root holds: `isSymlink` returns a link's target, `isDirectory` and
    /// `exists` what they say.
    static func systemArguments(isDirectory: (String) -> Bool, isSymlink: (String) -> String?,
                                exists: (String) -> Bool) -> [String] {
        var arguments = ["--ro-bind", "/usr", "/usr"]
        for path in topLevel {
            if let target = isSymlink(path) {
                arguments += ["--symlink", target, path]
            } else if isDirectory(path) {
                arguments += ["--ro-bind", path, path]
            }
        }
        arguments += ["--ro-bind", "/etc", "/etc"]
        for path in maskedFiles where exists(path) { arguments += ["--ro-bind", "/dev/null", path] }
        for path in maskedDirectories where isDirectory(path) { arguments += ["--tmpfs", path] }
        // Fonts already indexed: without the cache every pdftoppm and LibreOffice start rescans them.
        if isDirectory("/var/cache/fontconfig") {
            arguments += ["--ro-bind", "/var/cache/fontconfig", "/var/cache/fontconfig"]
        }
        return arguments
    }
}

// MARK: Deciding at start-up

/// `EXTRACT_SANDBOX=bwrap` on a machine where bubblewrap is missing or cannot create its namespaces.
public struct SandboxUnavailable: Error, Sendable, CustomStringConvertible {
    /// Why: bubblewrap missing, or what it said.
    public let reason: String
    public var description: String { "EXTRACT_SANDBOX=bwrap but \(reason)" }
}

extension ConverterSandbox {
    /// Finds bubblewrap in `configuration.searchPath` and, unless `EXTRACT_SANDBOX=off`, runs `true` in a
    /// sandbox laid out like a converter's (in `scratch`, a directory that exists): the sandbox is used when
    /// that works. Throws only for `EXTRACT_SANDBOX=bwrap` when it does not.
    @LoopActor
    public static func probe(configuration: ExtractConfiguration, scratch: String) async throws(SandboxUnavailable)
        -> ConverterSandbox
    {
        let mode = configuration.sandbox
        if mode == .off { return .off("EXTRACT_SANDBOX=off") }
        let found = configuration.searchPath.map { $0 + "/bwrap" }.first { access($0, X_OK) == 0 }
        let trueCandidates: [String] = ["/usr/bin/true", "/bin/true"]
        let truePath = trueCandidates.first { access($0, X_OK) == 0 }
        guard let found, let truePath else {
            let reason = found == nil ? "bwrap is not installed (Debian package bubblewrap)" : "no /usr/bin/true"
            if mode == .bwrap { throw SandboxUnavailable(reason: reason) }
            return .off(reason)
        }
        let system = await Offload.runNonThrowing {
            Self.systemArguments(
                isDirectory: { path in
                    var st = stat()
                    return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
                },
                isSymlink: { path in
                    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                    let n = readlink(path, &buffer, buffer.count - 1)
                    return n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
                },
                exists: { access($0, F_OK) == 0 })
        }
        let terminal = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC)
        if terminal >= 0 { close(terminal) }
        let sandbox = ConverterSandbox(state: .bwrap(path: found), system: system, newSession: terminal >= 0)
        var limits = ChildLimits()
        limits.addressSpace = UInt64(configuration.memoryLimitBytes)
        limits.timeoutMilliseconds = 10_000
        let command = sandbox.wrap(
            ChildCommand(executable: truePath, arguments: [], environment: ["PATH": "/usr/bin:/bin"],
                         workingDirectory: scratch, limits: limits),
            writable: [scratch], readOnly: [])
        let failure: String
        do {
            let outcome = try await ChildProcess.run(command)
            if outcome.succeeded { return sandbox }
            failure = "bwrap cannot set up a sandbox here (\(outcome.termination))"
                + (outcome.stderrText.isEmpty ? "" : ": " + String(outcome.stderrText.suffix(300)))
        } catch {
            failure = "\(error)"
        }
        if mode == .bwrap { throw SandboxUnavailable(reason: failure) }
        return .off(failure)
    }
}
