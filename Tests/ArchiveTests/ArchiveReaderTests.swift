import Foundation
import Testing

@testable import Archive

/// Every archive kind end to end, written by real tools: each entry's bytes (and SHA-256) equal the file that
/// went in; and the streaming API: skipping, partial reads, a failing `write`.
@Suite("Archive reader")
struct ArchiveReaderTests {
    /// The files the archives hold (relative paths; `letters/` makes a directory entry).
    static let files = [
        "cv-jane.txt", "letters/cover-letter.txt", "photo.bin", "empty.txt", "big.txt", "unicode-é.txt",
    ]

    /// Writes the files under `dir/src` and the archive kinds under `dir`: zip (deflate, stored, `zip -r`), tar
    /// (GNU, pax, ustar), tar.gz, tgz of several gzip members, tar.zst. Returns the archives' paths.
    static func buildCorpus(in dir: String) throws -> [String] {
        try Fixtures.python(
            #"""
            dir = sys.argv[1]
            src = os.path.join(dir, 'src')
            sizes = {'photo.bin': 300000, 'empty.txt': 0, 'big.txt': 3 << 20}
            for name in sys.argv[2].split('\n'):
                path = os.path.join(src, name)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                data = random_bytes(name, sizes[name]) if name == 'photo.bin' else content(name, sizes.get(name))
                open(path, 'wb').write(data)
            names = sorted(os.path.relpath(os.path.join(r, f), src) for r, ds, fs in os.walk(src) for f in fs + ds)
            for method, archive in [(zipfile.ZIP_DEFLATED, 'deflated.zip'), (zipfile.ZIP_STORED, 'stored.zip')]:
                with zipfile.ZipFile(os.path.join(dir, archive), 'w', method) as z:
                    for name in names:
                        z.write(os.path.join(src, name), name)
            for fmt, archive in [(tarfile.GNU_FORMAT, 'gnu.tar'), (tarfile.PAX_FORMAT, 'pax.tar'),
                                 (tarfile.USTAR_FORMAT, 'ustar.tar')]:
                with tarfile.open(os.path.join(dir, archive), 'w', format=fmt) as t:
                    for name in names:
                        t.add(os.path.join(src, name), name, recursive=False)
            with tarfile.open(os.path.join(dir, 'python.tar.gz'), 'w:gz') as t:
                t.add(src, '.')
            """#, dir, files.joined(separator: "\n"))
        try Fixtures.run([
            "sh", "-c",
            "cd '\(dir)/src' && zip -qr ../cli.zip . && tar -cf ../cli.tar . "
                + "&& tar -czf ../cli.tgz . && tar -cf - . | zstd -q -19 -o ../cli.tar.zst",
        ])
        // A tgz of three gzip members, cut at places that are no tar boundary (as pigz or `cat a.gz b.gz` make).
        try Fixtures.python(
            #"""
            import gzip
            dir = sys.argv[1]
            data = open(os.path.join(dir, 'cli.tar'), 'rb').read()
            cuts = [0, 1000, len(data) // 2 + 7, len(data)]
            with open(os.path.join(dir, 'members.tgz'), 'wb') as out:
                for a, b in zip(cuts, cuts[1:]):
                    out.write(gzip.compress(data[a:b]))
            """#, dir)
        return [
            "deflated.zip", "stored.zip", "cli.zip", "gnu.tar", "pax.tar", "ustar.tar", "cli.tar", "python.tar.gz",
            "cli.tgz", "members.tgz", "cli.tar.zst",
        ].map { "\(dir)/\($0)" }
    }

    /// The corpus, built once for the tests that only read it: its directory and archives.
    static let corpus = Result { () throws -> (dir: String, archives: [String]) in
        let dir = try Fixtures.directory()
        return (dir, try buildCorpus(in: dir))
    }

    @Test("zip, tar, tar.gz and tar.zst written by python3, zip, tar and zstd: every file, byte for byte")
    func everyKind() throws {
        let (dir, archives) = try Self.corpus.get()
        let expectedFormats: [String: ArchiveFormat] = [
            "zip": .zip, "tar": .tar, "gz": .tarGzip, "tgz": .tarGzip, "zst": .tarZstd,
        ]
        for archive in archives {
            let format = ArchiveFormat.detect(path: archive)
            #expect(format == expectedFormats[String(archive.split(separator: ".").last!)], "\(archive)")
            let (outcomes, error) = try Fixtures.readAll(archive)
            #expect(error == nil, "\(archive): \(String(describing: error))")
            var seen: [String] = []
            for outcome in outcomes {
                let name =
                    outcome.entry.name.hasPrefix("./") ? String(outcome.entry.name.dropFirst(2)) : outcome.entry.name
                #expect(outcome.entry.kind == .file, "\(archive): \(name)")
                #expect(outcome.failure == nil, "\(archive): \(name): \(String(describing: outcome.failure))")
                let original = try Fixtures.bytes("\(dir)/src/\(name)")
                #expect(outcome.bytes == original, "\(archive): \(name) differs")
                #expect(Fixtures.sha256(outcome.bytes ?? []) == Fixtures.sha256(original))
                #expect(outcome.entry.declaredSize == UInt64(original.count))
                #expect(outcome.entry.rawName == Array(outcome.entry.name.utf8))
                seen.append(name)
            }
            // Directories are skipped, never reported.
            #expect(seen.sorted() == Self.files.sorted(), "\(archive)")
        }
    }

    @Test("indexes count members in archive order, directories included")
    func indexes() throws {
        let dir = try Fixtures.directory()
        try Fixtures.python(
            #"""
            with tarfile.open(sys.argv[1] + '/a.tar', 'w') as t:
                for name, kind in [('a.txt', tarfile.REGTYPE), ('d', tarfile.DIRTYPE), ('d/b.txt', tarfile.REGTYPE)]:
                    info = tarfile.TarInfo(name)
                    info.type = kind
                    data = content(name) if kind == tarfile.REGTYPE else b''
                    info.size = len(data)
                    t.addfile(info, io.BytesIO(data))
            """#, dir)
        let (outcomes, error) = try Fixtures.readAll("\(dir)/a.tar")
        #expect(error == nil)
        #expect(outcomes.map(\.entry.index) == [0, 2])
        #expect(outcomes.map(\.entry.name) == ["a.txt", "d/b.txt"])
    }

    @Test("GNU long names, pax paths, a global pax header, base-256 sizes and a v7 header")
    func tarExtensions() throws {
        let dir = try Fixtures.directory()
        let long = String(repeating: "very-long-directory-name/", count: 8) + "résumé.txt"
        try Fixtures.python(
            #"""
            dir, long = sys.argv[1], sys.argv[2]
            def add(t, name, **kw):
                info = tarfile.TarInfo(name)
                data = content(name)
                info.size = len(data)
                for k, v in kw.items(): setattr(info, k, v)
                t.addfile(info, io.BytesIO(data))
            with tarfile.open(dir + '/gnu.tar', 'w', format=tarfile.GNU_FORMAT) as t:
                add(t, long)
                add(t, 'short.txt')
            with tarfile.open(dir + '/pax.tar', 'w', format=tarfile.PAX_FORMAT,
                              pax_headers={'comment': 'global header'}) as t:
                add(t, long)
                add(t, 'short.txt')
            # Base-256 size (GNU's form for values over 8 GiB, legal for any), and a v7 header (no magic).
            def header(name, data, patch):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                block = bytearray(info.tobuf(format=tarfile.GNU_FORMAT))
                patch(block)
                block[148:156] = b' ' * 8
                block[148:156] = b'%06o\0 ' % sum(block)
                return bytes(block) + data + b'\0' * (-len(data) % 512)
            def base256(block):
                size = int(block[124:135].strip(b'\0 ') or b'0', 8)
                block[124:136] = b'\x80' + size.to_bytes(11, 'big')
            def v7(block):
                block[257:265] = b'\0' * 8
                block[265:500] = b'\0' * 235
            a, b = content('base256.txt'), content('v7.txt')
            open(dir + '/patched.tar', 'wb').write(
                header('v7.txt', b, v7) + header('base256.txt', a, base256) + b'\0' * 1024)
            """#, dir, long)
        for archive in ["gnu.tar", "pax.tar"] {
            let (outcomes, error) = try Fixtures.readAll("\(dir)/\(archive)")
            #expect(error == nil)
            #expect(outcomes.map(\.entry.name) == [long, "short.txt"], "\(archive)")
            #expect(outcomes.allSatisfy { $0.failure == nil && $0.bytes?.isEmpty == false })
        }
        #expect(ArchiveFormat.detect(path: "\(dir)/patched.tar") == .tar)
        let (outcomes, error) = try Fixtures.readAll("\(dir)/patched.tar")
        #expect(error == nil)
        #expect(outcomes.map(\.entry.name) == ["v7.txt", "base256.txt"])
        #expect(outcomes.allSatisfy { $0.failure == nil && ($0.bytes?.count ?? 0) > 1000 })
    }

    @Test("zip64: an entry with ZIP64 extra fields, and 70,000 entries behind a ZIP64 end record")
    func zip64() throws {
        let dir = try Fixtures.directory()
        try Fixtures.python(
            #"""
            dir = sys.argv[1]
            with zipfile.ZipFile(dir + '/forced.zip', 'w', zipfile.ZIP_DEFLATED) as z:
                with z.open('cv.txt', 'w', force_zip64=True) as f:
                    f.write(content('cv.txt'))
                z.writestr('other.txt', content('other.txt'))
            with zipfile.ZipFile(dir + '/many.zip', 'w', zipfile.ZIP_STORED) as z:
                for i in range(70000):
                    z.writestr('f%05d.txt' % i, b'%d' % i)
            """#, dir)
        let forced = try Fixtures.readAll("\(dir)/forced.zip")
        #expect(forced.error == nil)
        #expect(forced.outcomes.map(\.entry.name) == ["cv.txt", "other.txt"])
        #expect(forced.outcomes.allSatisfy { $0.failure == nil && ($0.bytes?.count ?? 0) > 1000 })

        let many = try Fixtures.readAll("\(dir)/many.zip", limits: ArchiveLimits(maxEntries: 100_000))
        #expect(many.error == nil)
        #expect(many.outcomes.count == 70000)
        #expect(many.outcomes.last?.bytes == Array("69999".utf8))
        // The default limit: 10,000 entries come through, then the archive is too large.
        let limited = try Fixtures.readAll("\(dir)/many.zip", keepBytes: false)
        #expect(limited.outcomes.count == 10_000)
        #expect(limited.error == .tooLarge)
    }

    @Test("a zip written to a pipe (data descriptors) reads the same")
    func dataDescriptors() throws {
        let dir = try Fixtures.directory()
        try Self.streamedZip(dir + "/streamed.zip")
        let (outcomes, error) = try Fixtures.readAll(dir + "/streamed.zip")
        #expect(error == nil)
        #expect(outcomes.map(\.entry.name) == ["a.txt", "b.txt", "c.txt"])
        #expect(outcomes.allSatisfy { $0.failure == nil })
    }

    /// A zip that python's zipfile writes to an unseekable file: CRC and sizes in data descriptors.
    static func streamedZip(_ path: String) throws {
        try Fixtures.python(
            #"""
            class Pipe(io.RawIOBase):
                def __init__(self, f): self.f = f
                def writable(self): return True
                def seekable(self): return False
                def write(self, b): return self.f.write(b)
            with open(sys.argv[1], 'wb') as f:
                with zipfile.ZipFile(Pipe(f), 'w', zipfile.ZIP_DEFLATED) as z:
                    for name in ['a.txt', 'b.txt', 'c.txt']:
                        with z.open(name, 'w') as e:
                            e.write(content(name, 200000))
            """#, path)
    }

    @Test("entries skipped or read in part: the next ones still come through whole, in every kind")
    func skipping() throws {
        let (dir, archives) = try Self.corpus.get()
        for archive in archives {
            let reader = try ArchiveReader(path: archive)
            var index = 0
            var checked = 0
            while let entry = try reader.next() {
                defer { index += 1 }
                let name = entry.name.hasPrefix("./") ? String(entry.name.dropFirst(2)) : entry.name
                switch index % 3 {
                case 0:
                    continue  // skipped, not a byte read
                case 1:
                    // A few bytes only, through the pull API.
                    var small = [UInt8](repeating: 0, count: 10)
                    _ = try small.withUnsafeMutableBytes { try reader.read(into: $0) }
                default:
                    var bytes: [UInt8] = []
                    try reader.readEntry { bytes += $0 }
                    #expect(bytes == (try Fixtures.bytes("\(dir)/src/\(name)")), "\(archive): \(name)")
                    checked += 1
                }
            }
            #expect(index == Self.files.count, "\(archive)")
            #expect(checked == 2, "\(archive)")
        }
    }

    @Test("read(into:) with a small buffer delivers the same bytes as readEntry")
    func pullAPI() throws {
        let (dir, archives) = try Self.corpus.get()
        let archive = archives.first { $0.hasSuffix("cli.tar.zst") }!
        let reader = try ArchiveReader(path: archive)
        var buffer = [UInt8](repeating: 0, count: 100)
        while let entry = try reader.next() {
            var bytes: [UInt8] = []
            while true {
                let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                if n == 0 { break }
                bytes += buffer[0..<n]
            }
            #expect(bytes == (try Fixtures.bytes("\(dir)/src/\(entry.name.dropFirst(2))")), "\(entry.name)")
        }
    }

    struct Full: Error {}

    @Test("a write that throws is reported as .write, and the archive goes on")
    func writeFailure() throws {
        let archive = try Self.corpus.get().archives.first { $0.hasSuffix("cli.tgz") }!
        let reader = try ArchiveReader(path: archive)
        var names: [String] = []
        while let entry = try reader.next() {
            names.append(entry.name)
            do throws(ArchiveReadError<Full>) {
                try reader.readEntry { (_) throws(Full) in throw Full() }
                #expect(entry.declaredSize == 0, "\(entry.name): a write that throws was not called")
            } catch {
                guard case .write = error else {
                    Issue.record("\(entry.name): \(error)")
                    continue
                }
            }
        }
        #expect(names.count == Self.files.count)
    }
}
