import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The text of a PDF in reading order, from `pdftotext -bbox-layout`'s XHTML: one pass of a streaming (SAX)
/// parser, each page laid out by ``PDFPageLayout`` as soon as it closes.
///
/// Why `-bbox-layout` and not `-bbox`: it gives the lines `pdftotext` already assembled from words (with its
/// own word spacing and reading of ligatures), each with a box, so the page only has to be split into columns
/// and rows; `-bbox` gives bare words, and lines would have to be rebuilt here. Why not `-layout` as well: its
/// one-column output is rebuilt from the same lines (rows of lines, as `-layout` prints them), so a document
/// costs one `pdftotext` run, not two.
///
/// Memory: the boxes of one page at a time (a 300-page PDF never holds more), plus the output text. Entities
/// (`&amp;`, `&lt;`…) are decoded by the parser; external entities (the XHTML DTD) are never fetched.
enum PDFBoxLayout {
    /// The text, each page ended by a form feed (as `pdftotext` ends them), and the page count; nil when the
    /// output is not well-formed XML (the caller falls back to `pdftotext -layout`).
    static func text(of xhtml: [UInt8]) -> (text: String, pages: Int)? {
        let handler = Handler()
        let parser = XMLParser(data: Data(xhtml))
        parser.delegate = handler
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        // On Linux `parse()` may return true and still set `parserError` (see OfficeXMLText.parse).
        guard parser.parse(), parser.parserError == nil, handler.depth == 0 else { return nil }
        return (handler.text, handler.pages)
    }

    /// Collects a page's lines and hands them to ``PDFPageLayout`` when the page ends.
    private final class Handler: NSObject, XMLParserDelegate {
        private(set) var text = ""
        private(set) var pages = 0
        /// Elements open (a truncated document leaves some).
        private(set) var depth = 0
        private var lines: [PDFPageLayout.Line] = []
        private var line: PDFPageLayout.Line?
        private var words: [String] = []
        private var word: String?

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            depth += 1
            switch name {
            case "page":
                lines.removeAll(keepingCapacity: true)
            case "line":
                func number(_ key: String) -> Double { attributes[key].flatMap(Double.init) ?? 0 }
                line = PDFPageLayout.Line(xMin: number("xMin"), yMin: number("yMin"), xMax: number("xMax"),
                                          yMax: number("yMax"), text: "")
                words.removeAll(keepingCapacity: true)
            case "word":
                word = ""
            default:
                break
            }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            depth -= 1
            switch name {
            case "word":
                if let word, !word.isEmpty { words.append(word) }
                word = nil
            case "line":
                if var line, !words.isEmpty {
                    line.text = words.joined(separator: " ")
                    lines.append(line)
                }
                line = nil
            case "page":
                text += PDFPageLayout.text(of: lines)
                text += "\n\u{0C}"
                pages += 1
                lines.removeAll(keepingCapacity: true)
            default:
                break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            word? += string
        }
    }
}
