import Foundation
import Testing
import TestSupport

/// The Dockerfile and docker-compose.yml cannot be built here (no container engine), so what they claim is
/// checked against what is tested: the packages of `scripts/install-deps.sh run`, the libraries the built binary
/// links, the engine's own defaults and routes.
@Suite("deployment files")
struct DeploymentFilesTests {
    static let root = EngineProcess.repositoryRoot

    static func read(_ path: String) throws -> String {
        try String(contentsOfFile: root + "/" + path, encoding: .utf8)
    }

    /// The Dockerfile's stages: the text from each `FROM` to the next.
    static func stages() throws -> [String] {
        let text = try read("Dockerfile")
        var stages: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("FROM ") { stages.append("") }
            if !stages.isEmpty { stages[stages.count - 1] += line + "\n" }
        }
        return stages
    }

    /// The packages a stage's `apt-get install` names.
    static func aptPackages(_ stage: String) -> Set<String> {
        let joined = stage.replacingOccurrences(of: "\\\n", with: " ")
        var packages: Set<String> = []
        for command in joined.components(separatedBy: "&&") where command.contains("apt-get -q install") {
            let words = command.split(whereSeparator: \.isWhitespace).map(String.init)
            packages.formUnion(words.drop { $0 != "install" }.dropFirst().filter { !$0.hasPrefix("-") })
        }
        return packages
    }

    /// `scripts/install-deps.sh run`'s packages: the `packages=(…)` and `packages+=(…)` lines before the first
    /// mode test.
    static func installDepsRun() throws -> [String] {
        let text = try read("scripts/install-deps.sh")
        var packages: [String] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("if ") { break }
            guard let match = line.firstMatch(of: /^packages\+?=\((.*)\)/) else { continue }
            packages += match.1.split(separator: " ").map(String.init)
        }
        return packages
    }

    @Test("the Dockerfile installs install-deps.sh's -dev packages to build, and its converters and sandbox to run")
    func packagesMirrorInstallDeps() throws {
        let stages = try Self.stages()
        try #require(stages.count == 2, "a build stage and a runtime stage")
        let build = Self.aptPackages(stages[0])
        let runtime = Self.aptPackages(stages[1])
        let run = try Self.installDepsRun()
        try #require(run.contains("libuv1-dev") && run.contains("bubblewrap"), "read install-deps.sh: \(run)")
        // The image uses an external PostgreSQL (DATABASE_URL): scripts/pg's server and psql stay out.
        let serverSide: Set = ["postgresql", "postgresql-client"]
        for package in run where !serverSide.contains(package) {
            if package.hasSuffix("-dev") || package == "pkg-config" {
                #expect(build.contains(package), "the build stage installs \(package)")
            } else {
                #expect(runtime.contains(package), "the runtime stage installs \(package)")
            }
        }
        #expect(!runtime.contains { $0.hasSuffix("-dev") }, "no -dev package at run time: \(runtime.sorted())")
    }

    @Test("the runtime stage installs the package of every system library the built binary links")
    func runtimeHasLinkedLibraries() throws {
        let binary = EngineProcess.executable
        let needed = try Self.output("/usr/bin/readelf", ["-d", binary]).matches(of: /\(NEEDED\)[^\[]*\[([^\]]+)\]/)
            .map { String($0.1) }
        let resolved = Dictionary(
            try Self.output("/usr/bin/ldd", [binary]).matches(of: /(?m)^\s*(\S+) => (\S+)/)
                .map { (String($0.1), String($0.2)) }, uniquingKeysWith: { a, _ in a })
        try #require(needed.contains("libuv.so.1"), "read the binary's needs: \(needed)")
        let runtime = Self.aptPackages(try Self.stages().last ?? "")
        // In debian:bookworm-slim already: the C and C++ runtimes.
        let base: Set = ["libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2",
                         "ld-linux-aarch64.so.1"]
        for name in needed where !base.contains(name) {
            guard let path = resolved[name] else {
                Issue.record("ldd does not resolve \(name)")
                continue
            }
            if path.contains("/lib/swift/") {
                // The Swift runtime is linked in (--static-swift-stdlib); FoundationXML brings libxml2 along.
                if name.hasPrefix("libFoundationXML") {
                    #expect(runtime.contains("libxml2"), "FoundationXML needs libxml2 at run time")
                }
                continue
            }
            // dpkg records a file under /lib or /usr/lib, whichever its package ships (merged /usr shows both).
            let other = path.hasPrefix("/usr/") ? String(path.dropFirst(4)) : "/usr" + path
            guard let owner = [path, other].lazy.compactMap({ try? Self.output("/usr/bin/dpkg-query", ["-S", $0]) })
                .first
            else {
                Issue.record("no Debian package owns \(path) (\(name))")
                continue
            }
            let package = String(owner.prefix { $0 != ":" })
            #expect(runtime.contains(package), "\(name) (\(package)) is installed by the runtime stage")
        }
    }

    @Test("port, spool and health check agree across the Dockerfile, docker-compose.yml and the engine")
    func settingsAgree() async throws {
        let runtime = try Self.stages().last ?? ""
        let compose = try Self.read("docker-compose.yml")
        let port = try #require(runtime.firstMatch(of: /PORT=(\d+)/)?.1).description
        let spool = try #require(runtime.firstMatch(of: /SPOOL_DIR=(\S+)/)?.1).description
        #expect(runtime.contains("EXPOSE \(port)\n"))
        #expect(runtime.contains("VOLUME [\"\(spool)\"]"))
        #expect(compose.contains(":\(port)\"\n"), "compose publishes the container's port \(port)")
        #expect(compose.contains("spool:\(spool)\n"), "compose mounts the spool volume at \(spool)")
        #expect(try Self.read(".dockerignore").contains(".build*"))
        // The health check's route answers 200 on a real server (no database: it is liveness only).
        let path = try #require(runtime.firstMatch(of: /HEALTHCHECK[^\n]*\n[^\n]*127\.0\.0\.1:\$\{PORT\}(\/[a-z\-]+)/)?.1)
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": nil])
        defer { serve.kill() }
        let answer = try serve.curl(["-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(serve.port)\(path)"])
        #expect(answer == "200", "GET \(path) answers \(answer)")
    }

    static func output(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
