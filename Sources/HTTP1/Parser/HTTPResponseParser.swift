/// A pure HTTP/1.1 response parser for a client that sends one request at a time on a connection (`loadgen`):
/// bytes in, one ``Response`` out per answer. It frames bodies by `Content-Length`, by chunked transfer coding
/// or by the connection's end, skips interim `1xx` answers, and keeps at most `keepBodyBytes` of each body (the
/// rest is counted and dropped, so a large answer costs no memory).
///
/// Strict where a wrong guess would mis-frame the next answer: a status line that is not `HTTP/1.x NNN`, a
/// header line without a colon, two different `Content-Length`s, a chunk size that is not hex, or a head over
/// `maxHeadBytes` is ``HTTPResponseParseError``, and the connection must be closed.
public struct HTTPResponseParser: Sendable {
    /// One complete answer.
    public struct Response: Sendable, Equatable {
        public var status: Int
        /// False when the server asked to close (`Connection: close`, or HTTP/1.0 without keep-alive).
        public var keepAlive: Bool
        /// The first `keepBodyBytes` of the body.
        public var body: [UInt8]
        /// The whole body's length, kept or not.
        public var bodyLength: Int
        /// `Content-Type`, lower-cased, if any.
        public var contentType: String?
    }

    public enum Progress: Sendable, Equatable {
        /// Every byte fed was taken; the answer is not complete yet.
        case needMore
        /// An answer completed after `consumed` bytes of what was fed; bytes after it were not read.
        case complete(Response, consumed: Int)
    }

    private enum State: Sendable {
        case head
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
    }

    public let maxHeadBytes: Int
    public let keepBodyBytes: Int
    private var state = State.head
    private var line: [UInt8] = []
    private var headBytes = 0
    private var response = Response(status: 0, keepAlive: true, body: [], bodyLength: 0, contentType: nil)
    private var sawStatusLine = false
    private var http10 = false
    private var contentLength: Int?
    private var chunked = false
    /// A Transfer-Encoding was named: it overrides Content-Length (RFC 9112 §6.3).
    private var transferEncoded = false
    private var connectionClose = false
    private var connectionKeepAlive = false
    /// The request was `HEAD` (its answer has no body whatever its headers say).
    public var requestWasHead = false

    public init(maxHeadBytes: Int = 64 * 1024, keepBodyBytes: Int = 0) {
        self.maxHeadBytes = maxHeadBytes
        self.keepBodyBytes = keepBodyBytes
    }

    /// True between answers: nothing of the next one has been read.
    public var isIdle: Bool {
        if case .head = state { return !sawStatusLine && line.isEmpty && headBytes == 0 }
        return false
    }

    /// True when the answer in progress is framed by the connection's end: EOF completes it.
    public var endsAtClose: Bool {
        if case .untilClose = state { return true }
        return false
    }

    /// The peer closed the connection: completes an answer framed by its end, else nil (the answer was cut).
    public mutating func finish() -> Response? {
        guard case .untilClose = state else { return nil }
        response.keepAlive = false
        return complete()
    }

    /// Feeds bytes; see ``Progress``. Throws on a malformed answer.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(HTTPResponseParseError) -> Progress {
        var i = 0
        let n = bytes.count
        while i < n {
            switch state {
            case .head, .trailers, .chunkSize, .chunkDataEnd:
                // Line-oriented states: up to LF. A line whole in `bytes` is read where it lies; only a line
                // split between reads is gathered in `line`.
                let start = i
                while i < n && bytes[i] != 0x0A { i += 1 }
                headBytes += i - start
                if headBytes > maxHeadBytes { throw .headTooLarge }
                guard i < n else {
                    line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
                    return .needMore
                }
                let done: Response?
                if line.isEmpty {
                    var end = i
                    if end > start && bytes[end - 1] == 0x0D { end -= 1 }
                    done = try takeLine(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                } else {
                    line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
                    if line.last == 0x0D { line.removeLast() }
                    // Moved out and back: the buffer is kept without a copy.
                    var text: [UInt8] = []
                    swap(&text, &line)
                    let taken = text.withUnsafeBytes { raw in
                        Result<Response?, HTTPResponseParseError> { () throws(HTTPResponseParseError) in try takeLine(raw) }
                    }
                    done = try taken.get()
                    text.removeAll(keepingCapacity: true)
                    swap(&text, &line)
                }
                i += 1 // the LF
                headBytes += 1
                if let done { return .complete(done, consumed: i) }
            case .fixed(let remaining):
                let take = min(remaining, n - i)
                keep(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)]))
                i += take
                if remaining - take == 0 { return .complete(complete(), consumed: i) }
                state = .fixed(remaining: remaining - take)
            case .chunkData(let remaining):
                let take = min(remaining, n - i)
                keep(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)]))
                i += take
                state = remaining - take == 0 ? .chunkDataEnd : .chunkData(remaining: remaining - take)
            case .untilClose:
                keep(UnsafeRawBufferPointer(rebasing: bytes[i..<n]))
                i = n
            }
        }
        return .needMore
    }

    private mutating func keep(_ bytes: UnsafeRawBufferPointer) {
        response.bodyLength += bytes.count
        let room = keepBodyBytes - response.body.count
        if room > 0 { response.body.append(contentsOf: bytes.prefix(room)) }
    }

    /// One line of a head, a chunk size, the CRLF after chunk data or a trailer; returns a completed answer.
    private mutating func takeLine(_ text: UnsafeRawBufferPointer) throws(HTTPResponseParseError) -> Response? {
        switch state {
        case .head:
            if !sawStatusLine {
                if text.isEmpty { return nil } // tolerate a stray CRLF before the status line (RFC 9112 §2.2)
                try statusLine(text)
                sawStatusLine = true
                return nil
            }
            if !text.isEmpty {
                try headerLine(text)
                return nil
            }
            return try endOfHead()
        case .chunkSize:
            var size = 0
            var digits = 0
            for byte in text {
                if byte == UInt8(ascii: ";") || byte == 0x20 || byte == 0x09 { break } // chunk extensions
                guard let v = Self.hex(byte) else { throw .badChunkSize }
                digits += 1
                guard digits <= 15 else { throw .badChunkSize }
                size = size << 4 | v
            }
            guard digits > 0 else { throw .badChunkSize }
            headBytes = 0
            state = size == 0 ? .trailers : .chunkData(remaining: size)
            return nil
        case .chunkDataEnd:
            guard text.isEmpty else { throw .badChunkSize }
            headBytes = 0
            state = .chunkSize
            return nil
        case .trailers:
            if text.isEmpty { return complete() }
            return nil
        case .fixed, .chunkData, .untilClose:
            return nil
        }
    }

    private mutating func statusLine(_ text: UnsafeRawBufferPointer) throws(HTTPResponseParseError) {
        // "HTTP/1.1 200 OK": version, one space, three digits, then a space or the end.
        guard text.count >= 12, text.starts(with: "HTTP/1.".utf8),
              text[7] == UInt8(ascii: "0") || text[7] == UInt8(ascii: "1"), text[8] == 0x20 else { throw .badStatusLine }
        var status = 0
        for byte in text[9..<12] {
            guard byte >= 0x30 && byte <= 0x39 else { throw .badStatusLine }
            status = status * 10 + Int(byte - 0x30)
        }
        guard status >= 100, text.count == 12 || text[12] == 0x20 else { throw .badStatusLine }
        http10 = text[7] == UInt8(ascii: "0")
        response.status = status
    }

    private mutating func headerLine(_ text: UnsafeRawBufferPointer) throws(HTTPResponseParseError) {
        guard let colon = text.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { throw .badHeader }
        // Only four names matter; the rest are skipped on their first letter.
        let first = text[0] | 0x20
        guard first == UInt8(ascii: "c") || first == UInt8(ascii: "t") else { return }
        let name = UnsafeRawBufferPointer(rebasing: text[0..<colon])
        var valueStart = colon + 1
        var valueEnd = text.count
        while valueStart < valueEnd && (text[valueStart] == 0x20 || text[valueStart] == 0x09) { valueStart += 1 }
        while valueEnd > valueStart && (text[valueEnd - 1] == 0x20 || text[valueEnd - 1] == 0x09) { valueEnd -= 1 }
        let value = UnsafeRawBufferPointer(rebasing: text[valueStart..<valueEnd])
        if Self.equalsLower(name, "content-length") {
            var length = 0
            guard !value.isEmpty, value.count <= 18 else { throw .badContentLength }
            for byte in value {
                guard byte >= 0x30 && byte <= 0x39 else { throw .badContentLength }
                length = length * 10 + Int(byte - 0x30)
            }
            if let seen = contentLength, seen != length { throw .badContentLength }
            contentLength = length
        } else if Self.equalsLower(name, "transfer-encoding") {
            // Only a final "chunked" frames the body; any other coding ends at the connection's close.
            var last: UnsafeRawBufferPointer?
            Self.forEachToken(value) { last = $0 }
            transferEncoded = true
            chunked = last.map { Self.equalsLower($0, "chunked") } ?? false
        } else if Self.equalsLower(name, "connection") {
            Self.forEachToken(value) { token in
                if Self.equalsLower(token, "close") { connectionClose = true }
                if Self.equalsLower(token, "keep-alive") { connectionKeepAlive = true }
            }
        } else if keepBodyBytes > 0 && Self.equalsLower(name, "content-type") {
            response.contentType = String(decoding: value, as: UTF8.self).lowercased()
        }
    }

    private mutating func endOfHead() throws(HTTPResponseParseError) -> Response? {
        let status = response.status
        if status < 200 && status != 101 {
            // An interim answer (100 Continue, 103 Early Hints): the final one follows.
            resetMessage()
            return nil
        }
        response.keepAlive = !connectionClose && (!http10 || connectionKeepAlive)
        headBytes = 0
        if requestWasHead || status == 204 || status == 304 || status == 101 {
            return complete()
        }
        if chunked {
            state = .chunkSize
            return nil
        }
        if let length = contentLength, !transferEncoded {
            if length == 0 { return complete() }
            state = .fixed(remaining: length)
            return nil
        }
        state = .untilClose
        return nil
    }

    private mutating func complete() -> Response {
        let done = response
        resetMessage()
        return done
    }

    private mutating func resetMessage() {
        state = .head
        line.removeAll(keepingCapacity: true)
        headBytes = 0
        sawStatusLine = false
        http10 = false
        contentLength = nil
        chunked = false
        transferEncoded = false
        connectionClose = false
        connectionKeepAlive = false
        response = Response(status: 0, keepAlive: true, body: [], bodyLength: 0, contentType: nil)
    }

    /// Calls `body` with each token of a comma-separated header value, without surrounding spaces.
    private static func forEachToken(_ value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while start <= value.count {
            var end = start
            while end < value.count && value[end] != UInt8(ascii: ",") { end += 1 }
            var a = start
            var b = end
            while a < b && (value[a] == 0x20 || value[a] == 0x09) { a += 1 }
            while b > a && (value[b - 1] == 0x20 || value[b - 1] == 0x09) { b -= 1 }
            if a < b { body(UnsafeRawBufferPointer(rebasing: value[a..<b])) }
            start = end + 1
        }
    }

    private static func hex(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        default: nil
        }
    }

    /// ASCII case-insensitive equality with a lower-case name.
    private static func equalsLower(_ bytes: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        guard bytes.count == name.utf8CodeUnitCount else { return false }
        let expected = name.utf8Start
        for i in 0..<bytes.count {
            let a = bytes[i]
            if (a >= 0x41 && a <= 0x5A ? a | 0x20 : a) != expected[i] { return false }
        }
        return true
    }
}

/// Why an answer could not be read; the connection that carried it must be closed.
public enum HTTPResponseParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case badStatusLine, badHeader, badContentLength, badChunkSize, headTooLarge

    public var description: String {
        switch self {
        case .badStatusLine: "the status line is not HTTP/1.x NNN"
        case .badHeader: "a header line has no name or colon"
        case .badContentLength: "Content-Length is not one decimal number"
        case .badChunkSize: "a chunk size or chunk end is malformed"
        case .headTooLarge: "the answer's head is too large"
        }
    }
}
