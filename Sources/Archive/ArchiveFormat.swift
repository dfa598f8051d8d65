/// The archive formats read, told apart by their first bytes (never by the file's name).
public enum ArchiveFormat: String, Sendable, Equatable, CaseIterable {
    /// A zip: stored and deflate entries, ZIP64.
    case zip
    /// A tar: ustar, pax extended headers, GNU long names, base-256 sizes, v7.
    case tar
    /// A tar in a gzip stream (one member or several).
    case tarGzip = "tar.gz"
    /// A tar in a zstd stream.
    case tarZstd = "tar.zst"

    /// How many first bytes ``detect(head:)`` looks at: one tar header block.
    public static let headLength = 512

    /// The format of the file at `path`, or nil when it is none of them or cannot be read.
    public static func detect(path: String) -> ArchiveFormat? {
        guard let file = try? FileInput(path: path), let head = try? file.read(count: headLength, at: 0) else {
            return nil
        }
        return detect(head: head)
    }

    /// The format that `head` (a file's first ``headLength`` bytes, fewer if the file is shorter) starts.
    ///
    /// - zip: a local file header `PK\3\4`, or the end record `PK\5\6` of an empty zip;
    /// - gzip `1f 8b` → ``tarGzip``, zstd `28 b5 2f fd` → ``tarZstd`` (whether a tar is inside is checked when
    ///   reading: ``ArchiveReader`` says ``ArchiveError/notAnArchive`` otherwise);
    /// - tar: `ustar` at offset 257, or a header block whose checksum is right (v7), or an all-zero block (an
    ///   empty tar is only its end marker).
    public static func detect(head: some Collection<UInt8>) -> ArchiveFormat? {
        let head = Array(head.prefix(headLength))
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .zip }
        if head.starts(with: [0x1F, 0x8B]) { return .tarGzip }
        if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return .tarZstd }
        guard head.count == TarHeader.blockSize else { return nil }
        if head[257..<262].elementsEqual("ustar".utf8) || TarHeader.looksLikeHeader(head) { return .tar }
        if TarHeader.isZeroBlock(head) { return .tar }
        return nil
    }
}
