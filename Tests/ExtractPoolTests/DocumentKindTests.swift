import Foundation
import Testing

@testable import ExtractPool

/// Sniffing real bytes with libmagic and classifying them: the type comes from the content, never the name.
@Suite("Document kinds")
struct DocumentKindTests {
    /// Writes sample files with Python's zipfile (OOXML and ODF are zip containers) and raw signatures.
    static func samples() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let script = """
            import zipfile, sys
            d = sys.argv[1]
            with zipfile.ZipFile(d + '/resume.pdf', 'w') as z:
                z.writestr('[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
                z.writestr('_rels/.rels', '<Relationships/>')
                z.writestr('word/document.xml', '<w:document/>')
            with zipfile.ZipFile(d + '/resume.odt', 'w') as z:
                z.writestr(zipfile.ZipInfo('mimetype'), 'application/vnd.oasis.opendocument.text')
                z.writestr('content.xml', '<office:document-content/>')
            with zipfile.ZipFile(d + '/photos.docx', 'w') as z:
                z.writestr('a.txt', 'hello')
            open(d + '/resume.doc', 'wb').write(b'{\\\\rtf1\\\\ansi Jane Doe\\\\par}')
            open(d + '/program.pdf', 'wb').write(b'\\x7fELF\\x02\\x01\\x01' + b'\\0' * 60)
            open(d + '/empty.txt', 'wb').write(b'')
            open(d + '/scan.pdf', 'wb').write(bytes.fromhex('FFD8FFE000104A46494600010100000100010000'))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, dir]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        return dir
    }

    @Test("files are classified by content whatever their names say")
    func byContent() throws {
        let dir = try Self.samples()
        let sniffer = try ContentSniffer()
        func kind(_ name: String) throws -> Result<DocumentKind, ExtractionFailure> {
            DocumentKind.classify(mimeType: try sniffer.mimeType(ofFile: dir + "/" + name))
        }
        #expect(try kind("resume.pdf") == .success(.docx))
        #expect(try kind("resume.odt") == .success(.odt))
        #expect(try kind("resume.doc") == .success(.rtf))
        #expect(try kind("scan.pdf") == .success(.image))
        func code(_ result: Result<DocumentKind, ExtractionFailure>) -> ExtractionFailure.Code? {
            if case .failure(let failure) = result { return failure.code }
            return nil
        }
        #expect(code(try kind("photos.docx")) == .unsupportedType)
        #expect(code(try kind("program.pdf")) == .unsupportedType)
        #expect(code(try kind("empty.txt")) == .emptyText)
    }

    @Test("MIME types map to kinds and failures name what was found", arguments: [
        ("application/pdf", "pdf"), ("application/msword", "word97"), ("application/x-ole-storage", "word97"),
        ("text/plain; charset=utf-16le", "text"), ("text/x-c", "text"), ("TEXT/HTML", "html"),
        ("image/tiff", "image"), ("text/rtf", "rtf"),
    ])
    func mapping(mime: String, expected: String) {
        #expect(DocumentKind.classify(mimeType: mime) == .success(DocumentKind(rawValue: expected)!))
    }

    @Test("an unsupported type is reported by name")
    func unsupportedNamed() {
        guard case .failure(let failure) = DocumentKind.classify(mimeType: "video/mp4") else {
            Issue.record("video/mp4 was accepted")
            return
        }
        #expect(failure.code == .unsupportedType)
        #expect(failure.detail.contains("video/mp4"))
    }
}
