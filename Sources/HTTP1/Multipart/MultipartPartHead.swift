/// One header field of a multipart part, as sent.
public struct MultipartHeader: Sendable, Equatable, Hashable {
    /// The field name as sent; compare it case-insensitively.
    public var name: String

    /// The field value, without leading and trailing spaces or tabs; folded lines are joined with one space.
    public var value: String

    /// Creates a header field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The head of one `multipart/form-data` part: its header fields and what its `Content-Disposition` and
/// `Content-Type` say.
public struct MultipartPartHead: Sendable, Equatable {
    /// Every header field of the part, in order.
    public var headers: [MultipartHeader]

    /// The form field name: the `name` parameter of `Content-Disposition: form-data`.
    public var name: String

    /// The file name, if the part is a file: `filename*` (RFC 5987, `UTF-8''` or `ISO-8859-1''` percent-encoded)
    /// when present, else `filename` (a token or a quoted string; `\"` and `\\` are unescaped, other backslashes are
    /// kept, raw UTF-8 is accepted).
    public var filename: String?

    /// The part's `Content-Type` value, if any.
    public var contentType: String?

    /// Creates a part head.
    public init(headers: [MultipartHeader], name: String, filename: String? = nil, contentType: String? = nil) {
        self.headers = headers
        self.name = name
        self.filename = filename
        self.contentType = contentType
    }

    /// The value of the first header field named `name`, compared case-insensitively (ASCII).
    public func value(forHeader name: String) -> String? {
        headers.first { Self.equalsIgnoringCase($0.name, name) }?.value
    }

    package static func equalsIgnoringCase(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.count == rhs.utf8.count
            && zip(lhs.utf8, rhs.utf8).allSatisfy { asciiLowercase($0) == asciiLowercase($1) }
    }

    package static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}

extension MultipartPartHead {
    /// Parses a header section: CRLF-terminated `name: value` lines, without the blank line that ends the section.
    package init(section: UnsafeRawBufferPointer, limits: MultipartLimits) throws(MultipartError) {
        var headers: [MultipartHeader] = []
        var lineStart = 0
        while lineStart < section.count {
            var lineEnd = lineStart
            while section[lineEnd] != 0x0D || section[lineEnd + 1] != 0x0A { lineEnd += 1 }
            let line = UnsafeRawBufferPointer(rebasing: section[lineStart..<lineEnd])
            lineStart = lineEnd + 2
            guard let first = line.first else {
                throw MultipartError.malformedPartHeader.with(message: "empty header line")
            }
            guard line.allSatisfy(Self.isFieldByte) else {
                throw MultipartError.malformedPartHeader.with(message: "control character in a part header line")
            }
            if first == 0x20 || first == 0x09 {
                guard !headers.isEmpty else {
                    throw MultipartError.malformedPartHeader.with(message: "continuation line before any header")
                }
                let more = Self.trimmed(line)
                if !more.isEmpty { headers[headers.count - 1].value += " " + String(decoding: more, as: UTF8.self) }
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
                line[..<colon].allSatisfy(HeaderParameters.isTokenByte)
            else {
                throw MultipartError.malformedPartHeader.with(message: "part header line is not \"name: value\"")
            }
            guard headers.count < limits.maxPartHeaderCount else {
                throw MultipartError.tooManyPartHeaders.with(
                    message: "part has more than \(limits.maxPartHeaderCount) header fields"
                )
            }
            headers.append(
                MultipartHeader(
                    name: String(decoding: line[..<colon], as: UTF8.self),
                    value: String(decoding: Self.trimmed(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...])),
                        as: UTF8.self)
                )
            )
        }

        let dispositions = headers.filter { Self.equalsIgnoringCase($0.name, "Content-Disposition") }
        guard let disposition = dispositions.first else { throw .missingContentDisposition }
        guard dispositions.count == 1 else {
            throw MultipartError.invalidContentDisposition.with(message: "more than one Content-Disposition header")
        }
        let (name, filename) = try Self.parseDisposition(disposition.value)
        self.init(
            headers: headers,
            name: name,
            filename: filename,
            contentType: headers.first { Self.equalsIgnoringCase($0.name, "Content-Type") }?.value
        )
    }

    /// Reads `form-data; name="..."; filename="..."; filename*=charset'lang'pct-encoded`.
    package static func parseDisposition(_ value: String) throws(MultipartError) -> (name: String, filename: String?) {
        guard let parsed = HeaderParameters(value) else {
            throw MultipartError.invalidContentDisposition.with(message: "malformed Content-Disposition parameters")
        }
        guard equalsIgnoringCase(parsed.type, "form-data") else {
            throw MultipartError.invalidContentDisposition.with(
                message: "Content-Disposition type is \"\(parsed.type)\", not form-data"
            )
        }
        var name: String?
        var filename: String?
        var extendedFilename: [UInt8]?
        for (key, raw) in parsed.parameters {
            let key = String(decoding: key.map(asciiLowercase), as: UTF8.self)
            guard key == "name" || key == "filename" || key == "filename*" else { continue }
            let repeated: Bool
            switch key {
            case "name":
                repeated = name != nil
                name = String(decoding: raw, as: UTF8.self)
            case "filename":
                repeated = filename != nil
                filename = String(decoding: raw, as: UTF8.self)
            default:
                repeated = extendedFilename != nil
                extendedFilename = raw
            }
            guard !repeated else {
                throw MultipartError.invalidContentDisposition.with(message: "parameter \(key) appears twice")
            }
        }
        guard let name else {
            throw MultipartError.invalidContentDisposition.with(message: "Content-Disposition has no name parameter")
        }
        if let extendedFilename, let decoded = try decodeExtendedValue(extendedFilename) {
            filename = decoded
        }
        return (name, filename)
    }

    /// Decodes an RFC 5987 `ext-value`; nil for a charset other than UTF-8 and ISO-8859-1.
    package static func decodeExtendedValue(_ raw: [UInt8]) throws(MultipartError) -> String? {
        let invalid = MultipartError.invalidContentDisposition
        let pieces = raw.split(separator: UInt8(ascii: "'"), maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3 else {
            throw invalid.with(message: "filename* is not charset'language'value")
        }
        let charset = String(decoding: pieces[0].map(asciiLowercase), as: UTF8.self)
        var bytes: [UInt8] = []
        var index = pieces[2].startIndex
        while index < pieces[2].endIndex {
            let byte = pieces[2][index]
            if byte != UInt8(ascii: "%") {
                bytes.append(byte)
                index += 1
                continue
            }
            guard index + 2 < pieces[2].endIndex, let high = hexValue(pieces[2][index + 1]),
                let low = hexValue(pieces[2][index + 2])
            else {
                throw invalid.with(message: "bad percent-encoding in filename*")
            }
            bytes.append(high << 4 | low)
            index += 3
        }
        switch charset {
        case "utf-8":
            guard let string = String(validating: bytes, as: UTF8.self) else {
                throw invalid.with(message: "filename* is not valid UTF-8")
            }
            return string
        case "iso-8859-1":
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        default:
            return nil
        }
    }

    /// One hex digit's value. Kept here rather than using `Loop`'s `Hex.digit`: the multipart fuzzer
    /// (`scripts/fuzz.sh multipart`) compiles this folder on its own, without the `Loop` module.
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Header bytes allowed in a line: tab, printable ASCII and any byte from 0x80 (raw UTF-8).
    private static func isFieldByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var lower = 0
        var upper = bytes.count
        while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 { lower += 1 }
        while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[lower..<upper])
    }
}
