/// A zip file's central directory: the entries, and where each one's bytes are. Pure: parses bytes that
/// ``ZipFile`` read.
///
/// Why by hand and not ZIPFoundation's `Archive`: on Linux, ZIPFoundation 0.9.20's inflate loop asks its file for
/// more input until the deflate stream ends, and spins forever at 100% CPU once the file is exhausted
/// (weichsel/ZIPFoundation#389, open). One crafted upload would hang a worker for good. The directory is small
/// and simple; the entries' bytes go through zlib directly (``ZipEntryStream``), which stops at the entry's end.
public struct ZipDirectory: Sendable, Equatable {
    /// Compression method 0: the bytes as they are.
    public static let stored: UInt16 = 0
    /// Compression method 8: deflate.
    public static let deflated: UInt16 = 8
    /// General purpose flag bit 0: the entry is encrypted (traditional PKWARE or, with method 99, WinZip AES).
    public static let encryptedFlag: UInt16 = 1
    /// General purpose flag bit 3: CRC and sizes follow the data in a data descriptor.
    public static let dataDescriptorFlag: UInt16 = 1 << 3
    /// General purpose flag bit 6: strong encryption.
    public static let strongEncryptionFlag: UInt16 = 1 << 6
    /// The fixed part of a local file header.
    public static let localHeaderSize = 30
    static let zip64LocatorSize = 20
    static let zip64RecordSize = 56
    /// The end record (22 bytes) followed by the longest possible comment.
    static let maxEndRecordDistance = 22 + 0xFFFF

    /// One file in the zip, as its central directory header (or, without one, its local header) describes it.
    public struct Entry: Sendable, Equatable {
        /// The name decoded as UTF-8 (invalid bytes as U+FFFD), for lookups by name.
        public var name: String
        /// The name as stored.
        public var rawName: [UInt8]
        /// The compression method (``ZipDirectory/stored``, ``ZipDirectory/deflated``, …).
        public var method: UInt16
        /// The general purpose bit flags.
        public var flags: UInt16
        /// The CRC-32 of the uncompressed bytes.
        public var crc32: UInt32
        /// The bytes of compressed data in the file (ZIP64 applied).
        public var compressedSize: UInt64
        /// The size the entry says it inflates to (ZIP64 applied): a claim, checked once it has inflated.
        public var uncompressedSize: UInt64
        /// Where the entry's local header starts.
        public var localHeaderOffset: UInt64
        /// The system that wrote the entry (high byte: 0 MS-DOS, 3 Unix, 19 macOS) and the spec version.
        public var versionMadeBy: UInt16
        /// System-specific attributes: for Unix, `st_mode` in the high 16 bits; for MS-DOS, 0x10 is a directory.
        public var externalAttributes: UInt32

        /// An entry named `name` (stored as its UTF-8 bytes).
        public init(
            name: String, method: UInt16, flags: UInt16, crc32: UInt32, compressedSize: UInt64,
            uncompressedSize: UInt64, localHeaderOffset: UInt64, versionMadeBy: UInt16 = 0,
            externalAttributes: UInt32 = 0
        ) {
            self.init(
                rawName: Array(name.utf8), method: method, flags: flags, crc32: crc32, compressedSize: compressedSize,
                uncompressedSize: uncompressedSize, localHeaderOffset: localHeaderOffset,
                versionMadeBy: versionMadeBy, externalAttributes: externalAttributes)
        }

        init(
            rawName: [UInt8], method: UInt16, flags: UInt16, crc32: UInt32, compressedSize: UInt64,
            uncompressedSize: UInt64, localHeaderOffset: UInt64, versionMadeBy: UInt16, externalAttributes: UInt32
        ) {
            self.name = String(decoding: rawName, as: UTF8.self)
            self.rawName = rawName
            self.method = method
            self.flags = flags
            self.crc32 = crc32
            self.compressedSize = compressedSize
            self.uncompressedSize = uncompressedSize
            self.localHeaderOffset = localHeaderOffset
            self.versionMadeBy = versionMadeBy
            self.externalAttributes = externalAttributes
        }

        /// Whether the entry is password-protected: flag bit 0 or 6, or method 99 (WinZip AES).
        public var isEncrypted: Bool {
            flags & (ZipDirectory.encryptedFlag | ZipDirectory.strongEncryptionFlag) != 0 || method == 99
        }

        /// The Unix `st_mode` when a Unix (or macOS) system wrote the entry and recorded one.
        public var unixMode: UInt32? {
            let system = versionMadeBy >> 8
            guard system == 3 || system == 19 else { return nil }
            let mode = externalAttributes >> 16
            return mode == 0 ? nil : mode
        }
    }

    /// Where the central directory is, from the end-of-central-directory record (and its ZIP64 form).
    struct End: Equatable {
        var directoryOffset: UInt64
        var directorySize: UInt64
        var entryCount: UInt64
        /// Whether a field is saturated, so the ZIP64 record holds the real values.
        var needsZIP64: Bool
        /// Where the ZIP64 locator would be (just before the classic record).
        var zip64LocatorOffset: UInt64

        /// Finds the record in the last bytes of the file (`tail`, starting at `tailOffset`).
        /// `head` is the file's first bytes, to tell a damaged zip from something else.
        init(tail bytes: [UInt8], tailOffset: UInt64, head: [UInt8]) throws(ArchiveError) {
            var position = bytes.count - 22
            while position >= 0 && LittleEndian.u32(bytes, position) != 0x0605_4B50 { position -= 1 }
            guard position >= 0 else {
                throw head.starts(with: [0x50, 0x4B, 0x03, 0x04])
                    ? .corrupt("truncated or damaged zip: no end-of-central-directory record")
                    : .notAnArchive(
                        "not a zip archive: no zip signature at the start, no end-of-central-directory record")
            }
            entryCount = UInt64(LittleEndian.u16(bytes, position + 10))
            directorySize = UInt64(LittleEndian.u32(bytes, position + 12))
            directoryOffset = UInt64(LittleEndian.u32(bytes, position + 16))
            needsZIP64 = entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF
            let recordOffset = tailOffset + UInt64(position)
            zip64LocatorOffset = recordOffset - min(recordOffset, UInt64(ZipDirectory.zip64LocatorSize))
            if !needsZIP64 { try validate(endOfDirectory: recordOffset) }
        }

        /// Takes the real values from the ZIP64 locator and record.
        mutating func readZIP64(
            locator: [UInt8], record: (UInt64) throws(ArchiveError) -> [UInt8]
        ) throws(ArchiveError) {
            guard locator.count >= ZipDirectory.zip64LocatorSize, LittleEndian.u32(locator, 0) == 0x0706_4B50 else {
                throw .corrupt("truncated or damaged zip: ZIP64 locator missing")
            }
            let recordOffset = LittleEndian.u64(locator, 8)
            guard recordOffset <= zip64LocatorOffset else {
                throw .corrupt("truncated or damaged zip: ZIP64 record out of the file")
            }
            let bytes = try record(recordOffset)
            guard bytes.count >= ZipDirectory.zip64RecordSize, LittleEndian.u32(bytes, 0) == 0x0606_4B50 else {
                throw .corrupt("truncated or damaged zip: ZIP64 end record missing")
            }
            entryCount = LittleEndian.u64(bytes, 32)
            directorySize = LittleEndian.u64(bytes, 40)
            directoryOffset = LittleEndian.u64(bytes, 48)
            try validate(endOfDirectory: recordOffset)
        }

        private func validate(endOfDirectory: UInt64) throws(ArchiveError) {
            let (end, overflow) = directoryOffset.addingReportingOverflow(directorySize)
            guard !overflow && end <= endOfDirectory else {
                throw .corrupt("truncated or damaged zip: central directory out of the file")
            }
            // 46 bytes at least per entry.
            guard entryCount <= directorySize / 46 else {
                throw .corrupt("truncated or damaged zip: \(entryCount) entries cannot fit in the central directory")
            }
        }
    }

    /// The entries in directory order.
    public private(set) var entries: [Entry] = []
    /// Lower-cased name → index of its first entry.
    private var index: [String: Int] = [:]

    /// Parses `entryCount` central directory headers from `bytes`.
    init(bytes: [UInt8], entryCount: UInt64) throws(ArchiveError) {
        var position = 0
        for _ in 0..<entryCount {
            guard position + 46 <= bytes.count, LittleEndian.u32(bytes, position) == 0x0201_4B50 else {
                throw .corrupt("truncated or damaged zip: bad central directory header")
            }
            let nameLength = Int(LittleEndian.u16(bytes, position + 28))
            let extraLength = Int(LittleEndian.u16(bytes, position + 30))
            let commentLength = Int(LittleEndian.u16(bytes, position + 32))
            let nameStart = position + 46
            let next = nameStart + nameLength + extraLength + commentLength
            guard next <= bytes.count else {
                throw .corrupt("truncated or damaged zip: central directory header cut short")
            }
            var entry = Entry(
                rawName: Array(bytes[nameStart..<nameStart + nameLength]),
                method: LittleEndian.u16(bytes, position + 10),
                flags: LittleEndian.u16(bytes, position + 8),
                crc32: LittleEndian.u32(bytes, position + 16),
                compressedSize: UInt64(LittleEndian.u32(bytes, position + 20)),
                uncompressedSize: UInt64(LittleEndian.u32(bytes, position + 24)),
                localHeaderOffset: UInt64(LittleEndian.u32(bytes, position + 42)),
                versionMadeBy: LittleEndian.u16(bytes, position + 4),
                externalAttributes: LittleEndian.u32(bytes, position + 38))
            let extraStart = nameStart + nameLength
            try Self.applyZIP64(extra: bytes[extraStart..<extraStart + extraLength], to: &entry)
            let key = entry.name.lowercased()
            if index[key] == nil { index[key] = entries.count }
            entries.append(entry)
            position = next
        }
    }

    /// The first entry called `name`, compared without case.
    public func entry(named name: String) -> Entry? {
        index[name.lowercased()].map { entries[$0] }
    }

    /// Where `entry`'s data starts, from its local header (whose name and extra field lengths may differ from
    /// the central directory's); checks the data lies within the file.
    static func dataOffset(of entry: Entry, localHeader header: [UInt8], fileSize: UInt64) throws(ArchiveError)
        -> UInt64
    {
        guard header.count >= localHeaderSize, LittleEndian.u32(header, 0) == 0x0403_4B50 else {
            throw .corrupt("truncated or damaged zip: no local header for \(entry.name)")
        }
        let start =
            entry.localHeaderOffset + UInt64(localHeaderSize)
            + UInt64(LittleEndian.u16(header, 26)) + UInt64(LittleEndian.u16(header, 28))
        let (end, overflow) = start.addingReportingOverflow(entry.compressedSize)
        guard !overflow && end <= fileSize else {
            throw .corrupt("truncated or damaged zip: \(entry.name) runs past the end of the file")
        }
        return start
    }

    /// Replaces saturated 32-bit fields with the ZIP64 extra field's values (which come in this order, each
    /// present only when its field is saturated).
    static func applyZIP64(extra: ArraySlice<UInt8>, to entry: inout Entry) throws(ArchiveError) {
        let extra = Array(extra)
        var position = 0
        while position + 4 <= extra.count {
            let id = LittleEndian.u16(extra, position)
            let size = Int(LittleEndian.u16(extra, position + 2))
            let body = position + 4
            guard body + size <= extra.count else { break }
            if id == 0x0001 {
                var field = body
                func next() throws(ArchiveError) -> UInt64 {
                    guard field + 8 <= body + size else {
                        throw .corrupt("truncated or damaged zip: short ZIP64 field for \(entry.name)")
                    }
                    defer { field += 8 }
                    return LittleEndian.u64(extra, field)
                }
                if entry.uncompressedSize == 0xFFFF_FFFF { entry.uncompressedSize = try next() }
                if entry.compressedSize == 0xFFFF_FFFF { entry.compressedSize = try next() }
                if entry.localHeaderOffset == 0xFFFF_FFFF { entry.localHeaderOffset = try next() }
                return
            }
            position = body + size
        }
    }
}
