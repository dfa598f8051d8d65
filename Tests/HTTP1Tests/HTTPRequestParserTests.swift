import Testing

@testable import HTTP1

@Suite("HTTPRequestParser")
struct HTTPRequestParserTests {
    // MARK: Fixtures

    @Test("fixture parses as expected in one piece", arguments: HTTPFixtures.all)
    func fixture(_ fixture: HTTPFixture) {
        let outcome = HTTPParserDriver.oneShot(fixture.input, limits: fixture.limits)
        #expect(outcome.violations == [])
        #expect(outcome.requests == fixture.requests)
        #expect(outcome.errorCode == fixture.error?.code, "\(outcome.error?.description ?? "no error")")
        if let error = fixture.error, let got = outcome.error {
            #expect(got.status == error.status)
        }
    }

    @Test("fixture gives the same events at every split point and byte by byte", arguments: HTTPFixtures.all)
    func splitInvariance(_ fixture: HTTPFixture) {
        let reference = HTTPParserDriver.oneShot(fixture.input, limits: fixture.limits)
        for index in 1..<fixture.input.count {
            let split = HTTPParserDriver.split(fixture.input, at: index, limits: fixture.limits)
            #expect(split == reference, "split at \(index)")
            if split != reference { return }
        }
        let bytewise = HTTPParserDriver.byteByByte(fixture.input, limits: fixture.limits)
        #expect(bytewise == reference)
    }

    @Test("every valid fixture is also accepted when all of them are pipelined in one buffer")
    func allValidPipelined() {
        let complete = HTTPFixtures.valid.filter { HTTPParserDriver.oneShot($0.input).pending == nil }
        let stream = complete.flatMap(\.input)
        let expected = complete.flatMap(\.requests)
        let outcome = HTTPParserDriver.oneShot(stream)
        #expect(outcome.error == nil)
        #expect(outcome.violations == [])
        #expect(outcome.requests == expected)
        #expect(HTTPParserDriver.byteByByte(stream) == outcome)
    }

    // MARK: Consumption and zero copy

    @Test("parse stops right after .end and the rest starts the next message")
    func stopsAfterEnd() throws {
        let first = "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab"
        let second = "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
        let bytes = Array((first + second).utf8)
        var parser = HTTPRequestParser()
        var ends = 0
        let consumed = try bytes.withUnsafeBytes { buffer in
            try parser.parse(buffer) { if case .end = $0 { ends += 1 } }
        }
        #expect(consumed == first.utf8.count)
        #expect(ends == 1)
        #expect(parser.isIdle)
        var targets: [String] = []
        let rest = try bytes[consumed...].withUnsafeBytes { buffer in
            try parser.parse(buffer) { if case .head(let head) = $0 { targets.append(head.target) } }
        }
        #expect(rest == second.utf8.count)
        #expect(targets == ["/2"])
    }

    @Test("body events are slices of the input, for Content-Length and chunked bodies")
    func bodyIsZeroCopy() throws {
        for text in [
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        ] {
            let bytes = Array(text.utf8)
            var parser = HTTPRequestParser()
            var inside: [Bool] = []
            _ = try bytes.withUnsafeBytes { buffer in
                try parser.parse(buffer) { event in
                    if case .body(let slice) = event {
                        let start = slice.baseAddress! - buffer.baseAddress!
                        inside.append(start >= 0 && start + slice.count <= buffer.count)
                        #expect(String(decoding: slice, as: UTF8.self) == "hello")
                    }
                }
            }
            #expect(inside == [true])
        }
    }

    @Test("a large body passes in one event per read")
    func largeBodySingleEvent() throws {
        let size = 1 << 20
        let bytes = Array("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: \(size)\r\n\r\n".utf8)
            + [UInt8](repeating: 0x41, count: size)
        var parser = HTTPRequestParser()
        var bodyEvents = 0
        var total = 0
        let consumed = try bytes.withUnsafeBytes { buffer in
            try parser.parse(buffer) { if case .body(let slice) = $0 { bodyEvents += 1; total += slice.count } }
        }
        #expect(consumed == bytes.count)
        #expect(bodyEvents == 1)
        #expect(total == size)
    }

    // MARK: State

    @Test("isIdle and isMidMessage follow the message")
    func idleAndMidMessage() throws {
        var parser = HTTPRequestParser()
        #expect(parser.isIdle && !parser.isMidMessage)
        func feed(_ text: String) throws {
            _ = try Array(text.utf8).withUnsafeBytes { try parser.parse($0) { _ in } }
        }
        try feed("G")
        #expect(!parser.isIdle && parser.isMidMessage)
        try feed("ET / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n")
        #expect(!parser.isIdle && parser.isMidMessage)
        try feed("a")
        #expect(parser.isMidMessage)
        try feed("b")
        #expect(parser.isIdle && !parser.isMidMessage)
    }

    @Test("after an error every later call throws the same error")
    func failedIsSticky() {
        var parser = HTTPRequestParser()
        for _ in 0..<2 {
            #expect(throws: HTTPParseError.conflictingFraming) {
                let input = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
                _ = try Array(input.utf8).withUnsafeBytes { try parser.parse($0) { _ in } }
            }
        }
        #expect(throws: HTTPParseError.conflictingFraming) {
            _ = try Array(HTTPFixtures.simpleGet.utf8).withUnsafeBytes { try parser.parse($0) { _ in } }
        }
        #expect(!parser.isIdle && !parser.isMidMessage)
    }

    @Test("an empty input consumes nothing and emits nothing")
    func emptyInput() throws {
        var parser = HTTPRequestParser()
        var events = 0
        let consumed = try UnsafeRawBufferPointer(start: nil, count: 0).withMemoryRebound(to: UInt8.self) {
            try parser.parse(UnsafeRawBufferPointer($0)) { _ in events += 1 }
        }
        #expect(consumed == 0 && events == 0 && parser.isIdle)
    }

    // MARK: Limits

    @Test("request line: exactly at the limit passes, one byte more is 414")
    func requestLineLimit() {
        let line = "GET /" + String(repeating: "x", count: 26) + " HTTP/1.1"  // 40 bytes
        #expect(line.utf8.count == 40)
        let limits = HTTPParserLimits(maxRequestLineBytes: 40)
        let ok = HTTPParserDriver.oneShot(Array((line + "\r\nHost: a\r\n\r\n").utf8), limits: limits)
        #expect(ok.error == nil && ok.requests.count == 1)
        let long = "GET /" + String(repeating: "x", count: 27) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        let refused = HTTPParserDriver.oneShot(Array(long.utf8), limits: limits)
        #expect(refused.error == .requestLineTooLong && refused.error?.status == 414)
    }

    @Test("header bytes: exactly at the limit passes, one byte more is 431")
    func headerBytesLimit() {
        let fields = "Host: a\r\nX: 0123456789\r\n"  // 24 bytes
        let limits = HTTPParserLimits(maxHeaderBytes: 24)
        let ok = HTTPParserDriver.byteByByte(Array(("GET / HTTP/1.1\r\n" + fields + "\r\n").utf8), limits: limits)
        #expect(ok.error == nil && ok.requests.count == 1)
        let refused = HTTPParserDriver.oneShot(
            Array(("GET / HTTP/1.1\r\nHost: a\r\nX: 01234567890\r\n\r\n").utf8), limits: limits)
        #expect(refused.error == .headersTooLarge && refused.error?.status == 431)
    }

    @Test("header count: exactly at the limit passes, one more is 431")
    func headerCountLimit() {
        let limits = HTTPParserLimits(maxHeaderCount: 2)
        let ok = HTTPParserDriver.oneShot(Array("GET / HTTP/1.1\r\nHost: a\r\nB: 2\r\n\r\n".utf8), limits: limits)
        #expect(ok.error == nil && ok.requests.count == 1)
        let refused = HTTPParserDriver.oneShot(
            Array("GET / HTTP/1.1\r\nHost: a\r\nB: 2\r\nC: 3\r\n\r\n".utf8), limits: limits)
        #expect(refused.error == .tooManyHeaders && refused.error?.status == 431)
    }

    @Test("chunk extension and trailer limits are exact")
    func chunkAndTrailerLimits() {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let limits = HTTPParserLimits(maxChunkExtensionBytes: 8, maxTrailerBytes: 10)
        let accepted = head + "1;abcdefg\r\nx\r\n0\r\nX: 12345\r\n\r\n"
        let ok = HTTPParserDriver.oneShot(Array(accepted.utf8), limits: limits)
        #expect(ok.error == nil && ok.requests.count == 1)
        let longExt = HTTPParserDriver.oneShot(Array((head + "1;abcdefgh\r\nx\r\n0\r\n\r\n").utf8), limits: limits)
        #expect(longExt.error == .chunkExtensionTooLong)
        let longTrailer = HTTPParserDriver.oneShot(Array((head + "0\r\nX: 123456\r\n\r\n").utf8), limits: limits)
        #expect(longTrailer.error == .trailersTooLarge)
    }

    @Test("a chunk size over the limit is refused before any byte of the chunk; one at the limit is taken")
    func chunkSizeLimit() {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let limits = HTTPParserLimits(maxChunkBytes: 16)
        let atLimit = HTTPParserDriver.oneShot(
            Array((head + "10\r\n0123456789abcdef\r\n0\r\n\r\n").utf8), limits: limits)
        #expect(atLimit.error == nil && atLimit.requests.count == 1)
        for size in ["11", "7fffffffffffffff", "11;ext=1"] {
            let over = HTTPParserDriver.oneShot(Array((head + size + "\r\n").utf8), limits: limits)
            #expect(over.error == .chunkTooLarge, "\(size)")
        }
        let unlimited = HTTPParserDriver.oneShot(Array((head + "7fffffffffffffff\r\n").utf8))
        #expect(unlimited.error == nil, "the parser's default leaves the cap to its owner")
    }

    @Test("an endless line is refused once it crosses the limit, without waiting for its end")
    func boundedBuffering() {
        let limits = HTTPParserLimits(maxRequestLineBytes: 100, maxHeaderBytes: 100, maxChunkExtensionBytes: 100,
                                      maxTrailerBytes: 100)
        let filler = [UInt8](repeating: UInt8(ascii: "a"), count: 300)
        let cases: [(String, HTTPParseError)] = [
            ("GET /", .requestLineTooLong),
            ("GET / HTTP/1.1\r\nX: ", .headersTooLarge),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;", .chunkExtensionTooLong),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", .invalidChunkSize),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: ", .trailersTooLarge),
        ]
        for (prefix, error) in cases {
            let outcome = HTTPParserDriver.run([Array(prefix.utf8), filler], limits: limits)
            #expect(outcome.error == error, "\(prefix)")
        }
    }

    // MARK: Semantics

    @Test("keep-alive and Expect follow the version", arguments: [
        ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true, false),
        ("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false, false),
        ("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n", false, false),
        ("GET / HTTP/1.0\r\n\r\n", false, false),
        ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, false),
        ("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false, false),
        ("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", true, true),
        ("GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", false, false),
    ])
    func keepAliveAndExpect(_ input: String, _ keepAlive: Bool, _ expectsContinue: Bool) throws {
        let outcome = HTTPParserDriver.oneShot(Array(input.utf8))
        let head = try #require(outcome.requests.first?.head)
        #expect(head.keepAlive == keepAlive)
        #expect(head.expectsContinue == expectsContinue)
    }

    @Test("headers keep order and case, look up case-insensitively")
    func headerLookup() throws {
        let outcome = HTTPParserDriver.oneShot(Array(
            "GET / HTTP/1.1\r\nHost: a\r\nX-Tag: one\r\nx-tag: two\r\nAccept: */*\r\n\r\n".utf8))
        let headers = try #require(outcome.requests.first?.head.headers)
        #expect(headers.count == 4)
        #expect(headers["X-TAG"] == ["one", "two"])
        #expect(headers.first("x-Tag") == "one")
        #expect(headers.first("missing") == nil)
        #expect(headers["x-ta"] == [])
        #expect(headers.map(\.name) == ["Host", "X-Tag", "x-tag", "Accept"])
    }

    @Test("each error maps to its status and a stable code")
    func errorStatuses() {
        let table: [(HTTPParseError, Int, String)] = [
            (.requestLineTooLong, 414, "request_line_too_long"),
            (.headersTooLarge, 431, "headers_too_large"),
            (.tooManyHeaders, 431, "too_many_headers"),
            (.trailersTooLarge, 431, "trailers_too_large"),
            (.unsupportedVersion, 505, "unsupported_version"),
            (.unsupportedTransferEncoding, 501, "unsupported_transfer_encoding"),
            (.unsupportedExpectation, 417, "unsupported_expectation"),
            (.conflictingFraming, 400, "conflicting_framing"),
            (.duplicateContentLength, 400, "duplicate_content_length"),
            (.invalidChunkSize, 400, "invalid_chunk_size"),
            (.chunkTooLarge, 413, "chunk_too_large"),
            (.missingHost, 400, "missing_host"),
        ]
        for (error, status, code) in table {
            #expect(error.status == status && error.code == code)
            #expect(error.description.hasPrefix("\(status) \(code): "))
        }
        #expect(HTTPParseError.invalidTarget.withMessage("x") == .invalidTarget)
        #expect(HTTPParseError.invalidTarget != .invalidMethod)
    }
}
