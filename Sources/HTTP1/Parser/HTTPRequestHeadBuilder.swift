/// Collects one request head line by line and checks the request-level rules when the head is complete.
///
/// Fed by ``HTTPRequestParser`` with lines stripped of their terminators: first the request line, then each
/// field line. Framing, Host, Connection and Expect are evaluated on the raw bytes as the fields arrive, so
/// `finish()` does no second pass over the headers.
package struct HTTPRequestHeadBuilder {
    private(set) var hasRequestLine = false
    /// The number of header field lines recorded so far.
    package var headerCount: Int { headers.count }
    private var method = ""
    private var target = ""
    private var versionMinor = 1
    private var headers = HTTPHeaders()

    private var hostCount = 0
    private var contentLength: Int?
    private var sawTransferEncoding = false
    /// Whether the last transfer coding seen so far is `chunked`.
    private var lastCodingIsChunked = false
    /// Whether `chunked` appeared before another coding (or twice).
    private var chunkedNotFinal = false
    /// Whether a coding other than `chunked` appeared.
    private var sawOtherCoding = false
    private var connectionClose = false
    private var connectionKeepAlive = false
    private var sawExpect = false
    private var expectationUnsupported = false

    // MARK: Request line

    /// Parses `method SP request-target SP HTTP-version` (RFC 9112 §3).
    package mutating func requestLine(_ line: UnsafeRawBufferPointer) throws(HTTPParseError) {
        let count = line.count
        var index = 0
        while index < count, HTTPSyntax.isTokenByte(line[index]) { index += 1 }
        guard index < count else {
            throw HTTPParseError.invalidRequestLine.withMessage("request line has no space after the method")
        }
        guard index > 0, line[index] == HTTPSyntax.space else {
            throw HTTPParseError.invalidMethod.withMessage(
                index == 0 ? "empty method" : "byte 0x\(String(line[index], radix: 16)) is not allowed in a method"
            )
        }
        let methodEnd = index
        index += 1
        let targetStart = index
        while index < count, HTTPSyntax.isVisible(line[index]) { index += 1 }
        guard index < count else {
            throw HTTPParseError.invalidRequestLine.withMessage("request line has no HTTP-version")
        }
        guard index > targetStart, line[index] == HTTPSyntax.space else {
            throw HTTPParseError.invalidTarget.withMessage(
                index == targetStart
                    ? "empty request-target (or two spaces after the method)"
                    : "byte 0x\(String(line[index], radix: 16)) is not allowed in the request-target"
            )
        }
        let targetEnd = index
        index += 1
        self.versionMinor = try Self.version(UnsafeRawBufferPointer(rebasing: line[index..<count]))
        self.method = HTTPSyntax.string(UnsafeRawBufferPointer(rebasing: line[0..<methodEnd]))
        self.target = HTTPSyntax.string(UnsafeRawBufferPointer(rebasing: line[targetStart..<targetEnd]))
        self.hasRequestLine = true
    }

    /// Parses `HTTP/x.y`; returns the minor version of a supported (1.0 or 1.1) version.
    private static func version(_ bytes: UnsafeRawBufferPointer) throws(HTTPParseError) -> Int {
        let prefix: StaticString = "HTTP/"
        let prefixBytes = prefix.utf8Start
        guard bytes.count == 8,
            (0..<5).allSatisfy({ bytes[$0] == prefixBytes[$0] }),
            bytes[6] == UInt8(ascii: "."),
            bytes[5] &- 0x30 < 10, bytes[7] &- 0x30 < 10
        else {
            throw HTTPParseError.invalidVersion
        }
        let major = Int(bytes[5] &- 0x30)
        let minor = Int(bytes[7] &- 0x30)
        guard major == 1, minor <= 1 else {
            throw HTTPParseError.unsupportedVersion.withMessage("HTTP/\(major).\(minor) is not supported")
        }
        return minor
    }

    // MARK: Field lines

    /// Parses and records one header field line.
    package mutating func fieldLine(_ line: UnsafeRawBufferPointer) throws(HTTPParseError) {
        let field = try HTTPFieldLine(parsing: line)
        let name = field.name
        let value = field.value
        switch name.count {
        case 4 where HTTPSyntax.equalsIgnoringCase(name, "host"):
            hostCount += 1
            if hostCount > 1 { throw HTTPParseError.duplicateHost }
        case 6 where HTTPSyntax.equalsIgnoringCase(name, "expect"):
            sawExpect = true
            var any = false
            HTTPSyntax.forEachListElement(value) { element in
                any = true
                if !HTTPSyntax.equalsIgnoringCase(element, "100-continue") { expectationUnsupported = true }
                return true
            }
            if !any || expectationUnsupported {
                throw HTTPParseError.unsupportedExpectation.withMessage(
                    "Expect: \(HTTPSyntax.string(value)) is not supported"
                )
            }
        case 10 where HTTPSyntax.equalsIgnoringCase(name, "connection"):
            HTTPSyntax.forEachListElement(value) { option in
                if HTTPSyntax.equalsIgnoringCase(option, "close") {
                    connectionClose = true
                } else if HTTPSyntax.equalsIgnoringCase(option, "keep-alive") {
                    connectionKeepAlive = true
                }
                return true
            }
        case 14 where HTTPSyntax.equalsIgnoringCase(name, "content-length"):
            try recordContentLength(value)
        case 17 where HTTPSyntax.equalsIgnoringCase(name, "transfer-encoding"):
            recordTransferEncoding(value)
        default:
            break
        }
        headers.append(name: HTTPSyntax.string(name), value: HTTPSyntax.string(value))
    }

    private mutating func recordContentLength(_ value: UnsafeRawBufferPointer) throws(HTTPParseError) {
        guard contentLength == nil else {
            throw HTTPParseError.duplicateContentLength.withMessage("Content-Length appears more than once")
        }
        guard !value.contains(HTTPSyntax.comma) else {
            throw HTTPParseError.duplicateContentLength.withMessage("Content-Length is a list")
        }
        // At most 19 digits: more never fits in Int64, and h11 also bounds the digit count.
        guard !value.isEmpty, value.count <= 19 else {
            throw HTTPParseError.invalidContentLength.withMessage(
                value.isEmpty ? "empty Content-Length" : "Content-Length has too many digits"
            )
        }
        var length = 0
        for byte in value {
            let digit = byte &- 0x30
            guard digit < 10 else {
                throw HTTPParseError.invalidContentLength.withMessage(
                    "Content-Length \"\(HTTPSyntax.string(value))\" is not a decimal number"
                )
            }
            let (times10, overflow1) = length.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(digit))
            guard !overflow1, !overflow2 else {
                throw HTTPParseError.invalidContentLength.withMessage("Content-Length overflows")
            }
            length = sum
        }
        contentLength = length
    }

    private mutating func recordTransferEncoding(_ value: UnsafeRawBufferPointer) {
        sawTransferEncoding = true
        HTTPSyntax.forEachListElement(value) { coding in
            if lastCodingIsChunked { chunkedNotFinal = true }
            lastCodingIsChunked = HTTPSyntax.equalsIgnoringCase(coding, "chunked")
            if !lastCodingIsChunked { sawOtherCoding = true }
            return true
        }
    }

    // MARK: Completion

    /// Checks the request-level rules (RFC 9112 §3.2, §6.1, §6.3) and returns the head.
    package func finish() throws(HTTPParseError) -> HTTPRequestHead {
        let framing: HTTPBodyFraming
        if sawTransferEncoding {
            if contentLength != nil {
                throw HTTPParseError.conflictingFraming
            }
            if versionMinor == 0 {
                throw HTTPParseError.invalidTransferEncoding.withMessage(
                    "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1: faulty framing)"
                )
            }
            if chunkedNotFinal {
                throw HTTPParseError.invalidTransferEncoding
            }
            if !lastCodingIsChunked && !sawOtherCoding {
                throw HTTPParseError.invalidTransferEncoding.withMessage("empty Transfer-Encoding")
            }
            if sawOtherCoding {
                throw HTTPParseError.unsupportedTransferEncoding
            }
            framing = .chunked
        } else if let contentLength {
            framing = .contentLength(contentLength)
        } else {
            framing = .none
        }
        if hostCount == 0, versionMinor == 1 {
            throw HTTPParseError.missingHost
        }
        return HTTPRequestHead(
            method: method,
            target: target,
            versionMajor: 1,
            versionMinor: versionMinor,
            headers: headers,
            framing: framing,
            keepAlive: !connectionClose && (versionMinor == 1 || connectionKeepAlive),
            expectsContinue: sawExpect && versionMinor == 1
        )
    }
}
