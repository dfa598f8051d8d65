import Testing

@testable import ExtractPool

/// libmagic decides the type from the bytes, whatever a file is called.
@Suite("Content sniffing")
struct ContentSnifferTests {
    @Test("types come from the bytes", arguments: [
        ("%PDF-1.7\n%\u{e2}\u{e3}\u{cf}\u{d3}\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "application/pdf"),
        ("{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} Jane Doe, Swift engineer\\par}", "text/rtf"),
        ("<!DOCTYPE html><html><head><title>CV</title></head><body><p>Jane</p></body></html>", "text/html"),
        ("Jane Doe\nSenior engineer\nExperience\n", "text/plain"),
    ])
    func sniff(content: String, expected: String) throws {
        let sniffer = try ContentSniffer()
        let bytes = Array(content.utf8)
        let type = try bytes.withUnsafeBytes { try sniffer.mimeType(of: $0) }
        #expect(type == expected)
    }

    @Test("an image is recognised by its signature, not its name")
    func png() throws {
        let sniffer = try ContentSniffer()
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52,
                            0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]
        #expect(try png.withUnsafeBytes { try sniffer.mimeType(of: $0) } == "image/png")
    }

    @Test("a missing file is an error naming it")
    func missingFile() throws {
        let sniffer = try ContentSniffer()
        #expect(throws: ContentSniffer.Failure.self) {
            _ = try sniffer.mimeType(ofFile: "/nonexistent/cv.pdf")
        }
    }
}
