import Loop
import HTTP1
import ResumeModel
import Foundation

/// `llm-sim`'s "model": a crude but honest extraction of one resume, so answers vary with the input and a
/// test can check that what came back belongs to what was sent.
///
/// - `basics.name`: the first non-empty line, up to a separator (" | ", " - ", ","); the rest is the label.
/// - `email`, `phone`, `url` and LinkedIn/GitHub `profiles` by pattern anywhere in the text.
/// - Known headings ("Experience", "Education", "Skills", "Languages", "Certifications", "Projects",
///   "Summary" and their usual variants) open sections. In experience, a line with a date range opens a
///   job ("Position, Employer  2019 – Present", or "Position at Employer"); bullets under it are highlights.
///   In education, lines naming a degree or a school make entries. Skills and languages are split on
///   commas, semicolons, bullets and pipes.
/// - `injection_suspected` when the text tries to instruct the model ("ignore previous instructions",
///   "disregard all prior …").
enum SimulatorExtractor {
    static func extract(_ text: String) -> (resume: JSONResume, injectionSuspected: Bool) {
        // A model's answer is bounded by max_tokens anyway: read the head of long documents only, so one huge
        // prompt cannot hold the loop for long.
        let head = text.count > maxCharacters ? String(text.prefix(maxCharacters)) : text
        let lines = head.components(separatedBy: .newlines).map { $0.trimmingCharacters(in: .whitespaces) }
        var basics = JSONResume.Basics()
        if let first = lines.first(where: { !$0.isEmpty }) {
            let (name, label) = splitNameLine(first)
            basics.name = name
            basics.label = label
        }
        basics.email = firstMatch(emailPattern, in: head)
        basics.phone = firstMatch(phonePattern, in: head).flatMap { phone in
            phone.filter(\.isNumber).count >= 9 ? phone : nil
        }
        var profiles: [JSONResume.Profile] = []
        for url in allMatches(urlPattern, in: head).prefix(10) {
            let lower = url.lowercased()
            if lower.contains("linkedin.com") {
                profiles.append(.init(network: "LinkedIn", username: lastPathComponent(url), url: url))
            } else if lower.contains("github.com") {
                profiles.append(.init(network: "GitHub", username: lastPathComponent(url), url: url))
            } else if basics.url == nil, !url.contains("@") {
                basics.url = url
            }
        }
        if !profiles.isEmpty { basics.profiles = profiles }

        var resume = JSONResume(basics: basics)
        var section: Section?
        var summary: [String] = []
        var work: [JSONResume.Work] = []
        var education: [JSONResume.Education] = []
        var skills: [JSONResume.Skill] = []
        var languages: [JSONResume.Language] = []
        var certificates: [JSONResume.Certificate] = []
        var projects: [JSONResume.Project] = []
        var previous = ""
        for line in lines {
            if line.isEmpty { continue }
            if let heading = Section(heading: line) {
                section = heading
                previous = ""
                continue
            }
            defer { previous = line }
            switch section {
            case nil:
                continue
            case .summary?:
                if summary.count < 5 { summary.append(line) }
            case .work?:
                if let range = dateRange(in: line), work.count < 30 {
                    var rest = range.rest
                    if rest.isEmpty { rest = previous }
                    let (position, employer) = splitRole(rest)
                    work.append(.init(name: employer, position: position, startDate: range.start, endDate: range.end))
                } else if isBullet(line), !work.isEmpty {
                    let item = String(line.drop(while: { bulletCharacters.contains($0) || $0 == " " }))
                    if (work[work.count - 1].highlights?.count ?? 0) < 8 {
                        work[work.count - 1].highlights = (work[work.count - 1].highlights ?? []) + [item]
                    }
                }
            case .education?:
                let school = schoolPattern.firstMatch(in: line)
                let degree = degreePattern.firstMatch(in: line)
                let range = dateRange(in: line)
                guard school != nil || degree != nil, education.count < 10 else {
                    if let range, !education.isEmpty, education[education.count - 1].endDate == nil {
                        education[education.count - 1].startDate = range.start
                        education[education.count - 1].endDate = range.end
                    }
                    continue
                }
                var entry: JSONResume.Education
                if let last = education.last, school == nil || last.institution == nil,
                   degree == nil || last.studyType == nil {
                    entry = education.removeLast()
                } else {
                    entry = .init()
                }
                if let school { entry.institution = segment(of: line, containing: school) }
                if let degree {
                    entry.studyType = degree
                    entry.area = area(after: degree, in: line)
                }
                if let range {
                    entry.startDate = range.start
                    entry.endDate = range.end
                } else if let year = firstMatch(yearPattern, in: line) {
                    entry.endDate = year
                }
                education.append(entry)
            case .skills?:
                for item in splitList(line) where skills.count < 40 { skills.append(.init(name: item)) }
            case .languages?:
                for item in splitList(line) where languages.count < 10 {
                    let parts = item.components(separatedBy: CharacterSet(charactersIn: "(-–:")).map {
                        $0.trimmingCharacters(in: CharacterSet(charactersIn: " )"))
                    }
                    let fluency = parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil
                    languages.append(.init(language: parts[0], fluency: fluency))
                }
            case .certificates?:
                if certificates.count < 20 {
                    let cleaned = String(line.drop(while: { bulletCharacters.contains($0) || $0 == " " }))
                    certificates.append(.init(name: cleaned, date: firstMatch(yearPattern, in: line)))
                }
            case .projects?:
                if !isBullet(line), projects.count < 20 { projects.append(.init(name: line)) }
            }
        }
        if !summary.isEmpty { resume.basics?.summary = summary.joined(separator: " ") }
        if !work.isEmpty { resume.work = work }
        if !education.isEmpty { resume.education = education }
        if !skills.isEmpty { resume.skills = skills }
        if !languages.isEmpty { resume.languages = languages }
        if !certificates.isEmpty { resume.certificates = certificates }
        if !projects.isEmpty { resume.projects = projects }
        return (resume, isInjection(text))
    }

    /// How much of a document is read.
    static let maxCharacters = 24_000

    // MARK: Sections

    enum Section {
        case summary, work, education, skills, languages, certificates, projects

        init?(heading line: String) {
            guard line.count <= 40 else { return nil }
            let key = line.lowercased().filter { $0.isLetter || $0 == " " }.trimmingCharacters(in: .whitespaces)
            switch key {
            case "summary", "profile", "about", "about me", "professional summary", "objective", "career objective":
                self = .summary
            case "experience", "work experience", "professional experience", "employment", "employment history",
                 "work history", "career history", "relevant experience":
                self = .work
            case "education", "academic background", "education and training", "qualifications":
                self = .education
            case "skills", "technical skills", "core skills", "key skills", "competencies", "core competencies":
                self = .skills
            case "languages", "language skills":
                self = .languages
            case "certifications", "certificates", "licenses and certifications", "licenses  certifications":
                self = .certificates
            case "projects", "personal projects", "selected projects":
                self = .projects
            default:
                return nil
            }
        }
    }

    // MARK: Patterns

    private static let emailPattern = Pattern(#"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"#)
    private static let phonePattern = Pattern(#"\+?\(?\d[\d ().-]{7,}\d"#)
    private static let urlPattern = Pattern(
        #"(?:https?://|www\.)[^\s<>()"',;]+|(?:linkedin\.com|github\.com)/[^\s<>()"',;]+"#)
    private static let yearPattern = Pattern(#"\b(?:19|20)\d{2}\b"#)
    private static let schoolPattern = Pattern(
        #"\b(?:University|College|School|Institute|Academy|Polytechnic|Universit[éäa]t?|Hochschule|École)\b"#)
    private static let degreePattern = Pattern(
        #"\b(?:Bachelor(?:'s)?|Master(?:'s)?|Ph\.?D\.?|Doctorate|B\.?Sc\.?|M\.?Sc\.?|B\.?A\.|M\.?A\.|MBA|B\.S\.|"#
            + #"M\.S\.|BEng|MEng|Associate|Diploma)(?=[\s,.]|$)"#)
    private static let month = #"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"#
    private static let datePattern = Pattern(
        #"((?:"# + month + #"\s+)?(?:\d{1,2}/)?(?:19|20)\d{2})\s*(?:-|–|—|to|until)\s*((?:"# + month
            + #"\s+)?(?:\d{1,2}/)?(?:19|20)\d{2}|[Pp]resent|[Cc]urrent|[Nn]ow|[Tt]oday)"#)
    private static let injectionPattern = Pattern(
        #"(?i)\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+)?"#
            + #"(?:previous|prior|above|earlier|preceding|your)\s+(?:instructions|prompts?|rules|directions|context)"#
            + #"|\bdisregard\s+all\s+prior\b|\byou\s+are\s+now\s+(?:a|an|in)\b|\bnew\s+instructions\s*:"#
            + #"|\bsystem\s+prompt\b"#)

    /// A compiled `NSRegularExpression`, shared read-only.
    struct Pattern: @unchecked Sendable {
        // @unchecked: NSRegularExpression is immutable after creation and documented as thread-safe.
        let regex: NSRegularExpression
        init(_ pattern: String) { regex = try! NSRegularExpression(pattern: pattern) }

        func firstMatch(in text: String) -> String? {
            let range = NSRange(text.startIndex..., in: text)
            guard let m = regex.firstMatch(in: text, range: range), let r = Range(m.range, in: text) else { return nil }
            return String(text[r])
        }

        func matches(in text: String) -> [NSTextCheckingResult] {
            regex.matches(in: text, range: NSRange(text.startIndex..., in: text))
        }
    }

    private static func firstMatch(_ pattern: Pattern, in text: String) -> String? { pattern.firstMatch(in: text) }

    private static func allMatches(_ pattern: Pattern, in text: String) -> [String] {
        var seen = Set<String>()
        return pattern.matches(in: text).compactMap { m in
            guard let r = Range(m.range, in: text) else { return nil }
            let url = String(text[r]).trimmingCharacters(in: CharacterSet(charactersIn: ".)"))
            return seen.insert(url).inserted ? url : nil
        }
    }

    static func isInjection(_ text: String) -> Bool {
        injectionPattern.firstMatch(in: text) != nil
    }

    // MARK: Pieces

    private static let bulletCharacters: Set<Character> = ["•", "-", "*", "·", "▪", "◦", "–", "●"]

    private static func isBullet(_ line: String) -> Bool { line.first.map { bulletCharacters.contains($0) } ?? false }

    private static func splitNameLine(_ line: String) -> (String?, String?) {
        for separator in [" | ", " - ", " – ", ", "] {
            if let r = line.range(of: separator) {
                let name = String(line[..<r.lowerBound]).trimmingCharacters(in: .whitespaces)
                let label = String(line[r.upperBound...]).trimmingCharacters(in: .whitespaces)
                return (plausibleName(name), label.isEmpty || label.contains("@") ? nil : label)
            }
        }
        return (plausibleName(line), nil)
    }

    private static func plausibleName(_ text: String) -> String? {
        let words = text.split(separator: " ")
        guard !words.isEmpty, words.count <= 6, text.count <= 60, !text.contains("@"),
              !text.contains(where: \.isNumber), text.contains(where: \.isLetter) else { return nil }
        return text
    }

    /// "Position, Employer", "Position at Employer", "Position | Employer", "Employer — Position".
    private static func splitRole(_ text: String) -> (position: String?, employer: String?) {
        let cleaned = text.trimmingCharacters(in: CharacterSet(charactersIn: " ,|-–—()\t"))
        guard !cleaned.isEmpty else { return (nil, nil) }
        for separator in [" at ", " @ ", ", ", " | ", " — ", " – ", " - "] {
            if let r = cleaned.range(of: separator) {
                let a = cleaned[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
                let b = cleaned[r.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: " ,|-–—"))
                return (a.isEmpty ? nil : a, b.isEmpty ? nil : b)
            }
        }
        return (cleaned, nil)
    }

    /// The first date range of `line` as ISO prefixes (end nil for "Present"), and the line without it.
    private static func dateRange(in line: String) -> (start: String?, end: String?, rest: String)? {
        guard let m = datePattern.matches(in: line).first, let whole = Range(m.range, in: line),
              let a = Range(m.range(at: 1), in: line), let b = Range(m.range(at: 2), in: line) else { return nil }
        let rest = (line[..<whole.lowerBound] + " " + line[whole.upperBound...])
            .trimmingCharacters(in: CharacterSet(charactersIn: " ,|-–—()\t"))
        return (isoDate(String(line[a])), isoDate(String(line[b])), rest)
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// "Jan 2019" → "2019-01", "03/2019" → "2019-03", "2019" → "2019", "Present" → nil.
    static func isoDate(_ text: String) -> String? {
        guard let year = yearPattern.firstMatch(in: text) else { return nil }
        let lower = text.lowercased()
        if let index = months.firstIndex(where: { lower.hasPrefix($0) }) {
            return year + "-" + (index < 9 ? "0" : "") + String(index + 1)
        }
        if let slash = text.firstIndex(of: "/"), let m = Int(text[..<slash]), (1...12).contains(m) {
            return year + "-" + (m < 10 ? "0" : "") + String(m)
        }
        return year
    }

    /// The comma-separated segment of `line` holding `needle`.
    private static func segment(of line: String, containing needle: String) -> String {
        let parts = line.components(separatedBy: CharacterSet(charactersIn: ",|–—"))
        let part = parts.first { $0.contains(needle) } ?? line
        return part.trimmingCharacters(in: .whitespaces)
    }

    /// "BSc in Computer Science, …" → "Computer Science".
    private static func area(after degree: String, in line: String) -> String? {
        guard let r = line.range(of: degree) else { return nil }
        var rest = line[r.upperBound...].trimmingCharacters(in: .whitespaces)
        for lead in ["in ", "of ", "- ", ", "] where rest.hasPrefix(lead) {
            rest = String(rest.dropFirst(lead.count))
        }
        let area = rest.components(separatedBy: CharacterSet(charactersIn: ",|–—(")).first?
            .trimmingCharacters(in: .whitespaces) ?? ""
        guard !area.isEmpty, area.count <= 60, !area.contains(where: \.isNumber),
              schoolPattern.firstMatch(in: area) == nil else { return nil }
        return area
    }

    private static func splitList(_ line: String) -> [String] {
        line.components(separatedBy: CharacterSet(charactersIn: ",;•|·"))
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " -*:\t")) }
            .filter { !$0.isEmpty && $0.count <= 60 }
    }

    private static func lastPathComponent(_ url: String) -> String? {
        url.split(separator: "/").last.map(String.init)
    }
}
