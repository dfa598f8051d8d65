/// Reads the jobs of an experience section.
///
/// Each job is anchored on a line holding a date range. The employer and the position sit on that line
/// ("Data Engineer | Acme | 2019 – 2021", "Data Engineer, 2019 – 2021") or on the line next to it: before it
/// when the first range is not the section's first line ("Acme" / "Data Engineer (2019 – 2021)", "Data
/// Engineer — Acme" / "2019 – 2021"), after it otherwise ("2019 – 2021 Data Engineer" / "Acme"). Which
/// part is the position and which the employer is decided by their words ("Engineer", "Manager"… against
/// "GmbH", "Inc.", "Labs"…), first part = position when nothing tells. Bullets and sentences up to the next
/// job are its highlights.
package enum WorkEntries {
    package enum Orientation { case before, after }

    package static func parse(_ input: [TextLine]) -> [JSONResume.Work] {
        let lines = EntryText.unwrap(input.flatMap(cutAfterLeadingRange))
        var anchors: [(index: Int, span: DateSpan)] = []
        for (index, line) in lines.enumerated() {
            guard let span = DateScanner.firstRange(in: line.text) else { continue }
            let rest = EntryText.clean(EntryText.removingDurations(DateScanner.removing([span], from: line.text)))
            if rest.wordCount <= 14 { anchors.append((index, span)) }
        }
        guard let firstAnchor = anchors.first else { return [] }
        let orientation: Orientation
        if firstAnchor.index > 0, !lines[firstAnchor.index - 1].isBullet,
           EntryText.isTitleLike(lines[firstAnchor.index - 1].text) {
            orientation = .before
        } else {
            orientation = .after
        }

        struct Header {
            package var work = JSONResume.Work()
            package var first: Int
            package var last: Int
        }
        var headers: [Header] = []
        for (k, anchor) in anchors.enumerated() {
            let a = anchor.index
            let lowerLimit = k == 0 ? 0 : anchors[k - 1].index + 1
            let upperLimit = k + 1 < anchors.count ? anchors[k + 1].index : lines.count
            var header = Header(first: a, last: a)
            header.work.startDate = anchor.span.start?.iso
            header.work.endDate = anchor.span.end?.iso
            let residual = EntryText.clean(EntryText.removingDurations(
                DateScanner.removing([anchor.span], from: lines[a].text)))
            var parts = residual.isEmpty ? [] : EntryText.parts(residual)
            // "June 2022 - Present (3 years) Denver, USA": the job's place beside its dates.
            if !residual.isEmpty, Places.location(residual, lenient: false) != nil {
                header.work.location = residual
                parts = []
            }

            func usable(_ i: Int) -> Bool {
                i >= lowerLimit && i < upperLimit && i != a && !lines[i].isBullet
                    && EntryText.isTitleLike(lines[i].text)
                    && Places.location(lines[i].text, lenient: false) == nil
            }

            if parts.count < 2 {
                let neighbour = orientation == .before ? a - 1 : a + 1
                if usable(neighbour) {
                    let other = lines[neighbour].text
                    header.first = min(header.first, neighbour)
                    header.last = max(header.last, neighbour)
                    if parts.isEmpty {
                        parts = EntryText.parts(other)
                        let further = orientation == .before ? a - 2 : a + 2
                        if parts.count == 2, orientation == .before, isPlace(parts[1]),
                           Vocabulary.titleScore(parts[0]) == 0, usable(further),
                           Vocabulary.titleScore(lines[further].text) > 0 || Vocabulary.companyScore(parts[0]) > 0 {
                            // Job-board exports: "Title" / "Company - City" / "dates".
                            header.first = min(header.first, further)
                            header.work.location = parts[1]
                            parts = [lines[further].text, parts[0]]
                        } else if parts.count == 2, orientation == .before, isPlace(parts[1]),
                                  Vocabulary.titleScore(parts[0]) == 0, Vocabulary.companyScore(parts[0]) > 0,
                                  further >= lowerLimit, further < a, let title = trailingTitle(lines[further].text) {
                            // The same with the title run onto the end of the job before's last line ("…
                            // first-pass accuracy Junior Accountant").
                            header.work.location = parts[1]
                            parts = [title, parts[0]]
                        } else if parts.count == 1 {
                            // "Position" / "Company" / "dates", or "dates" / "Position" / "Company".
                            if usable(further) {
                                header.first = min(header.first, further)
                                header.last = max(header.last, further)
                                parts = orientation == .before
                                    ? [lines[further].text, other] : [other, lines[further].text]
                            }
                        }
                    } else {
                        parts.append(employerPart(other, location: &header.work.location))
                    }
                }
            }
            assign(parts, to: &header.work)
            // "… a prioritised backlog Atlas Design" / "Senior Product Designer" / "Apr 2012 - Sep 2016": the
            // employer ran onto the end of the job before's last line.
            if orientation == .before, header.work.name == nil, header.work.position != nil,
               header.first - 1 >= lowerLimit, header.first - 1 < a, header.first >= 1,
               let employer = capitalisedRunAtEnd(lines[header.first - 1].text) {
                header.work.name = employer
            }
            headers.append(header)
        }

        var result: [JSONResume.Work] = []
        for (k, header) in headers.enumerated() {
            var work = header.work
            let end = k + 1 < headers.count ? headers[k + 1].first : lines.count
            var highlights: [String] = []
            if header.last + 1 < end {
                for line in lines[(header.last + 1)..<end] {
                    if !line.isBullet, work.location == nil, EntryText.isTitleLike(line.text),
                       Places.location(line.text, lenient: true) != nil {
                        work.location = line.text
                        continue
                    }
                    highlights.append(line.text)
                }
            }
            if !highlights.isEmpty { work.highlights = highlights }
            result.append(work)
        }
        return result
    }

    /// A line that starts with a date range and runs on into the next block ("January 2020 - Present (4 years)
    /// Lisbon, Portugal Owned the onboarding funnel."): cut after the range, when four or more words follow,
    /// starting with a capital.
    package static func cutAfterLeadingRange(_ line: TextLine) -> [TextLine] {
        guard line.text.utf8.count > 30, let first = line.text.utf8.first,
              (0x30...0x39).contains(first) || line.text.first?.isUppercaseFast == true,
              let span = DateScanner.firstRange(in: line.text), span.range.lowerBound == line.text.startIndex else {
            return [line]
        }
        let rest = EntryText.removingDurations(String(line.text[span.range.upperBound...]))
            .trimmed(["·", "|", ",", "-", "–", "•"])
        guard rest.wordCount >= 4, rest.first?.isUppercaseFast == true else { return [line] }
        var head = line
        head.text = String(line.text[..<span.range.upperBound])
        var tail = TextLine(rest)
        if let location = Basics.leadingLocation(rest), let city = location.city,
           let cut = rest.utf8.firstIndex(of: 0x2C), rest[..<cut] == city {
            // "Lisbon, Portugal Owned …": the job's place, then its first highlight.
            let words = rest.split(separator: " ")
            guard words.count >= 3 else { return [head, tail] }
            for length in 2...min(4, words.count - 1) {
                let place = words.prefix(length).joined(separator: " ")
                if Places.location(place, lenient: false) != nil {
                    return [head, TextLine(place), TextLine(words.dropFirst(length).joined(separator: " "))]
                }
            }
        }
        tail.blankBefore = false
        return [head, tail]
    }

    /// A title and an employer run together with a space: the title ends at its last title word ("Analyst",
    /// "Head of Sales"), the employer is the capitalised rest and names no title. Nil when the text does not
    /// split so, or the rest is a single short word (a title's own tail).
    package static func splitTitleAndEmployer(_ text: String) -> (String, String)? {
        let words = text.split(separator: " ")
        guard words.count >= 3, words.count <= 12 else { return nil }
        guard var last = words.indices.last(where: {
            $0 < words.count - 1 && Vocabulary.titleWords.contains(TextFold.key($0 == 0 ? words[0] : words[$0]).trimmed([",", "."]))
        }) else { return nil }
        // "Head of Sales Acme Ltd": the title's "of …" tail.
        if last + 2 < words.count, ["of", "for", "de", "du", "des"].contains(TextFold.key(words[last + 1])) { last += 2 }
        let position = words[...last].joined(separator: " ")
        let employer = words[(last + 1)...].joined(separator: " ")
        // "Clinical Nurse Educator": one word after the title word is the title's own tail, not an employer.
        guard let start = employer.first, start.isUppercaseFast || start.isNumberFast,
              Vocabulary.titleScore(employer) == 0, employer.count >= 3,
              words.count - last - 1 >= 2 || Vocabulary.companyScore(employer) > 0,
              words[...last].first?.first?.isUppercaseFast == true else { return nil }
        return (position, employer)
    }

    /// Where the run of capitalised words (and "&", when `ampersand`) that ends at `from` starts, going back
    /// from index `from` while the run has fewer than `maxWords` words. The three trailing-run readers below
    /// share it.
    static func runStart(_ words: [Substring], from: Int, maxWords: Int, ampersand: Bool = false) -> Int {
        var start = from
        while start > 0, words.count - start < maxWords,
              words[start - 1].first?.isUppercaseFast == true || (ampersand && words[start - 1] == "&") {
            start -= 1
        }
        return start
    }

    /// The run of capitalised words that ends a sentence-like text ("… and processes Riverbend Networks
    /// Senior Software Engineer"): two or more words after a lower-case word, ending with a title word. Nil
    /// when the text has no such start or is all capitalised.
    package static func capitalisedTail(_ text: String) -> String? {
        let words = text.split(separator: " ")
        guard words.count >= 5, let last = words.last, Vocabulary.titleWords.contains(TextFold.key(last)) else {
            return nil
        }
        let start = runStart(words, from: words.count - 1, maxWords: .max, ampersand: true)
        guard start >= 3, words.count - start >= 2, words[start - 1].first?.isLowercaseFast == true else { return nil }
        return words[start...].joined(separator: " ")
    }

    /// Two to five capitalised words ending a sentence-like line ("… into a prioritised backlog Atlas
    /// Design"): an employer's name the line break before it lost. Nil when the line ends otherwise.
    package static func capitalisedRunAtEnd(_ text: String) -> String? {
        let words = text.split(separator: " ")
        guard words.count >= 6, text.last.map({ $0.isLetterFast || $0 == "." }) == true else { return nil }
        let start = runStart(words, from: words.count, maxWords: 5)
        guard words.count - start >= 2, start >= 4, words[start - 1].first?.isLowercaseFast == true else { return nil }
        let run = words[start...].joined(separator: " ")
        return Vocabulary.titleScore(run) == 0 ? run : nil
    }

    /// An employer then a title, run together: the employer ends at its last employer word ("LLC", "Networks",
    /// "Bank"), the title is the rest and ends with a title word.
    package static func splitEmployerAndTitle(_ text: String) -> (String, String)? {
        let words = text.split(separator: " ")
        guard words.count >= 3, words.count <= 12, let lastWord = words.last,
              Vocabulary.titleWords.contains(TextFold.key(lastWord)) else { return nil }
        // The first employer word after which a title starts ("Riverbend Networks | Senior Software Engineer",
        // not "… Senior Software | Engineer"; "Copperleaf Networks LLC | Engineering Manager").
        func isCompanyWord(_ word: Substring) -> Bool { Vocabulary.companyWords.contains(word.lowercased().trimmed([".", ","])) }
        guard let end = words.indices.first(where: {
            $0 < words.count - 1 && isCompanyWord(words[$0]) && !isCompanyWord(words[$0 + 1])
                && words[$0 + 1].contains(where: \.isUppercaseFast)  // "iOS Developer" too
        }) else { return nil }
        let employer = words[...end].joined(separator: " ")
        let position = words[(end + 1)...].joined(separator: " ")
        guard Vocabulary.titleScore(position) > 0, Vocabulary.titleScore(employer) == 0 || Vocabulary.companyScore(employer) >= 2
        else { return nil }
        return (employer, position)
    }

    /// A title run onto the end of a sentence: "… with 22% first-pass accuracy Junior Accountant" →
    /// "Junior Accountant". One to five capitalised words after a lower-case one, the last a title word.
    package static func trailingTitle(_ text: String) -> String? {
        let words = text.split(separator: " ")
        guard words.count >= 3, let last = words.last,
              Vocabulary.titleWords.contains(TextFold.key(last)) else { return nil }
        let start = runStart(words, from: words.count - 1, maxWords: 5)
        // The word before ends a sentence or is not a name's: "… by 30% Primary School Teacher".
        guard start > 0, words[start - 1].first.map({ !$0.isUppercaseFast }) == true || words[start - 1].last == "." else {
            return nil
        }
        return words[start...].joined(separator: " ")
    }

    /// A place written after an employer: "Leeds", "Austin, TX", "Lisbon, Portugal" — a known place, or one to
    /// three capitalised words that name no title, employer or degree.
    package static func isPlace(_ text: String) -> Bool {
        if Places.location(text, lenient: false) != nil { return true }
        let words = text.split(separator: " ")
        guard (1...3).contains(words.count), !text.contains(where: { $0.isNumberFast || "()@/&".contains($0) }),
              words.allSatisfy({ $0.first?.isUppercaseFast == true && $0.allSatisfy { $0.isLetterFast || $0 == "-" || $0 == "." } })
        else { return false }
        return Vocabulary.titleScore(text) == 0 && Vocabulary.companyScore(text) == 0
            && Vocabulary.degreePrefix(text) == nil && !Vocabulary.looksLikeInstitution(text)
            && Sections.headingKind(text) == nil
    }

    /// "Acme Ltd, London" or "Acme Ltd - London" → "Acme Ltd" (and the location); otherwise the text.
    package static func employerPart(_ text: String, location: inout String?) -> String {
        for separator in [" - ", " – "] where text.has(separator) {
            let pieces = text.components(separatedByString: separator)
            if pieces.count == 2, isPlace(pieces[1].trimmed), Vocabulary.titleScore(pieces[0]) == 0 {
                location = pieces[1].trimmed
                return pieces[0].trimmed
            }
        }
        guard let comma = text.firstIndex(of: ",") else { return text }
        let rest = text[text.index(after: comma)...].trimmed
        let head = String(text[..<comma]).trimmed
        if Places.location(text, lenient: false) != nil || Places.countries[TextFold.comparable(rest)] != nil
            || (rest.count == 2 && Places.usStates.contains(rest)) {
            location = rest
            return head
        }
        if let place = Places.location(rest, lenient: false), place.city != nil {
            location = rest
            return head
        }
        return text
    }

    /// Decides which part is the position and which the employer.
    package static func assign(_ parts: [String], to work: inout JSONResume.Work) {
        guard let first = parts.first else { return }
        if parts.count == 2, isPlace(parts[1]), parts[1].wordCount <= 2 || Places.location(parts[1], lenient: false) != nil {
            // "Content Strategist Brightline Media - Madrid": title and employer run together, then the place.
            if let (position, employer) = splitTitleAndEmployer(first) {
                work.position = position
                work.name = employer
                if work.location == nil { work.location = parts[1] }
                return
            }
            // "Keystone Capital Ltd - Lagos" with no title to hand: the employer and its place.
            if Vocabulary.companyScore(first) > 0, Vocabulary.titleScore(first) == 0 {
                work.name = first
                if work.location == nil { work.location = parts[1] }
                return
            }
        }
        guard parts.count >= 2 else {
            // "… internal tools and processes Riverbend Networks Senior Software Engineer": a sentence's end run
            // into the header; the capitalised run at the end is the header.
            let header = capitalisedTail(first) ?? first
            if let (employer, position) = splitEmployerAndTitle(header) {
                // "Copperleaf Networks LLC Engineering Manager" (LinkedIn's order, its line break lost).
                work.position = position
                work.name = employer
            } else if let (position, employer) = splitTitleAndEmployer(header) {
                // "Junior Data Analyst Evergreen Insights LLC": the line break between them was lost.
                work.position = position
                work.name = employer
            } else if Vocabulary.companyScore(first) > Vocabulary.titleScore(first) {
                work.name = first
            } else {
                work.position = first
            }
            return
        }
        // "Trained 4 new colleagues on internal tools and processes Registered Nurse | Zephyr Health": the
        // bullet before ran into the header.
        var position = first.wordCount >= 5 ? capitalisedTail(first) ?? first : first
        var employer = parts[1]
        let a = Vocabulary.titleScore(position) - Vocabulary.companyScore(position)
        let b = Vocabulary.titleScore(employer) - Vocabulary.companyScore(employer)
        if b > a { swap(&position, &employer) }
        work.position = position
        work.name = employer
        let rest = parts.count >= 3 ? parts[2...].joined(separator: ", ") : ""
        if !rest.isEmpty, work.location == nil, Places.location(rest, lenient: true) != nil {
            work.location = rest
        }
    }
}
