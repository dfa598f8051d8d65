import Testing

@testable import Sink

@Suite("Binary COPY encoding")
struct CopyBinaryEncoderTests {
    static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]

    @Test("an empty stream is the header and the trailer")
    func empty() {
        var encoder = CopyBinaryEncoder()
        let bytes = encoder.finish()
        #expect(bytes == Self.header + [0xFF, 0xFF])
    }

    @Test("one row of every type, byte for byte")
    func everyType() {
        var encoder = CopyBinaryEncoder()
        encoder.beginRow(fields: 9)
        encoder.bool(true)
        encoder.int16(-2)
        encoder.int32(258)
        encoder.int64(1)
        encoder.text("é")
        encoder.bytea([0xDE, 0xAD])
        encoder.uuid(Array(0..<16))
        encoder.timestamp(unixMilliseconds: 946_684_800_001)
        encoder.jsonb(Array("{}".utf8))
        let expected: [UInt8] = Self.header
            + [0, 9]
            + [0, 0, 0, 1, 1]
            + [0, 0, 0, 2, 0xFF, 0xFE]
            + [0, 0, 0, 4, 0, 0, 1, 2]
            + [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1]
            + [0, 0, 0, 2, 0xC3, 0xA9]
            + [0, 0, 0, 2, 0xDE, 0xAD]
            + [0, 0, 0, 16] + Array(0..<16)
            + [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0x03, 0xE8]
            + [0, 0, 0, 3, 1, 0x7B, 0x7D]
            + [0xFF, 0xFF]
        let bytes = encoder.finish()
        #expect(bytes == expected)
        #expect(encoder.rowCount == 1)
    }

    @Test("double precision is its IEEE 754 bits, big-endian, negative zero and infinities included")
    func float64() {
        var encoder = CopyBinaryEncoder()
        encoder.beginRow(fields: 3)
        encoder.float64(1.5)
        encoder.float64(-0.0)
        encoder.float64(-.infinity)
        let expected: [UInt8] = Self.header
            + [0, 3]
            + [0, 0, 0, 8, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0]
            + [0, 0, 0, 8, 0x80, 0, 0, 0, 0, 0, 0, 0]
            + [0, 0, 0, 8, 0xFF, 0xF0, 0, 0, 0, 0, 0, 0]
            + [0xFF, 0xFF]
        #expect(encoder.finish() == expected)
    }

    @Test("NULL is length -1 with no bytes; streaming in pieces gives the same bytes")
    func nullAndPieces() {
        var whole = CopyBinaryEncoder()
        var pieces = CopyBinaryEncoder()
        var streamed: [UInt8] = []
        for i in 0..<3 {
            for encoder in [0, 1] {
                if encoder == 0 {
                    whole.beginRow(fields: 2)
                    whole.null()
                    whole.int32(Int32(i))
                } else {
                    pieces.beginRow(fields: 2)
                    pieces.null()
                    pieces.int32(Int32(i))
                    streamed += pieces.takeBytes()
                }
            }
        }
        streamed += pieces.finish()
        let bytes = whole.finish()
        #expect(streamed == bytes)
        #expect(Array(bytes[19..<25]) == [0, 2, 0xFF, 0xFF, 0xFF, 0xFF])
    }
}
