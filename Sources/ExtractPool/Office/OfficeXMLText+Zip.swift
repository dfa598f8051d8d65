import Foundation
import ZIPFoundation

// Why not `Archive.extract(_:consumer:)`: on Linux, ZIPFoundation 0.9.20's inflate loop asks its file for
// more input until the deflate stream ends, and spins forever at 100% CPU once the file is exhausted
// (weichsel/ZIPFoundation#389, open). One crafted upload would hang a worker for good. So the directory is
// read here (it is small and simple) and each entry's compressed bytes reach ZIPFoundation's public
// `Data.decompress` through a provider that stops at the entry's end.

extension OfficeXMLText {
    /// An office document's zip container, read one entry at a time with the inflation counted.
    ///
    /// Owns the open file; closed when released.
    final class Container {
        /// The size of the reads and of the inflate buffer.
        static let chunkSize = 64 << 10

        let limits: Limits
        private let file: FileHandle
        private let fileSize: UInt64
        private let directory: ZipDirectory
        /// Bytes inflated so far, all entries together.
        private(set) var totalInflated = 0

        /// Opens the file and reads its central directory.
        init(path: String, limits: Limits) throws(ExtractionFailure) {
            guard let file = FileHandle(forReadingAtPath: path) else {
                throw ExtractionFailure(.corrupt, "cannot open \(path)")
            }
            self.limits = limits
            self.file = file
            do {
                fileSize = try file.seekToEnd()
                let tailLength = min(fileSize, UInt64(ZipDirectory.maxEndRecordDistance))
                let tail = try Self.read(file, at: fileSize - tailLength, count: Int(tailLength))
                let head = try Self.read(file, at: 0, count: Int(min(fileSize, 4)))
                var end = try ZipDirectory.End(tail: tail, tailOffset: fileSize - tailLength, head: head)
                if end.needsZIP64 {
                    try end.readZIP64(
                        locator: Self.read(file, at: end.zip64LocatorOffset, count: ZipDirectory.zip64LocatorSize),
                        record: { try Self.read(file, at: $0, count: ZipDirectory.zip64RecordSize) })
                }
                guard end.directorySize <= UInt64(ZipDirectory.maxDirectorySize) else {
                    throw ExtractionFailure(
                        .tooLarge, "a zip central directory of \(end.directorySize) bytes is not a document's")
                }
                let bytes = try Self.read(file, at: end.directoryOffset, count: Int(end.directorySize))
                directory = try ZipDirectory(bytes: bytes, entryCount: end.entryCount)
            } catch let failure as ExtractionFailure {
                try? file.close()
                throw failure
            } catch {
                try? file.close()
                throw ExtractionFailure(.corrupt, "cannot read \(path): \(error)")
            }
        }

        deinit { try? file.close() }

        /// Whether the zip has an entry of that name (compared without case, as OPC part names are).
        func contains(_ name: String) -> Bool { directory.entry(named: name) != nil }

        /// The entries whose names start with `prefix` and end with `suffix`, in natural order
        /// (`header2.xml` before `header10.xml`).
        func names(prefix: String, suffix: String) -> [String] {
            directory.entries.map(\.name)
                .filter { $0.lowercased().hasPrefix(prefix) && $0.lowercased().hasSuffix(suffix) }
                .sorted { $0.compare($1, options: [.numeric, .caseInsensitive]) == .orderedAscending }
        }

        /// The inflated bytes of the entry `name`, or nil when there is none.
        func readIfPresent(_ name: String) throws(ExtractionFailure) -> Data? {
            guard let entry = directory.entry(named: name) else { return nil }
            return try read(entry)
        }

        /// The inflated bytes of the entry `name`, which the caller knows is there.
        func read(_ name: String) throws(ExtractionFailure) -> Data {
            guard let entry = directory.entry(named: name) else {
                throw ExtractionFailure(.corrupt, "no \(name) in the zip")
            }
            return try read(entry)
        }

        private func read(_ entry: ZipDirectory.Entry) throws(ExtractionFailure) -> Data {
            guard entry.flags & ZipDirectory.encryptedFlag == 0 else {
                throw ExtractionFailure(.encrypted, "\(entry.name) is encrypted in the zip")
            }
            var budget = InflationBudget(entry: entry, limits: limits, inflatedBefore: totalInflated)
            var output = Data()
            let dataOffset: UInt64
            let checksum: CRC32
            do {
                let header = try Self.read(file, at: entry.localHeaderOffset, count: ZipDirectory.localHeaderSize)
                dataOffset = try ZipDirectory.dataOffset(of: entry, localHeader: header, fileSize: fileSize)
                checksum = try inflate(entry, from: dataOffset, budget: &budget, into: &output)
            } catch let failure as ExtractionFailure {
                throw failure
            } catch let stop as Stop {
                throw stop.failure
            } catch {
                throw ExtractionFailure(.corrupt, "truncated or damaged zip: \(entry.name) does not inflate (\(error))")
            }
            totalInflated += budget.inflated
            guard checksum == entry.crc32 else {
                throw ExtractionFailure(.corrupt, "truncated or damaged zip: CRC mismatch in \(entry.name)")
            }
            guard UInt64(budget.inflated) == entry.uncompressedSize else {
                throw ExtractionFailure(
                    .corrupt,
                    "truncated or damaged zip: \(entry.name) inflates to \(budget.inflated) bytes, "
                        + "its header says \(entry.uncompressedSize)")
            }
            return output
        }

        /// Streams the entry's bytes through `budget` into `output`; returns their CRC-32.
        private func inflate(
            _ entry: ZipDirectory.Entry, from dataOffset: UInt64, budget: inout InflationBudget, into output: inout Data
        ) throws -> CRC32 {
            let file = self.file
            let compressedSize = entry.compressedSize
            output.reserveCapacity(Int(min(entry.uncompressedSize, UInt64(max(0, min(limits.maxEntryBytes, 4 << 20))))))
            switch entry.method {
            case ZipDirectory.stored:
                var checksum = CRC32(0)
                var position: UInt64 = 0
                while position < compressedSize {
                    let count = Int(min(UInt64(Self.chunkSize), compressedSize - position))
                    let chunk = try Self.read(file, at: dataOffset + position, count: count)
                    if let failure = budget.add(chunk.count) { throw Stop(failure: failure) }
                    checksum = chunk.crc32(checksum: checksum)
                    output.append(chunk)
                    position += UInt64(count)
                }
                return checksum
            case ZipDirectory.deflated:
                // The provider hands over exactly the requested count, zero-padded past the entry's end: on Linux
                // ZIPFoundation sets `avail_in` to the buffer size whatever the chunk's length. Asked again after
                // the end, it throws: the deflate stream runs past its entry.
                return try Data.decompress(
                    size: Int64(compressedSize), bufferSize: Self.chunkSize, skipCRC32: false,
                    provider: { position, count in
                        let position = UInt64(position)
                        guard position < compressedSize else {
                            throw Stop(
                                failure: ExtractionFailure(
                                    .corrupt,
                                    "truncated or damaged zip: the deflate stream of \(entry.name) does not end "
                                        + "within its \(compressedSize) compressed bytes"))
                        }
                        var chunk = try Self.read(
                            file, at: dataOffset + position, count: Int(min(UInt64(count), compressedSize - position)))
                        if chunk.count < count { chunk.append(Data(count: count - chunk.count)) }
                        return chunk
                    },
                    consumer: { chunk in
                        if let failure = budget.add(chunk.count) { throw Stop(failure: failure) }
                        output.append(chunk)
                    })
            default:
                throw ExtractionFailure(
                    .corrupt, "\(entry.name) uses zip compression method \(entry.method), which documents do not")
            }
        }

        /// Reads exactly `count` bytes at `offset`; fewer means the file is truncated.
        private static func read(_ file: FileHandle, at offset: UInt64, count: Int) throws -> Data {
            try file.seek(toOffset: offset)
            let data = try file.read(upToCount: count) ?? Data()
            guard data.count == count else {
                throw ExtractionFailure(
                    .corrupt,
                    "truncated or damaged zip: \(count) bytes wanted at offset \(offset), \(data.count) there")
            }
            return data
        }

        /// Carries a failure out of ZIPFoundation's provider and consumer closures.
        private struct Stop: Error {
            var failure: ExtractionFailure
        }
    }

    /// Counts one entry's inflated bytes against the limits: per entry, in total, and as a ratio.
    struct InflationBudget {
        /// Past this many inflated bytes, the ratio to the compressed size is checked.
        static let ratioThreshold = 1 << 20

        let entry: ZipDirectory.Entry
        let limits: Limits
        let inflatedBefore: Int
        /// Bytes this entry has inflated to so far.
        private(set) var inflated = 0

        init(entry: ZipDirectory.Entry, limits: Limits, inflatedBefore: Int) {
            self.entry = entry
            self.limits = limits
            self.inflatedBefore = inflatedBefore
        }

        /// Counts `count` more bytes; the failure when that takes the entry past a limit.
        mutating func add(_ count: Int) -> ExtractionFailure? {
            inflated += count
            let compressed = Self.describe(Int(clamping: entry.compressedSize))
            let prefix =
                "\(entry.name) (\(compressed) compressed) had inflated to \(Self.describe(inflated)), not yet done"
            if inflated > limits.maxEntryBytes {
                return ExtractionFailure(
                    .decompressionBomb, "\(prefix): over the limit of \(Self.describe(limits.maxEntryBytes)) per part")
            }
            if inflatedBefore + inflated > limits.maxTotalInflated {
                return ExtractionFailure(
                    .decompressionBomb,
                    "\(prefix): the document is over the limit of \(Self.describe(limits.maxTotalInflated)) in all")
            }
            let ceiling = UInt64(max(limits.maxRatio, 1)).multipliedReportingOverflow(by: max(entry.compressedSize, 1))
            if inflated > Self.ratioThreshold && !ceiling.overflow && UInt64(inflated) > ceiling.partialValue {
                return ExtractionFailure(
                    .decompressionBomb, "\(prefix): over the limit of \(limits.maxRatio):1 inflated to compressed")
            }
            return nil
        }

        /// `512 bytes`, `12 KiB`, `8.1 MiB`.
        static func describe(_ bytes: Int) -> String {
            if bytes < 1 << 10 { return "\(bytes) bytes" }
            if bytes < 1 << 20 { return "\(bytes >> 10) KiB" }
            let tenths = (bytes * 10) >> 20
            return tenths % 10 == 0 ? "\(tenths / 10) MiB" : "\(tenths / 10).\(tenths % 10) MiB"
        }
    }
}

extension OfficeXMLText {
    /// A zip file's central directory: the entries, and where each one's bytes are. Pure: parses bytes the
    /// container read.
    struct ZipDirectory: Equatable {
        static let stored: UInt16 = 0
        static let deflated: UInt16 = 8
        static let encryptedFlag: UInt16 = 1
        static let localHeaderSize = 30
        static let zip64LocatorSize = 20
        static let zip64RecordSize = 56
        /// The end record (22 bytes) followed by the longest possible comment.
        static let maxEndRecordDistance = 22 + 0xFFFF
        /// A document's directory is a few KiB; this much means something else.
        static let maxDirectorySize = 16 << 20

        /// One file in the zip, as its central directory header describes it.
        struct Entry: Equatable {
            var name: String
            var method: UInt16
            var flags: UInt16
            var crc32: UInt32
            var compressedSize: UInt64
            var uncompressedSize: UInt64
            var localHeaderOffset: UInt64
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
            init(tail: Data, tailOffset: UInt64, head: Data) throws(ExtractionFailure) {
                let bytes = [UInt8](tail)
                var position = bytes.count - 22
                while position >= 0 && Bytes.u32(bytes, position) != 0x0605_4B50 { position -= 1 }
                guard position >= 0 else {
                    throw ExtractionFailure(
                        .corrupt,
                        head.starts(with: [0x50, 0x4B, 0x03, 0x04])
                            ? "truncated or damaged zip: no end-of-central-directory record"
                            : "not a zip archive: no zip signature at the start, no end-of-central-directory record")
                }
                entryCount = UInt64(Bytes.u16(bytes, position + 10))
                directorySize = UInt64(Bytes.u32(bytes, position + 12))
                directoryOffset = UInt64(Bytes.u32(bytes, position + 16))
                needsZIP64 = entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF
                let recordOffset = tailOffset + UInt64(position)
                zip64LocatorOffset = recordOffset - min(recordOffset, UInt64(zip64LocatorSize))
                if !needsZIP64 { try validate(endOfDirectory: recordOffset) }
            }

            /// Takes the real values from the ZIP64 locator and record.
            mutating func readZIP64(locator: Data, record: (UInt64) throws -> Data) throws {
                let locator = [UInt8](locator)
                guard Bytes.u32(locator, 0) == 0x0706_4B50 else {
                    throw ExtractionFailure(.corrupt, "truncated or damaged zip: ZIP64 locator missing")
                }
                let recordOffset = Bytes.u64(locator, 8)
                guard recordOffset <= zip64LocatorOffset else {
                    throw ExtractionFailure(.corrupt, "truncated or damaged zip: ZIP64 record out of the file")
                }
                let bytes = [UInt8](try record(recordOffset))
                guard Bytes.u32(bytes, 0) == 0x0606_4B50 else {
                    throw ExtractionFailure(.corrupt, "truncated or damaged zip: ZIP64 end record missing")
                }
                entryCount = Bytes.u64(bytes, 32)
                directorySize = Bytes.u64(bytes, 40)
                directoryOffset = Bytes.u64(bytes, 48)
                try validate(endOfDirectory: recordOffset)
            }

            private func validate(endOfDirectory: UInt64) throws(ExtractionFailure) {
                let (end, overflow) = directoryOffset.addingReportingOverflow(directorySize)
                guard !overflow && end <= endOfDirectory else {
                    throw ExtractionFailure(.corrupt, "truncated or damaged zip: central directory out of the file")
                }
                // 46 bytes at least per entry.
                guard entryCount <= directorySize / 46 else {
                    throw ExtractionFailure(
                        .corrupt, "truncated or damaged zip: \(entryCount) entries cannot fit in the central directory")
                }
            }
        }

        /// The entries in directory order.
        private(set) var entries: [Entry] = []
        /// Lower-cased name → index of its first entry.
        private var index: [String: Int] = [:]

        /// Parses `entryCount` central directory headers from `bytes`.
        init(bytes data: Data, entryCount: UInt64) throws(ExtractionFailure) {
            let bytes = [UInt8](data)
            var position = 0
            for _ in 0..<entryCount {
                guard position + 46 <= bytes.count, Bytes.u32(bytes, position) == 0x0201_4B50 else {
                    throw ExtractionFailure(.corrupt, "truncated or damaged zip: bad central directory header")
                }
                let nameLength = Int(Bytes.u16(bytes, position + 28))
                let extraLength = Int(Bytes.u16(bytes, position + 30))
                let commentLength = Int(Bytes.u16(bytes, position + 32))
                let nameStart = position + 46
                let next = nameStart + nameLength + extraLength + commentLength
                guard next <= bytes.count else {
                    throw ExtractionFailure(.corrupt, "truncated or damaged zip: central directory header cut short")
                }
                var entry = Entry(
                    name: String(decoding: bytes[nameStart..<nameStart + nameLength], as: UTF8.self),
                    method: Bytes.u16(bytes, position + 10),
                    flags: Bytes.u16(bytes, position + 8),
                    crc32: Bytes.u32(bytes, position + 16),
                    compressedSize: UInt64(Bytes.u32(bytes, position + 20)),
                    uncompressedSize: UInt64(Bytes.u32(bytes, position + 24)),
                    localHeaderOffset: UInt64(Bytes.u32(bytes, position + 42)))
                let extraStart = nameStart + nameLength
                try Self.applyZIP64(extra: bytes[extraStart..<extraStart + extraLength], to: &entry)
                let key = entry.name.lowercased()
                if index[key] == nil { index[key] = entries.count }
                entries.append(entry)
                position = next
            }
        }

        /// The first entry called `name`, compared without case.
        func entry(named name: String) -> Entry? {
            index[name.lowercased()].map { entries[$0] }
        }

        /// Where `entry`'s data starts, from its local header (whose name and extra field lengths may differ from
        /// the central directory's); checks the data lies within the file.
        static func dataOffset(
            of entry: Entry, localHeader data: Data, fileSize: UInt64
        ) throws(ExtractionFailure) -> UInt64 {
            let header = [UInt8](data)
            guard Bytes.u32(header, 0) == 0x0403_4B50 else {
                throw ExtractionFailure(.corrupt, "truncated or damaged zip: no local header for \(entry.name)")
            }
            let start = entry.localHeaderOffset + UInt64(localHeaderSize)
                + UInt64(Bytes.u16(header, 26)) + UInt64(Bytes.u16(header, 28))
            let (end, overflow) = start.addingReportingOverflow(entry.compressedSize)
            guard !overflow && end <= fileSize else {
                throw ExtractionFailure(
                    .corrupt, "truncated or damaged zip: \(entry.name) runs past the end of the file")
            }
            return start
        }

        /// Replaces saturated 32-bit fields with the ZIP64 extra field's values (which come in this order, each
        /// present only when its field is saturated).
        private static func applyZIP64(extra: ArraySlice<UInt8>, to entry: inout Entry) throws(ExtractionFailure) {
            let extra = Array(extra)
            var position = 0
            while position + 4 <= extra.count {
                let id = Bytes.u16(extra, position)
                let size = Int(Bytes.u16(extra, position + 2))
                let body = position + 4
                guard body + size <= extra.count else { break }
                if id == 0x0001 {
                    var field = body
                    func next() throws(ExtractionFailure) -> UInt64 {
                        guard field + 8 <= body + size else {
                            throw ExtractionFailure(
                                .corrupt, "truncated or damaged zip: short ZIP64 field for \(entry.name)")
                        }
                        defer { field += 8 }
                        return Bytes.u64(extra, field)
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

    /// Little-endian integers at byte offsets; callers check the bounds.
    enum Bytes {
        static func u16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
        static func u32(_ b: [UInt8], _ i: Int) -> UInt32 { UInt32(u16(b, i)) | UInt32(u16(b, i + 2)) << 16 }
        static func u64(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(u32(b, i)) | UInt64(u32(b, i + 4)) << 32 }
    }
}
