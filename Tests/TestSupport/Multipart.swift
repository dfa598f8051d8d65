/// Builds multipart/form-data bodies for tests.
public struct MultipartBody {
    public let boundary: String
    public private(set) var bytes: [UInt8] = []

    public init(boundary: String = "----resume-ingest-test-boundary-7MA4YWxkTrZu0gW") {
        self.boundary = boundary
    }

    /// Appends a file part.
    public mutating func file(name: String = "files", filename: String, contentType: String = "application/octet-stream",
                              _ content: [UInt8]) {
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8)
        bytes += content
        bytes += Array("\r\n".utf8)
    }

    /// Appends a plain field.
    public mutating func field(name: String, _ value: String) {
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }

    /// Appends raw bytes (for malformed bodies).
    public mutating func raw(_ text: String) { bytes += Array(text.utf8) }

    /// The body with its closing delimiter.
    public var closed: [UInt8] { bytes + Array("--\(boundary)--\r\n".utf8) }

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// A whole request with `Content-Length`.
    public func request(body: [UInt8]? = nil, path: String = "/api/v1/bulk-parse-resumes",
                        extraHeaders: String = "") -> [UInt8] {
        let body = body ?? closed
        return Array("POST \(path) HTTP/1.1\r\nHost: test\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n\(extraHeaders)\r\n".utf8) + body
    }
}

/// A deterministic pseudo-random generator (SplitMix64), so fixtures, corpora and failures reproduce.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound`.
    public mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// `count` pseudo-random bytes.
    /// `count` lower-case letters and spaces: text that compresses about two to one, like prose.
    public mutating func letters(_ count: Int) -> [UInt8] {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz ".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count + 8)
        while out.count < count {
            var v = next()
            for _ in 0..<8 {
                out.append(alphabet[Int(v % UInt64(alphabet.count))])
                v /= UInt64(alphabet.count)
            }
        }
        return Array(out.prefix(count))
    }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count + 8)
        while out.count < count {
            let v = next()
            withUnsafeBytes(of: v) { out += $0 }
        }
        return Array(out.prefix(count))
    }
}

/// The generator under the name the upload tests use.
public typealias SeededBytes = SplitMix64
