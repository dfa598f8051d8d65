/// A document's id: a UUID version 7 (RFC 9562), so ids sort by arrival time, in the spool's file names
/// and in database indexes alike.
public struct DocumentID: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The 16 bytes of the UUID.
    public let bytes: [UInt8]

    /// A fresh id for now.
    public init() {
        var rng = SystemRandomNumberGenerator()
        var b = [UInt8](repeating: 0, count: 16)
        let ms = UInt64(SystemClock.shared.unixMilliseconds())
        for i in 0..<6 { b[i] = UInt8(truncatingIfNeeded: ms >> (8 * (5 - UInt64(i)))) }
        // Two draws of 64 bits (two getrandom calls) rather than one per byte.
        let r1 = rng.next()
        let r2 = rng.next()
        for i in 6..<14 { b[i] = UInt8(truncatingIfNeeded: r1 >> (8 * UInt64(i - 6))) }
        for i in 14..<16 { b[i] = UInt8(truncatingIfNeeded: r2 >> (8 * UInt64(i - 14))) }
        b[6] = (b[6] & 0x0F) | 0x70
        b[8] = (b[8] & 0x3F) | 0x80
        bytes = b
    }

    /// Parses the canonical 36-character form; nil for anything else.
    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 36 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < 36 {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard utf8[i] == 0x2D else { return nil }
                i += 1
                continue
            }
            guard let hi = Hex.digit(utf8[i]), let lo = Hex.digit(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        bytes = out
    }

    /// The id with these 16 bytes; nil for any other count.
    package init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public var description: String {
        [bytes[0..<4], bytes[4..<6], bytes[6..<8], bytes[8..<10], bytes[10..<16]].map(Hex.encode)
            .joined(separator: "-")
    }

    public static func < (a: DocumentID, b: DocumentID) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

/// Hex encoding of digests.
package enum Hex {
    package static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The value of one hex digit (either case), or nil.
    package static func digit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The bytes of hex text (either case), or nil when it is not an even run of hex digits.
    package static func decode(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = digit(digits[i]), let low = digit(digits[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }
}
