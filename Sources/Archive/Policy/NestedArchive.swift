/// Tells an entry that is itself an archive or a compressed stream, which is refused: archives are read one
/// level deep. Pure.
///
/// Two signs, either is enough:
/// - the name's extension (`.zip`, `.jar`, `.tar`, `.tgz`, `.gz`, `.zst`, `.7z`, `.rar`, `.xz`, `.bz2`, …);
/// - the first bytes: gzip, zstd, xz, bzip2, 7-Zip, RAR, lzip, LZ4, compress, CAB, or a tar header.
///
/// Zip's own signature is not a sign: DOCX, XLSX, PPTX, ODT and EPUB files are zips and documents. A zip
/// counts as nested only by its name (`.zip`, `.jar`…); one renamed `cv.docx` goes on to the document sniffer,
/// which tells an office document from a zip of anything else.
enum NestedArchive {
    /// How many first bytes ``kind(name:head:)`` wants (a tar header is 512 bytes; `ustar` sits at 257).
    static let headLength = 512

    /// What the entry is, as an archive (`"a gzip stream"`, `"named .zip"`), or nil when it looks like a file.
    ///
    /// - Parameters:
    ///   - name: the entry's raw name.
    ///   - head: its first ``headLength`` bytes, fewer when the entry is shorter.
    static func kind(name: [UInt8], head: some Collection<UInt8>) -> String? {
        if let suffix = extensions.first(where: { EntryName.hasSuffix(name, in: [$0]) }) {
            return "named \(String(decoding: suffix, as: UTF8.self))"
        }
        return kind(head: Array(head.prefix(headLength)))
    }

    /// What the bytes start, as an archive or compressed stream, or nil.
    static func kind(head: [UInt8]) -> String? {
        for (signature, description) in signatures where head.starts(with: signature) {
            return description
        }
        if head.count > 9, head.starts(with: Array("BZh".utf8)), (0x31...0x39).contains(head[3]),
            head[4..<10].elementsEqual([0x31, 0x41, 0x59, 0x26, 0x53, 0x59])
                || head[4..<10].elementsEqual([0x17, 0x72, 0x45, 0x38, 0x50, 0x90])
        {
            return "a bzip2 stream"
        }
        if head.count >= TarHeader.blockSize, TarHeader.looksLikeHeader(head) {
            return "a tar archive"
        }
        return nil
    }

    /// Lower-case name endings of archives and compressed files.
    static let extensions: [[UInt8]] = [
        ".zip", ".jar", ".war", ".ear", ".apk", ".tar", ".tgz", ".tbz", ".tbz2", ".txz", ".tzst", ".taz", ".gz",
        ".zst", ".7z", ".rar", ".xz", ".bz2", ".lz", ".lzma", ".lz4", ".z", ".cab",
    ].map { Array($0.utf8) }

    private static let signatures: [([UInt8], String)] = [
        ([0x1F, 0x8B], "a gzip stream"),
        ([0x28, 0xB5, 0x2F, 0xFD], "a zstd stream"),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "an xz stream"),
        ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C], "a 7-Zip archive"),
        (Array("Rar!\u{1A}\u{07}".utf8), "a RAR archive"),
        (Array("LZIP".utf8), "an lzip stream"),
        ([0x04, 0x22, 0x4D, 0x18], "an LZ4 stream"),
        ([0x1F, 0x9D], "a compress (.Z) stream"),
        (Array("MSCF".utf8) + [0, 0, 0, 0], "a CAB archive"),
    ]
}
