/// Line tools the entry parsers share: undoing line wraps, telling a title-like line ("Blue Heron Robotics",
/// "Senior Data Engineer") from a sentence, and splitting "Position | Company" into parts.
package enum EntryText {
    /// Joins what a layout wrapped: a date range split over two lines ("June 2018 – May" / "2023"), a bullet's
    /// tail ("goals", "4 product teams", "Foundation)"), and a list ending with a comma.
    package static func unwrap(_ lines: [TextLine]) -> [TextLine] {
        var result: [TextLine] = []
        var lines = lines
        var index = 0
        while index + 1 < lines.count {
            if let (first, second) = completeSplitRange(lines[index].text, lines[index + 1].text) {
                lines[index].text = first
                lines[index + 1].text = second
            } else if let (first, second) = completeOpenRange(lines[index].text, lines[index + 1].text) {
                lines[index].text = first
                lines[index + 1].text = second
            }
            index += 1
        }
        lines.removeAll { $0.text.isEmpty }
        // Brackets the last joined line leaves open, kept as lines join so that no decision reads the whole
        // joined line again: a paragraph of n wrapped lines costs O(n), not O(n²).
        var unclosed = 0
        for line in lines {
            guard var previous = result.last else {
                result.append(line)
                unclosed = bracketBalance(line.text)
                continue
            }
            if !line.isBullet, joinsDate(previous.text, line.text) {
                previous.text += " " + line.text
                result[result.count - 1] = previous
                unclosed += bracketBalance(line.text)
                continue
            }
            if !line.isBullet, continues(previous, line, unclosedBracket: unclosed > 0) {
                previous.text += previous.text.hasSuffix("-") && line.text.first?.isLowercaseFast == true
                    ? line.text : " " + line.text
                result[result.count - 1] = previous
                unclosed += bracketBalance(line.text)
                continue
            }
            result.append(line)
            unclosed = bracketBalance(line.text)
        }
        return result
    }

    /// Opening minus closing round brackets.
    static func bracketBalance(_ text: String) -> Int {
        var balance = 0
        for byte in text.utf8 {
            if byte == 0x28 { balance += 1 } else if byte == 0x29 { balance -= 1 }
        }
        return balance
    }

    /// The end of `text` a date decision needs: at most the last 120 bytes, from a space on (the longest date
    /// range, "Septembre 2013 – aujourd'hui", is about 30 characters). A wrapped paragraph joined line by line
    /// would otherwise be tokenized whole at every line.
    static func dateTail(_ text: String) -> String {
        let utf8 = text.utf8
        guard utf8.count > 160 else { return text }
        var start = utf8.index(utf8.endIndex, offsetBy: -120)
        while start < utf8.endIndex, utf8[start] != 0x20 { start = utf8.index(after: start) }
        return start < utf8.endIndex ? String(text[utf8.index(after: start)...]) : text
    }

    /// `first` ends a date range's first half (or the range's separator) and `second` completes it.
    package static func joinsDate(_ whole: String, _ second: String) -> Bool {
        let first = dateTail(whole)
        // Every case needs a year: on the second line's start, or on the first line with a separator at the
        // end of the first or the start of the second.
        let secondStartsWithDigit = second.utf8.first.map { $0 >= 0x30 && $0 <= 0x39 } ?? false
        let secondStartsWithSeparator = second.first.map { "-–—~→".contains($0) } ?? false
            || DateScanner.rangeWords.contains(String(second.prefix(while: { $0.isLetterFast })).lowercased())
        guard secondStartsWithDigit || (DateScanner.hasDigit(first) && (secondStartsWithSeparator
            || first.last.map { "-–—~→".contains($0) || $0.isLetterFast } ?? false)) else { return false }
        let tokens = DateScanner.tokenize(first)
        guard let last = tokens.last else { return false }
        let nextTokens = DateScanner.tokenize(second)
        guard let head = nextTokens.first else { return false }
        let endsWithSeparator = (last.kind == .punct && DateScanner.rangePunctuation.contains(last.folded))
            || (last.kind == .word && DateScanner.rangeWords.contains(last.folded) && last.folded.count > 1)
        if endsWithSeparator {
            // "November 2018 -" / "December 2022 Company".
            return tokens.count >= 2 && DateScanner.scan(first).last?.isRange == false
                && (DateScanner.date(at: 0, in: nextTokens) != nil
                    || (head.kind == .word && DateScanner.presentWords.contains(head.folded)))
        }
        // "June 2018 – May" / "2023".
        if last.kind == .word, DateScanner.months[last.folded] != nil, tokens.count >= 3,
           head.kind == .number, head.folded.count == 4, DateScanner.plausibleYear(head.value) != nil {
            let before = DateScanner.tokenize(first).dropLast()
            return before.last.map { t in
                (t.kind == .punct && DateScanner.rangePunctuation.contains(t.folded))
                    || (t.kind == .word && DateScanner.rangeWords.contains(t.folded))
            } ?? false
        }
        // "September 2013" / "– April 2018".
        if let span = DateScanner.scan(first).last, span.range.upperBound == first.endIndex, !span.isRange,
           (head.kind == .punct && DateScanner.rangePunctuation.contains(head.folded))
            || (head.kind == .word && DateScanner.rangeWords.contains(head.folded)) {
            let joined = first + " " + second
            return DateScanner.scan(joined).contains { $0.isRange && $0.range.lowerBound == span.range.lowerBound }
        }
        return false
    }

    /// A date column too narrow for its range: "May 2018 – Nov. Technical Support Engineer" over
    /// "2020 Harbor Telecom". Moves the year up: "May 2018 – Nov. 2020 Technical Support Engineer" and
    /// "Harbor Telecom".
    package static func completeSplitRange(_ first: String, _ second: String) -> (String, String)? {
        let head4 = second.utf8.prefix(5)
        guard head4.count >= 4, head4.prefix(4).allSatisfy({ (0x30...0x39).contains($0) }),
              head4.count == 4 || !(0x30...0x39).contains(head4.last!), DateScanner.hasDigit(first) else { return nil }
        let tokens = DateScanner.tokenize(first)
        let next = DateScanner.tokenize(second)
        guard let head = next.first, head.kind == .number, head.folded.count == 4,
              DateScanner.plausibleYear(head.value) != nil, DateScanner.firstRange(in: first) == nil else { return nil }
        var i = 0
        while i < tokens.count {
            guard let (_, after) = DateScanner.date(at: i, in: tokens) else {
                i += 1
                continue
            }
            var j = after
            var separated = false
            while j < tokens.count,
                  (tokens[j].kind == .punct && DateScanner.rangePunctuation.contains(tokens[j].folded))
                    || (tokens[j].kind == .word && DateScanner.rangeWords.contains(tokens[j].folded)) {
                separated = true
                j += 1
            }
            guard separated, j < tokens.count, tokens[j].kind == .word, DateScanner.months[tokens[j].folded] != nil
            else { return nil }
            var end = tokens[j].range.upperBound
            if j + 1 < tokens.count, tokens[j + 1].folded == ".", !tokens[j + 1].spaceBefore {
                end = tokens[j + 1].range.upperBound
            }
            let moved = String(first[..<end]) + " " + head.folded + String(first[end...])
            let rest = String(second[head.range.upperBound...]).trimmed
            return (moved, rest)
        }
        return nil
    }

    /// A date column too narrow for a whole range: "January 2022 to Financial Controller" over "September
    /// 2023". The end date moves up: "January 2022 to September 2023 Financial Controller", and the next line
    /// keeps what followed the date.
    package static func completeOpenRange(_ first: String, _ second: String) -> (String, String)? {
        guard DateScanner.hasDigit(first), DateScanner.hasDigit(second), DateScanner.firstRange(in: first) == nil
        else { return nil }
        let tokens = DateScanner.tokenize(first)
        guard let (_, after) = DateScanner.date(at: 0, in: tokens), after < tokens.count,
              (tokens[after].kind == .punct && DateScanner.rangePunctuation.contains(tokens[after].folded))
                || (tokens[after].kind == .word && DateScanner.rangeWords.contains(tokens[after].folded)),
              after + 1 < tokens.count, tokens[after + 1].kind == .word,
              DateScanner.months[tokens[after + 1].folded] == nil,
              !DateScanner.presentWords.contains(tokens[after + 1].folded) else { return nil }
        let next = DateScanner.tokenize(second)
        guard let (_, end) = DateScanner.date(at: 0, in: next) else { return nil }
        let cut = tokens[after].range.upperBound
        let endText = String(second[..<next[end - 1].range.upperBound])
        let moved = String(first[..<cut]) + " " + endText + String(first[cut...])
        let rest = String(second[next[end - 1].range.upperBound...]).trimmed
        return (moved, rest)
    }

    /// `line` is the wrapped tail of the bullet (or list) `previous`.
    package static func continues(_ previous: TextLine, _ line: TextLine, unclosedBracket: Bool? = nil) -> Bool {
        guard let first = line.text.first else { return false }
        let candidate: Bool
        if unclosedBracket ?? (bracketBalance(previous.text) > 0) {
            candidate = true
        } else if previous.isBullet {
            candidate = first.isLowercaseFast || first == "("
                || (first.isNumberFast && !line.text.contains(where: \.isUppercaseFast))
                || previous.text.hasSuffix(",") || previous.text.hasSuffix("-")
        } else {
            // A wrapped list or sentence in a plain line.
            candidate = previous.text.hasSuffix(",") && (first.isLetterFast || first.isNumberFast)
                && line.text.count < 80 && !line.text.contains(Character(":"))
        }
        return candidate && DateScanner.firstRange(in: line.text) == nil
    }

    /// A short line of mostly capitalised words without a final full stop: a name, title, employer, school.
    package static func isTitleLike(_ text: String) -> Bool {
        let words = text.split(separator: " ")
        guard (1...10).contains(words.count), text.count <= 90 else { return false }
        if let last = text.last, last == "." {
            // "Corp.", "Inc.", "S.A.", "Ltd." end a name; a sentence ends with a long word.
            guard let lastWord = words.last, lastWord.count <= 5 || lastWord.dropLast().contains(Character(".")) else {
                return false
            }
        }
        if text.last == "!" || text.last == "?" || text.last == ";" { return false }
        var capitalised = 0, counted = 0
        for word in words {
            var letters = 0, upper = 0
            for character in word where character.isLetterFast {
                letters += 1
                if character.isUppercaseFast { upper += 1 }
            }
            guard letters >= 4 || (letters >= 2 && upper == letters) else { continue }
            counted += 1
            if upper > 0 { capitalised += 1 }
        }
        return counted == 0 || capitalised * 2 >= counted + (counted >= 4 ? 1 : 0)
    }

    package static let dateWords: Set<String> = ["Graduated", "graduated", "Expected", "expected", "Since", "since",
                                         "Abschluss", "Diplômé", "Diplômée", "Graduado", "Graduada"]

    package static let cleanSeparators: Set<Character> = [",", "|", "·", "•", "-", "–", "—", ":", ";", "/", "\t", "@"]

    /// `text` after dates were cut out: empty brackets and dangling separators removed.
    package static func clean(_ text: String) -> String {
        var result = text
        if result.has(ascii: 0x28) || result.has(ascii: 0x5B) {
            for empty in ["( )", "()", "[ ]", "[]", "(  )"] {
                while let range = result.firstRange(of: empty) { result.replaceSubrange(range, with: " ") }
            }
        }
        let separators = cleanSeparators
        result = result.trimmed(separators)
        // Words a date comes with.
        if let firstWord = result.split(separator: " ", maxSplits: 1).first, dateWords.contains(String(firstWord)) {
            result = String(result.dropFirst(firstWord.count)).trimmed(separators)
        }
        if let space = result.lastIndex(of: " "), dateWords.contains(String(result[result.index(after: space)...])) {
            result = String(result[..<space]).trimmed(separators)
        }
        if result.hasSuffix("(") { result = String(result.dropLast()).trimmed(separators) }
        if result.hasPrefix(")") { result = String(result.dropFirst()).trimmed(separators) }
        if result.count(ascii: 0x29) > result.count(ascii: 0x28), result.hasSuffix(")") {
            result = String(result.dropLast()).trimmed(separators)
        }
        if result.count(ascii: 0x28) > result.count(ascii: 0x29),
           let open = result.lastIndex(of: "("), result[open...].count <= 2 {
            result = String(result[..<open]).trimmed(separators)
        }
        // Collapse the double spaces a cut leaves.
        return result.has("  ") ? result.split(separator: " ").joined(separator: " ") : result
    }

    /// Words a length of time is written with: "(4 years 11 months)", "(Less than 1 year)", "10+ yrs", "2 Jahre".
    package static let durationWords: Set<String> = [
        "year", "years", "yr", "yrs", "y", "month", "months", "mo", "mos", "mon", "mths", "m", "less", "than",
        "more", "over", "under", "a", "an", "about", "jahr", "jahre", "monat", "monate", "ans", "mois",
        "ano", "anos", "mes", "meses", "and", "experience", "exp",
    ]

    /// `text` without the lengths of time job boards add: "(4 years 11 months)" after a date range,
    /// "(Less than 1 year)" or "(10+ years)" after a skill, "· 2 yrs 3 mos" at the end.
    package static func removingDurations(_ text: String) -> String {
        // Every form has a digit or a bracket ("(Less than a year)"): most text has neither and costs one scan.
        guard text.utf8.contains(where: { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x28 }) else { return text }
        var result = text
        var searchEnd = result.endIndex
        while let close = result[..<searchEnd].lastIndex(of: ")"),
              let open = result[..<close].lastIndex(of: "(") {
            let inside = result[result.index(after: open)..<close]
            if isDuration(inside) {
                result.removeSubrange(open...close)
                searchEnd = min(open, result.endIndex)
            } else {
                searchEnd = open
            }
        }
        // A trailing "· 2 yrs 3 mos" or ", 5 years".
        for separator in [" · ", " • ", ", ", " | ", " - "] {
            let pieces = result.components(separatedByString: separator)
            if pieces.count >= 2, let last = pieces.last, isDuration(Substring(last)) {
                result = pieces.dropLast().joined(separator: separator)
            }
        }
        let trimmed = result.trimmed
        return trimmed.has("  ") ? trimmed.split(separator: " ").joined(separator: " ") : trimmed
    }

    /// "4 years 11 months", "Less than 1 year", "10+ years", "6 mos": numbers and duration words only, with
    /// at least one of each (or "less than a year").
    static func isDuration(_ text: Substring) -> Bool {
        var numbers = 0, units = 0
        for token in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
            let word = token.lowercased().trimmed(["+", ".", ":"])
            if word.isEmpty { continue }
            // "10+", "1", "4yrs".
            let digits = word.prefix(while: \.isNumberFast)
            if !digits.isEmpty {
                numbers += 1
                let rest = String(word.dropFirst(digits.count))
                if rest.isEmpty { continue }
                guard durationWords.contains(rest) else { return false }
                units += 1
                continue
            }
            guard durationWords.contains(word) else { return false }
            if !["less", "than", "more", "over", "under", "a", "an", "about", "and", "experience", "exp"]
                .contains(word) { units += 1 }
        }
        return units > 0 && (numbers > 0 || text.lowercased().has("than a"))
    }

    /// Splits a header into its parts at the strongest separator present: a tab, ` | `, ` · `, ` • `,
    /// ` — `, ` – `, ` at `, ` @ `, ` - `, then `, ` (never before a legal suffix such as "Inc.").
    package static func parts(_ text: String) -> [String] {
        let strong = ["\t", " | ", " · ", " • ", " — ", " – ", " at ", " @ ", " - ", " chez ", " bei "]
        for separator in strong where text.has(separator) {
            let pieces = text.components(separatedByString: separator).map { clean($0) }.filter { !$0.isEmpty }
            if pieces.count >= 2 { return pieces }
        }
        let pieces = text.split(separator: ",").map { $0.trimmed }
        var merged: [String] = []
        for piece in pieces where !piece.isEmpty {
            let key = piece.lowercased().trimmed(["."])
            if let last = merged.last, Vocabulary.companyWords.contains(key) || piece.count <= 2 {
                merged[merged.count - 1] = last + ", " + piece
            } else {
                merged.append(piece)
            }
        }
        return merged.map { clean($0) }.filter { !$0.isEmpty }
    }
}
