import Testing

@testable import LLMBatcher

/// Compact-and-retry's text side: the least useful parts go first, the contact block and recent
/// experience stay.
@Suite("Compactor")
struct CompactorTests {
    private let resume = """
        Jane Doe
        jane@example.com  ·  +1 555 0100
        https://github.com/jane

        Summary
        Backend engineer.

        Experience
        Acme Corp — Senior Engineer, 2021 – Present
        • Built the ingestion pipeline
        • Built the ingestion pipeline
        Globex — Engineer, 2017 – 2021
        • Wrote tools

        Education
        MIT — BSc Computer Science, 2017

        Skills
        Swift, Go, PostgreSQL

        References
        John Smith, Acme, john@acme.example
        References available upon request
        Page 2 of 2
        """

    @Test("text within budget is left alone")
    func fits() {
        let r = Compactor.compact(resume, budget: 10_000)
        #expect(r.level == 0)
        #expect(r.text == resume)
    }

    @Test("level 1 collapses spaces and drops duplicate lines")
    func tidy() {
        let r = Compactor.compact(resume, budget: resume.count - 10)
        #expect(r.level == 1)
        #expect(r.text.components(separatedBy: "Built the ingestion pipeline").count == 2)
        #expect(r.text.contains("jane@example.com · +1 555 0100"))
        #expect(r.text.count <= resume.count - 10)
    }

    @Test("level 2 drops references and page markers")
    func boilerplate() {
        let tidied = Compactor.compact(resume, budget: 10_000, minimumLevel: 1).text
        let r = Compactor.compact(resume, budget: tidied.count - 5)
        #expect(r.level == 2)
        #expect(!r.text.contains("John Smith"))
        #expect(!r.text.contains("Page 2 of 2"))
        #expect(r.text.contains("Skills"))
    }

    @Test("level 3 keeps contact block and the most recent experience before the rest")
    func prioritised() {
        let r = Compactor.compact(resume, budget: 150)
        #expect(r.level == 3)
        #expect(r.text.count <= 150)
        #expect(r.text.hasPrefix("Jane Doe\njane@example.com"))
        #expect(r.text.contains("Acme Corp"))
        #expect(!r.text.contains("MIT"), "education ranks after experience")
    }

    @Test("a text without line breaks is cut at a word, never emptied")
    func oneLongLine() {
        let line = Array(repeating: "word", count: 5_000).joined(separator: " ")
        let r = Compactor.compact(line, budget: 1_000)
        #expect(r.text.count <= 1_000 && r.text.count > 900)
        #expect(r.text.hasSuffix("word"))
    }
}
