import Foundation
import Testing

@testable import Archive

/// Decompression bombs: refused by their declared sizes, stopped while inflating when the headers lie (never
/// more delivered than the limit), the total capped; and memory flat through a 200 MiB entry.
@Suite("Archive bombs")
struct ArchiveBombTests {
    /// A zip of `good-1.txt`, `bomb.txt` (200 MiB of zeros, deflated to about 200 KiB) and `good-2.txt`. With
    /// `lie`, the bomb's headers say it inflates to 1,000 bytes.
    static func zipBomb(lie: Bool) throws -> (path: String, compressed: UInt64) {
        let path = try Fixtures.directory() + "/bomb.zip"
        try Fixtures.python(
            #"""
            path, lie = sys.argv[1], sys.argv[2] == 'lie'
            with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
                z.writestr('good-1.txt', content('good-1.txt'))
                with z.open('bomb.txt', 'w') as f:
                    chunk = b'\0' * (1 << 20)
                    for _ in range(200): f.write(chunk)
                z.writestr('good-2.txt', content('good-2.txt'))
            if lie:
                def local(data, offset): data[offset + 22:offset + 26] = struct.pack('<I', 1000)
                def central(data, offset): data[offset + 24:offset + 28] = struct.pack('<I', 1000)
                patch_zip(path, b'bomb.txt', local, central)
            """#, path, lie ? "lie" : "honest")
        let zip = try ZipFile(path: path, maxDirectoryBytes: 1 << 20)
        let compressed = try #require(zip.directory.entry(named: "bomb.txt")).compressedSize
        return (path, compressed)
    }

    static func expectGoodEntries(_ outcomes: [Fixtures.Outcome], sourceLocation: SourceLocation = #_sourceLocation) {
        for name in ["good-1.txt", "good-2.txt"] {
            let outcome = outcomes.first { $0.entry.name == name }
            #expect(outcome?.failure == nil, "\(name)", sourceLocation: sourceLocation)
            #expect((outcome?.bytes?.count ?? 0) > 1000, "\(name)", sourceLocation: sourceLocation)
        }
    }

    @Test("a bomb whose headers say so is refused before a byte is inflated")
    func declaredBomb() throws {
        let (path, compressed) = try Self.zipBomb(lie: false)
        let (outcomes, error) = try Fixtures.readAll(path, keepBytes: false)
        #expect(error == nil)
        #expect(outcomes.count == 3)
        let bomb = try #require(outcomes.first { $0.entry.name == "bomb.txt" })
        #expect(bomb.entry.declaredSize == 200 << 20)
        #expect(bomb.failure == .decompressionBomb)
        #expect(bomb.failure?.code == "decompression_bomb")
        #expect(
            bomb.failure?.message == "bomb.txt declares 200 MiB from \(compressed >> 10) KiB: over the limit of 200:1")
        #expect(bomb.delivered == 0)
        let good = try Fixtures.readAll(path)
        Self.expectGoodEntries(good.outcomes)
    }

    @Test("a bomb whose headers lie stops at the entry limit while inflating: no byte past it delivered")
    func lyingBombStopsAtEntryLimit() throws {
        let (path, _) = try Self.zipBomb(lie: true)
        let limits = ArchiveLimits(maxEntryBytes: 10 << 20, maxRatio: 1_000_000)
        let (outcomes, error) = try Fixtures.readAll(path, limits: limits, keepBytes: false)
        #expect(error == nil)
        let bomb = try #require(outcomes.first { $0.entry.name == "bomb.txt" })
        #expect(bomb.entry.declaredSize == 1000)
        #expect(bomb.failure == .decompressionBomb)
        #expect(bomb.failure?.message.contains("over the limit of 10 MiB per entry") == true)
        #expect(bomb.delivered <= 10 << 20)
        #expect(bomb.delivered >= (10 << 20) - (64 << 10))
        Self.expectGoodEntries(try Fixtures.readAll(path, limits: limits).outcomes)
    }

    @Test("a bomb whose headers lie stops at the ratio once past 1 MiB")
    func lyingBombStopsAtRatio() throws {
        let (path, compressed) = try Self.zipBomb(lie: true)
        let limits = ArchiveLimits(maxEntryBytes: 1 << 30, maxRatio: 200)
        let (outcomes, error) = try Fixtures.readAll(path, limits: limits, keepBytes: false)
        #expect(error == nil)
        let bomb = try #require(outcomes.first { $0.entry.name == "bomb.txt" })
        #expect(bomb.failure == .decompressionBomb)
        #expect(bomb.failure?.message.contains("over the limit of 200:1") == true)
        #expect(bomb.delivered <= 200 * compressed)
        #expect(bomb.delivered > 1 << 20)
        Self.expectGoodEntries(try Fixtures.readAll(path, limits: limits).outcomes)
    }

    @Test("the total across entries is capped: the entry that crosses it stops there, then the archive does")
    func totalCap() throws {
        let dir = try Fixtures.directory()
        try Fixtures.python(
            #"""
            with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_STORED) as z:
                for i in range(5):
                    z.writestr('part-%d.bin' % i, random_bytes(str(i), 1 << 20))
            """#, dir + "/parts.zip")
        let limits = ArchiveLimits(maxTotalBytes: 5 << 19)
        let (outcomes, error) = try Fixtures.readAll(dir + "/parts.zip", limits: limits)
        #expect(outcomes.count == 3)
        #expect(outcomes[0...1].allSatisfy { $0.failure == nil && $0.bytes?.count == 1 << 20 })
        #expect(outcomes[2].failure == .decompressionBomb)
        #expect(outcomes[2].delivered <= 1 << 19)
        #expect(error == .decompressionBomb)
        #expect(error?.message.contains("2.5 MiB in all") == true)
    }

    /// A tar of `good-1.txt`, `zeros.bin` (100 MiB of zeros) and `good-2.txt`, compressed with gzip and zstd.
    static func compressedTarBomb(in dir: String) throws {
        try Fixtures.python(
            #"""
            class Zeros(io.RawIOBase):
                def readable(self): return True
                def readinto(self, b):
                    b[:] = bytes(len(b))
                    return len(b)
            with tarfile.open(sys.argv[1] + '/bomb.tar', 'w') as t:
                for name, size in [('good-1.txt', None), ('zeros.bin', 100 << 20), ('good-2.txt', None)]:
                    info = tarfile.TarInfo(name)
                    data = None if size else content(name)
                    info.size = size or len(data)
                    t.addfile(info, io.BufferedReader(Zeros()) if size else io.BytesIO(data))
            """#, dir)
        try Fixtures.run([
            "sh", "-c", "cd '\(dir)' && gzip -k bomb.tar && zstd -q -19 bomb.tar -o bomb.tar.zst && rm bomb.tar",
        ])
    }

    @Test("a compressed tar: an entry over the limit is refused by its size; skipping it, the stream's ratio stops")
    func compressedTarBomb() throws {
        let dir = try Fixtures.directory()
        try Self.compressedTarBomb(in: dir)
        for archive in ["bomb.tar.gz", "bomb.tar.zst"] {
            let (outcomes, error) = try Fixtures.readAll("\(dir)/\(archive)")
            #expect(outcomes.map(\.entry.name) == ["good-1.txt", "zeros.bin"], "\(archive)")
            #expect(outcomes.first?.failure == nil)
            #expect(outcomes.first?.bytes?.isEmpty == false)
            #expect(outcomes.last?.failure == .tooLarge)
            #expect(outcomes.last?.failure?.message == "zeros.bin declares 100 MiB: over the limit of 10 MiB per entry")
            #expect(outcomes.last?.delivered == 0)
            #expect(error == .decompressionBomb, "\(archive)")
            #expect(error?.message.contains("expands past 200:1") == true, "\(archive): \(String(describing: error))")
        }
        // With the ratio lifted, the entry is skipped and the rest comes through; the total still caps the stream.
        let lifted = ArchiveLimits(maxRatio: 1_000_000)
        for archive in ["bomb.tar.gz", "bomb.tar.zst"] {
            let (outcomes, error) = try Fixtures.readAll("\(dir)/\(archive)", limits: lifted)
            #expect(error == nil)
            #expect(outcomes.map(\.entry.name) == ["good-1.txt", "zeros.bin", "good-2.txt"])
            #expect(outcomes.last?.bytes?.isEmpty == false)
            var capped = lifted
            capped.maxTotalBytes = 50 << 20
            let (_, cappedError) = try Fixtures.readAll("\(dir)/\(archive)", limits: capped)
            #expect(cappedError == .decompressionBomb)
            #expect(cappedError?.message.contains("past the limit of 50 MiB") == true)
        }
    }

    // The process's peak RSS is no measure here: other suites run in the same process at the same time.
    // Memory over a whole import is measured by Benchmarks/pipeline (RSS every 1,000 documents).
    @Test("a 200 MiB entry read whole comes in chunks of at most 64 KiB (nothing holds the entry)")
    func boundedChunks() throws {
        let (path, _) = try Self.zipBomb(lie: false)
        let limits = ArchiveLimits(maxEntryBytes: 256 << 20, maxRatio: 1_000_000)
        let reader = try ArchiveReader(path: path, limits: limits)
        var delivered: UInt64 = 0
        var largestChunk = 0
        while let entry = try reader.next() {
            guard entry.name == "bomb.txt" else { continue }
            try reader.readEntry { chunk in
                delivered += UInt64(chunk.count)
                largestChunk = max(largestChunk, chunk.count)
            }
        }
        #expect(delivered == 200 << 20)
        #expect(largestChunk <= ArchiveReader.chunkSize)
    }
}
