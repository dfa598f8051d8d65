/// Readers for the list-like sections: skills, languages, certificates, projects, summary.
package enum ListSections {
    // MARK: Skills

    /// "Category: a, b, c" → Skill(name: Category, keywords); "Category" over "a | b | c" likewise; a
    /// plain list → Skill(keywords) without a name; prose → the vocabulary's skills found in it.
    package static func skills(_ input: [TextLine]) -> [JSONResume.Skill] {
        let lines = unwrapCategories(EntryText.unwrap(input))
        var result: [JSONResume.Skill] = []
        var pendingCategory: String?
        var loose: [String] = []

        func add(_ name: String?, _ keywords: [String]) {
            guard !keywords.isEmpty else { return }
            if let name, let index = result.firstIndex(where: { $0.name == name }) {
                result[index].keywords = (result[index].keywords ?? []) + keywords
            } else {
                result.append(JSONResume.Skill(name: name, keywords: keywords))
            }
        }

        for (index, line) in lines.enumerated() {
            let text = EntryText.removingDurations(line.text)
            if text.isEmpty { continue }
            if let (category, rest) = categorySplit(text) {
                add(category, items(rest))
                pendingCategory = nil
                continue
            }
            let list = items(text)
            if list.count >= 2 {
                add(pendingCategory, list)
                pendingCategory = nil
                continue
            }
            // A short line alone, followed by a list: a category ("Tools" / "Jira | Confluence").
            if text.wordCount <= 3, text.count <= 30, !text.hasSuffix("."), index + 1 < lines.count,
               items(lines[index + 1].text).count >= 2, categorySplit(lines[index + 1].text) == nil {
                pendingCategory = text
                continue
            }
            if text.wordCount <= 5, !text.hasSuffix(".") {
                if pendingCategory != nil {
                    add(pendingCategory, [text])
                    pendingCategory = nil
                } else {
                    loose.append(text)
                }
                continue
            }
            loose.append(contentsOf: SkillVocabulary.find(in: text, prose: true))
        }
        if !loose.isEmpty { add(nil, loose) }
        return result
    }

    /// A list line a layout wrapped: the next line continues it when it has no category of its own and
    /// either the line before has one ("Methods: NLP, Time-series" / "forecasting, Regression";
    /// "Systems Xero · SAP" / "S/4HANA · Sage") or the line before ends with a separator or the next starts in
    /// lower case ("… | IEP" / "development | …").
    package static func unwrapCategories(_ lines: [TextLine]) -> [TextLine] {
        var result: [TextLine] = []
        for (index, line) in lines.enumerated() {
            // A short line over a list is that list's category ("Practices" / "TDD | Code review").
            let isCategoryOfNext = line.text.wordCount <= 3 && rawItems(line.text).count == 1 && index + 1 < lines.count
                && rawItems(lines[index + 1].text).count >= 2
            if let previous = result.last, !isCategoryOfNext, !line.isBullet, !previous.isBullet,
               !line.text.contains(Character(":")), !line.text.contains(Character("\t")), line.text.count < 80,
               Sections.headingKind(line.text) == nil,
               categorySplit(line.text) == nil,
               categorySplit(previous.text) != nil
                || (rawItems(previous.text).count >= 2
                    && (line.text.first?.isLowercaseFast == true
                        || previous.text.last.map { ",|·•-;".contains($0) } == true)) {
                let joinTight = previous.text.hasSuffix("-") && line.text.first?.isLowercaseFast == true
                result[result.count - 1].text += (joinTight ? "" : " ") + line.text
                continue
            }
            result.append(line)
        }
        return result
    }

    /// "Programming: Python, Go" or "Tools\tJira · Confluence" or "Tools Miro · Jira" (a table whose cells
    /// were joined by a space): the category and the rest.
    package static func categorySplit(_ text: String) -> (String, String)? {
        if let tab = text.firstIndex(of: "\t") {
            let head = text[..<tab].trimmed
            let rest = text[text.index(after: tab)...].trimmed
            if !head.isEmpty, !rest.isEmpty, head.wordCount <= 4 { return (head.trimmed([":"]), rest) }
        }
        if let colon = text.firstIndex(of: ":") {
            let head = text[..<colon].trimmed
            let rest = text[text.index(after: colon)...].trimmed
            if !head.isEmpty, !rest.isEmpty, head.wordCount <= 4, head.count <= 40, !rest.hasPrefix("//") {
                return (head, rest)
            }
        }
        // A table row whose cells were joined by a space: "Methods Risk management · Scrum",
        // "Soft skills Family communication · Team leadership".
        let list = rawItems(text)
        guard list.count >= 2, let first = list.first else { return nil }
        let words = first.split(separator: " ").map(String.init)
        guard words.count >= 2 else { return nil }
        var split: Int?
        if SkillVocabulary.categoryWords.contains(TextFold.key(words[0])) {
            split = words.count >= 3 && TextFold.key(words[1]) == "skills" ? 2 : 1
        } else if words.count >= 3 {
            // Items are sentence case: the last capitalised word followed only by lower-case words starts
            // the item; one or two words before it are the category.
            if let k = words.indices.last(where: { words[$0].first?.isUppercaseFast == true }), k >= 1, k <= 2,
               k < words.count - 1, words[(k + 1)...].allSatisfy({ $0.first?.isLowercaseFast == true }),
               words[0].first?.isUppercaseFast == true {
                split = k
            }
        }
        guard let split, split < words.count, words[split].first?.isUppercaseFast == true
                || words[split].first?.isNumberFast == true else { return nil }
        let category = words[..<split].joined(separator: " ")
        let rest = words[split...].joined(separator: " ") + text.dropFirst(first.count)
        return (category, rest.trimmed)
    }

    /// The items of a delimited list: split at `,`, `;`, `|`, `·`, `•`, `▪`, tabs; brackets kept whole
    /// ("Excel (pivot tables, XLOOKUP)").
    /// Items of six words or more are sentences that strayed into the list (a two-column layout run
    /// together): only the vocabulary's skills in them count.
    package static func items(_ text: String) -> [String] {
        rawItems(text).flatMap { item -> [String] in
            if item.wordCount >= 6 { return SkillVocabulary.find(in: item, prose: true) }
            return SkillVocabulary.segment(item) ?? [item]
        }
    }

    package static func rawItems(_ text: String) -> [String] {
        // Scanned as UTF-8 (the separators are `,;|` and tab, `·` C2 B7, `•` E2 80 A2, `▪` E2 96 AA): the
        // parser's hottest loop, run on every line of a skills section.
        var result: [String] = []
        let utf8 = text.utf8
        var depth = 0
        var start = utf8.startIndex
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let byte = utf8[index]
            var width = 0
            switch byte {
            case 0x28, 0x5B: depth += 1
            case 0x29, 0x5D: depth = max(0, depth - 1)
            case 0x2C, 0x3B, 0x7C, 0x09: width = 1
            case 0xC2:
                let next = utf8.index(after: index)
                if next < utf8.endIndex, utf8[next] == 0xB7 { width = 2 }
            case 0xE2:
                let second = utf8.index(after: index)
                if second < utf8.endIndex {
                    let third = utf8.index(after: second)
                    if third < utf8.endIndex,
                       (utf8[second] == 0x80 && utf8[third] == 0xA2) || (utf8[second] == 0x96 && utf8[third] == 0xAA) {
                        width = 3
                    }
                }
            default: break
            }
            if width > 0, depth == 0 {
                result.append(String(text[start..<index]))
                index = utf8.index(index, offsetBy: width)
                start = index
                continue
            }
            index = utf8.index(after: index)
        }
        result.append(String(text[start..<utf8.endIndex]))
        // "Python - Java - Go": a dash between spaces separates only when it does so at least twice.
        if result.count == 1, text.components(separatedByString: " - ").count >= 3 {
            result = text.components(separatedByString: " - ")
        }
        // "Excel (10+ years)", "SAP (Less than 1 year)": a job board's note, not the skill's name.
        return result.map { EntryText.removingDurations($0).trimmed(["."]) }.filter { !$0.isEmpty && $0.count <= 60 }
            .map { item in
                // "and Excel" at the end of a list.
                for lead in ["and ", "und ", "et ", "y "] where item.hasPrefix(lead) && item.count > lead.count + 1 {
                    return String(item.dropFirst(lead.count))
                }
                return item
            }
    }

    // MARK: Languages

    /// "English (native)", "German – C1", "French: fluent", "Spanish - basic", "Deutsch (Muttersprache)",
    /// or several on one line separated by commas.
    package static func languages(_ lines: [TextLine]) -> [JSONResume.Language] {
        var result: [JSONResume.Language] = []
        for line in lines {
            var text = line.text
            if let (_, rest) = categorySplit(text),
               Vocabulary.isLanguage(rest.split(separator: " ").first.map(String.init) ?? ""),
               !Vocabulary.isLanguage(String(text.prefix(while: { $0 != ":" }))) {
                text = rest  // "Spoken: English (native), German (B2)"
            }
            let entries = rawItems(text)
            let several = entries.count > 1 && entries.allSatisfy { Vocabulary.isLanguage(leadingName($0).0) }
            for entry in several ? entries : [text] {
                let (name, fluency) = leadingName(entry)
                guard !name.isEmpty, name.wordCount <= 3, name.first?.isLetterFast == true else { continue }
                let known = Vocabulary.isLanguage(name)
                let fluent = fluency.map { f in TextFold.words(f).contains { Vocabulary.fluencyWords.contains($0) } }
                    ?? false
                guard known || fluent else { continue }
                result.append(JSONResume.Language(language: name, fluency: fluency))
            }
        }
        return result
    }

    /// "German (C1)" → ("German", "C1"); "German – C1", "German: C1", "German - C1", "German, C1".
    package static func leadingName(_ entry: String) -> (String, String?) {
        let text = entry.trimmed
        if let open = text.firstIndex(of: "("), text.last == ")" {
            let name = EntryText.clean(String(text[..<open]))
            let fluency = text[text.index(after: open)..<text.index(before: text.endIndex)].trimmed
            return (name, fluency.isEmpty ? nil : fluency)
        }
        for separator in [" – ", " — ", " - ", ": ", " : ", "\t", ", ", " | ", " · "] where text.has(separator) {
            let parts = text.components(separatedByString: separator)
            let name = parts[0].trimmed
            let fluency = parts[1...].joined(separator: separator).trimmed
            return (name, fluency.isEmpty ? nil : fluency)
        }
        // "English native", "Deutsch fließend": a known language and the rest.
        let words = text.split(separator: " ")
        if words.count >= 2 {
            for length in stride(from: min(2, words.count - 1), through: 1, by: -1) {
                let name = words.prefix(length).joined(separator: " ")
                if Vocabulary.languages.contains(TextFold.comparable(name)) {
                    return (name, words.dropFirst(length).joined(separator: " "))
                }
            }
        }
        return (text.trimmed([":", "-", "–"]), nil)
    }

    // MARK: Certificates

    /// "Name, Issuer (2021)", "Name — Issuer, Jun 2021", "2021  Name (Issuer)", "Name (Issuer)".
    package static func certificates(_ input: [TextLine]) -> [JSONResume.Certificate] {
        var lines = EntryText.unwrap(input)
        // In a bulleted list every plain line continues the bullet before it.
        if lines.first?.isBullet == true {
            var merged: [TextLine] = []
            for line in lines {
                if !line.isBullet, let last = merged.indices.last {
                    merged[last].text += " " + line.text
                } else {
                    merged.append(line)
                }
            }
            lines = merged
        }
        var result: [JSONResume.Certificate] = []
        var previousHadDate = true
        for line in lines where !looksLikeJobLine(line.text) {
            let spans = DateScanner.scan(line.text)
            var text = EntryText.clean(DateScanner.removing(spans, from: line.text))
            guard !text.isEmpty else { continue }
            let date = spans.last?.end?.iso ?? spans.last?.start?.iso
            // A PDF wrapped "Name" / "— Issuer, 2022-06": the issuer line joins the name before it.
            if !spans.isEmpty, !previousHadDate, text.wordCount <= 3, let last = result.indices.last,
               result[last].issuer == nil {
                result[last].issuer = text.trimmed(["(", ")", "—", "–", "-"])
                result[last].date = date
                previousHadDate = true
                continue
            }
            var certificate = JSONResume.Certificate(date: date)
            if text.last == ")", let open = matchingOpen(text) {
                let inside = text[text.index(after: open)..<text.index(before: text.endIndex)].trimmed
                let before = text[..<open].trimmed
                if !before.isEmpty, inside.wordCount <= 6, !looksLikeAcronymOf(String(inside), String(before)) {
                    certificate.issuer = inside
                    text = EntryText.clean(before)
                }
            }
            if certificate.issuer == nil {
                // "Name — Issuer", "Name, Issuer": the last separator; names keep earlier ones
                // ("AWS Certified Solutions Architect – Associate, Amazon Web Services").
                var cut: Range<String.Index>?
                for separator in [" — ", " – ", " | ", " - ", ", "] {
                    if let range = text.ranges(of: separator).last,
                       cut.map({ range.lowerBound > $0.lowerBound }) ?? true {
                        cut = range
                    }
                }
                if let cut {
                    let tail = EntryText.clean(String(text[cut.upperBound...]))
                    if !tail.isEmpty, tail.wordCount <= 6 {
                        certificate.issuer = tail
                        text = EntryText.clean(String(text[..<cut.lowerBound]))
                    }
                }
            }
            certificate.name = text
            previousHadDate = !spans.isEmpty
            result.append(certificate)
        }
        return result
    }

    /// A line of a job rather than a certificate (a two-column layout runs the main column into the sidebar's
    /// certificates): a date range, a sentence, or an achievement opening with a past-tense verb ("Supervised
    /// 8 associates…").
    package static func looksLikeJobLine(_ text: String) -> Bool {
        if text.first?.isLowercaseFast == true || text.wordCount > 14 { return true }
        if DateScanner.firstRange(in: text) != nil { return true }
        guard let first = text.split(separator: " ", maxSplits: 1).first, text.wordCount >= 5 else { return false }
        let word = TextFold.key(first)
        return word.hasSuffix("ed") && !certificateAdjectives.contains(word)
    }

    package static let certificateAdjectives: Set<String> = [
        "certified", "registered", "licensed", "chartered", "accredited", "advanced", "authorized", "authorised",
        "qualified", "approved",
    ]

    /// The "(" that opens the bracket closing `text`.
    package static func matchingOpen(_ text: String) -> String.Index? {
        var depth = 0
        var index = text.endIndex
        while index > text.startIndex {
            index = text.index(before: index)
            if text[index] == ")" { depth += 1 }
            if text[index] == "(" {
                depth -= 1
                if depth == 0 { return index }
            }
        }
        return nil
    }

    /// "(PMP)" after "Project Management Professional" abbreviates the name rather than naming an issuer.
    package static func looksLikeAcronymOf(_ inside: String, _ before: String) -> Bool {
        guard inside.count <= 8, !inside.contains(Character(" ")), inside == inside.uppercased() else { return false }
        let initials = before.split(separator: " ").compactMap { $0.first }.filter(\.isUppercaseFast)
        let letters = inside.filter(\.isLetterFast)
        guard let first = letters.first else { return false }
        return initials.contains(first) && letters.allSatisfy { l in initials.contains(l) }
    }

    // MARK: Projects and summary

    /// "Name – description" per line; lines without a dash continue the description before them.
    package static func projects(_ input: [TextLine]) -> [JSONResume.Project] {
        let lines = EntryText.unwrap(input)
        var result: [JSONResume.Project] = []
        for line in lines {
            let spans = DateScanner.scan(line.text)
            var separatorFound = false
            for separator in [" – ", " — ", " - ", ": "] where line.text.has(separator) {
                let parts = line.text.components(separatedByString: separator)
                let name = EntryText.clean(DateScanner.removing(DateScanner.scan(parts[0]), from: parts[0]))
                if name.wordCount <= 8, !name.isEmpty {
                    let description = parts[1...].joined(separator: separator).trimmed
                    var project = JSONResume.Project(name: name, description: description)
                    if let span = spans.first(where: \.isRange) {
                        project.startDate = span.start?.iso
                        project.endDate = span.end?.iso
                    }
                    result.append(project)
                    separatorFound = true
                }
                break
            }
            if separatorFound { continue }
            if let last = result.indices.last, line.isBullet || line.text.first?.isLowercaseFast == true
                || !EntryText.isTitleLike(line.text) {
                result[last].description = [result[last].description, line.text].compactMap { $0 }
                    .joined(separator: " ")
            } else if EntryText.isTitleLike(line.text) {
                result.append(JSONResume.Project(name: EntryText.clean(line.text)))
            }
        }
        return result
    }

    package static func summary(_ lines: [TextLine]) -> String? {
        let text = lines.map(\.text).joined(separator: " ").trimmed
        return text.isEmpty ? nil : text
    }
}
