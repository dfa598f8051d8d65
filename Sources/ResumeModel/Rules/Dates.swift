/// A date as precise as the resume shows it: a year, or a year and a month.
package struct ResumeDate: Equatable, Sendable, Comparable {
    package var year: Int
    package var month: Int?

    /// The ISO 8601 prefix: `2019` or `2019-03`.
    package var iso: String {
        guard let month else { return String(year) }
        return String(year) + (month < 10 ? "-0" : "-") + String(month)
    }

    package static func < (a: ResumeDate, b: ResumeDate) -> Bool {
        (a.year, a.month ?? 0) < (b.year, b.month ?? 0)
    }
}

/// One date or date range found in a line, with where it sits.
package struct DateSpan: Equatable, Sendable {
    package var start: ResumeDate?
    /// The end; `nil` with `isCurrent` for "present", `nil` alone for a single date.
    package var end: ResumeDate?
    /// The range ends with a word for "present" (present, heute, aujourd'hui, actualidad…) or starts with
    /// "since" (seit, depuis, desde).
    package var isCurrent: Bool
    /// Two dates (or a date and "present") joined by a range separator, or "since DATE".
    package var isRange: Bool
    /// Where the span is in the line it was found in.
    package var range: Range<String.Index>

    /// A single date (no range): the date itself.
    package var single: ResumeDate? { isRange ? nil : start }
}

/// Finds dates and date ranges in one line: `Jan 2019 – Present`, `01/2019 - 03/2021`, `2019-01 to 2021-03`,
/// `2018 – 2020`, `since 2020`, `März 2019 – heute`, `sept. 2017 à aujourd'hui`, `desde 2020`,
/// `03.2019`, `14.03.2019`, `2019-03-14`. Month names in English, German, French and Spanish. Years outside
/// 1950...2049 are ignored (so `ISO 9001`, `1200 staff` are not dates). A pure scanner over the line's
/// tokens; no regular expressions.
package enum DateScanner {
    /// Every date and range in `line`, in order, not overlapping.
    package static func scan(_ line: some StringProtocol) -> [DateSpan] {
        let text = String(line)
        guard hasDigit(text) else { return [] }
        let tokens = tokenize(text)
        var spans: [DateSpan] = []
        var i = 0
        while i < tokens.count {
            // "since 2020", "seit März 2019", "depuis 2018", "desde 2020", "from 2019" (without an end).
            if tokens[i].kind == .word, sinceWords.contains(tokens[i].folded),
               let (date, next) = date(at: i + 1, in: tokens) {
                if let (_, end, current, after) = rangeTail(from: next, in: tokens, start: date) {
                    spans.append(DateSpan(start: date, end: end, isCurrent: current, isRange: true,
                                          range: tokens[i].range.lowerBound..<tokens[after - 1].range.upperBound))
                    i = after
                } else {
                    let isSince = tokens[i].folded != "from" && tokens[i].folded != "von" && tokens[i].folded != "de"
                    spans.append(DateSpan(start: date, end: nil, isCurrent: isSince, isRange: isSince,
                                          range: tokens[i].range.lowerBound..<tokens[next - 1].range.upperBound))
                    i = next
                }
                continue
            }
            guard let (date, next) = date(at: i, in: tokens) else {
                i += 1
                continue
            }
            if let (_, end, current, after) = rangeTail(from: next, in: tokens, start: date) {
                spans.append(DateSpan(start: date, end: end, isCurrent: current, isRange: true,
                                      range: tokens[i].range.lowerBound..<tokens[after - 1].range.upperBound))
                i = after
            } else {
                spans.append(DateSpan(start: date, end: nil, isCurrent: false, isRange: false,
                                      range: tokens[i].range.lowerBound..<tokens[next - 1].range.upperBound))
                i = next
            }
        }
        return spans
    }

    /// The first range (two dates, or a date and "present", or "since DATE") in `line`.
    package static func firstRange(in line: some StringProtocol) -> DateSpan? {
        scan(line).first(where: \.isRange)
    }

    /// `line` with the characters of `spans` removed.
    package static func removing(_ spans: [DateSpan], from line: String) -> String {
        guard !spans.isEmpty else { return line }
        var result = ""
        var cursor = line.startIndex
        let ordered = spans.sorted { $0.range.lowerBound < $1.range.lowerBound }
        for span in ordered where span.range.lowerBound >= cursor {
            result += line[cursor..<span.range.lowerBound]
            result += " "
            cursor = span.range.upperBound
        }
        result += line[cursor...]
        return result
    }

    /// Whether `text` holds an ASCII digit (every date does).
    package static func hasDigit(_ text: String) -> Bool {
        text.utf8.contains { $0 >= 0x30 && $0 <= 0x39 }
    }

    // MARK: Tokens

    package enum Kind: Equatable { case word, number, punct }

    package struct Token {
        package var kind: Kind
        /// Lower case without diacritics for words; the digits for numbers; the character for punctuation.
        package var folded: String
        package var range: Range<String.Index>
        package var spaceBefore: Bool
        /// A word that starts with a capital letter.
        package var capitalised = false
        /// The value of a number token.
        package var value: Int { Int(folded) ?? -1 }
    }

    package static func tokenize(_ text: String) -> [Token] {
        var tokens: [Token] = []
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        var spaceBefore = true
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if scalar == " " || (scalar.value >= 0x09 && scalar.value <= 0x0D)
                || (!scalar.isASCII && scalar.properties.isWhitespace) {
                spaceBefore = true
                index = scalars.index(after: index)
                continue
            }
            let start = index
            if ("0"..."9").contains(scalar) {
                var end = scalars.index(after: index)
                while end < scalars.endIndex, ("0"..."9").contains(scalars[end]) { end = scalars.index(after: end) }
                tokens.append(Token(kind: .number, folded: String(scalars[start..<end]), range: start..<end,
                                    spaceBefore: spaceBefore))
                index = end
            } else if isLetter(scalar) {
                var end = scalars.index(after: index)
                var ascii = scalar.isASCII
                while end < scalars.endIndex {
                    let s = scalars[end]
                    if isLetter(s) || (!s.isASCII && s.properties.generalCategory == .nonspacingMark) {
                        ascii = ascii && s.isASCII
                        end = scalars.index(after: end)
                    } else if s == "'" || s == "’", scalars.index(after: end) < scalars.endIndex,
                              isLetter(scalars[scalars.index(after: end)]) {
                        ascii = ascii && s.isASCII
                        end = scalars.index(after: end)
                    } else {
                        break
                    }
                }
                let word = String(scalars[start..<end])
                tokens.append(Token(kind: .word, folded: ascii ? word.lowercased() : TextFold.key(word),
                                    range: start..<end, spaceBefore: spaceBefore,
                                    capitalised: scalar.properties.isUppercase))
                index = end
            } else {
                let end = scalars.index(after: index)
                tokens.append(Token(kind: .punct, folded: String(scalar), range: start..<end, spaceBefore: spaceBefore))
                index = end
            }
            spaceBefore = false
        }
        return tokens
    }

    package static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let v = scalar.value
            return (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
        }
        return scalar.properties.isAlphabetic
    }

    // MARK: Dates

    /// A date starting at token `i`, and the index after it.
    package static func date(at i: Int, in tokens: [Token]) -> (ResumeDate, Int)? {
        guard i < tokens.count else { return nil }
        let t = tokens[i]
        switch t.kind {
        case .word:
            // "Jan 2019", "Jan. 2019", "January, 2019", "März 2019", "janv. 2019".
            guard let month = months[t.folded] else { return nil }
            var j = i + 1
            if j < tokens.count, tokens[j].kind == .punct, tokens[j].folded == "." || tokens[j].folded == "," {
                j += 1
            }
            // "Jan '19", "May ’21": the year's last two digits after an apostrophe.
            if j + 1 < tokens.count, tokens[j].kind == .punct, tokens[j].folded == "'" || tokens[j].folded == "’",
               !tokens[j + 1].spaceBefore, tokens[j + 1].kind == .number, tokens[j + 1].folded.count == 2 {
                let short = tokens[j + 1].value
                return (ResumeDate(year: short < 50 ? 2000 + short : 1900 + short, month: month), j + 2)
            }
            guard j < tokens.count, tokens[j].kind == .number, tokens[j].folded.count == 4,
                  let year = plausibleYear(tokens[j].value) else { return nil }
            return (ResumeDate(year: year, month: month), j + 1)
        case .number:
            let digits = t.folded.count
            if digits == 4 {
                guard let year = plausibleYear(t.value) else { return nil }
                // "2019-03", "2019/03", "2019-03-14", "2019.03".
                if i + 2 < tokens.count, tokens[i + 1].kind == .punct, ["-", "/", "."].contains(tokens[i + 1].folded),
                   !tokens[i + 1].spaceBefore, !tokens[i + 2].spaceBefore, tokens[i + 2].kind == .number,
                   tokens[i + 2].folded.count <= 2, (1...12).contains(tokens[i + 2].value) {
                    var next = i + 3
                    if next + 1 < tokens.count, tokens[next].kind == .punct,
                       tokens[next].folded == tokens[i + 1].folded, !tokens[next].spaceBefore,
                       tokens[next + 1].kind == .number, tokens[next + 1].folded.count <= 2 {
                        next += 2
                    }
                    return (ResumeDate(year: year, month: tokens[i + 2].value), next)
                }
                return (ResumeDate(year: year, month: nil), i + 1)
            }
            guard digits <= 2, i + 2 < tokens.count, tokens[i + 1].kind == .punct,
                  ["/", ".", "-"].contains(tokens[i + 1].folded), !tokens[i + 1].spaceBefore,
                  !tokens[i + 2].spaceBefore, tokens[i + 2].kind == .number else { return nil }
            let separator = tokens[i + 1].folded
            if tokens[i + 2].folded.count == 4 {
                // "03/2019", "3/2019", "03.2019", "03-2019".
                guard (1...12).contains(t.value), let year = plausibleYear(tokens[i + 2].value) else { return nil }
                return (ResumeDate(year: year, month: t.value), i + 3)
            }
            // "14.03.2019" (day first) or "03/14/2019" (month first).
            guard tokens[i + 2].folded.count <= 2, i + 4 < tokens.count, tokens[i + 3].folded == separator,
                  !tokens[i + 3].spaceBefore, !tokens[i + 4].spaceBefore, tokens[i + 4].kind == .number,
                  tokens[i + 4].folded.count == 4, let year = plausibleYear(tokens[i + 4].value) else { return nil }
            let first = t.value, second = tokens[i + 2].value
            let month: Int
            if separator == "/" && (1...12).contains(first) && second > 12 {
                month = first
            } else if (1...12).contains(second) && (1...31).contains(first) {
                month = second
            } else if (1...12).contains(first) {
                month = first
            } else {
                return nil
            }
            return (ResumeDate(year: year, month: month), i + 5)
        case .punct:
            return nil
        }
    }

    /// After a date at `i`: a separator and an end date or a "present" word; returns the end (nil when
    /// current), whether it is current, and the index after it.
    package static func rangeTail(from i: Int, in tokens: [Token], start: ResumeDate? = nil)
        -> (ResumeDate?, ResumeDate?, Bool, Int)? {
        var j = i
        var sawSeparator = false
        while j < tokens.count, j < i + 2 {
            let t = tokens[j]
            if t.kind == .punct, rangePunctuation.contains(t.folded) {
                sawSeparator = true
                j += 1
            } else if t.kind == .word, rangeWords.contains(t.folded) {
                sawSeparator = true
                j += 1
            } else {
                break
            }
        }
        guard sawSeparator, j < tokens.count else { return nil }
        if let (end, after) = date(at: j, in: tokens) {
            return (nil, end, false, after)
        }
        // "2019–21": a year-only start and the end year's last two digits, later than the start.
        // Not a count: "2019 - 20 employees" (a lower-case word after the number; "2010–14 Bachelor …" is a range).
        if let start, start.month == nil, tokens[j].kind == .number, tokens[j].folded.count == 2,
           j + 1 >= tokens.count || !(tokens[j + 1].kind == .punct && !tokens[j + 1].spaceBefore
               && ["/", ".", "-"].contains(tokens[j + 1].folded)),
           j + 1 >= tokens.count || tokens[j + 1].kind != .word || tokens[j + 1].capitalised {
            let end = start.year / 100 * 100 + tokens[j].value
            if end >= start.year, end <= start.year + 50 { return (nil, ResumeDate(year: end, month: nil), false, j + 1) }
        }
        var k = j
        while k < tokens.count, k < j + 2, tokens[k].kind == .word, presentFillers.contains(tokens[k].folded) { k += 1 }
        if k < tokens.count, tokens[k].kind == .word, presentWords.contains(tokens[k].folded) {
            return (nil, nil, true, k + 1)
        }
        // "bis heute" style where the filler itself means present ("aujourd'hui" is one token).
        return nil
    }

    package static func plausibleYear(_ value: Int) -> Int? {
        (1950...2049).contains(value) ? value : nil
    }

    // MARK: Vocabulary

    package static let months: [String: Int] = {
        let names: [[String]] = [
            ["jan", "january", "januar", "janvier", "janv", "enero", "ene", "jänner", "jaenner"],
            ["feb", "february", "februar", "fevrier", "fevr", "fev", "febrero"],
            ["mar", "march", "marz", "maerz", "mrz", "mars", "marzo"],
            ["apr", "april", "avril", "avr", "abril", "abr"],
            ["may", "mai", "mayo"],
            ["jun", "june", "juni", "juin", "junio"],
            ["jul", "july", "juli", "juillet", "juil", "julio"],
            ["aug", "august", "aout", "agosto", "ago"],
            ["sep", "sept", "september", "septembre", "septiembre", "setiembre"],
            ["oct", "october", "okt", "oktober", "octobre", "octubre"],
            ["nov", "november", "novembre", "noviembre"],
            ["dec", "december", "dez", "dezember", "decembre", "diciembre", "dic"],
        ]
        var map: [String: Int] = [:]
        for (offset, list) in names.enumerated() {
            for name in list { map[name] = offset + 1 }
        }
        return map
    }()

    package static let rangePunctuation: Set<String> = ["-", "–", "—", "‒", "―", "~", "→", "−", "‐", "‑"]
    package static let rangeWords: Set<String> = ["to", "until", "till", "through", "thru", "bis", "a", "au", "jusqu'a",
                                          "hasta", "al", "tot"]
    package static let presentWords: Set<String> = [
        "present", "current", "currently", "now", "today", "ongoing", "date", "heute", "jetzt", "aktuell", "dato",
        "derzeit", "laufend", "aujourd'hui", "actuel", "actuellement", "maintenant", "cours", "presente",
        "actualidad", "hoy", "actual", "actualmente", "fecha", "nu", "heden", "jour",
    ]
    package static let presentFillers: Set<String> = ["en", "la", "el", "ce", "the", "this", "zum"]
    package static let sinceWords: Set<String> = ["since", "seit", "depuis", "desde", "from", "von", "ab", "de"]
}
