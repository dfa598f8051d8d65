// libFuzzer entry for HTTPResponseParser (loadgen's client side). Built by scripts/fuzz.sh with the parser's one
// source file only: swiftc -sanitize=fuzzer,address -parse-as-library.

/// What the parser made of a whole connection's bytes: the answers in order, and how it ended.
private struct ResponseOutcome: Equatable {
    var answers: [HTTPResponseParser.Response] = []
    var error: HTTPResponseParseError?
    var leftover = false
    var atClose: HTTPResponseParser.Response?
}

/// Feeds `input` in pieces cut at `splits`, re-feeding what follows each answer, then ends the connection.
private func run(_ input: UnsafeBufferPointer<UInt8>, splits: [Int]) -> ResponseOutcome {
    var parser = HTTPResponseParser(maxHeadBytes: 512, keepBodyBytes: 16)
    var outcome = ResponseOutcome()
    var bounds = [0] + splits.filter { $0 > 0 && $0 < input.count }.sorted() + [input.count]
    bounds = bounds.enumerated().filter { $0.offset == 0 || $0.element != bounds[$0.offset - 1] }.map(\.element)
    for (start, end) in zip(bounds, bounds.dropFirst()) {
        var offset = start
        while offset < end {
            let piece = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(input)[offset..<end])
            do {
                switch try parser.feed(piece) {
                case .needMore:
                    offset = end
                case .complete(let response, let consumed):
                    precondition(consumed > 0 && consumed <= piece.count, "consumed \(consumed) of \(piece.count)")
                    precondition(response.body.count <= 16 && response.body.count <= response.bodyLength, "kept too much")
                    precondition((100...999).contains(response.status), "status \(response.status)")
                    outcome.answers.append(response)
                    offset += consumed
                }
            } catch {
                outcome.error = error
                return outcome
            }
        }
    }
    outcome.atClose = parser.finish()
    outcome.leftover = !parser.isIdle && outcome.atClose == nil
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
        // Where the bytes were cut must not change what was read.
        precondition(run(input, splits: splits) == reference, "split at \(splits) changed the outcome")
    }
    return 0
}
