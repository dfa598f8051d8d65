import Testing
@testable import ResumeModel

@Suite("the evidence check for an LLM's reasons")
struct EvidenceCheckTests {
    static let text = "Ana Núñez\nIngeniera de datos — Zürich\nSkills: Python, SQL, Spark\n"
        + "Python scripts 🐍 daily"

    static func reason(_ quote: String, _ start: Int, _ end: Int, criterion: String = "required_skills")
        -> CandidateScore.Reason
    {
        CandidateScore.Reason(criterion: criterion, text: "because", quote: quote, start: start, end: end)
    }

    /// The scalar offset of `quote`'s first occurrence in `text`, counted here independently.
    static func offset(of quote: String, in text: String) -> Int {
        let range = text.range(of: quote)!
        return text.unicodeScalars[text.unicodeScalars.startIndex..<range.lowerBound].count
    }

    @Test("a quote at its offsets is kept as it is")
    func verified() {
        let start = Self.offset(of: "SQL", in: Self.text)
        let (kept, counts) = EvidenceCheck.check([Self.reason("SQL", start, start + 3)], text: Self.text)
        #expect(kept == [Self.reason("SQL", start, start + 3)])
        #expect(counts == EvidenceCounts(verified: 1))
    }

    @Test("offsets count Unicode scalars: after é, ñ, ü, an em dash and an emoji they still verify")
    func nonASCII() {
        let zurich = Self.offset(of: "Zürich", in: Self.text)
        let daily = Self.offset(of: "daily", in: Self.text)
        // Characters and scalars agree here, UTF-16 units do not (the emoji is two), nor do UTF-8 bytes.
        #expect(Self.text.utf8.count > Self.text.unicodeScalars.count)
        let reasons = [Self.reason("Zürich", zurich, zurich + 6), Self.reason("🐍 daily", daily - 2, daily + 5)]
        let (kept, counts) = EvidenceCheck.check(reasons, text: Self.text)
        #expect(kept == reasons)
        #expect(counts == EvidenceCounts(verified: 2))
        // The same quote at UTF-8 byte offsets does not verify: it is re-anchored to the scalar offsets.
        let bytes = Self.text.utf8.count - Self.text[Self.text.range(of: "daily")!.lowerBound...].utf8.count
        let (moved, movedCounts) = EvidenceCheck.check([Self.reason("daily", bytes, bytes + 5)], text: Self.text)
        #expect(movedCounts == EvidenceCounts(reanchored: 1))
        #expect(moved.first?.start == daily && moved.first?.end == daily + 5)
    }

    @Test("a real quote at wrong offsets moves to its first exact occurrence")
    func reanchored() {
        let first = Self.offset(of: "Python", in: Self.text)
        let (kept, counts) = EvidenceCheck.check([Self.reason("Python", 2, 8)], text: Self.text)
        #expect(counts == EvidenceCounts(reanchored: 1))
        #expect(kept == [Self.reason("Python", first, first + 6)])
        #expect(ResumeText(Self.text).verify(quote: "Python", start: first, end: first + 6))
    }

    @Test("a quote that is in the text twice, given at the second occurrence, stays there")
    func secondOccurrenceStays() {
        let second = Self.offset(of: "Python scripts", in: Self.text)
        let (kept, counts) = EvidenceCheck.check([Self.reason("Python", second, second + 6)], text: Self.text)
        #expect(counts == EvidenceCounts(verified: 1))
        #expect(kept.first?.start == second)
    }

    @Test("offsets out of range (negative, past the end, reversed, empty range) re-anchor a real quote")
    func outOfRange() {
        let start = Self.offset(of: "Spark", in: Self.text)
        let count = Self.text.unicodeScalars.count
        for (s, e) in [(-5, 0), (count, count + 5), (start + 5, start), (start, start), (Int.min, Int.max)] {
            let (kept, counts) = EvidenceCheck.check([Self.reason("Spark", s, e)], text: Self.text)
            #expect(counts == EvidenceCounts(reanchored: 1), "\(s)..<\(e)")
            #expect(kept.first?.start == start && kept.first?.end == start + 5)
        }
    }

    @Test("a quote that is nowhere, a paraphrase, another case, other spacing: dropped and counted")
    func dropped() {
        let reasons = [
            Self.reason("Nobel Prize in Physics", 0, 22),  // nowhere
            Self.reason("data engineer", 10, 23),  // a paraphrase (translation) of "Ingeniera de datos"
            Self.reason("python", 0, 6),  // another case
            Self.reason("Python,  SQL", 0, 12),  // other spacing
            Self.reason("Spark ", 0, 6),  // runs past the text's end
        ]
        let (kept, counts) = EvidenceCheck.check(reasons, text: Self.text)
        #expect(kept.isEmpty)
        #expect(counts == EvidenceCounts(dropped: 5))
    }

    @Test("an empty quote, or one without a letter or digit, proves nothing: dropped even where it 'matches'")
    func emptyQuote() {
        let comma = Self.offset(of: ",", in: Self.text)
        let reasons = [Self.reason("", 0, 0), Self.reason("", 3, 3), Self.reason(",", comma, comma + 1),
                       Self.reason(" ", 3, 4), Self.reason("—", 0, 1)]
        let (kept, counts) = EvidenceCheck.check(reasons, text: Self.text)
        #expect(kept.isEmpty)
        #expect(counts == EvidenceCounts(dropped: 5))
    }

    @Test("an empty text keeps nothing")
    func emptyText() {
        let (kept, counts) = EvidenceCheck.check([Self.reason("Python", 0, 6)], text: "")
        #expect(kept.isEmpty)
        #expect(counts == EvidenceCounts(dropped: 1))
    }

    @Test("a mix keeps the order given and only what verifies")
    func mixed() {
        let sql = Self.offset(of: "SQL", in: Self.text)
        let spark = Self.offset(of: "Spark", in: Self.text)
        let reasons = [Self.reason("SQL", sql, sql + 3), Self.reason("made up", 0, 7), Self.reason("Spark", 0, 5)]
        let (kept, counts) = EvidenceCheck.check(reasons, text: Self.text)
        #expect(kept.map(\.quote) == ["SQL", "Spark"])
        #expect(kept.last?.start == spark)
        #expect(counts == EvidenceCounts(verified: 1, reanchored: 1, dropped: 1))
        #expect(counts.total == 3)
        for reason in kept {
            #expect(ResumeText(Self.text).verify(quote: reason.quote, start: reason.start, end: reason.end))
        }
    }
}
