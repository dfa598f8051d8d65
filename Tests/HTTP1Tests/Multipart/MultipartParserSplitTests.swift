import Testing
import TestSupport

@testable import HTTP1

/// A body and what parsing it must give: parts and `.end`, or an error code.
struct MultipartSplitFixture: Sendable, CustomTestStringConvertible {
    var label: String
    var bytes: [UInt8]
    var boundary = MultipartFixture.boundary
    var parts: [ExpectedMultipartPart] = []
    var errorCode: String?
    var limits = MultipartLimits()

    var testDescription: String { label }
}

private typealias F = MultipartFixture
private typealias P = ExpectedMultipartPart
private typealias S = MultipartSplitFixture

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
    var generator = SplitMix64(seed: 42)
    return (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
}()

private let resume = Array("%PDF-1.7\r\n%âãÏÓ\r\n1 0 obj << /Type /Catalog >>\r\nendobj\r\n%%EOF\r\n".utf8)

let multipartSplitFixtures: [MultipartSplitFixture] = [
    S(
        label: "one file",
        bytes: F.body([F.part(name: "file", filename: "cv.pdf", contentType: "application/pdf", body: resume)]),
        parts: [P(name: "file", filename: "cv.pdf", contentType: "application/pdf", body: resume)]
    ),
    S(
        label: "many files and fields",
        bytes: F.body([
            F.part(name: "candidate", text: "Ada Lovelace"),
            F.part(name: "files", filename: "a.txt", contentType: "text/plain", text: "first\r\nfile\r\n"),
            F.part(name: "files", filename: "b.bin", contentType: "application/octet-stream", body: randomBytes),
            F.part(name: "files", filename: "c.pdf", body: resume),
        ]),
        parts: [
            P(name: "candidate", text: "Ada Lovelace"),
            P(name: "files", filename: "a.txt", contentType: "text/plain", text: "first\r\nfile\r\n"),
            P(name: "files", filename: "b.bin", contentType: "application/octet-stream", body: randomBytes),
            P(name: "files", filename: "c.pdf", body: resume),
        ]
    ),
    S(
        label: "empty parts",
        bytes: F.body([
            F.part(name: "a", text: ""), F.part(name: "b", filename: "", text: ""), F.part(name: "c", text: ""),
        ]),
        parts: [P(name: "a", text: ""), P(name: "b", filename: "", text: ""),
                P(name: "c", text: "")]
    ),
    S(
        label: "binary body with delimiter near misses",
        bytes: F.body([F.part(name: "bin", body: nearMisses), F.part(name: "rnd", body: randomBytes + nearMisses)]),
        parts: [P(name: "bin", body: nearMisses), P(name: "rnd", body: randomBytes + nearMisses)]
    ),
    S(
        label: "body ending in CR and CRLF",
        bytes: F.body([F.part(name: "a", text: "line\r"), F.part(name: "b", text: "line\r\n"),
                       F.part(name: "c", text: "\r\n-")]),
        parts: [P(name: "a", text: "line\r"), P(name: "b", text: "line\r\n"),
                P(name: "c", text: "\r\n-")]
    ),
    S(
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
            P(name: "q", filename: #"say "hi".txt"#, body: [1]),
            P(name: "u", filename: "Lebenslauf Jürgen 履歴書.pdf", body: [2]),
            P(name: "x", filename: "€ rates.pdf", body: [3]),
            P(name: "both", filename: "naïve.txt", body: [4]),
            P(name: "win", filename: #"C:\Users\cv.pdf"#, body: [5]),
            P(name: "latin", filename: "café.txt", body: [6]),
        ]
    ),
    S(
        label: "preamble and epilogue",
        bytes: F.body([F.part(name: "a", text: "A")], preamble: "This is a preamble --\(F.boundary.prefix(5))\r\n",
            epilogue: "\r\nepilogue --\(F.boundary)\r\ngarbage"),
        parts: [P(name: "a", text: "A")]
    ),
    S(
        label: "transport padding after delimiters",
        bytes: F.body([F.part(name: "a", text: "A"), F.part(name: "b", text: "B")], padding: " \t  "),
        parts: [P(name: "a", text: "A"), P(name: "b", text: "B")]
    ),
    S(
        label: "first delimiter after a CRLF, closing delimiter at end of input",
        bytes: Array(
            "\r\n--\(F.boundary)\r\nContent-Disposition: form-data; name=a\r\n\r\nA\r\n--\(F.boundary)--".utf8
        ),
        parts: [P(name: "a", text: "A")]
    ),
    S(
        label: "short boundary",
        bytes: F.body([F.part(name: "a", text: "x\r\n-x\r\n--y--x"), F.part(name: "b", text: "-")], boundary: "x"),
        boundary: "x",
        parts: [P(name: "a", text: "x\r\n-x\r\n--y--x"), P(name: "b", text: "-")]
    ),
    S(
        label: "70-character boundary with spaces",
        bytes: F.body([F.part(name: "a", text: "A")], boundary: String(repeating: "a b", count: 23) + "z"),
        boundary: String(repeating: "a b", count: 23) + "z",
        parts: [P(name: "a", text: "A")]
    ),
    S(
        label: "folded header and extra headers",
        bytes: Array(("--\(F.boundary)\r\nContent-Disposition: form-data;\r\n name=\"folded\"\r\nX-Extra: 1\r\n"
            + "Content-Type:text/plain\r\n\r\nbody\r\n--\(F.boundary)--").utf8),
        parts: [P(name: "folded", contentType: "text/plain", text: "body")]
    ),
]

let multipartErrorFixtures: [MultipartSplitFixture] = [
    S(label: "no closing delimiter", bytes: Array(F.body([F.part(name: "a", text: "A")]).dropLast(4)),
        errorCode: "missing_closing_boundary"),
    S(label: "empty body", bytes: [], errorCode: "missing_closing_boundary"),
    S(label: "only a preamble", bytes: Array("hello".utf8), errorCode: "missing_closing_boundary"),
    S(label: "cut inside the headers",
        bytes: Array("--\(F.boundary)\r\nContent-Disposition: form-data; name=a\r\n".utf8),
        errorCode: "missing_closing_boundary"),
    S(label: "closing delimiter only", bytes: Array("--\(F.boundary)--\r\n".utf8), errorCode: "no_parts"),
    S(label: "delimiter followed by garbage",
        bytes: Array("--\(F.boundary)X\r\n".utf8) + F.body([F.part(name: "a", text: "A")]),
        errorCode: "malformed_delimiter"),
    S(label: "padding followed by garbage", bytes: Array("--\(F.boundary) \tX".utf8),
        errorCode: "malformed_delimiter"),
    S(label: "CR without LF after delimiter", bytes: Array("--\(F.boundary)\rX".utf8),
        errorCode: "malformed_delimiter"),
    S(label: "single dash after delimiter", bytes: Array("--\(F.boundary)-X".utf8),
        errorCode: "malformed_delimiter"),
    S(label: "delimiter inside the header section",
        bytes: Array("--\(F.boundary)\r\nContent-Disposition: form-data; name=a\r\n--\(F.boundary)--\r\n".utf8),
        errorCode: "boundary_in_part_headers"),
    S(label: "delimiter right after the delimiter line",
        bytes: Array("--\(F.boundary)\r\n--\(F.boundary)\r\nContent-Disposition: form-data; name=a\r\n\r\nA".utf8)
            + Array("\r\n--\(F.boundary)--".utf8),
        errorCode: "boundary_in_part_headers"),
    S(label: "no Content-Disposition",
        bytes: F.body([F.Part(headers: ["Content-Type: text/plain"], body: [1])]),
        errorCode: "missing_content_disposition"),
    S(label: "no headers at all", bytes: F.body([F.Part(headers: [], body: [1])]),
        errorCode: "missing_content_disposition"),
    S(label: "attachment, not form-data",
        bytes: F.body([F.Part(headers: ["Content-Disposition: attachment; name=\"a\""], body: [1])]),
        errorCode: "invalid_content_disposition"),
    S(label: "no name parameter",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; filename=\"a\""], body: [1])]),
        errorCode: "invalid_content_disposition"),
    S(label: "unterminated quoted name",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; name=\"a"], body: [1])]),
        errorCode: "invalid_content_disposition"),
    S(label: "bad percent-encoding in filename*",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; name=a; filename*=UTF-8''%G1"], body: [1])]),
        errorCode: "invalid_content_disposition"),
    S(label: "invalid UTF-8 in filename*",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; name=a; filename*=UTF-8''%FF"], body: [1])]),
        errorCode: "invalid_content_disposition"),
    S(label: "two Content-Disposition headers",
        bytes: F.body([
            F.Part(headers: ["Content-Disposition: form-data; name=a", "Content-Disposition: form-data; name=b"],
                body: [1]),
        ]),
        errorCode: "invalid_content_disposition"),
    S(label: "duplicate name parameter",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; name=a; name=b"], body: [1])]),
        errorCode: "invalid_content_disposition"),
    S(label: "header line without colon",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; name=a", "Bogus"], body: [1])]),
        errorCode: "malformed_part_header"),
    S(label: "space before colon",
        bytes: F.body([F.Part(headers: ["Content-Disposition : form-data; name=a"], body: [1])]),
        errorCode: "malformed_part_header"),
    S(label: "bare LF inside a header line",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; name=a\nX-A: b"], body: [1])]),
        errorCode: "malformed_part_header"),
    S(label: "continuation line first",
        bytes: F.body([F.Part(headers: [" folded", "Content-Disposition: form-data; name=a"], body: [1])]),
        errorCode: "malformed_part_header"),
    S(label: "too many parts",
        bytes: F.body([F.part(name: "a", text: "1"), F.part(name: "b", text: "2"), F.part(name: "c", text: "3")]),
        errorCode: "too_many_parts", limits: MultipartLimits(maxPartCount: 2)),
    S(label: "header section too large",
        bytes: F.body([
            F.Part(headers: ["Content-Disposition: form-data; name=a", "X-Pad: " + String(repeating: "p", count: 100)],
                body: [1]),
        ]),
        errorCode: "part_headers_too_large", limits: MultipartLimits(maxPartHeaderBytes: 100)),
    S(label: "endless header section",
        bytes: Array("--\(F.boundary)\r\n".utf8) + [UInt8](repeating: UInt8(ascii: "h"), count: 200),
        errorCode: "part_headers_too_large", limits: MultipartLimits(maxPartHeaderBytes: 64)),
    S(label: "too many header fields",
        bytes: F.body([F.Part(headers: ["Content-Disposition: form-data; name=a", "A: 1", "B: 2"], body: [1])]),
        errorCode: "too_many_part_headers", limits: MultipartLimits(maxPartHeaderCount: 2)),
]

@Suite("Multipart parser: fixtures at every split point")
struct MultipartParserSplitTests {
    @Test("parses each fixture one-shot", arguments: multipartSplitFixtures)
    func oneShot(fixture: MultipartSplitFixture) {
        let outcome = parseMultipart(fixture.bytes, boundary: fixture.boundary, limits: fixture.limits)
        #expect(outcome.error == nil, "unexpected \(String(describing: outcome.error))")
        #expect(outcome.parts == fixture.parts)
        #expect(outcome.events.last == .end)
    }

    @Test(
        "gives the one-shot result at every split point and byte by byte",
        arguments: multipartSplitFixtures + multipartErrorFixtures
    )
    func everySplit(fixture: MultipartSplitFixture) {
        let (oneShot, mismatch) = parseMultipartAtEverySplit(
            fixture.bytes, boundary: fixture.boundary, limits: fixture.limits
        )
        if let (where_, outcome) = mismatch {
            Issue.record("\(where_): \(outcome.events) \(String(describing: outcome.error)) != \(oneShot.events)")
        }
        if let code = fixture.errorCode {
            #expect(oneShot.error?.code == code, "\(String(describing: oneShot.error))")
        } else {
            #expect(oneShot.parts == fixture.parts)
        }
    }

    @Test("rejects each malformed body with its code", arguments: multipartErrorFixtures)
    func errors(fixture: MultipartSplitFixture) {
        let outcome = parseMultipart(fixture.bytes, boundary: fixture.boundary, limits: fixture.limits)
        #expect(outcome.error?.code == fixture.errorCode, "\(String(describing: outcome.error))")
        let code = fixture.errorCode!
        #expect(outcome.error?.status == (code.hasPrefix("too_") || code.hasSuffix("too_large") ? 413 : 400))
        #expect(outcome.events.last != .end)
    }

    @Test("every error code has a fixture")
    func everyCodeCovered() {
        let covered = Set(multipartErrorFixtures.compactMap(\.errorCode))
        let all: [MultipartError] = [
            .missingClosingBoundary, .malformedDelimiter, .noParts, .boundaryInPartHeaders, .malformedPartHeader,
            .missingContentDisposition, .invalidContentDisposition, .partHeadersTooLarge, .tooManyPartHeaders,
            .tooManyParts,
        ]
        #expect(Set(all.map(\.code)) == covered)
    }
}
