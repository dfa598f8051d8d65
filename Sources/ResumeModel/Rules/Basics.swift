/// Reads `basics` from the header (the lines before the first heading) and any contact section: the name
/// (the first line that looks like a person's name), the title under it, e-mail, phone, links and profiles,
/// and a "City, Country" location.
package enum Basics {
    package static func read(header: [TextLine], contact: [TextLine], allLines: [TextLine], text: String)
        -> JSONResume.Basics {
        var basics = JSONResume.Basics()
        let contactLines = (header + contact).map(\.text)
        let contactText = contactLines.joined(separator: "\n")

        basics.email = Contacts.emails(in: contactText).first ?? Contacts.emails(in: text).first
        basics.phone = Contacts.phones(in: contactText).first ?? phoneElsewhere(allLines)

        var links = Contacts.links(in: contactLines)
        if links.isEmpty || !links.contains(where: { $0.network != nil }) {
            let more = Contacts.links(in: allLines.map(\.text))
            let known = Set(links.map { Contacts.normalizedURL($0.url) })
            for link in more where !known.contains(Contacts.normalizedURL(link.url)) {
                if link.network != nil || links.isEmpty { links.append(link) }
            }
        }
        let profiles = links.filter { $0.network != nil }
            .map { JSONResume.Profile(network: $0.network, username: $0.username, url: $0.url) }
        if !profiles.isEmpty { basics.profiles = profiles }
        basics.url = links.first(where: { $0.network == nil })?.url

        // Name, title and location: the header's lines, contact details cut out, split at separators.
        var candidates = header
        if candidates.isEmpty { candidates = Array(allLines.prefix(3)) }
        let headerLines = Set(header)  // a header without headings after it can be the whole text
        for line in candidates + contact where !isWishedPlace(line.text) {
            let inContact = !headerLines.contains(line)
            for rawSegment in segments(of: line.text) {
                // A portal's page furniture ("Match Statistics", "Featured Resume") is nobody's name or title,
                // and a badge glued to the name ("Jane DoeFeatured Resume") comes off.
                guard let segment = withoutBadge(rawSegment) else { continue }
                if basics.location == nil, let location = Places.location(segment, lenient: true),
                   Vocabulary.titleScore(location.city ?? "") == 0,
                   // "James E. Fitzgerald Manchester, UK": a name cell and a place cell run together.
                   !(basics.name == nil && (location.city ?? "").wordCount >= 3 && trailingLocation(segment) != nil) {
                    basics.location = location
                    continue
                }
                if basics.location == nil, let (head, location) = trailingLocation(segment) {
                    basics.location = location
                    if basics.name == nil, isNameLike(head) {
                        basics.name = head
                    } else if basics.name != nil, basics.label == nil, EntryText.isTitleLike(head) {
                        basics.label = head
                    }
                    continue
                }
                if inContact { continue }
                if basics.name == nil {
                    if isNameLike(segment) {
                        basics.name = segment
                    } else if let (name, headline) = nameAndHeadline(segment, email: basics.email) {
                        // "Marta Kowalczyk Senior Accountant": a block that lost the break after the name.
                        basics.name = name
                        if basics.label == nil, EntryText.isTitleLike(headline) { basics.label = headline }
                    }
                    continue
                }
                if basics.label == nil, EntryText.isTitleLike(segment), segment.wordCount <= 8,
                   Sections.headingKind(segment) == nil, !segment.contains(Character(":")),
                   segment.first?.isLetterFast == true {
                    basics.label = segment
                }
            }
        }
        if basics.location == nil {
            basics.location = allLines.lazy.compactMap { leadingLocation($0.text) }.first
        }
        if basics.name == nil, header.count >= 2, !header[0].text.contains(" "), !header[1].text.contains(" "),
           isNameLike(header[0].text + " " + header[1].text), Vocabulary.titleScore(header[1].text) == 0 {
            // "Youssef" / "Haddad": a narrow column gave each word a line.
            basics.name = header[0].text + " " + header[1].text
        }
        if basics.name == nil { basics.name = nameNearContacts(allLines) }
        // The name the e-mail address spells wins over one that shares no word with it ("Versatile Internal",
        // a table's cells read across; "Larkspur Cloud", an employer from the main column).
        // A name on the text's first line stands (the address may be a shared or an old one).
        if let email = basics.email, basics.name == nil || basics.name != allLines.first?.text,
           let spelled = nameSpelledBy(email: email, lines: Array(allLines.prefix(60))),
           basics.name.map({ !sharesWord($0, withEmail: email) || (spelled.count > $0.count && spelled.has($0))
               // "CELTA Xiaoming Liu", "Ren Watanabe Address": a word before or after that the address lacks.
               || (spelled.count < $0.count && $0.has(spelled)) }) ?? true {
            basics.name = spelled
        }
        if let name = basics.name, let whole = wrappedName(name, in: allLines) { basics.name = whole }
        return basics
    }

    /// The e-mail address's local part, letters only, folded: "jana.muller95@…" → "janamuller".
    static func emailLetters(_ email: String) -> String {
        TextFold.key(String(email.prefix(while: { $0 != "@" }).prefix(64))).filter { $0.isLetterFast }
    }

    /// A word of `name` (three letters or more) is in the e-mail address's local part.
    static func sharesWord(_ name: String, withEmail email: String) -> Bool {
        let local = emailLetters(email)
        return TextFold.words(name).contains { $0.count >= 3 && local.has($0.filter(\.isLetterFast)) }
    }

    /// A name the e-mail address spells, from the lines' leading capitalised words: two or more words (of three
    /// letters or more) found in the address's local part, with the words between them ("Hoàng" / "Thị Lan"
    /// over lan.hoang@…, "Jana" / "Müller München, Germany" over jana.muller@…).
    static func nameSpelledBy(email: String, lines: [TextLine]) -> String? {
        let local = emailLetters(email)
        guard local.count >= 5 else { return nil }
        var words: [Substring] = []
        func isNameWord(_ word: Substring) -> Bool {
            guard let first = word.first, first.isUppercaseFast else { return false }
            return word.allSatisfy { $0.isLetterFast || "-'’.".contains($0) }
        }
        for line in lines where !line.isBullet {
            // The line's leading capitalised words, up to a digit, a contact detail or a comma; and its trailing
            // ones, where a block before ran into the name ("Russian (Limited Working) Vikram Sharma").
            let all = line.text.split(separator: " ")
            let leading = all.prefix(while: isNameWord)
            words.append(contentsOf: leading)
            if leading.count < all.count {
                let trailing = all.reversed().prefix(while: isNameWord).reversed()
                words.append(contentsOf: trailing.suffix(4))
            }
            if words.count > 60 { break }
        }
        func folded(_ word: Substring) -> String { TextFold.key(word).filter(\.isLetterFast) }
        func matches(_ word: Substring) -> Bool {
            let f = folded(word)
            return f.count >= 3 && local.has(f)
        }
        // Two words the address spells whole, or by the first one's initial: "jingli", "c.faure" for "Céline
        // Faure", "v.sharma" for "Vikram Sharma".
        for index in words.indices.dropLast() {
            let (a, b) = (folded(words[index]), folded(words[index + 1]))
            guard !a.isEmpty, b.count >= 2 else { continue }
            let whole = local.hasPrefix(a + b) || local.hasPrefix(b + a)
            let initial = b.count >= 3 && local.hasPrefix(String(a.prefix(1)) + b)
            guard whole || initial else { continue }
            // And the words after that the address also spells ("Sebastián Sánchez" / "Rodríguez").
            var end = index + 1
            while end + 1 < words.count, end - index < 3, matches(words[end + 1]),
                  !words[index...end].contains(where: { folded($0) == folded(words[end + 1]) }) { end += 1 }
            let name = words[index...end].joined(separator: " ")
            if isNameLike(name) { return name }
        }
        // The first run of up to four words that starts and ends with a match and holds two or more.
        for start in words.indices where matches(words[start]) {
            var end = start
            var found = 1
            var k = start + 1
            while k < words.count, k <= start + 3 {
                if matches(words[k]) {
                    end = k
                    found += 1
                }
                k += 1
            }
            guard found >= 2 else { continue }
            let name = words[start...end].joined(separator: " ")
            // Together they spell most of the local part: not two skills that happen to be in it.
            let covered = words[start...end].filter(matches).reduce(0) { $0 + TextFold.key($1).count }
            if covered * 10 >= local.count * 7, isNameLike(name) { return name }
        }
        return nil
    }

    /// A name a narrow column wrapped: "Femke van den" / "Berg", "Youssef" / "Haddad" — the line after the
    /// name is one capitalised word that is no title, heading or place, and together they are still a name.
    static func wrappedName(_ name: String, in lines: [TextLine]) -> String? {
        guard let index = lines.prefix(30).firstIndex(where: { $0.text == name }), index + 1 < lines.count else {
            return nil
        }
        let next = lines[index + 1].text
        // "Maschinenbauingenieur": a compound title, not a family name.
        let folded = TextFold.key(next)
        guard !next.contains(" "), next.first?.isUppercaseFast == true, next.count >= 2, next.count <= 16,
              !Vocabulary.titleWords.contains(where: { $0.count >= 5 && folded.hasSuffix($0) }),
              Vocabulary.titleScore(next) == 0, Vocabulary.companyScore(next) == 0, Sections.headingKind(next) == nil,
              !portalPhrases.contains(TextFold.key(next)) else { return nil }
        let whole = name + " " + next
        return whole.wordCount <= 5 && isNameLike(whole) ? whole : nil
    }

    /// A name run into the headline after it: two to four name-like words, then a job title. When the
    /// e-mail address names the person, the split whose last name word it contains wins ("Mary Ann Smith Data
    /// Engineer" with mary.smith@…); otherwise the shortest.
    package static func nameAndHeadline(_ text: String, email: String?) -> (String, String)? {
        let words = text.split(separator: " ")
        guard words.count >= 3, words.count <= 12 else { return nil }
        let local = email.map { TextFold.key(String($0.prefix(while: { $0 != "@" }))) } ?? ""
        var first: (String, String)?
        for k in 2...min(4, words.count - 1) {
            let name = words[..<k].joined(separator: " ")
            let rest = words[k...].joined(separator: " ")
            guard isNameLike(name), Vocabulary.titleScore(rest) > 0 else { continue }
            if !local.isEmpty, local.has(TextFold.key(String(words[k - 1]))) { return (name, rest) }
            if first == nil { first = (name, rest) }
        }
        return first
    }

    /// Folded phrases job boards and portals print around a resume: badges, page headings, labels.
    package static let portalPhrases: Set<String> = [
        "match statistics", "featured resume", "featured", "premium resume", "premium", "verified", "verified resume",
        "resume headline", "profile summary", "top skills", "key skills", "last active", "recently active", "active",
        "new", "top applicant", "open to work", "view profile", "download resume", "similar resumes", "unlock resume",
        "contact information", "contact details", "personal details", "personal information", "candidate profile",
        "applicant", "candidate", "resume", "cv", "curriculum vitae", "lebenslauf", "page", "confidential",
        "matching skills", "match score", "job seeker", "profile", "overview", "contact", "kontakt", "contacto",
        "actively looking", "open to opportunities", "immediate joiner", "available immediately", "email id",
        "email", "e mail", "e-mail", "mail", "mobile", "phone", "telephone", "address", "website", "mobile number",
        "europass", "europass curriculum vitae", "europass curriculum", "vitae", "personal", "information",
        "personal statement", "job applied for", "personal data", "persoenliche daten", "personliche daten",
        "coordonnees", "kontaktdaten", "datos personales", "informations personnelles",
    ]

    /// `text` without a portal phrase glued to its end ("Jane DoeFeatured Resume" → "Jane Doe"); nil when
    /// the whole text is one.
    package static func withoutBadge(_ text: String) -> String? {
        let folded = TextFold.key(text)
        if portalPhrases.contains(folded) { return nil }
        // A lower-case letter followed by a capital inside a word: where a badge was glued on.
        var previous: Character?
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            // The longest phrase is under 40 bytes: only a short rest can be one.
            if let p = previous, p.isLowercaseFast, character.isUppercaseFast,
               text.utf8.distance(from: index, to: text.endIndex) <= 64,
               portalPhrases.contains(TextFold.key(String(text[index...]))) {
                return String(text[..<index]).trimmed
            }
            previous = character
            index = text.index(after: index)
        }
        // "Match Statistics Rohit Venkatesh", "Jane Doe Featured Resume": phrases run in with a space.
        var words = text.split(separator: " ")
        var trimmed = true
        while trimmed, words.count >= 2 {
            trimmed = false
            for length in stride(from: min(3, words.count - 1), through: 1, by: -1) {
                if words.first?.first?.isUppercaseFast == true,
                   portalPhrases.contains(TextFold.key(words.prefix(length).joined(separator: " "))),
                   !["profile", "resume", "cv", "candidate", "applicant", "page", "new"].contains(TextFold.key(words[0])) {
                    words.removeFirst(length)
                    trimmed = true
                    break
                }
                if words.suffix(length).first?.first?.isUppercaseFast == true,
                   portalPhrases.contains(TextFold.key(words.suffix(length).joined(separator: " "))),
                   length >= 2 || ["featured", "premium", "verified"].contains(TextFold.key(words[words.count - 1])) {
                    words.removeLast(length)
                    trimmed = true
                    break
                }
            }
        }
        return words.joined(separator: " ")
    }

    /// "Pref. Location: Pune, Mumbai", "Willing to relocate to: Leeds": places wished for, not lived in.
    package static func isWishedPlace(_ line: String) -> Bool {
        guard let colon = line.firstIndex(of: ":") else { return false }
        let label = TextFold.key(String(line[..<colon]))
        return ["pref", "preferred", "desired", "relocat", "willing", "target", "wish"].contains { label.has($0) }
    }

    /// A name outside the header (a sidebar or a portal's heading came first): the name-like line closest
    /// to the e-mail address or phone number — within ten lines of it, or 25 when a headline or a place
    /// follows it, as under a LinkedIn export's sidebar — that is not a heading, a language, a skill or page
    /// furniture.
    package static func nameNearContacts(_ lines: [TextLine]) -> String? {
        let limit = min(lines.count, 80)
        var contactRows: [Int] = []
        for index in 0..<limit {
            let text = lines[index].text
            // A phone has seven digits or more: count them before reading the line as one.
            if text.has(ascii: 0x40) ? !Contacts.emails(in: text).isEmpty
                : text.utf8.lazy.filter({ $0 >= 0x30 && $0 <= 0x39 }).count >= 7 && !Contacts.phones(in: text).isEmpty {
                contactRows.append(index)
            }
        }
        guard !contactRows.isEmpty else { return nil }
        var best: (distance: Int, name: String)?
        for index in 0..<limit where !lines[index].isBullet {
            guard var distance = contactRows.map({ abs($0 - index) }).min(), distance <= 25 else { continue }
            // A name is followed by a headline ("Product Manager at Lumen") or a place; a skill list is not.
            if index + 1 < lines.count {
                let next = lines[index + 1].text
                if Vocabulary.titleScore(next) > 0 || Places.location(next, lenient: false) != nil { distance -= 15 }
            }
            guard distance <= 10, best.map({ distance < $0.distance }) ?? true else { continue }
            for segment in segments(of: lines[index].text) {
                guard let name = withoutBadge(segment), isNameLike(name), !Vocabulary.isLanguage(name),
                      SkillVocabulary.find(in: name, prose: false).isEmpty else { continue }
                best = (distance, name)
                break
            }
        }
        return best?.name
    }

    /// A line that starts with "City, Country" or "City, ST" (a sidebar's contact line run into the main
    /// column's text: "Bristol, United Kingdom HR Business Partner (2024)"). Only known countries and regions.
    package static func leadingLocation(_ line: String) -> JSONResume.Location? {
        guard let comma = line.firstIndex(of: ","), line[..<comma].wordCount <= 3 else { return nil }
        let after = line[line.index(after: comma)...].split(separator: " ")
        guard !after.isEmpty else { return nil }
        for length in stride(from: min(3, after.count), through: 1, by: -1) {
            let candidate = String(line[..<comma]) + ", " + after.prefix(length).joined(separator: " ")
            if let location = Places.location(candidate.trimmed([",", ";", "·", "•", "|"]), lenient: false) {
                return location
            }
        }
        return nil
    }

    /// A phone number outside the header: only on a line that says it is one, or written with a "+".
    package static func phoneElsewhere(_ lines: [TextLine]) -> String? {
        let markers = ["phone", "tel", "mobile", "cell", "handy", "telefon", "telephone", "movil", "portable"]
        for line in lines {
            let words = TextFold.words(line.text)
            if words.contains(where: { markers.contains($0) }), let phone = Contacts.phones(in: line.text).first {
                return phone
            }
        }
        for line in lines.prefix(40) {
            if let phone = Contacts.phones(in: line.text).first(where: { $0.hasPrefix("+") }) { return phone }
        }
        return nil
    }

    /// The parts of a header line that are not contact details: e-mails, links and phones removed, split at
    /// `|`, `·`, `•`, tabs, runs of spaces, and labels such as "Phone:" dropped.
    package static func segments(of line: String) -> [String] {
        var text = line
        for email in Contacts.emails(in: text) { text = text.replacingAll(email, with: " | ") }
        for link in Contacts.links(in: [text]) { text = text.replacingAll(link.url, with: " | ") }
        for phone in Contacts.phones(in: text) { text = text.replacingAll(phone, with: " | ") }
        var pieces: [String] = [text]
        for separator in ["\t", " | ", "|", " · ", " • ", "   ", " — ", " ▪ ", " ◦ ", " / ", " – "] {
            pieces = pieces.flatMap { $0.components(separatedByString: separator) }
        }
        return pieces.compactMap { piece -> String? in
            var p = piece.trimmed([",", ";", "·", "•", "|", "-", "–", "—", "*", "°", ":"])
            // "Phone: …", "E-Mail: …", "Adresse: …".
            if let colon = p.firstIndex(of: ":"), p[..<colon].wordCount <= 2 {
                p = p[p.index(after: colon)...].trimmed
            }
            return p.isEmpty ? nil : p
        }
    }

    /// "Project Manager Göteborg, Sweden" (a title and a place in one table cell): the head and the place,
    /// when the text after the comma is a known country or region and the city is the last word.
    package static func trailingLocation(_ text: String) -> (String, JSONResume.Location)? {
        guard let comma = text.lastIndex(of: ",") else { return nil }
        let before = text[..<comma].split(separator: " ")
        guard before.count >= 2, let cityWord = before.last else { return nil }
        let place = String(cityWord) + text[comma...]
        guard let location = Places.location(place, lenient: false) else { return nil }
        return (before.dropLast().joined(separator: " "), location)
    }

    /// Two to five words of letters, each starting with a capital (or a name particle), or one word in a
    /// script without spaces (王伟).
    package static func isNameLike(_ text: String) -> Bool {
        guard text.count <= 60, !text.contains(where: { $0.isNumberFast || "@/:()".contains($0) }) else { return false }
        let words = text.split(separator: " ")
        if words.count == 1 {
            let scalars = text.unicodeScalars
            return scalars.count >= 2 && scalars.count <= 6 && scalars.allSatisfy { isSpacelessScript($0) }
        }
        guard (2...5).contains(words.count) else { return false }
        let folded = TextFold.key(text)
        if ["curriculum vitae", "resume", "lebenslauf", "cv"].contains(folded) { return false }
        if Sections.headingKind(text) != nil { return false }
        let particles: Set<String> = [
            "de", "van", "von", "der", "den", "da", "di", "del", "della", "la", "le", "bin", "binti", "al", "el", "y",
            "dos", "das", "do", "du", "ten", "ter", "zu", "af", "av", "st", "mc", "ibn", "ben", "ap",
        ]
        for word in words {
            guard let first = word.first else { return false }
            if particles.contains(TextFold.key(word)) { continue }
            guard first.isUppercaseFast, word.allSatisfy({ $0.isLetterFast || "'’-.".contains($0) }) else {
                return false
            }
        }
        // A title is not a name: "Analytics Engineer", "Head of Sales".
        return Vocabulary.titleScore(text) == 0 && Vocabulary.companyScore(text) == 0
    }

    package static func isSpacelessScript(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3040...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7AF, 0xF900...0xFAFF, 0x0E00...0x0E7F:
            return true
        default:
            return false
        }
    }
}

extension String {
    /// Every occurrence of `target` replaced with `replacement`.
    package func replacingAll(_ target: String, with replacement: String) -> String {
        components(separatedByString: target).joined(separator: replacement)
    }
}
