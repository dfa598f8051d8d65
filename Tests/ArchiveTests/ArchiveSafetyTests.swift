import Foundation
import Testing

@testable import Archive

/// Hostile entries, each refused with its code while the good entries around it still come through.
@Suite("Archive safety")
struct ArchiveSafetyTests {
    /// The outcome of the entry called `name` (display form).
    static func outcome(_ name: String, in outcomes: [Fixtures.Outcome]) -> Fixtures.Outcome? {
        outcomes.first { $0.entry.name == name }
    }

    /// The good entries (`good-*.txt`) came through whole.
    static func expectGoodEntries(
        _ outcomes: [Fixtures.Outcome], count: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let good = outcomes.filter { $0.entry.name.hasPrefix("good-") }
        #expect(good.count == count, sourceLocation: sourceLocation)
        for outcome in good {
            #expect(outcome.failure == nil, "\(outcome.entry.name)", sourceLocation: sourceLocation)
            #expect((outcome.bytes?.count ?? 0) > 0, "\(outcome.entry.name)", sourceLocation: sourceLocation)
        }
    }

    static let unsafeNames = [
        "../evil.txt", "a/../../evil.txt", "/etc/passwd", "C:\\Windows\\evil.txt", "C:/evil.txt", "c:evil.txt",
        "a\\..\\..\\evil.txt", "..\\evil.txt", "\\\\server\\share\\evil.txt", "..",
    ]

    @Test("tar: traversal, absolute, drive-letter and backslash names, a NUL, symlinks, hard links, devices, FIFOs")
    func unsafeTarEntries() throws {
        let dir = try Fixtures.directory()
        try Fixtures.python(
            #"""
            names = sys.argv[2].split('\n')
            def add(t, name, kind=tarfile.REGTYPE, **kw):
                info = tarfile.TarInfo(name)
                info.type = kind
                data = content(name) if kind == tarfile.REGTYPE else b''
                info.size = len(data)
                for k, v in kw.items(): setattr(info, k, v)
                t.addfile(info, io.BytesIO(data))
            with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
                add(t, 'good-1.txt')
                for name in names:
                    add(t, name)
                add(t, 'nul.txt', pax_headers={'path': 'a\x00b.txt'})
                add(t, 'link-out', tarfile.SYMTYPE, linkname='/etc/passwd')
                add(t, 'link-rel', tarfile.SYMTYPE, linkname='../../x')
                add(t, 'hard', tarfile.LNKTYPE, linkname='good-1.txt')
                add(t, 'tty', tarfile.CHRTYPE, devmajor=4, devminor=1)
                add(t, 'disk', tarfile.BLKTYPE, devmajor=8, devminor=0)
                add(t, 'pipe', tarfile.FIFOTYPE)
                add(t, 'good-2.txt')
            """#, dir + "/hostile.tar", Self.unsafeNames.joined(separator: "\n"))
        let (outcomes, error) = try Fixtures.readAll(dir + "/hostile.tar")
        #expect(error == nil)
        Self.expectGoodEntries(outcomes, count: 2)
        for name in Self.unsafeNames {
            let outcome = Self.outcome(name, in: outcomes)
            #expect(outcome?.failure == .unsafeEntry, "\(name)")
            #expect(outcome?.delivered == 0)
        }
        let nul = try #require(outcomes.first { $0.entry.rawName == Array("a\u{0}b.txt".utf8) })
        #expect(nul.failure == .unsafeEntry)
        #expect(nul.entry.name == "a\u{FFFD}b.txt")
        let kinds: [String: ArchiveEntry.Kind] = [
            "link-out": .symlink, "link-rel": .symlink, "hard": .hardLink, "tty": .device, "disk": .device,
            "pipe": .fifo,
        ]
        for (name, kind) in kinds {
            let outcome = try #require(Self.outcome(name, in: outcomes), "\(name)")
            #expect(outcome.entry.kind == kind)
            #expect(outcome.failure == .unsafeEntry)
            #expect(outcome.failure?.code == "unsafe_entry")
        }
        #expect(outcomes.count == 2 + Self.unsafeNames.count + 1 + kinds.count)
    }

    @Test("zip: traversal names, a NUL, and symlinks, devices and FIFOs by their Unix mode")
    func unsafeZipEntries() throws {
        let dir = try Fixtures.directory()
        try Fixtures.python(
            #"""
            path, names = sys.argv[1], sys.argv[2].split('\n')
            with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
                z.writestr('good-1.txt', content('good-1.txt'))
                for name in names:
                    z.writestr(name, content(name))
                z.writestr('aXb.txt', content('nul'))
                for name, mode in [('link', 0o120777), ('tty', 0o020644), ('pipe', 0o010644), ('sock', 0o140755)]:
                    info = zipfile.ZipInfo(name)
                    info.create_system = 3
                    info.external_attr = mode << 16
                    z.writestr(info, '../../etc/passwd')
                info = zipfile.ZipInfo('run.sh')
                info.create_system = 3
                info.external_attr = 0o100755 << 16
                z.writestr(info, 'echo fine\n')
                z.writestr('good-2.txt', content('good-2.txt'))
            replace_in_name(path, b'aXb.txt', b'a\x00b.txt')
            """#, dir + "/hostile.zip", Self.unsafeNames.joined(separator: "\n"))
        let (outcomes, error) = try Fixtures.readAll(dir + "/hostile.zip")
        #expect(error == nil)
        Self.expectGoodEntries(outcomes, count: 2)
        for name in Self.unsafeNames {
            #expect(Self.outcome(name, in: outcomes)?.failure == .unsafeEntry, "\(name)")
        }
        #expect(outcomes.first { $0.entry.rawName.contains(0) }?.failure == .unsafeEntry)
        let kinds: [String: ArchiveEntry.Kind] = ["link": .symlink, "tty": .device, "pipe": .fifo, "sock": .other]
        for (name, kind) in kinds {
            let outcome = try #require(Self.outcome(name, in: outcomes), "\(name)")
            #expect(outcome.entry.kind == kind)
            #expect(outcome.failure == .unsafeEntry)
        }
        // An executable is a regular file: its mode is no reason to refuse it.
        #expect(Self.outcome("run.sh", in: outcomes)?.bytes == Array("echo fine\n".utf8))
    }

    @Test("nested archives are refused by name and by their first bytes; DOCX, ODT and XLSX are documents")
    func nestedArchives() throws {
        let dir = try Fixtures.directory()
        try Fixtures.python(
            #"""
            import gzip, lzma, bz2
            def zip_of(entries):
                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as z:
                    for name, data in entries: z.writestr(name, data)
                return buffer.getvalue()
            def tar_of(name):
                buffer = io.BytesIO()
                with tarfile.open(fileobj=buffer, mode='w') as t:
                    info = tarfile.TarInfo(name)
                    data = content(name)
                    info.size = len(data)
                    t.addfile(info, io.BytesIO(data))
                return buffer.getvalue()
            docx = zip_of([('[Content_Types].xml', '<Types/>'), ('word/document.xml', '<w:document/>')])
            odt = zip_of([('mimetype', 'application/vnd.oasis.opendocument.text'), ('content.xml', '<x/>')])
            xlsx = zip_of([('[Content_Types].xml', '<Types/>'), ('xl/workbook.xml', '<workbook/>')])
            entries = [
                ('good-1.txt', content('good-1.txt')),
                ('inner.zip', zip_of([('cv.txt', 'hello')])),
                ('inner.JAR', zip_of([('A.class', 'x')])),
                ('data.bin', gzip.compress(content('x'))),
                ('frame.dat', bytes.fromhex('28b52ffd') + b'\0' * 20),
                ('archive.dat', tar_of('cv.txt')),
                ('x.bin', bytes.fromhex('377abcaf271c') + b'\0' * 20),
                ('r.bin', b'Rar!\x1a\x07\x01\x00' + b'\0' * 20),
                ('xz.bin', lzma.compress(b'hello')),
                ('bz.bin', bz2.compress(b'hello')),
                ('cv.pdf.gz', b'not even gzip'),
                ('empty.7z', b''),
                ('backup.tgz', b''),
                ('cv.docx', docx),
                ('cv.odt', odt),
                ('sheet.xlsx', xlsx),
                ('good-2.txt', content('good-2.txt')),
            ]
            with zipfile.ZipFile(sys.argv[1] + '/nested.zip', 'w', zipfile.ZIP_DEFLATED) as z:
                for name, data in entries: z.writestr(name, data)
            with tarfile.open(sys.argv[1] + '/nested.tar.gz', 'w:gz') as t:
                for name, data in entries:
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    t.addfile(info, io.BytesIO(data))
            """#, dir)
        for archive in ["nested.zip", "nested.tar.gz"] {
            let (outcomes, error) = try Fixtures.readAll("\(dir)/\(archive)")
            #expect(error == nil)
            Self.expectGoodEntries(outcomes, count: 2)
            for name in [
                "inner.zip", "inner.JAR", "data.bin", "frame.dat", "archive.dat", "x.bin", "r.bin", "xz.bin", "bz.bin",
                "cv.pdf.gz", "empty.7z", "backup.tgz",
            ] {
                let outcome = Self.outcome(name, in: outcomes)
                #expect(outcome?.failure == .nestedArchive, "\(archive): \(name)")
                #expect(outcome?.failure?.code == "nested_archive")
                #expect(outcome?.delivered == 0)
            }
            for name in ["cv.docx", "cv.odt", "sheet.xlsx"] {
                let outcome = Self.outcome(name, in: outcomes)
                #expect(outcome?.failure == nil, "\(archive): \(name)")
                #expect(outcome?.bytes?.starts(with: [0x50, 0x4B, 0x03, 0x04]) == true, "\(archive): \(name)")
            }
        }
    }

    @Test("encrypted zip entries (flag bit 0 in both headers, or only the local one) and unsupported methods")
    func encryptedAndUnsupported() throws {
        let dir = try Fixtures.directory()
        try Fixtures.python(
            #"""
            path = sys.argv[1]
            with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
                z.writestr('good-1.txt', content('good-1.txt'))
                z.writestr('secret.txt', content('secret.txt'))
                z.writestr('local-secret.txt', content('local-secret.txt'))
                z.writestr('bzip2.txt', content('bzip2.txt'), compress_type=zipfile.ZIP_BZIP2)
                z.writestr('lzma.txt', content('lzma.txt'), compress_type=zipfile.ZIP_LZMA)
                z.writestr('good-2.txt', content('good-2.txt'))
            def flag_local(data, offset): data[offset + 6] |= 1
            def flag_central(data, offset): data[offset + 8] |= 1
            patch_zip(path, b'secret.txt', flag_local, flag_central)
            patch_zip(path, b'local-secret.txt', flag_local, lambda data, offset: None)
            """#, dir + "/mixed.zip")
        let (outcomes, error) = try Fixtures.readAll(dir + "/mixed.zip")
        #expect(error == nil)
        Self.expectGoodEntries(outcomes, count: 2)
        for name in ["secret.txt", "local-secret.txt"] {
            let outcome = Self.outcome(name, in: outcomes)
            #expect(outcome?.failure == .encrypted, "\(name)")
            #expect(outcome?.failure?.code == "encrypted")
            #expect(outcome?.delivered == 0)
        }
        let bzip2 = Self.outcome("bzip2.txt", in: outcomes)?.failure
        #expect(bzip2 == .corrupt)
        #expect(bzip2?.message.contains("method 12 (bzip2)") == true)
        #expect(Self.outcome("lzma.txt", in: outcomes)?.failure?.message.contains("method 14 (LZMA)") == true)
    }

    @Test("duplicate names both come through; names that are not UTF-8 come through with a lossy display name")
    func duplicatesAndEncodings() throws {
        let dir = try Fixtures.directory()
        try Fixtures.python(
            #"""
            dir = sys.argv[1]
            with zipfile.ZipFile(dir + '/names.zip', 'w') as z:
                z.writestr('cv.txt', 'first')
                z.writestr('cv.txt', 'second')
                z.writestr('cafX.txt', 'latin-1')
                z.writestr('tabX.txt', 'control')
            replace_in_name(dir + '/names.zip', b'cafX.txt', b'caf\xe9.txt')
            replace_in_name(dir + '/names.zip', b'tabX.txt', b'tab\x1b.txt')
            with tarfile.open(dir + '/names.tar', 'w', format=tarfile.GNU_FORMAT, encoding='latin-1') as t:
                for name, data in [('cv.txt', b'first'), ('cv.txt', b'second'), ('caf\xe9.txt', b'latin-1')]:
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    t.addfile(info, io.BytesIO(data))
            """#, dir)
        for archive in ["names.zip", "names.tar"] {
            let (outcomes, error) = try Fixtures.readAll("\(dir)/\(archive)")
            #expect(error == nil)
            let duplicates = outcomes.filter { $0.entry.name == "cv.txt" }
            #expect(duplicates.map(\.bytes) == [Array("first".utf8), Array("second".utf8)], "\(archive)")
            let latin = try #require(
                outcomes.first { $0.entry.rawName == Array("caf".utf8) + [0xE9] + Array(".txt".utf8) })
            #expect(latin.entry.name == "caf\u{FFFD}.txt")
            #expect(latin.bytes == Array("latin-1".utf8))
        }
        let (outcomes, _) = try Fixtures.readAll(dir + "/names.zip")
        let control = try #require(outcomes.first { $0.entry.rawName.contains(0x1B) })
        #expect(control.entry.name == "tab\u{FFFD}.txt")
        #expect(control.bytes == Array("control".utf8))
    }

    @Test("names longer than maxNameBytes are refused; nothing is written by an entry's name")
    func longNamesAndNoWrites() throws {
        let dir = try Fixtures.directory()
        let long = String(repeating: "n", count: 300) + ".txt"
        try Fixtures.python(
            #"""
            with zipfile.ZipFile(sys.argv[1] + '/long.zip', 'w') as z:
                z.writestr('good-1.txt', 'a')
                z.writestr(sys.argv[2], 'b')
                z.writestr('../../escaped.txt', 'c')
            """#, dir, long)
        let (outcomes, _) = try Fixtures.readAll(dir + "/long.zip", limits: ArchiveLimits(maxNameBytes: 255))
        #expect(Self.outcome(long, in: outcomes)?.failure == .unsafeEntry)
        #expect(Self.outcome(long, in: outcomes)?.failure?.message.contains("304 bytes") == true)
        #expect(Self.outcome("good-1.txt", in: outcomes)?.bytes == [UInt8(ascii: "a")])
        // Nothing appeared beside the archive, nor where the traversal points.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["long.zip"])
        #expect(!FileManager.default.fileExists(atPath: dir + "/../../escaped.txt"))
    }
}
