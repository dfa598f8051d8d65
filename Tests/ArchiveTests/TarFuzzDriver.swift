// Shared by ArchiveTests (corpus replay) and the tar fuzzer (scripts/fuzz.sh compiles this file with the tar
// sources, where everything is one module).
#if !TAR_FUZZER
@testable import Archive
#endif

/// Runs the parser over `input` as a whole tar stream, the way ``TarEntrySource`` does, and checks its contract:
/// every action consumes input or ends, offsets only grow, a member's data lies where the headers say.
enum TarFuzzDriver {
    struct Outcome: Equatable {
        var members = 0
        var ended = false
        var errorCode: String?
    }

    static func run(_ input: [UInt8]) -> Outcome {
        var parser = TarParser()
        var outcome = Outcome()
        var offset = 0
        var action = TarParser.Action.readHeader
        var steps = 0
        while true {
            steps += 1
            // Every header consumes a block; the step after it (an extension's data or a member's) may consume
            // nothing (a zero-length pax record, an empty file). So two steps per block, and the end.
            precondition(steps <= 2 * (input.count / 512) + 2, "more steps than blocks allow: the parser does not advance")
            switch action {
            case .readHeader:
                guard offset + 512 <= input.count else { return outcome }
                let block = Array(input[offset..<(offset + 512)])
                let at = UInt64(offset)
                offset += 512
                do {
                    action = try parser.header(block, at: at)
                } catch {
                    outcome.errorCode = error.code
                    return outcome
                }
            case .readExtension(let count, let padding):
                precondition(count >= 0 && padding >= 0 && padding < 512, "bad extension extent")
                precondition(count <= TarParser.maxExtensionBytes, "an extension over the limit was accepted")
                guard offset + count <= input.count else { return outcome }
                let data = Array(input[offset..<(offset + count)])
                offset += count + padding
                do {
                    action = try parser.extensionData(data)
                } catch {
                    outcome.errorCode = error.code
                    return outcome
                }
                precondition(action == .readHeader, "extension data must lead to the next header")
            case .member(let member):
                outcome.members += 1
                precondition(member.dataSize <= member.size, "more data than the member's size")
                precondition(member.headerOffset + 512 <= UInt64(offset), "a member after its header's end")
                let skip = member.dataSize + member.padding
                guard skip <= UInt64(input.count - offset) else { return outcome }
                offset += Int(skip)
                action = .readHeader
            case .end:
                outcome.ended = true
                return outcome
            }
        }
    }
}
