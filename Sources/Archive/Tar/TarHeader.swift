/// One 512-byte tar header block, parsed. Pure.
///
/// ustar (`ustar\0` magic: the `prefix` field joins the name), GNU (`ustar  \0`: no prefix) and v7 (no magic)
/// headers. Numbers are octal (leading spaces allowed, ended by a space or NUL) or, GNU's extension for values
/// that do not fit, base-256 (first byte `0x80`, big-endian). The checksum is verified: the unsigned sum of the
/// block with its checksum field as spaces (or the signed sum, as some old writers computed it).
struct TarHeader: Equatable {
    static let blockSize = 512

    /// Why a block is not a valid header.
    enum Problem: Error, Equatable {
        /// The checksum field is not a number or does not match the block's sum.
        case checksum
        /// The size field is not a number (or a negative base-256 one).
        case size
    }

    /// The member's name: `prefix/name` for ustar, `name` otherwise (pax and GNU long names override it).
    var name: [UInt8]
    /// The target of a link.
    var linkName: [UInt8]
    /// The type flag byte (`0` file, `5` directory, `x` pax header…).
    var typeflag: UInt8
    /// The size field: the bytes of data that follow, for the types that have data.
    var size: UInt64

    /// Parses `block` (512 bytes).
    init(block: [UInt8]) throws(Problem) {
        precondition(block.count == Self.blockSize)
        guard Self.checksumMatches(block) else { throw .checksum }
        guard let size = Self.number(block[124..<136]) else { throw .size }
        self.size = size
        typeflag = block[156]
        linkName = Self.string(block[157..<257])
        let name = Self.string(block[0..<100])
        let isPOSIX = block[257..<263].elementsEqual("ustar\0".utf8)
        let prefix = isPOSIX ? Self.string(block[345..<500]) : []
        self.name = prefix.isEmpty ? name : prefix + [UInt8(ascii: "/")] + name
    }

    /// Whether every byte of `block` is zero (half of the end-of-archive marker).
    static func isZeroBlock(_ block: [UInt8]) -> Bool {
        block.allSatisfy { $0 == 0 }
    }

    /// Whether `block` is a header: 512 bytes, not all zero, the checksum right and the size a number.
    static func looksLikeHeader(_ block: [UInt8]) -> Bool {
        guard block.count >= blockSize else { return false }
        let block = Array(block.prefix(blockSize))
        return !isZeroBlock(block) && checksumMatches(block) && number(block[124..<136]) != nil
    }

    /// Whether the checksum field matches the block's sum (unsigned, or signed as some writers did).
    static func checksumMatches(_ block: [UInt8]) -> Bool {
        guard let stored = number(block[148..<156]) else { return false }
        var unsigned = 0
        var signed = 0
        for (offset, byte) in block.enumerated() {
            let value = (148..<156).contains(offset) ? UInt8(ascii: " ") : byte
            unsigned += Int(value)
            signed += Int(Int8(bitPattern: value))
        }
        return stored == UInt64(unsigned) || (signed >= 0 && stored == UInt64(signed))
    }

    /// An octal or base-256 number field; nil when it is neither (or negative, or does not fit in 63 bits).
    static func number(_ field: ArraySlice<UInt8>) -> UInt64? {
        guard let first = field.first else { return nil }
        if first & 0x80 != 0 {
            // Base-256: 0x80 marks a positive value in the remaining bits; 0xff a negative one.
            guard first == 0x80 else { return nil }
            var value: UInt64 = 0
            for byte in field.dropFirst() {
                guard value >> 55 == 0 else { return nil }
                value = value << 8 | UInt64(byte)
            }
            return value <= UInt64(Int64.max) ? value : nil
        }
        // As Python's tarfile and GNU tar read it: up to the first NUL, spaces around ignored.
        var digits = field.prefix { $0 != 0 }
        while digits.first == UInt8(ascii: " ") { digits = digits.dropFirst() }
        while digits.last == UInt8(ascii: " ") { digits = digits.dropLast() }
        // An empty field is 0 (v7 writers leave unused numbers blank); the checksum field is never empty.
        var value: UInt64 = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(digit), value >> 60 == 0 else { return nil }
            value = value << 3 | UInt64(digit - UInt8(ascii: "0"))
        }
        return value
    }

    /// A NUL-terminated (or field-filling) string field.
    static func string(_ field: ArraySlice<UInt8>) -> [UInt8] {
        Array(field.prefix { $0 != 0 })
    }
}
