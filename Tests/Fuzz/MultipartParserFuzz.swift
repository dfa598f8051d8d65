// libFuzzer entry for the multipart parser. Built by scripts/fuzz.sh with
//   swiftc -sanitize=fuzzer,address -parse-as-library -O \
//       Sources/Ingest/Multipart/*.swift Tests/Fuzz/MultipartParserFuzz.swift
// Run it with SWIFT_BACKTRACE=enable=no: on a crash, Swift's backtracer can otherwise hang under ASan.
//
// Input: byte 0 picks the boundary (bit 0: short, searched with memchr; long, searched with Horspool) and bytes 1 and 2
// pick two split points; the rest is the body. The body is parsed one-shot, in three pieces, and (when short) one byte
// at a time; the events (bodies merged) and the error must be the same every time, and must follow the grammar
// `(partBegin body* partEnd)+ end`.

/// An event with its body copied, for comparing runs.
private enum FuzzEvent: Equatable {
    case partBegin(MultipartPartHead)
    case body([UInt8])
    case partEnd
    case end
}

private struct FuzzOutcome: Equatable {
    var events: [FuzzEvent] = []
    var error: MultipartError?
    var errorMessage: String?
}

private let fuzzLimits = MultipartLimits(maxPartCount: 8, maxPartHeaderBytes: 256, maxPartHeaderCount: 4)

private func run(_ body: UnsafeRawBufferPointer, boundary: String, cuts: [Int]) -> FuzzOutcome {
    var outcome = FuzzOutcome()
    var parser = try! MultipartParser(boundary: boundary, limits: fuzzLimits)
    let bounds = [0] + cuts + [body.count]
    do throws(MultipartError) {
        for index in 0..<(bounds.count - 1) {
            try parser.parse(UnsafeRawBufferPointer(rebasing: body[bounds[index]..<bounds[index + 1]])) { event in
                switch event {
                case .partBegin(let head):
                    outcome.events.append(.partBegin(head))
                case .body(let slice):
                    precondition(!slice.isEmpty, "empty body event")
                    if case .body(let previous) = outcome.events.last {
                        outcome.events[outcome.events.count - 1] = .body(previous + Array(slice))
                    } else {
                        outcome.events.append(.body(Array(slice)))
                    }
                case .partEnd:
                    outcome.events.append(.partEnd)
                case .end:
                    outcome.events.append(.end)
                }
            }
        }
        try parser.finish()
        precondition(parser.isFinished, "finish() succeeded before the closing delimiter")
    } catch {
        precondition(!parser.isFinished, "error after the closing delimiter")
        outcome.error = error
        outcome.errorMessage = error.message
    }
    checkGrammar(outcome)
    return outcome
}

private func checkGrammar(_ outcome: FuzzOutcome) {
    var inPart = false
    var bodyBytes = 0
    for (index, event) in outcome.events.enumerated() {
        switch event {
        case .partBegin(let head):
            precondition(!inPart, "partBegin inside a part")
            precondition(head.headers.count <= fuzzLimits.maxPartHeaderCount, "header count over the limit")
            inPart = true
        case .body(let bytes):
            precondition(inPart, "body outside a part")
            bodyBytes += bytes.count
        case .partEnd:
            precondition(inPart, "partEnd outside a part")
            inPart = false
        case .end:
            precondition(!inPart && index == outcome.events.count - 1, "end inside a part or not last")
            precondition(outcome.error == nil, "end then an error")
        }
    }
    precondition(outcome.error != nil || outcome.events.last == .end, "no end and no error")
    _ = bodyBytes
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 3 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let boundary = input[0] & 1 == 0 ? "xy" : "----FuzzBoundary0123456789"
    let body = UnsafeRawBufferPointer(rebasing: input[3...])
    let first = body.isEmpty ? 0 : Int(input[1]) % (body.count + 1)
    let second = body.isEmpty ? 0 : first + Int(input[2]) % (body.count - first + 1)

    let oneShot = run(body, boundary: boundary, cuts: [])
    let split = run(body, boundary: boundary, cuts: [first, second])
    precondition(oneShot == split, "split at \(first), \(second) changed the result")
    if body.count <= 1024 {
        let byByte = run(body, boundary: boundary, cuts: Array(0...body.count))
        precondition(oneShot == byByte, "byte-at-a-time changed the result")
    }
    return 0
}
