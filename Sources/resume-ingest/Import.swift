import Archive
import ArgumentParser
import Foundation
import Ingest
import Logging
import Loop
import Pipeline

#if canImport(Glibc)
import Glibc
#endif

/// `resume-ingest import PATH…`: the bulk importer's front door, on the same stages as `serve`.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import resumes from files, folders, globs or archives (zip, tar, tar.gz, tar.zst) into PostgreSQL.",
        discussion: """
            Every document goes through the durable spool (IMPORT_SPOOL_DIR, default .data/import-spool) and the \
            same extraction, parser and database stages as `serve`. Killed or interrupted, the same command run \
            again finishes the documents left in the spool and reuses rows already committed: no duplicate row, \
            no content parsed twice. Needs DATABASE_URL (`scripts/pg url` gives the private cluster's).

            With --llm-when-unsure (or LLM_WHEN_UNSURE=1) and an LLM configured (OPENAI_API_KEY), the rules \
            parser reads every document first and only those whose reading is weak (documents.parse_weak) go \
            to the LLM; the summary counts them.

            Exit status: 0 done; 1 the engine failed (database unreachable at start, spool not writable, \
            interrupted before the end); 2 a path named could not be read (the others were imported); with \
            --fail-on-error, 3 when any document failed; 64 --llm-when-unsure without an LLM configured.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Files, folders (walked recursively), globs, archives; `-` reads paths from standard input.")
    var paths: [String]

    @Option(help: "The tenant the documents belong to (created on first use).")
    var tenant = "default"

    @Option(help: "A label for this import's batch.")
    var label: String?

    @Flag(help: "Print the summary as JSON on standard output.")
    var json = false

    @Flag(help: "Exit with status 3 when any document failed.")
    var failOnError = false

    @Flag(help: "No progress bar or periodic progress lines.")
    var quiet = false

    @Flag(help: "Parse with the rules first and send only documents whose reading is weak to the LLM (needs OPENAI_API_KEY).")
    var llmWhenUnsure = false

    func validate() throws {
        if paths.isEmpty { throw ValidationError("name at least one file, folder, glob or archive (or - for stdin)") }
        if tenant.isEmpty || tenant.count > 64 || !tenant.allSatisfy({ $0.isLetter || $0.isNumber || "-_".contains($0) }) {
            throw ValidationError("--tenant must be 1 to 64 letters, digits, - or _")
        }
    }

    func run() async throws {
        try global.bootstrapLogging()
        var spool = try ProcessEnvironment.configuration()
        spool.spoolDirectory = ProcessEnvironment.current["IMPORT_SPOOL_DIR"] ?? ".data/import-spool"
        var extract = try ProcessEnvironment.extractConfiguration()
        if ProcessEnvironment.current["EXTRACT_WORK_DIR"] == nil {
            extract.workDirectory = spool.spoolDirectory + "/work"
        }
        var llm = try ProcessEnvironment.llmConfiguration()
        llm.whenUnsure = llm.whenUnsure || llmWhenUnsure
        if let refusal = llm.whenUnsureRefusal { throw ValidationError("--llm-when-unsure: \(refusal)") }
        let engine = Engine.Configuration(extract: extract, llm: llm, database: try ProcessEnvironment.sinkConfiguration())
        var options = ImportRun.Options(paths: paths, spool: spool, engine: engine)
        options.tenant = tenant
        options.label = label
        options.archiveLimits.maxEntryBytes = spool.limits.maxFileBytes
        let logger = Logger(label: "resume-ingest")
        let code = await Self.importAll(options, json: json, quiet: quiet, failOnError: failOnError, logger: logger)
        let leaks = EventLoop.shared.stop()
        if !leaks.isEmpty {
            logger.error("handles left open at exit", metadata: ["handles": "\(leaks)"])
            throw ExitCode(70)
        }
        if code != 0 { throw ExitCode(code) }
    }

    @LoopActor
    static func importAll(_ options: ImportRun.Options, json: Bool, quiet: Bool, failOnError: Bool,
                          logger: Logger) async -> Int32 {
        let stop = StopSignal(logger: logger)
        let run = ImportRun(options: options, logger: logger)
        let progress = ProgressLine(enabled: !quiet, logger: logger)
        run.onProgress = { progress.update($0) }
        let report: ImportReport
        do {
            report = try await run.run(stop: { await stop.wait() })
        } catch {
            progress.finish()
            stop.cancel()
            logger.critical("import failed", metadata: ["error": "\(error)"])
            printSummary(run.report, batch: run.batchID, options: options, json: json)
            return 1
        }
        progress.finish()
        stop.cancel()
        printSummary(report, batch: run.batchID, options: options, json: json)
        if !report.unreadable.isEmpty { return 2 }
        if failOnError && (report.failed > 0 || report.rejected > 0) { return 3 }
        return 0
    }

    @LoopActor
    static func printSummary(_ r: ImportReport, batch: DocumentID, options: ImportRun.Options, json: Bool) {
        if json {
            var o = JSONText.Object()
            o.string("batch_id", batch.description)
            o.string("tenant", options.tenant)
            o.string("label", options.label)
            o.int("documents", r.done)
            o.int("spooled", r.spooled)
            o.int("resumed", r.resumed)
            o.int("parsed", r.parsed)
            o.int("failed", r.failed)
            o.int("reused", r.reused)
            o.int("rejected", r.rejected)
            o.int("weak", r.weak)
            o.int("llm_when_unsure", r.unsureToLLM)
            o.int("archives", r.archives)
            o.int("bytes", r.bytes)
            o.int("prompt_tokens", r.promptTokens)
            o.int("completion_tokens", r.completionTokens)
            o.int("cached_tokens", r.cachedTokens)
            // Rounded as `documents.cost_usd` is.
            o.double("cost_usd", (r.costUSD * 1e8).rounded() / 1e8)
            o.double("seconds", (r.seconds * 1000).rounded() / 1000)
            o.double("documents_per_second", (r.documentsPerSecond * 100).rounded() / 100)
            o.raw("by_format", JSONText.counts(r.byFormat))
            o.raw("by_error_code", JSONText.counts(r.byErrorCode))
            o.raw("by_extractor", JSONText.counts(r.byExtractor))
            o.raw("unreadable", JSONText.strings(r.unreadable))
            print(String(decoding: o.finished(), as: UTF8.self))
            return
        }
        func line(_ label: String, _ counts: [String: Int]) -> String {
            let parts = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .map { "\($0.key) \($0.value)" }
            return "  \(label.padding(toLength: 12, withPad: " ", startingAt: 0))" + (parts.isEmpty ? "-" : parts.joined(separator: ", "))
        }
        var out = "import \(batch) (tenant \(options.tenant)\(options.label.map { ", label \($0)" } ?? "")):\n"
        out += "  documents   \(r.done) done: \(r.parsed) parsed, \(r.failed) failed, \(r.reused) reused (already stored)"
            + (r.rejected > 0 ? ", \(r.rejected) refused by the database" : "") + "\n"
        if r.weak > 0 || options.engine.llm.whenUnsure {
            out += "  unsure      \(r.weak) weak rules readings (parse_weak)"
                + (options.engine.llm.whenUnsure ? ", \(r.unsureToLLM) sent to the LLM (--llm-when-unsure)" : "") + "\n"
        }
        if r.resumed > 0 { out += "  resumed     \(r.resumed) left in the spool by an interrupted run\n" }
        if r.archives > 0 { out += "  archives    \(r.archives)\n" }
        out += line("formats", r.byFormat) + "\n"
        out += line("errors", r.byErrorCode) + "\n"
        out += line("extractors", r.byExtractor) + "\n"
        if r.promptTokens + r.completionTokens > 0 {
            out += "  tokens      \(r.promptTokens) prompt (\(r.cachedTokens) cached), "
                + "\(r.completionTokens) completion\n"
            out += String(format: "  cost        %.6f USD (estimated at LLM_PRICE_*)\n", r.costUSD)
        }
        out += String(format: "  time        %.1f s, %.1f documents/s\n", r.seconds, r.documentsPerSecond)
        for path in r.unreadable { out += "  not read    \(path)\n" }
        FileHandle.standardError.write(Data(out.utf8))
    }
}

/// Progress for people: one redrawn line on a terminal (done, failed, docs/s, ETA), a log line every ten
/// seconds otherwise.
@LoopActor
final class ProgressLine {
    private let enabled: Bool
    private let terminal = isatty(STDERR_FILENO) == 1
    private let logger: Logger
    private var lastDraw: UInt64 = 0
    private var drawn = false

    init(enabled: Bool, logger: Logger) {
        self.enabled = enabled
        self.logger = logger
    }

    func update(_ r: ImportReport) {
        guard enabled else { return }
        let now = SystemClock.shared.monotonicNanoseconds()
        let interval: UInt64 = terminal ? 200_000_000 : 10_000_000_000
        guard now - lastDraw >= interval else { return }
        lastDraw = now
        let rate = r.documentsPerSecond
        let left = max(0, r.expected - r.done)
        let eta = rate > 0 ? String(format: "%.0f s", Double(left) / rate) : "-"
        let text = String(format: "%d/%d done, %d failed, %d reused, %.1f docs/s, ETA %@", r.done, r.expected,
                          r.failed, r.reused, rate, eta)
        if terminal {
            let width = 30
            let filled = r.expected > 0 ? min(width, width * r.done / r.expected) : 0
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[2K[\(bar)] \(text)".utf8))
            drawn = true
        } else {
            logger.info("import progress", metadata: ["progress": "\(text)"])
        }
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
