import ArgumentParser
import Foundation
import Logging
import Loop
import ResumeModel

#if canImport(Glibc)
import Glibc
#endif

/// `resume-ingest bench-score MANIFEST.jsonl|FOLDER`: issue 15's figures for the built-in scorer. Every
/// document is extracted (the engine's own pool) and parsed with the rules parser first; then, for jobs
/// generated from the skills vocabulary and the candidates' titles:
/// - **throughput**: candidates scored per CPU-second of one thread, the scoring step alone, on the texts as
///   extracted and repeated four times, next to the same scorer finding phrases by scanning the text (how it
///   did before the word index: the peer in the same run, since the Python service scores nothing);
/// - **agreement** (manifests with records): each job's ranking by the scorer on the parsed resume and its text
///   against the ranking by ``GroundTruthScore`` on the true record, as Spearman's ρ;
/// - **evidence**: the share of the scorer's reasons whose quote passes `ResumeText.verify`.
struct ScoreCandidatesBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-score",
        abstract: "Time the built-in candidate scorer and rank its scores against bench-data ground truth.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: """
        A bench-data manifest.jsonl (documents with a record; agreement is measured), or a folder whose files \
        are all read as resumes (throughput and evidence only).
        """)
    var input: String

    @Option(help: "Jobs to generate.") var jobs = 20
    @Option(help: "The jobs' seed: the same seed and candidates give the same jobs.") var seed: UInt64 = 15
    @Option(help: "Timed runs of each throughput measurement; the median is reported.") var repeats = 3
    @Option(help: "Open-ended jobs run to this month (bench-data's records are written as of 2025-06).")
    var today = "2025-06"
    @Option(help: "Documents at once while extracting (overrides EXTRACT_CONCURRENCY).") var concurrency: Int?
    @Flag(help: "Print the report as JSON.") var json = false

    /// One extracted, parsed document.
    struct Candidate {
        var path: String
        var text: String
        var parsed: JSONResume
        /// The record the document was made from; nil for a folder's files.
        var truth: JSONResume?
    }

    func run() async throws {
        try global.bootstrapLogging()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isFolder) else {
            throw ValidationError("cannot read \(input)")
        }
        // ScoreRules.extract reads only the entries' paths: a folder's files go in with an empty record.
        let entries = isFolder.boolValue
            ? try Self.files(in: input).map { ScoreRules.Entry(path: $0, format: "file", truth: JSONResume()) }
            : try ScoreRules.readManifest(input, format: nil)
        guard !entries.isEmpty else { throw ValidationError("no documents in \(input)") }
        var configuration = try ProcessEnvironment.extractConfiguration()
        if let concurrency { configuration.concurrency = concurrency }
        let extracted = try await ScoreRules.extract(entries: entries, configuration: configuration,
                                                     logger: Logger(label: "resume-ingest"))
        let leaks = EventLoop.shared.stop()

        let parser = RulesParser()
        let candidates = entries.compactMap { entry -> Candidate? in
            guard let text = extracted.texts[entry.path], !text.isEmpty else { return nil }
            return Candidate(path: entry.path, text: text, parsed: parser.parse(text).resume,
                             truth: isFolder.boolValue ? nil : entry.truth)
        }
        guard !candidates.isEmpty else { throw ValidationError("no document of \(input) was extracted") }
        var generator = JobGenerator(seed: seed)
        let profiles = generator.jobs(jobs, for: candidates)

        var report = Report(input: input, documents: entries.count, candidates: candidates.count,
                            jobs: profiles, seed: seed, today: today, repeats: max(1, repeats))
        report.throughput = Self.throughput(jobs: profiles, candidates: candidates, today: today,
                                            repeats: max(1, repeats))
        (report.agreement, report.evidence) = Self.agreement(jobs: profiles, candidates: candidates, today: today)
        print(json ? report.json() : report.table())
        if !leaks.isEmpty {
            FileHandle.standardError.write(Data("handles left open at exit: \(leaks)\n".utf8))
            throw ExitCode(70)
        }
    }

    /// Every regular file under `folder`, in path order.
    static func files(in folder: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else {
            throw ValidationError("cannot list \(folder)")
        }
        var paths: [String] = []
        while let relative = walker.nextObject() as? String {
            if (walker.fileAttributes?[.type] as? FileAttributeType) == .typeRegular {
                paths.append(folder + "/" + relative)
            }
        }
        return paths.sorted()
    }

    // MARK: Throughput

    /// One row of the throughput table: candidates of one length band, texts as extracted or repeated.
    struct Throughput {
        var repeated: Int
        var band: String
        var candidates: Int
        var meanCharacters: Double
        /// Candidates scored per CPU-second of the scoring thread, with the word index and scanning.
        var indexed: Double
        var scan: Double
        var indexedWall: Double
    }

    /// Length bands, in scalars: a page of resume is about 3,000 characters.
    static let bands: [(String, Range<Int>)] = [
        ("0-2,999", 0..<3_000), ("3,000-5,999", 3_000..<6_000), ("6,000-8,999", 6_000..<9_000),
        ("9,000-15,999", 9_000..<16_000), ("16,000+", 16_000..<Int.max),
    ]

    /// Times the scoring step alone: every job against every candidate of a length band (the order a job's
    /// scoring batch runs in), `repeats` times, with the word index and with scanning; the parse was done
    /// before. The "all" row adds the bands' median times up.
    static func throughput(jobs: [JobProfile], candidates: [Candidate], today: String, repeats: Int) -> [Throughput] {
        var rows: [Throughput] = []
        for repeated in [1, 4] {
            let texts = candidates.map {
                repeated == 1 ? $0.text : Array(repeating: $0.text, count: repeated).joined(separator: "\n\n")
            }
            let lengths = texts.map { $0.unicodeScalars.count }
            var bandRows: [(row: Throughput, indexed: Double, scan: Double, wall: Double)] = []
            for (band, range) in bands {
                let members = texts.indices.filter { range.contains(lengths[$0]) }
                guard !members.isEmpty else { continue }
                let batch = members.map { (texts[$0], candidates[$0].parsed) }
                var indexed: [(cpu: Double, wall: Double)] = []
                var scan: [(cpu: Double, wall: Double)] = []
                for _ in 0..<repeats {
                    indexed.append(time(jobs: jobs, batch: batch) { job, text, resume in
                        CandidateScorer.score(job: job, resume: resume, text: text, today: today)
                    })
                    scan.append(time(jobs: jobs, batch: batch) { job, text, resume in
                        CandidateScorer.score(job: job, resume: resume, evidence: ResumeText(text, indexed: false),
                                              today: today)
                    })
                }
                let (cpu, wall, scanned) = (median(indexed.map(\.cpu)), median(indexed.map(\.wall)),
                                            median(scan.map(\.cpu)))
                let scored = Double(jobs.count * members.count)
                let row = Throughput(
                    repeated: repeated, band: band, candidates: members.count,
                    meanCharacters: Double(members.reduce(0) { $0 + lengths[$1] }) / Double(members.count),
                    indexed: scored / cpu, scan: scored / scanned, indexedWall: scored / wall)
                bandRows.append((row, cpu, scanned, wall))
            }
            let scored = Double(jobs.count * candidates.count)
            rows.append(Throughput(
                repeated: repeated, band: "all", candidates: candidates.count,
                meanCharacters: Double(lengths.reduce(0, +)) / Double(lengths.count),
                indexed: scored / bandRows.reduce(0) { $0 + $1.indexed },
                scan: scored / bandRows.reduce(0) { $0 + $1.scan },
                indexedWall: scored / bandRows.reduce(0) { $0 + $1.wall }))
            rows += bandRows.map(\.row)
        }
        return rows
    }

    /// CPU seconds of this thread, and wall seconds, to score every job against the batch.
    static func time(jobs: [JobProfile], batch: [(String, JSONResume)],
                     _ score: (JobProfile, String, JSONResume) -> CandidateScore) -> (cpu: Double, wall: Double) {
        var checksum = 0
        let clock = ContinuousClock()
        let cpuStart = threadCPUSeconds()
        let wall = clock.measure {
            for job in jobs {
                for (text, resume) in batch { checksum &+= score(job, text, resume).score }
            }
        }
        let cpu = threadCPUSeconds() - cpuStart
        // The sum is used, so the scoring cannot be optimised away.
        if checksum == .min { print(checksum) }
        let (seconds, attoseconds) = wall.components
        return (cpu, Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// CPU time of the calling thread: what "per core" means on a machine shared with other work.
    static func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2]
            : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    // MARK: Agreement and evidence

    /// One job's agreement: ρ of the scorer on the parsed resume against the ground-truth score, and of the
    /// scorer on the true record (same text) against it, which leaves the parser's errors out.
    struct Agreement {
        var rhoParsed: Double?
        var rhoRecord: Double?
        /// Mean of |scorer on the parsed resume − ground truth|, in points of 100.
        var meanDifference: Double
        var meanScore: Double
        var meanTruth: Double
    }

    struct Evidence {
        var reasons = 0
        var verified = 0
    }

    /// Scores every candidate for every job once, untimed: the rankings, and every reason's evidence checked.
    static func agreement(jobs: [JobProfile], candidates: [Candidate], today: String) -> ([Agreement], Evidence) {
        var evidence = Evidence()
        var rows: [Agreement] = []
        let texts = candidates.map { ResumeText($0.text) }
        for job in jobs {
            var parsed: [Double] = []
            var record: [Double] = []
            var truth: [Double] = []
            for (candidate, text) in zip(candidates, texts) {
                let result = CandidateScorer.score(job: job, resume: candidate.parsed, evidence: text, today: today)
                parsed.append(Double(result.score))
                for reason in result.reasons {
                    evidence.reasons += 1
                    if text.verify(quote: reason.quote, start: reason.start, end: reason.end) { evidence.verified += 1 }
                }
                if let record = candidate.truth {
                    truth.append(GroundTruthScore.score(job: job, truth: record, today: today))
                }
                record.append(Double(CandidateScorer.score(job: job, resume: candidate.truth ?? JSONResume(),
                                                           evidence: text, today: today).score))
            }
            guard truth.count == candidates.count else { continue }
            let difference = zip(parsed, truth).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(parsed.count)
            rows.append(Agreement(rhoParsed: RankAgreement.spearman(parsed, truth),
                                  rhoRecord: RankAgreement.spearman(record, truth), meanDifference: difference,
                                  meanScore: parsed.reduce(0, +) / Double(parsed.count),
                                  meanTruth: truth.reduce(0, +) / Double(truth.count)))
        }
        return (rows, evidence)
    }
}

/// Jobs drawn repeatably from a seed: a title some candidate held, required and nice-to-have skills mostly
/// from the vocabulary skills listed by candidates who held that title (so every job has candidates who fit
/// and candidates who do not), the rest from the whole vocabulary, and a random experience and degree.
struct JobGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A number in `0..<bound` (SplitMix64).
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(bound))
    }

    /// `count` jobs for these candidates: titles and skills from their records, or from their parsed resumes
    /// when they have none (a folder's files).
    mutating func jobs(_ count: Int, for candidates: [ScoreCandidatesBench.Candidate]) -> [JobProfile] {
        var skillsByTitle: [String: Set<String>] = [:]
        for candidate in candidates {
            let resume = candidate.truth ?? candidate.parsed
            let skills = Set((resume.skills ?? []).flatMap { $0.keywords ?? [] }.compactMap {
                SkillVocabulary.canonical[TextFold.key($0)]
            })
            for title in (resume.work ?? []).compactMap(\.position) where !title.isEmpty {
                skillsByTitle[title, default: []].formUnion(skills)
            }
        }
        let titles = skillsByTitle.keys.sorted()
        let vocabulary = SkillVocabulary.all
        var jobs: [JobProfile] = []
        for _ in 0..<count {
            let title = titles.isEmpty ? "Specialist" : titles[next(titles.count)]
            let held = (skillsByTitle[title] ?? []).sorted()
            var chosen: [String] = []
            func draw(_ n: Int) -> [String] {
                var out: [String] = []
                var attempts = 0
                while out.count < n && attempts < 100 {
                    attempts += 1
                    let fromTitle = !held.isEmpty && next(4) > 0
                    let skill = fromTitle ? held[next(held.count)] : vocabulary[next(vocabulary.count)]
                    if !chosen.contains(skill) {
                        chosen.append(skill)
                        out.append(skill)
                    }
                }
                return out
            }
            let required = draw(2 + next(4))
            let nice = draw(1 + next(3))
            let years: [Double?] = [nil, 1, 2, 3, 5, 8]
            let degrees: [EducationLevel?] = [nil, nil, .bachelor, .bachelor, .master]
            jobs.append(JobProfile(title: title, requiredSkills: required, niceToHaveSkills: nice,
                                   minimumYears: years[next(years.count)], education: degrees[next(degrees.count)]))
        }
        return jobs
    }
}

extension ScoreCandidatesBench {
    /// What a run measured, printed as a table or as JSON.
    struct Report {
        var input: String
        var documents: Int
        var candidates: Int
        var jobs: [JobProfile]
        var seed: UInt64
        var today: String
        var repeats: Int
        var throughput: [Throughput] = []
        var agreement: [Agreement] = []
        var evidence = Evidence()

        /// Mean, median and least of the jobs' ρ that exist.
        static func summary(_ values: [Double?]) -> (mean: Double, median: Double, min: Double, jobs: Int)? {
            let present = values.compactMap { $0 }
            guard !present.isEmpty else { return nil }
            return (present.reduce(0, +) / Double(present.count), ScoreCandidatesBench.median(present),
                    present.min()!, present.count)
        }

        static func describe(_ job: JobProfile) -> String {
            let years = job.minimumYears.map { String(format: "%gy", $0) } ?? "-"
            let degree = job.education.map { "\($0)" } ?? "-"
            return "\(job.title) | req \(job.requiredSkills.joined(separator: ", ")) | nice "
                + "\(job.niceToHaveSkills.joined(separator: ", ")) | \(years) | \(degree)"
        }

        func table() -> String {
            func number(_ value: Double) -> String {
                let formatter = NumberFormatter()
                formatter.numberStyle = .decimal
                formatter.maximumFractionDigits = 0
                return formatter.string(from: NSNumber(value: value)) ?? String(value)
            }
            func rho(_ value: Double?) -> String { value.map { String(format: "%6.3f", $0) } ?? "     -" }
            var out = "built-in scorer on \(input): \(candidates) candidates (\(documents - candidates) of "
                + "\(documents) documents not extracted), \(jobs.count) jobs (seed \(seed)), today \(today)\n\n"
            out += "throughput: candidates scored per CPU-second of one thread, scoring alone (parsed before); "
                + "median of \(repeats) runs of every job × every candidate\n"
            out += "text  length (chars)  candidates  mean chars   indexed/s  no index/s   ratio  indexed/s wall\n"
            for row in throughput {
                out += "×\(row.repeated)    " + row.band.padding(toLength: 14, withPad: " ", startingAt: 0)
                    + String(format: "  %10d  %10.0f", row.candidates, row.meanCharacters)
                    + number(row.indexed).leftPadded(12) + number(row.scan).leftPadded(12)
                    + String(format: "  %5.2f×", row.indexed / row.scan) + number(row.indexedWall).leftPadded(16)
                    + "\n"
            }
            out += "goal (issue 15): 5,000 candidates/s per core. no index = the same scorer finding each phrase by "
                + "scanning the text (ResumeText(indexed: false)); wall = the same runs by the clock\n"
            if !agreement.isEmpty {
                out += "\nagreement: Spearman's ρ per job (average ranks for ties) against the ground-truth score "
                    + "(GroundTruthScore, from the true record)\n"
                out += "  parsed = the scorer on the rules-parsed resume and its text; record = the scorer on the true "
                    + "record and the same text\n"
                out += "job  ρ parsed  ρ record  mean|Δ|  mean score  mean truth  title | required | nice | years | degree\n"
                for (index, (job, row)) in zip(jobs, agreement).enumerated() {
                    out += String(format: "%3d  ", index + 1) + rho(row.rhoParsed) + "    " + rho(row.rhoRecord)
                        + String(format: "  %7.1f  %10.1f  %10.1f  ", row.meanDifference, row.meanScore,
                                 row.meanTruth)
                        + Self.describe(job) + "\n"
                }
                for (name, values) in [("parsed", agreement.map(\.rhoParsed)), ("record", agreement.map(\.rhoRecord))] {
                    if let s = Self.summary(values) {
                        out += String(format: "ρ %@: mean %.3f, median %.3f, min %.3f over %d jobs\n", name, s.mean,
                                      s.median, s.min, s.jobs)
                    }
                }
            }
            let share = evidence.reasons > 0 ? 100 * Double(evidence.verified) / Double(evidence.reasons) : 0
            out += String(format: "\nevidence: %d reasons, %d verify against the text (%.3f%%)\n", evidence.reasons,
                          evidence.verified, share)
            return out
        }

        func json() -> String {
            var object: [String: Any] = [
                "input": input, "documents": documents, "candidates": candidates, "seed": seed, "today": today,
                "repeats": repeats,
                "jobs": jobs.map { job -> [String: Any] in
                    [
                        "title": job.title, "required": job.requiredSkills, "nice": job.niceToHaveSkills,
                        "minimumYears": job.minimumYears ?? NSNull(),
                        "education": job.education.map { "\($0)" } ?? NSNull(),
                    ]
                },
                "throughput": throughput.map { row -> [String: Any] in
                    [
                        "repeated": row.repeated, "band": row.band, "candidates": row.candidates,
                        "meanCharacters": row.meanCharacters, "indexedPerCPUSecond": row.indexed,
                        "scanPerCPUSecond": row.scan, "indexedPerWallSecond": row.indexedWall,
                    ]
                },
                "evidence": ["reasons": evidence.reasons, "verified": evidence.verified],
            ]
            if !agreement.isEmpty {
                object["agreement"] = agreement.map { row -> [String: Any] in
                    [
                        "rhoParsed": row.rhoParsed ?? NSNull(), "rhoRecord": row.rhoRecord ?? NSNull(),
                        "meanDifference": row.meanDifference, "meanScore": row.meanScore, "meanTruth": row.meanTruth,
                    ]
                }
                for (name, values) in [("rhoParsed", agreement.map(\.rhoParsed)), ("rhoRecord", agreement.map(\.rhoRecord))] {
                    if let s = Self.summary(values) {
                        object[name] = ["mean": s.mean, "median": s.median, "min": s.min, "jobs": s.jobs]
                    }
                }
            }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]))
                ?? Data("{}".utf8)
            return String(decoding: data, as: UTF8.self)
        }
    }
}

extension String {
    /// The string right-aligned in `width` columns.
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? " " + self : String(repeating: " ", count: width - count) + self
    }
}
