import Loop
import ArgumentParser
import ExtractPool
import Foundation
import Ingest
import Logging
import ResumeModel

/// `resume-ingest extract FILE|DIR...`: runs the extraction pool over files, one JSON line per document
/// on stdout and a summary on stderr. For trying converters on real files, and for benchmarks.
struct Extract: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Extract text from files with the converter pool; prints one JSON line per document.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Files or directories (walked in name order).")
    var paths: [String]

    @Flag(help: "Include the extracted text in each line.")
    var text = false

    @Option(help: "Documents at once (overrides EXTRACT_CONCURRENCY).")
    var concurrency: Int?

    @Flag(help: "Also parse each document's text with the built-in rules parser: its JSON Resume and warnings.")
    var parse = false

    @Flag(help: "Print nothing per document, only the summary.")
    var quiet = false

    @Flag(help: "Measure how long each loop iteration runs callbacks (its stalls) while extracting.")
    var probeLoop = false

    func run() async throws {
        try global.bootstrapLogging()
        var configuration = try ProcessEnvironment.extractConfiguration()
        if let concurrency { configuration.concurrency = concurrency }
        // The work directory is emptied at start: unless one is named, each run gets its own, removed after.
        let privateWork = ProcessEnvironment.current["EXTRACT_WORK_DIR"] == nil
        if privateWork {
            configuration.workDirectory = NSTemporaryDirectory() + "resume-ingest-extract-\(getpid())"
        }
        defer { if privateWork { try? FileManager.default.removeItem(atPath: configuration.workDirectory) } }
        let summary = try await Self.extract(paths: paths, configuration: configuration, includeText: text,
                                             parse: parse, quiet: quiet, probeLoop: probeLoop, logger: Logger(label: "resume-ingest"))
        FileHandle.standardError.write(Data((summary + "\n").utf8))
        let leaks = EventLoop.shared.stop()
        if !leaks.isEmpty {
            FileHandle.standardError.write(Data("handles left open at exit: \(leaks)\n".utf8))
            throw ExitCode(70)
        }
    }

    @LoopActor
    static func extract(paths: [String], configuration: ExtractConfiguration, includeText: Bool, parse: Bool = false,
                        quiet: Bool,
                        probeLoop: Bool, logger: Logger) async throws -> String {
        let extractor = Extractor(configuration: configuration, logger: logger)
        extractor.recordSpawnCosts = true
        try await extractor.open()
        let printer = LinePrinter(includeText: includeText, parse: parse, quiet: quiet)
        let pool = ExtractPool(extractor: extractor, source: FileListSource(paths: paths), consumer: printer,
                               logger: logger)
        let probe = probeLoop ? LoopLagProbe() : nil
        probe?.start()
        let started = SystemClock.shared.monotonicNanoseconds()
        await pool.run()
        let seconds = Double(SystemClock.shared.monotonicNanoseconds() - started) / 1e9
        let lag = probe?.stop()
        await extractor.close()
        printer.flush()
        let spawns = extractor.spawnLoopNanoseconds.sorted()
        let p99 = spawns.isEmpty ? 0 : spawns[min(spawns.count - 1, spawns.count * 99 / 100)]
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let counts = printer.codes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return String(format: "documents=%d extracted=%d failed=%d seconds=%.3f docs_per_s=%.2f", pool.extracted + pool.failed,
                      pool.extracted, pool.failed, seconds, Double(pool.extracted + pool.failed) / max(seconds, 1e-9))
            + " codes=[\(counts)] spawns=\(spawns.count)"
            + String(format: " spawn_loop_p99_ms=%.3f spawn_loop_max_ms=%.3f", Double(p99) / 1e6,
                     Double(spawns.last ?? 0) / 1e6)
            + " office_starts=\(extractor.office?.starts ?? 0) peak_rss_kib=\(usage.ru_maxrss)"
            + (lag.map { lag in
                String(format: " loop_busy_p99_ms=%.3f loop_busy_max_ms=%.3f loop_cpu_p99_ms=%.3f loop_cpu_max_ms=%.3f loop_iterations=%d",
                       Double(lag.busy.p99) / 1e6, Double(lag.busy.max) / 1e6, Double(lag.cpu.p99) / 1e6,
                       Double(lag.cpu.max) / 1e6, lag.busy.samples)
            } ?? "")
    }
}

/// Writes each document as one JSON line on stdout.
@LoopActor
final class LinePrinter: ExtractionConsumer {
    private let includeText: Bool
    private let parse: Bool
    private let quiet: Bool
    private(set) var codes: [String: Int] = [:]
    private var buffer = Data()

    init(includeText: Bool, parse: Bool = false, quiet: Bool) {
        self.includeText = includeText
        self.parse = parse
        self.quiet = quiet
    }

    func waitForRoom() async {}

    func accept(_ d: ExtractedDocument) async {
        codes[d.failure?.code.rawValue ?? "ok", default: 0] += 1
        guard !quiet else { return }
        var o: [String: Any] = [
            "id": d.input.id, "file": d.input.path, "status": d.status.rawValue,
            "detected_type": d.detectedType ?? NSNull(), "extractor": d.extractor ?? NSNull(),
            "ocr_used": d.ocrUsed, "page_count": d.pageCount ?? NSNull(), "text_chars": d.textCharacters,
            "encoding": d.encoding ?? NSNull(), "ms": (d.milliseconds * 10).rounded() / 10,
            "error_code": d.failure?.code.rawValue ?? NSNull(), "error_detail": d.failure?.detail ?? NSNull(),
            "attempts": d.attempts.map { a -> [String: Any] in
                ["converter": a.converter, "outcome": a.outcome, "detail": a.detail ?? NSNull(),
                 "ms": (a.milliseconds * 10).rounded() / 10]
            },
            "warnings": d.warnings,
        ]
        if includeText { o["text"] = d.text }
        if parse, d.status == .extracted {
            let result = RulesParser().parse(d.text)
            if let data = try? JSONEncoder().encode(result.resume),
               let resume = try? JSONSerialization.jsonObject(with: data) {
                o["resume"] = resume
            }
            o["parse_warnings"] = result.warnings
        }
        if let line = try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes]) {
            buffer.append(line)
            buffer.append(0x0A)
        }
        if buffer.count > 64 << 10 { flush() }
    }

    func flush() {
        FileHandle.standardOutput.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
