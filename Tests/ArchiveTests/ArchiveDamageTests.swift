import Foundation
import TestSupport
import Testing

@testable import Archive

/// Truncated and damaged archives: the entries before the damage come through whole, then the archive fails with
/// ``ArchiveError/corrupt`` saying where; damage inside one zip entry fails that entry only; files that are not
/// archives are told so.
@Suite("Archive damage")
struct ArchiveDamageTests {
    /// Six files of about 60 KB under `dir/src`, and the archives of them: deflated zip, zip written to a pipe
    /// (data descriptors), tar, tar.gz and tar.zst.
    static func archives(in dir: String) throws -> [String] {
        try Fixtures.python(
            #"""
            dir = sys.argv[1]
            os.makedirs(dir + '/src')
            names = ['cv-%d.txt' % i for i in range(6)]
            for name in names:
                open(dir + '/src/' + name, 'wb').write(content(name, 60000) + random_bytes(name, 4000))
            with zipfile.ZipFile(dir + '/cut.zip', 'w', zipfile.ZIP_DEFLATED) as z:
                for name in names: z.write(dir + '/src/' + name, name)
            class Pipe(io.RawIOBase):
                def __init__(self, f): self.f = f
                def writable(self): return True
                def seekable(self): return False
                def write(self, b): return self.f.write(b)
            with open(dir + '/streamed.zip', 'wb') as f:
                with zipfile.ZipFile(Pipe(f), 'w', zipfile.ZIP_DEFLATED) as z:
                    for name in names: z.write(dir + '/src/' + name, name)
            with tarfile.open(dir + '/cut.tar', 'w') as t:
                for name in names: t.add(dir + '/src/' + name, name)
            """#, dir)
        try Fixtures.run(["sh", "-c", "cd '\(dir)' && gzip -k cut.tar && zstd -q cut.tar -o cut.tar.zst"])
        return ["cut.zip", "streamed.zip", "cut.tar", "cut.tar.gz", "cut.tar.zst"].map { "\(dir)/\($0)" }
    }

    @Test("truncated archives of every kind: the whole entries before the cut, then corrupt, saying where")
    func truncated() throws {
        let dir = try Fixtures.directory()
        for archive in try Self.archives(in: dir) {
            try Fixtures.truncate(archive, to: 0.6)
            let (outcomes, error) = try Fixtures.readAll(archive)
            let whole = outcomes.filter { $0.failure == nil }
            #expect(whole.count >= 2, "\(archive): \(outcomes.map(\.entry.name))")
            for outcome in whole {
                #expect(outcome.bytes == (try Fixtures.bytes("\(dir)/src/\(outcome.entry.name)")), "\(archive)")
            }
            // At most the entry the cut went through failed; none after it came.
            #expect(outcomes.count <= whole.count + 1, "\(archive)")
            #expect(outcomes.dropLast().allSatisfy { $0.failure == nil })
            #expect(outcomes.last?.failure == nil || outcomes.last?.failure == .corrupt)
            #expect(error == .corrupt, "\(archive)")
            #expect(error?.message.contains("byte") == true, "\(archive): \(String(describing: error))")
            #expect(error?.message.contains("truncated") == true, "\(archive): \(String(describing: error))")
        }
    }

    @Test("a CRC mismatch fails that zip entry only")
    func crcMismatch() throws {
        let dir = try Fixtures.directory()
        try Fixtures.python(
            #"""
            with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_STORED) as z:
                for name in ['a.txt', 'b.txt', 'c.txt']: z.writestr(name, content(name))
            data = bytearray(open(sys.argv[1], 'rb').read())
            at = data.find(b'b.txt') + 5 + 100
            data[at] ^= 0xFF
            open(sys.argv[1], 'wb').write(data)
            """#, dir + "/crc.zip")
        let (outcomes, error) = try Fixtures.readAll(dir + "/crc.zip")
        #expect(error == nil)
        #expect(outcomes.map(\.entry.name) == ["a.txt", "b.txt", "c.txt"])
        #expect(outcomes[1].failure == .corrupt)
        #expect(outcomes[1].failure?.message == "truncated or damaged zip: CRC mismatch in b.txt")
        #expect(outcomes[0].failure == nil && outcomes[2].failure == nil)
    }

    @Test("damaged deflate data fails that zip entry only")
    func damagedDeflate() throws {
        let dir = try Fixtures.directory()
        try Fixtures.python(
            #"""
            with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
                for name in ['a.txt', 'b.txt', 'c.txt']: z.writestr(name, content(name, 50000))
            data = bytearray(open(sys.argv[1], 'rb').read())
            at = data.find(b'b.txt') + 5
            data[at + 10:at + 400] = random_bytes('noise', 390)
            open(sys.argv[1], 'wb').write(data)
            """#, dir + "/deflate.zip")
        let (outcomes, error) = try Fixtures.readAll(dir + "/deflate.zip")
        #expect(error == nil)
        #expect(outcomes.map(\.entry.name) == ["a.txt", "b.txt", "c.txt"])
        #expect(outcomes[1].failure == .corrupt)
        #expect(outcomes[1].failure?.message.hasPrefix("truncated or damaged zip:") == true)
        #expect(outcomes[0].bytes?.count == 50000 && outcomes[2].bytes?.count == 50000)
    }

    @Test("ZIP64 offsets and sizes near 2^64 fail their entry, not the process")
    func hostileZIP64Values() throws {
        let dir = try Fixtures.directory()
        try Fixtures.python(
            #"""
            import zlib
            out, central = bytearray(), bytearray()
            entries = [(b'good-1.txt', None, None), (b'far.txt', 0xFFFFFFFFFFFFFFF0, None),
                       (b'huge.txt', None, 0xFFFFFFFFFFFFFFF0), (b'good-2.txt', None, None)]
            for name, offset, size in entries:
                data = content(name.decode())
                here, crc = len(out), zlib.crc32(data)
                out += struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, 0, 0, 0, crc, len(data), len(data), len(name), 0)
                out += name + data
                extra, offset32, size32 = b'', here, len(data)
                if offset is not None:
                    extra, offset32 = struct.pack('<HHQ', 1, 8, offset), 0xFFFFFFFF
                if size is not None:
                    extra, size32 = struct.pack('<HHQQ', 1, 16, size, size), 0xFFFFFFFF
                central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0, 0, 0, 0, crc, size32, size32,
                                       len(name), len(extra), 0, 0, 0, 0, offset32) + name + extra
            start = len(out)
            count = len(entries)
            out += central + struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, count, count, len(central), start, 0)
            open(sys.argv[1], 'wb').write(out)
            """#, dir + "/hostile.zip")
        let (outcomes, error) = try Fixtures.readAll(dir + "/hostile.zip")
        #expect(error == nil)
        #expect(outcomes.map(\.entry.name) == ["good-1.txt", "far.txt", "huge.txt", "good-2.txt"])
        #expect(outcomes[0].failure == nil && outcomes[3].failure == nil)
        #expect(outcomes[1].failure == .corrupt)
        #expect(outcomes[2].failure != nil)
        #expect(outcomes[2].delivered == 0)
    }

    @Test("a tar header with a wrong checksum ends the archive there, after the entries before it")
    func badChecksum() throws {
        let dir = try Fixtures.directory()
        try Fixtures.python(
            #"""
            with tarfile.open(sys.argv[1], 'w') as t:
                for name in ['a.txt', 'b.txt', 'c.txt']:
                    info = tarfile.TarInfo(name)
                    data = content(name, 1000)
                    info.size = len(data)
                    t.addfile(info, io.BytesIO(data))
            data = bytearray(open(sys.argv[1], 'rb').read())
            data[data.find(b'b.txt')] = ord('X')
            open(sys.argv[1], 'wb').write(data)
            """#, dir + "/checksum.tar")
        let (outcomes, error) = try Fixtures.readAll(dir + "/checksum.tar")
        #expect(outcomes.map(\.entry.name) == ["a.txt"])
        #expect(outcomes[0].bytes?.count == 1000)
        #expect(error == .corrupt)
        #expect(error?.message == "damaged tar: the header at byte 1536 has a wrong checksum")
    }

    @Test("files that are not archives: not_an_archive from the start")
    func notArchives() throws {
        let dir = try Fixtures.directory()
        let files: [(String, [UInt8])] = [
            ("cv.pdf", Array("%PDF-1.7\n%âãÏÓ\n1 0 obj<<>>endobj\n".utf8)),
            ("empty.zip", []),
            ("noise.tar", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }),
        ]
        for (name, bytes) in files {
            try TemporaryDirectory.write("\(dir)/\(name)", bytes)
        }
        try Fixtures.run([
            "sh", "-c",
            "cd '\(dir)' && printf 'plain text, not a tar' | gzip > text.gz "
                + "&& printf 'plain text, not a tar' | zstd -q > text.zst",
        ])
        for name in ["cv.pdf", "empty.zip", "noise.tar", "text.gz", "text.zst"] {
            #expect(throws: ArchiveError.notAnArchive, "\(name)") { try ArchiveReader(path: "\(dir)/\(name)") }
            do {
                _ = try ArchiveReader(path: "\(dir)/\(name)")
            } catch {
                #expect(error.code == "not_an_archive")
                #expect(
                    error.message.contains("not an archive") || error.message.contains("no tar archive"), "\(error)")
            }
        }
        #expect(ArchiveFormat.detect(path: "\(dir)/cv.pdf") == nil)
        #expect(throws: ArchiveError.unreadable) { try ArchiveReader(path: dir) }
        #expect(throws: ArchiveError.unreadable) { try ArchiveReader(path: dir + "/missing.zip") }
    }

    @Test("a zstd frame asking for a window over 8 MiB is refused, not allocated")
    func zstdWindow() throws {
        let dir = try Fixtures.directory()
        try Fixtures.python(
            #"""
            with tarfile.open(sys.argv[1] + '/big.tar', 'w') as t:
                info = tarfile.TarInfo('big.bin')
                data = random_bytes('big', 20 << 20)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            """#, dir)
        try Fixtures.run(["sh", "-c", "cd '\(dir)' && zstd -q --long=27 -1 big.tar -o big.tar.zst && rm big.tar"])
        do {
            _ = try ArchiveReader(path: dir + "/big.tar.zst")
            Issue.record("a 20 MiB window was accepted")
        } catch {
            #expect(error == .corrupt)
            #expect(error.message.contains("over 8 MiB"), "\(error)")
        }
    }
}
