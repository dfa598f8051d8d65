/// A format's reader, as ``ArchiveReader`` drives it: members one after the other, and the current one's bytes.
/// The policy (names, kinds, nesting, limits per entry) is the reader's; a source only says what is there.
protocol EntrySource: AnyObject {
    /// Moves past what is left of the current member and returns the next one (directories included), or nil
    /// at the end of the archive.
    ///
    /// - Throws: an ``ArchiveError`` when the archive cannot be read further; the source is not used again.
    func nextMember() throws(ArchiveError) -> ArchiveMember?

    /// The current member's next bytes, at most `buffer.count` of them; 0 at its end, once its checks (a zip
    /// entry's CRC-32) have passed.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(MemberReadError) -> Int

    /// The compressed bytes the current member's decompression has consumed (zip), for its ratio.
    var compressedConsumed: UInt64 { get }
}

/// One member as a format found it, before ``ArchiveReader``'s policy.
struct ArchiveMember: Equatable {
    var rawName: [UInt8]
    var kind: ArchiveEntry.Kind
    /// The size its header declares.
    var declaredSize: UInt64
    /// The compressed size of a member compressed on its own (a deflated zip entry), for its ratio; nil when
    /// its bytes are stored, or compressed with the whole stream (a tar's).
    var compressedSize: UInt64?
    /// Why the format itself refuses it (encrypted, an unsupported method, a damaged local header).
    var refusal: ArchiveEntryFailure?
}

/// What can go wrong while a member's bytes are read.
enum MemberReadError: Error {
    /// This member is damaged; the others may be fine.
    case entry(ArchiveEntryFailure)
    /// The archive broke inside this member (a compressed stream damaged, the file cut short): nothing more
    /// can be read.
    case archive(ArchiveError)
}
