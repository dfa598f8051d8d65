import ResumeModel
import Loop
import ArgumentParser
import ExtractPool
import Foundation
import Ingest
import LLMBatcher
import Logging

/// `resume-ingest score-rules MANIFEST.jsonl`: extracts every document of a bench-data manifest that has a
/// ground-truth record, parses the text with the rule-based parser, and prints precision and recall per
/// field, overall and per format, with the parse time per document.
struct ScoreRules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score-rules",
        abstract: "Score the rule-based parser against a bench-data manifest (precision/recall per field).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A bench-data manifest.jsonl; file paths in it are relative to its folder.")
    var manifest: String

    @Option(help: "Only documents of this format (pdf, docx, doc, rtf, odt, html, txt, scan-pdf, png).")
    var format: String?

    @Option(help: "Documents at once while extracting (overrides EXTRACT_CONCURRENCY).")
    var concurrency: Int?

    @Option(help: "Parses per document when timing (the median of them is the document's time).")
    var repeats = 5

    @Option(help: "Write one JSON file per document (text, parsed, truth) into this folder.")
    var dump: String?

    @Flag(help: """
        Score the flattened text instead, as ATS exports, copy-pastes and HTML-to-text tools deliver it: a \
        third of the line breaks become one space, the others a run of 2 to 6 spaces, and every blank line a \
        run of 3 to 10 (drawn from a fixed seed).
        """)
    var flatten = false

    func run() async throws {
        try global.bootstrapLogging()
        let entries = try Self.readManifest(manifest, format: format)
        guard !entries.isEmpty else { throw ValidationError("no documents with a record in \(manifest)") }
        var configuration = try ProcessEnvironment.extractConfiguration()
        if let concurrency { configuration.concurrency = concurrency }
        let collector = try await Self.extract(entries: entries, configuration: configuration,
                                               logger: Logger(label: "resume-ingest"))
        let leaks = EventLoop.shared.stop()
        let texts = flatten ? collector.texts.mapValues(Self.flattened) : collector.texts
        let report = Self.score(entries: entries, texts: texts, extractMilliseconds: collector.milliseconds,
                                repeats: max(1, repeats), dump: dump)
        print(report)
        if !leaks.isEmpty {
            FileHandle.standardError.write(Data("handles left open at exit: \(leaks)\n".utf8))
            throw ExitCode(70)
        }
    }

    /// `text` with its line breaks replaced by one space or runs of spaces (see `--flatten`), drawn from a
    /// generator seeded by the text's length, so a run is repeatable.
    static func flattened(_ text: String) -> String {
        var state = UInt64(text.utf8.count) &* 0x9E37_79B9_7F4A_7C15 | 1
        func next(_ range: ClosedRange<Int>) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return range.lowerBound + Int(state % UInt64(range.count))
        }
        var out = ""
        out.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        var newlines = 0
        for character in text {
            if character == "\n" {
                newlines += 1
                continue
            }
            if newlines > 0 {
                // Not the inverse of what the parser undoes: a third of the line breaks become one space (as
                // HTML-to-text joins a paragraph's lines), and a blank line's run overlaps a line break's.
                if newlines == 1 && next(0...9) < 3 {
                    out += " "
                } else {
                    out += String(repeating: " ", count: newlines > 1 ? next(3...10) : next(2...6))
                }
                newlines = 0
            }
            out.append(character)
        }
        return out
    }

    /// One manifest line with a record.
    struct Entry {
        var path: String
        var format: String
        var truth: JSONResume
        /// The layouts set's layout, "-flat" added for a flattened twin; nil in the other sets.
        var layout: String? = nil
    }

    static func readManifest(_ path: String, format: String?) throws -> [Entry] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        var entries: [Entry] = []
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let file = object["file"] as? String, let fileFormat = object["format"] as? String,
                  let record = object["record"], !(record is NSNull) else { continue }
            if let format, format != fileFormat { continue }
            let recordData = try JSONSerialization.data(withJSONObject: record)
            let truth = try JSONDecoder().decode(JSONResume.self, from: recordData)
            let layout = (object["layout"] as? String).map { $0 + ((object["flattened"] as? Bool) == true ? "-flat" : "") }
            entries.append(Entry(path: folder.isEmpty ? file : folder + "/" + file, format: fileFormat, truth: truth,
                                 layout: layout))
        }
        return entries
    }

    @LoopActor
    static func extract(entries: [Entry], configuration: ExtractConfiguration, logger: Logger) async throws
        -> (texts: [String: String], milliseconds: [String: Double]) {
        let extractor = Extractor(configuration: configuration, logger: logger)
        try await extractor.open()
        let collector = TextCollector()
        let pool = ExtractPool(extractor: extractor, source: FileListSource(paths: entries.map(\.path)),
                               consumer: collector, logger: logger)
        await pool.run()
        await extractor.close()
        return (collector.texts, collector.milliseconds)
    }

    /// Parses, scores and times every document; returns the printed report.
    static func score(entries: [Entry], texts: [String: String], extractMilliseconds: [String: Double], repeats: Int,
                      dump: String?) -> String {
        let parser = RulesParser()
        let scorer = FieldScorer()
        var overall = FieldScores()
        var byFormat: [String: FieldScores] = [:]
        var documents: [String: Int] = [:]
        var byLayout: [String: FieldScores] = [:]
        var byConfidence: [Bool: FieldScores] = [:]  // weak or not → scores
        var weakDocuments = 0
        var layoutDocuments: [String: Int] = [:]
        var failed = 0
        var timings: [Double] = []
        var ratios: [Double] = []
        var bySize: [Int: [Double]] = [:]  // characters / 3000 → parse times
        let clock = ContinuousClock()
        if let dump { try? FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true) }
        for entry in entries {
            // A document that failed extraction is scored as an empty parse: its fields are all misses.
            let text = texts[entry.path]
            if text == nil { failed += 1 }
            let result = parser.parse(text ?? "")
            if let text {
                // The median of the runs: other processes on the machine inflate some runs, not the cost.
                var runs: [Double] = []
                for _ in 0..<repeats {
                    let elapsed = clock.measure { _ = parser.parse(text) }
                    let (seconds, attoseconds) = elapsed.components
                    runs.append(Double(seconds) * 1e3 + Double(attoseconds) / 1e15)
                }
                runs.sort()
                let milliseconds = runs[runs.count / 2]
                timings.append(milliseconds)
                bySize[min(text.count / 3000, 3), default: []].append(milliseconds)
                if let extract = extractMilliseconds[entry.path], extract > 0 {
                    ratios.append(milliseconds / extract)
                }
            }
            let scores = scorer.score(predicted: result.resume, truth: entry.truth)
            overall.add(scores)
            byFormat[entry.format, default: FieldScores()].add(scores)
            documents[entry.format, default: 0] += 1
            byConfidence[result.confidence.weak, default: FieldScores()].add(scores)
            if result.confidence.weak { weakDocuments += 1 }
            if let layout = entry.layout {
                byLayout[layout, default: FieldScores()].add(scores)
                layoutDocuments[layout, default: 0] += 1
            }
            if let dump { write(dump: dump, entry: entry, text: text, result: result) }
        }
        var out = "rules parser vs ground truth: \(entries.count) documents, "
            + "\(failed) not extracted (scored as empty)\n\n"
        out += table(title: "overall", scores: overall)
        for format in ["pdf", "docx", "doc", "rtf", "odt", "html", "txt", "scan-pdf", "png"] + byFormat.keys.sorted()
        where byFormat[format] != nil {
            guard let scores = byFormat.removeValue(forKey: format) else { continue }
            out += "\n" + table(title: "\(format) (\(documents[format] ?? 0) documents)", scores: scores)
        }
        if !byLayout.isEmpty {
            out += "\n" + layoutTable(byLayout, documents: layoutDocuments)
        }
        // Whether the parser's own confidence tells its good reads from its bad ones.
        func f1(_ weak: Bool) -> String { byConfidence[weak]?.total.f1.map { String(format: "%.3f", $0) } ?? "-" }
        out += "\nconfidence: \(weakDocuments) of \(entries.count) documents marked weak; all-fields F1 of those "
            + "\(f1(true)), of the others \(f1(false))\n"
        timings.sort()
        if !timings.isEmpty {
            let mean = timings.reduce(0, +) / Double(timings.count)
            let p99 = timings[min(timings.count - 1, timings.count * 99 / 100)]
            out += String(format: "\nparse time per document (median of %d runs each, %d documents): "
                              + "mean %.3f ms, p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
                          repeats, timings.count, mean, timings[timings.count / 2], p99, timings[timings.count - 1])
        }
        for bucket in bySize.keys.sorted() {
            let times = bySize[bucket]!.sorted()
            let label = bucket == 3 ? "9000+ characters" : "\(bucket * 3000)-\(bucket * 3000 + 2999) characters"
            out += String(format: "  %@: %d documents, mean %.3f ms, p99 %.3f ms\n", label, times.count,
                          times.reduce(0, +) / Double(times.count), times[min(times.count - 1, times.count * 99 / 100)])
        }
        // The peer measured in the same run: extracting the same document (the stage before parsing).
        let extracts = entries.compactMap { extractMilliseconds[$0.path] }.sorted()
        ratios.sort()
        if !extracts.isEmpty, !ratios.isEmpty {
            out += String(format: "extraction time per document (same run, the peer): mean %.1f ms, p50 %.1f ms; "
                              + "parse/extract ratio p50 %.5f, p99 %.5f\n",
                          extracts.reduce(0, +) / Double(extracts.count), extracts[extracts.count / 2],
                          ratios[ratios.count / 2], ratios[min(ratios.count - 1, ratios.count * 99 / 100)])
        }
        return out
    }

    static func table(title: String, scores: FieldScores) -> String {
        func fmt(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "    -" }
        var out = "\(title)\n"
        out += "field                      TP     FP     FN  precision  recall     F1\n"
        for field in ResumeField.allCases + [nil] {
            let score = field.map { scores[$0] } ?? scores.total
            let name = field?.rawValue ?? "all fields (micro)"
            out += name.padding(toLength: 24, withPad: " ", startingAt: 0)
                + String(format: " %6d %6d %6d", score.truePositives, score.falsePositives, score.falseNegatives)
                + "      " + fmt(score.precision) + "   " + fmt(score.recall) + "  " + fmt(score.f1) + "\n"
        }
        return out
    }

    /// F1 per layout of the fields the hold-out is measured on (name and e-mail exact, employer,
    /// title, school, skills) and of all fields, one row per layout.
    static func layoutTable(_ byLayout: [String: FieldScores], documents: [String: Int]) -> String {
        let fields: [(String, ResumeField?)] = [
            ("name", .name), ("email", .email), ("company", .workName), ("title", .workPosition),
            ("school", .educationInstitution), ("skills", .skillKeywords), ("all", nil),
        ]
        func fmt(_ value: Double?) -> String { value.map { String(format: "%6.3f", $0) } ?? "     -" }
        var out = "F1 per layout (precision/recall in the tables above are over all layouts)\n"
        out += "layout".padding(toLength: 20, withPad: " ", startingAt: 0) + "  docs"
            + fields.map { " " + $0.0.padding(toLength: 7, withPad: " ", startingAt: 0) }.joined() + "\n"
        for layout in byLayout.keys.sorted() {
            let scores = byLayout[layout]!
            out += layout.padding(toLength: 20, withPad: " ", startingAt: 0)
                + String(format: "  %4d", documents[layout] ?? 0)
                + fields.map { " " + fmt(($0.1.map { scores[$0] } ?? scores.total).f1) + " " }.joined() + "\n"
        }
        func pr(_ score: FieldScore) -> String {
            guard let p = score.precision, let r = score.recall else { return "    -/-   " }
            return String(format: "%.2f/%.2f", p, r)
        }
        out += "\nprecision/recall per layout\n"
        out += "layout".padding(toLength: 20, withPad: " ", startingAt: 0)
            + fields.map { " " + $0.0.padding(toLength: 9, withPad: " ", startingAt: 0) }.joined() + "\n"
        for layout in byLayout.keys.sorted() {
            let scores = byLayout[layout]!
            out += layout.padding(toLength: 20, withPad: " ", startingAt: 0)
                + fields.map { " " + pr($0.1.map { scores[$0] } ?? scores.total) }.joined() + "\n"
        }
        return out
    }

    static func write(dump: String, entry: Entry, text: String?, result: RulesParser.Result) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let parsed = try? JSONSerialization.jsonObject(with: encoder.encode(result.resume)),
              let truth = try? JSONSerialization.jsonObject(with: encoder.encode(entry.truth)) else { return }
        let object: [String: Any] = [
            "file": entry.path, "format": entry.format, "text": text ?? NSNull(), "parsed": parsed, "truth": truth,
            "warnings": result.warnings,
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        else { return }
        let name = (entry.path as NSString).lastPathComponent
        FileManager.default.createFile(atPath: dump + "/" + name + ".json", contents: data)
    }
}

/// Keeps each extracted document's text by its path.
@LoopActor
final class TextCollector: ExtractionConsumer {
    private(set) var texts: [String: String] = [:]
    private(set) var milliseconds: [String: Double] = [:]

    func waitForRoom() async {}

    func accept(_ document: ExtractedDocument) async {
        guard document.status == .extracted else { return }
        texts[document.input.path] = document.text
        milliseconds[document.input.path] = document.milliseconds
    }
}
