@testable import Loop
import Testing


@Suite("Identifiers and JSON text")
struct DocumentIDTests {
    @Test("ids are UUIDv7: version and variant bits, canonical text that parses back, time-ordered")
    func uuidv7() throws {
        let a = DocumentID()
        let text = a.description
        #expect(text.count == 36)
        #expect(Array(text)[14] == "7")
        #expect("89ab".contains(Array(text)[19]))
        #expect(DocumentID(text) == a)
        #expect(DocumentID("not-a-uuid") == nil)
        let ids = (0..<50).map { _ in DocumentID() }
        for (x, y) in zip(ids, ids.dropFirst()) {
            #expect(x.bytes.prefix(6).lexicographicallyPrecedes(y.bytes.prefix(6)) || x.bytes.prefix(6) == y.bytes.prefix(6))
        }
        #expect(Set(ids).count == 50)
    }

    @Test("RFC 3339 times read back to the millisecond they were written from; other shapes are refused")
    func rfc3339RoundTrip() {
        for ms: Int64 in [0, 1_795_000_000_007, 1_763_856_000_999, 951_782_400_500] {
            let text = Timestamp.rfc3339(unixMilliseconds: ms)
            #expect(Timestamp.unixMilliseconds(rfc3339: text) == ms, "\(text)")
        }
        #expect(Timestamp.unixMilliseconds(rfc3339: "2026-11-23T01:04:12Z") == 1_795_395_852_000)
        #expect(Timestamp.unixMilliseconds(rfc3339: "2026-11-23T01:04:12.5Z") == 1_795_395_852_500)
        for bad in ["", "2026-11-23", "2026-11-23 01:04:12Z", "2026-11-23T01:04:12+01:00", "2026-11-23T01:04:12.Z",
                    "2026-1x-23T01:04:12Z"] {
            #expect(Timestamp.unixMilliseconds(rfc3339: bad) == nil, "\(bad)")
        }
    }

    @Test("JSON strings escape quotes, backslashes and control characters")
    func jsonEscaping() {
        var out: [UInt8] = []
        JSONText.appendString("a\"b\\c\nd\u{01}é", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""a\"b\\c\nd\u0001é""#)
    }
}
