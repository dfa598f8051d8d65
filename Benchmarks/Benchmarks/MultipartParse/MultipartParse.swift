// Our streaming multipart parser against vapor/multipart-kit's, on the same bytes in the same 64 KiB chunks:
// 16 parts of 1 MiB of seeded random bytes under a browser-style boundary.

import Benchmark
import Ingest
import MultipartKit
import NIOCore

/// The request body both parsers read.
enum MultipartCorpus {
    static let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
    static let partCount = 16
    static let partBytes = 1 << 20
    static let chunkBytes = 64 * 1024

    /// SplitMix64, so the bytes are the same on every run.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let body: [UInt8] = {
        var generator = Generator(state: 0x5EED)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(partCount * (partBytes + 200))
        for index in 0..<partCount {
            bytes += Array(("--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; "
                + "filename=\"cv\(index).bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").utf8)
            for _ in 0..<(partBytes / 8) {
                withUnsafeBytes(of: generator.next()) { bytes += $0 }
            }
            bytes += Array("\r\n".utf8)
        }
        bytes += Array("--\(boundary)--\r\n".utf8)
        return bytes
    }()

    /// `body` cut into 64 KiB `ByteBuffer`s for multipart-kit (built once, outside the measurement).
    static let byteBuffers: [ByteBuffer] = stride(from: 0, to: body.count, by: chunkBytes).map {
        ByteBuffer(bytes: body[$0..<min($0 + chunkBytes, body.count)])
    }
}

let benchmarks: @Sendable () -> Void = {
    let bodyBytes = MultipartCorpus.body.count
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 3,
        maxDuration: .seconds(3),
        maxIterations: 1000
    )
    _ = MultipartCorpus.byteBuffers

    Benchmark("ingest \(bodyBytes) bytes", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            var parser = try Ingest.MultipartParser(boundary: MultipartCorpus.boundary)
            var received = 0
            var parts = 0
            try MultipartCorpus.body.withUnsafeBytes { body in
                var offset = 0
                while offset < body.count {
                    let end = min(offset + MultipartCorpus.chunkBytes, body.count)
                    try parser.parse(UnsafeRawBufferPointer(rebasing: body[offset..<end])) { event in
                        switch event {
                        case .body(let bytes): received &+= bytes.count
                        case .partEnd: parts &+= 1
                        default: break
                        }
                    }
                    offset = end
                }
            }
            try parser.finish()
            precondition(received == MultipartCorpus.partCount * MultipartCorpus.partBytes && parts == 16)
            blackHole(received)
        }
    }

    Benchmark("multipart-kit \(bodyBytes) bytes", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            let parser = MultipartKit.MultipartParser(boundary: MultipartCorpus.boundary)
            var received = 0
            var parts = 0
            parser.onBody = { received &+= $0.readableBytes }
            parser.onPartComplete = { parts &+= 1 }
            for chunk in MultipartCorpus.byteBuffers {
                try parser.execute(chunk)
            }
            precondition(received == MultipartCorpus.partCount * MultipartCorpus.partBytes && parts == 16)
            blackHole(received)
        }
    }
}
