/// What a resume section holds.
package enum SectionKind: String, Equatable, Sendable, CaseIterable {
    /// The lines before the first heading: name, title, contact details.
    case header
    case contact, summary, work, education, skills, languages, certificates, projects
    /// A section the parser recognises but does not read (references, interests, publications…).
    case other
}

/// A heading and the lines under it.
package struct Section: Equatable, Sendable {
    package var kind: SectionKind
    package var heading: String?
    package var lines: [TextLine]
}

/// Recognises section headings by their words, in English, German, French and Spanish: every word of the
/// line must be a heading word ("Professional", "Experience", "&", "Berufserfahrung", "Formation"…) and at
/// least one must say what the section holds. So "Work History", "EDUCATION & TRAINING", "Skills:",
/// "## Languages", "Beruflicher Werdegang", "Compétences linguistiques", "Formación académica" are headings,
/// and "Project Manager" or "Senior Software Engineer" are not.
package enum Sections {
    /// The kind of heading `line` is, or nil.
    package static func headingKind(_ line: String) -> SectionKind? {
        guard line.utf8.count >= 4, line.utf8.count <= 96,
              !line.utf8.contains(where: { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x40 || $0 == 0x2F || $0 == 0x2C }),
              line.count <= 48 else { return nil }
        var text = line.trimmed(["#", ":", "=", "*", "_"])
        if text.hasSuffix(":") { text.removeLast() }
        // Headings are capitalised; "certification" alone on a line is a wrapped list item.
        guard let first = text.first, first.isUppercaseFast else { return nil }
        guard !text.contains(where: { $0.isNumberFast || $0 == "@" || $0 == "/" || $0 == "," || $0 == "." }) else {
            return nil
        }
        let words = TextFold.words(text)
        guard (1...5).contains(words.count) else { return nil }
        var found: Set<SectionKind> = []
        for word in words {
            if let kind = definingWords[word] {
                found.insert(kind)
            } else if !neutralWords.contains(word) {
                return nil
            }
        }
        guard !found.isEmpty else { return nil }
        // "Contact | Profile" (two sidebar headings on one line): the main column's heading wins.
        if found.count > 1 { found.remove(.contact) }
        for kind in precedence where found.contains(kind) { return kind }
        return nil
    }

    /// A heading with text after it on the same line (`Skills: Swift, Go`, `Languages: English (native)`):
    /// the heading's kind and the rest. Only a colon separates them.
    package static func inlineHeading(_ line: String) -> (SectionKind, String)? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let head = String(line[..<colon])
        let rest = line[line.index(after: colon)...].trimmed
        guard !rest.isEmpty, let kind = headingKind(head) else { return nil }
        return (kind, rest)
    }

    /// Splits lines into sections. Lines before the first heading form the `.header` section.
    package static func split(_ input: [TextLine]) -> [Section] {
        var sections = [Section(kind: .header, heading: nil, lines: [])]
        let lines = input.flatMap(cutAtInnerHeading)
        for line in lines {
            if !line.isBullet, let kind = headingKind(line.text) {
                sections.append(Section(kind: kind, heading: line.text, lines: []))
                continue
            }
            if !line.isBullet, let (kind, rest) = inlineHeading(line.text),
               !(sections[sections.count - 1].kind == .skills && kind != .skills) {
                sections.append(Section(kind: kind, heading: line.text, lines: [TextLine(rest)]))
                continue
            }
            if !line.isBullet, let (kind, heading, rest) = leadingHeading(line.text) {
                sections.append(Section(kind: kind, heading: heading, lines: [TextLine(rest)]))
                continue
            }
            if let (body, kind) = trailingHeading(line.text) {
                sections[sections.count - 1].lines.append(TextLine(body, isBullet: line.isBullet,
                                                                   blankBefore: line.blankBefore))
                sections.append(Section(kind: kind, heading: line.text, lines: []))
                continue
            }
            sections[sections.count - 1].lines.append(line)
        }
        return reassignSkillCategories(sections)
    }

    /// Two-column layouts flattened into one line end a line with the other column's heading
    /// ("Japanese – Native speaker Academic Background"). A tail of two or more capitalised heading words
    /// after other text is split off.
    package static func trailingHeading(_ line: String) -> (String, SectionKind)? {
        // Quick reject: the last word must be capitalised.
        guard let space = line.lastIndex(of: " "), line[line.index(after: space)...].first?.isUppercaseFast == true
        else { return nil }
        let words = line.split(separator: " ")
        guard words.count >= 2 else { return nil }
        for length in stride(from: min(4, words.count - 1), through: 1, by: -1) {
            // One word only after a closed entry ("German (fluent) Experience") or in capitals.
            if length == 1 {
                let word = words[words.count - 1]
                guard words[words.count - 2].last == ")" || (word.count >= 4 && word == word.uppercased()) else {
                    continue
                }
            }
            let tail = words.suffix(length)
            guard tail.allSatisfy({ $0.first.map { $0.isUppercaseFast || $0 == "&" } ?? false }) else { continue }
            let tailText = tail.joined(separator: " ")
            guard let kind = headingKind(tailText), kind != .contact else { continue }
            let body = words.dropLast(length).joined(separator: " ")
            let lastWord = TextFold.key(words[words.count - length - 1])
            if ["of", "for", "and", "&", "in", "de", "des", "du", "und", "y", "et"].contains(lastWord) { return nil }
            return (body, kind)
        }
        return nil
    }

    /// A line that runs a heading in between two blocks ("…, Docker Work Experience Senior Engineer"): cut
    /// before the heading, so that it starts a line of its own. Only headings of two or more capitalised words
    /// ("Work Experience", "Languages Known") or one word in capitals ("EDUCATION"), followed by a capital or
    /// the line's end: a heading word in a sentence is not a heading.
    package static func cutAtInnerHeading(_ line: TextLine) -> [TextLine] {
        guard line.text.utf8.count > 20 else { return [line] }
        let words = line.text.split(separator: " ")
        guard words.count >= 3 else { return [line] }
        var index = 1
        while index < words.count {
            let word = words[index]
            guard let first = word.first, first.isUppercaseFast, definingWords[TextFold.key(word)] != nil
                || neutralWords.contains(TextFold.key(word)) else {
                index += 1
                continue
            }
            for length in stride(from: min(4, words.count - index), through: 1, by: -1) {
                let head = words[index..<(index + length)]
                let allCaps = length == 1 && word.count >= 4 && word.allSatisfy { !$0.isLowercaseFast }
                guard length >= 2 || allCaps,
                      head.allSatisfy({ $0.first.map { $0.isUppercaseFast || $0 == "&" } ?? false }),
                      let kind = headingKind(head.joined(separator: " ")), kind != .contact, kind != .other
                else { continue }
                let after = index + length
                if after < words.count, let next = words[after].first, !(next.isUppercaseFast || next.isNumberFast
                    || TextLines.strongBullets.contains(next)) { continue }
                // The word before ends a block: not "of", "and", a title word ("Head of Sales Experience").
                let before = TextFold.key(words[index - 1])
                if ["of", "and", "&", "in", "for", "with", "de", "und", "et", "y"].contains(before) { break }
                var result = [TextLine(words[..<index].joined(separator: " "), isBullet: line.isBullet,
                                       blankBefore: line.blankBefore)]
                result.append(contentsOf: cutAtInnerHeading(TextLine(words[index...].joined(separator: " "))))
                return result
            }
            index += 1
        }
        return [line]
    }

    /// A heading that lost the line break after it ("Work Experience Senior Accountant", "EDUCATION Bachelor
    /// of Arts…": text that lost its line breaks): the heading's kind, the heading and the rest. The heading is
    /// the longest run of one to four capitalised words it can be; the rest starts with a capital or a digit. A
    /// one-word heading needs two or more words after it, or one that is not a job title ("Education
    /// Consultant" is a title).
    package static func leadingHeading(_ line: String) -> (SectionKind, String, String)? {
        guard let first = line.first, first.isUppercaseFast, line.utf8.count > 12 else { return nil }
        let words = line.split(separator: " ")
        guard words.count >= 2 else { return nil }
        // Cheap refusal first: a heading starts with a heading word.
        let firstWord = TextFold.key(words[0]).trimmed([":"])
        guard definingWords[firstWord] != nil || neutralWords.contains(firstWord) else { return nil }
        for length in stride(from: min(4, words.count - 1), through: 1, by: -1) {
            let head = words.prefix(length)
            guard head.allSatisfy({ $0.first.map { $0.isUppercaseFast || $0 == "&" } ?? false }),
                  let kind = headingKind(head.joined(separator: " ")), kind != .contact, kind != .other else { continue }
            let rest = words.dropFirst(length)
            guard let start = rest.first?.first, start.isUppercaseFast || start.isNumberFast
                || TextLines.strongBullets.contains(start) else { return nil }
            // "Languages: Ruby, Go" is an inline heading (or a skill category), read as such.
            if head.last?.last == ":" { return nil }
            // "Project Engineer (2015 – 2016)", "Technical Project Manager, 2021 – now", "Education Consultant":
            // a title that starts with heading words.
            if let next = TextFold.words(rest[rest.startIndex]).first, Vocabulary.titleWords.contains(next),
               Vocabulary.degreePrefix(rest.joined(separator: " ")) == nil { return nil }
            // One word ("Education Bachelor of Arts in …") needs a long rest: "Project Management Professional
            // (PMP)" is a certificate.
            if length == 1, rest.count < (strongHeadingWords.contains(TextFold.key(head[head.startIndex])) ? 2 : 5) {
                return nil
            }
            if DateScanner.firstRange(in: line) != nil, rest.count <= 8 { return nil }
            // "Key Skills • Volunteered as a mentor in …": two columns run together, not a list's first item.
            if TextLines.strongBullets.contains(start), [.skills, .languages, .certificates].contains(kind),
               rest.dropFirst().prefix(while: { !($0.first.map(TextLines.strongBullets.contains) ?? false) }).count >= 5 {
                return nil
            }
            return (kind, head.joined(separator: " "), rest.joined(separator: " "))
        }
        return nil
    }

    /// One-word headings that hardly ever start a title or a sentence: after them, two words are enough to
    /// take the rest for the section's first line ("Experience Quarry Bank").
    static let strongHeadingWords: Set<String> = [
        "experience", "education", "employment", "skills", "languages", "summary", "certifications",
        "qualifications", "berufserfahrung", "ausbildung", "kenntnisse", "sprachen", "experiencia", "formacion",
        "idiomas", "habilidades", "competences", "langues", "formation",
    ]

    /// A heading word used as a skill category inside the skills (`Languages` / `Rust | Go | Swift`,
    /// `Licences` / `Forklift certification | Hazmat awareness`): when the lines under such a heading right
    /// after the skills are a `|`/`·` list (and, for languages, name no human language), they go back to the
    /// skills.
    package static func reassignSkillCategories(_ sections: [Section]) -> [Section] {
        var result: [Section] = []
        for section in sections {
            if [.languages, .certificates, .other].contains(section.kind), let previous = result.last,
               previous.kind == .skills, let heading = section.heading, let first = section.lines.first,
               !heading.contains(Character(":")),
               section.kind == .languages ? !Vocabulary.looksLikeLanguageLines(section.lines)
                   : (first.text.has(" | ") || first.text.has(" · ") || first.text.has(" • "))
                       && DateScanner.scan(first.text).isEmpty {
                result[result.count - 1].lines.append(TextLine(heading))
                result[result.count - 1].lines.append(contentsOf: section.lines)
                continue
            }
            result.append(section)
        }
        return result
    }

    package static let precedence: [SectionKind] = [
        .languages, .certificates, .projects, .summary, .education, .work, .skills, .contact, .other,
    ]

    /// Words that say what a section holds (folded: lower case, no diacritics).
    package static let definingWords: [String: SectionKind] = {
        var map: [String: SectionKind] = [:]
        let table: [(SectionKind, [String])] = [
            (.work, ["experience", "experiences", "employment", "employments", "work", "history", "internships",
                     "berufserfahrung", "erfahrung", "berufspraxis", "werdegang", "praxiserfahrung", "praktika",
                     "taetigkeiten", "parcours", "experiencia", "experiencias", "trayectoria", "empleo", "empleos", "stages",
                     "carriere", "emplois", "emploi"]),
            (.education, ["education", "academic", "academics", "qualifications", "training", "studies", "schooling",
                          "ausbildung", "bildung", "bildungsweg", "studium", "schulbildung", "hochschulbildung",
                          "formation", "formations", "etudes", "diplomes", "educacion", "formacion", "estudios",
                          "academica", "academico", "titulacion", "scolarite"]),
            (.skills, ["skills", "skill", "competencies", "competences", "competency", "expertise", "technologies",
                       "kenntnisse", "faehigkeiten", "fahigkeiten", "kompetenzen", "qualifikationen", "competences",
                       "habilidades", "competencias", "conocimientos", "aptitudes", "savoir", "strengths",
                       "proficiencies", "abilities", "stack", "informatique", "edv", "it", "fachkenntnisse", "it-kenntnisse"]),
            (.languages, ["languages", "language", "sprachen", "sprachkenntnisse", "fremdsprachen", "langues",
                          "linguistiques", "idiomas", "lenguas", "idioma", "langue"]),
            (.certificates, ["certifications", "certificates", "certification", "certificate", "licenses", "licences",
                             "license", "licence", "accreditations", "zertifikate", "zertifizierungen", "zertifikat",
                             "weiterbildung", "weiterbildungen", "certificats", "certificat", "certificaciones",
                             "certificados", "cursos", "courses"]),
            (.projects, ["projects", "project", "projekte", "projets", "projet", "proyectos", "proyecto", "portfolio"]),
            (.summary, ["summary", "profile", "about", "objective", "overview", "introduction", "zusammenfassung",
                        "profil", "kurzprofil", "uber", "perfil", "resumen", "objectif", "objetivo", "propos",
                        "presentation", "sobre"]),
            (.contact, ["contact", "contacts", "kontakt", "kontaktdaten", "daten", "contacto", "coordonnees", "details",
                        "personalien", "datos", "informations", "information"]),
            (.other, ["references", "referenzen", "interests", "hobbies", "interessen", "loisirs", "awards", "honors",
                      "honours", "achievements", "publications", "volunteer", "volunteering", "activities",
                      "memberships", "affiliations", "publikationen", "auszeichnungen", "engagement",
                      "ehrenamt", "referencias", "intereses", "aficiones", "centres", "interets", "distinctions",
                      "premios", "publicaciones", "extracurricular", "additional", "miscellaneous", "sonstiges",
                      "divers", "otros"]),
        ]
        for (kind, words) in table {
            for word in words { map[word] = kind }
        }
        return map
    }()

    /// Words that may appear in a heading without saying what it holds.
    package static let neutralWords: Set<String> = [
        "professional", "relevant", "key", "core", "technical", "selected", "personal", "other", "and", "of", "my",
        "areas", "area", "background", "career", "tools", "recent", "highlights", "notable", "main", "me", "previous",
        "employment", "the", "related", "certified", "soft", "hard", "digital", "computer", "spoken",
        "beruflicher", "berufliche", "beruflichen", "persoenliche", "personliche", "personliches", "akademische",
        "akademischer", "schulische", "fachliche", "fachkenntnisse", "und", "zu", "mir", "meine", "weitere",
        "professionnelle", "professionnel", "professionnelles", "professionnels", "academique", "academiques",
        "personnelles", "personnel", "complementaire", "complementaires", "cles", "et", "de", "des", "du", "la", "le",
        "les", "a", "en", "mi", "laboral", "profesional", "profesionales", "academica", "y", "el", "los", "las",
        "del", "personales", "tecnicas", "tecnicos", "clave", "principales", "interet", "d'interet", "known",
        "top", "ausgewahlte", "ausgewaehlte", "mich", "techniques", "technique", "personnels", "personnelle",
    ]
}
