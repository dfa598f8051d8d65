@testable import HTTP1

/// One request as the parser delivered it: the head and the concatenation of its `.body` events.
struct ParsedRequest: Equatable {
    var head: HTTPRequestHead
    var body: [UInt8]
}

/// Everything a parser run produced, in a form that does not depend on how the input was split.
struct ParseOutcome: Equatable {
    /// Completed requests (`.end` seen).
    var requests: [ParsedRequest] = []
    /// A head whose `.end` did not arrive, with the body bytes seen so far.
    var pending: ParsedRequest?
    /// The error that stopped parsing, if any.
    var error: HTTPParseError?
    /// `isMidMessage` after the last byte.
    var midMessage = false
    /// Protocol violations of the parser itself (event order, consumed counts), empty when it behaved.
    var violations: [String] = []

    /// The error code, or `nil`.
    var errorCode: String? { error?.code }
}

/// Feeds inputs to an ``HTTPRequestParser`` the way a connection does: re-feeding the unconsumed rest after each
/// `.end`, and checking the parser's contract on every call.
enum HTTPParserDriver {
    /// Runs the parser over `pieces`, in order, as separate reads.
    static func run(_ pieces: [[UInt8]], limits: HTTPParserLimits = .init()) -> ParseOutcome {
        var parser = HTTPRequestParser(limits: limits)
        var outcome = ParseOutcome()
        var endsInCall = 0
        pieces: for piece in pieces {
            var offset = 0
            while offset < piece.count {
                endsInCall = 0
                let remaining = piece.count - offset
                let result = piece[offset...].withUnsafeBytes { bytes in
                    Result { () throws(HTTPParseError) -> Int in
                        try parser.parse(bytes) { event in
                            record(event, into: &outcome, ends: &endsInCall)
                        }
                    }
                }
                switch result {
                case .success(let consumed):
                    if consumed < 1 || consumed > remaining {
                        outcome.violations.append("consumed \(consumed) of \(remaining)")
                        break pieces
                    }
                    if endsInCall > 1 { outcome.violations.append("\(endsInCall) .end events in one call") }
                    if consumed < remaining && endsInCall != 1 {
                        outcome.violations.append("stopped at \(consumed) of \(remaining) without .end")
                    }
                    offset += consumed
                case .failure(let error):
                    outcome.error = error
                    break pieces
                }
            }
        }
        outcome.midMessage = parser.isMidMessage
        if outcome.error == nil, parser.isIdle == parser.isMidMessage {
            outcome.violations.append("isIdle == isMidMessage outside the failed state")
        }
        return outcome
    }

    private static func record(_ event: HTTPParserEvent, into outcome: inout ParseOutcome, ends: inout Int) {
        switch event {
        case .head(let head):
            if outcome.pending != nil { outcome.violations.append(".head before .end") }
            outcome.pending = ParsedRequest(head: head, body: [])
        case .body(let bytes):
            if bytes.isEmpty { outcome.violations.append("empty .body") }
            if outcome.pending == nil {
                outcome.violations.append(".body without .head")
            } else {
                outcome.pending!.body.append(contentsOf: bytes)
            }
        case .end:
            ends += 1
            if let pending = outcome.pending {
                outcome.requests.append(pending)
                outcome.pending = nil
            } else {
                outcome.violations.append(".end without .head")
            }
        }
    }

    /// Parses `input` in one piece.
    static func oneShot(_ input: [UInt8], limits: HTTPParserLimits = .init()) -> ParseOutcome {
        run([input], limits: limits)
    }

    /// Parses `input` as two reads split at `index`.
    static func split(_ input: [UInt8], at index: Int, limits: HTTPParserLimits = .init()) -> ParseOutcome {
        run([Array(input[..<index]), Array(input[index...])], limits: limits)
    }

    /// Parses `input` one byte per read.
    static func byteByByte(_ input: [UInt8], limits: HTTPParserLimits = .init()) -> ParseOutcome {
        run(input.map { [$0] }, limits: limits)
    }
}

extension Array where Element == UInt8 {
    /// The UTF-8 bytes of `string`.
    init(http string: String) {
        self = Array(string.utf8)
    }
}
