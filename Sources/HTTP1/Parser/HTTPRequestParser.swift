/// What ``HTTPRequestParser`` reports while it consumes bytes.
///
/// Every message produces exactly one `.head`, zero or more `.body`, then one `.end`, in that order.
public enum HTTPParserEvent {
    /// The request head is complete and valid. Next: `.body` or `.end`.
    case head(HTTPRequestHead)
    /// Body bytes, a slice of the input passed to `parse` (chunked framing removed). Valid only during the
    /// callback: copy what must outlive it. Never empty. Next: `.body` or `.end`.
    case body(UnsafeRawBufferPointer)
    /// The message is complete. Next: the `.head` of the next message.
    case end
}

/// A strict, incremental HTTP/1.1 request parser (RFC 9112), pure: bytes in, events out, no I/O.
///
/// Feed it whatever the socket delivered; it buffers at most one partial line (bounded by
/// ``HTTPParserLimits``) and passes body bytes through as slices of the input. Ambiguous framing is refused,
/// never guessed: see ``HTTPParseError`` for every rule. Bare LF is accepted as the terminator of the request
/// line, field lines and trailer lines (RFC 9112 §2.2 permits it, h11 does the same); chunk-size lines and chunk
/// data must end with CRLF.
///
/// After an error the parser stays failed: every later `parse` throws the same error. The connection must be
/// answered with ``HTTPParseError/status`` and closed.
public struct HTTPRequestParser {
    /// Where in a message the parser is. The head under construction lives in `builder`, a partial line in
    /// `lineBuffer`.
    private enum State {
        /// Reading the request line and header field lines (idle when nothing was buffered yet).
        /// Next: `contentLengthBody`, `chunkSizeLine`, or `head` again after an `.end` for a body-less request.
        case head
        /// Passing through the remaining bytes of a Content-Length body. Next: `head` after `.end`.
        case contentLengthBody(remaining: Int)
        /// Reading a `chunk-size [chunk-ext] CRLF` line. Next: `chunkData` or `trailers` (size 0).
        case chunkSizeLine
        /// Passing through the remaining bytes of a chunk. Next: `chunkDataCRLF`.
        case chunkData(remaining: Int)
        /// Expecting the CRLF after chunk data; `sawCR` once the CR arrived. Next: `chunkSizeLine`.
        case chunkDataCRLF(sawCR: Bool)
        /// Reading trailer field lines, `bytes` of them so far. Next: `head` after `.end` on the empty line.
        case trailers(bytes: Int)
        /// A request was refused; terminal.
        case failed(HTTPParseError)
    }

    /// The limits this parser enforces.
    public let limits: HTTPParserLimits
    private var state: State = .head
    private var builder = HTTPRequestHeadBuilder()
    /// Header bytes counted so far (field lines, terminators included).
    private var headerBytes = 0
    /// The start of a line whose end has not arrived yet.
    private var lineBuffer: [UInt8] = []

    /// Creates a parser waiting for the first request.
    public init(limits: HTTPParserLimits = .init()) {
        self.limits = limits
    }

    /// True while a message is partially parsed (head or body started but no `.end` yet) — used for "client
    /// closed mid-request". False once the parser failed.
    public var isMidMessage: Bool {
        switch state {
        case .head: builder.hasRequestLine || !lineBuffer.isEmpty
        case .failed: false
        default: true
        }
    }

    /// True when nothing of the current message has been seen yet (idle between requests).
    public var isIdle: Bool {
        if case .head = state { return !builder.hasRequestLine && lineBuffer.isEmpty }
        return false
    }

    /// Feeds bytes. Emits events through `onEvent`. Stops consuming right after a message's `.end`
    /// and returns how many bytes of `bytes` it consumed (the rest belongs to the next, pipelined, request:
    /// the caller feeds it again later, and the next call starts the next message).
    /// Bytes before `.end` are always consumed entirely (incomplete heads are buffered internally, bounded by the
    /// limits). A non-empty input always consumes at least one byte.
    public mutating func parse(
        _ bytes: UnsafeRawBufferPointer,
        onEvent: (HTTPParserEvent) -> Void
    ) throws(HTTPParseError) -> Int {
        if case .failed(let error) = state { throw error }
        do throws(HTTPParseError) {
            return try parseUnchecked(bytes, onEvent: onEvent)
        } catch {
            state = .failed(error)
            lineBuffer = []
            throw error
        }
    }

    private mutating func parseUnchecked(
        _ bytes: UnsafeRawBufferPointer,
        onEvent: (HTTPParserEvent) -> Void
    ) throws(HTTPParseError) -> Int {
        let count = bytes.count
        var index = 0
        while index < count {
            switch state {
            case .contentLengthBody(let remaining):
                let take = min(remaining, count - index)
                onEvent(.body(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)])))
                index += take
                if take == remaining {
                    finishMessage(onEvent)
                    return index
                }
                state = .contentLengthBody(remaining: remaining - take)

            case .chunkData(let remaining):
                let take = min(remaining, count - index)
                onEvent(.body(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)])))
                index += take
                state = take == remaining ? .chunkDataCRLF(sawCR: false) : .chunkData(remaining: remaining - take)

            case .chunkDataCRLF(let sawCR):
                let byte = bytes[index]
                index += 1
                if !sawCR, byte == HTTPSyntax.cr {
                    state = .chunkDataCRLF(sawCR: true)
                } else if sawCR, byte == HTTPSyntax.lf {
                    state = .chunkSizeLine
                } else {
                    throw HTTPParseError.missingChunkCRLF.withMessage(
                        "byte 0x\(String(byte, radix: 16)) after chunk data where CRLF was expected"
                    )
                }

            case .head, .chunkSizeLine, .trailers:
                var lineEnd = index
                while lineEnd < count, bytes[lineEnd] != HTTPSyntax.lf { lineEnd += 1 }
                let piece = UnsafeRawBufferPointer(rebasing: bytes[index..<lineEnd])
                try checkLineLength(appending: piece)
                guard lineEnd < count else {
                    lineBuffer.append(contentsOf: piece)
                    return count
                }
                index = lineEnd + 1
                let ended: Bool
                if lineBuffer.isEmpty {
                    ended = try line(piece, onEvent: onEvent)
                } else {
                    lineBuffer.append(contentsOf: piece)
                    var owned: [UInt8] = []
                    swap(&owned, &lineBuffer)
                    let result = owned.withUnsafeBytes { (line: UnsafeRawBufferPointer) in
                        Result { () throws(HTTPParseError) -> Bool in try self.line(line, onEvent: onEvent) }
                    }
                    owned.removeAll(keepingCapacity: true)
                    swap(&owned, &lineBuffer)
                    ended = try result.get()
                }
                if ended { return index }

            case .failed(let error):
                throw error
            }
        }
        return index
    }

    /// Refuses a line (without its LF; the CR if any is still included) that crosses the limit of the current
    /// section before it is buffered, whether or not its end has arrived. One byte of slack is left for a CR;
    /// complete lines are then checked exactly in `line`.
    private func checkLineLength(appending piece: UnsafeRawBufferPointer) throws(HTTPParseError) {
        let length = lineBuffer.count + piece.count
        switch state {
        case .head where !builder.hasRequestLine:
            if length > limits.maxRequestLineBytes + 1 { throw HTTPParseError.requestLineTooLong }
        case .head:
            if headerBytes + length > limits.maxHeaderBytes + 1 {
                throw HTTPParseError.headersTooLarge
            }
        case .trailers(let bytes):
            if bytes + length > limits.maxTrailerBytes + 1 {
                throw HTTPParseError.trailersTooLarge
            }
        case .chunkSizeLine:
            if length > 16 + limits.maxChunkExtensionBytes + 1 {
                // Report what a complete line would report: a bad size before a long extension.
                let partial = lineBuffer + Array(piece)
                _ = try partial.withUnsafeBytes { bytes in
                    Result { () throws(HTTPParseError) -> Int in try Self.chunkSize(bytes, limits: limits) }
                }.get()
                throw HTTPParseError.chunkExtensionTooLong
            }
        default:
            break
        }
    }

    /// Handles one complete line given without its LF. Returns whether the message ended (`.end` emitted).
    private mutating func line(
        _ rawLine: UnsafeRawBufferPointer,
        onEvent: (HTTPParserEvent) -> Void
    ) throws(HTTPParseError) -> Bool {
        let hasCR = rawLine.last == HTTPSyntax.cr
        let line = hasCR ? UnsafeRawBufferPointer(rebasing: rawLine.dropLast()) : rawLine
        switch state {
        case .head:
            if !builder.hasRequestLine {
                guard !line.isEmpty else { throw HTTPParseError.leadingEmptyLine }
                guard line.count <= limits.maxRequestLineBytes else { throw HTTPParseError.requestLineTooLong }
                try builder.requestLine(line)
                return false
            }
            if line.isEmpty {
                return try headComplete(onEvent)
            }
            headerBytes += rawLine.count + 1
            if headerBytes > limits.maxHeaderBytes { throw HTTPParseError.headersTooLarge }
            try builder.fieldLine(line)
            if builder.headerCount > limits.maxHeaderCount { throw HTTPParseError.tooManyHeaders }
            return false

        case .chunkSizeLine:
            guard hasCR else {
                throw HTTPParseError.invalidChunkSize.withMessage("chunk-size line does not end with CRLF")
            }
            let size = try Self.chunkSize(line, limits: limits)
            state = size == 0 ? .trailers(bytes: 0) : .chunkData(remaining: size)
            return false

        case .trailers(let bytes):
            if line.isEmpty {
                finishMessage(onEvent)
                return true
            }
            let total = bytes + rawLine.count + 1
            if total > limits.maxTrailerBytes { throw HTTPParseError.trailersTooLarge }
            _ = try HTTPFieldLine(parsing: line)
            state = .trailers(bytes: total)
            return false

        default:
            preconditionFailure("line() called outside a line-oriented state")
        }
    }

    private mutating func headComplete(_ onEvent: (HTTPParserEvent) -> Void) throws(HTTPParseError) -> Bool {
        let head = try builder.finish()
        onEvent(.head(head))
        switch head.framing {
        case .none, .contentLength(0):
            finishMessage(onEvent)
            return true
        case .contentLength(let length):
            state = .contentLengthBody(remaining: length)
        case .chunked:
            state = .chunkSizeLine
        }
        builder = HTTPRequestHeadBuilder()
        headerBytes = 0
        return false
    }

    /// Emits `.end` and resets for the next message.
    private mutating func finishMessage(_ onEvent: (HTTPParserEvent) -> Void) {
        state = .head
        builder = HTTPRequestHeadBuilder()
        headerBytes = 0
        onEvent(.end)
    }

    /// Parses `1*16HEXDIG *( ";" token [ "=" ( token / quoted-string ) ] )` (RFC 9112 §7.1.1, without BWS —
    /// h11 refuses it too). Extensions are checked and ignored.
    package static func chunkSize(_ line: UnsafeRawBufferPointer, limits: HTTPParserLimits) throws(HTTPParseError) -> Int {
        var index = 0
        var size = 0
        while index < line.count, let digit = HTTPSyntax.hexValue(line[index]) {
            guard index < 16 else {
                throw HTTPParseError.invalidChunkSize.withMessage("chunk size has more than 16 hex digits")
            }
            let (shifted, overflow) = size.multipliedReportingOverflow(by: 16)
            guard !overflow else { throw HTTPParseError.invalidChunkSize.withMessage("chunk size overflows") }
            size = shifted | digit
            index += 1
        }
        guard index > 0 else {
            throw HTTPParseError.invalidChunkSize.withMessage("chunk size is empty or not hexadecimal")
        }
        guard size <= limits.maxChunkBytes else {
            throw HTTPParseError.chunkTooLarge.withMessage(
                "chunk size \(size) is larger than the limit of \(limits.maxChunkBytes) bytes")
        }
        guard index < line.count else { return size }
        guard line[index] == HTTPSyntax.semicolon else {
            throw HTTPParseError.invalidChunkSize.withMessage(
                "byte 0x\(String(line[index], radix: 16)) after the chunk size"
            )
        }
        guard line.count - index <= limits.maxChunkExtensionBytes else {
            throw HTTPParseError.chunkExtensionTooLong
        }
        try validateChunkExtensions(UnsafeRawBufferPointer(rebasing: line[index...]))
        return size
    }

    private static func validateChunkExtensions(_ ext: UnsafeRawBufferPointer) throws(HTTPParseError) {
        var index = 0
        func token() -> Bool {
            let start = index
            while index < ext.count, HTTPSyntax.isTokenByte(ext[index]) { index += 1 }
            return index > start
        }
        while index < ext.count {
            guard ext[index] == HTTPSyntax.semicolon else { throw HTTPParseError.invalidChunkExtension }
            index += 1
            guard token() else { throw HTTPParseError.invalidChunkExtension }
            guard index < ext.count, ext[index] == UInt8(ascii: "=") else { continue }
            index += 1
            if index < ext.count, ext[index] == UInt8(ascii: "\"") {
                // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4)
                index += 1
                var closed = false
                while index < ext.count {
                    let byte = ext[index]
                    if byte == UInt8(ascii: "\"") {
                        closed = true
                        index += 1
                        break
                    }
                    if byte == UInt8(ascii: "\\") {
                        index += 1
                        guard index < ext.count, HTTPSyntax.isFieldValueByte(ext[index]) else { break }
                    } else if !HTTPSyntax.isFieldValueByte(byte) {
                        break
                    }
                    index += 1
                }
                guard closed else { throw HTTPParseError.invalidChunkExtension }
            } else {
                guard token() else { throw HTTPParseError.invalidChunkExtension }
            }
        }
    }
}
