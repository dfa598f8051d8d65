import Loop

/// Makes values acceptable to PostgreSQL before they are encoded, so that one odd document does not cost a
/// batch its bisection: `text` cannot hold NUL; `jsonb` refuses `\u0000` and unpaired UTF-16 surrogate escapes
/// (`\ud800` alone), which JSON itself allows. Invalid UTF-8 cannot reach here as a Swift `String`; JSON given
/// as bytes is checked.
enum Sanitizer {
    /// `value` without NUL characters.
    static func text(_ value: String) -> String {
        guard value.utf8.contains(0) else { return value }
        return String(decoding: value.utf8.filter { $0 != 0 }, as: UTF8.self)
    }

    /// JSON text made acceptable to `jsonb`: valid UTF-8 (bad sequences become U+FFFD), raw NUL bytes dropped,
    /// and `\u0000` or an unpaired surrogate escape replaced by `\ufffd`. Anything else is left as it is (a
    /// document that is not JSON at all is still refused by the server, and bisected out).
    static func json(_ bytes: [UInt8]) -> [UInt8] {
        var input = bytes
        if String(validating: input, as: UTF8.self) == nil {
            input = Array(String(decoding: input, as: UTF8.self).utf8)
        }
        guard input.contains(0) || input.contains(UInt8(ascii: "\\")) else { return input }
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        let replacement = Array(#"\ufffd"#.utf8)
        var i = 0
        let n = input.count
        while i < n {
            let c = input[i]
            if c == 0 {
                i += 1
                continue
            }
            guard c == UInt8(ascii: "\\"), i + 1 < n else {
                out.append(c)
                i += 1
                continue
            }
            guard input[i + 1] == UInt8(ascii: "u"), let unit = hex4(input, i + 2) else {
                // Any other escape (or a malformed one) is copied as it is, both bytes.
                out.append(c)
                out.append(input[i + 1])
                i += 2
                continue
            }
            switch unit {
            case 0:
                out += replacement
                i += 6
            case 0xD800...0xDBFF:
                if i + 7 < n, input[i + 6] == UInt8(ascii: "\\"), input[i + 7] == UInt8(ascii: "u"),
                   let low = hex4(input, i + 8), (0xDC00...0xDFFF).contains(low) {
                    out += input[i..<(i + 12)]
                    i += 12
                } else {
                    out += replacement
                    i += 6
                }
            case 0xDC00...0xDFFF:
                out += replacement
                i += 6
            default:
                out += input[i..<(i + 6)]
                i += 6
            }
        }
        return out
    }

    /// A JSON array of strings.
    static func jsonArray(_ strings: [String]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, s) in strings.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendString(text(s), to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    private static func hex4(_ bytes: [UInt8], _ start: Int) -> UInt16? {
        guard start + 4 <= bytes.count else { return nil }
        var value: UInt16 = 0
        for b in bytes[start..<(start + 4)] {
            guard let v = Hex.digit(b) else { return nil }
            value = value << 4 | UInt16(v)
        }
        return value
    }
}
