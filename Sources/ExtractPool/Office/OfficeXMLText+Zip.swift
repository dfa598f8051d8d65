import Archive
import Foundation

// The zip itself is read by Archive's `ZipFile` (central directory by hand, entries inflated with zlib directly,
// never past an entry's end: see `ZipDirectory` for why not ZIPFoundation, weichsel/ZIPFoundation#389). What is
// here is the fast path's own policy: which parts, and how far they may inflate.

extension OfficeXMLText {
    /// An office document's zip container, read one entry at a time with the inflation counted.
    ///
    /// Owns the open file; closed when released.
    final class Container {
        /// The size of the inflate buffer.
        static let chunkSize = 64 << 10

        /// A document's directory is a few KiB; this much means something else.
        static let maxDirectorySize = 16 << 20

        let limits: Limits
        private let zip: ZipFile
        /// Bytes inflated so far, all entries together.
        private(set) var totalInflated = 0

        /// Opens the file and reads its central directory.
        init(path: String, limits: Limits) throws(ExtractionFailure) {
            self.limits = limits
            do {
                zip = try ZipFile(path: path, maxDirectoryBytes: Self.maxDirectorySize)
            } catch {
                throw ExtractionFailure(error == .tooLarge ? .tooLarge : .corrupt, error.message)
            }
        }

        private var directory: ZipDirectory { zip.directory }

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

        /// The entry's bytes, counted through `InflationBudget` as they inflate, one chunk at a time; the CRC-32 and
        /// size are checked by the stream at the end.
        private func read(_ entry: ZipDirectory.Entry) throws(ExtractionFailure) -> Data {
            guard entry.flags & ZipDirectory.encryptedFlag == 0 else {
                throw ExtractionFailure(.encrypted, "\(entry.name) is encrypted in the zip")
            }
            guard entry.method == ZipDirectory.stored || entry.method == ZipDirectory.deflated else {
                throw ExtractionFailure(
                    .corrupt, "\(entry.name) uses zip compression method \(entry.method), which documents do not")
            }
            var budget = InflationBudget(entry: entry, limits: limits, inflatedBefore: totalInflated)
            var output = Data()
            output.reserveCapacity(Int(min(entry.uncompressedSize, UInt64(max(0, min(limits.maxEntryBytes, 4 << 20))))))
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
            defer { chunk.deallocate() }
            let stream: ZipEntryStream
            do {
                stream = try zip.open(entry)
            } catch {
                throw Self.failure(error)
            }
            while true {
                let count: Int
                do {
                    count = try stream.read(into: chunk)
                } catch {
                    throw Self.failure(error)
                }
                if count == 0 { break }
                if let failure = budget.add(count) { throw failure }
                output.append(chunk.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)
            }
            totalInflated += budget.inflated
            return output
        }

        /// An entry's failure as the fast path reports it (the messages of a damaged entry start with
        /// `truncated or damaged zip`).
        private static func failure(_ failure: ArchiveEntryFailure) -> ExtractionFailure {
            ExtractionFailure(failure == .encrypted ? .encrypted : .corrupt, failure.message)
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
    /// Archive's central directory reader, under the name this file has always used.
    typealias ZipDirectory = Archive.ZipDirectory
}
