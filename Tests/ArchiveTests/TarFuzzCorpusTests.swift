import Foundation
import Testing

@testable import Archive

/// Replays the tar fuzz corpus (seeds, and every crash kept as a regression input once fixed) through the
/// fuzzer's driver: no contract violation, the same verdict twice, and for the seeds the members they hold.
@Suite("Tar parser: fuzz corpus replay")
struct TarFuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus/tar")

    static var inputs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? []).sorted()
    }

    @Test("the seeds read to their end with their members")
    func seeds() throws {
        let expected = ["gnu-long-name-and-link": 2, "pax-path-and-global": 2, "ustar-two-files": 2]
        for (name, members) in expected {
            let input = try [UInt8](Data(contentsOf: Self.corpus.appendingPathComponent(name)))
            let outcome = TarFuzzDriver.run(input)
            #expect(outcome == .init(members: members, ended: true, errorCode: nil), "\(name)")
        }
    }

    @Test("each corpus input, and each cut of it, keeps the parser's contract", arguments: inputs)
    func replay(name: String) throws {
        let input = try [UInt8](Data(contentsOf: Self.corpus.appendingPathComponent(name)))
        #expect(TarFuzzDriver.run(input) == TarFuzzDriver.run(input))
        // Truncated at every block boundary: never more members than whole, never past the end.
        let whole = TarFuzzDriver.run(input)
        for cut in stride(from: 0, through: input.count, by: 512) {
            let outcome = TarFuzzDriver.run(Array(input.prefix(cut)))
            #expect(outcome.members <= whole.members || whole.errorCode != nil, "cut at \(cut)")
        }
        // A damaged first header (a byte of its mode field flipped) fails its checksum: corrupt, no member.
        guard input.count >= 512, input.contains(where: { $0 != 0 }) else { return }
        var damaged = input
        damaged[100] ^= 0x5A
        #expect(TarFuzzDriver.run(damaged) == .init(members: 0, ended: false, errorCode: "corrupt"))
    }
}
