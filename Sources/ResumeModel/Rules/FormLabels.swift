/// Resumes written as a form: the classic Europass CV, whose left column labels each value ("Dates",
/// "Occupation or position held", "Name and address of employer", "Title of qualification awarded", "Mother
/// tongue(s)"…). Read as a table, the labels become text and the values lose their roles; read column by
/// column, every label comes before every value. This pass rewrites such lines into the shapes the section
/// readers know — "Position | Employer | dates" over bullets, "Degree, Subjects" over the school and dates,
/// "Language – Mother tongue" — before tables are laid out. A label may share its line with its value (a table
/// row, "Dates  2019 – 2021") or stand alone with the value on the next line (the same text flattened).
package enum FormLabels {
    enum Role {
        case name, keep, headline, summary, dates, position, activities, employer, degree, subjects, school, drop
        case motherTongue, otherLanguage
    }

    /// Lower-case labels, longest first so that "name and address of employer" wins over "name".
    static let labels: [(String, Role)] = [
        ("name and type of organisation providing education and training", .school),
        ("name and type of organization providing education and training", .school),
        ("principal subjects / occupational skills covered", .subjects),
        ("level in national or international classification", .drop),
        ("desired employment / occupational field", .headline),
        ("main activities and responsibilities", .activities),
        ("title of qualification awarded", .degree),
        ("name and address of employer", .employer),
        ("occupation or position held", .position),
        ("type of business or sector", .drop),
        ("first name(s) / surname(s)", .name),
        ("surname(s) / first name(s)", .name),
        ("personal information", .name),
        ("other language(s)", .otherLanguage),
        ("mother tongue(s)", .motherTongue),
        ("date of birth", .drop),
        ("nationality", .drop),
        ("telephone(s)", .keep),
        ("website(s)", .keep),
        ("job applied for", .headline),
        ("gender", .drop),
        ("address", .keep),
        ("e-mail", .keep),
        ("summary", .summary),
        ("dates", .dates),
    ]

    static let labelInitials: Set<Character> = Set(labels.compactMap { $0.0.first })

    /// The labels that only a form uses: four or more of them make the text a form.
    static let formOnly: Set<String> = [
        "occupation or position held", "name and address of employer", "main activities and responsibilities",
        "title of qualification awarded", "principal subjects / occupational skills covered",
        "name and type of organisation providing education and training", "mother tongue(s)",
        "first name(s) / surname(s)", "desired employment / occupational field", "type of business or sector",
        "name and type of organization providing education and training", "other language(s)",
    ]

    /// The label `line` starts with, its role, the value after it (empty when the value is on the next line)
    /// and the label's words a narrow column wrapped onto the next line ("Name and address of" … / "employer":
    /// PDFs), which the next line then starts with.
    static func label(_ line: String) -> (String, Role, String, String)? {
        guard let first = line.first, first.isLetterFast, line.utf8.count >= 5,
              let initial = first.lowercased().first, labelInitials.contains(initial) else { return nil }
        // The longest label is 63 characters: only the line's start is compared.
        let lower = line.prefix(72).lowercased()
        for (label, role) in labels where label.first == initial {
            // The whole label, or its first words (three or more) when the rest wrapped.
            var candidates = [(label, "")]
            let words = label.split(separator: " ")
            if words.count >= 4 {
                for cut in stride(from: words.count - 1, through: 3, by: -1) {
                    candidates.append((words[..<cut].joined(separator: " "), words[cut...].joined(separator: " ")))
                }
            }
            for (head, wrapped) in candidates where lower.hasPrefix(head) {
                let rest = lower.dropFirst(head.count)
                guard rest.isEmpty || rest.first == "\t" || rest.first == ":" || rest.first == " " else { continue }
                let value = String(line.dropFirst(head.count)).trimmed([":", "\t"])
                return (label, role, value, wrapped)
            }
        }
        return nil
    }

    /// `raw` (lines with their blank-before flags) rewritten when it is a form; otherwise `raw` itself.
    static func rewrite(_ raw: [(String, Bool)]) -> [(String, Bool)] {
        var seen: Set<String> = []
        for (line, _) in raw where line.utf8.count >= 5 {
            if let (label, _, _, _) = label(line), formOnly.contains(label) { seen.insert(label) }
            if seen.count >= 4 { break }
        }
        guard seen.count >= 4 else { return raw }

        var out: [(String, Bool)] = []
        var dates = "", position = "", employer = "", degree = "", subjects = "", school = ""
        var highlights: [String] = []
        var names: Set<String> = []
        var languagesOpened = false
        var afterLanguages = false
        var awaiting: Role?
        var current: Role?

        func emit(_ text: String, blank: Bool = false) {
            if !text.isEmpty { out.append((text, blank)) }
        }
        func flush() {
            if !position.isEmpty || !employer.isEmpty {
                // "Pinecrest Medical Center, Düsseldorf": the employer's address after its name.
                var name = employer
                var place = ""
                if let comma = employer.firstIndex(of: ","),
                   !Vocabulary.companyWords.contains(employer[employer.index(after: comma)...].trimmed(["."]).lowercased()) {
                    name = String(employer[..<comma]).trimmed
                    place = String(employer[employer.index(after: comma)...]).trimmed
                }
                emit([position, name, dates].filter { !$0.isEmpty }.joined(separator: " | "), blank: true)
                if !place.isEmpty { emit(place) }
                for highlight in highlights { emit("• " + highlight) }
            } else if !degree.isEmpty || !school.isEmpty {
                emit(subjects.isEmpty ? degree : degree.isEmpty ? subjects : degree + ", " + subjects, blank: true)
                emit(school)
                emit(dates)
            } else {
                emit(dates)
            }
            dates = ""; position = ""; employer = ""; degree = ""; subjects = ""; school = ""
            highlights = []
        }
        func assign(_ role: Role, _ value: String) {
            switch role {
            case .name:
                if !names.contains(value) {
                    names.insert(value)
                    if names.count == 1 { emit(value) }
                }
            case .keep, .headline: emit(value)
            case .summary:
                flush()
                emit("Summary", blank: true)
                emit(value)
            case .dates: dates = value
            case .position: position = value
            case .employer: employer = value
            case .degree: degree = value
            case .subjects: subjects = value
            case .school: school = value
            case .activities: highlights.append(TextLines.bulletBody(value) ?? value)
            case .motherTongue, .otherLanguage:
                if !languagesOpened {
                    flush()  // a new section: the entry before it is complete
                    emit("Languages", blank: true)
                    languagesOpened = true
                }
                for language in value.split(separator: ",").map({ $0.trimmed }) where !language.isEmpty {
                    emit(role == .motherTongue ? language + " – Mother tongue" : language)
                }
                afterLanguages = true
            case .drop: break
            }
        }

        var wrappedLabel = ""
        for (rawLine, blank) in raw {
            var line = rawLine
            if !wrappedLabel.isEmpty {
                // The label's wrapped tail opens this line: "employer", "responsibilities completion by 18%".
                if line.lowercased().hasPrefix(wrappedLabel) {
                    line = String(line.dropFirst(wrappedLabel.count)).trimmed
                }
                wrappedLabel = ""
                if line.isEmpty { continue }
            }
            if let (_, role, value, wrapped) = label(line) {
                wrappedLabel = wrapped
                if role == .dates { flush() }
                current = role
                if value.isEmpty {
                    awaiting = role
                } else {
                    awaiting = nil
                    assign(role, value)
                }
                continue
            }
            if let role = awaiting {
                awaiting = role == .activities ? .activities : nil
                assign(role, line)
                continue
            }
            if current == .activities, Sections.headingKind(line) == nil {
                highlights.append(TextLines.bulletBody(line) ?? line)
                continue
            }
            // A heading or other text: the entry before it is complete.
            flush()
            current = nil
            if CEFR.isGridLine(line) { continue }
            if let tab = line.firstIndex(of: "\t") {
                let head = String(line[..<tab]).trimmed
                let rest = String(line[line.index(after: tab)...]).trimmed
                if Sections.headingKind(head) != nil {
                    // "Certificates ⇥ PMP – PMI, 2018": a section of its own, under its label.
                    emit(head, blank: true)
                    emit(rest)
                    afterLanguages = false
                    continue
                }
                if afterLanguages {
                    // "Tools ⇥ MS Project, Asana": skill categories after the languages' rows.
                    emit("Skills", blank: true)
                    afterLanguages = false
                }
            }
            emit(line, blank: blank)
        }
        flush()
        return out
    }

    /// The self-assessment grid under "Other language(s)": "Understanding Speaking Writing", "B2 B2 C1 C1 B2".
    enum CEFR {
        static let words: Set<String> = [
            "understanding", "speaking", "writing", "listening", "reading", "spoken", "interaction", "production",
            "a1", "a2", "b1", "b2", "c1", "c2", "self-assessment", "european", "level", "(*)", "*",
        ]

        static func isGridLine(_ line: String) -> Bool {
            let tokens = line.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" })
            return !tokens.isEmpty && tokens.allSatisfy { words.contains(String($0)) }
        }
    }
}
