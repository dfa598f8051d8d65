import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Loop
import Testing
import TestSupport

@testable import ExtractPool

/// The bubblewrap command line as a value, then real bwrap around a hostile "converter" and the real ones.
@Suite("Converter sandbox")
struct ConverterSandboxTests {
    // MARK: The command line, without a process

    private static let sandbox = ConverterSandbox(state: .bwrap(path: "/usr/bin/bwrap"),
                                                  system: ["--ro-bind", "/usr", "/usr"])

    @Test("the child runs under bwrap: namespaces, no capabilities, private /dev /proc /tmp, its binds, its cwd")
    func wrap() {
        let command = ChildCommand(executable: "/usr/bin/antiword", arguments: ["-w", "0", "/w/1-a/input.doc"],
                                   environment: ["PATH": "/usr/bin:/bin"], workingDirectory: "/w/1-a")
        let wrapped = Self.sandbox.wrap(command, writable: ["/w/1-a"], readOnly: ["/spool/incoming/a"])
        #expect(wrapped.executable == "/usr/bin/bwrap")
        #expect(wrapped.arguments == [
            "--unshare-all", "--cap-drop", "ALL", "--die-with-parent",
            "--ro-bind", "/usr", "/usr",
            "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            "--bind", "/w/1-a", "/w/1-a",
            "--ro-bind", "/spool/incoming/a", "/spool/incoming/a",
            "--chdir", "/w/1-a",
            "--", "/usr/bin/antiword", "-w", "0", "/w/1-a/input.doc",
        ])
        #expect(wrapped.environment == command.environment)
        #expect(wrapped.limits == command.limits)
        #expect(wrapped.workingDirectory == "/w/1-a")
        // With a controlling terminal to keep converters away from, each gets a session of its own.
        var terminal = Self.sandbox
        terminal.newSession = true
        #expect(terminal.wrap(command, writable: [], readOnly: []).arguments.prefix(5)
            == ["--unshare-all", "--cap-drop", "ALL", "--die-with-parent", "--new-session"])
    }

    @Test("an executable outside /usr is bound read-only; with the sandbox off the command is unchanged")
    func executableAndOff() {
        let command = ChildCommand(executable: "/opt/tools/stub", arguments: ["x"], workingDirectory: "/w")
        let wrapped = Self.sandbox.wrap(command, writable: ["/w"], readOnly: [])
        #expect(wrapped.arguments.suffix(8) == ["--ro-bind", "/opt/tools/stub", "/opt/tools/stub", "--chdir", "/w",
                                                "--", "/opt/tools/stub", "x"])
        let off = ConverterSandbox.off("EXTRACT_SANDBOX=off").wrap(command, writable: ["/w"], readOnly: ["/x"])
        #expect(off.executable == "/opt/tools/stub")
        #expect(off.arguments == ["x"])
    }

    @Test("the system's view follows the root: merged-/usr links, real directories, masks that exist")
    func systemView() {
        let links = ["/bin": "usr/bin", "/lib": "usr/lib", "/lib64": "usr/lib64", "/sbin": "usr/sbin"]
        let merged = ConverterSandbox.systemArguments(
            isDirectory: { ["/etc/ssh", "/var/cache/fontconfig"].contains($0) }, isSymlink: { links[$0] },
            exists: { $0 == "/etc/shadow" })
        #expect(merged == [
            "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin", "--symlink", "usr/lib", "/lib",
            "--symlink", "usr/lib64", "/lib64",
            "--ro-bind", "/etc", "/etc", "--ro-bind", "/dev/null", "/etc/shadow", "--tmpfs", "/etc/ssh",
            "--ro-bind", "/var/cache/fontconfig", "/var/cache/fontconfig",
        ])
        let split = ConverterSandbox.systemArguments(isDirectory: { ["/bin", "/lib"].contains($0) },
                                                     isSymlink: { _ in nil }, exists: { _ in false })
        #expect(split == ["--ro-bind", "/usr", "/usr", "--ro-bind", "/bin", "/bin", "--ro-bind", "/lib", "/lib",
                          "--ro-bind", "/etc", "/etc"])
    }

    @Test("bwrap's exit status 128+N is the converter's signal N again, so the failure codes stay the same")
    func unwrapped() {
        let outcome = ChildOutcome(termination: .exited(128 + SIGXCPU), stdout: [], stderrTail: [], timedOut: false,
                                   stdoutOverflowed: false, wallNanoseconds: 0, loopNanoseconds: 0)
        #expect(Self.sandbox.unwrapped(outcome).termination == .signaled(SIGXCPU))
        #expect(ConverterSandbox.off("off").unwrapped(outcome).termination == .exited(128 + SIGXCPU))
        var plain = outcome
        plain.termination = .exited(3)
        #expect(Self.sandbox.unwrapped(plain).termination == .exited(3))
    }

    @Test("EXTRACT_SANDBOX: auto by default, bwrap or off; anything else is refused")
    func setting() throws {
        #expect(ExtractConfiguration().sandbox == .auto)
        #expect(try ExtractConfiguration(environment: ["EXTRACT_SANDBOX": "off"]).sandbox == .off)
        #expect(try ExtractConfiguration(environment: ["EXTRACT_SANDBOX": "bwrap"]).sandbox == .bwrap)
        #expect(throws: InvalidSetting.self) { try ExtractConfiguration(environment: ["EXTRACT_SANDBOX": "yes"]) }
        #expect(ExtractConfiguration().printable.contains { $0 == ("EXTRACT_SANDBOX", "auto") })
    }

    // MARK: The probe

    @Test("the probe: auto falls back to today's isolation when bwrap cannot sandbox, bwrap refuses, off skips it")
    @LoopActor
    func probe() async throws {
        // A bwrap that fails as it does where user namespaces are not allowed.
        let dir = try TemporaryDirectory.make(prefix: "sandbox-probe")
        try TemporaryDirectory.write(dir + "/bwrap", Array(
            "#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n".utf8))
        chmod(dir + "/bwrap", 0o755)
        var configuration = ExtractConfiguration()
        configuration.searchPath = [dir, "/usr/bin", "/bin"]
        let auto = try await ConverterSandbox.probe(configuration: configuration, scratch: dir)
        #expect(!auto.isActive)
        let summary = auto.summary(mode: .auto)
        #expect(summary.status == "degraded")
        #expect(summary.detail.contains("No permissions to create new namespace"), "\(summary.detail)")
        configuration.sandbox = .bwrap
        await #expect(throws: SandboxUnavailable.self) {
            try await ConverterSandbox.probe(configuration: configuration, scratch: dir)
        }
        configuration.sandbox = .off
        let off = try await ConverterSandbox.probe(configuration: configuration, scratch: dir)
        #expect(off.summary(mode: .off) == ("ok", "not sandboxed: EXTRACT_SANDBOX=off"))
        configuration.sandbox = .auto
        configuration.searchPath = ["/usr/bin", "/bin"]
        let real = try await ConverterSandbox.probe(configuration: configuration, scratch: dir)
        #expect(real.isActive, "bwrap does not work on this machine: \(real.summary(mode: .auto).detail)")
    }

    // MARK: Real bwrap

    /// A Word 97 "converter" that behaves like an exploited one: it tries to read a secret the engine can read,
    /// write a file next to it and through its input, read the engine's environment from /proc, and
    /// connect to a socket listening on 127.0.0.1; it prints what happened, one `name=ok|denied` per line.
    private struct HostileConverter {
        let secret: String
        let outside: String
        /// A copy of a Word 97 sample (the hostile converter may write to it when it is not sandboxed).
        let input: String
        let script: String
        let port: UInt16
        let listener: Int32

        init() throws {
            let dir = try TemporaryDirectory.make(prefix: "sandbox-hostile")
            secret = dir + "/secret.txt"
            try TemporaryDirectory.write(secret, Array("the engine's secret".utf8))
            outside = dir + "/written-from-a-converter"
            input = dir + "/resume.doc"
            (listener, port) = try Self.listenOnLoopback()
            script = dir + "/antiword"
            let text = """
                #!/bin/sh
                # antiword -m UTF-8.txt -w 0 <input>
                input="$5"
                probe() { if "$@" >/dev/null 2>&1; then echo "$name=ok"; else echo "$name=denied"; fi; }
                name=read_secret probe cat '\(secret)'
                name=write_outside probe sh -c 'echo x > "\(outside)"'
                name=write_input probe sh -c 'echo x >> "$0"' "$input"
                name=engine_environ probe sh -c 'tr "\\0" "\\n" < /proc/\(getpid())/environ | grep -q .'
                name=connect probe /usr/bin/python3 -c \\
                    'import socket; socket.create_connection(("127.0.0.1", \(port)), 2)'
                name=read_input probe cat "$input"
                echo "environment: $(env | tr '\\n' ' ')"
                echo "Sandbox probe report, enough text for the chain to keep it as the document's text."

                """
            try TemporaryDirectory.write(script, Array(text.utf8))
            chmod(script, 0o755)
        }

        /// A TCP socket listening on 127.0.0.1 (an ephemeral port), as a local service would be.
        static func listenOnLoopback() throws -> (Int32, UInt16) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                    Glibc.bind(fd, p, length) == 0 && Glibc.listen(fd, 8) == 0 && getsockname(fd, p, &length) == 0
                }
            }
            guard bound else { throw TestFailure("cannot listen on 127.0.0.1") }
            return (fd, UInt16(bigEndian: address.sin_port))
        }

        /// Runs the hostile converter on a Word 97 sample through the extractor and returns its report.
        @LoopActor
        func run(_ mode: SandboxMode) async throws -> (report: [String: String], text: String, sandboxed: Bool) {
            let configuration = try PoolHarness.configuration { $0.sandbox = mode }
            var tools = ConverterTools(configuration: configuration)
            tools.paths["antiword"] = script
            let sample = try #require(try Sample.manifest().first { $0.format == "doc" }).file
            let file = input
            unlink(file)
            try FileManager.default.copyItem(atPath: sample, toPath: file)
            let (documents, extractor) = try await PoolHarness.run([file], configuration: configuration, tools: tools)
            let doc = try #require(documents[file])
            #expect(doc.extractor == "antiword", "\(doc.failure?.description ?? "")")
            var report: [String: String] = [:]
            for line in doc.text.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1)
                if parts.count == 2, !parts[0].contains(" ") { report[String(parts[0])] = String(parts[1]) }
            }
            return (report, doc.text, extractor.sandbox.isActive)
        }
    }

    @Test("a converter in the sandbox reads only its input: no secret, no writes outside, no engine /proc, no network")
    @LoopActor
    func confinement() async throws {
        let hostile = try HostileConverter()
        defer { close(hostile.listener) }
        setenv("RESUME_INGEST_SANDBOX_TEST_SECRET", "engine-only", 1)

        // Today's isolation, for contrast: the same converter reaches all of it but the environment.
        let off = try await hostile.run(.off)
        #expect(!off.sandboxed)
        #expect(off.report == ["read_secret": "ok", "write_outside": "ok", "write_input": "ok",
                               "engine_environ": "ok", "connect": "ok", "read_input": "ok"], "\(off.text)")
        #expect(access(hostile.outside, F_OK) == 0)
        unlink(hostile.outside)

        let on = try await hostile.run(.bwrap)
        #expect(on.sandboxed)
        #expect(on.report["read_input"] == "ok", "\(on.text)")
        #expect(on.report["read_secret"] == "denied", "\(on.text)")
        // The write itself may succeed, in the sandbox's own empty /tmp (gone with it), but never reaches the host.
        #expect(on.report["write_outside"] != nil, "\(on.text)")
        #expect(on.report["write_input"] == "denied", "\(on.text)")
        #expect(on.report["engine_environ"] == "denied", "\(on.text)")
        #expect(on.report["connect"] == "denied", "\(on.text)")
        #expect(access(hostile.outside, F_OK) != 0, "a sandboxed converter wrote outside its work directory")
        #expect(FileManager.default.contents(atPath: hostile.input)?.suffix(2) != Data("x\n".utf8),
                "the input was written")

        // In either mode the child's environment is its own: none of the engine's variables.
        for text in [off.text, on.text] {
            #expect(!text.contains("RESUME_INGEST_SANDBOX_TEST_SECRET"), "\(text)")
            #expect(!text.contains("DATABASE_URL") && !text.contains("OPENAI_API_KEY"), "\(text)")
        }
    }

    @Test("the sample files extract the same inside the sandbox as outside, LibreOffice included")
    @LoopActor
    func sameResults() async throws {
        let files = try Sample.manifest().map(\.file)
        var results: [SandboxMode: [String: ExtractedDocument]] = [:]
        for mode in [SandboxMode.off, .bwrap] {
            let configuration = try PoolHarness.configuration { $0.sandbox = mode }
            let (documents, extractor) = try await PoolHarness.run(files, configuration: configuration)
            #expect(extractor.sandbox.isActive == (mode == .bwrap))
            #expect(PoolHarness.leftovers(configuration).isEmpty)
            results[mode] = documents
        }
        for file in files {
            let off = try #require(results[.off]?[file]), on = try #require(results[.bwrap]?[file])
            let name = file.split(separator: "/").last!
            #expect(on.status == off.status,
                    "\(name): \(on.failure?.description ?? "") vs \(off.failure?.description ?? "")")
            #expect(on.failure?.code == off.failure?.code, "\(name)")
            #expect(on.extractor == off.extractor, "\(name)")
            #expect(on.pageCount == off.pageCount, "\(name)")
            #expect(on.text == off.text, "\(name): the text differs")
        }

        // Word 97 through warm LibreOffice, which sees only its profile and a copy of each document.
        let docs = try Sample.manifest().filter { $0.format == "doc" }.prefix(2).map(\.file)
        var office: [SandboxMode: [String: ExtractedDocument]] = [:]
        for mode in [SandboxMode.off, .bwrap] {
            let configuration = try PoolHarness.configuration { c in
                c.sandbox = mode
                c.concurrency = 1
            }
            guard let tools = PoolHarness.libreOfficeOnlyForWord97(configuration) else { return }
            office[mode] = try await PoolHarness.run(docs, configuration: configuration, tools: tools).documents
            #expect(await PoolHarness.processesMentioning(configuration.workDirectory).isEmpty,
                    "LibreOffice outlived the pool")
        }
        for file in docs {
            let off = try #require(office[.off]?[file]), on = try #require(office[.bwrap]?[file])
            #expect(on.extractor == "libreoffice", "\(on.failure?.description ?? "")")
            #expect(on.text == off.text && !on.text.isEmpty, "\(file)")
        }
    }
}
