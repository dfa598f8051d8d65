import HTTP1
import Testing

@Suite("HTTP response parser (loadgen's client side)")
struct HTTPResponseParserTests {
    /// Feeds `text` in pieces of `step` bytes; returns the answer and the bytes consumed of the last piece.
    private func parse(_ text: String, step: Int = .max, keep: Int = 1024, head: Bool = false) throws -> HTTPResponseParser.Response? {
        var parser = HTTPResponseParser(keepBodyBytes: keep)
        parser.requestWasHead = head
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let end = min(bytes.count, i + min(step, bytes.count))
            let piece = Array(bytes[i..<end])
            let progress = try piece.withUnsafeBytes { try parser.feed($0) }
            if case .complete(let response, let consumed) = progress {
                #expect(i + consumed == bytes.count, "the answer ended before the bytes did")
                return response
            }
            i = end
        }
        return parser.finish()
    }

    @Test("Content-Length bodies, whole or one byte at a time")
    func contentLength() throws {
        let text = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"
        for step in [1, 2, 7, .max] {
            let r = try #require(try parse(text, step: step))
            #expect(r.status == 202)
            #expect(r.keepAlive)
            #expect(String(decoding: r.body, as: UTF8.self) == "{\"ok\":true}")
            #expect(r.bodyLength == 11)
            #expect(r.contentType == "application/json")
        }
    }

    @Test("chunked bodies with extensions and trailers; only the first bytes are kept")
    func chunked() throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n"
        for step in [1, 3, .max] {
            let r = try #require(try parse(text, step: step, keep: 7))
            #expect(r.status == 200)
            #expect(r.bodyLength == 11)
            #expect(String(decoding: r.body, as: UTF8.self) == "hello w")
        }
    }

    @Test("a body framed by the connection's end completes only at EOF")
    func untilClose() throws {
        var parser = HTTPResponseParser(keepBodyBytes: 100)
        let bytes = Array("HTTP/1.0 200 OK\r\n\r\nsome body".utf8)
        let progress = try bytes.withUnsafeBytes { try parser.feed($0) }
        #expect(progress == .needMore)
        #expect(parser.endsAtClose)
        let finished = parser.finish()
        let r = try #require(finished)
        #expect(!r.keepAlive)
        #expect(String(decoding: r.body, as: UTF8.self) == "some body")
    }

    @Test("interim 100 answers are skipped; 204, 304 and HEAD answers have no body")
    func interimAndEmpty() throws {
        let r = try #require(try parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", step: 4))
        #expect(r.status == 201)
        #expect(try parse("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n")?.status == 204)
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", head: true)?.bodyLength == 0)
    }

    @Test("Connection: close and HTTP/1.0 without keep-alive end the connection")
    func keepAlive() throws {
        #expect(try parse("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n")?.keepAlive == false)
        #expect(try parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")?.keepAlive == false)
        #expect(try parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")?.keepAlive == true)
    }

    @Test("garbage is an error, never a guess", arguments: [
        ("HELLO\r\n\r\n", HTTPResponseParseError.badStatusLine),
        ("HTTP/2 200 OK\r\n\r\n", .badStatusLine),
        ("HTTP/1.1 2x0 OK\r\n\r\n", .badStatusLine),
        ("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", .badHeader),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", .badContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .badContentLength),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .badChunkSize),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX\r\n", .badChunkSize),
    ])
    func garbage(text: String, expected: HTTPResponseParseError) {
        #expect(throws: expected) { _ = try parse(text) }
    }

    @Test("a Transfer-Encoding other than chunked overrides Content-Length: the body ends with the connection")
    func transferEncodingOverridesLength() throws {
        var parser = HTTPResponseParser(keepBodyBytes: 100)
        let bytes = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nabcdef".utf8)
        #expect(try bytes.withUnsafeBytes { try parser.feed($0) } == .needMore)
        let finished = parser.finish()
        #expect(finished?.bodyLength == 6)
    }

    @Test("a head over the limit is refused")
    func headTooLarge() {
        var parser = HTTPResponseParser(maxHeadBytes: 256)
        let bytes = Array(("HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "a", count: 300) + "\r\n\r\n").utf8)
        #expect(throws: HTTPResponseParseError.headTooLarge) { _ = try bytes.withUnsafeBytes { try parser.feed($0) } }
    }

    @Test("an answer cut short is not an answer")
    func cut() throws {
        var parser = HTTPResponseParser()
        let bytes = Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".utf8)
        #expect(try bytes.withUnsafeBytes { try parser.feed($0) } == .needMore)
        let finished = parser.finish()
        #expect(finished == nil)
    }

    @Test("answers one after another on one connection")
    func sequence() throws {
        var parser = HTTPResponseParser(keepBodyBytes: 10)
        for n in 0..<3 {
            let bytes = Array("HTTP/1.1 20\(n) X\r\nContent-Length: 1\r\n\r\n\(n)".utf8)
            guard case .complete(let r, _) = try bytes.withUnsafeBytes({ try parser.feed($0) }) else {
                Issue.record("answer \(n) incomplete")
                return
            }
            #expect(r.status == 200 + n)
            #expect(r.body == Array("\(n)".utf8))
            #expect(parser.isIdle)
        }
    }
}
