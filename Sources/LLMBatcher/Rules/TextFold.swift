/// Folding and small string tools the rule-based parser and the field scorer share: lower case without
/// diacritics (`"Université" → "universite"`, `"Łódź" → "lodz"`), word splitting, trimming. Standard
/// library only, so the parser stays pure and cheap to fuzz.
enum TextFold {
    /// Lower case with diacritics removed and a few letters spelt out (`ß → ss`, `æ → ae`, `ł → l`).
    static func key(_ text: some StringProtocol) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.lowercased().unicodeScalars {
            if scalar.isASCII {
                out.append(scalar)
            } else if let replacement = foldMap[scalar] {
                out.append(contentsOf: replacement.unicodeScalars)
            } else if scalar.properties.generalCategory == .nonspacingMark {
                continue
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// `key(text)` with every run of characters that are not letters or digits turned into one space,
    /// trimmed: the form strings are compared in (`"Ph.D."` → `"ph d"`).
    static func comparable(_ text: some StringProtocol) -> String {
        var out = ""
        var pendingSpace = false
        for character in key(text) {
            if character.isLetter || character.isNumber {
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.append(character)
            } else {
                pendingSpace = true
            }
        }
        return out
    }

    /// The folded words of `text`: runs of letters and digits (apostrophes inside a word kept).
    static func words(_ text: some StringProtocol) -> [String] {
        var result: [String] = []
        var current = ""
        for character in key(text) {
            if character.isLetter || character.isNumber || ((character == "'" || character == "’") && !current.isEmpty) {
                current.append(character == "’" ? "'" : character)
            } else if !current.isEmpty {
                while current.last == "'" { current.removeLast() }
                result.append(current)
                current = ""
            }
        }
        while current.last == "'" { current.removeLast() }
        if !current.isEmpty { result.append(current) }
        return result
    }

    private static let foldMap: [Unicode.Scalar: String] = {
        let groups: [(String, String)] = [
            ("àáâãäåāăąǎ", "a"), ("çćĉċč", "c"), ("ďđ", "d"), ("èéêëēĕėęěẽ", "e"), ("ĝğġģ", "g"), ("ĥħ", "h"),
            ("ìíîïĩīĭįıǐ", "i"), ("ĵ", "j"), ("ķ", "k"), ("ĺļľŀł", "l"), ("ñńņňŉ", "n"), ("òóôõöøōŏőǒơ", "o"),
            ("ŕŗř", "r"), ("śŝşšș", "s"), ("ţťŧț", "t"), ("ùúûüũūŭůűųǔư", "u"), ("ŵ", "w"), ("ýÿŷ", "y"),
            ("źżž", "z"), ("ạảấầẩẫậắằẳẵặ", "a"), ("ẹẻếềểễệ", "e"), ("ỉị", "i"), ("ọỏốồổỗộớờởỡợ", "o"),
            ("ụủứừửữự", "u"), ("ỳỵỷỹ", "y"),
        ]
        var map: [Unicode.Scalar: String] = [:]
        for (letters, base) in groups {
            for scalar in letters.unicodeScalars { map[scalar] = base }
        }
        map["ß"] = "ss"
        map["æ"] = "ae"
        map["œ"] = "oe"
        map["þ"] = "th"
        map["ð"] = "d"
        map["’"] = "'"
        map["‘"] = "'"
        return map
    }()
}

extension StringProtocol {
    /// The text without leading and trailing whitespace.
    var trimmed: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
              let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }

    /// The text without leading and trailing characters in `set` or whitespace.
    func trimmed(_ set: Set<Character>) -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace && !set.contains($0) }),
              let last = lastIndex(where: { !$0.isWhitespace && !set.contains($0) }) else { return "" }
        return String(self[first...last])
    }

    /// The number of whitespace-separated words.
    var wordCount: Int {
        var count = 0
        var inWord = false
        for character in self {
            if character.isWhitespace {
                inWord = false
            } else if !inWord {
                inWord = true
                count += 1
            }
        }
        return count
    }

    /// Splits on every occurrence of `separator` (a plain substring search, no Foundation).
    func components(separatedByString separator: String) -> [String] {
        let text = String(self)
        guard !separator.isEmpty, text.contains(separator) else { return [text] }
        var result: [String] = []
        var rest = Substring(text)
        while let range = rest.firstRange(of: separator) {
            result.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        result.append(String(rest))
        return result
    }
}
