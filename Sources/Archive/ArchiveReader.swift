/// Reads a resume archive — `.zip`, `.tar`, `.tar.gz`/`.tgz`, `.tar.zst` — entry by entry, as a stream, safely.
///
/// The archive is a file on disk (given on the command line, or an upload spooled to a file). The format is
/// told by its first bytes, never by its name. Reading is synchronous and blocking: run it on a worker thread.
/// Memory stays flat whatever the archive: bytes go through bounded buffers (64 KiB), never a whole entry, never
/// the whole archive (a zip's central directory is read whole, within ``ArchiveLimits/maxEntries``).
///
/// ```swift
/// let reader = try ArchiveReader(path: path, limits: ArchiveLimits())
/// while let entry = try reader.next() {
///     if let refusal = entry.refusal { record(entry.name, refusal.code, refusal.message); continue }
///     do {
///         try reader.readEntry { chunk in try spool.write(chunk) }
///     } catch .entry(let failure) {
///         record(entry.name, failure.code, failure.message)
///     } catch .write(let error) {
///         throw error
///     }
/// }
/// ```
///
/// The rules:
/// - **Names are data**, never paths: the reader writes nothing anywhere. Names that would escape a directory
///   (`..` components, absolute, drive letters, backslash traversal, NUL) are refused as
///   ``ArchiveEntryFailure/unsafeEntry``; so are symlinks, hard links, devices and FIFOs. Directories are skipped.
///   Duplicate names and names that are not UTF-8 come through (see ``ArchiveEntry/name``).
/// - **Nested archives** are refused (``ArchiveEntryFailure/nestedArchive``): by name, and by their first bytes,
///   which `next()` reads ahead before returning an entry. Office documents, being zips, are not archives here.
/// - **Bombs** stop while inflating, at most one byte past the limit (``ArchiveEntryFailure/decompressionBomb``);
///   entries that declare too much are refused unread. See ``ArchiveLimits``.
/// - **Encrypted** zip entries: ``ArchiveEntryFailure/encrypted``. Unsupported methods:
///   ``ArchiveEntryFailure/corrupt``, naming the method. A zip CRC mismatch: that entry is corrupt.
/// - **Damage**: the entries before it come through, then `next()` throws ``ArchiveError/corrupt`` saying where.
///   A truncated zip, without its central directory, is read by its local headers.
///
/// Not thread-safe: one thread at a time (it may move between threads).
public final class ArchiveReader {
    /// The size of the reads and of the buffer ``readEntry(_:)`` hands out.
    public static let chunkSize = 64 << 10

    /// The archive's path.
    public let path: String
    /// The format, from the first bytes.
    public let format: ArchiveFormat
    /// The limits the archive and its entries are held to.
    public let limits: ArchiveLimits
    /// Entry bytes delivered so far (including the first bytes `next()` read ahead), all entries together.
    public private(set) var totalBytes: UInt64 = 0

    private let source: any EntrySource
    private var state = State.reading
    /// Members seen so far, directories included.
    private var memberCount = 0
    private var current: Current?
    /// Holds the bytes read ahead by `next()`, then the chunks `readEntry` hands out.
    private let buffer: UnsafeMutableRawBufferPointer

    private enum State {
        /// Entries may come. Next: `ended` or `failed`.
        case reading
        /// The archive is over: `next()` returns nil.
        case ended
        /// The archive broke: `next()` throws this.
        case failed(ArchiveError)
    }

    /// The entry whose bytes are being read.
    private struct Current {
        var entry: ArchiveEntry
        var budget: InflationBudget
        /// The compressed size the entry declares, when it is compressed on its own (the ratio's denominator).
        var compressedSize: UInt64?
        /// Bytes read ahead and not yet delivered: `buffer[pendingStart..<pendingEnd]`.
        var pendingStart = 0
        var pendingEnd = 0
        /// The source said the entry is over (after its checks).
        var ended = false
        /// Why reading stopped, when it failed: thrown again by every later read.
        var failure: ArchiveEntryFailure?
    }

    /// Opens the archive at `path` and tells its format.
    ///
    /// - Throws: ``ArchiveError/notAnArchive`` (none of the formats, or a compressed stream holding no tar),
    ///   ``ArchiveError/corrupt`` (a zip whose directory is damaged and whose first entry cannot be found, a
    ///   compressed stream broken in its first block), ``ArchiveError/tooLarge`` (a zip directory over the
    ///   limits), ``ArchiveError/unreadable``.
    public init(path: String, limits: ArchiveLimits = ArchiveLimits()) throws(ArchiveError) {
        let file = try FileInput(path: path)
        let head = try file.read(count: ArchiveFormat.headLength, at: 0)
        guard let format = ArchiveFormat.detect(head: head) else {
            throw .notAnArchive(
                head.isEmpty
                    ? "\(path) is empty: not an archive"
                    : "\(path) is not an archive: its first bytes are not those of a zip, tar, gzip or zstd file")
        }
        self.path = path
        self.format = format
        self.limits = limits
        switch format {
        case .zip: source = try ZipEntrySource(file: file, limits: limits)
        case .tar: source = try TarEntrySource(file: file, codec: .none, limits: limits)
        case .tarGzip: source = try TarEntrySource(file: file, codec: .gzip, limits: limits)
        case .tarZstd: source = try TarEntrySource(file: file, codec: .zstd, limits: limits)
        }
        buffer = .allocate(byteCount: Self.chunkSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The next entry (directories are skipped), or nil at the end of the archive.
    ///
    /// What is left of the previous entry is skipped. Before returning an entry to read, its first bytes are read
    /// ahead to tell a nested archive; the entry is returned with a ``ArchiveEntry/refusal`` when it is refused.
    ///
    /// - Throws: ``ArchiveError/corrupt`` (the archive is damaged or truncated here: the message says where),
    ///   ``ArchiveError/tooLarge`` (more than ``ArchiveLimits/maxEntries``), ``ArchiveError/decompressionBomb``
    ///   (past ``ArchiveLimits/maxTotalBytes``, or a compressed tar past its ratio), ``ArchiveError/unreadable``.
    ///   Once thrown, every later call throws the same error.
    public func next() throws(ArchiveError) -> ArchiveEntry? {
        switch state {
        case .failed(let error): throw error
        case .ended: return nil
        case .reading: break
        }
        current = nil
        while true {
            let member: ArchiveMember?
            do {
                member = try source.nextMember()
            } catch {
                state = .failed(error)
                throw error
            }
            guard let member else {
                state = .ended
                return nil
            }
            memberCount += 1
            guard memberCount <= limits.maxEntries else {
                let error = ArchiveError.tooLarge("the archive has more than \(limits.maxEntries) entries")
                state = .failed(error)
                throw error
            }
            if member.kind == .directory { continue }
            let entry = ArchiveEntry(
                index: memberCount - 1, rawName: member.rawName, kind: member.kind, declaredSize: member.declaredSize,
                refusal: EntryPolicy.refusal(for: member, limits: limits))
            current = Current(entry: entry, budget: budget(for: member), compressedSize: member.compressedSize)
            if entry.refusal == nil { lookAhead() }
            return current?.entry
        }
    }

    /// Reads the current entry's next bytes into `buffer`; 0 when the entry is over (for a zip entry, once its
    /// CRC-32 and size have been checked), or when there is no current entry.
    ///
    /// - Throws: the entry's ``ArchiveEntry/refusal`` if it has one; ``ArchiveEntryFailure/decompressionBomb``
    ///   (inflation stopped at a limit; nothing past it was delivered), ``ArchiveEntryFailure/corrupt`` (damaged
    ///   bytes, a CRC mismatch, the archive cut short in the entry: then `next()` throws where). The same failure
    ///   is thrown again by later reads of the entry.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveEntryFailure) -> Int {
        guard buffer.count > 0, var current else { return 0 }
        defer { self.current = current }
        if current.pendingStart < current.pendingEnd {
            let count = min(buffer.count, current.pendingEnd - current.pendingStart)
            buffer.baseAddress!.copyMemory(from: self.buffer.baseAddress! + current.pendingStart, byteCount: count)
            current.pendingStart += count
            return count
        }
        return try pull(into: buffer, &current)
    }

    /// Hands the current entry's bytes to `write`, chunk by chunk (each chunk valid during the call only, at most
    /// ``chunkSize`` bytes), to the end of the entry; returns how many bytes there were.
    ///
    /// - Throws: ``ArchiveReadError/entry(_:)`` with what ``read(into:)`` throws; ``ArchiveReadError/write(_:)``
    ///   with what `write` threw (the rest of the entry is then skipped by `next()`).
    @discardableResult
    public func readEntry<E: Error>(_ write: (UnsafeRawBufferPointer) throws(E) -> Void) throws(ArchiveReadError<E>)
        -> UInt64
    {
        var delivered: UInt64 = 0
        while true {
            let chunk: UnsafeRawBufferPointer
            do {
                chunk = try nextChunk()
            } catch {
                throw .entry(error)
            }
            if chunk.isEmpty { return delivered }
            do {
                try write(chunk)
            } catch {
                throw .write(error)
            }
            delivered += UInt64(chunk.count)
        }
    }

    // MARK: - Reading

    /// The per-entry budget: the entry limit, the ratio when it is compressed alone, and what is left of the total.
    private func budget(for member: ArchiveMember) -> InflationBudget {
        InflationBudget(
            maxBytes: UInt64(max(0, limits.maxEntryBytes)),
            maxRatio: member.compressedSize.map { _ in UInt64(max(1, limits.maxRatio)) },
            ratioThreshold: UInt64(max(0, limits.ratioThresholdBytes)),
            totalAllowance: UInt64(max(0, limits.maxTotalBytes)) - min(UInt64(max(0, limits.maxTotalBytes)), totalBytes)
        )
    }

    /// Reads the current entry's first bytes into the buffer, and refuses it if they start an archive.
    private func lookAhead() {
        guard var current else { return }
        defer { self.current = current }
        do throws(ArchiveEntryFailure) {
            while current.pendingEnd < NestedArchive.headLength && !current.ended {
                let free = UnsafeMutableRawBufferPointer(rebasing: buffer[current.pendingEnd...])
                current.pendingEnd += try pull(into: free, &current)
            }
        } catch {
            current.entry.refusal = error
            return
        }
        let head = UnsafeRawBufferPointer(rebasing: buffer[0..<current.pendingEnd])
        if let nested = NestedArchive.kind(head: Array(head.prefix(NestedArchive.headLength))) {
            current.entry.refusal = .nestedArchive(
                "\(current.entry.name) is an archive (\(nested)); archives inside archives are not read")
        }
    }

    /// The next chunk of the current entry, from the bytes read ahead or read into the buffer; empty at its end.
    private func nextChunk() throws(ArchiveEntryFailure) -> UnsafeRawBufferPointer {
        guard var current else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        defer { self.current = current }
        if current.pendingStart < current.pendingEnd {
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[current.pendingStart..<current.pendingEnd])
            current.pendingStart = current.pendingEnd
            return chunk
        }
        let n = try pull(into: buffer, &current)
        return UnsafeRawBufferPointer(rebasing: buffer[0..<n])
    }

    /// Reads from the source into `output`, no more than the entry's budget allows plus one byte (to see it
    /// broken), and counts what came.
    private func pull(into output: UnsafeMutableRawBufferPointer, _ current: inout Current) throws(ArchiveEntryFailure)
        -> Int
    {
        if let failure = current.failure ?? current.entry.refusal { throw failure }
        if current.ended { return 0 }
        // The ratio's denominator: the declared compressed size, or what was consumed when that is more.
        let declared = current.compressedSize ?? 0
        let allowance = current.budget.remaining(compressed: max(declared, source.compressedConsumed))
        let want = Int(min(UInt64(output.count), allowance == .max ? .max : allowance + 1))
        let n: Int
        do {
            n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: output[0..<want]))
        } catch {
            let failure: ArchiveEntryFailure
            switch error {
            case .entry(let entryFailure):
                failure = entryFailure
            case .archive(let archiveError):
                state = .failed(archiveError)
                failure = ArchiveEntryFailure(archive: archiveError)
            }
            current.failure = failure
            throw failure
        }
        if n == 0 {
            current.ended = true
            return 0
        }
        if let limit = current.budget.add(UInt64(n), compressed: max(declared, source.compressedConsumed)) {
            let failure = bombFailure(limit, current)
            current.failure = failure
            throw failure
        }
        totalBytes += UInt64(n)
        return n
    }

    /// The failure for an entry whose inflation went past `limit`; past the total, the archive fails too.
    private func bombFailure(_ limit: InflationBudget.Limit, _ current: Current) -> ArchiveEntryFailure {
        let name = current.entry.name
        let budget = current.budget
        let sofar = "\(name) had inflated to more than \(InflationBudget.describe(budget.produced - 1)), not yet done"
        switch limit {
        case .bytes:
            return .decompressionBomb(
                "\(sofar): over the limit of \(InflationBudget.describe(budget.maxBytes)) per entry")
        case .ratio:
            return .decompressionBomb(
                "\(sofar), from \(InflationBudget.describe(source.compressedConsumed)) compressed: over the limit of "
                    + "\(limits.maxRatio):1")
        case .total:
            let message =
                "\(sofar): the archive is over the limit of "
                + "\(InflationBudget.describe(UInt64(max(0, limits.maxTotalBytes)))) in all"
            state = .failed(.decompressionBomb(message))
            return .decompressionBomb(message)
        }
    }
}
