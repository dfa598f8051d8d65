import Foundation
import Testing
import ZIPFoundation

@testable import ExtractPool

/// The DOCX/ODT fast path on documents built here with ZIPFoundation, on damaged and hostile zips, and on
/// files LibreOffice writes.
@Suite("Office XML text")
struct OfficeXMLTextTests {
    // MARK: Fixtures

    static let w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

    /// A fresh temporary directory.
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("officexml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes a zip of `entries` (name, content) with ZIPFoundation.
    static func zip(
        _ entries: [(String, String)], named name: String = "doc.zip", method: CompressionMethod = .deflate
    ) throws -> String {
        let url = try directory().appendingPathComponent(name)
        let archive = try Archive(url: url, accessMode: .create)
        for (path, content) in entries {
            let data = Data(content.utf8)
            try archive.addEntry(
                with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: method,
                provider: { position, size in data.subdata(in: Int(position)..<Int(position) + size) })
        }
        return url.path
    }

    /// A `word/document.xml` whose body is `body`.
    static func document(_ body: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <w:document xmlns:w="\(w)" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" \
        xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" \
        xmlns:v="urn:schemas-microsoft-com:vml" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
        <w:body>\(body)<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>
        """
    }

    /// A header or footer part holding `paragraphs`.
    static func headerFooter(_ root: String, _ paragraphs: String...) -> String {
        "<w:\(root) xmlns:w=\"\(w)\">" + paragraphs.map { "<w:p><w:r><w:t>\($0)</w:t></w:r></w:p>" }.joined()
            + "</w:\(root)>"
    }

    /// A `.docx` with `document.xml` of `body` and any other parts.
    static func docx(_ body: String, _ parts: [(String, String)] = []) throws -> String {
        try zip([("[Content_Types].xml", "<Types/>"), ("word/document.xml", document(body))] + parts, named: "cv.docx")
    }

    static func run(_ text: String) -> String { "<w:r><w:t xml:space=\"preserve\">\(text)</w:t></w:r>" }

    static let odfNamespaces = """
        xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" \
        xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" \
        xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" \
        xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" \
        xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" \
        xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" \
        xmlns:dc="http://purl.org/dc/elements/1.1/" \
        xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
        """

    /// An `.odt` whose `content.xml` body text is `text`, with any other parts.
    static func odt(_ text: String, _ parts: [(String, String)] = []) throws -> String {
        let content = """
            <?xml version="1.0" encoding="UTF-8"?>
            <office:document-content \(odfNamespaces) office:version="1.3"><office:body><office:text>\(text)\
            </office:text></office:body></office:document-content>
            """
        return try zip(
            [("mimetype", "application/vnd.oasis.opendocument.text"), ("content.xml", content)] + parts,
            named: "cv.odt")
    }

    static func failure(_ body: () throws(ExtractionFailure) -> OfficeXMLText.Result) -> ExtractionFailure? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    // MARK: DOCX

    @Test("paragraphs, tabs, breaks and hyperlinks; tab stops in paragraph properties are not tabs")
    func paragraphs() throws {
        let path = try Self.docx(
            """
            <w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>\(Self.run("Jane"))\
            <w:r><w:tab/><w:t>Doe</w:t><w:br/><w:t>Swift engineer</w:t></w:r></w:p>
            <w:p><w:r><w:t>Paris</w:t><w:cr/><w:t>France</w:t></w:r></w:p>
            <w:p><w:hyperlink r:id="rId4"><w:r><w:t>github.com/jane</w:t></w:r></w:hyperlink>\
            <w:r><w:t xml:space="preserve"> · CV</w:t></w:r></w:p>
            """)
        let result = try OfficeXMLText.extract(path: path, kind: .docx)
        #expect(result.text == "Jane\tDoe\nSwift engineer\nParis\nFrance\ngithub.com/jane · CV\n")
        #expect(result.pageCount == nil)
    }

    @Test("tables: cells separated by tabs, rows by line breaks, paragraphs of a cell on lines")
    func tables() throws {
        func cell(_ paragraphs: String...) -> String {
            "<w:tc><w:tcPr><w:tcW w:w=\"2000\"/></w:tcPr>"
                + paragraphs.map { "<w:p>\(Self.run($0))</w:p>" }.joined() + "</w:tc>"
        }
        let path = try Self.docx(
            """
            <w:p>\(Self.run("Experience"))</w:p>
            <w:tbl><w:tblPr><w:tblW w:w="0"/></w:tblPr><w:tblGrid><w:gridCol w:w="2000"/></w:tblGrid>
            <w:tr>\(cell("2019–2024"))\(cell("Acme Corp"))</w:tr>
            <w:tr>\(cell("Skills"))\(cell("Swift", "PostgreSQL"))</w:tr>
            </w:tbl>
            <w:p>\(Self.run("Education"))</w:p>
            """)
        let text = try OfficeXMLText.extract(path: path, kind: .docx).text
        #expect(text == "Experience\n2019–2024\tAcme Corp\nSkills\tSwift\nPostgreSQL\nEducation\n")
    }

    @Test("headers come first in natural order, footers last, repeated ones once")
    func headersAndFooters() throws {
        let path = try Self.docx(
            "<w:p>\(Self.run("Body"))</w:p>",
            [
                ("word/header10.xml", Self.headerFooter("hdr", "jane@example.com")),
                ("word/header2.xml", Self.headerFooter("hdr", "+33 6 12 34 56 78")),
                ("word/header1.xml", Self.headerFooter("hdr", "+33 6 12 34 56 78")),
                ("word/footer1.xml", Self.headerFooter("ftr", "References on request")),
            ])
        let text = try OfficeXMLText.extract(path: path, kind: .docx).text
        #expect(text == "+33 6 12 34 56 78\njane@example.com\nBody\nReferences on request\n")
    }

    @Test("a text box is read once: the mc:Fallback copy is skipped")
    func textBoxes() throws {
        let box = "<w:txbxContent><w:p>\(Self.run("Contact: jane@example.com"))</w:p></w:txbxContent>"
        let path = try Self.docx(
            """
            <w:p>\(Self.run("Jane Doe"))<w:r><mc:AlternateContent>\
            <mc:Choice Requires="wps"><w:drawing><wps:wsp><wps:txbx>\(box)</wps:txbx></wps:wsp></w:drawing></mc:Choice>\
            <mc:Fallback><w:pict><v:shape><v:textbox>\(box)</v:textbox></v:shape></w:pict></mc:Fallback>\
            </mc:AlternateContent></w:r>\(Self.run("Summary"))</w:p>
            """)
        let text = try OfficeXMLText.extract(path: path, kind: .docx).text
        #expect(text == "Jane Doe\nContact: jane@example.com\nSummary\n")
        #expect(text.components(separatedBy: "jane@example.com").count == 2)
    }

    @Test("tracked deletions and field instructions are left out; insertions and field results stay")
    func deletionsAndFields() throws {
        let path = try Self.docx(
            """
            <w:p><w:del w:id="1" w:author="HR"><w:r><w:delText>Initech</w:delText></w:r></w:del>\
            <w:ins w:id="2" w:author="HR">\(Self.run("Acme"))</w:ins>\
            <w:del w:id="3" w:author="HR"><w:r><w:t>Globex</w:t></w:r></w:del></w:p>
            <w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> HYPERLINK "https://x" </w:instrText></w:r>\
            <w:r><w:fldChar w:fldCharType="separate"/></w:r>\(Self.run("portfolio"))<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>
            """)
        let text = try OfficeXMLText.extract(path: path, kind: .docx).text
        #expect(text == "Acme\nportfolio\n")
    }

    @Test("page count from docProps/app.xml")
    func docxPageCount() throws {
        let app = """
            <Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">\
            <Template>Normal.dotm</Template><Pages>3</Pages><Words>420</Words></Properties>
            """
        let path = try Self.docx("<w:p>\(Self.run("x"))</w:p>", [("docProps/app.xml", app)])
        #expect(try OfficeXMLText.extract(path: path, kind: .docx).pageCount == 3)
    }

    @Test("text boxes beside a name, beside each other and in a table cell never run into the text around them")
    func textBoxSeparators() throws {
        func box(_ text: String) -> String {
            "<w:r><w:drawing><wps:wsp><wps:txbx><w:txbxContent><w:p>\(Self.run(text))</w:p>"
                + "</w:txbxContent></wps:txbx></wps:wsp></w:drawing></w:r>"
        }
        func vml(_ text: String) -> String {
            "<w:r><w:pict><v:shape><v:textbox><w:txbxContent><w:p>\(Self.run(text))</w:p>"
                + "</w:txbxContent></v:textbox></v:shape></w:pict></w:r>"
        }
        let path = try Self.docx(
            """
            <w:p>\(Self.run("Jane Doe"))\(box("Featured Resume"))\(box("Open to work"))\(Self.run("HR Partner"))</w:p>
            <w:p>\(vml("Top Talent"))\(Self.run("Bristol"))\(vml("Verified"))</w:p>
            <w:tbl><w:tr><w:tc><w:p>\(Self.run("John Roe"))\(box("Badge"))</w:p></w:tc>\
            <w:tc><w:p>\(Self.run("Leeds"))</w:p></w:tc></w:tr></w:tbl>
            """)
        let text = try OfficeXMLText.extract(path: path, kind: .docx).text
        // A paragraph that ends with a text box ends one more line: a blank one (a paragraph break).
        #expect(text == "Jane Doe\nFeatured Resume\nOpen to work\nHR Partner\nTop Talent\nBristol\nVerified\n\n"
            + "John Roe\nBadge\n\tLeeds\n")
    }

    @Test("ODT frames (text boxes) beside a name and beside each other each start and end a line")
    func openDocumentFrames() throws {
        func frame(_ text: String) -> String {
            "<draw:frame><draw:text-box><text:p>\(text)</text:p></draw:text-box></draw:frame>"
        }
        let path = try Self.odt(
            "<text:p>Jane Doe\(frame("Featured Resume"))\(frame("Open to work"))HR Partner</text:p>")
        let text = try OfficeXMLText.extract(path: path, kind: .odt).text
        #expect(text == "Jane Doe\nFeatured Resume\nOpen to work\nHR Partner\n")
    }

    // MARK: ODT

    @Test("ODT: headings, paragraphs, text:s counts, tabs, line breaks, lists, tables; comments and deletions out")
    func openDocument() throws {
        let styles = """
            <office:document-styles \(Self.odfNamespaces)><office:master-styles>\
            <style:master-page style:name="Standard"><style:header><text:p>jane@example.com</text:p></style:header>\
            <style:header-first><text:p>jane@example.com</text:p></style:header-first>\
            <style:footer><text:p>Page footer</text:p></style:footer></style:master-page>\
            </office:master-styles></office:document-styles>
            """
        let meta = """
            <office:document-meta \(Self.odfNamespaces)><office:meta>\
            <meta:document-statistic meta:page-count="2" meta:word-count="40"/></office:meta></office:document-meta>
            """
        let path = try Self.odt(
            """
            <text:tracked-changes><text:changed-region text:id="c1"><text:deletion>\
            <text:p>Initech</text:p></text:deletion></text:changed-region></text:tracked-changes>
            <text:h text:outline-level="1">Jane   Doe</text:h>
            <text:p>Name:<text:s text:c="3"/>Jane<text:tab/>Paris<text:line-break/>France\
            <office:annotation><dc:creator>HR</dc:creator><text:p>check this</text:p></office:annotation></text:p>
            <text:list><text:list-item><text:p>Swift</text:p></text:list-item>\
            <text:list-item><text:p>C<text:s/>and<text:s text:c="2"/>C++</text:p></text:list-item></text:list>
            <table:table><table:table-column/><table:table-row>\
            <table:table-cell><text:p>2020</text:p></table:table-cell>\
            <table:table-cell><text:p>Acme</text:p><text:p>Lead</text:p></table:table-cell></table:table-row></table:table>
            """,
            [("styles.xml", styles), ("meta.xml", meta)])
        let result = try OfficeXMLText.extract(path: path, kind: .odt)
        #expect(
            result.text
                == "jane@example.com\nJane Doe\nName:   Jane\tParis\nFrance\nSwift\nC and  C++\n2020\tAcme\nLead\nPage footer\n")
        #expect(result.pageCount == 2)
    }

    @Test("an ODT whose manifest declares encryption is encrypted")
    func encryptedODT() throws {
        let manifest = """
            <manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">\
            <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>\
            <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" manifest:size="2048">\
            <manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="AAAA">\
            <manifest:algorithm manifest:algorithm-name="Blowfish CFB" manifest:initialisation-vector="AAAA"/>\
            </manifest:encryption-data></manifest:file-entry></manifest:manifest>
            """
        let path = try Self.odt("<text:p>ciphertext</text:p>", [("META-INF/manifest.xml", manifest)])
        #expect(Self.failure { () throws(ExtractionFailure) in try OfficeXMLText.extract(path: path, kind: .odt) }?.code == .encrypted)
        let plain = try Self.odt(
            "<text:p>clear</text:p>",
            [("META-INF/manifest.xml", manifest.replacingOccurrences(of: "encryption-data", with: "other-data"))])
        #expect(try OfficeXMLText.extract(path: plain, kind: .odt).text == "clear\n")
    }

    // MARK: Damaged and hostile files

    @Test("a truncated DOCX is corrupt")
    func truncated() throws {
        let path = try Self.docx("<w:p>\(Self.run(String(repeating: "Experience at Acme. ", count: 200)))</w:p>")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count * 2 / 3).write(to: URL(fileURLWithPath: path))
        let failure = Self.failure { () throws(ExtractionFailure) in try OfficeXMLText.extract(path: path, kind: .docx) }
        #expect(failure?.code == .corrupt)
        #expect(failure?.detail.contains("truncated or damaged zip") == true)
    }

    @Test("a file that is no zip at all is corrupt, and says so")
    func notAZip() throws {
        let url = try Self.directory().appendingPathComponent("cv.docx")
        try Data("%PDF-1.7 not a zip".utf8).write(to: url)
        let failure = Self.failure { () throws(ExtractionFailure) in try OfficeXMLText.extract(path: url.path, kind: .docx) }
        #expect(failure?.code == .corrupt)
        #expect(failure?.detail.hasPrefix("not a zip archive") == true)
    }

    @Test("a zip without word/document.xml (or content.xml) is corrupt")
    func missingMainPart() throws {
        let path = try Self.zip([("word/styles.xml", "<w:styles/>")], named: "cv.docx")
        let failure = Self.failure { () throws(ExtractionFailure) in try OfficeXMLText.extract(path: path, kind: .docx) }
        #expect(failure?.code == .corrupt)
        #expect(failure?.detail.contains("word/document.xml") == true)
        let odt = try Self.zip([("mimetype", "application/vnd.oasis.opendocument.text")], named: "cv.odt")
        let odtFailure = Self.failure { () throws(ExtractionFailure) in try OfficeXMLText.extract(path: odt, kind: .odt) }
        #expect(odtFailure?.code == .corrupt)
        #expect(odtFailure?.detail.contains("content.xml") == true)
    }

    @Test("malformed XML is corrupt, naming the part")
    func malformedXML() throws {
        let path = try Self.zip([("word/document.xml", "<w:document xmlns:w=\"\(Self.w)\"><w:body><w:p></w:body>")])
        let failure = Self.failure { () throws(ExtractionFailure) in try OfficeXMLText.extract(path: path, kind: .docx) }
        #expect(failure?.code == .corrupt)
        #expect(failure?.detail.contains("malformed XML in word/document.xml") == true)
    }

    @Test("a CRC mismatch is corrupt")
    func crcMismatch() throws {
        let path = try Self.zip([("word/document.xml", Self.document("<w:p>\(Self.run("Jane Doe"))</w:p>"))], method: .none)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let at = try #require(data.range(of: Data("Jane".utf8))).lowerBound
        data[at] = UInt8(ascii: "X")
        try data.write(to: URL(fileURLWithPath: path))
        let failure = Self.failure { () throws(ExtractionFailure) in try OfficeXMLText.extract(path: path, kind: .docx) }
        #expect(failure?.code == .corrupt)
        #expect(failure?.detail.contains("CRC mismatch in word/document.xml") == true)
    }

    /// A zip of one deflated entry, written byte by byte (ZIPFoundation only writes valid ones).
    static func rawZip(name: String, deflated: [UInt8], crc: UInt32, size: UInt32) throws -> String {
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * $0) & 0xFF) } }
        let nameBytes = Array(name.utf8)
        let common = le16(20) + le16(0) + le16(8) + le16(0) + le16(0) + le32(crc) + le32(UInt32(deflated.count))
            + le32(size) + le16(nameBytes.count) + le16(0)
        let local = le32(0x0403_4B50) + common + nameBytes + deflated
        let central = le32(0x0201_4B50) + le16(20) + common + le16(0) + le16(0) + le16(0) + le32(0) + le32(0)
            + nameBytes
        let end = le32(0x0605_4B50) + le16(0) + le16(0) + le16(1) + le16(1) + le32(UInt32(central.count))
            + le32(UInt32(local.count)) + le16(0)
        let url = try directory().appendingPathComponent("cv.docx")
        try Data(local + central + end).write(to: url)
        return url.path
    }

    /// Box for a result computed on another thread: written before a semaphore's signal, read after its wait.
    private final class Outcome: @unchecked Sendable {
        var failure: ExtractionFailure?
    }

    /// Runs `body` on a thread of its own and returns its failure; nil when it has not returned within `seconds`
    /// (it is then left running, so that a hang fails the test instead of hanging the suite).
    static func failure(
        within seconds: Double, _ body: @escaping @Sendable () throws(ExtractionFailure) -> OfficeXMLText.Result
    ) -> ExtractionFailure?? {
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Thread {
            outcome.failure = Self.failure(body)
            done.signal()
        }.start()
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return .some(outcome.failure)
    }

    @Test("a deflate stream that runs past its entry is corrupt, not a hang (ZIPFoundation#389)")
    func deflateRunsPastEntry() throws {
        // A non-final stored block announcing 65535 bytes, of which 5 are there: inflate wants more input than the
        // entry, then the file, has.
        let path = try Self.rawZip(
            name: "word/document.xml", deflated: [0x00, 0xFF, 0xFF, 0x00, 0x00] + Array("<w:d".utf8), crc: 0, size: 100)
        let outcome = Self.failure(within: 20) { () throws(ExtractionFailure) in
            try OfficeXMLText.extract(path: path, kind: .docx)
        }
        let failure = try #require(outcome, "still inflating after 20 s")
        #expect(failure?.code == .corrupt)
        #expect(failure?.detail.contains("does not end within its 9 compressed bytes") == true)
    }

    /// The process's peak resident memory (`VmHWM`), after resetting it when the kernel allows.
    static func peakResidentBytes(reset: Bool = false) -> Int? {
        if reset { try? Data("5".utf8).write(to: URL(fileURLWithPath: "/proc/self/clear_refs")) }
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        else { return nil }
        return kib << 10
    }

    @Test("a 300 MiB deflate bomb stops at the entry limit, never held in memory")
    func bomb() throws {
        let size = 300 << 20
        let chunk = Data(repeating: UInt8(ascii: "a"), count: 1 << 20)
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("bomb.docx")
        let archive = try Archive(url: url, accessMode: .create)
        try archive.addEntry(
            with: "word/document.xml", type: .file, uncompressedSize: Int64(size), compressionMethod: .deflate,
            bufferSize: 1 << 20, provider: { position, count in chunk.prefix(count) })
        let compressed = try #require(archive["word/document.xml"]).compressedSize
        #expect(compressed < 1 << 20)

        let limits = OfficeXMLText.Limits(maxEntryBytes: 8 << 20)
        let before = Self.peakResidentBytes(reset: true)
        let failure = Self.failure { () throws(ExtractionFailure) in
            try OfficeXMLText.extract(path: url.path, kind: .docx, limits: limits)
        }
        let after = Self.peakResidentBytes()
        #expect(failure?.code == .decompressionBomb)
        // Stopped one 64 KiB chunk past the limit at most: "8 MiB" (8.0x rounds down), not 300.
        #expect(failure?.detail.hasPrefix("word/document.xml (\(compressed >> 10) KiB compressed) had inflated to 8 MiB") == true)
        if let before, let after {
            // About 9 MiB here; inflating all of it would be 300.
            #expect(after - before < 64 << 20, "peak RSS grew by \(after - before) bytes")
        }
    }

    @Test("the inflation budget: per part, in total, and by ratio once past 1 MiB")
    func budget() {
        let entry = OfficeXMLText.ZipDirectory.Entry(
            name: "content.xml", method: 8, flags: 0, crc32: 0, compressedSize: 10_000, uncompressedSize: 0,
            localHeaderOffset: 0)
        let limits = OfficeXMLText.Limits(maxEntryBytes: 64 << 20, maxTotalInflated: 100 << 20, maxRatio: 400)
        var ratio = OfficeXMLText.InflationBudget(entry: entry, limits: limits, inflatedBefore: 0)
        #expect(ratio.add(3_900_000) == nil)
        #expect(ratio.add(200_000)?.code == .decompressionBomb)
        #expect(ratio.add(0)?.detail.contains("400:1") == true)

        var total = OfficeXMLText.InflationBudget(entry: entry, limits: limits, inflatedBefore: 99 << 20)
        #expect(total.add(512 << 10) == nil)
        #expect(total.add(600 << 10)?.detail.contains("100 MiB in all") == true)

        let small = OfficeXMLText.InflationBudget.describe
        #expect([small(512), small(12 << 10), small(8 << 20 | 100 << 10), small(17 << 19)] == [
            "512 bytes", "12 KiB", "8 MiB", "8.5 MiB",
        ])
    }

    @Test("only DOCX and ODT are read")
    func otherKinds() throws {
        let path = try Self.docx("<w:p/>")
        let failure = Self.failure { () throws(ExtractionFailure) in try OfficeXMLText.extract(path: path, kind: .pdf) }
        #expect(failure?.code == .unsupportedType)
    }

    // MARK: Real files

    /// Converts `html` with LibreOffice's Writer (not Writer/Web, which exports no DOCX) to `format` (`docx`,
    /// `odt`) in `directory`.
    static func soffice(_ html: URL, to format: String, in directory: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/soffice")
        process.arguments = [
            "-env:UserInstallation=file://\(directory.path)/profile", "--headless",
            "--infilter=HTML (StarWriter)", "--convert-to", format,
            "--outdir", directory.path, html.path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return directory.appendingPathComponent("cv.\(format)").path
    }

    @Test(
        "text and page counts come out of files LibreOffice writes",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/soffice")), .timeLimit(.minutes(3)))
    func libreOffice() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let html = directory.appendingPathComponent("cv.html")
        try """
            <html><body><h1>Jane Doe</h1><p>Senior Swift engineer · jane@example.com</p>
            <h2>Experience</h2><table><tr><td>2019–2024</td><td>Acme Corp, Paris</td></tr></table>
            <ul><li>Built the ingest pipeline</li><li>PostgreSQL &amp; libuv</li></ul></body></html>
            """.write(to: html, atomically: true, encoding: .utf8)
        for (format, kind) in [("docx", DocumentKind.docx), ("odt", .odt)] {
            let path = try Self.soffice(html, to: format, in: directory)
            let result = try OfficeXMLText.extract(path: path, kind: kind)
            for expected in [
                "Jane Doe", "Senior Swift engineer · jane@example.com", "2019–2024\tAcme Corp, Paris",
                "Built the ingest pipeline", "PostgreSQL & libuv",
            ] {
                #expect(result.text.contains(expected), "\(format): \(expected) missing from \(result.text)")
            }
            // LibreOffice records pages in meta.xml, not in a DOCX's app.xml.
            if kind == .odt { #expect(result.pageCount == 1) }
        }
    }
}
