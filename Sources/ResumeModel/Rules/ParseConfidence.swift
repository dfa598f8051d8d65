/// How far the rules parser trusts what it filled in: a score from 0 to 1 for each field it filled, a `core`
/// score over the fields an importer cannot do without (name, e-mail, jobs, degrees), and ``weak`` when those
/// are poor, or missing from a text long enough to hold them. Weak documents are the ones worth a second
/// reading by an LLM (`import --llm-when-unsure`); the others are as good as the rules get.
///
/// Scores are read off the finished resume and the lines it came from, never off how a rule file got there,
/// so the rules can change without this one following: a field loses points for what a person reading it
/// would doubt (a one-word name, a job without a title, a company that is a date).
///
/// ``fields`` is flat, keyed by path: `basics.name`, `basics.email`, `basics.phone`, `basics.location`,
/// `work` (the mean over the jobs) and `work[0]`, `work[1]`… (one score per job), likewise `education` and
/// `education[i]`, and `skills`. One score per entry rather than per entry field: what is doubted is mostly the
/// entry as a whole (title and company swapped or run together), the index lines up with `parsed->'work'->i`,
/// and a flat object stays one `->>` away in SQL (`parse_scores->>'work'`). ``reasons`` says why a score is
/// below 1.
public struct ParseConfidence: Sendable, Equatable {
    /// Scores by field path, each 0…1; only fields the parser filled, plus core fields it missed (at 0).
    public var fields: [String: Double]
    /// The weighted mean over the core fields (``coreWeights``): name, e-mail, work, education. Work and
    /// education count only when present or when the text is long enough to have them (``longTextBytes``).
    public var core: Double
    /// Core fields too doubtful to keep without a second reading: ``core`` below ``weakBelow``, a name below
    /// ``nameFloor``, or work (present, or missing from a long text) below ``workFloor``.
    public var weak: Bool
    /// Stable notes on lowered scores, e.g. `work[1]: no position`, `basics.name: one word`.
    public var reasons: [String]

    public init(fields: [String: Double] = [:], core: Double = 0, weak: Bool = false, reasons: [String] = []) {
        self.fields = fields
        self.core = core
        self.weak = weak
        self.reasons = reasons
    }

    /// Weights of the core fields in ``core``.
    public static let coreWeights: [(path: String, weight: Double)] = [
        ("basics.name", 0.30), ("basics.email", 0.20), ("work", 0.35), ("education", 0.15),
    ]
    /// A document whose ``core`` is below this is weak. A clean resume scores 1; one without e-mail 0.8; one
    /// without e-mail and without education in a long text 0.65 (weak).
    public static let weakBelow = 0.7
    /// A name scoring below this makes the document weak on its own (a one-word name scores 0.4).
    public static let nameFloor = 0.5
    /// Work scoring below this makes the document weak on its own (jobs without titles score 0.5).
    public static let workFloor = 0.6
    /// Text at least this long (UTF-8 bytes, about half a page) is expected to hold work and education.
    public static let longTextBytes = 1200

    /// The scores as a JSON object (keys sorted, scores to two decimals), for `documents.parse_scores`.
    public var fieldsJSON: String {
        let pairs = fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\(Self.decimal($0.value))" }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    /// `value` rounded to two decimals, as JSON writes it (`1`, `0.85`, `0.5`, `0`).
    static func decimal(_ value: Double) -> String {
        let hundredths = Int((min(1, max(0, value)) * 100).rounded())
        if hundredths == 100 { return "1" }
        if hundredths == 0 { return "0" }
        let digits = hundredths < 10 ? "0\(hundredths)" : "\(hundredths)"
        return "0." + (digits.hasSuffix("0") ? String(digits.dropLast()) : digits)
    }

    /// One `@`, a local part of 1 to 64 characters without `..`, a domain of two or more non-empty labels not
    /// starting or ending with `-`, a top-level domain of two or more letters, no white space.
    static func validEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64, !parts[0].contains(".."),
              !email.contains(where: \.isWhitespaceFast) else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }),
              let tld = labels.last, tld.count >= 2, tld.allSatisfy(\.isLetterFast) else { return false }
        return true
    }

    /// Scores `resume` as the rules parser read it from `lines`, cut into `sections`, with its `warnings`.
    package static func assess(_ resume: JSONResume, warnings: [String], lines: [TextLine], sections: [Section],
                               text: String) -> ParseConfidence {
        var scorer = Scorer(lines: lines, sections: sections, warnings: warnings)
        let basics = resume.basics
        scorer.name(basics?.name)
        scorer.email(basics?.email)
        if let phone = basics?.phone { scorer.phone(phone) }
        if let location = basics?.location { scorer.location(location) }
        scorer.work(resume.work ?? [])
        scorer.education(resume.education ?? [])
        if let skills = resume.skills, !skills.isEmpty { scorer.skills(skills) }
        // A text that names two or more date ranges holds entries, whatever its length: none read is a doubt.
        return scorer.finish(long: text.utf8.count >= longTextBytes || DateScanner.scan(text).filter(\.isRange).count >= 2)
    }
}

/// The scoring itself: each field's checks, with a reason for every point taken off.
private struct Scorer {
    let lines: [TextLine]
    let sections: [Section]
    let warnings: [String]
    var fields: [String: Double] = [:]
    var reasons: [String] = []

    init(lines: [TextLine], sections: [Section], warnings: [String]) {
        self.lines = lines
        self.sections = sections
        self.warnings = warnings
    }

    /// Records `score` for `path` after taking off each penalty that applies, with its reason.
    private mutating func set(_ path: String, _ penalties: [(Double, String)], base: Double = 1) {
        var score = base
        for (points, reason) in penalties where points > 0 {
            score -= points
            reasons.append("\(path): \(reason)")
        }
        fields[path] = max(0, min(1, score))
    }

    private var header: [TextLine] { sections.filter { $0.kind == .header }.flatMap(\.lines) }
    private var contactLines: [TextLine] {
        sections.filter { $0.kind == .header || $0.kind == .contact }.flatMap(\.lines)
    }

    // MARK: Basics

    /// 2–4 capitalised words in the header, beside contact details: 1. One word, more than four, lower-case
    /// words, digits, a name found only by the fallback (no header) or far from any contact detail: less.
    mutating func name(_ name: String?) {
        guard let name else {
            fields["basics.name"] = 0
            reasons.append("basics.name: not found")
            return
        }
        let words = name.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let particles: Set<String> = ["van", "von", "der", "den", "de", "da", "di", "du", "del", "la", "le", "bin",
                                      "ben", "al", "y", "e", "zu", "dos", "das", "ter"]
        let lowered = words.filter { word in
            guard let first = word.first, first.isLetterFast else { return false }
            return !first.isUppercaseFast && !particles.contains(String(word))
        }
        var penalties: [(Double, String)] = [
            (words.count == 1 ? 0.6 : 0, "one word"),
            (words.count > 4 ? 0.5 : 0, "more than four words"),
            (lowered.isEmpty ? 0 : 0.4, "words not capitalised"),
            (name.contains(where: { $0.isNumberFast || $0 == "@" || $0 == "/" || $0 == "|" }) ? 0.6 : 0,
             "digits or separators"),
        ]
        let headerLines = header
        let at = lines.firstIndex { $0.text.has(name) }
        if headerLines.isEmpty || !headerLines.contains(where: { $0.text.has(name) }) {
            penalties.append((0.3, "not in a header (found by the fallback)"))
        } else if warnings.contains("no section headings recognised") {
            penalties.append((0.2, "the whole text is one header"))
        }
        if let at {
            let near = lines[max(0, at - 4)..<min(lines.count, at + 5)]
            let contact = near.contains { line in
                line.text.has(ascii: 0x40) || line.text.filter(\.isNumberFast).count >= 7
                    || line.text.has("linkedin") || line.text.has("http")
            }
            if !contact { penalties.append((0.15, "no contact details near it")) }
        }
        set("basics.name", penalties)
    }

    /// Valid syntax (one `@`, a local part up to 64 characters without `..`, a domain of non-empty labels and a
    /// top-level domain of two or more letters), in the header or a contact section: 1.
    mutating func email(_ email: String?) {
        guard let email else {
            fields["basics.email"] = 0
            reasons.append("basics.email: not found")
            return
        }
        set("basics.email", [
            (ParseConfidence.validEmail(email) ? 0 : 0.7, "invalid syntax"),
            (contactLines.contains { $0.text.has(email) } ? 0 : 0.15, "found outside the header"),
        ])
    }

    /// 7 to 15 digits and no letters (an extension word aside): 1.
    mutating func phone(_ phone: String) {
        let digits = phone.filter(\.isNumberFast).count
        let letters = TextFold.words(phone).filter { $0.first?.isLetterFast == true && !["ext", "x", "tel"].contains($0) }
        set("basics.phone", [
            ((7...15).contains(digits) ? 0 : 0.6, "\(digits) digits"),
            (letters.isEmpty ? 0 : 0.5, "letters in it"),
        ])
    }

    /// A city of up to four words without digits, with a country or region: 1; a city alone 0.9.
    mutating func location(_ location: JSONResume.Location) {
        guard let city = location.city else {
            set("basics.location", [(location.countryCode == nil && location.region == nil ? 0.6 : 0.4, "no city")])
            return
        }
        set("basics.location", [
            (location.countryCode == nil && location.region == nil ? 0.1 : 0, "no country or region"),
            (city.wordCount > 4 || city.contains(where: \.isNumberFast) ? 0.5 : 0, "city is not a place name"),
        ])
    }

    // MARK: Entries

    /// Each job: position, company and start date present, position and company different, neither ending
    /// in a separator nor holding a date or a duration nor running past 90 characters: 1. `work` is the mean.
    mutating func work(_ work: [JSONResume.Work]) {
        guard !work.isEmpty else { return }
        for (i, job) in work.enumerated() {
            let path = "work[\(i)]"
            var penalties: [(Double, String)] = [
                (job.position == nil ? 0.5 : 0, "no position"),
                (job.name == nil ? 0.3 : 0, "no company"),
                (job.startDate == nil ? 0.3 : 0, "no start date"),
            ]
            if let position = job.position, let company = job.name,
               TextFold.comparable(position) == TextFold.comparable(company) {
                penalties.append((0.5, "position and company are the same text"))
            }
            for (label, value) in [("position", job.position), ("company", job.name)] {
                guard let value else { continue }
                penalties += Self.entryTextPenalties(value, label: label)
            }
            set(path, penalties)
        }
        fields["work"] = mean(prefix: "work", count: work.count)
    }

    /// Each degree: institution and degree (type or area): 1; an institution alone 0.6; a degree alone 0.5.
    mutating func education(_ education: [JSONResume.Education]) {
        guard !education.isEmpty else { return }
        for (i, entry) in education.enumerated() {
            let degree = entry.studyType ?? entry.area
            var penalties: [(Double, String)] = [
                (entry.institution == nil ? 0.5 : 0, "no institution"),
                (degree == nil ? 0.4 : 0, "no degree"),
            ]
            if let institution = entry.institution, let degree,
               TextFold.comparable(institution) == TextFold.comparable(degree) {
                penalties.append((0.4, "institution and degree are the same text"))
            }
            if let institution = entry.institution {
                penalties += Self.entryTextPenalties(institution, label: "institution")
            }
            set("education[\(i)]", penalties)
        }
        fields["education"] = mean(prefix: "education", count: education.count)
    }

    /// What doubts a title, company or school: a trailing separator, a date, a duration, too many characters.
    static func entryTextPenalties(_ value: String, label: String) -> [(Double, String)] {
        let separators: Set<Character> = [",", "-", "–", "—", "|", "/", ":", "&", "(", "·", "•", ";", "@"]
        let words = TextFold.words(value)
        let durationWords: Set<String> = ["yr", "yrs", "year", "years", "mo", "mos", "month", "months", "jahre",
                                          "jahr", "monate", "ans", "an", "mois", "anos", "meses"]
        let duration = words.indices.contains { i in
            i > 0 && durationWords.contains(words[i]) && words[i - 1].allSatisfy(\.isNumberFast)
        }
        return [
            (value.last.map(separators.contains) == true || value.first.map(separators.contains) == true ? 0.2 : 0,
             "\(label) starts or ends with a separator"),
            (DateScanner.scan(value).isEmpty ? 0 : 0.3, "\(label) holds a date"),
            (duration ? 0.3 : 0, "\(label) holds a duration"),
            (value.count > 90 ? 0.2 : 0, "\(label) runs long"),
        ]
    }

    /// Skills under a skills heading: 1 (0.7 when some keyword reads like a sentence); taken from the
    /// vocabulary without a heading: 0.5.
    mutating func skills(_ skills: [JSONResume.Skill]) {
        let keywords = skills.flatMap { ($0.keywords ?? []) + ($0.name.map { [$0] } ?? []) }
        set("skills", [
            (warnings.contains("no skills section; skills taken from the vocabulary") ? 0.5 : 0,
             "no skills section (from the vocabulary)"),
            (keywords.contains { $0.count > 60 } ? 0.3 : 0, "keywords read like sentences"),
        ])
    }

    private func mean(prefix: String, count: Int) -> Double {
        (0..<count).reduce(0) { $0 + (fields["\(prefix)[\($1)]"] ?? 0) } / Double(count)
    }

    // MARK: Core

    /// The core score and the weak flag; work and education missing from a long text count as 0.
    mutating func finish(long: Bool) -> ParseConfidence {
        var total = 0.0
        var weights = 0.0
        for (path, weight) in ParseConfidence.coreWeights {
            if fields[path] == nil {
                guard long else { continue }
                fields[path] = 0
                reasons.append("\(path): none found in a long text")
            }
            total += weight * (fields[path] ?? 0)
            weights += weight
        }
        let core = weights > 0 ? total / weights : 0
        let weak = core < ParseConfidence.weakBelow
            || (fields["basics.name"] ?? 0) < ParseConfidence.nameFloor
            || (fields["work"].map { $0 < ParseConfidence.workFloor } ?? false)
        return ParseConfidence(fields: fields, core: core, weak: weak, reasons: reasons)
    }
}
