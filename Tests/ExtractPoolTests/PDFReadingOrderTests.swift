import Foundation
@testable import Loop
import Testing

@testable import ExtractPool

/// PDF text in reading order: pages set in columns come out column by column, one-column pages and tables
/// row by row as `pdftotext -layout` prints them. Real `pdftotext` on PDFs written by ``TinyPDF``.
@Suite("PDF reading order")
struct PDFReadingOrderTests {
    typealias T = TinyPDF.Text

    static let sidebar = ["Contact", "Bristol, United Kingdom", "jane.doe@example.com", "+44 7700 900123",
                          "Skills", "Payroll", "Employee relations", "Workday", "Languages", "English",
                          "French", "Spanish"]
    static let main = ["Experience", "HR Business Partner (2024-01 - 2024-09)", "Northwind Retail, Bristol",
                       "Led a restructuring of 4 regional teams", "Cut time to hire by 20 percent",
                       "HR Generalist (2019-03 - 2023-12)", "Foxglove Logistics, Bath",
                       "Ran payroll for 120 employees", "Rolled out Workday to 50 employees", "Education",
                       "B.A. in Business Administration", "University of Leeds, 2015 - 2018", "Certificates",
                       "CIPD Level 5"]

    /// A name across the top, a sidebar at x = 40 (14 pt apart), the main column at x = 220 (13 pt apart, so
    /// baselines seldom meet), a footer across the bottom.
    static func sidebarPage() -> [T] {
        var page = [T(x: 40, y: 750, text: "Jane Doe - Senior HR Business Partner - Curriculum Vitae", size: 14)]
        page += sidebar.enumerated().map { T(x: 40, y: 700 - 14 * Double($0), text: $1) }
        page += main.enumerated().map { T(x: 220, y: 700 - 13 * Double($0), text: $1) }
        page.append(T(x: 40, y: 60, text: "References are available on request from the candidate herself"))
        return page
    }

    @LoopActor
    static func extract(_ pages: [[T]]) async throws -> ExtractedDocument {
        let path = try TinyPDF.write(pages)
        let configuration = try PoolHarness.configuration { $0.enableOCR = false }
        let (documents, _) = try await PoolHarness.run([path], configuration: configuration)
        return try #require(documents[path])
    }

    /// The lines of `text`, blank ones dropped.
    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init)
    }

    @Test("a sidebar page: name on top, then the sidebar's lines together, then the main column's, then the footer")
    @LoopActor
    func sidebarColumns() async throws {
        let doc = try await Self.extract([Self.sidebarPage()])
        #expect(doc.status == .extracted)
        #expect(doc.extractor == "pdftotext")
        #expect(doc.pageCount == 1)
        let expected = ["Jane Doe - Senior HR Business Partner - Curriculum Vitae"] + Self.sidebar + Self.main
            + ["References are available on request from the candidate herself"]
        #expect(Self.lines(doc.text) == expected)
        // Columns are paragraphs of their own.
        #expect(doc.text.contains("Spanish\n\nExperience"))
    }

    @Test("a one-column page keeps a right-aligned date on its job's line")
    @LoopActor
    func oneColumnDates() async throws {
        let page = [
            T(x: 40, y: 740, text: "Jane Doe", size: 18),
            T(x: 40, y: 700, text: "Experience", size: 12),
            T(x: 40, y: 680, text: "HR Business Partner, Northwind Retail"), T(x: 480, y: 680, text: "2024-01 - 2024-09"),
            T(x: 50, y: 666, text: "- Led a restructuring of 4 regional teams across the south west"),
            T(x: 40, y: 640, text: "HR Generalist, Foxglove Logistics"), T(x: 480, y: 640, text: "2019-03 - 2023-12"),
            T(x: 50, y: 626, text: "- Ran payroll for 120 employees in 4 countries and 3 currencies"),
        ]
        let doc = try await Self.extract([page])
        let lines = Self.lines(doc.text)
        #expect(lines.contains("HR Business Partner, Northwind Retail 2024-01 - 2024-09"))
        #expect(lines.contains("HR Generalist, Foxglove Logistics 2019-03 - 2023-12"))
        #expect(lines.first == "Jane Doe")
    }

    @Test("a table of dates beside jobs is read across, not as two columns")
    @LoopActor
    func dateTable() async throws {
        var page: [T] = []
        for job in 0..<9 {
            let y = 720 - 72 * Double(job)
            page.append(T(x: 40, y: y, text: "\(2010 + job) - \(2011 + job)"))
            page.append(T(x: 160, y: y, text: "Job title number \(job), Company \(job)"))
            for bullet in 1...4 { page.append(T(x: 170, y: y - 13 * Double(bullet), text: "- achievement \(bullet)")) }
        }
        let doc = try await Self.extract([page])
        let lines = Self.lines(doc.text)
        for job in 0..<9 { #expect(lines.contains("\(2010 + job) - \(2011 + job) Job title number \(job), Company \(job)")) }
    }

    @Test("pages are laid out one by one: a columned page beside a one-column page; entities are decoded")
    @LoopActor
    func pagesAndEntities() async throws {
        let second = [T(x: 40, y: 700, text: "R&D <Lab> \"Quotes\" & 'apostrophes'"),
                      T(x: 40, y: 680, text: "Research engineer"), T(x: 480, y: 680, text: "2015 - 2018")]
        let doc = try await Self.extract([Self.sidebarPage(), second])
        #expect(doc.pageCount == 2)
        let lines = Self.lines(doc.text)
        #expect(lines.contains("R&D <Lab> \"Quotes\" & 'apostrophes'"))
        #expect(lines.contains("Research engineer 2015 - 2018"))
        let sidebarAt = try #require(lines.firstIndex(of: "Contact"))
        #expect(Array(lines[sidebarAt..<sidebarAt + Self.sidebar.count]) == Self.sidebar)
    }

    @Test("columns are found from line boxes alone; a table of short labels beside text is not columns")
    func pureLayout() {
        typealias L = PDFPageLayout.Line
        var lines: [L] = []
        for i in 0..<10 {
            lines.append(L(xMin: 40, yMin: 100 + 14 * Double(i), xMax: 150, yMax: 110 + 14 * Double(i), text: "L\(i)"))
            lines.append(L(xMin: 200, yMin: 103 + 13 * Double(i), xMax: 500, yMax: 113 + 13 * Double(i), text: "R\(i)"))
        }
        let columned = PDFPageLayout.text(of: lines).split(separator: "\n").map(String.init)
        #expect(columned == (0..<10).map { "L\($0)" } + (0..<10).map { "R\($0)" })
        // The same left lines on the right lines' baselines: table rows, read across.
        let rows = (0..<10).flatMap { i in
            [L(xMin: 40, yMin: 100 + 14 * Double(i), xMax: 150, yMax: 110 + 14 * Double(i), text: "L\(i)"),
             L(xMin: 200, yMin: 100 + 14 * Double(i), xMax: 500, yMax: 110 + 14 * Double(i), text: "R\(i)")]
        }
        #expect(PDFPageLayout.text(of: rows) == (0..<10).map { "L\($0)   R\($0)" }.joined(separator: "\n"))
    }

    @Test("malformed box output gives no text (the extractor falls back to -layout); a page's boxes then go")
    func malformed() {
        #expect(PDFBoxLayout.text(of: Array("<doc><page><line><word>cut".utf8)) == nil)
        let ok = PDFBoxLayout.text(of: Array("""
            <html><body><doc><page width="612" height="792"><flow><block><line xMin="1" yMin="1" xMax="9" yMax="9">\
            <word>A&amp;B</word><word>c</word></line></block></flow></page><page></page></doc></body></html>
            """.utf8))
        #expect(ok?.text == "A&B c\n\u{0C}\n\u{0C}")
        #expect(ok?.pages == 2)
    }
}
