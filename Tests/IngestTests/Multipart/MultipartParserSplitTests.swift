import Testing

@testable import Ingest

/// A body and what parsing it must give: parts and `.end`, or an error code.
struct SplitFixture: Sendable, CustomTestStringConvertible {
    var label: String
    var bytes: [UInt8]
    var boundary = MultipartFixture.boundary
    var parts: [ExpectedPart] = []
    var errorCode: String?
    var limits = MultipartLimits()

    var testDescription: String { label }
}

private typealias F = MultipartFixture

/// Bytes that start like a delimiter but are not one.
private let nearMisses: [UInt8] = {
    let b = F.boundary
    var bytes: [UInt8] = []
    for miss in [
        "--\(b)", "\n--\(b)", "\r--\(b)", "\r\n-\(b)", "\r\n--\(b.dropLast())X", "\r\r\n--\(b.dropLast())",
        "\r\n--", "\r\n", "\r", "\r\n\r\n--\(b.prefix(10))", "--\(b)--", "\n\r--\(b)\r\n",
    ] {
        bytes += Array(miss.utf8) + [0x00, 0xFF]
    }
    return bytes
}()

private let randomBytes: [UInt8] = {
    var generator = F.SeededGenerator(state: 42)
    return (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
}()

private let resume = Array("%PDF-1.7\r\n%âãÏÓ\r\n1 0 obj << /Type /Catalog >>\r\nendobj\r\n%%EOF\r\n".utf8)

let splitFixtures: [SplitFixture] = [
    SplitFixture(
        label: "one file",
        bytes: F.body([F.part(name: "file", filename: "cv.pdf", contentType: "application/pdf", body: resume)]),
        parts: [ExpectedPart(name: "file", filename: "cv.pdf", contentType: "application/pdf", body: resume)]
    ),
    SplitFixture(
        label: "many files and fields",
        bytes: F.body([
            F.part(name: "candidate", text: "Ada Lovelace"),
            F.part(name: "files", filename: "a.txt", contentType: "text/plain", text: "first\r\nfile\r\n"),
            F.part(name: "files", filename: "b.bin", contentType: "application/octet-stream", body: randomBytes),
            F.part(name: "files", filename: "c.pdf", body: resume),
        ]),
        parts: [
            ExpectedPart(name: "candidate", text: "Ada Lovelace"),
            ExpectedPart(name: "files", filename: "a.txt", contentType: "text/plain", text: "first\r\nfile\r\n"),
            ExpectedPart(name: "files", filename: "b.bin", contentType: "application/octet-stream", body: randomBytes),
            ExpectedPart(name: "files", filename: "c.pdf", body: resume),
        ]
    ),
    SplitFixture(
        label: "empty parts",
        bytes: F.body([
            F.part(name: "a", text: ""), F.part(name: "b", filename: "", text: ""), F.part(name: "c", text: ""),
        ]),
        parts: [ExpectedPart(name: "a", text: ""), ExpectedPart(name: "b", filename: "", text: ""),
                ExpectedPart(name: "c", text: "")]
    ),
    SplitFixture(
        label: "binary body with delimiter near misses",
        bytes: F.body([F.part(name: "bin", body: nearMisses), F.part(name: "rnd", body: randomBytes + nearMisses)]),
        parts: [ExpectedPart(name: "bin", body: nearMisses), ExpectedPart(name: "rnd", body: randomBytes + nearMisses)]
    ),
    SplitFixture(
        label: "body ending in CR and CRLF",
        bytes: F.body([F.part(name: "a", text: "line\r"), F.part(name: "b", text: "line\r\n"),
                       F.part(name: "c", text: "\r\n-")]),
        parts: [ExpectedPart(name: "a", text: "line\r"), ExpectedPart(name: "b", text: "line\r\n"),
                ExpectedPart(name: "c", text: "\r\n-")]
    ),
    SplitFixture(
        label: "quoted, escaped, UTF-8 and RFC 5987 filenames",
        bytes: F.body([
            F.Part(headers: [#"Content-Disposition: form-data; name="q"; filename="say \"hi\".txt""#], body: [1]),
            F.Part(
                headers: ["Content-Disposition: form-data; name=\"u\"; filename=\"Lebenslauf Jürgen 履歴書.pdf\""],
                body: [2]
            ),
            F.Part(headers: [#"content-disposition: FORM-DATA; NAME=x; FILENAME*=UTF-8''%E2%82%AC%20rates.pdf"#],
                body: [3]),
            F.Part(headers: [
                #"Content-Disposition: form-data; name="both"; filename*=utf-8'en'na%C3%AFve.txt; "#
                    + #"filename="naive.txt""#,
            ], body: [4]),
            F.Part(headers: [#"Content-Disposition: form-data; name="win"; filename="C:\Users\cv.pdf""#], body: [5]),
            F.Part(headers: [#"Content-Disposition: form-data; name="latin"; filename*=ISO-8859-1''caf%E9.txt"#],
                body: [6]),
        ]),
        parts: [
            ExpectedPart(name: "q", filename: #"say "hi".txt"#, body: [1]),
            ExpectedPart(name: "u", filename: "Lebenslauf Jürgen 履歴書.pdf", body: [2]),
            ExpectedPart(name: "x", filename: "€ rates.pdf", body: [3]),
            ExpectedPart(name: "both", filename: "naïve.txt", body: [4]),
            ExpectedPart(name: "win", filename: #"C:\Users\cv.pdf"#, body: [5]),
            ExpectedPart(name: "latin", filename: "café.txt", body: [6]),
        ]
    ),
    SplitFixture(
        label: "preamble and epilogue",
        bytes: F.body([F.part(name: "a", text: "A")], preamble: "This is a preamble --\(F.boundary.prefix(5))\r\n",
            epilogue: "\r\nepilogue --\(F.boundary)\r\ngarbage"),
        parts: [ExpectedPart(name: "a", text: "A")]
    ),
    SplitFixture(
        label: "transport padding after delimiters",
        bytes: F.body([F.part(name: "a", text: "A"), F.part(name: "b", text: "B")], padding: " \t  "),
        parts: [ExpectedPart(name: "a", text: "A"), ExpectedPart(name: "b", text: "B")]
    ),
    SplitFixture(
        label: "first delimiter after a CRLF, closing delimiter at end of input",
        bytes: Array(
            "\r\n--\(F.boundary)\r\nContent-Disposition: form-data; name=a\r\n\r\nA\r\n--\(F.boundary)--".utf8
        ),
        parts: [ExpectedPart(name: "a", text: "A")]
    ),
    SplitFixture(
        label: "short boundary",
        bytes: F.body([F.part(name: "a", text: "x\r\n-x\r\n--y--x"), F.part(name: "b", text: "-")], boundary: "x"),
        boundary: "x",
        parts: [ExpectedPart(name: "a", text: "x\r\n-x\r\n--y--x"), ExpectedPart(name: "b", text: "-")]
    ),
    SplitFixture(
        label: "70-character boundary with spaces",
        bytes: F.body([F.part(name: "a", text: "A")], boundary: String(repeating: "a b", count: 23) + "z"),
        boundary: String(repeating: "a b", count: 23) + "z",
        parts: [ExpectedPart(name: "a", text: "A")]
    ),
    SplitFixture(
        label: "folded header and extra headers",
        bytes: Array(("--\(F.boundary)\r\nContent-Disposition: form-data;\r\n name=\"folded\"\r\nX-Extra: 1\r\n"
            + "Content-Type:text/plain\r\n\r\nbody\r\n--\(F.boundary)--").utf8),
        parts: [ExpectedPart(name: "folded", contentType: "text/plain", text: "body")]
    ),
]

let errorFixtures: [SplitFixture] = [
    SplitFixture(label: "no closing delimiter", bytes: Array(F.body([F.part(name: "a", text: "A")]).dropLast(4)),
        errorCode: "missing_closing_boundary"),
    SplitFixture(label: "empty body", bytes: [], errorCode: "missing_closing_boundary"),
    SplitFixture(label: "only a preamble", bytes: Array("hello".utf8), errorCode: "missing_closing_boundary"),
    SplitFixture(label: "cut inside the headers",
        bytes: Array("--\(F.boundary)\r\nContent-Disposition: form-data; name=a\r\n".utf8),
        errorCode: "missing_closing_boundary"),
    SplitFixture(label: "closing delimiter only", bytes: Array("--\(F.boundary)--\r\n".utf8), errorCode: "no_parts"),
    SplitFixture(label: "delimiter followed by garbage",
        bytes: Array("--\(F.boundary)X\r\n".utf8) + F.body([F.part(name: "a", text: "A")]),
        errorCode: "malformed_delimiter"),
    SplitFixture(label: "padding followed by garbage", bytes: Array("--\(F.boundary) \tX".utf8),
        errorCode: "malformed_delimiter"),
    SplitFixture(label: "CR without LF after delimiter", bytes: Array("--\(F.boundary)\rX".utf8),
        errorCode: "malformed_delimiter"),
    SplitFixture(label: "single dash after delimiter", bytes: Array("--\(F.boundary)-X".utf8),
        errorCode: "malformed_delimiter"),
    SplitFixture(label: "delimiter inside the header section",
        bytes: Array("--\(F.boundary)\r\nContent-Disposition: form-data; name=a\r\n--\(F.boundary)--\r\n".utf8),
        errorCode: "boundary_in_part_headers"),
    SplitFixture(label: "delimiter right after the delimiter line",
        bytes: Array("--\(F.boundary)\r\n--\(F.boundary)\r\nContent-Disposition: form-data; name=a\r\n\r\nA".utf8)
            + Array("\r\n--\(F.boundary)--".utf8),
        errorCode: "boundary_in_part_headers"),
    SplitFixture(label: "no Content-Disposition",
        bytes: F.body([F.Part(headers: ["Content-Type: text/plain"], body: [1])]),
        errorCode: "missing_content_disposition"),
    SplitFixture(label: "no headers at all", bytes: F.body([F.Part(headers: [], body: [1])]),
        errorCode: "missing_content_disposition"),
    SplitFixture(label: "attachment, not form-data",
        bytes: F.body([F.Part(headers: ["Content-Disposition: attachment; name=\"a\""], body: [1])]),
        errorCode: "invalid_content_disposition"),
    SplitFixture(label: "no name parameter",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; filename=\"a\""], body: [1])]),
        errorCode: "invalid_content_disposition"),
    SplitFixture(label: "unterminated quoted name",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; name=\"a"], body: [1])]),
        errorCode: "invalid_content_disposition"),
    SplitFixture(label: "bad percent-encoding in filename*",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; name=a; filename*=UTF-8''%G1"], body: [1])]),
        errorCode: "invalid_content_disposition"),
    SplitFixture(label: "invalid UTF-8 in filename*",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; name=a; filename*=UTF-8''%FF"], body: [1])]),
        errorCode: "invalid_content_disposition"),
    SplitFixture(label: "two Content-Disposition headers",
        bytes: F.body([
            F.Part(headers: ["Content-Disposition: form-data; name=a", "Content-Disposition: form-data; name=b"],
                body: [1]),
        ]),
        errorCode: "invalid_content_disposition"),
    SplitFixture(label: "duplicate name parameter",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; name=a; name=b"], body: [1])]),
        errorCode: "invalid_content_disposition"),
    SplitFixture(label: "header line without colon",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; name=a", "Bogus"], body: [1])]),
        errorCode: "malformed_part_header"),
    SplitFixture(label: "space before colon",
        bytes: F.body([F.Part(headers: ["Content-Disposition : form-data; name=a"], body: [1])]),
        errorCode: "malformed_part_header"),
    SplitFixture(label: "bare LF inside a header line",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; name=a\nX-A: b"], body: [1])]),
        errorCode: "malformed_part_header"),
    SplitFixture(label: "continuation line first",
        bytes: F.body([F.Part(headers: [" folded", "Content-Disposition: form-data; name=a"], body: [1])]),
        errorCode: "malformed_part_header"),
    SplitFixture(label: "too many parts",
        bytes: F.body([F.part(name: "a", text: "1"), F.part(name: "b", text: "2"), F.part(name: "c", text: "3")]),
        errorCode: "too_many_parts", limits: MultipartLimits(maxPartCount: 2)),
    SplitFixture(label: "header section too large",
        bytes: F.body([
            F.Part(headers: ["Content-Disposition: form-data; name=a", "X-Pad: " + String(repeating: "p", count: 100)],
                body: [1]),
        ]),
        errorCode: "part_headers_too_large", limits: MultipartLimits(maxPartHeaderBytes: 100)),
    SplitFixture(label: "endless header section",
        bytes: Array("--\(F.boundary)\r\n".utf8) + [UInt8](repeating: UInt8(ascii: "h"), count: 200),
        errorCode: "part_headers_too_large", limits: MultipartLimits(maxPartHeaderBytes: 64)),
    SplitFixture(label: "too many header fields",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; name=a", "A: 1", "B: 2"], body: [1])]),
        errorCode: "too_many_part_headers", limits: MultipartLimits(maxPartHeaderCount: 2)),
]

@Suite("Multipart parser: fixtures at every split point")
struct MultipartParserSplitTests {
    @Test("parses each fixture one-shot", arguments: splitFixtures)
    func oneShot(fixture: SplitFixture) {
        let outcome = parseMultipart(fixture.bytes, boundary: fixture.boundary, limits: fixture.limits)
        #expect(outcome.error == nil, "unexpected \(String(describing: outcome.error))")
        #expect(outcome.parts == fixture.parts)
        #expect(outcome.events.last == .end)
    }

    @Test("gives the one-shot result at every split point and byte by byte", arguments: splitFixtures + errorFixtures)
    func everySplit(fixture: SplitFixture) {
        let (oneShot, mismatch) = parseAtEverySplit(fixture.bytes, boundary: fixture.boundary, limits: fixture.limits)
        if let (where_, outcome) = mismatch {
            Issue.record("\(where_): \(outcome.events) \(String(describing: outcome.error)) != \(oneShot.events)")
        }
        if let code = fixture.errorCode {
            #expect(oneShot.error?.code == code, "\(String(describing: oneShot.error))")
        } else {
            #expect(oneShot.parts == fixture.parts)
        }
    }

    @Test("rejects each malformed body with its code", arguments: errorFixtures)
    func errors(fixture: SplitFixture) {
        let outcome = parseMultipart(fixture.bytes, boundary: fixture.boundary, limits: fixture.limits)
        #expect(outcome.error?.code == fixture.errorCode, "\(String(describing: outcome.error))")
        let code = fixture.errorCode!
        #expect(outcome.error?.status == (code.hasPrefix("too_") || code.hasSuffix("too_large") ? 413 : 400))
        #expect(outcome.events.last != .end)
    }

    @Test("every error code has a fixture")
    func everyCodeCovered() {
        let covered = Set(errorFixtures.compactMap(\.errorCode))
        let all: [MultipartError] = [
            .missingClosingBoundary, .malformedDelimiter, .noParts, .boundaryInPartHeaders, .malformedPartHeader,
            .missingContentDisposition, .invalidContentDisposition, .partHeadersTooLarge, .tooManyPartHeaders,
            .tooManyParts,
        ]
        #expect(Set(all.map(\.code)) == covered)
    }
}
