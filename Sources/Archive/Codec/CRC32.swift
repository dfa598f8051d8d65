internal import CLibZ

/// The CRC-32 of zip entries (and gzip), computed by zlib as the bytes go by.
struct CRC32: Equatable {
    /// The checksum of the bytes so far.
    private(set) var value: UInt32 = 0

    init() {}

    /// Adds `bytes` to the checksum.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return }
        var remaining = bytes.count
        var crc = uLong(value)
        while remaining > 0 {
            let count = min(remaining, Int(UInt32.max))
            crc = crc32(crc, base, uInt(count))
            base += count
            remaining -= count
        }
        value = UInt32(truncatingIfNeeded: crc)
    }
}
