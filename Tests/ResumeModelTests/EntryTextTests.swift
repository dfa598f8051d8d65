import Testing

@testable import ResumeModel

/// The decisions that join wrapped lines read only what they need of the line joined so far (its tail for a
/// date, a running bracket count), so that a long paragraph costs what its length does. These tests pin that
/// the shortcuts decide as reading the whole line did.
@Suite("Rules parser: wrapped lines")
struct EntryTextTests {
    @Test("a date tail keeps short text whole and cuts long text after a space, within its last 120 bytes")
    func dateTail() {
        #expect(EntryText.dateTail("May 2018 -") == "May 2018 -")
        let long = String(repeating: "word ", count: 60) + "Senior Engineer, May 2018 -"
        let tail = EntryText.dateTail(long)
        #expect(tail.utf8.count <= 120)
        #expect(long.hasSuffix(tail))
        #expect(tail.first != " ")
        #expect(tail.hasSuffix("May 2018 -"))
        // A long text without any space after the cut point is kept whole rather than cut inside a word.
        let unbroken = String(repeating: "x", count: 300)
        #expect(EntryText.dateTail(unbroken) == unbroken)
    }

    @Test("a range split over two lines is joined even after a long joined paragraph")
    func joinsDateAfterLongText() {
        let long = String(repeating: "Led the migration of billing services. ", count: 10) + "Acme Corp, June 2018 –"
        #expect(EntryText.joinsDate(long, "May 2021"))
        #expect(!EntryText.joinsDate(long, "Managed a team of four"))
    }

    @Test("bracket balance counts round brackets only, and may go negative")
    func bracketBalance() {
        #expect(EntryText.bracketBalance("Python (Django, Flask") == 1)
        #expect(EntryText.bracketBalance("a) b) [c]") == -2)
        #expect(EntryText.bracketBalance("(ok)") == 0)
    }

    @Test("an open bracket carried over many joined lines still continues the entry, and a closed one stops it")
    func unwrapCarriesOpenBracket() {
        let lines = [
            TextLine("Skills used (Swift, Kotlin,", isBullet: true),
            TextLine("Go, Rust,"),
            TextLine("Python)"),
            TextLine("Next Entry Title"),
        ]
        let result = EntryText.unwrap(lines)
        #expect(result.map(\.text) == ["Skills used (Swift, Kotlin, Go, Rust, Python)", "Next Entry Title"])
        // The explicit flag and the count read from the whole text agree.
        let previous = TextLine("Skills used (Swift, Kotlin, Go, Rust,", isBullet: true)
        let next = TextLine("Python)")
        #expect(EntryText.continues(previous, next) == EntryText.continues(previous, next, unclosedBracket: true))
    }

    @Test("skills are found across separators and as multi-word entries, which only known first words start")
    func skillsFound() {
        let found = SkillVocabulary.find(in: "Tools: Microsoft Excel; Python, (Docker)|Kubernetes • SQL")
        #expect(found.contains("Python"))
        #expect(found.contains("Docker"))
        #expect(found.contains("Kubernetes"))
        #expect(found.contains("SQL"))
        #expect(SkillVocabulary.multiWordStarts.contains("microsoft") == SkillVocabulary.canonical.keys.contains {
            $0.hasPrefix("microsoft ")
        })
        #expect(!SkillVocabulary.multiWordStarts.contains("python") || SkillVocabulary.canonical.keys.contains {
            $0.hasPrefix("python ")
        })
    }
}
