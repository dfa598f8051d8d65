import Foundation

/// Shrinks resume text to a character budget, losing the least useful parts first, so that no document
/// fails for length alone.
///
/// Levels, each applied only when the previous one was not enough:
/// 1. **Tidy**: runs of spaces collapsed, lines trimmed, blank lines collapsed, exact duplicate lines
///    (of more than three characters) dropped.
/// 2. **Boilerplate**: the references section ("References available upon request", referees' contact
///    lines), link lists (URLs beyond the first five that stand alone on a line), "Page x of y" lines.
/// 3. **Prioritised cut**: the text is split at section headings and rebuilt in priority order — the
///    contact block (everything before the first heading), summary, experience (resumes list the most
///    recent first, so its head is kept), skills, education, then the rest — until the budget is used;
///    the last section that fits only partly is cut at a line boundary.
///
/// Pure and deterministic.
public enum Compactor {
    /// The compacted text and what was done.
    public struct Result: Sendable, Equatable {
        public var text: String
        /// The highest level applied (0: the text already fitted).
        public var level: Int
        /// Characters removed.
        public var removedCharacters: Int
    }

    /// `text` within `budget` characters, at the lowest level that gets there (or at least `minimumLevel`).
    public static func compact(_ text: String, budget: Int, minimumLevel: Int = 0) -> Result {
        let original = text.count
        if minimumLevel <= 0 && original <= budget { return Result(text: text, level: 0, removedCharacters: 0) }
        var lines = tidy(text)
        var level = 1
        if minimumLevel >= 2 || characters(lines) > budget {
            lines = dropBoilerplate(lines)
            level = 2
        }
        if minimumLevel >= 3 || characters(lines) > budget {
            lines = prioritisedCut(lines, budget: budget)
            level = 3
        }
        let out = lines.joined(separator: "\n")
        return Result(text: out, level: level, removedCharacters: max(0, original - out.count))
    }

    private static func characters(_ lines: [String]) -> Int {
        lines.reduce(0) { $0 + $1.count } + max(0, lines.count - 1)
    }

    // MARK: Level 1

    static func tidy(_ text: String) -> [String] {
        var seen: Set<String> = []
        var out: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = collapseSpaces(raw)
            if line.isEmpty {
                if let last = out.last, !last.isEmpty { out.append("") }
                continue
            }
            if line.count > 3 {
                let key = line.lowercased()
                if seen.contains(key) { continue }
                seen.insert(key)
            }
            out.append(line)
        }
        while out.last?.isEmpty == true { out.removeLast() }
        return out
    }

    private static func collapseSpaces(_ line: Substring) -> String {
        var out = ""
        var pendingSpace = false
        for c in line {
            if c == " " || c == "\t" || c == "\r" {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(c)
            }
        }
        return out
    }

    // MARK: Level 2

    static func dropBoilerplate(_ lines: [String]) -> [String] {
        var out: [String] = []
        var inReferences = false
        var urls = 0
        for line in lines {
            let lower = line.lowercased()
            if let heading = sectionKind(line) {
                inReferences = heading == .references
                if inReferences { continue }
            }
            if inReferences { continue }
            if lower.contains("available upon request") || lower.contains("available on request") { continue }
            if isPageMarker(lower) { continue }
            if isBareURL(lower) {
                urls += 1
                if urls > 5 { continue }
            }
            out.append(line)
        }
        return out
    }

    private static func isBareURL(_ lower: String) -> Bool {
        (lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("www.")) && !lower.contains(" ")
    }

    private static func isPageMarker(_ lower: String) -> Bool {
        let words = lower.split(separator: " ")
        guard words.count <= 4, words.first == "page" || words.first == "seite" else { return false }
        return words.dropFirst().allSatisfy { $0.allSatisfy(\.isNumber) || $0 == "of" || $0 == "von" || $0 == "/" }
    }

    // MARK: Level 3

    enum Section: Int, CaseIterable {
        // Raw values are priorities: lower is kept first.
        case contact = 0, summary, experience, skills, education, certificates, languages, projects, other, references
    }

    private static let headings: [(Section, [String])] = [
        (.summary, ["summary", "profile", "professional summary", "about me", "objective", "profil", "résumé"]),
        (.experience, ["experience", "work experience", "professional experience", "work history", "employment",
                       "employment history", "career history", "berufserfahrung", "expérience professionnelle",
                       "experiencia", "experiencia profesional"]),
        (.skills, ["skills", "technical skills", "core competencies", "competencies", "kenntnisse", "compétences",
                   "habilidades", "expertise", "tools"]),
        (.education, ["education", "academic background", "qualifications", "ausbildung", "formation", "educación",
                      "education & training", "education and training"]),
        (.certificates, ["certifications", "certificates", "licenses", "zertifikate"]),
        (.languages, ["languages", "sprachen", "langues", "idiomas"]),
        (.projects, ["projects", "selected projects", "projekte", "projets"]),
        (.references, ["references", "referees", "referenzen", "références"]),
        (.other, ["interests", "hobbies", "publications", "awards", "volunteering", "volunteer experience",
                  "activities", "honors"]),
    ]

    /// The section a heading line opens, if it is one (short, maybe upper case, maybe ending with ':').
    static func sectionKind(_ line: String) -> Section? {
        guard line.count <= 40 else { return nil }
        var key = line.lowercased().trimmingCharacters(in: .whitespaces)
        while let last = key.last, last == ":" || last == " " { key.removeLast() }
        for (section, words) in headings where words.contains(key) { return section }
        return nil
    }

    static func prioritisedCut(_ lines: [String], budget: Int) -> [String] {
        var blocks: [(section: Section, lines: [String])] = [(.contact, [])]
        for line in lines {
            if let s = sectionKind(line) {
                blocks.append((s, [line]))
            } else {
                blocks[blocks.count - 1].lines.append(line)
            }
        }
        let ordered = blocks.enumerated().sorted {
            ($0.element.section.rawValue, $0.offset) < ($1.element.section.rawValue, $1.offset)
        }
        var out: [String] = []
        var used = 0
        for (_, block) in ordered {
            for line in block.lines {
                let cost = line.count + (out.isEmpty ? 0 : 1)
                if used + cost > budget {
                    // The first line that does not fit is cut at a word boundary when enough room is left
                    // (a text without line breaks would otherwise lose everything).
                    let room = budget - used - (out.isEmpty ? 0 : 1)
                    if room >= 20 {
                        var cut = String(line.prefix(room))
                        if let space = cut.lastIndex(of: " "), cut.distance(from: cut.startIndex, to: space) > room / 2 {
                            cut = String(cut[..<space])
                        }
                        out.append(cut)
                    }
                    return out
                }
                out.append(line)
                used += cost
            }
        }
        return out
    }
}
