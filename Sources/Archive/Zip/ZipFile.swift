/// A zip file opened for random access: its central directory read once, each entry's bytes streamed on demand
/// through a ``ZipEntryStream``.
///
/// Used by ``ArchiveReader`` for `.zip` imports and by ExtractPool's DOCX/ODT fast path. Owns the open file;
/// closed when released. Not thread-safe.
public final class ZipFile {
    /// The entries, in central directory order.
    public let directory: ZipDirectory
    let file: FileInput

    /// Opens the zip at `path` and reads its central directory.
    ///
    /// - Parameter maxDirectoryBytes: the largest central directory read into memory.
    /// - Throws: ``ArchiveError/notAnArchive`` (no zip signature and no end record), ``ArchiveError/corrupt``
    ///   (truncated or damaged: messages start with `truncated or damaged zip`), ``ArchiveError/tooLarge`` (a
    ///   directory over `maxDirectoryBytes`), ``ArchiveError/unreadable``.
    public convenience init(path: String, maxDirectoryBytes: Int) throws(ArchiveError) {
        try self.init(file: FileInput(path: path), maxDirectoryBytes: maxDirectoryBytes, maxEntries: nil)
    }

    /// Reads the central directory of `file`; only its first `maxEntries + 1` entries when `maxEntries` is given
    /// (one more than allowed, so that the reader can tell there are too many).
    init(file: FileInput, maxDirectoryBytes: Int, maxEntries: Int?) throws(ArchiveError) {
        self.file = file
        let size = file.size
        let tailLength = min(size, UInt64(ZipDirectory.maxEndRecordDistance))
        let tail = try file.read(count: Int(tailLength), at: size - tailLength)
        let head = try file.read(count: Int(min(size, 4)), at: 0)
        var end = try ZipDirectory.End(tail: tail, tailOffset: size - tailLength, head: head)
        if end.needsZIP64 {
            try end.readZIP64(
                locator: file.read(count: ZipDirectory.zip64LocatorSize, at: end.zip64LocatorOffset),
                record: { (offset) throws(ArchiveError) in
                    try file.read(count: ZipDirectory.zip64RecordSize, at: offset)
                })
        }
        guard end.directorySize <= UInt64(max(0, maxDirectoryBytes)) else {
            throw .tooLarge(
                "a zip central directory of \(InflationBudget.describe(end.directorySize)) is over the limit of "
                    + InflationBudget.describe(UInt64(max(0, maxDirectoryBytes))))
        }
        let bytes = try file.read(count: Int(end.directorySize), at: end.directoryOffset)
        guard bytes.count == Int(end.directorySize) else {
            throw .corrupt("truncated or damaged zip: central directory out of the file")
        }
        let count = maxEntries.map { min(end.entryCount, UInt64(max(0, $0)) + 1) } ?? end.entryCount
        directory = try ZipDirectory(bytes: bytes, entryCount: count)
    }

    /// A stream of `entry`'s bytes, after checking its local header.
    ///
    /// - Throws: ``ArchiveEntryFailure/encrypted`` (by the central or the local header's flags),
    ///   ``ArchiveEntryFailure/corrupt`` (an unsupported compression method, named; a missing local header; data
    ///   running past the end of the file).
    public func open(_ entry: ZipDirectory.Entry) throws(ArchiveEntryFailure) -> ZipEntryStream {
        let name = EntryName.display(entry.rawName)
        if entry.isEncrypted { throw .encrypted("\(name) is encrypted in the zip") }
        try Self.checkMethod(of: entry)
        let header: [UInt8]
        let dataOffset: UInt64
        do throws(ArchiveError) {
            header = try file.read(count: ZipDirectory.localHeaderSize, at: entry.localHeaderOffset)
            guard header.count == ZipDirectory.localHeaderSize else {
                throw ArchiveError.corrupt(
                    "truncated or damaged zip: \(ZipDirectory.localHeaderSize) bytes wanted at offset "
                        + "\(entry.localHeaderOffset), \(header.count) there")
            }
            dataOffset = try ZipDirectory.dataOffset(of: entry, localHeader: header, fileSize: file.size)
        } catch {
            throw .corrupt(error.message)
        }
        if LittleEndian.u16(header, 6) & (ZipDirectory.encryptedFlag | ZipDirectory.strongEncryptionFlag) != 0 {
            throw .encrypted("\(name) is encrypted in the zip (says its local header)")
        }
        return ZipEntryStream(file: file, entry: entry, dataOffset: dataOffset, extent: .known)
    }

    /// Refuses compression methods other than stored and deflate, naming the method.
    static func checkMethod(of entry: ZipDirectory.Entry) throws(ArchiveEntryFailure) {
        guard entry.method != ZipDirectory.stored && entry.method != ZipDirectory.deflated else { return }
        let known: [UInt16: String] = [
            1: "shrink", 6: "implode", 9: "deflate64", 12: "bzip2", 14: "LZMA", 93: "zstd", 95: "xz", 96: "JPEG",
            97: "WavPack", 98: "PPMd",
        ]
        let method = known[entry.method].map { "\(entry.method) (\($0))" } ?? "\(entry.method)"
        throw .corrupt(
            "\(EntryName.display(entry.rawName)) uses zip compression method \(method); only stored and deflate "
                + "are read")
    }
}
