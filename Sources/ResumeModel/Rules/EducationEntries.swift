/// Reads the degrees of an education section.
///
/// Lines are sorted into degree lines (starting with a degree: "Bachelor of Science, Physics",
/// "MSc in Mathematics", "Diplom-Informatiker", "Licence en droit"), school lines ("University of Bristol",
/// "Technische Universität München", or any other title-like line next to a degree) and dates. An entry
/// collects one of each; a second degree or a second school starts the next entry, so the parser does not
/// care whether the school, the degree or the dates come first.
package enum EducationEntries {
    package static func parse(_ input: [TextLine]) -> [JSONResume.Education] {
        let lines = EntryText.unwrap(input)
        var entries: [JSONResume.Education] = []
        var current = JSONResume.Education()
        var hasDates = false

        func flush() {
            if current.institution != nil || current.studyType != nil || current.area != nil {
                entries.append(current)
            }
            current = JSONResume.Education()
            hasDates = false
        }

        for line in lines {
            let spans = DateScanner.scan(line.text)
            let residual = withoutStudyMode(EntryText.clean(DateScanner.removing(spans, from: line.text)))
            var degreeText: String?
            var schoolText: String?
            var otherText: String?
            for part in pieces(residual) {
                if degreeText == nil, Vocabulary.degreePrefix(part) != nil {
                    degreeText = part
                } else if schoolText == nil, Vocabulary.looksLikeInstitution(part) {
                    schoolText = part
                } else if otherText == nil {
                    otherText = part
                } else {
                    otherText! += ", " + part
                }
            }
            // A degree line keeps its own commas ("Master of Science, Physics"): re-read it whole.
            if degreeText != nil, schoolText == nil {
                degreeText = residual
                otherText = nil
            }
            let startsNew = (degreeText != nil && (current.studyType != nil || current.area != nil))
                || (schoolText != nil && current.institution != nil)
                || (degreeText == nil && schoolText == nil && otherText != nil && current.institution != nil
                    && current.studyType != nil && EntryText.isTitleLike(otherText!) && !line.isBullet)
                || (!spans.isEmpty && hasDates && degreeText == nil && schoolText == nil && otherText == nil)
            if startsNew { flush() }
            if let degreeText { read(degree: degreeText, into: &current) }
            if let schoolText { setSchool(schoolText, in: &current) }
            if let otherText, schoolText == nil, current.institution == nil, !line.isBullet,
               EntryText.isTitleLike(otherText), Vocabulary.degreePrefix(otherText) == nil {
                setSchool(otherText, in: &current)
            }
            if let span = spans.first(where: \.isRange) ?? spans.first, !hasDates {
                if span.isRange {
                    current.startDate = span.start?.iso
                    current.endDate = span.end?.iso
                } else {
                    current.endDate = span.start?.iso
                }
                hasDates = true
            }
        }
        flush()
        return entries
    }

    /// The school of `entry`, with an area run into its start ("Computer Science Georgia Institute of
    /// Technology") taken off: the area's if the entry has none.
    static func setSchool(_ text: String, in entry: inout JSONResume.Education) {
        if let (area, school) = areaThenSchool(text) {
            entry.institution = school
            if entry.area == nil { entry.area = area }
        } else {
            entry.institution = text
        }
    }

    /// `text` without how the degree was studied ("Full Time", "(Part-time)"), with the separators that set it off.
    static func withoutStudyMode(_ text: String) -> String {
        guard text.utf8.count >= 7 else { return text }
        var bytes = Array(text.utf8)
        // Lower-case ASCII letters only: offsets stay those of `text`.
        func lowered(_ b: [UInt8]) -> String { String(decoding: b.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self) }
        var changed = false
        for mode in studyModes {
            while let offset = lowered(bytes).firstByteOffset(of: mode) {
                let end = offset + mode.utf8.count
                // Only a whole phrase: "regular" inside "irregular" stays.
                let before = offset > 0 ? bytes[offset - 1] : 0x20
                let after = end < bytes.count ? bytes[end] : 0x20
                func isLetter(_ b: UInt8) -> Bool { (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b >= 0x80 }
                guard !isLetter(before), !isLetter(after) else { break }
                bytes.replaceSubrange(offset..<end, with: [0x20])
                changed = true
            }
        }
        guard changed else { return text }
        var result = String(decoding: bytes, as: UTF8.self)
        for empty in ["()", "( )", "[]"] { result = result.replacingAll(empty, with: " ") }
        let words = result.split(separator: " ").joined(separator: " ")
        return words.replacingAll("| |", with: "|").trimmed([",", ";", "|", "·", "-", "–"])
    }

    /// How a degree was studied, written after it: not part of any field.
    static let studyModes: Set<String> = ["full time", "part time", "full-time", "part-time", "distance learning",
                                          "correspondence", "vollzeit", "teilzeit"]

    /// A line's parts: split at " · ", " | ", tabs, " — ", " – ", and at commas when a part names a school.
    /// `parse` has already taken out how the degree was studied.
    package static func pieces(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
        for separator in ["\t", " · ", " | ", " • ", " — ", " – ", " - "] where text.has(separator) {
            let parts = text.components(separatedByString: separator).map { EntryText.clean($0) }.filter { !$0.isEmpty }
            // "University of Leeds - Leeds": the school and its city (job boards write it so).
            if parts.count == 2, separator == " - " || separator == " – ", Vocabulary.looksLikeInstitution(parts[0]),
               Places.location(parts[1], lenient: false) != nil
                || (parts[1].wordCount <= (separator == " - " ? 2 : 1) && WorkEntries.isPlace(parts[1])) {
                return parts
            }
            // "Université Toulouse III – Paul Sabatier" is one school.
            if parts.count >= 2, !(Vocabulary.looksLikeInstitution(parts[0]) && !parts[1...].contains {
                Vocabulary.degreePrefix($0) != nil || Vocabulary.looksLikeInstitution($0)
            }) {
                return parts
            }
        }
        if let (school, degree) = schoolThenDegree(text) { return [degree, school] }
        let commaParts = text.split(separator: ",").map { EntryText.clean(String($0)) }.filter { !$0.isEmpty }
        if commaParts.count >= 2, let school = commaParts.firstIndex(where: Vocabulary.looksLikeInstitution),
           Vocabulary.degreePrefix(commaParts[0]) != nil || school == 0 {
            // "BSc Physics, University of Bristol, UK" or "University of Bristol, BSc Physics".
            if school == 0 {
                return [commaParts[0], commaParts[1...].joined(separator: ", ")]
            }
            return [commaParts[..<school].joined(separator: ", "), commaParts[school...].joined(separator: ", ")]
        }
        return [text]
    }

    /// "Northeastern University Bachelor's degree in Physics": a school and a degree run together (a line break
    /// lost). The school is the longest start that looks like one, the degree the rest, which starts with one.
    static func schoolThenDegree(_ text: String) -> (String, String)? {
        let words = text.split(separator: " ")
        guard words.count >= 3, Vocabulary.degreePrefix(text) == nil else { return nil }
        for cut in stride(from: words.count - 1, through: 2, by: -1) {
            let rest = words[cut...].joined(separator: " ")
            guard words[cut].first?.isUppercaseFast == true, Vocabulary.degreePrefix(rest) != nil else { continue }
            let school = words[..<cut].joined(separator: " ").trimmed([",", "-", "–", "|"])
            return Vocabulary.looksLikeInstitution(school) ? (school, rest) : nil
        }
        return nil
    }

    /// Words a school's name starts with that do not alone say "school".
    static let schoolStartWords: Set<String> = ["technische", "technical", "national", "state", "royal", "imperial"]

    /// Words an area of study ends or starts with, which a school's name does not start with.
    static let areaWords: Set<String> = [
        "science", "sciences", "technology", "engineering", "administration", "management", "studies", "arts",
        "economics", "communications", "communication", "design", "education", "mathematics", "physics", "law",
        "medicine", "nursing", "marketing", "finance", "accounting", "psychology", "biology", "chemistry",
        "informatics", "systems", "analytics", "relations", "literature", "history", "languages", "media",
        "logistics", "interaction", "statistics", "philosophy", "politics", "sociology", "architecture",
    ]

    /// "Information Technology Fudan University" → ("Information Technology", "Fudan University"): an area run
    /// into the school after it. The school starts at the first capitalised word that is no area word and
    /// from which the rest looks like a school.
    static func areaThenSchool(_ text: String) -> (String, String)? {
        let words = text.split(separator: " ")
        guard words.count >= 3, Vocabulary.looksLikeInstitution(text) else { return nil }
        for cut in 1..<(words.count - 1) {
            let word = TextFold.key(words[cut])
            guard words[cut].first?.isUppercaseFast == true, !areaWords.contains(word),
                  !["of", "and", "&", "in", "und", "de", "y", "et"].contains(word) else { continue }
            // The school starts with a school word ("University of Pune", "Technische Universität") or right
            // after an area's last word ("Computer Science | Georgia Institute of Technology").
            guard Vocabulary.institutionWords.contains(word) || schoolStartWords.contains(word)
                || areaWords.contains(TextFold.key(words[cut - 1])) else { continue }
            // What comes before names a field ("Supply Chain Management"), not a place ("Gdańsk University").
            guard words[..<cut].contains(where: { areaWords.contains(TextFold.key($0)) }) else { return nil }
            let school = words[cut...].joined(separator: " ")
            guard Vocabulary.looksLikeInstitution(school), !Vocabulary.looksLikeInstitution(words[..<cut].joined(separator: " "))
            else { return nil }
            return (words[..<cut].joined(separator: " "), school)
        }
        return nil
    }

    /// "Bachelor of Science in Finance" → studyType "Bachelor of Science", area "Finance";
    /// "BSc, Statistics"; "Master's degree in Economics"; "PhD Physics".
    package static func read(degree text: String, into entry: inout JSONResume.Education) {
        guard let (degree, rest) = Vocabulary.degreePrefix(text) else {
            entry.studyType = text
            return
        }
        var studyType = degree
        var area = rest.trimmed
        // "Bachelor's degree", "Master degree": the word "degree" belongs to the type.
        for word in ["degree", "Degree", "(Hons)", "(Honours)", "Hons"] where area.hasPrefix(word) {
            studyType += " " + word
            area = String(area.dropFirst(word.count)).trimmed
        }
        for lead in [",", ":", "-", "–", "—", "in ", "In ", "of ", "en ", "in:", "im ", "de ", "en", "|"]
        where area.hasPrefix(lead) {
            area = String(area.dropFirst(lead.count)).trimmed
            break
        }
        // Trailing remarks: grades in brackets, "with honours", a score after a comma.
        if let open = area.firstIndex(of: "("), area.last == ")" {
            let inside = area[area.index(after: open)..<area.index(before: area.endIndex)]
            entry.score = inside.contains(where: \.isNumberFast) ? String(inside) : entry.score
            area = String(area[..<open]).trimmed
        }
        if let comma = area.firstIndex(of: ",") {
            let tail = area[area.index(after: comma)...].trimmed
            let lower = tail.lowercased()
            if lower.has("gpa") || lower.has("grade") || lower.has("note") || tail.contains(where: \.isNumberFast)
                || lower.has("honour") || lower.has("honor") {
                area = String(area[..<comma]).trimmed
            }
        }
        entry.studyType = studyType.trimmed
        var cleaned = EntryText.clean(area)
        if let (field, school) = areaThenSchool(cleaned) {
            cleaned = field
            if entry.institution == nil { entry.institution = school }
        }
        entry.area = cleaned.isEmpty ? nil : cleaned
    }
}
