import Testing

@testable import ExtractPool

@Suite("Text normalisation")
struct TextNormalizerTests {
    private func normalize(_ text: String) -> TextNormalizer.Result {
        TextNormalizer.normalize(Array(text.utf8))
    }

    @Test("NUL and control characters go; invalid UTF-8 never survives")
    func controlAndInvalid() {
        let r = normalize("Jane\u{0}Doe\u{7}\u{200B}\u{FEFF}  Engineer\r\n")
        #expect(r.text == "JaneDoe Engineer")
        #expect(!r.text.unicodeScalars.contains { $0.value < 0x20 })
        let latin1 = TextNormalizer.normalize([0x4A, 0x6F, 0x73, 0xE9, 0x20, 0x93, 0x44, 0x94])
        #expect(latin1.encoding == .windows1252)
        #expect(latin1.text == "José \u{201C}D\u{201D}")
    }

    @Test("UTF-16 with a byte-order mark is decoded")
    func utf16() {
        let le: [UInt8] = [0xFF, 0xFE] + Array("Zoë".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let be: [UInt8] = [0xFE, 0xFF] + Array("Zoë".utf16).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        #expect(TextNormalizer.normalize(le).text == "Zoë")
        #expect(TextNormalizer.normalize(le).encoding == .utf16LittleEndian)
        #expect(TextNormalizer.normalize(be).text == "Zoë")
    }

    @Test("output is NFC")
    func nfc() {
        let r = normalize("Cafe\u{301} Zu\u{308}rich")
        #expect(r.text.unicodeScalars.count == "Café Zürich".unicodeScalars.count)
        #expect(Array(r.text.utf8) == Array("Caf\u{E9} Z\u{FC}rich".utf8))
    }

    @Test("a resume that lost its line breaks gets them back at its runs of spaces; short lines and prose do not")
    func flattenedLine() {
        let blocks = ["Marta Kowalczyk", "Senior Accountant", "marta.kowalczyk@example.com", "Work Experience",
                      "Senior Accountant", "Northwind Traders Ltd. - Leeds", "March 2019 to Present",
                      "• Prepared monthly management accounts for three business units and the group board",
                      "Education", "Bachelor's degree in Accounting and Finance", "University of Sheffield - Sheffield"]
        // Two spaces between blocks, six before a heading (a paragraph break), one space inside a sentence.
        var flat = ""
        for block in blocks {
            if !flat.isEmpty { flat += ["Work Experience", "Education"].contains(block) ? "      " : "  " }
            flat += block
        }
        #expect(flat.utf8.count > 300)
        let r = normalize(flat + "\n")
        #expect(r.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            == ["Marta Kowalczyk", "Senior Accountant", "marta.kowalczyk@example.com", "", "Work Experience",
                "Senior Accountant", "Northwind Traders Ltd. - Leeds", "March 2019 to Present",
                "• Prepared monthly management accounts for three business units and the group board", "",
                "Education", "Bachelor's degree in Accounting and Finance", "University of Sheffield - Sheffield"])
        // A short line keeps its gaps as one space (pdftotext -layout columns), and long prose with a
        // double space after a full stop or two is one line still.
        #expect(normalize("Data Engineer          2019 – 2021").text == "Data Engineer 2019 – 2021")
        let prose = String(repeating: "Led the finance team through two audits.  ", count: 2)
            + String(repeating: "word ", count: 60)
        #expect(!normalize(prose).text.contains("\n"))
    }

    @Test("whitespace and blank lines collapse")
    func whitespace() {
        let r = normalize("  Jane   Doe\t\tSwift  \n\n\n\nExperience\n   \nAcme  \n")
        #expect(r.text == "Jane Doe\tSwift\n\nExperience\n\nAcme")
    }

    @Test("Windows and old Mac line ends end lines (\\r\\n is one Character in Swift)")
    func lineEnds() {
        #expect(normalize("Jane Doe\r\nEngineer\r\n\r\nAcme\rGlobex").text == "Jane Doe\nEngineer\n\nAcme\nGlobex")
        let utf16: [UInt8] = [0xFF, 0xFE] + "A\r\nB".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(TextNormalizer.normalize(utf16).text == "A\nB")
    }

    @Test("table cells keep one tab between them; spaces around it fold into it")
    func tabs() {
        #expect(normalize("Tools \t  Miro, Jira\t\t\n\tIndented").text == "Tools\tMiro, Jira\nIndented")
    }

    @Test("hyphenated line breaks are joined, names with hyphens are not")
    func hyphens() {
        let r = normalize("project manage-\nment at Acme\nJean-\nPierre Dupont")
        #expect(r.text == "project management at Acme\nJean-\nPierre Dupont")
        #expect(r.joinedHyphenations == 1)
    }

    @Test("a wrapped URL or address keeps its hyphen and its line break")
    func wrappedURL() {
        let r = normalize("linkedin.com/in/chloe-\nfaure-364\nmail: jean.pierre-\nsmith@example.com")
        #expect(r.text == "linkedin.com/in/chloe-\nfaure-364\nmail: jean.pierre-\nsmith@example.com")
        #expect(r.joinedHyphenations == 0)
    }

    @Test("running headers and footers repeated on most pages are dropped, page numbers and all")
    func runningLines() {
        let pages = (1...4).map { n in
            "Jane Doe — Curriculum Vitae\nContent of page \(n) line a\nContent \(n) b\nPage \(n) of 4"
        }
        let r = normalize(pages.joined(separator: "\u{0C}"))
        #expect(r.pageCount == 4)
        #expect(!r.text.contains("Curriculum Vitae"))
        #expect(!r.text.contains("of 4"))
        #expect(r.text.contains("Content of page 3 line a"))
        #expect(r.removedRepeatedLines == 8)
    }

    @Test("two pages are too few to call a line a running header")
    func fewPages() {
        let r = normalize("Jane Doe\nA\u{0C}Jane Doe\nB")
        #expect(r.text == "Jane Doe\nA\n\nJane Doe\nB")
        #expect(r.removedRepeatedLines == 0)
        #expect(r.pageCount == 2)
    }

    @Test("pdftotext's form feed after the last page opens no page")
    func trailingFormFeed() {
        #expect(normalize("A\u{0C}B\u{0C}").pageCount == 2)
        #expect(normalize("A\u{0C}B\u{0C}C").pageCount == 3)
        #expect(normalize("A").pageCount == 1)
    }
}
