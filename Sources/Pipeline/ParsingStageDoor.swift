import Ingest
import LLMBatcher
import Loop

/// The parser (the LLM batcher, or the rules parser without an API key) as a stage.
@LoopActor
public final class ParsingStageDoor: Stage {
    /// The parser itself.
    public let parser: any ParsingStage

    init(_ parser: any ParsingStage) { self.parser = parser }

    public nonisolated var name: String { "llm" }

    public func waitForRoom() async { await parser.waitForRoom() }

    /// Parsing in flight gets `timeoutMilliseconds`; what does not finish is parsed again after a restart.
    public func drain(timeoutMilliseconds: UInt64) async {
        await parser.drain(timeoutMilliseconds: timeoutMilliseconds)
    }

    public func close() async { parser.close() }

    public var status: StartupStatus.Component {
        let summary = parser.summary
        return .init(status: summary.healthy ? "ok" : "degraded", detail: summary.detail)
    }
}
