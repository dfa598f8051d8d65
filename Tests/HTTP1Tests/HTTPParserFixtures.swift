@testable import HTTP1

/// A byte stream and what the parser must make of it.
struct HTTPFixture: Sendable, CustomStringConvertible {
    var name: String
    var input: [UInt8]
    /// The requests that must complete, in order.
    var requests: [ParsedRequest]
    /// The error that must end the stream, or `nil` for a clean stream.
    var error: HTTPParseError?
    var limits = HTTPParserLimits()

    var description: String { name }

    init(
        _ name: String,
        _ input: String,
        _ requests: [ParsedRequest] = [],
        error: HTTPParseError? = nil,
        limits: HTTPParserLimits = .init()
    ) {
        self.name = name
        self.input = Array(input.utf8)
        self.requests = requests
        self.error = error
        self.limits = limits
    }

    init(_ name: String, bytes: [UInt8], _ requests: [ParsedRequest] = [], error: HTTPParseError? = nil) {
        self.name = name
        self.input = bytes
        self.requests = requests
        self.error = error
    }
}

/// Builds an expected request.
func request(
    _ method: String,
    _ target: String,
    _ headers: HTTPHeaders,
    body: String = "",
    minor: Int = 1,
    framing: HTTPBodyFraming = .none,
    keepAlive: Bool = true,
    expectsContinue: Bool = false
) -> ParsedRequest {
    ParsedRequest(
        head: HTTPRequestHead(
            method: method,
            target: target,
            versionMajor: 1,
            versionMinor: minor,
            headers: headers,
            framing: framing,
            keepAlive: keepAlive,
            expectsContinue: expectsContinue
        ),
        body: Array(body.utf8)
    )
}

enum HTTPFixtures {
    static let simpleGet = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"

    /// Streams the parser must accept.
    static let valid: [HTTPFixture] = [
        HTTPFixture("simple GET", simpleGet, [request("GET", "/", ["Host": "a"])]),
        HTTPFixture(
            "origin-form with query, header whitespace trimmed",
            "GET /a/b?c=d&e HTTP/1.1\r\nHost:  example.com \t\r\nX-Empty:\r\nX-Inner: a  b\tc\r\n\r\n",
            [request("GET", "/a/b?c=d&e", ["Host": "example.com", "X-Empty": "", "X-Inner": "a  b\tc"])]
        ),
        HTTPFixture(
            "absolute-form, asterisk-form and authority-form targets",
            "GET http://h/x HTTP/1.1\r\nHost: h\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"
                + "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
            [
                request("GET", "http://h/x", ["Host": "h"]),
                request("OPTIONS", "*", ["Host": "h"]),
                request("CONNECT", "h:443", ["Host": "h:443"]),
            ]
        ),
        HTTPFixture(
            "content-length body",
            "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
            [request("POST", "/upload", ["Host": "a", "Content-Length": "11"], body: "hello world",
                     framing: .contentLength(11))]
        ),
        HTTPFixture(
            "content-length zero, leading zeros accepted",
            "POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 000\r\n\r\n",
            [request("POST", "/", ["Host": "a", "content-length": "000"], framing: .contentLength(0))]
        ),
        HTTPFixture(
            "chunked body with extensions and trailers",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value;flag\r\nhello\r\n6;q=\"a \\\"b\\\" c\"\r\n world\r\n0\r\nX-Sum: 1\r\nY: 2\r\n\r\n",
            [request("POST", "/", ["Host": "a", "Transfer-Encoding": "chunked"], body: "hello world",
                     framing: .chunked)]
        ),
        HTTPFixture(
            "chunked, case-insensitive coding, hex sizes",
            "PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ChUnKeD\r\n\r\n"
                + "A\r\n0123456789\r\na\r\nabcdefghij\r\n00\r\n\r\n",
            [request("PUT", "/x", ["Host": "a", "Transfer-Encoding": "ChUnKeD"],
                     body: "0123456789abcdefghij", framing: .chunked)]
        ),
        HTTPFixture(
            "HTTP/1.0 without Host, closes by default",
            "GET /old HTTP/1.0\r\n\r\n",
            [request("GET", "/old", [:], minor: 0, keepAlive: false)]
        ),
        HTTPFixture(
            "HTTP/1.0 keep-alive",
            "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
            [request("GET", "/", ["Connection": "Keep-Alive"], minor: 0)]
        ),
        HTTPFixture(
            "HTTP/1.1 connection close among options",
            "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, CLOSE\r\n\r\n",
            [request("GET", "/", ["Host": "a", "Connection": "upgrade, CLOSE"], keepAlive: false)]
        ),
        HTTPFixture(
            "expect 100-continue",
            "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok",
            [request("POST", "/", ["Host": "a", "Expect": "100-Continue", "Content-Length": "2"], body: "ok",
                     framing: .contentLength(2), expectsContinue: true)]
        ),
        HTTPFixture(
            "bare LF line endings in the head (as h11)",
            "GET / HTTP/1.1\nHost: a\nX: y\r\n\n",
            [request("GET", "/", ["Host": "a", "X": "y"])]
        ),
        HTTPFixture(
            "UTF-8 and tchar names",
            "GET / HTTP/1.1\r\nHost: a\r\nX-File!#$%&'*+.^_`|~: r\u{E9}sum\u{E9}.pdf\r\n\r\n",
            [request("GET", "/", ["Host": "a", "X-File!#$%&'*+.^_`|~": "r\u{E9}sum\u{E9}.pdf"])]
        ),
        HTTPFixture(
            "three pipelined requests",
            "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                + "POST /2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n"
                + "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
            [
                request("POST", "/1", ["Host": "a", "Content-Length": "3"], body: "abc", framing: .contentLength(3)),
                request("POST", "/2", ["Host": "a", "Transfer-Encoding": "chunked"], body: "de", framing: .chunked),
                request("GET", "/3", ["Host": "a"]),
            ]
        ),
        HTTPFixture(
            "pipelined request after an incomplete one stays pending",
            "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc",
            [request("GET", "/1", ["Host": "a"])]
        ),
    ]

    /// Streams the parser must refuse, each with the rule it breaks.
    static let invalid: [HTTPFixture] = [
        HTTPFixture("both Content-Length and Transfer-Encoding",
                    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                    error: .conflictingFraming),
        HTTPFixture("Transfer-Encoding then Content-Length",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
                    error: .conflictingFraming),
        HTTPFixture("two equal Content-Length headers",
                    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
                    error: .duplicateContentLength),
        HTTPFixture("list-valued Content-Length",
                    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello",
                    error: .duplicateContentLength),
        HTTPFixture("non-digit Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
                    error: .invalidContentLength),
        HTTPFixture("hex Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n",
                    error: .invalidContentLength),
        HTTPFixture("empty Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n",
                    error: .invalidContentLength),
        HTTPFixture("overflowing Content-Length",
                    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n",
                    error: .invalidContentLength),
        HTTPFixture("Content-Length with 20 digits",
                    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 00000000000000000001\r\n\r\n",
                    error: .invalidContentLength),
        HTTPFixture("Transfer-Encoding gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
                    error: .unsupportedTransferEncoding),
        HTTPFixture("Transfer-Encoding gzip, chunked",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                    error: .unsupportedTransferEncoding),
        HTTPFixture("Transfer-Encoding chunked, gzip",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                    error: .invalidTransferEncoding),
        HTTPFixture("Transfer-Encoding chunked twice in two fields",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                    error: .invalidTransferEncoding),
        HTTPFixture("Transfer-Encoding empty", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n\r\n",
                    error: .invalidTransferEncoding),
        HTTPFixture("Transfer-Encoding in HTTP/1.0",
                    "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                    error: .invalidTransferEncoding),
        HTTPFixture("non-hex chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n",
                    error: .invalidChunkSize),
        HTTPFixture("empty chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
                    error: .invalidChunkSize),
        HTTPFixture("chunk size with 17 digits",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\n",
                    error: .invalidChunkSize),
        HTTPFixture("chunk size overflow",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n",
                    error: .invalidChunkSize),
        HTTPFixture("chunk size with trailing space",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
                    error: .invalidChunkSize),
        HTTPFixture("chunk size line with bare LF",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
                    error: .invalidChunkSize),
        HTTPFixture("negative chunk size",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n",
                    error: .invalidChunkSize),
        HTTPFixture("malformed chunk extension",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;=x\r\nhello\r\n0\r\n\r\n",
                    error: .invalidChunkExtension),
        HTTPFixture("unterminated quoted chunk extension",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"x\r\nhello\r\n0\r\n\r\n",
                    error: .invalidChunkExtension),
        HTTPFixture("chunk data without CRLF",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n",
                    error: .missingChunkCRLF),
        HTTPFixture("chunk data followed by bare LF",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
                    error: .missingChunkCRLF),
        HTTPFixture("whitespace before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", error: .whitespaceBeforeColon),
        HTTPFixture("tab before colon", "GET / HTTP/1.1\r\nHost: a\r\nX\t: y\r\n\r\n", error: .whitespaceBeforeColon),
        HTTPFixture("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n  z\r\n\r\n", error: .obsoleteLineFolding),
        HTTPFixture("obs-fold with tab", "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\tz\r\n\r\n",
                    error: .obsoleteLineFolding),
        HTTPFixture("obs-fold in trailer",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n z\r\n\r\n",
                    error: .obsoleteLineFolding),
        HTTPFixture("invalid character in header name", "GET / HTTP/1.1\r\nHost: a\r\nX(y): z\r\n\r\n",
                    error: .invalidHeaderName),
        HTTPFixture("empty header name", "GET / HTTP/1.1\r\nHost: a\r\n: z\r\n\r\n", error: .invalidHeaderName),
        HTTPFixture("header line without colon", "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
                    error: .invalidHeaderLine),
        HTTPFixture("invalid method character", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", error: .invalidMethod),
        HTTPFixture("empty method", " / HTTP/1.1\r\nHost: a\r\n\r\n", error: .invalidMethod),
        HTTPFixture("two spaces after method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", error: .invalidTarget),
        HTTPFixture("non-ASCII target", "GET /\u{E9} HTTP/1.1\r\nHost: a\r\n\r\n", error: .invalidTarget),
        HTTPFixture("missing version", "GET /\r\nHost: a\r\n\r\n", error: .invalidRequestLine),
        HTTPFixture("lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n", error: .invalidVersion),
        HTTPFixture("trailing space after version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", error: .invalidVersion),
        HTTPFixture("version with two digits", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", error: .invalidVersion),
        HTTPFixture("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", error: .unsupportedVersion),
        HTTPFixture("HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", error: .unsupportedVersion),
        HTTPFixture("HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", error: .unsupportedVersion),
        HTTPFixture("control character in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{01}b\r\n\r\n",
                    error: .invalidHeaderValue),
        HTTPFixture("DEL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{7F}b\r\n\r\n", error: .invalidHeaderValue),
        HTTPFixture("bare CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", error: .invalidHeaderValue),
        HTTPFixture("NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n", error: .invalidHeaderValue),
        HTTPFixture("invalid UTF-8 in value",
                    bytes: Array("GET / HTTP/1.1\r\nHost: a\r\nX: ".utf8) + [0xC3, 0x28] + Array("\r\n\r\n".utf8),
                    error: .invalidHeaderValue),
        HTTPFixture("missing Host in HTTP/1.1", "GET / HTTP/1.1\r\nX: y\r\n\r\n", error: .missingHost),
        HTTPFixture("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", error: .duplicateHost),
        HTTPFixture("two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHOST: b\r\n\r\n",
                    error: .duplicateHost),
        HTTPFixture("leading CRLF", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", error: .leadingEmptyLine),
        HTTPFixture("leading LF", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", error: .leadingEmptyLine),
        HTTPFixture("CRLF after a body before the next request",
                    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
                    [request("POST", "/", ["Host": "a", "Content-Length": "1"], body: "x", framing: .contentLength(1))],
                    error: .leadingEmptyLine),
        HTTPFixture("Expect other than 100-continue", "GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n",
                    error: .unsupportedExpectation),
        HTTPFixture("Expect with 100-continue and another",
                    "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, x\r\n\r\n",
                    error: .unsupportedExpectation),
        HTTPFixture("empty Expect", "GET / HTTP/1.1\r\nHost: a\r\nExpect:\r\n\r\n", error: .unsupportedExpectation),
        HTTPFixture("bad trailer line",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbadtrailer\r\n\r\n",
                    error: .invalidHeaderLine),
        HTTPFixture("error in the second pipelined request",
                    "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
                    [request("GET", "/1", ["Host": "a"])], error: .invalidContentLength),
        HTTPFixture("request line over the limit",
                    "GET /" + String(repeating: "a", count: 40) + " HTTP/1.1\r\nHost: a\r\n\r\n",
                    error: .requestLineTooLong, limits: HTTPParserLimits(maxRequestLineBytes: 40)),
        HTTPFixture("headers over the byte limit",
                    "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 40) + "\r\n\r\n",
                    error: .headersTooLarge, limits: HTTPParserLimits(maxHeaderBytes: 40)),
        HTTPFixture("headers over the count limit", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
                    error: .tooManyHeaders, limits: HTTPParserLimits(maxHeaderCount: 3)),
        HTTPFixture("chunk extension over the limit",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;"
                        + String(repeating: "e", count: 40)
                        + "\r\nx\r\n0\r\n\r\n",
                    error: .chunkExtensionTooLong, limits: HTTPParserLimits(maxChunkExtensionBytes: 16)),
        HTTPFixture("trailers over the limit",
                    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: "
                        + String(repeating: "t", count: 40) + "\r\n\r\n",
                    error: .trailersTooLarge, limits: HTTPParserLimits(maxTrailerBytes: 20)),
    ]

    static let all = valid + invalid
}
