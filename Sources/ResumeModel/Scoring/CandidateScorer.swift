/// What a job asks for, as the built-in scorer reads it.
public struct JobProfile: Sendable, Equatable {
    public var title: String
    public var requiredSkills: [String]
    public var niceToHaveSkills: [String]
    /// Years of experience asked for; nil when the job names none.
    public var minimumYears: Double?
    /// The lowest education level the job asks for; nil when it names none.
    public var education: EducationLevel?

    public init(title: String, requiredSkills: [String] = [], niceToHaveSkills: [String] = [],
                minimumYears: Double? = nil, education: EducationLevel? = nil) {
        self.title = title
        self.requiredSkills = requiredSkills
        self.niceToHaveSkills = niceToHaveSkills
        self.minimumYears = minimumYears
        self.education = education
    }
}

/// Degrees in order.
public enum EducationLevel: Int, Sendable, Comparable, CaseIterable {
    case associate = 1, bachelor, master, doctorate

    public static func < (a: EducationLevel, b: EducationLevel) -> Bool { a.rawValue < b.rawValue }

    /// The level a degree's name says ("BSc", "Master of Science", "Ph.D."), if any.
    public static func of(_ degree: String) -> EducationLevel? {
        let key = TextFold.key(degree).filter { $0.isLetter || $0 == " " }
        let words = Set(key.split(separator: " ").map(String.init))
        if key.contains("doctor") || words.contains("phd") || words.contains("dphil") { return .doctorate }
        if key.contains("master") || !words.isDisjoint(with: ["msc", "ma", "mba", "meng", "ms", "mtech", "mphil", "llm"]) {
            return .master
        }
        if key.contains("bachelor") || key.contains("licenciatura") || key.contains("grado")
            || !words.isDisjoint(with: ["bsc", "ba", "bs", "beng", "btech", "be", "bcom", "llb", "bfa"]) {
            return .bachelor
        }
        if key.contains("associate") || key.contains("diploma") { return .associate }
        return nil
    }
}

/// A candidate's score for one job: 0–100 from documented weights, the sub-scores it sums, and reasons whose
/// evidence is quoted from the resume's stored text with its offsets.
public struct CandidateScore: Sendable, Equatable {
    public var score: Int
    /// Each criterion's score, 0–1: `required_skills`, `nice_skills`, `experience`, `title`, `education`.
    public var subScores: [String: Double]
    public var reasons: [Reason]
    /// Required skills not found in the resume (a lack has no quote, so it is not a reason).
    public var missingSkills: [String]
    /// Years of experience read from the work entries' dates.
    public var years: Double

    /// One reason and its evidence: `quote` is the stored text from scalar offset `start` to `end`.
    public struct Reason: Sendable, Equatable {
        public var criterion: String
        public var text: String
        public var quote: String
        public var start: Int
        public var end: Int
    }
}

/// The built-in scorer (no LLM): skills overlap (with the skills vocabulary's synonyms), years of experience
/// from the parsed dates, title similarity and education level, weighted:
///
/// | criterion | weight | sub-score |
/// |---|---:|---|
/// | required skills | 0.45 | share of the job's required skills found |
/// | nice-to-have skills | 0.10 | share of the nice-to-have skills found |
/// | experience | 0.25 | years ÷ the years asked for, at most 1 (any dated job is 1 when none are asked) |
/// | title | 0.15 | share of the job title's words in the closest position or headline |
/// | education | 0.05 | 1 at or above the level asked for, else the share of it (bachelor's when none is asked) |
///
/// A criterion the job leaves empty (no skills listed) drops out and the others' weights are scaled up. Every
/// reason's quote is found in the text, so every one verifies.
public enum CandidateScorer {
    public static let weights: [(String, Double)] = [
        ("required_skills", 0.45), ("nice_skills", 0.10), ("experience", 0.25), ("title", 0.15), ("education", 0.05),
    ]

    /// Scores `resume` (read from `text`) for `job`; open-ended jobs run to `today` ("2026-12").
    public static func score(job: JobProfile, resume: JSONResume, text: String, today: String) -> CandidateScore {
        score(job: job, resume: resume, evidence: ResumeText(text), today: today)
    }

    /// Scores `resume` read from a text already made into a ``ResumeText``: a candidate scored for several
    /// jobs has its text folded and indexed once.
    public static func score(job: JobProfile, resume: JSONResume, evidence: ResumeText, today: String)
        -> CandidateScore
    {
        var reasons: [CandidateScore.Reason] = []
        var sub: [String: Double] = [:]

        func cite(_ criterion: String, _ reason: String, _ phrases: [String]) -> Bool {
            for phrase in phrases where !phrase.isEmpty {
                if let range = evidence.find(phrase) {
                    reasons.append(.init(criterion: criterion, text: reason, quote: evidence.quote(range),
                                         start: range.lowerBound, end: range.upperBound))
                    return true
                }
            }
            return false
        }

        // Skills: the skill, or any of its synonyms, standing in the text.
        var missing: [String] = []
        for (criterion, skills) in [("required_skills", job.requiredSkills), ("nice_skills", job.niceToHaveSkills)] where !skills.isEmpty {
            var found = 0
            for skill in skills {
                let label = criterion == "required_skills" ? "has the required skill \(skill)" : "has \(skill)"
                if cite(criterion, label, SkillSynonyms.spellings(of: skill)) {
                    found += 1
                } else if criterion == "required_skills" {
                    missing.append(skill)
                }
            }
            sub[criterion] = Double(found) / Double(skills.count)
        }

        // Experience: the union of the dated work entries' spans.
        let spans = (resume.work ?? []).compactMap { work -> (ClosedRange<Int>, JSONResume.Work)? in
            guard let start = month(work.startDate) else { return nil }
            let end = month(work.endDate) ?? month(today) ?? start
            return end >= start ? (start...end, work) : nil
        }
        let years = Double(unionMonths(spans.map(\.0))) / 12
        if !spans.isEmpty {
            let asked = job.minimumYears ?? 0
            sub["experience"] = asked > 0 ? min(1, years / asked) : 1
            let longest = spans.max { $0.0.count < $1.0.count }!.1
            let summary = "\((years * 10).rounded() / 10) years of dated work experience"
            _ = cite("experience", summary, [longest.name ?? "", longest.position ?? ""])
        } else {
            sub["experience"] = 0
        }

        // Title: how many of the job title's words the closest position (or the headline) has.
        let titleWords = Array(words(job.title))
        if !titleWords.isEmpty {
            let candidates = (resume.work ?? []).compactMap(\.position) + [resume.basics?.label].compactMap { $0 }
            var best: (Double, String)?
            for position in candidates {
                let share = Double(count(of: titleWords, in: position)) / Double(titleWords.count)
                if share > (best?.0 ?? 0) { best = (share, position) }
            }
            sub["title"] = best?.0 ?? 0
            if let best { _ = cite("title", "worked as \(best.1)", [best.1]) }
        }

        // Education: the highest level the entries name.
        let degrees = (resume.education ?? []).compactMap { e -> (EducationLevel, JSONResume.Education)? in
            guard let level = EducationLevel.of(e.studyType ?? "") ?? EducationLevel.of(e.area ?? "") else { return nil }
            return (level, e)
        }
        if let top = degrees.max(by: { $0.0 < $1.0 }) {
            let asked = job.education ?? .bachelor
            sub["education"] = top.0 >= asked ? 1 : Double(top.0.rawValue) / Double(asked.rawValue)
            _ = cite("education", "holds a \(top.0) degree", [top.1.studyType ?? "", top.1.institution ?? ""])
        } else {
            sub["education"] = 0
        }

        let present = weights.filter { sub[$0.0] != nil }
        let total = present.reduce(0) { $0 + $1.1 }
        let value = total > 0 ? present.reduce(0) { $0 + $1.1 * sub[$1.0]! } / total : 0
        return CandidateScore(score: Int((value * 100).rounded()), subScores: sub, reasons: reasons,
                              missingSkills: missing, years: (years * 10).rounded() / 10)
    }

    /// "2019-03" or "2019" → months since year 0; nil for anything else ("present" included).
    static func month(_ date: String?) -> Int? {
        guard let date, date.count >= 4, let year = Int(date.prefix(4)), (1900...2100).contains(year) else { return nil }
        let parts = date.split(separator: "-")
        let m = parts.count > 1 ? Int(parts[1]) ?? 1 : 1
        return year * 12 + ((1...12).contains(m) ? m - 1 : 0)
    }

    /// Months covered by the union of inclusive month ranges (overlapping jobs count once).
    static func unionMonths(_ ranges: [ClosedRange<Int>]) -> Int {
        var total = 0
        var current: ClosedRange<Int>?
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let c = current, r.lowerBound <= c.upperBound + 1 {
                current = c.lowerBound...max(c.upperBound, r.upperBound)
            } else {
                if let c = current { total += c.count }
                current = r
            }
        }
        if let c = current { total += c.count }
        return total
    }

    /// Words a title match ignores: seniority and small words say little about the job.
    package static let titleStopWords: Set<String> = ["and", "of", "the", "a", "an", "for", "in", "at", "to", "with",
                                                      "senior", "junior", "lead", "sr", "jr", "i", "ii", "iii"]

    /// How many of `words` (distinct, folded, no stop words) are among `text`'s words: the size of
    /// `Set(words).intersection(words(text))`, without building the set (titles have a few words, and this runs
    /// for every position of every candidate).
    static func count(of words: [String], in text: String) -> Int {
        var seen = [Bool](repeating: false, count: words.count)
        for word in TextFold.key(text).split(whereSeparator: { !$0.isLetterFast && !$0.isNumberFast }) {
            if let i = words.firstIndex(where: { $0 == word }) { seen[i] = true }
        }
        return seen.reduce(0) { $0 + ($1 ? 1 : 0) }
    }

    static func words(_ text: String) -> Set<String> {
        Set(TextFold.key(text).split { !$0.isLetterFast && !$0.isNumberFast }.map(String.init))
            .subtracting(titleStopWords)
    }
}

/// Other spellings of common skills, so a job's "Kubernetes" finds a resume's "k8s". Written for the scorer;
/// the groups are few and unambiguous on purpose ("TS" is not TypeScript often enough to count).
public enum SkillSynonyms {
    static let groups: [[String]] = [
        ["JavaScript", "JS", "ECMAScript"], ["Kubernetes", "k8s"], ["PostgreSQL", "Postgres"], ["Go", "Golang"],
        ["Machine Learning", "ML"], ["Amazon Web Services", "AWS"], ["Google Cloud Platform", "GCP", "Google Cloud"],
        ["Microsoft Azure", "Azure"], ["CI/CD", "Continuous Integration"], ["C#", "CSharp"],
        ["Node.js", "NodeJS", "Node"], ["React", "React.js", "ReactJS"], ["Vue", "Vue.js", "VueJS"],
        ["Microsoft Excel", "Excel", "MS Excel"], ["Natural Language Processing", "NLP"],
        ["User Experience", "UX"], ["Search Engine Optimization", "SEO"], ["Customer Relationship Management", "CRM"],
        ["Objective-C", "ObjC"], ["TensorFlow", "TF"], ["Scikit-learn", "sklearn"], ["Microsoft SQL Server", "MSSQL", "SQL Server"],
    ]

    /// Each spelling's folded key → the other spellings of its group (those with another key), worked out once
    /// rather than for every skill of every candidate.
    static let othersByKey: [String: [String]] = {
        var map: [String: [String]] = [:]
        for group in groups {
            for spelling in group {
                let key = TextFold.key(spelling)
                map[key] = group.filter { TextFold.key($0) != key }
            }
        }
        return map
    }()

    /// The skill as given first, then its other spellings.
    public static func spellings(of skill: String) -> [String] {
        [skill] + (othersByKey[TextFold.key(skill)] ?? [])
    }
}
