/// Folding and small string tools the rule-based parser and the field scorer share: lower case without
/// diacritics (`"Université" → "universite"`, `"Łódź" → "lodz"`), word splitting, trimming. Standard
/// library only, so the parser stays pure and cheap to fuzz.
package enum TextFold {
    /// Lower case with diacritics removed and a few letters spelt out (`ß → ss`, `æ → ae`, `ł → l`).
    package static func key(_ text: some StringProtocol) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.lowercased() }
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
    package static func comparable(_ text: some StringProtocol) -> String {
        var out = ""
        var pendingSpace = false
        for character in key(text) {
            if character.isLetterFast || character.isNumberFast {
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
    package static func words(_ text: some StringProtocol) -> [String] {
        var result: [String] = []
        var current = ""
        for character in key(text) {
            let apostrophe = (character == "'" || character == "’") && !current.isEmpty
            if character.isLetterFast || character.isNumberFast || apostrophe {
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
    package var trimmed: String {
        guard let first = firstIndex(where: { !$0.isWhitespaceFast }),
              let last = lastIndex(where: { !$0.isWhitespaceFast }) else { return "" }
        return String(self[first...last])
    }

    /// The text without leading and trailing characters in `set` or whitespace.
    package func trimmed(_ set: Set<Character>) -> String {
        guard let first = firstIndex(where: { !$0.isWhitespaceFast && !set.contains($0) }),
              let last = lastIndex(where: { !$0.isWhitespaceFast && !set.contains($0) }) else { return "" }
        return String(self[first...last])
    }

    /// The number of whitespace-separated words.
    package var wordCount: Int {
        var count = 0
        var inWord = false
        for character in self {
            if character.isWhitespaceFast {
                inWord = false
            } else if !inWord {
                inWord = true
                count += 1
            }
        }
        return count
    }

    /// How many times the ASCII character `byte` occurs.
    package func count(ascii byte: UInt8) -> Int {
        var n = 0
        for b in utf8 where b == byte { n += 1 }
        return n
    }

    /// Whether the ASCII character `byte` occurs.
    package func has(ascii byte: UInt8) -> Bool {
        utf8.contains(byte)
    }

    /// Whether `needle` occurs in the text: a plain byte search (the parser never needs Foundation's
    /// locale-aware one).
    package func has(_ needle: String) -> Bool {
        firstByteOffset(of: needle) != nil
    }

    /// Splits on every occurrence of `separator` (a plain byte search, no Foundation).
    package func components(separatedByString separator: String) -> [String] {
        let bytes = Array(utf8)
        let needle = Array(separator.utf8)
        guard !needle.isEmpty, bytes.count >= needle.count else { return [String(self)] }
        var result: [String] = []
        var start = 0
        var i = 0
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0] && bytes[i..<(i + needle.count)].elementsEqual(needle) {
                result.append(String(decoding: bytes[start..<i], as: UTF8.self))
                i += needle.count
                start = i
            } else {
                i += 1
            }
        }
        result.append(String(decoding: bytes[start...], as: UTF8.self))
        return result
    }

    /// The byte offset of the first `needle`, or nil.
    package func firstByteOffset(of needle: String) -> Int? {
        let needleBytes = Array(needle.utf8)
        guard let first = needleBytes.first else { return 0 }
        var found: Int?
        utf8.withContiguousStorageIfAvailable { bytes in
            found = Self.search(bytes, needleBytes, first)
        } ?? {
            let bytes = Array(utf8)
            bytes.withUnsafeBufferPointer { found = Self.search($0, needleBytes, first) }
        }()
        return found
    }

    private static func search(_ bytes: UnsafeBufferPointer<UInt8>, _ needle: [UInt8], _ first: UInt8) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var i = 0
        while i + needle.count <= bytes.count {
            if bytes[i] == first {
                var j = 1
                while j < needle.count && bytes[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}

extension Character {
    // ASCII fast paths for the Unicode property checks the parser makes on every character; other characters
    // take the standard library's answer.

    package var isWhitespaceFast: Bool {
        if let a = asciiValue { return a == 0x20 || (a >= 0x09 && a <= 0x0D) }
        return isWhitespace
    }

    package var isLetterFast: Bool {
        if let a = asciiValue { return (a >= 0x41 && a <= 0x5A) || (a >= 0x61 && a <= 0x7A) }
        return isLetter
    }

    package var isUppercaseFast: Bool {
        if let a = asciiValue { return a >= 0x41 && a <= 0x5A }
        return isUppercase
    }

    package var isLowercaseFast: Bool {
        if let a = asciiValue { return a >= 0x61 && a <= 0x7A }
        return isLowercase
    }

    package var isNumberFast: Bool {
        if let a = asciiValue { return a >= 0x30 && a <= 0x39 }
        return isNumber
    }
}
