import Foundation
import Testing

@testable import HTTP1

/// Replays the HTTP fuzz corpus (seeds, and every crash kept as a regression input once fixed): each input
/// must give the same outcome one-shot, split at every point, and byte by byte, with no contract violation.
@Suite("HTTP parser: fuzz corpus replay")
struct HTTPFuzzCorpusTests {
    static let corpus: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus/http")

    static var inputs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? []).sorted()
    }

    @Test("the corpus is there")
    func corpusExists() {
        #expect(Self.inputs.count >= 5, "no corpus at \(Self.corpus.path)")
    }

    @Test("each corpus input parses the same however it is split", arguments: inputs)
    func replay(name: String) throws {
        let input = try [UInt8](Data(contentsOf: Self.corpus.appendingPathComponent(name)))
        let oneShot = HTTPParserDriver.oneShot(input)
        #expect(oneShot.violations.isEmpty, "\(oneShot.violations)")
        for index in 0...input.count {
            let split = HTTPParserDriver.split(input, at: index)
            #expect(split == oneShot, "split at \(index)")
            if split != oneShot { break }
        }
        #expect(HTTPParserDriver.byteByByte(input) == oneShot)
    }
}
