import Foundation
import Loop
import Logging

/// Warm LibreOffice instances: a cold `soffice --convert-to` costs over a second per document, so the
/// engine keeps instances running and sends them documents one at a time.
///
/// Each instance is a bridge process (``OfficeBridgeScript``, Debian's python3 with `uno`) that starts
/// `soffice` with its own `-env:UserInstallation` profile and answers one JSON line per request. Both
/// live in one process group: killing the group recycles the instance. An instance is recycled after
/// `LIBREOFFICE_RECYCLE_AFTER` documents, when a request passes `EXTRACT_TIMEOUT_MS` (a hang), or when the
/// bridge reports that LibreOffice crashed. Instances start on first use.
///
/// An instance sees only its own profile and exchange directory (``ConverterSandbox``, when converters are
/// sandboxed): each document is copied into the exchange directory (also its `TMPDIR`) and its text written
/// there, then both files are removed — a warm instance outlives the documents' work directories, so it gets no
/// view of them or the spool.
/// Each process of an instance has `EXTRACT_MEMORY_LIMIT` of address space, and CPU for the documents it may
/// convert before it is recycled (`LIBREOFFICE_RECYCLE_AFTER`, each up to `EXTRACT_TIMEOUT_MS`, plus its start).
@LoopActor
public final class WarmOfficePool {
    private let tools: ConverterTools
    private let configuration: ExtractConfiguration
    private let directory: String
    private let logger: Logger
    private var instances: [OfficeInstance?]
    private var idle: [Int] = []
    private var waiters: [CheckedContinuation<Int, Never>] = []
    private var scriptWritten = false
    private var generation = 0
    private let serial: Int
    private static var pools = 0
    /// The sandbox instances start in (set when the extractor opens).
    var sandbox = ConverterSandbox.off("the extractor is not open yet")

    /// Instance starts (first starts and recycles), for status and benchmarks.
    public private(set) var starts = 0
    /// Documents converted by warm instances.
    public private(set) var conversions = 0

    init(tools: ConverterTools, configuration: ExtractConfiguration, workDirectory: String, logger: Logger) {
        self.tools = tools
        self.configuration = configuration
        self.directory = workDirectory
        self.logger = logger
        Self.pools += 1
        serial = Self.pools
        let count = max(1, configuration.libreOfficeInstances)
        instances = Array(repeating: nil, count: count)
        idle = Array(0..<count)
    }

    /// What a conversion produced.
    public struct Converted: Sendable {
        public var text: [UInt8]
        public var pages: Int?
    }

    /// Converts `file` to UTF-8 text on a warm instance.
    public func convert(file: String) async -> Result<Converted, ExtractionFailure> {
        let slot = await takeInstance()
        defer { giveBack(slot) }
        let exchange = exchangeDirectory(slot)
        let input = exchange + "/" + (file.split(separator: "/").last.map(String.init) ?? "input")
        let out = exchange + "/libreoffice-out.txt"
        let result = await convert(file: file, slot: slot, input: input, out: out)
        // Only the request's two files: LibreOffice keeps its own temporary files there (TMPDIR) while it lives.
        await Offload.runNonThrowing {
            for path in [input, out] { try? FileManager.default.removeItem(atPath: path) }
        }
        return result
    }

    private func convert(file: String, slot: Int, input: String, out: String) async
        -> Result<Converted, ExtractionFailure>
    {
        let instance: OfficeInstance
        do {
            instance = try await ready(slot)
        } catch {
            return .failure(ExtractionFailure(.converterMissing, "LibreOffice did not start: \(error)"))
        }
        do {
            try await Offload.run {
                let fm = FileManager.default
                // The document's bytes, not the work directory's link to them.
                let source = (try? fm.destinationOfSymbolicLink(atPath: file)) ?? file
                try? fm.removeItem(atPath: input)
                try fm.copyItem(atPath: source, toPath: input)
            }
        } catch {
            return .failure(ExtractionFailure(.corrupt, "cannot copy the document for LibreOffice: \(error)"))
        }
        let request = "{\"in\": \(Self.jsonString(input)), \"out\": \(Self.jsonString(out))}\n"
        guard instance.process.write(Array(request.utf8)) else {
            await recycle(slot, reason: "the bridge's stdin is closed")
            return .failure(ExtractionFailure(.corrupt, "LibreOffice stopped before the document was sent"))
        }
        let timer = UVTimer()
        var hung = false
        timer.schedule(after: UInt64(configuration.timeoutMilliseconds)) {
            hung = true
            instance.process.kill()
        }
        let line = await instance.process.readLine()
        timer.close()
        instance.documents += 1
        conversions += 1
        guard let line, let answer = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            let outcome = await instance.process.wait()
            instances[slot] = nil
            if hung {
                return .failure(ExtractionFailure(.timeout, "LibreOffice ran past \(configuration.timeoutMilliseconds) ms; the instance was restarted"))
            }
            return .failure(ExtractionFailure(.corrupt, "LibreOffice crashed on the document\(Self.tail(outcome))"))
        }
        if instance.documents >= configuration.libreOfficeRecycleAfter {
            await recycle(slot, reason: "after \(instance.documents) documents")
        }
        if answer["ok"] as? Bool == true {
            let text = await Offload.runNonThrowing { FileManager.default.contents(atPath: out).map { [UInt8]($0) } }
            guard let text else { return .failure(ExtractionFailure(.corrupt, "LibreOffice wrote no output")) }
            return .success(Converted(text: text, pages: answer["pages"] as? Int))
        }
        let code = (answer["code"] as? String).flatMap(ExtractionFailure.Code.init(rawValue:)) ?? .corrupt
        let message = answer["error"] as? String ?? "conversion failed"
        if answer["code"] as? String == "crashed" { await recycle(slot, reason: "LibreOffice crashed") }
        return .failure(ExtractionFailure(code, "LibreOffice: \(message)"))
    }

    /// Stops every instance (closing stdin lets the bridge terminate LibreOffice; the group is killed after).
    public func shutdown() async {
        for slot in instances.indices {
            await recycle(slot, reason: "shutdown")
        }
    }

    // MARK: Instances

    private func takeInstance() async -> Int {
        if let i = idle.popLast() { return i }
        return await withCheckedContinuation(isolation: LoopActor.shared) { waiters.append($0) }
    }

    private func giveBack(_ slot: Int) {
        if waiters.isEmpty { idle.append(slot) } else { waiters.removeFirst().resume(returning: slot) }
    }

    private func ready(_ slot: Int) async throws -> OfficeInstance {
        if let instance = instances[slot] { return instance }
        let script = directory + "/bridge.py"
        if !scriptWritten {
            let dir = directory
            try await Offload.run {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try Data(OfficeBridgeScript.source.utf8).write(to: URL(fileURLWithPath: script))
            }
            scriptWritten = true
        }
        generation += 1
        let profile = directory + "/profile-\(slot)"
        let exchange = exchangeDirectory(slot)
        try await Offload.run {
            // Both exist before the instance starts: the sandbox binds them.
            for path in [exchange, profile] {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            }
        }
        // Unique per pool and slot (two pools in one process must never share an instance), but reused
        // across recycles: a killed instance leaves its pipe file in /tmp behind, and a stale one is harmless.
        let pipeName = "resume-ingest-\(getpid())-\(serial)-\(slot)"
        var limits = ChildLimits()
        limits.addressSpace = UInt64(configuration.memoryLimitBytes)
        // A long-lived process: hangs are caught per request; this bounds what its whole life may burn.
        limits.cpuSeconds = UInt64(configuration.libreOfficeRecycleAfter + 1)
            * UInt64(configuration.timeoutMilliseconds / 1000 + 1)
        limits.timeoutMilliseconds = 0
        limits.stdoutCap = 1 << 20
        limits.fileSize = UInt64(max(configuration.maxOutputBytes, 256 << 20))
        let command = sandbox.wrap(ChildCommand(
            executable: tools.paths["python3"]!,
            arguments: ["-I", "-u", script, "--soffice", tools.path("soffice")!, "--profile", profile, "--pipe", pipeName],
            environment: ["PATH": "/usr/bin:/bin", "HOME": profile, "TMPDIR": exchange, "LANG": "C.UTF-8"],
            workingDirectory: exchange, limits: limits, stdinPipe: true),
            writable: [profile, exchange], readOnly: [script])
        let started = SystemClock.shared.monotonicNanoseconds()
        let process = try await ChildProcess.start(command)
        let timer = UVTimer()
        timer.schedule(after: 60_000) { process.kill() }
        let line = await process.readLine()
        timer.close()
        guard let line, let answer = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
              answer["ready"] as? Bool == true
        else {
            process.kill()
            let outcome = await process.wait()
            throw ExtractionFailure(.converterMissing, "the LibreOffice bridge did not become ready\(Self.tail(outcome))")
        }
        starts += 1
        logger.info("LibreOffice instance ready", metadata: [
            "slot": "\(slot)", "ms": "\(Double(SystemClock.shared.monotonicNanoseconds() - started) / 1e6)",
        ])
        let instance = OfficeInstance(process: process)
        instances[slot] = instance
        return instance
    }

    /// Where instance `slot` reads its document and writes its text.
    private func exchangeDirectory(_ slot: Int) -> String { directory + "/exchange-\(slot)" }

    private func recycle(_ slot: Int, reason: String) async {
        guard let instance = instances[slot] else { return }
        instances[slot] = nil
        logger.debug("recycling LibreOffice instance", metadata: ["slot": "\(slot)", "reason": "\(reason)"])
        instance.process.closeStdin()
        let timer = UVTimer()
        timer.schedule(after: 5_000) { instance.process.kill() }
        _ = await instance.process.wait()
        timer.close()
    }

    private static func tail(_ outcome: ChildOutcome) -> String {
        let t = outcome.stderrText
        return t.isEmpty ? "" : ": " + String(t.suffix(600))
    }

    static func jsonString(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}

/// One running bridge + LibreOffice.
@LoopActor
final class OfficeInstance {
    let process: ChildProcess
    var documents = 0
    init(process: ChildProcess) { self.process = process }
}
