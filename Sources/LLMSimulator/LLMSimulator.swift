import HTTP1
import ResumeModel
import Loop
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `llm-sim`: an OpenAI-compatible Chat Completions endpoint on the engine's own HTTP server and loop, for the
/// batcher's tests and benchmarks.
///
/// It enforces RPM/TPM limits and a context window with OpenAI's exact error bodies and headers, bills with a
/// tokenizer of its own, reports prompt-cache hits, answers after a latency that grows with the answer, and
/// injects server errors, garbage answers and dropped connections at configured rates (see
/// ``LLMSimulatorConfiguration``). Decisions are made by a pure engine; this class only runs them: it reads
/// bodies, queues accepted requests beyond ``LLMSimulatorConfiguration/maxConcurrentRequests``, and answers from
/// loop timers.
///
/// Routes: `POST /v1/chat/completions`, `GET /v1/models`, and the Batch API (`POST /v1/files`,
/// `GET /v1/files/{id}[/content]`, `POST /v1/batches`, `GET /v1/batches/{id}`); anything else is OpenAI's
/// `404 Invalid URL`.
@LoopActor
public final class LLMSimulator {
    /// The configuration it runs with.
    public private(set) var configuration: LLMSimulatorConfiguration
    /// Drives the rate-limit buckets, the prompt cache and the timestamps of answers and batches.
    let clock: any EngineClock
    /// The clock's reading at start: the buckets run on time elapsed since.
    private let origin: UInt64
    private let logger: Logger
    var engine: SimulatorEngine
    var batchStore = SimulatorBatchStore()
    /// Timers completing Batch API batches.
    private var batchTimers: [String: UVTimer] = [:]
    private var server: HTTPServer?
    private var router: SimulatorRouter?
    /// Accepted requests waiting for a slot, in arrival order (`head` is the next one).
    private var waiting: [PendingAnswer] = []
    private var waitingHead = 0
    /// Requests generating (their timers running).
    private var running: [ObjectIdentifier: PendingAnswer] = [:]

    /// A simulator with `configuration`; `clock` drives the rate-limit buckets and prompt cache.
    public init(configuration: LLMSimulatorConfiguration, clock: any EngineClock = SystemClock.shared,
                logger: Logger) {
        self.configuration = configuration
        self.clock = clock
        origin = clock.monotonicNanoseconds()
        self.logger = logger
        engine = SimulatorEngine(configuration: configuration, now: .zero)
    }

    /// Changes the key, the limits' messages or the faults while running (a key revoked mid-run, a storm of
    /// 429s that starts and stops); the buckets keep their levels and limits.
    public func reconfigure(_ change: (inout LLMSimulatorConfiguration) -> Void) {
        change(&configuration)
        engine.configuration = configuration
    }

    /// Binds and listens; returns the port bound.
    @discardableResult
    public func start() throws -> Int {
        let router = SimulatorRouter(simulator: self)
        // Request bodies are capped by the router (configuration.maxRequestBytes).
        var limits = HTTPServerLimits()
        limits.maxConnections = 16_384
        // Its clients are benchmarks and tests on this machine: one address holds every connection.
        limits.maxConnectionsPerClient = limits.maxConnections
        let server = HTTPServer(limits: limits, router: router, metrics: UnobservedHTTPServer(), logger: logger)
        let port = try server.start(host: configuration.host, port: configuration.port)
        self.server = server
        self.router = router
        logger.info("llm-sim listening", metadata: [
            "port": "\(port)", "model": "\(configuration.model)", "rpm": "\(configuration.requestsPerMinute)",
            "tpm": "\(configuration.tokensPerMinute)", "context_window": "\(configuration.contextWindow)",
        ])
        return port
    }

    /// The port bound, once started.
    public var port: Int? { server?.port }

    /// What it has seen and done so far.
    public var counters: LLMSimulatorCounters { engine.counters }

    /// The tokens-per-minute bucket's level now (benchmarks: capacity left unused is refill wasted).
    /// Time since the simulator started, on its clock.
    func now() -> Duration { clock.elapsed(since: origin) }

    public func availableTokens() -> Double { engine.availableTokens(now: now()) }

    /// Requests generating now, and accepted requests waiting for a slot.
    public var inFlight: Int { running.count }
    public var queued: Int { waiting.count - waitingHead }

    /// Stops listening, lets answers in flight finish for up to `graceMilliseconds`, then closes everything
    /// (timers included: nothing is left on the loop).
    public func shutdown(graceMilliseconds: Int = 1000) async {
        await server?.shutdown(graceMilliseconds: graceMilliseconds)
        for pending in running.values { pending.timer.close() }
        for timer in batchTimers.values { timer.close() }
        batchTimers = [:]
        running = [:]
        waiting = []
        waitingHead = 0
        server = nil
        router = nil
    }

    // MARK: Requests

    func chatCompletion(_ exchange: HTTPExchange, body: [UInt8]) {
        let outcome = engine.chatCompletion(authorization: exchange.head.headers.first("authorization"), body: body,
                                            now: now(), unixTime: clock.unixSeconds())
        switch outcome {
        case .respond(let response):
            exchange.respond(response)
        case .generate(let response, let latency, let drop):
            waiting.append(PendingAnswer(exchange: exchange, response: response, latency: latency, drop: drop))
            startWaiting()
        }
    }

    func scheduleBatchCompletion(_ id: String) {
        let timer = UVTimer()
        batchTimers[id] = timer
        timer.schedule(after: UInt64(configuration.batchCompletionMilliseconds)) { [weak self] in
            guard let self else { return }
            self.batchTimers.removeValue(forKey: id)?.close()
            self.batchStore.complete(id, now: clock.unixSeconds())
        }
    }

    /// Starts waiting answers while slots are free.
    private func startWaiting() {
        while running.count < configuration.maxConcurrentRequests, waitingHead < waiting.count {
            let pending = waiting[waitingHead]
            waitingHead += 1
            let key = ObjectIdentifier(pending)
            running[key] = pending
            pending.timer.schedule(after: pending.latency) { [weak self] in self?.finish(key) }
        }
        if waitingHead == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            waitingHead = 0
        } else if waitingHead > 1024, waitingHead * 2 > waiting.count {
            waiting.removeFirst(waitingHead)
            waitingHead = 0
        }
        engine.observe(inFlight: running.count, queued: queued)
    }

    private func finish(_ key: ObjectIdentifier) {
        guard let pending = running.removeValue(forKey: key) else { return }
        pending.timer.close()
        if let drop = pending.drop {
            pending.exchange.respondThenDrop(pending.response, afterBodyBytes: drop)
        } else {
            pending.exchange.respond(pending.response)
        }
        startWaiting()
    }
}

/// An accepted request's answer, waiting for a slot or for its latency to pass.
@LoopActor
private final class PendingAnswer {
    let exchange: HTTPExchange
    let response: HTTPResponse
    let latency: UInt64
    let drop: Int?
    /// Made when the answer starts, so waiting requests hold no loop handle.
    private(set) lazy var timer = UVTimer()

    init(exchange: HTTPExchange, response: HTTPResponse, latency: UInt64, drop: Int?) {
        self.exchange = exchange
        self.response = response
        self.latency = latency
        self.drop = drop
    }
}
