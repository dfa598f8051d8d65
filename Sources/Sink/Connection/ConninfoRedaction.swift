import Loop

/// A libpq connection string with every password it carries replaced by `***`, for logs, `doctor` and
/// `/startup-status`. Both forms libpq accepts are read the way libpq reads them
/// (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING):
///
/// - a URI (`postgresql://` or `postgres://`): the password of the user info (`user:secret@host`, the last `@`
///   of the authority, which ends at the first `/`, `?` or `#`) and every `password` query parameter, its name
///   possibly percent-encoded (`?pass%77ord=secret`);
/// - keyword/value pairs: `password=secret`, `password = secret`, and quoted values (`password='a b\'c'`), a
///   backslash escaping the next character.
///
/// Written here because no package on the mirror parses conninfo, and the rules are short.
enum ConninfoRedaction {
    static let mask = "***"

    static func redacted(_ conninfo: String) -> String {
        let bytes = Array(conninfo.utf8)
        let start = bytes.firstIndex { !isSpace($0) } ?? bytes.endIndex
        let rest = bytes[start...]
        for scheme in ["postgresql://", "postgres://"] where rest.starts(with: scheme.utf8) {
            return String(decoding: uri(bytes, authorityStart: start + scheme.utf8.count), as: UTF8.self)
        }
        return String(decoding: keywordValue(bytes), as: UTF8.self)
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    private static func uri(_ bytes: [UInt8], authorityStart: Int) -> [UInt8] {
        var out = Array(bytes[..<authorityStart])
        let authorityEnd = bytes[authorityStart...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?")
            || $0 == UInt8(ascii: "#") } ?? bytes.endIndex
        let authority = bytes[authorityStart..<authorityEnd]
        if let at = authority.lastIndex(of: UInt8(ascii: "@")) {
            let userInfo = bytes[authorityStart..<at]
            if let colon = userInfo.firstIndex(of: UInt8(ascii: ":")) {
                out += bytes[authorityStart...colon]
                out += mask.utf8
                out += bytes[at..<authorityEnd]
            } else {
                out += authority
            }
        } else {
            out += authority
        }
        guard let question = bytes[authorityEnd...].firstIndex(of: UInt8(ascii: "?")) else {
            return out + bytes[authorityEnd...]
        }
        out += bytes[authorityEnd...question]
        let queryEnd = bytes[question...].firstIndex(of: UInt8(ascii: "#")) ?? bytes.endIndex
        var first = true
        for pair in bytes[(question + 1)..<queryEnd].split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false) {
            if !first { out.append(UInt8(ascii: "&")) }
            first = false
            if let equals = pair.firstIndex(of: UInt8(ascii: "=")), percentDecoded(pair[..<equals]) == Array("password".utf8) {
                out += pair[...equals]
                out += mask.utf8
            } else {
                out += pair
            }
        }
        return out + bytes[queryEnd...]
    }

    private static func percentDecoded(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.endIndex,
               let high = Hex.digit(bytes[i + 1]), let low = Hex.digit(bytes[i + 2]) {
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// `keyword = value` pairs separated by white space; a value is a run of non-space bytes or a quoted
    /// string, `\` escaping the next byte in both. What libpq would reject is copied through unchanged, except
    /// that a value after `password` is always masked.
    private static func keywordValue(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        func copySpaces() {
            while i < bytes.count, isSpace(bytes[i]) { out.append(bytes[i]); i += 1 }
        }
        while i < bytes.count {
            copySpaces()
            let keywordStart = i
            while i < bytes.count, !isSpace(bytes[i]), bytes[i] != UInt8(ascii: "=") { i += 1 }
            let keyword = bytes[keywordStart..<i]
            out += keyword
            copySpaces()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { continue }
            out.append(bytes[i])
            i += 1
            copySpaces()
            let valueStart = i
            if i < bytes.count, bytes[i] == UInt8(ascii: "'") {
                i += 1
                while i < bytes.count, bytes[i] != UInt8(ascii: "'") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i = min(i + 1, bytes.count)
            } else {
                while i < bytes.count, !isSpace(bytes[i]) { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i = min(i, bytes.count)
            }
            if keyword.elementsEqual("password".utf8) {
                out += mask.utf8
            } else {
                out += bytes[valueStart..<i]
            }
        }
        return out
    }
}
