import LLMSimulator
import Loop
import ArgumentParser
import Ingest
import LLMBatcher
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `resume-ingest llm-sim`: an OpenAI-compatible simulator for the batcher's tests and benchmarks, until
/// SIGINT or SIGTERM.
struct LLMSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm-sim",
        abstract: "Serve an OpenAI-compatible Chat Completions simulator (rate limits, context window, faults).",
        discussion: """
            Point OPENAI_BASE_URL at http://HOST:PORT/v1. Answers are a crude extraction of each \
            <resume id="…"> block; usage is counted with the simulator's own tokenizer.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Port to listen on (0: any free port).")
    var port = 8090

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "The model served; requests naming another get 404 model_not_found.")
    var model = "gpt-4o-mini"

    @Option(help: "Requests per minute.")
    var rpm = 500

    @Option(help: "Tokens per minute (a request costs prompt + max_tokens at admission).")
    var tpm = 200_000

    @Option(help: "Context window in tokens.")
    var contextWindow = 128_000

    @Option(help: "Completion budget when a request names no max_tokens.")
    var maxOutputTokens = 16_384

    @Option(help: "Fixed latency of each answer, in milliseconds.")
    var latencyBaseMs = 300.0

    @Option(help: "Latency per completion token, in milliseconds.")
    var latencyPerTokenMs = 5.0

    @Option(help: "Latency jitter as a fraction (0.2: ±20 %).")
    var latencyJitter = 0.0

    @Option(help: "Share of accepted requests answered 500/503 server_error.")
    var errorRate = 0.0

    @Option(help: "Share of accepted requests answered with content that is not JSON.")
    var garbageRate = 0.0

    @Option(help: "Share of accepted requests whose connection is closed mid-response.")
    var dropRate = 0.0

    @Option(help: "Share of answers that leave their last resume out.")
    var omitLastRate = 0.0

    @Option(help: "Share of answers that are {\"results\":[]}.")
    var emptyResultsRate = 0.0

    @Option(help: "Share of requests refused 400 context_length_exceeded whatever their size.")
    var contextExceededRate = 0.0

    @Option(help: "Share of requests refused 429 (Retry-After: 1) whatever the buckets hold.")
    var rateLimitStormRate = 0.0

    @Option(help: "Share of scoring answers that add a reason quoting text not in the resume.")
    var scoringFabricatedQuoteRate = 0.0

    @Option(help: "Share of scoring answers whose reasons quote the resume at the wrong offsets.")
    var scoringWrongOffsetsRate = 0.0

    @Option(help: "Share of first scoring answers without a score.")
    var scoringNoScoreRate = 0.0

    @Option(help: "Share of answers to a scoring repair turn without a score.")
    var scoringRepairNoScoreRate = 0.0

    @Option(help: "Requests generated at once; more wait in arrival order.")
    var maxConcurrent = 256

    @Option(help: "Required bearer key (none: any key or none is accepted).")
    var apiKey: String?

    @Option(help: "Seed of the fault and jitter generator.")
    var seed: UInt64 = 1

    @Option(help: "How long a Batch API batch stays in_progress, in milliseconds.")
    var batchCompletionMs = 1000

    func run() async throws {
        try global.bootstrapLogging()
        var configuration = LLMSimulatorConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.model = model
        configuration.requestsPerMinute = rpm
        configuration.tokensPerMinute = tpm
        configuration.contextWindow = contextWindow
        configuration.maxOutputTokens = maxOutputTokens
        configuration.latencyBaseMilliseconds = latencyBaseMs
        configuration.latencyPerTokenMilliseconds = latencyPerTokenMs
        configuration.latencyJitter = latencyJitter
        configuration.errorRate = errorRate
        configuration.garbageRate = garbageRate
        configuration.dropRate = dropRate
        configuration.omitLastRate = omitLastRate
        configuration.emptyResultsRate = emptyResultsRate
        configuration.contextExceededRate = contextExceededRate
        configuration.rateLimitStormRate = rateLimitStormRate
        configuration.scoringFabricatedQuoteRate = scoringFabricatedQuoteRate
        configuration.scoringWrongOffsetsRate = scoringWrongOffsetsRate
        configuration.scoringNoScoreRate = scoringNoScoreRate
        configuration.scoringRepairNoScoreRate = scoringRepairNoScoreRate
        configuration.maxConcurrentRequests = maxConcurrent
        configuration.apiKey = apiKey
        configuration.seed = seed
        configuration.batchCompletionMilliseconds = batchCompletionMs
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        let logger = Logger(label: "llm-sim")
        try await Self.serve(configuration, logger: logger)
        // Every socket and timer must be closed by now: report any that is not.
        let leaks = EventLoop.shared.stop()
        if !leaks.isEmpty {
            logger.error("handles left open at exit", metadata: ["handles": "\(leaks)"])
            throw ExitCode(70)
        }
    }

    @LoopActor
    static func serve(_ configuration: LLMSimulatorConfiguration, logger: Logger) async throws {
        let stop = StopSignal(logger: logger)
        let simulator = LLMSimulator(configuration: configuration, logger: logger)
        do {
            try simulator.start()
        } catch {
            logger.critical("could not start", metadata: ["error": "\(error)"])
            stop.cancel()
            throw ExitCode(1)
        }
        await stop.wait()
        await simulator.shutdown(graceMilliseconds: 2000)
        let c = simulator.counters
        logger.info("llm-sim stopped", metadata: [
            "requests": "\(c.requests)", "completed": "\(c.completed)", "documents": "\(c.documentsAnswered)", "429_requests": "\(c.rateLimitedRequests)",
            "429_tokens": "\(c.rateLimitedTokens)", "prompt_tokens": "\(c.promptTokensBilled)",
            "completion_tokens": "\(c.completionTokensBilled)", "cached_tokens": "\(c.cachedTokens)",
            "tokens_admitted": "\(c.tokensAdmitted)", "truncated": "\(c.truncated)",
            "context_length_exceeded": "\(c.contextLengthExceeded)", "peak_in_flight": "\(c.peakInFlight)",
        ])
        stop.cancel()
    }
}
