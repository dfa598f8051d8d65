/// Byte classes of RFC 9110/9112 and small helpers on raw bytes, shared by the request parser's pieces.
package enum HTTPSyntax {
    package static let cr: UInt8 = 0x0D
    package static let lf: UInt8 = 0x0A
    package static let space: UInt8 = 0x20
    package static let tab: UInt8 = 0x09
    package static let colon: UInt8 = 0x3A
    package static let comma: UInt8 = 0x2C
    package static let semicolon: UInt8 = 0x3B

    /// `tchar` of RFC 9110 §5.6.2, as a 128-bit set (low and high 64 bits).
    private static let tcharLow: UInt64 = 0x03FF_6CFA_0000_0000
    private static let tcharHigh: UInt64 = 0x57FF_FFFF_C7FF_FFFE

    /// Whether `byte` may appear in a token (method, field name, coding name).
    @inline(__always)
    package static func isTokenByte(_ byte: UInt8) -> Bool {
        if byte < 64 { return (tcharLow >> UInt64(byte)) & 1 == 1 }
        if byte < 128 { return (tcharHigh >> UInt64(byte &- 64)) & 1 == 1 }
        return false
    }

    /// `VCHAR`: visible ASCII, `%x21-7E`.
    @inline(__always)
    package static func isVisible(_ byte: UInt8) -> Bool {
        byte &- 0x21 < 0x5E
    }

    /// Whether `byte` may appear in a field value: VCHAR, obs-text, SP or HTAB (no other control, no DEL).
    @inline(__always)
    package static func isFieldValueByte(_ byte: UInt8) -> Bool {
        isVisible(byte) || byte >= 0x80 || byte == space || byte == tab
    }

    /// SP or HTAB.
    @inline(__always)
    package static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab
    }

    /// The ASCII lowercase of `byte`; other bytes unchanged.
    @inline(__always)
    package static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    /// The value of a hexadecimal digit, or `nil`.
    @inline(__always)
    package static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte &- 0x30)
        case 0x41...0x46: Int(byte &- 0x41 &+ 10)
        case 0x61...0x66: Int(byte &- 0x61 &+ 10)
        default: nil
        }
    }

    /// Whether `bytes` equals the lowercase ASCII `lowercaseName`, ignoring ASCII case.
    @inline(__always)
    package static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercaseName: StaticString) -> Bool {
        guard bytes.count == lowercaseName.utf8CodeUnitCount else { return false }
        let name = lowercaseName.utf8Start
        for index in 0..<bytes.count where lowercased(bytes[index]) != name[index] {
            return false
        }
        return true
    }

    /// `bytes` without leading and trailing SP/HTAB.
    package static func trimmingWhitespace(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = bytes.count
        while start < end, isWhitespace(bytes[start]) { start += 1 }
        while end > start, isWhitespace(bytes[end - 1]) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    /// Calls `body` with each non-empty, whitespace-trimmed element of a comma-separated list
    /// (RFC 9110 §5.6.1: empty elements are ignored). Stops early when `body` returns `false`.
    package static func forEachListElement(
        _ value: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> Bool
    ) {
        var start = 0
        while start <= value.count {
            var end = start
            while end < value.count, value[end] != comma { end += 1 }
            let element = trimmingWhitespace(UnsafeRawBufferPointer(rebasing: value[start..<end]))
            if !element.isEmpty, !body(element) { return }
            start = end + 1
        }
    }

    /// A `String` from bytes already checked to be ASCII or valid UTF-8.
    @inline(__always)
    package static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
