/// A field of a JSON Resume that parsers are scored on.
public enum ResumeField: String, CaseIterable, Sendable, Codable {
    case name = "basics.name"
    case email = "basics.email"
    case phone = "basics.phone"
    case label = "basics.label"
    case city = "basics.location.city"
    case profileURL = "basics.profiles.url"
    case workName = "work.name"
    case workPosition = "work.position"
    case workStartDate = "work.startDate"
    case workEndDate = "work.endDate"
    case educationInstitution = "education.institution"
    case educationStudyType = "education.studyType"
    case educationArea = "education.area"
    case educationEndDate = "education.endDate"
    case skillKeywords = "skills.keywords"
    case language = "languages.language"
    case certificateName = "certificates.name"
}

/// True-positive, false-positive and false-negative counts of one field, and the measures from them.
public struct FieldScore: Sendable, Equatable, Codable {
    public var truePositives = 0
    public var falsePositives = 0
    public var falseNegatives = 0

    public init(truePositives: Int = 0, falsePositives: Int = 0, falseNegatives: Int = 0) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.falseNegatives = falseNegatives
    }

    /// TP / (TP + FP); nil when nothing was predicted.
    public var precision: Double? {
        truePositives + falsePositives == 0 ? nil : Double(truePositives) / Double(truePositives + falsePositives)
    }

    /// TP / (TP + FN); nil when the truth holds nothing.
    public var recall: Double? {
        truePositives + falseNegatives == 0 ? nil : Double(truePositives) / Double(truePositives + falseNegatives)
    }

    /// The harmonic mean of precision and recall; nil when either is undefined, 0 when both are 0.
    public var f1: Double? {
        guard let p = precision, let r = recall else { return nil }
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }

    public static func + (a: FieldScore, b: FieldScore) -> FieldScore {
        FieldScore(truePositives: a.truePositives + b.truePositives,
                   falsePositives: a.falsePositives + b.falsePositives,
                   falseNegatives: a.falseNegatives + b.falseNegatives)
    }
}

/// Scores of every field; add documents' scores together to aggregate a corpus (counts are summed, the
/// measures computed from the sums).
public struct FieldScores: Sendable, Equatable {
    public private(set) var fields: [ResumeField: FieldScore] = [:]

    public init() {}

    public subscript(field: ResumeField) -> FieldScore {
        get { fields[field] ?? FieldScore() }
        set { fields[field] = newValue }
    }

    /// All fields summed (micro average).
    public var total: FieldScore {
        ResumeField.allCases.reduce(FieldScore()) { $0 + self[$1] }
    }

    public mutating func add(_ other: FieldScores) {
        for field in ResumeField.allCases { self[field] = self[field] + other[field] }
    }

    public static func + (a: FieldScores, b: FieldScores) -> FieldScores {
        var sum = a
        sum.add(b)
        return sum
    }
}

/// Compares a predicted resume with the ground truth, field by field. Pure.
///
/// - Strings are compared case-, diacritic-, punctuation- and whitespace-insensitively, on their letters and
///   digits alone (`"Université Paris-Saclay"` = `"universite paris saclay"`, `"M.Sc."` = `"MSc"`); phones
///   by their digits; links without scheme, `www.` and trailing slash; dates as written (ISO prefixes).
/// - A missing truth value and a missing prediction count nothing; a prediction where the truth has none is
///   a false positive; a wrong prediction is a false positive and a false negative.
/// - Lists of values (profile links, skill keywords flattened, languages, certificate names) match item to
///   item one-to-one: an extra prediction is a false positive, a missing one a false negative.
/// - Jobs and degrees are first paired one-to-one, greedily by how many of their fields agree (ties to the
///   nearer position in the list); each pair's fields are then compared as single values, and the fields of
///   unpaired entries count as false negatives (truth) or false positives (prediction). A job without an
///   `endDate` but with a `startDate` has the end value "present", so getting "current" right counts.
public struct FieldScorer: Sendable {
    public init() {}

    public func score(predicted: JSONResume, truth: JSONResume) -> FieldScores {
        var scores = FieldScores()
        let p = predicted.basics, t = truth.basics
        scores[.name] = Self.single(p?.name, t?.name, Self.text)
        scores[.email] = Self.single(p?.email, t?.email, Self.email)
        scores[.phone] = Self.single(p?.phone, t?.phone, Self.digits)
        scores[.label] = Self.single(p?.label, t?.label, Self.text)
        scores[.city] = Self.single(p?.location?.city, t?.location?.city, Self.text)
        scores[.profileURL] = Self.list((p?.profiles ?? []).compactMap(\.url), (t?.profiles ?? []).compactMap(\.url),
                                        Contacts.normalizedURL)

        let workFields: [(ResumeField, (JSONResume.Work) -> String?, (String) -> String)] = [
            (.workName, { $0.name }, Self.text),
            (.workPosition, { $0.position }, Self.text),
            (.workStartDate, { $0.startDate }, Self.date),
            (.workEndDate, { $0.endDate ?? ($0.startDate == nil ? nil : "present") }, Self.date),
        ]
        Self.entries(predicted.work ?? [], truth.work ?? [], workFields, into: &scores)
        let educationFields: [(ResumeField, (JSONResume.Education) -> String?, (String) -> String)] = [
            (.educationInstitution, { $0.institution }, Self.text),
            (.educationStudyType, { $0.studyType }, Self.text),
            (.educationArea, { $0.area }, Self.text),
            (.educationEndDate, { $0.endDate }, Self.date),
        ]
        Self.entries(predicted.education ?? [], truth.education ?? [], educationFields, into: &scores)

        scores[.skillKeywords] = Self.list((predicted.skills ?? []).flatMap { $0.keywords ?? [] },
                                           (truth.skills ?? []).flatMap { $0.keywords ?? [] }, Self.text)
        scores[.language] = Self.list((predicted.languages ?? []).compactMap(\.language),
                                      (truth.languages ?? []).compactMap(\.language), Self.text)
        scores[.certificateName] = Self.list((predicted.certificates ?? []).compactMap(\.name),
                                             (truth.certificates ?? []).compactMap(\.name), Self.text)
        return scores
    }

    // MARK: Normalisation

    /// Letters and digits only, folded: "M.Sc." = "MSc", "Paris-Saclay" = "Paris Saclay".
    package static func text(_ value: String) -> String { TextFold.comparable(value).filter { $0 != " " } }
    package static func email(_ value: String) -> String { value.trimmed.lowercased() }
    package static func digits(_ value: String) -> String { value.filter(\.isASCIIDigit) }
    package static func date(_ value: String) -> String { value.trimmed.lowercased() }

    // MARK: Matching

    package static func single(_ predicted: String?, _ truth: String?, _ normalize: (String) -> String) -> FieldScore {
        let p = predicted.map(normalize).flatMap { $0.isEmpty ? nil : $0 }
        let t = truth.map(normalize).flatMap { $0.isEmpty ? nil : $0 }
        switch (p, t) {
        case (nil, nil): return FieldScore()
        case (nil, .some): return FieldScore(falseNegatives: 1)
        case (.some, nil): return FieldScore(falsePositives: 1)
        case let (.some(a), .some(b)):
            return a == b ? FieldScore(truePositives: 1) : FieldScore(falsePositives: 1, falseNegatives: 1)
        }
    }

    /// One-to-one matching of two multisets of values.
    package static func list(_ predicted: [String], _ truth: [String], _ normalize: (String) -> String) -> FieldScore {
        var remaining: [String: Int] = [:]
        var truthCount = 0
        for value in truth {
            let key = normalize(value)
            guard !key.isEmpty else { continue }
            remaining[key, default: 0] += 1
            truthCount += 1
        }
        var score = FieldScore()
        for value in predicted {
            let key = normalize(value)
            guard !key.isEmpty else { continue }
            if let left = remaining[key], left > 0 {
                remaining[key] = left - 1
                score.truePositives += 1
            } else {
                score.falsePositives += 1
            }
        }
        score.falseNegatives = truthCount - score.truePositives
        return score
    }

    /// Pairs entries greedily by agreeing fields, then scores each field of each pair.
    package static func entries<Entry>(_ predicted: [Entry], _ truth: [Entry],
                               _ fields: [(ResumeField, (Entry) -> String?, (String) -> String)],
                               into scores: inout FieldScores) {
        func values(_ entry: Entry) -> [String?] {
            fields.map { field in field.1(entry).map(field.2).flatMap { $0.isEmpty ? nil : $0 } }
        }
        let p = predicted.map(values), t = truth.map(values)
        var pairs: [(agree: Int, distance: Int, p: Int, t: Int)] = []
        for i in p.indices {
            for j in t.indices {
                let agree = zip(p[i], t[j]).filter { $0 != nil && $0 == $1 }.count
                if agree > 0 { pairs.append((agree, abs(i - j), i, j)) }
            }
        }
        pairs.sort { ($0.agree, -$0.distance, -$0.p, -$0.t) > ($1.agree, -$1.distance, -$1.p, -$1.t) }
        var pairedP: [Int: Int] = [:], pairedT: Set<Int> = []
        for pair in pairs where pairedP[pair.p] == nil && !pairedT.contains(pair.t) {
            pairedP[pair.p] = pair.t
            pairedT.insert(pair.t)
        }
        for (k, field) in fields.enumerated() {
            var score = FieldScore()
            for i in p.indices {
                if let j = pairedP[i] {
                    score = score + single(p[i][k], t[j][k], { $0 })
                } else if p[i][k] != nil {
                    score.falsePositives += 1
                }
            }
            for j in t.indices where !pairedT.contains(j) && t[j][k] != nil {
                score.falseNegatives += 1
            }
            scores[field.0] = scores[field.0] + score
        }
    }
}
