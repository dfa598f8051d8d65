import Loop
import Logging

/// Where the pool's documents come from (the spool's backlog, or files named on a command line).
public protocol ExtractionSource: AnyObject {
    /// The next document, waiting for one if none is ready; `nil` when there will be no more.
    @LoopActor func next() async -> ExtractionInput?
}

/// The next stage, as the pool sees it.
public protocol ExtractionConsumer: AnyObject {
    /// Returns once the consumer can take one more document: the pool asks before it pulls from its
    /// source, so a slow next stage slows extraction down instead of growing a queue.
    @LoopActor func waitForRoom() async
    /// Takes a finished document (extracted or failed).
    @LoopActor func accept(_ document: ExtractedDocument) async
}

/// The bounded pool: `concurrency` workers, each pulling a document only when it is free and the next
/// stage has room, extracting it, and handing it on.
///
/// Documents in flight are at most `concurrency` (plus what the consumer holds); converter processes at
/// once are bounded separately by the extractor's ``ProcessSlots``. Memory does not grow with the backlog:
/// the backlog stays on disk until a worker pulls it.
@LoopActor
public final class ExtractPool {
    public let extractor: Extractor
    private let source: any ExtractionSource
    private let consumer: any ExtractionConsumer
    private let workers: Int
    private let logger: Logger
    private let metrics: ExtractMetrics?
    private var running = 0
    private var finished: [CheckedContinuation<Void, Never>] = []

    /// Documents being extracted now.
    public private(set) var inFlight = 0
    /// Documents handed on, by status.
    public private(set) var extracted = 0
    public private(set) var failed = 0

    public init(extractor: Extractor, source: any ExtractionSource, consumer: any ExtractionConsumer,
                workers: Int? = nil, metrics: ExtractMetrics? = nil, logger: Logger) {
        self.metrics = metrics
        self.extractor = extractor
        self.source = source
        self.consumer = consumer
        self.workers = workers ?? extractor.configuration.concurrency
        self.logger = logger
    }

    /// Starts the workers; they stop when the source is exhausted.
    public func start() {
        for _ in 0..<workers {
            running += 1
            EventLoop.spawn { await self.work() }
        }
    }

    /// Waits until every worker has stopped (the source returned `nil` and the last document was handed on).
    public func waitUntilDone() async {
        if running == 0 { return }
        await withCheckedContinuation(isolation: LoopActor.shared) { finished.append($0) }
    }

    /// Runs the pool until the source is exhausted.
    public func run() async {
        start()
        await waitUntilDone()
    }

    private func work() async {
        while true {
            await consumer.waitForRoom()
            guard let input = await source.next() else { break }
            inFlight += 1
            metrics?.started(inFlight: inFlight)
            let document = await extractor.extract(input)
            inFlight -= 1
            metrics?.finished(document, inFlight: inFlight)
            if document.status == .extracted { extracted += 1 } else { failed += 1 }
            logger.debug("extracted", metadata: [
                "id": "\(input.id)", "status": "\(document.status.rawValue)",
                "extractor": "\(document.extractor ?? "-")", "code": "\(document.failure?.code.rawValue ?? "-")",
                "ms": "\(Int(document.milliseconds))",
            ])
            await consumer.accept(document)
        }
        running -= 1
        if running == 0 {
            let waiters = finished
            finished = []
            waiters.forEach { $0.resume() }
        }
    }
}
