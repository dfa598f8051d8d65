import ExtractPool
import Ingest
import Logging
import Loop

/// The extraction pool and its converters as one stage.
@LoopActor
public final class ExtractionStage: Stage {
    public let extractor: Extractor
    public let pool: ExtractPool

    init(extractor: Extractor, source: any ExtractionSource, consumer: any ExtractionConsumer,
         metrics: ExtractMetrics, logger: Logger) {
        self.extractor = extractor
        pool = ExtractPool(extractor: extractor, source: source, consumer: consumer, metrics: metrics, logger: logger)
    }

    public nonisolated var name: String { "extract_pool" }

    func start() { pool.start() }

    /// The pool pulls from the spool when it has room: nothing waits to get in.
    public func waitForRoom() async {}

    /// Documents being extracted finish (each is bounded by `EXTRACT_TIMEOUT_MS`); the spool has stopped
    /// handing out new ones. Workers waiting for room behind a parser or database that is down are not
    /// waited for past `timeoutMilliseconds`: they hold no document, and the later stages' close releases them.
    public func drain(timeoutMilliseconds: UInt64) async {
        _ = await EventLoop.wait(atMost: timeoutMilliseconds) { [pool] in await pool.waitUntilDone() }
    }

    public func close() async { await extractor.close() }

    public var status: StartupStatus.Component {
        .init(status: "ok", detail: "\(pool.inFlight) in flight, \(pool.extracted) extracted, \(pool.failed) failed")
    }
}
