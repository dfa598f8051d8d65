import Loop
import HTTP1
import ResumeModel
/// How `llm-sim` behaves: where it listens, the limits it enforces, and the faults it injects.
///
/// Every field has a default that mimics a modest OpenAI organisation on `gpt-4o-mini`. Rates are
/// probabilities per accepted request (0...1), drawn from one RNG seeded with ``seed``, so a run is
/// reproducible for a given order of arrivals.
public struct LLMSimulatorConfiguration: Sendable, Equatable {
    /// Address to bind.
    public var host = "127.0.0.1"
    /// Port to bind (0: any free port).
    public var port = 8090
    /// The one model served; requests naming another get OpenAI's `404 model_not_found`.
    public var model = "gpt-4o-mini"
    /// The organisation named in rate-limit messages.
    public var organization = "org-llmsim"
    /// When set, every request must carry `Authorization: Bearer <apiKey>` (else OpenAI's `401`).
    public var apiKey: String?
    /// Requests per minute (a continuously refilling bucket of this capacity).
    public var requestsPerMinute = 500
    /// Tokens per minute (a continuously refilling bucket; a request costs prompt + max_tokens at admission).
    public var tokensPerMinute = 200_000
    /// Context window in tokens: prompt + max_tokens above it is `400 context_length_exceeded`.
    public var contextWindow = 128_000
    /// The model's largest completion: the completion budget (and TPM reservation) of a request that names no
    /// `max_tokens`, capped by what the context window leaves. 16 384 for gpt-4o-mini.
    public var maxOutputTokens = 16_384
    /// Fixed part of each answer's latency.
    public var latencyBaseMilliseconds = 300.0
    /// Latency per completion token. 5 ms is 200 tokens/s; one public measurement of gpt-4o-mini
    /// (community.openai.com, "Inference speed of different models") found 46–70 tokens/s, 14–22 ms a token.
    public var latencyPerTokenMilliseconds = 5.0
    /// Latency jitter as a fraction: the latency is multiplied by a uniform factor in `1 ± latencyJitter`.
    public var latencyJitter = 0.0
    /// Share of accepted requests answered `500`/`503 server_error` (half each) after the base latency.
    public var errorRate = 0.0
    /// Share of accepted requests answered 200 with content that is not JSON.
    public var garbageRate = 0.0
    /// Share of accepted requests whose connection is closed after half of the response was sent.
    public var dropRate = 0.0
    /// Share of answers that leave their last resume out (a model losing count; with one resume, an empty
    /// `results`).
    public var omitLastRate = 0.0
    /// Share of answers that are `{"results":[]}` whatever was asked.
    public var emptyResultsRate = 0.0
    /// Share of requests refused `400 context_length_exceeded` whatever their size (the message states
    /// ``contextWindow`` and the request's own counts, as a broken or misreporting server would).
    public var contextExceededRate = 0.0
    /// Share of requests refused `429` (tokens, `Retry-After: 1`) whatever the buckets hold: a storm of rate
    /// limits from a shared or throttled account.
    public var rateLimitStormRate = 0.0
    /// Scoring answers (``ScoringPrompt``) that add a reason quoting text that is nowhere in the resume.
    public var scoringFabricatedQuoteRate = 0.0
    /// Scoring answers whose reasons quote the resume exactly but at the wrong offsets.
    public var scoringWrongOffsetsRate = 0.0
    /// Scoring answers without a `score` (first answers; a repair turn draws ``scoringRepairNoScoreRate``).
    public var scoringNoScoreRate = 0.0
    /// Answers to a repair turn (the earlier invalid answer sent back) without a `score`.
    public var scoringRepairNoScoreRate = 0.0
    /// Requests generated at once; further accepted requests wait in arrival order (as behind a real
    /// server's load balancer), and their latency starts when they get a slot.
    public var maxConcurrentRequests = 256
    /// Seed of the fault and jitter RNG.
    public var seed: UInt64 = 1
    /// How long a prompt prefix stays cached after its last use (OpenAI: 5 to 10 minutes of inactivity).
    public var promptCacheSeconds = 300
    /// How long a Batch API batch stays `in_progress` before it completes.
    public var batchCompletionMilliseconds = 1000
    /// Largest request body accepted (larger: `413`).
    public var maxRequestBytes = 32 << 20

    public init() {}

    /// Why a configuration was refused.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Checks ranges; throws the first problem found.
    public func validate() throws(Invalid) {
        func check(_ ok: Bool, _ message: String) throws(Invalid) {
            if !ok { throw Invalid(description: message) }
        }
        try check((0...65535).contains(port), "port must be 0...65535")
        try check(requestsPerMinute > 0, "rpm must be positive")
        try check(tokensPerMinute > 0, "tpm must be positive")
        try check(contextWindow > 0, "context window must be positive")
        try check(maxOutputTokens > 0, "max output tokens must be positive")
        try check(latencyBaseMilliseconds >= 0 && latencyPerTokenMilliseconds >= 0, "latencies must be >= 0")
        try check((0...1).contains(latencyJitter), "jitter must be within 0...1")
        for (name, rate) in [("error", errorRate), ("garbage", garbageRate), ("drop", dropRate),
                             ("omit-last", omitLastRate), ("empty-results", emptyResultsRate),
                             ("context-exceeded", contextExceededRate), ("rate-limit-storm", rateLimitStormRate),
                             ("scoring-fabricated-quote", scoringFabricatedQuoteRate),
                             ("scoring-wrong-offsets", scoringWrongOffsetsRate),
                             ("scoring-no-score", scoringNoScoreRate),
                             ("scoring-repair-no-score", scoringRepairNoScoreRate)] {
            try check((0...1).contains(rate), "\(name) rate must be within 0...1")
        }
        try check(maxConcurrentRequests > 0, "max concurrent requests must be positive")
        try check(promptCacheSeconds >= 0, "prompt cache seconds must be >= 0")
        try check(batchCompletionMilliseconds >= 0, "batch completion delay must be >= 0")
    }
}
