import Loop
import ArgumentParser
import Foundation
import Ingest
import Logging
import Sink

#if canImport(Glibc)
import Glibc
#endif

/// `resume-ingest sink-bench`: realistic rows (≈ 4 KiB of text, ≈ 2 KiB of JSON Resume, metadata) through the
/// Sink into `documents`, for issue 5's figures; and the same rows as CSV (for `psql \copy`) or as one `INSERT`
/// per row, for the peers `Benchmarks/sink/run.sh` measures in the same run.
struct SinkBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sink-bench",
        abstract: "Write generated rows through the Sink (or emit them as CSV / INSERTs for the peers) and report.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Rows to write or emit.") var rows = 100_000
    @Option(help: "The first row's number (rows are numbered; numbers make ids and digests).") var first = 0
    @Option(help: "The database (default: DATABASE_URL).") var databaseURL: String?
    @Option(help: "Write the rows as CSV for `\\copy` into a table shaped like documents, instead of using the Sink.")
    var emitCSV: String?
    @Option(help: "Write the rows as one INSERT statement each into this SQL file, instead of using the Sink.")
    var emitInserts: String?
    @Option(help: "The table the emitted CSV or INSERTs target.") var table = "peer"
    @Option(help: "The tenant's UUID for emitted rows (the Sink looks up the `default` tenant itself).")
    var tenantID = "00000000-0000-0000-0000-000000000000"
    @Option(help: "Memory samples (RSS) taken over the run.") var samples = 10

    func run() async throws {
        try global.bootstrapLogging()
        let generator = RowGenerator()
        if let path = emitCSV {
            try Self.emit(path: path, rows: first..<(first + rows)) { generator.csv(generator.row($0), tenantID: tenantID) }
            return
        }
        if let path = emitInserts {
            try Self.emit(path: path, rows: first..<(first + rows)) {
                generator.insert(generator.row($0), tenantID: tenantID, table: table)
            }
            return
        }
        var configuration = try ProcessEnvironment.sinkConfiguration()
        if let databaseURL { configuration.databaseURL = databaseURL }
        guard configuration.databaseURL != nil else { throw ValidationError("DATABASE_URL is not set") }
        // The cost of making the rows, measured alone, so the Sink's CPU can be told apart.
        let generationStart = Self.cpuNanoseconds()
        var payload = 0
        for i in first..<(first + min(rows, 20_000)) { payload &+= generator.row(i).approximateBytes }
        let generationPerRow = Double(Self.cpuNanoseconds() - generationStart) / Double(min(rows, 20_000))
        let report = await Self.bench(configuration, generator: generator, range: first..<(first + rows), samples: samples)
        let leaks = EventLoop.shared.stop()
        var out: [String: Any] = report.values
        out["rss_mb_samples"] = report.rss
        let sinkCPU = max(0, report.values["cpu_ns"] ?? 0) - generationPerRow * Double(rows)
        out["generation_cpu_ms_per_1000_rows"] = generationPerRow * 1000 / 1e6
        out["sink_cpu_ms_per_1000_rows"] = sinkCPU / Double(rows) * 1000 / 1e6
        let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        if !leaks.isEmpty { throw ExitCode(70) }
    }

    struct Report: Sendable {
        var values: [String: Double]
        var rss: [Double]
    }

    @LoopActor
    static func bench(_ configuration: SinkConfiguration, generator: RowGenerator, range: Range<Int>, samples: Int) async
        -> Report
    {
        final class Progress {
            var committed = 0
            var other = 0
            var done: CheckedContinuation<Void, Never>?
            var target = 0
        }
        let progress = Progress()
        progress.target = range.count
        let sink = Sink(configuration: configuration, logger: Logger(label: "sink-bench")) { outcomes in
            for o in outcomes {
                if o.result == .committed { progress.committed += 1 } else { progress.other += 1 }
            }
            if progress.committed + progress.other >= progress.target, let c = progress.done {
                progress.done = nil
                c.resume()
            }
        }
        sink.start()
        // Connected and migrated before the clock starts.
        while case .connecting = sink.state { await UVTimer.sleep(milliseconds: 10) }
        var rss: [Double] = []
        let every = max(1, range.count / max(1, samples))
        var copied = 0
        let cpuStart = cpuNanoseconds()
        let start = SystemClock.shared.monotonicNanoseconds()
        for (n, i) in range.enumerated() {
            await sink.waitForRoom()
            let row = generator.row(i)
            copied += row.approximateBytes
            sink.accept(row)
            if (n + 1) % every == 0 { rss.append(residentMegabytes()) }
        }
        await sink.drain(timeoutMilliseconds: 600_000)
        if progress.committed + progress.other < progress.target {
            await withCheckedContinuation(isolation: LoopActor.shared) { progress.done = $0 }
        }
        let seconds = Double(SystemClock.shared.monotonicNanoseconds() - start) / 1e9
        let cpu = Double(cpuNanoseconds() - cpuStart)
        rss.append(residentMegabytes())
        let counters = sink.counters
        sink.close()
        return Report(values: [
            "rows": Double(range.count), "committed": Double(progress.committed), "not_committed": Double(progress.other),
            "seconds": seconds, "rows_per_second": Double(range.count) / seconds,
            "payload_mb_per_second": Double(copied) / seconds / 1e6,
            "copy_mb_per_second": Double(counters.copiedBytes) / seconds / 1e6,
            "transactions": Double(counters.transactions), "cpu_ns": cpu,
            "cpu_ms_per_1000_rows": cpu / Double(range.count) * 1000 / 1e6, "peak_rss_mb": peakResidentMegabytes(),
        ], rss: rss.map { ($0 * 10).rounded() / 10 })
    }

    static func emit(path: String, rows: Range<Int>, _ line: (Int) -> String) throws {
        guard let file = fopen(path, "w") else { throw ValidationError("cannot write \(path)") }
        defer { fclose(file) }
        for i in rows {
            let text = line(i)
            _ = text.withCString { fputs($0, file) }
        }
    }

    static func cpuNanoseconds() -> UInt64 {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        func ns(_ t: timeval) -> UInt64 { UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_usec) * 1000 }
        return ns(usage.ru_utime) + ns(usage.ru_stime)
    }

    static func residentMegabytes() -> Double {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

/// Deterministic, realistic rows: a thousand different resumes (≈ 4 KiB of text, ≈ 2 KiB of JSON Resume), each row
/// one of them with its own id, digest, batch and time.
struct RowGenerator: Sendable {
    private let texts: [String]
    private let jsons: [[UInt8]]

    init() {
        let firstNames = ["Abigail", "Divya", "Youssef", "Matthias", "Sebastián", "Folake", "Sōta", "Noor", "Zaneta", "Håkon"]
        let lastNames = ["Thompson", "Iyer", "Haddad", "Wagner", "Fernández", "Okonkwo", "Sato", "de Vries", "Kowalska"]
        let skills = ["Python", "SQL", "Kubernetes", "Swift", "PostgreSQL", "Terraform", "React", "Go", "Spark", "Figma"]
        let verbs = ["Built", "Led", "Designed", "Migrated", "Scaled", "Automated", "Shipped", "Reduced", "Owned"]
        var texts: [String] = []
        var jsons: [[UInt8]] = []
        for t in 0..<1000 {
            let name = "\(firstNames[t % firstNames.count]) \(lastNames[(t / 7) % lastNames.count])"
            let email = "candidate\(t)@example.com"
            var lines = [name, "Senior Engineer · \(email) · +44 20 7946 \(String(format: "%04d", t))", "", "Experience"]
            var work: [String] = []
            for j in 0..<6 {
                let company = "Company \((t * 7 + j) % 97) Ltd"
                lines.append("\(company) — Engineer, \(2010 + j) – \(2011 + j)")
                for k in 0..<4 {
                    lines.append("• \(verbs[(t + j + k) % verbs.count]) \(skills[(t + k) % skills.count]) services for "
                                 + "\(1000 * (k + 1)) customers, cutting costs by \((t + j + k) % 40 + 5)%")
                }
                work.append(#"{"name":"\#(company)","position":"Engineer","startDate":"\#(2010 + j)-01","endDate":"\#(2011 + j)-12","highlights":["\#(verbs[(t + j) % verbs.count]) \#(skills[(t + j) % skills.count]) services"]}"#)
            }
            lines += ["", "Education", "University \(t % 50) — BSc Computer Science, 2009", "", "Skills",
                      skills.shuffledDeterministically(seed: t).joined(separator: ", ")]
            texts.append(lines.joined(separator: "\n"))
            let json = #"{"basics":{"name":"\#(name)","email":"\#(email)","phone":"+44 20 7946 \#(String(format: "%04d", t))","label":"Senior Engineer"},"work":[\#(work.joined(separator: ","))],"education":[{"institution":"University \#(t % 50)","area":"Computer Science","studyType":"BSc","endDate":"2009"}],"skills":[\#(skills.map { #"{"name":"\#($0)"}"# }.joined(separator: ","))]}"#
            jsons.append(Array(json.utf8))
        }
        self.texts = texts
        self.jsons = jsons
    }

    func row(_ i: Int) -> DocumentRow {
        let t = i % texts.count
        var digest = withUnsafeBytes(of: UInt64(i).bigEndian) { Array($0) }
        digest += [UInt8](repeating: UInt8(truncatingIfNeeded: t), count: 24)
        return DocumentRow(
            id: Self.uuid(0x1000_0000_0000_0000 | UInt64(i)), tenant: "default", batchID: Self.uuid(UInt64(i / 10_000)),
            contentSHA256: digest, filename: "resume-\(i).pdf", declaredType: "application/pdf",
            detectedType: "application/pdf", sizeBytes: 48_000 + Int64(i % 1000), status: .parsed, extractor: "pdftotext",
            ocrUsed: false, pageCount: 2, textCharacters: texts[t].count, text: texts[t], parsed: jsons[t],
            provider: "rules", model: nil, promptTokens: 0, completionTokens: 0, warnings: [],
            receivedAtMilliseconds: 1_795_000_000_000 + Int64(i))
    }

    static func uuid(_ n: UInt64) -> String {
        let hex = String(n, radix: 16)
        let digits = String(repeating: "0", count: 32 - hex.count) + hex
        let d = Array(digits)
        return String(d[0..<8]) + "-" + String(d[8..<12]) + "-4" + String(d[13..<16]) + "-8" + String(d[17..<20]) + "-"
            + String(d[20..<32])
    }

    /// The row as a CSV line for `\copy TABLE (columns) FROM … CSV` (columns: ``csvColumns``).
    func csv(_ r: DocumentRow, tenantID: String) -> String {
        func q(_ s: String?) -> String { s.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" } ?? "" }
        let fields: [String] = [
            r.id, tenantID, r.batchID ?? "", "\\x" + Hex.encode(r.contentSHA256), q(r.filename), q(r.declaredType),
            q(r.detectedType), String(r.sizeBytes), r.status.rawValue, q(r.extractor), r.ocrUsed.map { $0 ? "t" : "f" } ?? "",
            r.pageCount.map(String.init) ?? "", r.textCharacters.map(String.init) ?? "", q(r.text),
            q(r.parsed.map { String(decoding: $0, as: UTF8.self) }), q(r.provider), q(r.model),
            r.promptTokens.map(String.init) ?? "", r.completionTokens.map(String.init) ?? "",
            r.cachedTokens.map(String.init) ?? "", r.costUSD.map { String($0) } ?? "", q(r.errorCode),
            q(r.errorDetail), q("[]"), Self.timestamp(r.receivedAtMilliseconds),
        ]
        return fields.joined(separator: ",") + "\n"
    }

    /// The row as one `INSERT` statement (what a per-row client sends).
    func insert(_ r: DocumentRow, tenantID: String, table: String) -> String {
        func q(_ s: String?) -> String { s.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" } ?? "NULL" }
        let values: [String] = [
            q(r.id), q(tenantID), q(r.batchID), "'\\x" + Hex.encode(r.contentSHA256) + "'", q(r.filename),
            q(r.declaredType), q(r.detectedType), String(r.sizeBytes), q(r.status.rawValue), q(r.extractor),
            r.ocrUsed.map { $0 ? "true" : "false" } ?? "NULL", r.pageCount.map(String.init) ?? "NULL",
            r.textCharacters.map(String.init) ?? "NULL", q(r.text), q(r.parsed.map { String(decoding: $0, as: UTF8.self) }),
            q(r.provider), q(r.model), r.promptTokens.map(String.init) ?? "NULL",
            r.completionTokens.map(String.init) ?? "NULL", r.cachedTokens.map(String.init) ?? "NULL",
            r.costUSD.map { String($0) } ?? "NULL", q(r.errorCode), q(r.errorDetail), "'[]'",
            q(Self.timestamp(r.receivedAtMilliseconds)),
        ]
        return "INSERT INTO \(table) (\(Self.csvColumns)) VALUES (\(values.joined(separator: ", ")));\n"
    }

    static let csvColumns = "id, tenant_id, batch_id, content_sha256, filename, declared_type, detected_type, size_bytes, "
        + "status, extractor, ocr_used, page_count, text_chars, text, parsed, provider, model, prompt_tokens, "
        + "completion_tokens, cached_tokens, cost_usd, error_code, error_detail, warnings, received_at"

    static func timestamp(_ ms: Int64) -> String { Timestamp.rfc3339(unixMilliseconds: ms) }
}

extension Array {
    /// A permutation that depends only on `seed`.
    fileprivate func shuffledDeterministically(seed: Int) -> [Element] {
        var state = UInt64(truncatingIfNeeded: seed) &* 6364136223846793005 &+ 1442695040888963407
        var out = self
        for i in stride(from: out.count - 1, to: 0, by: -1) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let j = Int((state >> 33) % UInt64(i + 1))
            out.swapAt(i, j)
        }
        return out
    }
}
