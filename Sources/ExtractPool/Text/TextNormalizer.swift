import Foundation

/// Turns a converter's raw output into clean text for the parser and for PostgreSQL.
///
/// PostgreSQL refuses NUL bytes and invalid UTF-8 in `text`; parsers and LLMs pay for every stray
/// character. The steps, in order:
/// 1. **Decode**: UTF-16 with a byte-order mark; else UTF-8 when valid; else Windows-1252 (what old
///    Windows résumés are in). Invalid sequences never survive.
/// 2. **NFC** (canonical composition), so `e` + combining acute and `é` are one character.
/// 3. **Control characters** removed (form feed is the page break of `pdftotext`; `\r\n` and `\r` end lines).
/// 4. **Whitespace**: a line that lost its line breaks (over 300 bytes, three or more runs of two or more
///    spaces: an ATS export, a copy-paste, HTML turned to text) is cut back into lines at those runs, a run of
///    five or more standing for a blank line; then runs of spaces collapsed (to a tab when the run holds one:
///    table cells), lines trimmed, runs of blank lines collapsed to one.
/// 5. **Running headers and footers**: with three pages or more, a first or last line that repeats on at
///    least half of the pages (digits ignored, so "Page 2 of 5" counts) is dropped.
/// 6. **Hyphenated line breaks** joined: `manage-` / `ment` becomes `management` (only before a lower-case
///    letter, so "Jean-" / "Pierre" stays as written).
///
/// A pure function of its input: no I/O, safe on any thread.
public enum TextNormalizer {
    /// The clean text and what normalisation learnt and removed.
    public struct Result: Sendable, Equatable {
        /// The text, valid UTF-8 in NFC, pages separated by blank lines.
        public var text: String
        /// Pages seen (form feeds + 1, not counting a trailing one; 1 for text without them).
        public var pageCount: Int
        /// The encoding the bytes were decoded from.
        public var encoding: Encoding
        /// Header/footer lines removed.
        public var removedRepeatedLines: Int
        /// Line breaks joined across a hyphen.
        public var joinedHyphenations: Int
    }

    /// How the input was decoded.
    public enum Encoding: String, Sendable, Equatable {
        case utf8 = "utf-8"
        case utf16LittleEndian = "utf-16le"
        case utf16BigEndian = "utf-16be"
        case windows1252 = "windows-1252"
    }

    /// Normalises `bytes` (a converter's output, or a plain-text file).
    public static func normalize(_ bytes: [UInt8]) -> Result {
        let (decoded, encoding) = decode(bytes)
        // "\r\n" is one Character in Swift, so Windows line ends must become "\n" before lines are split.
        let composed = decoded.precomposedStringWithCanonicalMapping
            .replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var pages = composed.split(separator: "\u{0C}", omittingEmptySubsequences: false).map { page in
            page.split(separator: "\n", omittingEmptySubsequences: false).flatMap(unflattened).map(cleanLine)
        }
        // pdftotext ends every page with a form feed, the last one included: that one opens no page.
        if pages.count > 1, let last = pages.last, last.allSatisfy(\.isEmpty) { pages.removeLast() }
        let pageCount = max(1, pages.count)
        let removed = removeRunningLines(&pages)
        var joined = 0
        var lines: [String] = []
        for page in pages {
            // Pages are kept apart by one blank line; nothing joins across them.
            if let last = lines.last, !last.isEmpty { lines.append("") }
            for line in page {
                if line.isEmpty {
                    if let last = lines.last, !last.isEmpty { lines.append("") }
                    continue
                }
                if let last = lines.last, endsWithBreakHyphen(last), startsLowercase(line) {
                    lines[lines.count - 1] = String(last.dropLast()) + line
                    joined += 1
                } else {
                    lines.append(line)
                }
            }
        }
        while lines.last == "" { lines.removeLast() }
        return Result(text: lines.joined(separator: "\n"), pageCount: pageCount, encoding: encoding,
                      removedRepeatedLines: removed, joinedHyphenations: joined)
    }

    // MARK: Steps

    static func decode(_ bytes: [UInt8]) -> (String, Encoding) {
        if bytes.count >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE {
            return (utf16(bytes.dropFirst(2), littleEndian: true), .utf16LittleEndian)
        }
        if bytes.count >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF {
            return (utf16(bytes.dropFirst(2), littleEndian: false), .utf16BigEndian)
        }
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        if let text = String(validating: body, as: UTF8.self) { return (text, .utf8) }
        return (String(body.map { windows1252[Int($0)] }.map(Character.init)), .windows1252)
    }

    private static func utf16(_ bytes: ArraySlice<UInt8>, littleEndian: Bool) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var i = bytes.startIndex
        while i + 1 < bytes.endIndex {
            let a = UInt16(bytes[i]), b = UInt16(bytes[i + 1])
            units.append(littleEndian ? a | b << 8 : a << 8 | b)
            i += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// The lines a flattened line stood for (see step 4), or the line itself. A run of spaces separates the
    /// blocks such text kept; single spaces never cut (prose), tabs are table cells and are left alone.
    static func unflattened(_ line: Substring) -> [Substring] {
        let utf8 = line.utf8
        guard utf8.count > 300 else { return [line] }
        var runs = 0
        var run = 0
        for byte in utf8 {
            if byte == 0x20 {
                run += 1
            } else {
                if run >= 2 { runs += 1 }
                run = 0
                if runs >= 3 { break }
            }
        }
        guard runs >= 3 else { return [line] }
        var pieces: [Substring] = []
        var start = utf8.startIndex
        var index = utf8.startIndex
        while index < utf8.endIndex {
            guard utf8[index] == 0x20 else {
                index = utf8.index(after: index)
                continue
            }
            var end = index
            var spaces = 0
            while end < utf8.endIndex, utf8[end] == 0x20 {
                spaces += 1
                end = utf8.index(after: end)
            }
            if spaces >= 2 {
                pieces.append(line[start..<index])
                if spaces >= 5 { pieces.append("") }
                start = end
            }
            index = end
        }
        pieces.append(line[start...])
        return pieces
    }

    /// Control characters out, runs of spaces to one, ends trimmed. A run holding a tab becomes one tab: it
    /// separates table cells (DOCX, ODT and HTML tables come out that way) and the parser reads it.
    private static func cleanLine(_ line: Substring) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        var pendingTab = false
        for scalar in line.unicodeScalars {
            let isSpace = scalar == " " || scalar == "\t" || scalar == "\u{A0}"
                || scalar.properties.generalCategory == .spaceSeparator
            if isSpace {
                pendingSpace = !out.isEmpty
                pendingTab = pendingSpace && (pendingTab || scalar == "\t")
                continue
            }
            switch scalar.properties.generalCategory {
            case .control, .format, .surrogate, .unassigned, .privateUse, .lineSeparator, .paragraphSeparator:
                // Control codes, zero-width and bidi marks, soft hyphens, byte-order marks: gone.
                continue
            default:
                // U+FFFD stands for a glyph a converter could not map: noise for every reader.
                if scalar.value == 0xFFFD { continue }
            }
            if pendingSpace {
                out.append(pendingTab ? "\t" : " ")
                pendingSpace = false
                pendingTab = false
            }
            out.append(scalar)
        }
        return String(out)
    }

    /// Drops first/last lines repeated on at least half of the pages (digits ignored). Needs ≥ 3 pages.
    private static func removeRunningLines(_ pages: inout [[String]]) -> Int {
        guard pages.count >= 3 else { return 0 }
        func key(_ line: String) -> String { String(line.filter { !$0.isNumber }) }
        func edgeLines(_ page: [String]) -> [String] {
            let nonEmpty = page.filter { !$0.isEmpty }
            guard let first = nonEmpty.first else { return [] }
            return nonEmpty.count > 1 ? [first, nonEmpty.last!] : [first]
        }
        var counts: [String: Int] = [:]
        for page in pages {
            for k in Set(edgeLines(page).map(key)) where !k.isEmpty { counts[k, default: 0] += 1 }
        }
        let threshold = (pages.count + 1) / 2
        let running = Set(counts.filter { $0.value >= max(threshold, 2) }.keys)
        guard !running.isEmpty else { return 0 }
        var removed = 0
        for index in pages.indices {
            let edges = Set(edgeLines(pages[index]))
            pages[index] = pages[index].filter { line in
                if edges.contains(line) && running.contains(key(line)) {
                    removed += 1
                    return false
                }
                return true
            }
        }
        return removed
    }

    private static func endsWithBreakHyphen(_ line: String) -> Bool {
        guard line.count >= 2, line.last == "-" else { return false }
        // A wrapped URL, address or handle keeps its hyphen: `linkedin.com/in/chloe-` + `faure-364`.
        let lastWord = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).last ?? ""
        if lastWord.contains("/") || lastWord.contains("@") || lastWord.contains(".") { return false }
        return line.dropLast().last?.isLetter == true
    }

    private static func startsLowercase(_ line: String) -> Bool {
        line.first?.isLowercase == true
    }

    /// Windows-1252 code page: ASCII, then the C1 range's typographic characters, then Latin-1.
    private static let windows1252: [Unicode.Scalar] = (0...255).map { byte -> Unicode.Scalar in
        let c1: [UInt32] = [0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030,
                            0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C,
                            0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD,
                            0x017E, 0x0178]
        if (0x80...0x9F).contains(byte) { return Unicode.Scalar(c1[byte - 0x80])! }
        return Unicode.Scalar(UInt32(byte))!
    }
}
