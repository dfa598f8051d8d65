/// A streaming `multipart/form-data` parser (RFC 7578 over RFC 2046) written as a pure state machine.
///
/// Feed the HTTP body in chunks of any size with ``parse(_:onEvent:)``; the parser reports each part's head, its body
/// bytes and its end as ``MultipartEvent``s, then ``MultipartEvent/end`` at the closing delimiter. Call ``finish()``
/// when the body ends. The events do not depend on where the chunks split the body, except that a part's bytes may
/// arrive in different slices.
///
/// The delimiter is `CRLF "--" boundary`; the first one may start the body without its CRLF. After a delimiter, `--`
/// closes the body; otherwise optional transport padding (spaces, tabs) and CRLF start a part, whose header section
/// runs to a blank line. Body bytes are searched with a Boyer-Moore-Horspool skip loop over the caller's buffer and
/// are handed out as slices of it; only the few bytes at a chunk's end that could begin a delimiter are held back and
/// copied. The preamble and the epilogue are skipped without being buffered.
///
/// After an error every call throws that error again.
public struct MultipartParser: Sendable {
    /// Where the parser is in the body. Each case lists its legal next states.
    package enum State: Sendable, Equatable {
        /// Before the first delimiter; bytes are discarded. Next: `delimiterLine`.
        case preamble

        /// Just after a delimiter, reading `--`, or transport padding then CRLF.
        /// Next: `headers` (CRLF), `epilogue` (`--`), `failed`.
        case delimiterLine(DelimiterLine)

        /// Collecting a part's header section up to the blank line. Next: `body`, `failed`.
        case headers

        /// Emitting a part's body until the next delimiter. Next: `delimiterLine`.
        case body

        /// After the closing delimiter; bytes are ignored. Terminal.
        case epilogue

        /// An error was thrown; every later call throws it again. Terminal.
        case failed(MultipartError)
    }

    /// Progress through the line that follows a delimiter.
    package enum DelimiterLine: Sendable, Equatable {
        /// Nothing read yet. Next: `dash` (`-`), `padding` (space or tab), `carriageReturn` (CR).
        case start

        /// One `-` read; a second closes the body.
        case dash

        /// Transport padding read. Next: `padding`, `carriageReturn`.
        case padding

        /// CR read; LF starts the next part's header section.
        case carriageReturn
    }

    /// The limits this parser enforces.
    public let limits: MultipartLimits

    /// The delimiter and its search tables.
    package let search: BoundarySearch

    /// The state; see ``State``.
    private(set) var state: State = .preamble

    /// Bytes at the end of the last chunk that may begin a delimiter (fewer than the delimiter's length).
    /// Starts as CR LF so that a delimiter at the very start of the body needs no CRLF of its own.
    private var carry: [UInt8] = [0x0D, 0x0A]

    /// The header section being collected, after a CR LF standing for the delimiter line's own.
    private var headerBuffer: [UInt8] = []

    /// How many parts have begun.
    private(set) var partCount = 0

    /// Creates a parser for `boundary`, the `boundary` parameter of the body's Content-Type.
    ///
    /// - Throws: ``MultipartError/invalidBoundary`` for an empty boundary, one longer than 70 characters, one that
    ///   ends in a space, or one with a character outside RFC 2046's `bchars`.
    public init(boundary: String, limits: MultipartLimits = .init()) throws(MultipartError) {
        let bytes = Array(boundary.utf8)
        guard !bytes.isEmpty, bytes.count <= 70 else {
            throw MultipartError.invalidBoundary.with(
                message: "boundary must be 1 to 70 characters, got \(bytes.count)"
            )
        }
        guard bytes.allSatisfy(Self.isBoundaryCharacter), bytes.last != 0x20 else {
            throw MultipartError.invalidBoundary.with(
                message: "boundary holds a character RFC 2046 does not allow, or ends in a space"
            )
        }
        self.limits = limits
        self.search = BoundarySearch(boundary: bytes)
    }

    /// Whether the closing delimiter has been seen (``MultipartEvent/end`` was emitted).
    public var isFinished: Bool { state == .epilogue }

    /// Feeds the next chunk of the body and reports what it completes through `onEvent`.
    ///
    /// Works whatever the chunk boundaries. Body bytes are emitted as soon as they cannot be part of a delimiter, so at
    /// most a delimiter's length of bytes is held back between calls. Bytes after the closing delimiter are ignored.
    ///
    /// - Parameters:
    ///   - bytes: The next bytes of the body; empty is allowed.
    ///   - onEvent: Called synchronously for each event; a ``MultipartEvent/body`` buffer is valid only during the
    ///     call.
    /// - Throws: A ``MultipartError`` for a malformed body or an exceeded limit.
    public mutating func parse(
        _ bytes: UnsafeRawBufferPointer,
        onEvent: (MultipartEvent) -> Void
    ) throws(MultipartError) {
        var offset = 0
        do throws(MultipartError) {
            while offset < bytes.count {
                switch state {
                case .preamble:
                    offset = scan(bytes, from: offset, emitting: false, onEvent)
                case .body:
                    offset = scan(bytes, from: offset, emitting: true, onEvent)
                case .delimiterLine(let line):
                    offset = try readDelimiterLine(bytes, from: offset, line: line, onEvent)
                case .headers:
                    offset = try readHeaders(bytes, from: offset, onEvent)
                case .epilogue:
                    return
                case .failed(let error):
                    throw error
                }
            }
            if case .failed(let error) = state { throw error }
        } catch {
            fail(error)
            throw error
        }
    }

    /// Tells the parser the body has ended.
    ///
    /// - Throws: ``MultipartError/missingClosingBoundary`` unless ``MultipartEvent/end`` was emitted, except that a
    ///   body cut inside a header section that holds a delimiter throws ``MultipartError/boundaryInPartHeaders``;
    ///   an earlier error is thrown again.
    public mutating func finish() throws(MultipartError) {
        switch state {
        case .epilogue:
            return
        case .failed(let error):
            throw error
        case .headers where headerContainsDelimiter(upTo: headerBuffer.count):
            fail(.boundaryInPartHeaders)
            throw .boundaryInPartHeaders
        default:
            fail(.missingClosingBoundary)
            throw .missingClosingBoundary
        }
    }

    // MARK: - States

    private mutating func fail(_ error: MultipartError) {
        state = .failed(error)
        carry = []
        headerBuffer = []
    }

    /// Searches for the next delimiter in the preamble or a body, emitting body bytes when `emitting`.
    /// Returns the offset in `bytes` where parsing continues.
    private mutating func scan(
        _ bytes: UnsafeRawBufferPointer,
        from start: Int,
        emitting: Bool,
        _ onEvent: (MultipartEvent) -> Void
    ) -> Int {
        let length = search.count
        if !carry.isEmpty {
            // Look for a delimiter starting in the held-back bytes, completed by the head of this chunk.
            var window: [UInt8] = []
            swap(&window, &carry)
            let held = window.count
            let available = bytes.count - start
            let borrowed = min(available, length - 1)
            window.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + borrowed)]))
            let whole = borrowed == available
            let match = window.withUnsafeBytes { search.firstMatch(in: $0, from: 0) }
            if let match, match < held || whole {
                if emitting, match > 0 {
                    window.withUnsafeBytes { onEvent(.body(UnsafeRawBufferPointer(rebasing: $0[0..<match]))) }
                }
                window.removeAll(keepingCapacity: true)
                carry = window
                delimiterFound(onEvent)
                return start + match + length - held
            }
            if whole {
                // The chunk is too short to decide: keep what could still begin a delimiter.
                let keep = window.withUnsafeBytes { search.heldBackStart(in: $0, from: 0) }
                if emitting, keep > 0 {
                    window.withUnsafeBytes { onEvent(.body(UnsafeRawBufferPointer(rebasing: $0[0..<keep]))) }
                }
                window.removeSubrange(0..<keep)
                carry = window
                return bytes.count
            }
            if emitting {
                window.withUnsafeBytes { onEvent(.body(UnsafeRawBufferPointer(rebasing: $0[0..<held]))) }
            }
            window.removeAll(keepingCapacity: true)
            carry = window
        }
        if let match = search.firstMatch(in: bytes, from: start) {
            if emitting, match > start {
                onEvent(.body(UnsafeRawBufferPointer(rebasing: bytes[start..<match])))
            }
            delimiterFound(onEvent)
            return match + length
        }
        let keep = search.heldBackStart(in: bytes, from: start)
        if emitting, keep > start {
            onEvent(.body(UnsafeRawBufferPointer(rebasing: bytes[start..<keep])))
        }
        carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[keep...]))
        return bytes.count
    }

    private mutating func delimiterFound(_ onEvent: (MultipartEvent) -> Void) {
        if state == .body { onEvent(.partEnd) }
        state = .delimiterLine(.start)
    }

    /// Reads what follows a delimiter: `--`, or transport padding and CRLF.
    private mutating func readDelimiterLine(
        _ bytes: UnsafeRawBufferPointer,
        from start: Int,
        line: DelimiterLine,
        _ onEvent: (MultipartEvent) -> Void
    ) throws(MultipartError) -> Int {
        var line = line
        var offset = start
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            switch (line, byte) {
            case (.start, UInt8(ascii: "-")):
                line = .dash
            case (.start, UInt8(ascii: " ")), (.start, UInt8(ascii: "\t")),
                (.padding, UInt8(ascii: " ")), (.padding, UInt8(ascii: "\t")):
                line = .padding
            case (.start, UInt8(ascii: "\r")), (.padding, UInt8(ascii: "\r")):
                line = .carriageReturn
            case (.dash, UInt8(ascii: "-")):
                guard partCount > 0 else {
                    throw MultipartError.noParts.with(message: "closing delimiter before any part")
                }
                state = .epilogue
                onEvent(.end)
                return bytes.count
            case (.carriageReturn, UInt8(ascii: "\n")):
                guard partCount < limits.maxPartCount else {
                    throw MultipartError.tooManyParts.with(message: "more than \(limits.maxPartCount) parts")
                }
                partCount += 1
                headerBuffer.removeAll(keepingCapacity: true)
                headerBuffer.append(contentsOf: [0x0D, 0x0A])
                state = .headers
                return offset
            default:
                throw MultipartError.malformedDelimiter.with(
                    message: "delimiter followed by byte 0x\(String(byte, radix: 16)) instead of \"--\" or CRLF"
                )
            }
        }
        state = .delimiterLine(line)
        return offset
    }

    /// Collects a part's header section; at its blank line, parses it and emits ``MultipartEvent/partBegin(_:)``.
    private mutating func readHeaders(
        _ bytes: UnsafeRawBufferPointer,
        from start: Int,
        _ onEvent: (MultipartEvent) -> Void
    ) throws(MultipartError) -> Int {
        let capacity = max(limits.maxPartHeaderBytes, 0) + 2
        let previous = headerBuffer.count
        let taken = min(bytes.count - start, capacity - previous)
        headerBuffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + taken)]))
        if let end = headerSectionEnd(from: max(previous - 3, 0)) {
            if headerContainsDelimiter(upTo: end) { throw .boundaryInPartHeaders }
            let limits = self.limits
            let head = try headerBuffer.withUnsafeBytes { buffer in
                Result { () throws(MultipartError) in
                    let section = UnsafeRawBufferPointer(rebasing: buffer[2..<(end - 2)])
                    return try MultipartPartHead(section: section, limits: limits)
                }
            }.get()
            headerBuffer.removeAll(keepingCapacity: true)
            state = .body
            onEvent(.partBegin(head))
            return start + end - previous
        }
        if headerBuffer.count >= capacity {
            if headerContainsDelimiter(upTo: headerBuffer.count) { throw .boundaryInPartHeaders }
            throw MultipartError.partHeadersTooLarge.with(
                message: "part header section longer than \(limits.maxPartHeaderBytes) bytes"
            )
        }
        return start + taken
    }

    /// The offset just past the first CR LF CR LF in the header buffer at or after `start`.
    private func headerSectionEnd(from start: Int) -> Int? {
        headerBuffer.withUnsafeBufferPointer { buffer in
            var index = start
            while index + 3 < buffer.count {
                if buffer[index + 3] != 0x0A {
                    index += buffer[index + 3] == 0x0D ? 1 : 4
                    continue
                }
                if buffer[index] == 0x0D, buffer[index + 1] == 0x0A, buffer[index + 2] == 0x0D { return index + 4 }
                index += 1
            }
            return nil
        }
    }

    private func headerContainsDelimiter(upTo end: Int) -> Bool {
        headerBuffer.withUnsafeBytes { search.firstMatch(in: UnsafeRawBufferPointer(rebasing: $0[0..<end]), from: 0) }
            != nil
    }

    /// RFC 2046 `bchars`: digits, letters, `'()+_,-./:=?` and space.
    package static func isBoundaryCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            true
        default:
            "'()+_,-./:=? ".utf8.contains(byte)
        }
    }
}
