import Foundation

/// A PDF written here, byte by byte: pages of Helvetica text placed at given points. Deterministic, and
/// needs no converter to make, so layout tests know exactly where every line sits.
enum TinyPDF {
    /// One line of text: its left edge and baseline in PDF points (origin at the bottom left), and its size.
    struct Text {
        var x: Double
        var y: Double
        var text: String
        var size: Double = 10
    }

    /// The bytes of a Letter-size PDF with `pages`.
    static func make(_ pages: [[Text]]) -> Data {
        var objects: [String] = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "",  // the page tree, once the pages' numbers are known
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ]
        var kids: [String] = []
        for page in pages {
            let stream = page.map { t in
                "BT /F1 \(t.size) Tf 1 0 0 1 \(t.x) \(t.y) Tm (\(escape(t.text))) Tj ET"
            }.joined(separator: "\n")
            objects.append("<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream")
            objects.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                + "/Resources << /Font << /F1 3 0 R >> >> /Contents \(objects.count) 0 R >>")
            kids.append("\(objects.count) 0 R")
        }
        objects[1] = "<< /Type /Pages /Kids [\(kids.joined(separator: " "))] /Count \(pages.count) >>"
        var out = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, body) in objects.enumerated() {
            offsets.append(out.utf8.count)
            out += "\(index + 1) 0 obj\n\(body)\nendobj\n"
        }
        let xref = out.utf8.count
        out += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { out += String(repeating: "0", count: 10 - String(offset).count) + "\(offset) 00000 n \n" }
        out += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Data(out.utf8)
    }

    /// Writes `pages` as a PDF in a fresh temporary directory; returns its path.
    static func write(_ pages: [[Text]], named name: String = "cv.pdf") throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tinypdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let path = url.appendingPathComponent(name).path
        try make(pages).write(to: URL(fileURLWithPath: path))
        return path
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "(", with: "\\(")
            .replacingOccurrences(of: ")", with: "\\)")
    }
}
