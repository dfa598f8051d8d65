/// A zip's entries for ``ArchiveReader``: from the central directory, or, when that is missing or damaged (a
/// truncated upload), salvaged by walking the local headers from the start of the file.
///
/// Salvage delivers the entries that are whole before the damage, then throws ``ArchiveError/corrupt`` saying
/// where the walk stopped and what was wrong with the directory. Local headers carry no Unix mode, so in salvage
/// a symbolic link reads as a small file holding its target (harmless: names and bytes are data). An entry
/// written with a data descriptor is found to end where its deflate stream does; a stored one cannot be, and
/// the walk stops there.
final class ZipEntrySource: EntrySource {
    private enum Mode {
        /// Entries from the central directory; `next` is the index of the next one.
        case directory(ZipFile, next: Int)
        /// Entries from their local headers; `damage` says why the directory could not be used.
        case salvage(damage: String)
    }

    private let file: FileInput
    private let limits: ArchiveLimits
    private var mode: Mode
    private var stream: ZipEntryStream?
    /// Salvage: where the next local header is, when known without reading the current entry to its end.
    private var nextHeader: UInt64? = 0
    /// Salvage: why the walk cannot go past the current entry, when it cannot.
    private var stuck: String?
    /// Salvage: entries found so far, for messages.
    private var found = 0
    /// Salvage: bytes inflated only to find where skipped entries end.
    private var drained: UInt64 = 0
    /// Salvage: where skipped entries are inflated to; allocated on first use.
    private var drainBuffer: UnsafeMutableRawBufferPointer?

    init(file: FileInput, limits: ArchiveLimits) throws(ArchiveError) {
        self.file = file
        self.limits = limits
        do {
            let zip = try ZipFile(
                file: file, maxDirectoryBytes: limits.maxDirectoryBytes, maxEntries: limits.maxEntries)
            mode = .directory(zip, next: 0)
        } catch let error where error == .corrupt {
            // Whatever the directory's damage, whole entries may come before it.
            guard try file.read(count: 4, at: 0) == [0x50, 0x4B, 0x03, 0x04] else { throw error }
            mode = .salvage(damage: error.message)
        }
    }

    deinit { drainBuffer?.deallocate() }

    var compressedConsumed: UInt64 { stream?.compressedConsumed ?? 0 }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(MemberReadError) -> Int {
        guard let stream else { return 0 }
        do {
            return try stream.read(into: buffer)
        } catch {
            throw .entry(error)
        }
    }

    func nextMember() throws(ArchiveError) -> ArchiveMember? {
        switch mode {
        case .directory(let zip, let next):
            stream = nil
            guard next < zip.directory.entries.count else { return nil }
            mode = .directory(zip, next: next + 1)
            let entry = zip.directory.entries[next]
            let kind = Self.kind(of: entry)
            var refusal: ArchiveEntryFailure?
            if kind == .file {
                do {
                    stream = try zip.open(entry)
                } catch {
                    refusal = error
                }
            }
            return ArchiveMember(
                rawName: entry.rawName, kind: kind, declaredSize: entry.uncompressedSize,
                compressedSize: entry.method == ZipDirectory.deflated ? entry.compressedSize : nil, refusal: refusal)
        case .salvage(let damage):
            return try nextLocal(damage: damage)
        }
    }

    /// The member's kind from its Unix mode when it has one, else from a trailing `/` or the MS-DOS directory bit.
    static func kind(of entry: ZipDirectory.Entry) -> ArchiveEntry.Kind {
        if let mode = entry.unixMode {
            switch mode & 0o170000 {
            case 0o120000: return .symlink
            case 0o020000, 0o060000: return .device
            case 0o010000: return .fifo
            case 0o140000: return .other
            case 0o040000: return .directory
            default: break
            }
        }
        if entry.rawName.last == UInt8(ascii: "/") || entry.rawName.last == UInt8(ascii: "\\") { return .directory }
        if entry.versionMadeBy >> 8 == 0 && entry.externalAttributes & 0x10 != 0 { return .directory }
        return .file
    }

    // MARK: - Salvage

    /// The entry at the next local header, after finding where the current one ends.
    private func nextLocal(damage: String) throws(ArchiveError) -> ArchiveMember? {
        let offset = try endOfCurrent(damage: damage)
        stream = nil
        let header = try file.read(count: ZipDirectory.localHeaderSize, at: offset)
        let signature = header.count >= 4 ? LittleEndian.u32(header, 0) : 0
        if header.isEmpty {
            throw .corrupt("truncated zip: \(damage); the file ends at byte \(offset), after \(found) entries")
        }
        if [0x0201_4B50, 0x0605_4B50, 0x0606_4B50].contains(signature) {
            throw .corrupt(
                "truncated or damaged zip: \(damage); its central directory starts at byte \(offset), after \(found) "
                    + "entries, and is incomplete")
        }
        guard signature == 0x0403_4B50 else {
            throw .corrupt("damaged zip: \(damage); no local header at byte \(offset), after \(found) entries")
        }
        guard header.count == ZipDirectory.localHeaderSize else {
            throw .corrupt("truncated zip: \(damage); the local header at byte \(offset) is cut short")
        }
        let nameLength = Int(LittleEndian.u16(header, 26))
        let extraLength = Int(LittleEndian.u16(header, 28))
        let variable = try file.read(count: nameLength + extraLength, at: offset + UInt64(header.count))
        guard variable.count == nameLength + extraLength else {
            throw .corrupt("truncated zip: \(damage); the local header at byte \(offset) is cut short")
        }
        var entry = ZipDirectory.Entry(
            rawName: Array(variable[0..<nameLength]), method: LittleEndian.u16(header, 8),
            flags: LittleEndian.u16(header, 6), crc32: LittleEndian.u32(header, 14),
            compressedSize: UInt64(LittleEndian.u32(header, 18)),
            uncompressedSize: UInt64(LittleEndian.u32(header, 22)),
            localHeaderOffset: offset, versionMadeBy: 0, externalAttributes: 0)
        let extra = variable[nameLength...]
        try ZipDirectory.applyZIP64(extra: extra, to: &entry)
        let zip64 = Self.hasZIP64Field(Array(extra))
        let dataOffset = offset + UInt64(header.count + variable.count)
        found += 1

        let kind = Self.kind(of: entry)
        var refusal: ArchiveEntryFailure?
        let name = EntryName.display(entry.rawName)
        if entry.isEncrypted {
            refusal = .encrypted("\(name) is encrypted in the zip")
        } else {
            do throws(ArchiveEntryFailure) {
                try ZipFile.checkMethod(of: entry)
            } catch {
                refusal = error
            }
        }
        if entry.flags & ZipDirectory.dataDescriptorFlag == 0 {
            let (end, overflow) = dataOffset.addingReportingOverflow(entry.compressedSize)
            nextHeader = overflow ? .max : end
            if kind == .file && refusal == nil {
                stream = ZipEntryStream(file: file, entry: entry, dataOffset: dataOffset, extent: .known)
            }
        } else if entry.method == ZipDirectory.deflated && !entry.isEncrypted {
            nextHeader = nil
            stream = ZipEntryStream(
                file: file, entry: entry, dataOffset: dataOffset, extent: .dataDescriptor(zip64: zip64))
        } else {
            nextHeader = nil
            stuck = "\(name) at byte \(offset) has a data descriptor and is not deflated: where it ends cannot be found"
        }
        return ArchiveMember(
            rawName: entry.rawName, kind: kind,
            declaredSize: entry.flags & ZipDirectory.dataDescriptorFlag == 0 ? entry.uncompressedSize : 0,
            compressedSize: entry.method == ZipDirectory.deflated ? entry.compressedSize : nil,
            refusal: refusal ?? (stream == nil && kind == .file ? .corrupt(stuck ?? "\(name) cannot be read") : nil))
    }

    /// Where the current entry ends, reading the rest of its deflate stream when only that can say.
    private func endOfCurrent(damage: String) throws(ArchiveError) -> UInt64 {
        if let stuck {
            throw .corrupt("damaged zip: \(damage); \(stuck)")
        }
        if let nextHeader { return nextHeader }
        guard let stream else { preconditionFailure("no header offset and no stream to find it") }
        if stream.endOffset == nil {
            let drainBuffer = self.drainBuffer ?? .allocate(byteCount: ZipEntryStream.inputSize, alignment: 16)
            self.drainBuffer = drainBuffer
            let name =
                "\(EntryName.display(stream.entry.rawName)) (local header at byte \(stream.entry.localHeaderOffset))"
            let limit = UInt64(max(0, limits.maxTotalBytes))
            while true {
                let n: Int
                do {
                    n = try stream.read(into: drainBuffer)
                } catch {
                    // A CRC or size mismatch is found once the end is known.
                    if stream.endOffset != nil { break }
                    throw .corrupt("damaged zip: \(damage); where \(name) ends cannot be found (\(error.message))")
                }
                if n == 0 { break }
                drained += UInt64(n)
                if drained > limit {
                    throw .decompressionBomb(
                        "finding where \(name) ends took inflating more than \(InflationBudget.describe(limit))")
                }
            }
        }
        guard let end = stream.endOffset else { preconditionFailure("a finished stream without its end") }
        return end
    }

    /// Whether a local header's extra field has a ZIP64 record (its data descriptor then has 64-bit sizes).
    private static func hasZIP64Field(_ extra: [UInt8]) -> Bool {
        var position = 0
        while position + 4 <= extra.count {
            if LittleEndian.u16(extra, position) == 0x0001 { return true }
            position += 4 + Int(LittleEndian.u16(extra, position + 2))
        }
        return false
    }
}
