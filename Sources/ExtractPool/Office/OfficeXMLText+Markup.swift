import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

extension OfficeXMLText {
    /// Runs `delegate` over `data` with Foundation's SAX parser (namespaces resolved, no external entities).
    ///
    /// - Throws: `corrupt`, naming the part and the position, when the XML is malformed.
    static func parse(_ data: Data, part: String, delegate: XMLParserDelegate) throws(ExtractionFailure) {
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        // On Linux `parse()` may return true and still set `parserError` (seen with a mismatched end tag).
        let parsed = parser.parse()
        if !parsed || parser.parserError != nil {
            let code = (parser.parserError as NSError?).map { " (XML error \($0.code))" } ?? ""
            throw ExtractionFailure(
                .corrupt, "malformed XML in \(part) at line \(parser.lineNumber), column \(parser.columnNumber)\(code)")
        }
    }

    /// The value of the attribute whose local name is `name`, whatever its prefix.
    static func attribute(_ name: String, in attributes: [String: String]) -> String? {
        if let value = attributes[name] { return value }
        return attributes.first { key, _ in key.hasSuffix(":" + name) }?.value
    }

    /// Text being assembled from paragraph, break, tab and table events. Pure.
    ///
    /// Paragraphs end lines. A table row is one line, its cells separated by tabs; paragraphs inside a cell
    /// are separated by line breaks, but the last one's break is dropped so the row stays on its line. A
    /// paragraph opening inside another (a text box anchored in a paragraph) starts a line of its own.
    struct TextBuilder {
        private(set) var text = ""
        private var paragraphDepth = 0
        /// The open table cells, innermost last.
        private var cells: [Cell] = []
        /// For OpenDocument's whitespace rule: true at a paragraph's start and after a space.
        private var collapsingSpace = true

        private struct Cell {
            /// The paragraph depth the cell opened at: paragraphs ending at it are the cell's own.
            var paragraphDepth: Int
            /// A cell paragraph ended; its line break is written if more of the cell follows.
            var breakPending = false
        }

        /// Whether a paragraph is open (text outside paragraphs is layout, not content).
        var inParagraph: Bool { paragraphDepth > 0 }

        private var endsLine: Bool { text.isEmpty || text.utf8.last == UInt8(ascii: "\n") }

        mutating func beginParagraph() {
            flushCellBreak()
            if paragraphDepth > 0 && !endsLine { text += "\n" }
            paragraphDepth += 1
            collapsingSpace = true
        }

        mutating func endParagraph() {
            guard paragraphDepth > 0 else { return }
            paragraphDepth -= 1
            if let cell = cells.last, cell.paragraphDepth == paragraphDepth {
                cells[cells.count - 1].breakPending = true
            } else if paragraphDepth == 0 || !endsLine {
                text += "\n"
            }
            collapsingSpace = true
        }

        /// Text as written (DOCX `w:t`).
        mutating func append(_ string: String) {
            guard !string.isEmpty else { return }
            flushCellBreak()
            text += string
            collapsingSpace = false
        }

        /// Character data under OpenDocument's rule: tab, CR and LF count as spaces, and a space at a
        /// paragraph's start or after another space is dropped (explicit spaces are `text:s`).
        mutating func appendCollapsingWhitespace(_ string: String) {
            var collapsed = ""
            collapsed.unicodeScalars.reserveCapacity(string.unicodeScalars.count)
            for scalar in string.unicodeScalars {
                switch scalar {
                case " ", "\t", "\n", "\r":
                    if !collapsingSpace { collapsed.unicodeScalars.append(" ") }
                    collapsingSpace = true
                default:
                    collapsed.unicodeScalars.append(scalar)
                    collapsingSpace = false
                }
            }
            guard !collapsed.isEmpty else { return }
            flushCellBreak()
            text += collapsed
        }

        mutating func spaces(_ count: Int) {
            append(String(repeating: " ", count: count))
            collapsingSpace = true
        }

        mutating func tab() {
            append("\t")
            collapsingSpace = true
        }

        mutating func lineBreak() {
            append("\n")
            collapsingSpace = true
        }

        mutating func beginTable() {
            flushCellBreak()
            if !endsLine { text += "\n" }
        }

        mutating func beginCell() {
            cells.append(Cell(paragraphDepth: paragraphDepth))
        }

        mutating func endCell() {
            guard !cells.isEmpty else { return }
            cells.removeLast()
            text += "\t"
        }

        mutating func endRow() {
            if text.utf8.last == UInt8(ascii: "\t") { text.removeLast() }
            if !endsLine { text += "\n" }
        }

        private mutating func flushCellBreak() {
            guard let cell = cells.last, cell.breakPending else { return }
            cells[cells.count - 1].breakPending = false
            text += "\n"
        }
    }
}

// MARK: - DOCX

extension OfficeXMLText {
    /// Reads WordprocessingML (`word/document.xml`, headers, footers) into a ``TextBuilder``.
    ///
    /// Text comes only from `w:t`; field instructions (`w:instrText`), tracked deletions and moves-from, and
    /// property blocks (whose `w:tab` are tab stops, not tabs) are skipped, and of an `mc:AlternateContent`
    /// only the first branch is read (the `mc:Fallback` repeats a text box's text as VML).
    final class WordprocessingHandler: NSObject, XMLParserDelegate {
        static let namespaces: Set<String> = [
            "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
            "http://purl.oclc.org/ooxml/wordprocessingml/main",
        ]
        static let markupCompatibility = "http://schemas.openxmlformats.org/markup-compatibility/2006"
        static let skipped: Set<String> = [
            "pPr", "rPr", "tblPr", "tblGrid", "trPr", "tcPr", "sectPr",
            "instrText", "delText", "delInstrText", "del", "moveFrom",
        ]

        private var builder = TextBuilder()
        /// Depth inside a skipped element (0: not skipping).
        private var skipDepth = 0
        private var inText = false
        /// One per open `mc:AlternateContent`: whether one of its branches has been taken.
        private var alternates: [Bool] = []

        /// The text of one WordprocessingML part.
        static func text(of data: Data, part: String) throws(ExtractionFailure) -> String {
            let handler = WordprocessingHandler()
            try OfficeXMLText.parse(data, part: part, delegate: handler)
            return handler.builder.text
        }

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            if skipDepth > 0 {
                skipDepth += 1
                return
            }
            if namespaceURI == Self.markupCompatibility {
                switch name {
                case "AlternateContent":
                    alternates.append(false)
                case "Choice", "Fallback":
                    if alternates.last == true {
                        skipDepth = 1
                    } else if !alternates.isEmpty {
                        alternates[alternates.count - 1] = true
                    }
                default:
                    break
                }
                return
            }
            guard let namespaceURI, Self.namespaces.contains(namespaceURI) else { return }
            switch name {
            case _ where Self.skipped.contains(name): skipDepth = 1
            case "p": builder.beginParagraph()
            case "t": inText = true
            case "tab", "ptab": builder.tab()
            case "br", "cr": builder.lineBreak()
            case "noBreakHyphen": builder.append("-")
            case "tbl": builder.beginTable()
            case "tc": builder.beginCell()
            default: break
            }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if skipDepth > 0 {
                skipDepth -= 1
                return
            }
            if namespaceURI == Self.markupCompatibility {
                if name == "AlternateContent" { _ = alternates.popLast() }
                return
            }
            guard let namespaceURI, Self.namespaces.contains(namespaceURI) else { return }
            switch name {
            case "p": builder.endParagraph()
            case "t": inText = false
            case "tc": builder.endCell()
            case "tr": builder.endRow()
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if skipDepth == 0 && inText { builder.append(string) }
        }
    }
}

// MARK: - ODT

extension OfficeXMLText {
    /// Reads OpenDocument text (`content.xml`, or the master pages of `styles.xml`) into ``TextBuilder``s.
    ///
    /// Character data counts only inside `text:p` and `text:h`; annotations (comments), tracked changes (the
    /// deleted text lives there) and drawing titles and descriptions are skipped.
    final class OpenDocumentHandler: NSObject, XMLParserDelegate {
        static let text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
        static let office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
        static let table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
        static let style = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
        static let svg = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
        /// `text:s` repeats a space at most this often here: more is layout, and an unbounded count would let a
        /// few bytes of XML expand to gigabytes of spaces.
        static let maxSpaceRun = 16

        /// Headers and footers of the master pages, each region's text once per region.
        struct MasterPageText: Equatable {
            var headers: [String] = []
            var footers: [String] = []
        }

        private enum Region {
            case header, footer
        }

        private let masterPagesOnly: Bool
        private var builder = TextBuilder()
        private var skipDepth = 0
        /// In `styles.xml`: the header or footer being read, if any.
        private var region: Region?
        private var masterPages = MasterPageText()

        private init(masterPagesOnly: Bool) {
            self.masterPagesOnly = masterPagesOnly
        }

        /// The text of `content.xml`.
        static func text(of data: Data, part: String) throws(ExtractionFailure) -> String {
            let handler = OpenDocumentHandler(masterPagesOnly: false)
            try OfficeXMLText.parse(data, part: part, delegate: handler)
            return handler.builder.text
        }

        /// The header and footer text of `styles.xml`'s master pages.
        static func masterPageText(of data: Data, part: String) throws(ExtractionFailure) -> MasterPageText {
            let handler = OpenDocumentHandler(masterPagesOnly: true)
            try OfficeXMLText.parse(data, part: part, delegate: handler)
            return handler.masterPages
        }

        private static func region(_ name: String, _ namespaceURI: String?) -> Region? {
            guard namespaceURI == style else { return nil }
            switch name {
            case "header", "header-left", "header-first": return .header
            case "footer", "footer-left", "footer-first": return .footer
            default: return nil
            }
        }

        private var capturing: Bool { !masterPagesOnly || region != nil }

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            if skipDepth > 0 {
                skipDepth += 1
                return
            }
            if masterPagesOnly, let region = Self.region(name, namespaceURI) {
                self.region = region
                builder = TextBuilder()
                return
            }
            guard capturing, let namespaceURI else { return }
            switch (namespaceURI, name) {
            case (Self.office, "annotation"), (Self.text, "tracked-changes"), (Self.svg, "title"), (Self.svg, "desc"):
                skipDepth = 1
            case (Self.text, "p"), (Self.text, "h"):
                builder.beginParagraph()
            case (Self.text, "s"):
                let count = OfficeXMLText.attribute("c", in: attributes).flatMap { Int($0) } ?? 1
                builder.spaces(min(max(count, 1), Self.maxSpaceRun))
            case (Self.text, "tab"):
                builder.tab()
            case (Self.text, "line-break"):
                builder.lineBreak()
            case (Self.table, "table"):
                builder.beginTable()
            case (Self.table, "table-cell"), (Self.table, "covered-table-cell"):
                builder.beginCell()
            default:
                break
            }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if skipDepth > 0 {
                skipDepth -= 1
                return
            }
            if masterPagesOnly, let region = Self.region(name, namespaceURI) {
                switch region {
                case .header: masterPages.headers.append(builder.text)
                case .footer: masterPages.footers.append(builder.text)
                }
                self.region = nil
                return
            }
            guard capturing, let namespaceURI else { return }
            switch (namespaceURI, name) {
            case (Self.text, "p"), (Self.text, "h"): builder.endParagraph()
            case (Self.table, "table-cell"), (Self.table, "covered-table-cell"): builder.endCell()
            case (Self.table, "table-row"): builder.endRow()
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if skipDepth == 0 && capturing && builder.inParagraph { builder.appendCollapsingWhitespace(string) }
        }
    }
}

// MARK: - Metadata

extension OfficeXMLText {
    /// Answers one question about a metadata part: its page count, or whether it declares encryption.
    ///
    /// Lenient: damaged metadata gives no answer rather than failing a readable document.
    final class MetadataHandler: NSObject, XMLParserDelegate {
        private enum Question {
            /// `docProps/app.xml`: the text of `<Pages>`.
            case extendedPropertiesPages
            /// `meta.xml`: `meta:document-statistic/@meta:page-count`.
            case openDocumentPageCount
            /// `META-INF/manifest.xml`: any `manifest:encryption-data`.
            case manifestEncryption
        }

        static let extendedProperties = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
        static let meta = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
        static let manifest = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"

        private let question: Question
        private var answer: String?
        private var pagesText: String?

        private init(_ question: Question) {
            self.question = question
        }

        private static func ask(_ question: Question, of data: Data) -> String? {
            let handler = MetadataHandler(question)
            let parser = XMLParser(data: data)
            parser.delegate = handler
            parser.shouldProcessNamespaces = true
            parser.shouldResolveExternalEntities = false
            _ = parser.parse()
            return handler.answer
        }

        /// `<Pages>` of a DOCX's `docProps/app.xml`.
        static func pageCount(ofExtendedProperties data: Data) -> Int? {
            ask(.extendedPropertiesPages, of: data).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }

        /// `meta:page-count` of an ODT's `meta.xml`.
        static func pageCount(ofOpenDocumentMeta data: Data) -> Int? {
            ask(.openDocumentPageCount, of: data).flatMap { Int($0) }
        }

        /// Whether an ODF manifest lists encrypted entries.
        static func declaresEncryption(manifest data: Data) -> Bool {
            ask(.manifestEncryption, of: data) != nil
        }

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            switch question {
            case .extendedPropertiesPages where namespaceURI == Self.extendedProperties && name == "Pages":
                pagesText = ""
            case .openDocumentPageCount where namespaceURI == Self.meta && name == "document-statistic":
                answer = OfficeXMLText.attribute("page-count", in: attributes)
                parser.abortParsing()
            case .manifestEncryption where namespaceURI == Self.manifest && name == "encryption-data":
                answer = name
                parser.abortParsing()
            default:
                break
            }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if let pagesText, question == .extendedPropertiesPages {
                answer = pagesText
                parser.abortParsing()
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            pagesText? += string
        }
    }
}
