// libFuzzer entry for HTTPRequestParser. Built by scripts/fuzz.sh together with the pure parser sources only
// (no Foundation, no package): swiftc -sanitize=fuzzer,address -parse-as-library.

/// What one run of the parser over a split input produced, independent of the split.
private struct FuzzOutcome: Equatable {
    /// `.head` targets, body bytes and `.end` markers, with consecutive body bytes coalesced.
    var events: [FuzzEvent] = []
    var errorCode: String?
    var midMessage = false
}

private enum FuzzEvent: Equatable {
    case head(HTTPRequestHead)
    case body([UInt8])
    case end
}

/// Feeds `input` split at the given offsets, re-feeding the unconsumed rest after each `.end`, and checks the
/// parser's contract with preconditions.
private func run(_ input: UnsafeBufferPointer<UInt8>, splits: [Int]) -> FuzzOutcome {
    var parser = HTTPRequestParser(limits: HTTPParserLimits(
        maxRequestLineBytes: 256, maxHeaderBytes: 512, maxHeaderCount: 8, maxChunkExtensionBytes: 32,
        maxTrailerBytes: 64))
    var outcome = FuzzOutcome()
    var bounds = [0] + splits.filter { $0 > 0 && $0 < input.count }.sorted() + [input.count]
    bounds = bounds.enumerated().filter { $0.offset == 0 || $0.element != bounds[$0.offset - 1] }.map(\.element)
    var inMessage = false
    pieces: for (start, end) in zip(bounds, bounds.dropFirst()) {
        var offset = start
        while offset < end {
            let piece = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(input)[offset..<end])
            var ends = 0
            do {
                let consumed = try parser.parse(piece) { event in
                    switch event {
                    case .head(let head):
                        precondition(!inMessage, ".head inside a message")
                        inMessage = true
                        outcome.events.append(.head(head))
                    case .body(let bytes):
                        precondition(inMessage && !bytes.isEmpty, "bad .body")
                        let start = bytes.baseAddress! - piece.baseAddress!
                        precondition(start >= 0 && start + bytes.count <= piece.count, ".body outside the input")
                        if case .body(let previous) = outcome.events.last {
                            outcome.events[outcome.events.count - 1] = .body(previous + Array(bytes))
                        } else {
                            outcome.events.append(.body(Array(bytes)))
                        }
                    case .end:
                        precondition(inMessage, ".end outside a message")
                        inMessage = false
                        ends += 1
                        outcome.events.append(.end)
                    }
                }
                precondition(consumed >= 1 && consumed <= piece.count, "consumed \(consumed) of \(piece.count)")
                precondition(ends <= 1, "more than one .end per call")
                precondition(consumed == piece.count || ends == 1, "stopped early without .end")
                offset += consumed
            } catch {
                precondition(error.status >= 400 && error.status < 600 && !error.code.isEmpty)
                outcome.errorCode = error.code
                break pieces
            }
        }
    }
    outcome.midMessage = parser.isMidMessage
    if outcome.errorCode == nil {
        precondition(parser.isIdle != parser.isMidMessage, "isIdle and isMidMessage agree")
        precondition(parser.isMidMessage || !inMessage, "not mid-message inside a message")
    }
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let reference = run(input, splits: [])
    let seed = input.reduce(UInt64(size)) { $0 &* 31 &+ UInt64($1) }
    let splitSets: [[Int]] = [
        [size / 2],
        [1, size - 1],
        [Int(seed % UInt64(max(size, 1))), size / 3, 2 * size / 3],
        size <= 512 ? Array(1..<max(size, 1)) : stride(from: 7, to: size, by: 7).map { $0 },
    ]
    for splits in splitSets {
        let outcome = run(input, splits: splits)
        precondition(outcome == reference, "events depend on how the input was split: \(splits)")
    }
    return 0
}
