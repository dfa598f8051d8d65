import TestSupport
@testable import HTTP1

/// An event as the tests record it: body slices copied, adjacent body slices merged.
enum MultipartRecordedEvent: Equatable, CustomStringConvertible {
    case partBegin(MultipartPartHead)
    case body([UInt8])
    case partEnd
    case end

    var description: String {
        switch self {
        case .partBegin(let head): "partBegin(\(head.name), \(head.filename ?? "nil"))"
        case .body(let bytes): "body(\(bytes.count) bytes: \(String(decoding: bytes.prefix(40), as: UTF8.self)))"
        case .partEnd: "partEnd"
        case .end: "end"
        }
    }
}

/// Everything one parse produced: the events, the error that stopped it (if any), and how many body events there were.
struct MultipartParseOutcome: Equatable {
    var events: [MultipartRecordedEvent] = []
    var error: MultipartError?
    var bodyEventCount = 0
    var sawEmptyBody = false

    static func == (lhs: MultipartParseOutcome, rhs: MultipartParseOutcome) -> Bool {
        lhs.events == rhs.events && lhs.error == rhs.error && lhs.error?.message == rhs.error?.message
    }
}

/// Builds multipart bodies for the tests.
enum MultipartFixture {
    static let boundary = "----ResumeIngest7MA4YWxkTrZu0gW"

    struct Part {
        var headers: [String]
        var body: [UInt8]
    }

    static func part(name: String, filename: String? = nil, contentType: String? = nil, body: [UInt8]) -> Part {
        var disposition = "Content-Disposition: form-data; name=\"\(name)\""
        if let filename { disposition += "; filename=\"\(filename)\"" }
        var headers = [disposition]
        if let contentType { headers.append("Content-Type: \(contentType)") }
        return Part(headers: headers, body: body)
    }

    static func part(name: String, filename: String? = nil, contentType: String? = nil, text: String) -> Part {
        part(name: name, filename: filename, contentType: contentType, body: Array(text.utf8))
    }

    /// `preamble`, then each part after a delimiter line, then the closing delimiter and `epilogue`.
    static func body(
        _ parts: [Part],
        boundary: String = boundary,
        preamble: String = "",
        padding: String = "",
        epilogue: String = "\r\n"
    ) -> [UInt8] {
        var bytes = Array(preamble.utf8)
        for (index, part) in parts.enumerated() {
            bytes += Array(((index == 0 && preamble.isEmpty ? "" : "\r\n") + "--" + boundary + padding + "\r\n").utf8)
            for header in part.headers { bytes += Array((header + "\r\n").utf8) }
            bytes += Array("\r\n".utf8)
            bytes += part.body
        }
        bytes += Array("\r\n--\(boundary)--\(epilogue)".utf8)
        return bytes
    }
}

/// A part as the tests expect it.
struct ExpectedMultipartPart: Equatable, Sendable, CustomStringConvertible {
    var name: String
    var filename: String? = nil
    var contentType: String? = nil
    var body: [UInt8]

    init(name: String, filename: String? = nil, contentType: String? = nil, body: [UInt8]) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.body = body
    }

    init(name: String, filename: String? = nil, contentType: String? = nil, text: String) {
        self.init(name: name, filename: filename, contentType: contentType, body: Array(text.utf8))
    }

    var description: String { "\(name)/\(filename ?? "-")/\(contentType ?? "-")/\(body.count)B" }
}

extension MultipartParseOutcome {
    /// The parts, if the events follow `(partBegin body? partEnd)+ end` with merged bodies; nil otherwise.
    var parts: [ExpectedMultipartPart]? {
        var parts: [ExpectedMultipartPart] = []
        var current: ExpectedMultipartPart?
        for (index, event) in events.enumerated() {
            switch event {
            case .partBegin(let head):
                guard current == nil else { return nil }
                current = ExpectedMultipartPart(
                    name: head.name, filename: head.filename, contentType: head.contentType, body: []
                )
            case .body(let bytes):
                guard current != nil, current!.body.isEmpty else { return nil }
                current!.body = bytes
            case .partEnd:
                guard let part = current else { return nil }
                parts.append(part)
                current = nil
            case .end:
                guard current == nil, index == events.count - 1 else { return nil }
            }
        }
        return current == nil ? parts : nil
    }
}

/// Parses `bytes` fed as the chunks that `splits` (ascending offsets) cut, then calls `finish()`.
func parseMultipart(
    _ bytes: [UInt8],
    boundary: String = MultipartFixture.boundary,
    limits: MultipartLimits = .init(),
    splits: [Int] = []
) -> MultipartParseOutcome {
    var outcome = MultipartParseOutcome()
    var parser: MultipartParser
    do throws(MultipartError) {
        parser = try MultipartParser(boundary: boundary, limits: limits)
    } catch {
        outcome.error = error
        return outcome
    }
    let record: (MultipartEvent) -> Void = { event in
        switch event {
        case .partBegin(let head): outcome.events.append(.partBegin(head))
        case .body(let slice):
            outcome.bodyEventCount += 1
            if slice.isEmpty { outcome.sawEmptyBody = true }
            if case .body(let previous) = outcome.events.last {
                outcome.events[outcome.events.count - 1] = .body(previous + Array(slice))
            } else {
                outcome.events.append(.body(Array(slice)))
            }
        case .partEnd: outcome.events.append(.partEnd)
        case .end: outcome.events.append(.end)
        }
    }
    let bounds = [0] + splits + [bytes.count]
    do throws(MultipartError) {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(MultipartError) in
                for index in 0..<(bounds.count - 1) {
                    try parser.parse(UnsafeRawBufferPointer(rebasing: buffer[bounds[index]..<bounds[index + 1]]),
                        onEvent: record)
                }
            }
        }.get()
        try parser.finish()
    } catch {
        outcome.error = error
    }
    return outcome
}

/// Parses `bytes` one-shot, at every two-piece split and one byte at a time; every result must equal the one-shot one.
/// Returns the one-shot outcome and the first differing (description, outcome), if any.
func parseMultipartAtEverySplit(
    _ bytes: [UInt8],
    boundary: String = MultipartFixture.boundary,
    limits: MultipartLimits = .init()
) -> (oneShot: MultipartParseOutcome, mismatch: (String, MultipartParseOutcome)?) {
    let oneShot = parseMultipart(bytes, boundary: boundary, limits: limits)
    for split in 0...bytes.count {
        let outcome = parseMultipart(bytes, boundary: boundary, limits: limits, splits: [split])
        if outcome != oneShot || outcome.sawEmptyBody { return (oneShot, ("split at \(split)", outcome)) }
    }
    let byByte = parseMultipart(bytes, boundary: boundary, limits: limits, splits: Array(0...bytes.count))
    if byByte != oneShot || byByte.sawEmptyBody { return (oneShot, ("one byte at a time", byByte)) }
    return (oneShot, nil)
}
