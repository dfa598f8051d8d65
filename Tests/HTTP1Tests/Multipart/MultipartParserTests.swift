import Testing
import TestSupport

@testable import HTTP1

private typealias F = MultipartFixture

@Suite("Multipart parser: boundary, limits and streaming behaviour")
struct MultipartParserTests {
    @Test("accepts RFC 2046 boundaries", arguments: [
        "x", "----WebKitFormBoundary7MA4YWxkTrZu0gW", String(repeating: "a", count: 70), "a b", "'()+_,-./:=?",
    ])
    func validBoundary(boundary: String) throws {
        _ = try MultipartParser(boundary: boundary)
    }

    @Test("rejects illegal boundaries", arguments: [
        "", String(repeating: "a", count: 71), "ends in space ", "semi;colon", "quote\"", "tab\there", "é", "a\r\nb",
    ])
    func invalidBoundary(boundary: String) {
        #expect(throws: MultipartError.invalidBoundary) { try MultipartParser(boundary: boundary) }
        #expect(MultipartError.invalidBoundary.status == 400)
        #expect(MultipartError.invalidBoundary.code == "invalid_boundary")
    }

    @Test("extracts the boundary from a Content-Type value", arguments: [
        ("multipart/form-data; boundary=abc", "abc"),
        ("Multipart/Form-Data;BOUNDARY=\"a b:c\"", "a b:c"),
        ("multipart/form-data; charset=utf-8; boundary=----=_Part_1", "----=_Part_1"),
        ("multipart/form-data ; boundary = \"q\\\"x\"", "q\"x"),
        ("multipart/form-data", nil),
        ("multipart/mixed; boundary=abc", nil),
        ("application/json; boundary=abc", nil),
        ("multipart/form-data; boundary=\"\"", nil),
        ("multipart/form-data; boundary=\"abc", nil),
        ("multipart/form-data; boundary", nil),
    ] as [(String, String?)])
    func boundaryFromContentType(contentType: String, expected: String?) {
        #expect(MultipartParser.boundary(fromContentType: contentType) == expected)
    }

    @Test("a part count at the limit passes, one more fails with 413")
    func partCountLimit() {
        let parts = (0..<3).map { F.part(name: "p\($0)", text: "\($0)") }
        let atLimit = parseMultipart(F.body(parts), limits: MultipartLimits(maxPartCount: 3))
        #expect(atLimit.error == nil)
        #expect(atLimit.parts?.count == 3)
        let over = parseMultipart(F.body(parts), limits: MultipartLimits(maxPartCount: 2))
        #expect(over.error == .tooManyParts)
        #expect(over.error?.status == 413)
        #expect(over.events.last == .partEnd)  // two whole parts, then the error: no `.end`
        #expect(over.events.filter { $0 == .partEnd }.count == 2)
    }

    @Test("a header section of exactly the limit passes, one byte more fails")
    func headerBytesLimit() {
        let header = "Content-Disposition: form-data; name=a"
        let sectionBytes = header.utf8.count + 4  // the line's CRLF and the blank line
        let body = F.body([F.Part(headers: [header], body: [7])])
        #expect(parseMultipart(body, limits: MultipartLimits(maxPartHeaderBytes: sectionBytes)).error == nil)
        let over = parseMultipart(body, limits: MultipartLimits(maxPartHeaderBytes: sectionBytes - 1))
        #expect(over.error == .partHeadersTooLarge)
        #expect(over.error?.status == 413)
    }

    @Test("a header count at the limit passes, one more fails")
    func headerCountLimit() {
        let body = F.body([F.Part(headers: ["Content-Disposition: form-data; name=a", "X-A: 1", "X-B: 2"], body: [])])
        #expect(parseMultipart(body, limits: MultipartLimits(maxPartHeaderCount: 3)).error == nil)
        #expect(parseMultipart(body, limits: MultipartLimits(maxPartHeaderCount: 2)).error == .tooManyPartHeaders)
    }

    @Test("keeps the header fields in order, names case-insensitive")
    func headerFields() throws {
        let body = F.body([F.Part(headers: ["content-DISPOSITION: form-data; name=\"a\"", "X-Note:  spaced \t",
            "CONTENT-TYPE: text/plain; charset=utf-8"], body: [])])
        guard case .partBegin(let head) = parseMultipart(body).events.first else {
            Issue.record("no partBegin")
            return
        }
        #expect(head.headers == [
            MultipartHeader(name: "content-DISPOSITION", value: "form-data; name=\"a\""),
            MultipartHeader(name: "X-Note", value: "spaced"),
            MultipartHeader(name: "CONTENT-TYPE", value: "text/plain; charset=utf-8"),
        ])
        #expect(head.contentType == "text/plain; charset=utf-8")
        #expect(head.value(forHeader: "x-note") == "spaced")
        #expect(head.value(forHeader: "missing") == nil)
    }

    @Test("emits body bytes as soon as they cannot begin a delimiter")
    func holdsBackOnlyPossibleDelimiterPrefixes() throws {
        var parser = try MultipartParser(boundary: F.boundary)
        var emitted: [UInt8] = []
        let head = Array("--\(F.boundary)\r\nContent-Disposition: form-data; name=a\r\n\r\n".utf8)
        func feed(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { buffer in
                try parser.parse(buffer) { if case .body(let slice) = $0 { emitted += slice } }
            }
        }
        try feed(head + Array("hello".utf8))
        #expect(emitted == Array("hello".utf8))  // nothing held back: no CR at the end
        try feed(Array("\r\n--".utf8))
        #expect(emitted == Array("hello".utf8))  // could begin a delimiter
        try feed(Array("X".utf8))
        #expect(emitted == Array("hello\r\n--X".utf8))  // cannot anymore
        try feed(Array("\r\n--\(F.boundary.prefix(20))".utf8))
        #expect(emitted == Array("hello\r\n--X".utf8))
        try feed(Array("\(F.boundary.dropFirst(20))--".utf8))
        #expect(emitted == Array("hello\r\n--X".utf8))
        #expect(parser.isFinished)
        try parser.finish()
    }

    @Test("hands out slices of the input without copying the bulk of a body")
    func bodyIsNotCopied() throws {
        var parser = try MultipartParser(boundary: F.boundary)
        let bytes = F.body([F.part(name: "a", body: [UInt8](repeating: 0x41, count: 10_000))])
        var slices: [UnsafeRawBufferPointer] = []
        try bytes.withUnsafeBytes { buffer in
            try parser.parse(buffer) { if case .body(let slice) = $0 { slices.append(slice) } }
            #expect(slices.count == 1)
            #expect(slices.first.map { buffer.baseAddress! <= $0.baseAddress! && $0.count == 10_000 } == true)
        }
    }

    @Test("isFinished turns true at the closing delimiter; the epilogue is ignored")
    func finishedState() throws {
        var parser = try MultipartParser(boundary: "b")
        var events: [String] = []
        let bytes = Array("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nA\r\n--b--".utf8)
        try bytes.withUnsafeBytes { try parser.parse($0) { events.append("\($0)") } }
        #expect(parser.isFinished)
        try Array("\r\n--b\r\nanything at all".utf8).withUnsafeBytes { try parser.parse($0) { events.append("\($0)") } }
        try parser.finish()
        #expect(events.count == 4)
        #expect(events.last == "end")
    }

    @Test("after an error every call throws it again")
    func errorsAreSticky() throws {
        var parser = try MultipartParser(boundary: "b")
        let bad = Array("--bX".utf8)
        #expect(throws: MultipartError.malformedDelimiter) {
            try bad.withUnsafeBytes { try parser.parse($0) { _ in } }
        }
        let good = Array("\r\n--b--".utf8)
        var called = false
        #expect(throws: MultipartError.malformedDelimiter) {
            try good.withUnsafeBytes { try parser.parse($0) { _ in called = true } }
        }
        #expect(throws: MultipartError.malformedDelimiter) { try parser.finish() }
        #expect(!called)
        #expect(!parser.isFinished)
    }

    @Test("errors compare by code and describe themselves")
    func errorValues() {
        let specific = MultipartError.tooManyParts.with(message: "more than 3 parts")
        #expect(specific == .tooManyParts)
        #expect(specific != .noParts)
        #expect(specific.description == "too_many_parts: more than 3 parts")
        #expect(MultipartError.boundaryInPartHeaders.code == "boundary_in_part_headers")
        #expect(MultipartError.partHeadersTooLarge.status == 413)
        #expect(MultipartError.malformedPartHeader.status == 400)
    }

    @Test("random bodies parse to their parts at random chunkings")
    func randomBodies() {
        var generator = SplitMix64(seed: 7)
        let alphabet = Array("\r\n-ab".utf8) + Array(F.boundary.utf8.prefix(6))
        for round in 0..<200 {
            let boundary = round % 3 == 0 ? "ab" : F.boundary
            let parts = (0..<Int.random(in: 1...4, using: &generator)).map { index in
                let count = Int.random(in: 0...300, using: &generator)
                let body = (0..<count).map { _ in
                    Bool.random(using: &generator)
                        ? alphabet.randomElement(using: &generator)!
                        : UInt8.random(in: 0...255, using: &generator)
                }
                return F.part(name: "p\(index)", body: body)
            }
            let bytes = F.body(parts, boundary: boundary)
            // Skip the rare body that happens to contain the delimiter itself.
            let delimiter = Array("\r\n--\(boundary)".utf8)
            if parts.contains(where: { part in
                let probe = Array("x".utf8) + part.body + [0x0D]
                return probe.indices.contains { probe[$0...].starts(with: delimiter) }
            }) { continue }
            var splits: [Int] = []
            var offset = 0
            while true {
                offset += Int.random(in: 1...40, using: &generator)
                if offset >= bytes.count { break }
                splits.append(offset)
            }
            let outcome = parseMultipart(bytes, boundary: boundary, splits: splits)
            let expected = parts.map { part in
                ExpectedMultipartPart(name: part.headers[0].split(separator: "\"")[1].description, body: part.body)
            }
            #expect(outcome.error == nil, "round \(round)")
            #expect(outcome.parts == expected, "round \(round)")
            #expect(!outcome.sawEmptyBody)
        }
    }

    @Test("large bodies with planted near misses parse the same at any chunk size", arguments: ["xy", F.boundary])
    func largeBodies(boundary: String) {
        var generator = SplitMix64(seed: 99)
        var body = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let nearMiss = Array("\r\n--\(boundary.dropLast())".utf8) + [0]  // never completed to a delimiter
        for offset in stride(from: 1000, to: body.count - 100, by: 4093) {
            body.replaceSubrange(offset..<(offset + nearMiss.count), with: nearMiss)
        }
        let bytes = F.body([F.part(name: "big", body: body), F.part(name: "small", text: "s")], boundary: boundary)
        let expected = [ExpectedMultipartPart(name: "big", body: body), ExpectedMultipartPart(name: "small", text: "s")]
        for chunk in [65_536, 4096, 1000, 77, 13, 3] {
            let outcome = parseMultipart(
                bytes, boundary: boundary, splits: Array(stride(from: chunk, to: bytes.count, by: chunk))
            )
            #expect(outcome.error == nil, "chunk \(chunk)")
            #expect(outcome.parts == expected, "chunk \(chunk)")
            #expect(!outcome.sawEmptyBody)
        }
    }
}
