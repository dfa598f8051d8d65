/// A tar's members for ``ArchiveReader``: ``TarParser``'s actions run on a ``TarStream``.
///
/// The first header is read when the source is made, so that a gzip or zstd stream holding something other
/// than a tar is ``ArchiveError/notAnArchive`` from the start. A member's unread bytes are skipped (decompressed
/// and dropped, for a compressed tar) when the next one is asked for.
final class TarEntrySource: EntrySource {
    private let stream: TarStream
    private var parser = TarParser()
    /// The action the first header led to, run by the first ``nextMember()``.
    private var pending: TarParser.Action?
    /// The member being read and how many of its data bytes have not been.
    private var current: (member: TarParser.Member, remaining: UInt64)?
    private var ended = false

    init(file: FileInput, codec: TarStream.Codec, limits: ArchiveLimits) throws(ArchiveError) {
        stream = TarStream(file: file, codec: codec, limits: limits)
        let block = try stream.read(count: TarHeader.blockSize)
        let what = codec == .none ? "the file" : "the \(codec.name) stream"
        guard block.count == TarHeader.blockSize else {
            if let note = stream.endNote { throw .corrupt("truncated archive: \(note)") }
            throw .notAnArchive("\(what) holds \(block.count) bytes: no tar archive")
        }
        let ustar = block[257..<262].elementsEqual("ustar".utf8)
        guard ustar || TarHeader.isZeroBlock(block) || TarHeader.looksLikeHeader(block) else {
            throw .notAnArchive("\(what) holds no tar archive: its first 512 bytes are not a tar header")
        }
        pending = try parser.header(block, at: 0)
    }

    /// Tar members are compressed with the whole stream, whose ratio ``TarStream`` checks.
    var compressedConsumed: UInt64 { 0 }

    func nextMember() throws(ArchiveError) -> ArchiveMember? {
        guard !ended else { return nil }
        if let (member, remaining) = current {
            current = nil
            let count = remaining + member.padding
            let skipped = try stream.skip(count)
            guard skipped == count else { throw truncated(inside: member, missing: count - skipped) }
        }
        var action = pending ?? .readHeader
        pending = nil
        while true {
            switch action {
            case .readHeader:
                let offset = stream.position
                let block = try stream.read(count: TarHeader.blockSize)
                guard block.count == TarHeader.blockSize else {
                    throw .corrupt(
                        "truncated tar: the archive ends at byte \(stream.position), where a header was expected at "
                            + "byte \(offset) (no end-of-archive marker)\(note)")
                }
                action = try parser.header(block, at: offset)
            case .readExtension(let count, let padding):
                let offset = stream.position
                let data = try stream.read(count: count)
                let skipped = try stream.skip(UInt64(padding))
                guard data.count == count, skipped == UInt64(padding) else {
                    throw .corrupt(
                        "truncated tar: the archive ends at byte \(stream.position), inside the extended header data "
                            + "at byte \(offset)\(note)")
                }
                action = try parser.extensionData(data)
            case .member(let member):
                current = (member, member.dataSize)
                return ArchiveMember(
                    rawName: member.name, kind: member.kind, declaredSize: member.size, compressedSize: nil,
                    refusal: nil)
            case .end:
                ended = true
                return nil
            }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(MemberReadError) -> Int {
        guard let (member, remaining) = current, remaining > 0 else { return 0 }
        let count = Int(min(UInt64(buffer.count), remaining))
        let n: Int
        do {
            n = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]))
        } catch {
            throw .archive(error)
        }
        current = (member, remaining - UInt64(n))
        guard n == count else { throw .archive(truncated(inside: member, missing: remaining - UInt64(n))) }
        return n
    }

    /// The archive ended `missing` bytes short of the end of `member`'s data (and padding).
    private func truncated(inside member: TarParser.Member, missing: UInt64) -> ArchiveError {
        .corrupt(
            "truncated tar: the archive ends at byte \(stream.position), \(missing) bytes short of the end of "
                + "\(EntryName.display(member.name)) (header at byte \(member.headerOffset), \(member.size) bytes)"
                + note)
    }

    /// Why the data ended, when the compressed stream was cut short.
    private var note: String {
        stream.endNote.map { "; \($0)" } ?? ""
    }
}
