import Foundation
import Testing

@testable import HTTP1

/// Replays the fuzz corpus (seeds and every crash kept as a regression input) the way
/// `Tests/Fuzz/MultipartParserFuzz.swift` reads it: byte 0 picks the boundary, bytes 1 and 2 the split points.
@Suite("Multipart parser: fuzz corpus replay")
struct MultipartFuzzCorpusTests {
    static let corpus: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus/multipart")

    static var inputs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? []).sorted()
    }

    @Test("the corpus is there")
    func corpusExists() {
        #expect(Self.inputs.count >= 5, "no corpus at \(Self.corpus.path)")
    }

    @Test("each corpus input parses the same at every split point", arguments: inputs)
    func replay(name: String) throws {
        let input = try [UInt8](Data(contentsOf: Self.corpus.appendingPathComponent(name)))
        try #require(input.count >= 3)
        let boundary = input[0] & 1 == 0 ? "xy" : "----FuzzBoundary0123456789"
        let limits = MultipartLimits(maxPartCount: 8, maxPartHeaderBytes: 256, maxPartHeaderCount: 4)
        let (oneShot, mismatch) = parseMultipartAtEverySplit(Array(input[3...]), boundary: boundary, limits: limits)
        if let (where_, outcome) = mismatch {
            Issue.record("\(where_): \(outcome.events) \(String(describing: outcome.error)) != \(oneShot.events)")
        }
        #expect(oneShot.error != nil || oneShot.events.last == .end)
    }
}
