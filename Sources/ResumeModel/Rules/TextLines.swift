/// One line of resume text as the parser sees it.
package struct TextLine: Hashable, Sendable {
    /// The text, trimmed, without its bullet marker.
    package var text: String
    /// The line started with a bullet (`•`, `-`, `*`, `▪`, `›`, `o`, …).
    package var isBullet: Bool
    /// A blank line came before it.
    package var blankBefore: Bool
    /// Written as a heading in plain text (`## Skills`, or underlined with `---`/`===`).
    package var markedHeading: Bool = false

    package init(_ text: String, isBullet: Bool = false, blankBefore: Bool = false, markedHeading: Bool = false) {
        self.text = text
        self.isBullet = isBullet
        self.blankBefore = blankBefore
        self.markedHeading = markedHeading
    }
}

/// Turns extracted text into `TextLine`s: splits lines, drops rules (`-----`), marks bullets, and lays tables
/// out in reading order. Tables arrive as tab-separated cells (DOCX, ODT, HTML) or as antiword's
/// `|cell |cell |` rows (DOC). A layout table (a sidebar, a name/contact header) is read column by column,
/// so the sidebar does not interleave with the main column; a table whose first column holds only dates is
/// read row by row, and a small data table (skills) keeps its rows with cells joined by a tab.
package enum TextLines {
    /// Text that lost its line breaks (an ATS export, a copy-paste, HTML turned to text) keeps its blocks apart
    /// with runs of spaces instead. A line that long (over 300 bytes) with at least three runs of two or more
    /// spaces is such text: it is cut at those runs into the lines it was, a run of five or more standing for a
    /// blank line. Single spaces never cut (prose); tabs are table cells and are left alone. Nil: an ordinary
    /// line.
    static func unflatten(_ line: Substring.UTF8View.SubSequence) -> [(String, Bool)]? {
        guard line.count > 300 else { return nil }
        var runs = 0
        var run = 0
        for byte in line {
            if byte == 0x20 {
                run += 1
            } else {
                if run >= 2 { runs += 1 }
                run = 0
            }
        }
        guard runs >= 3 else { return nil }
        var pieces: [(String, Bool)] = []
        var start = line.startIndex
        var index = line.startIndex
        var gapBefore = false
        while index < line.endIndex {
            guard line[index] == 0x20 else {
                index = line.index(after: index)
                continue
            }
            var end = index
            var spaces = 0
            while end < line.endIndex, line[end] == 0x20 {
                spaces += 1
                end = line.index(after: end)
            }
            if spaces >= 2 {
                let text = Substring(line[start..<index]).trimmed
                if !text.isEmpty {
                    pieces.append((text, gapBefore))
                    gapBefore = false
                }
                if spaces >= 5 { gapBefore = true }
                start = end
            }
            index = end
        }
        let last = Substring(line[start..<line.endIndex]).trimmed
        if !last.isEmpty { pieces.append((last, gapBefore)) }
        return pieces
    }

    package static func split(_ text: String) -> [TextLine] {
        var raw: [(String, Bool)] = []  // text, blank before
        var blank = false
        for piece in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
            if let pieces = unflatten(piece) {
                for (line, gap) in pieces {
                    raw.append((line, blank || gap))
                    blank = false
                }
                continue
            }
            let trimmed = Substring(piece).trimmed
            if trimmed.isEmpty {
                blank = true
                continue
            }
            raw.append((trimmed, blank))
            blank = false
        }
        raw = FormLabels.rewrite(joinWrappedEmails(joinBrokenWords(raw.flatMap(capped))))
        var result: [TextLine] = []
        var i = 0
        while i < raw.count {
            if let cells = tableCells(raw[i].0) {
                var rows = [cells]
                var j = i + 1
                while j < raw.count, let next = tableCells(raw[j].0) {
                    rows.append(next)
                    j += 1
                }
                let laidOut = layOut(rows)
                for (offset, line) in laidOut.enumerated() {
                    appendLine(line, blankBefore: offset == 0 ? raw[i].1 : false, to: &result)
                }
                i = j
                continue
            }
            appendLine(raw[i].0, blankBefore: raw[i].1, to: &result)
            i += 1
        }
        return result
    }

    /// An e-mail address a narrow column wrapped ("thao70@mail.exampl" / "e.com", "name@" / "example.com"):
    /// the next line's first word completes it when the line ends in the address's first part and that word is
    /// lower-case letters, digits, dots and hyphens that make the domain whole.
    static func joinWrappedEmails(_ raw: [(String, Bool)]) -> [(String, Bool)] {
        guard raw.contains(where: { $0.0.utf8.contains(0x40) }) else { return raw }
        var lines = raw
        var index = 0
        while index + 1 < lines.count {
            defer { index += 1 }
            let line = lines[index].0
            guard line.utf8.contains(0x40), let last = line.split(separator: " ").last, last.contains("@") else { continue }
            let next = lines[index + 1].0
            guard let word = next.split(separator: " ", maxSplits: 1).first,
                  word.allSatisfy({ ($0.isLetterFast && $0.isLowercaseFast) || $0.isNumberFast || $0 == "." || $0 == "-" }),
                  !Contacts.emails(in: String(last) + word).isEmpty else { continue }
            let domain = String(last.split(separator: "@", omittingEmptySubsequences: false).last ?? "")
            let tld = domain.split(separator: ".").last.map(String.init) ?? ""
            // Whole already ("jane@example.com" over "london", over "jane.example.com"): only a cut domain
            // takes the next word — cut at "@" or a dot, without a dot yet, inside a word that is no known
            // top-level domain ("mail.exampl" + "e.com"), or inside its top-level domain ("example.co" + "m").
            let cut = domain.isEmpty || last.hasSuffix(".") || last.hasSuffix("-")
                || (!domain.contains(".") && word.contains("."))
                || (domain.contains(".") && !topLevelDomains.contains(tld) && word.contains("."))
                || (domain.contains(".") && word.count <= 2 && !word.contains(".") && word.allSatisfy(\.isLetterFast))
            guard cut else { continue }
            lines[index].0 = line + word
            lines[index + 1].0 = String(next.dropFirst(word.count)).trimmed
        }
        return lines.filter { !$0.0.isEmpty }
    }

    /// The longest line the parser reads whole. A longer one (text without line breaks that no run of spaces
    /// could cut) is cut at the last space before every `lineCap` bytes, so that no per-line step — all linear
    /// or at worst quadratic in the line — can take long on a pathological upload.
    static let lineCap = 2_000

    static func capped(_ line: (String, Bool)) -> [(String, Bool)] {
        let utf8 = line.0.utf8
        guard utf8.count > lineCap else { return [line] }
        // A table row (cells apart by tabs) is laid out into its cells first, each a line of its own: only a row
        // past 64 KiB is cut, where it would be anyway.
        if utf8.contains(0x09), utf8.count <= 64 << 10 { return [line] }
        var pieces: [(String, Bool)] = []
        var start = utf8.startIndex
        while utf8.distance(from: start, to: utf8.endIndex) > lineCap {
            var end = utf8.index(start, offsetBy: lineCap)
            // Back to a space, so no word (nor a multi-byte character) is cut; none in 200 bytes: cut there.
            var back = end
            var steps = 0
            while back > start, utf8[back] != 0x20, steps < 200 {
                back = utf8.index(before: back)
                steps += 1
            }
            if utf8[back] == 0x20, back > start { end = back }
            while end < utf8.endIndex, (utf8[end] & 0xC0) == 0x80 { end = utf8.index(after: end) }
            pieces.append((String(line.0[start..<end]).trimmed, pieces.isEmpty && line.1))
            start = end
        }
        pieces.append((String(line.0[start...]).trimmed, false))
        return pieces.filter { !$0.0.isEmpty }
    }

    /// A word a narrow column broke before its last letters ("Berufserfahrun" / "g"): a line of one to three
    /// lower-case letters alone after a line ending in a letter finishes that line's last word.
    static func joinBrokenWords(_ raw: [(String, Bool)]) -> [(String, Bool)] {
        guard raw.count >= 2 else { return raw }
        var result: [(String, Bool)] = []
        result.reserveCapacity(raw.count)
        for line in raw {
            let text = line.0
            // Not list items ("Terraform" / "aws"): the line before holds no list separator, and the word made is
            // a long one.
            if !line.1, text.utf8.count <= 3, text.allSatisfy({ $0.isLowercaseFast }), let last = result.last,
               last.0.last?.isLetterFast == true, last.0.last?.isLowercaseFast == true,
               !last.0.contains(where: { ",;|·•".contains($0) }),
               (last.0.split(separator: " ").last?.count ?? 0) + text.count >= 8 {
                result[result.count - 1].0 += text
                continue
            }
            result.append(line)
        }
        return result
    }

    static let topLevelDomains: Set<String> = [
        "com", "org", "net", "edu", "gov", "io", "co", "uk", "de", "fr", "es", "it", "nl", "pl", "in", "au", "ca",
        "br", "jp", "cn", "us", "info", "biz", "me", "ai", "app", "dev", "eu", "ch", "at", "be", "se", "no", "dk",
        "fi", "ie", "pt", "ru", "mx", "ar", "za", "ng", "sg", "nz", "kr", "tw", "hk", "tech", "xyz",
    ]

    /// "Page 2 of 3", "Page 2", "- 2 -", "2 / 3": a page's number, printed by the exporter.
    package static func isPageNumber(_ text: String) -> Bool {
        guard text.utf8.count <= 20, text.contains(where: \.isNumberFast) else { return false }
        let words = text.lowercased().split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "/" || $0 == "|" })
        guard !words.isEmpty else { return false }
        // Page numbers have at most three digits: "2019 - 2021" is a date range. (A rating written alone on its
        // line, "4/5", goes too: a footer's "1/2" cannot be told from it.)
        return words.allSatisfy { word in
            (word.allSatisfy(\.isNumberFast) && word.count <= 3)
                || ["page", "of", "seite", "von", "pagina", "de", "sur", "p."].contains(word)
        } && (words.count <= 2 || words.contains("page") || words.contains("seite") || words.contains("pagina"))
    }

    /// A line that runs several bullets together ("… Since 2021 ▪ Educated patients … ▪ Trained 4 new
    /// colleagues …", text whose line breaks became spaces): cut before each bullet mark that has four or more
    /// words on both sides. Short items ("Python • Go", "e-mail • phone") stay on their line.
    static func cutAtInnerBullets(_ text: String) -> [String] {
        // The marks are U+2022…U+27BF, three UTF-8 bytes from 0xE2: a line without that byte has none.
        guard text.utf8.count > 40, text.utf8.contains(0xE2),
              text.unicodeScalars.contains(where: { $0.value >= 0x2022 && $0.value <= 0x27BF }) else {
            return [text]
        }
        var pieces: [String] = []
        var current = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character != "·", strongBullets.contains(character), !current.isEmpty, current.last == " ",
               next < text.endIndex, text[next] == " " {
                let after = text[next...].prefix(while: { !(strongBullets.contains($0) && $0 != "·") })
                if current.wordCount >= 4, after.wordCount >= 4 {
                    pieces.append(current.trimmed)
                    current = String(character)
                    index = next
                    continue
                }
            }
            current.append(character)
            index = next
        }
        pieces.append(current.trimmed)
        return pieces.filter { !$0.isEmpty }
    }

    /// A heading and its underline run onto one line ("Expérience professionnelle ------ Marketing
    /// Coordinator", plain text whose line breaks became spaces): the heading, marked, and what follows.
    static func cutAtInlineRule(_ text: String) -> (String, String)? {
        guard text.utf8.count > 8, text.has(" ---") || text.has(" ===") else { return nil }
        let words = text.split(separator: " ")
        guard let rule = words.firstIndex(where: { $0.count >= 3 && isRule(String($0)) }), rule > 0 else { return nil }
        let heading = words[..<rule].joined(separator: " ")
        guard heading.wordCount <= 5 else { return nil }
        return (heading, words[(rule + 1)...].joined(separator: " "))
    }

    private static func appendLine(_ text: String, blankBefore: Bool, to lines: inout [TextLine]) {
        if let (heading, rest) = cutAtInlineRule(text) {
            lines.append(TextLine(heading, isBullet: false, blankBefore: blankBefore, markedHeading: true))
            if !rest.isEmpty { appendLine(rest, blankBefore: false, to: &lines) }
            return
        }
        let pieces = cutAtInnerBullets(text)
        if pieces.count > 1 {
            for (offset, piece) in pieces.enumerated() {
                appendLine(piece, blankBefore: offset == 0 && blankBefore, to: &lines)
            }
            return
        }
        if isPageNumber(text) { return }
        // A rule under a heading ("Skills" / "------") marks that heading; other rules are dropped.
        if isRule(text) {
            if !lines.isEmpty && !lines[lines.count - 1].isBullet { lines[lines.count - 1].markedHeading = true }
            return
        }
        var text = text
        var marked = false
        if text.hasPrefix("#") {
            text = text.trimmed(["#"])
            marked = true
            if text.isEmpty { return }
        }
        if let body = bulletBody(text) {
            if body.isEmpty { return }
            lines.append(TextLine(body, isBullet: true, blankBefore: blankBefore))
        } else {
            lines.append(TextLine(text, isBullet: false, blankBefore: blankBefore, markedHeading: marked))
        }
    }

    package static func isRule(_ text: String) -> Bool {
        guard let first = text.first, ruleCharacters.contains(first) else { return false }
        return text.allSatisfy { ruleCharacters.contains($0) } && text.count >= 3
    }

    package static let ruleCharacters: Set<Character> = ["-", "=", "_", "*", "~", "#", "·", "•", "─", "━", "═"]

    /// The text after a bullet marker, or nil when the line does not start with one.
    package static func bulletBody(_ text: String) -> String? {
        guard let first = text.first else { return nil }
        if strongBullets.contains(first) {
            return String(text.dropFirst()).trimmed
        }
        if weakBullets.contains(first) {
            let rest = text.dropFirst()
            guard let second = rest.first, second == " " || second == "\t" else { return nil }
            return rest.trimmed
        }
        return nil
    }

    package static let strongBullets: Set<Character> = [
        "•", "▪", "◦", "●", "○", "■", "□", "►", "▸", "›", "‣", "⁃",
        "∙", "➢", "➤", "✓", "✔", "◆", "♦", "❖", "»", "→", "·",
    ]
    /// Marks that are bullets only when a space follows ("- item", "o item").
    package static let weakBullets: Set<Character> = ["-", "–", "—", "*", "o", "+", "~"]

    // MARK: Tables

    /// The cells of a table row: tab-separated, or antiword's `|a |b |`. Nil for an ordinary line.
    package static func tableCells(_ line: String) -> [String]? {
        if line.has(ascii: 0x09) {
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmed }
            return cells.count >= 2 ? cells : nil
        }
        guard line.count >= 3, line.first == "|", line.last == "|" else { return nil }
        // antiword pads cells on the right and starts each at the pipe: a pipe followed by a space inside a
        // cell is the cell's own text ("Go | Java"), a pipe followed by text starts the next cell.
        let pieces = line.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false)
        var cells: [String] = []
        for piece in pieces {
            if let first = piece.first, first == " ", !piece.trimmed.isEmpty, !cells.isEmpty {
                cells[cells.count - 1] += " |" + piece
            } else {
                cells.append(String(piece))
            }
        }
        let trimmedCells = cells.map { $0.trimmed }
        return trimmedCells.count >= 2 ? trimmedCells : nil
    }

    /// Reading order for a run of table rows.
    package static func layOut(_ rows: [[String]]) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let firstColumn = rows.compactMap { $0.first }.filter { !$0.isEmpty }
        let datesFirst = !firstColumn.isEmpty && firstColumn.allSatisfy { cell in
            let spans = DateScanner.scan(cell)
            guard !spans.isEmpty else { return false }
            return DateScanner.removing(spans, from: cell).trimmed(["(", ")", ",", "-", "–"]).wordCount <= 1
        }
        if datesFirst {
            // A date column: each row reads "dates  text"; rows without a date continue the entry.
            return rows.map { $0.filter { !$0.isEmpty }.joined(separator: " ") }.filter { !$0.isEmpty }
        }
        // A form of sections: headings in the first column ("Skills" | "Python, Go"; "Experience" | the jobs),
        // read row by row with each heading before its content.
        let headed = firstColumn.filter { Sections.headingKind($0) != nil }.count
        if headed >= 2, headed * 5 >= firstColumn.count * 2 {
            var lines: [String] = []
            for row in rows {
                for cell in row where !cell.isEmpty { lines.append(cell) }
            }
            return lines
        }
        let hasEmptyCell = rows.contains { row in row.count < columns || row.contains(where: \.isEmpty) }
        if rows.count >= 6 || hasEmptyCell {
            var lines: [String] = []
            for column in 0..<columns {
                for row in rows where column < row.count && !row[column].isEmpty {
                    lines.append(row[column])
                }
            }
            return lines
        }
        return rows.map { $0.filter { !$0.isEmpty }.joined(separator: "\t") }
    }
}
