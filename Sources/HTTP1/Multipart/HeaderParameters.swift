/// A header value of the form `type *( OWS ";" OWS name OWS "=" OWS value )`, as in `Content-Type` and
/// `Content-Disposition`.
///
/// A value is a quoted string, in which `\"` and `\\` are unescaped and any other backslash is kept as sent (browsers
/// send Windows paths unescaped), or an unquoted run of bytes other than space, tab, `;` and `"` (lenient: boundaries
/// such as `=_Part_1` are common unquoted).
package struct HeaderParameters: Sendable {
    /// The leading type, for example `form-data` or `multipart/form-data`, as sent.
    package var type: String

    /// The parameters in order: raw name bytes and unquoted value bytes.
    package var parameters: [(name: [UInt8], value: [UInt8])]

    /// Parses `value`; nil when it does not have the form above.
    package init?(_ value: String) {
        let bytes = Array(value.utf8)
        var index = 0
        func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        }
        func token(allowing extra: UInt8? = nil) -> [UInt8] {
            let start = index
            while index < bytes.count, Self.isTokenByte(bytes[index]) || bytes[index] == extra { index += 1 }
            return Array(bytes[start..<index])
        }
        skipSpace()
        let type = token(allowing: UInt8(ascii: "/"))
        guard !type.isEmpty else { return nil }
        var parameters: [(name: [UInt8], value: [UInt8])] = []
        while true {
            skipSpace()
            guard index < bytes.count else { break }
            guard bytes[index] == UInt8(ascii: ";") else { return nil }
            index += 1
            skipSpace()
            guard index < bytes.count else { break }
            let name = token()
            guard !name.isEmpty else { return nil }
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { return nil }
            index += 1
            skipSpace()
            var value: [UInt8] = []
            if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                index += 1
                var closed = false
                while index < bytes.count {
                    let byte = bytes[index]
                    index += 1
                    if byte == UInt8(ascii: "\"") {
                        closed = true
                        break
                    }
                    if byte == UInt8(ascii: "\\"), index < bytes.count,
                        bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "\\")
                    {
                        value.append(bytes[index])
                        index += 1
                    } else {
                        value.append(byte)
                    }
                }
                guard closed else { return nil }
            } else {
                while index < bytes.count, !Self.endsUnquotedValue(bytes[index]) {
                    value.append(bytes[index])
                    index += 1
                }
                guard !value.isEmpty else { return nil }
            }
            parameters.append((name, value))
        }
        self.type = String(decoding: type, as: UTF8.self)
        self.parameters = parameters
    }

    /// RFC 9110 `tchar`.
    package static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func endsUnquotedValue(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == UInt8(ascii: ";") || byte == UInt8(ascii: "\"")
    }
}
