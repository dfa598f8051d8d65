import Testing

@testable import Archive

/// The pure pieces, without files: name checks, nested-archive signs, the inflation budget, format detection,
/// tar headers and the tar state machine.
@Suite("Archive policy")
struct ArchivePolicyTests {
    static func problem(_ name: String) -> String? {
        EntryName.problem(Array(name.utf8), maxBytes: 100)
    }

    @Test("entry names: what escapes is refused, what is merely odd is not")
    func entryNames() {
        for name in [
            "../x", "a/../x", "a/..", "..", "/etc/passwd", "\\x", "\\\\server\\share", "C:\\x", "C:/x", "c:x",
            "a\\..\\x", "..\\x", "a\u{0}b", "", String(repeating: "n", count: 101),
        ] {
            #expect(Self.problem(name) != nil, "\(name)")
        }
        for name in [
            "cv.pdf", "./cv.pdf", "a/b/c.txt", "a//b", "..cv", "cv..", "a/.../b", "dir\\cv.pdf", "1:2.txt", "é.txt",
        ] {
            #expect(Self.problem(name) == nil, "\(name)")
        }
        #expect(Self.problem("../x") == "a '..' component")
        #expect(Self.problem("C:/x") == "a drive letter")
        #expect(Self.problem("/x") == "an absolute path")
    }

    @Test("display names: invalid UTF-8, control characters and bidi overrides become U+FFFD")
    func displayNames() {
        #expect(EntryName.display(Array("cv.pdf".utf8)) == "cv.pdf")
        #expect(EntryName.display([0x63, 0xE9, 0x2E]) == "c\u{FFFD}.")
        #expect(EntryName.display(Array("a\nb\u{1B}[31m".utf8)) == "a\u{FFFD}b\u{FFFD}[31m")
        #expect(EntryName.display(Array("cv\u{202E}fdp.exe".utf8)) == "cv\u{FFFD}fdp.exe")
        #expect(EntryName.display(Array("résumé.pdf".utf8)) == "résumé.pdf")
    }

    @Test("nested archives: by extension, by magic; zip magic alone is a document")
    func nested() {
        let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 26)
        #expect(NestedArchive.kind(name: Array("cv.docx".utf8), head: zip) == nil)
        #expect(NestedArchive.kind(name: Array("data".utf8), head: zip) == nil)
        #expect(NestedArchive.kind(name: Array("more.ZIP".utf8), head: zip) == "named .zip")
        #expect(NestedArchive.kind(name: Array("cv.pdf.gz".utf8), head: []) == "named .gz")
        #expect(NestedArchive.kind(name: Array("cv.txt".utf8), head: [0x1F, 0x8B, 0x08]) == "a gzip stream")
        #expect(NestedArchive.kind(name: Array("cv.txt".utf8), head: Array("BZh91AY&SY".utf8)) == "a bzip2 stream")
        #expect(NestedArchive.kind(name: Array("cv.txt".utf8), head: Array("BZh is how I start".utf8)) == nil)
        #expect(NestedArchive.kind(name: Array("cv.txt".utf8), head: Array("%PDF-1.7".utf8)) == nil)
        #expect(NestedArchive.kind(name: Array("cv.txt".utf8), head: Self.header(name: "x")) == "a tar archive")
        #expect(NestedArchive.kind(name: Array("cv.gzip.txt".utf8), head: []) == nil)
    }

    @Test("the inflation budget: absolute cap, total, and ratio once past the threshold")
    func budget() {
        var budget = InflationBudget(
            maxBytes: 10 << 20, maxRatio: 200, ratioThreshold: 1 << 20, totalAllowance: 8 << 20)
        // 1 KiB compressed: the ratio allows 200 KiB, but nothing is checked below 1 MiB.
        #expect(budget.remaining(compressed: 1024) == 1 << 20)
        #expect(budget.add(1 << 20, compressed: 1024) == nil)
        #expect(budget.add(1, compressed: 1024) == .ratio)

        var total = InflationBudget(maxBytes: 10 << 20, maxRatio: nil, ratioThreshold: 0, totalAllowance: 3)
        #expect(total.remaining(compressed: 0) == 3)
        #expect(total.add(3, compressed: 0) == nil)
        #expect(total.remaining(compressed: 0) == 0)
        #expect(total.add(1, compressed: 0) == .total)

        var bytes = InflationBudget(maxBytes: 5, maxRatio: 1, ratioThreshold: 0)
        #expect(bytes.add(6, compressed: 1) == .bytes)

        let sizes: [UInt64] = [512, 12 << 10, 8 << 20 | 100 << 10, 17 << 19, 4 << 30]
        let described = sizes.map(InflationBudget.describe)
        #expect(described == ["512 bytes", "12 KiB", "8 MiB", "8.5 MiB", "4 GiB"])
    }

    @Test("refusals by declared size: too large when stored, a bomb when the ratio is broken")
    func declaredSizes() {
        let limits = ArchiveLimits()
        func member(_ size: UInt64, compressed: UInt64?) -> ArchiveMember {
            ArchiveMember(rawName: Array("cv.pdf".utf8), kind: .file, declaredSize: size, compressedSize: compressed)
        }
        #expect(EntryPolicy.refusal(for: member(5 << 20, compressed: nil), limits: limits) == nil)
        #expect(EntryPolicy.refusal(for: member(11 << 20, compressed: nil), limits: limits) == .tooLarge)
        #expect(EntryPolicy.refusal(for: member(11 << 20, compressed: 10 << 20), limits: limits) == .tooLarge)
        #expect(EntryPolicy.refusal(for: member(9 << 20, compressed: 4 << 10), limits: limits) == .decompressionBomb)
        #expect(EntryPolicy.refusal(for: member(1 << 20, compressed: 10), limits: limits) == nil)
        var symlink = member(10, compressed: nil)
        symlink.kind = .symlink
        #expect(EntryPolicy.refusal(for: symlink, limits: limits) == .unsafeEntry)
    }

    @Test("format detection by magic bytes, never by name")
    func formats() {
        #expect(ArchiveFormat.detect(head: [0x50, 0x4B, 0x03, 0x04, 0x14]) == .zip)
        #expect(ArchiveFormat.detect(head: [0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18)) == .zip)
        #expect(ArchiveFormat.detect(head: [0x1F, 0x8B, 0x08, 0x00]) == .tarGzip)
        #expect(ArchiveFormat.detect(head: [0x28, 0xB5, 0x2F, 0xFD, 0x04]) == .tarZstd)
        #expect(ArchiveFormat.detect(head: Self.header(name: "cv.pdf")) == .tar)
        var v7 = Self.header(name: "cv.pdf", magic: false)
        #expect(ArchiveFormat.detect(head: v7) == .tar)
        v7[0] = UInt8(ascii: "X")
        #expect(ArchiveFormat.detect(head: v7) == nil)
        #expect(ArchiveFormat.detect(head: [UInt8](repeating: 0, count: 512)) == .tar)
        #expect(ArchiveFormat.detect(head: Array("%PDF-1.7".utf8)) == nil)
        #expect(ArchiveFormat.detect(head: []) == nil)
    }

    // MARK: Tar

    /// A ustar (or, without `magic`, v7) header block.
    static func header(
        name: String, typeflag: Character = "0", size: Int = 0, magic: Bool = true, prefix: String = ""
    ) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int) { block.replaceSubrange(offset..<offset + bytes.count, with: bytes) }
        put(Array(name.utf8), at: 0)
        put(Array("0000644\0".utf8), at: 100)
        put(
            Array((String(repeating: "0", count: 11 - String(size, radix: 8).count) + String(size, radix: 8)).utf8),
            at: 124)
        block[156] = UInt8(ascii: Unicode.Scalar(String(typeflag))!)
        if magic {
            put(Array("ustar\u{0}00".utf8), at: 257)
            put(Array(prefix.utf8), at: 345)
        }
        put(Array("        ".utf8), at: 148)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(
            Array(
                (String(repeating: "0", count: 6 - String(sum, radix: 8).count) + String(sum, radix: 8) + "\0 ").utf8),
            at: 148)
        return block
    }

    @Test("tar numbers: octal with spaces and NULs, base-256, and what is neither")
    func numbers() {
        #expect(TarHeader.number(Array("00000001750\0".utf8)[...]) == 1000)
        #expect(TarHeader.number(Array("   1750 \0\0\0\0".utf8)[...]) == 1000)
        #expect(TarHeader.number([UInt8](repeating: 0, count: 12)[...]) == 0)
        #expect(TarHeader.number(([0x80] + [UInt8](repeating: 0, count: 7) + [0, 0, 0x03, 0xE8])[...]) == 1000)
        #expect(TarHeader.number(([0x80] + [UInt8](repeating: 0xFF, count: 11))[...]) == nil)
        #expect(TarHeader.number([UInt8](repeating: 0xFF, count: 12)[...]) == nil)
        #expect(TarHeader.number(Array("00000001790\0".utf8)[...]) == nil)
    }

    @Test("tar headers: ustar prefix joins the name; a wrong checksum is refused")
    func headers() throws {
        let header = try TarHeader(block: Self.header(name: "cv.pdf", size: 1000, prefix: "people/jane"))
        #expect(header.name == Array("people/jane/cv.pdf".utf8))
        #expect(header.size == 1000)
        var damaged = Self.header(name: "cv.pdf")
        damaged[0] = UInt8(ascii: "d")
        #expect(throws: TarHeader.Problem.checksum) { try TarHeader(block: damaged) }
    }

    @Test("the tar state machine: pax and GNU long names apply to the next member, global pax to all")
    func parser() throws {
        var parser = TarParser()
        func pax(_ records: [(String, String)]) -> [UInt8] {
            records.flatMap { key, value -> [UInt8] in
                let body = " \(key)=\(value)\n"
                var length = body.utf8.count + 1
                while String(length).count + body.utf8.count != length { length += 1 }
                return Array("\(length)\(body)".utf8)
            }
        }
        let global = pax([("comment", "hello"), ("path", "global.txt")])
        #expect(
            try parser.header(Self.header(name: "g", typeflag: "g", size: global.count), at: 0)
                == .readExtension(count: global.count, padding: 512 - global.count))
        #expect(try parser.extensionData(global) == .readHeader)
        let local = pax([("path", "people/jane/résumé.pdf"), ("size", "42")])
        #expect(
            try parser.header(Self.header(name: "x", typeflag: "x", size: local.count), at: 1024)
                == .readExtension(count: local.count, padding: 512 - local.count))
        #expect(try parser.extensionData(local) == .readHeader)
        guard case .member(let first) = try parser.header(Self.header(name: "short", size: 7), at: 2048) else {
            Issue.record("no member")
            return
        }
        #expect(first.name == Array("people/jane/résumé.pdf".utf8))
        #expect(first.size == 42 && first.dataSize == 42 && first.padding == 470)
        #expect(first.headerOffset == 2048)
        // The global path still applies; the local one does not.
        guard case .member(let second) = try parser.header(Self.header(name: "other", size: 7), at: 3072) else {
            Issue.record("no member")
            return
        }
        #expect(second.name == Array("global.txt".utf8))
        #expect(second.size == 7)

        var gnu = TarParser()
        let long = Array((String(repeating: "d/", count: 80) + "cv.pdf\0").utf8)
        #expect(
            try gnu.header(Self.header(name: "././@LongLink", typeflag: "L", size: long.count), at: 0)
                == .readExtension(count: long.count, padding: 512 - long.count))
        _ = try gnu.extensionData(long)
        guard case .member(let member) = try gnu.header(Self.header(name: "truncated", typeflag: "2"), at: 1024) else {
            Issue.record("no member")
            return
        }
        #expect(member.name == Array(long.dropLast()))
        #expect(member.kind == .symlink && member.dataSize == 0)
        #expect(try gnu.header([UInt8](repeating: 0, count: 512), at: 1536) == .end)
    }

    @Test("the tar state machine refuses malformed pax records and oversized metadata")
    func parserErrors() {
        for data in ["10 path=x", "3 a=b\n", "x path=y\n", "99 path=y\n", "12 pathy=x\n\0", "7 path\n"] {
            var parser = TarParser()
            let bytes = Array(data.utf8)
            _ = try? parser.header(Self.header(name: "x", typeflag: "x", size: bytes.count), at: 0)
            #expect(throws: ArchiveError.corrupt, "\(data)") { try parser.extensionData(bytes) }
        }
        var parser = TarParser()
        #expect(throws: ArchiveError.corrupt) {
            try parser.header(Self.header(name: "x", typeflag: "x", size: TarParser.maxExtensionBytes + 1), at: 0)
        }
        #expect(
            TarParser.kind(of: UInt8(ascii: "0")) == .file && TarParser.kind(of: 0) == .file
                && TarParser.kind(of: UInt8(ascii: "7")) == .file && TarParser.kind(of: UInt8(ascii: "V")) == .other)
    }
}
