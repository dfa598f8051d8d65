import Testing

@testable import ExtractPool

/// In-process HTML to text (HTML resumes, `.doc` files that are HTML, unrtf's output).
@Suite("HTML text")
struct HTMLTextTests {
    @Test("block elements become lines, cells tabs, inline markup disappears")
    func structure() {
        let html = "<html><body><h1>Jane <b>Doe</b></h1><p>Engineer</p><ul><li>Swift</li><li>C</li></ul>"
            + "<table><tr><td>2019</td><td>Acme</td></tr></table>line<br>break</body></html>"
        let lines = HTMLText.extract(html).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines == ["Jane Doe", "Engineer", "Swift", "C", "2019\tAcme", "line", "break"])
    }

    @Test("script, style, head and comments are dropped")
    func invisible() {
        let html = "<head><title>T</title><style>p{color:red}</style></head><!-- secret --><script>var x = '<p>';</script>"
            + "<p>visible</p>"
        #expect(HTMLText.extract(html).trimmingCharacters(in: .whitespacesAndNewlines) == "visible")
    }

    @Test("character references: named, decimal, hex; unknown ones stay as written")
    func references() {
        #expect(HTMLText.extract("Jos&eacute; M&uuml;ller &amp; Co &#8211; &#x2014; &nbsp;&bogus; &#0;")
            == "José Müller & Co – — \u{A0}&bogus; &#0;")
    }

    @Test("source line breaks are spaces; stray < is text and stays linear in time")
    func strayAngles() {
        #expect(HTMLText.extract("a\nb < c") == "a b < c")
        let many = String(repeating: "<", count: 200_000)
        #expect(HTMLText.extract(many).count == 200_000)
    }
}
