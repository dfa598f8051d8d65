import Loop

/// The parser's settings, from the environment (the `OPENAI_*` names of the Python service it replaces).
public struct LLMConfiguration: Sendable, Equatable {
    /// `OPENAI_API_KEY`: with none, the built-in `rules` parser is used.
    public var apiKey: String?
    /// `OPENAI_BASE_URL`.
    public var baseURL = "https://api.openai.com/v1"
    /// `OPENAI_MODEL`.
    public var model = "gpt-4o-mini"
    /// `OPENAI_MAX_TOKENS`: the most completion tokens one request may ask for.
    public var maxTokens = 16_384
    /// `OPENAI_TEMPERATURE`.
    public var temperature: Double? = 0
    /// `MAX_INPUT_CHARS`: a document's text is compacted to at most this many characters.
    public var maxInputCharacters = 40_000
    /// `CHARS_PER_TOKEN_ESTIMATE`: the first guess, corrected from each answer's usage.
    public var charactersPerToken = 4.0
    /// `LLM_CONTEXT_WINDOW`: the model's context window in tokens.
    public var contextWindow = 128_000
    /// Whether `LLM_CONTEXT_WINDOW` was set (then it is trusted: no request is held back to probe the window).
    public var contextWindowSet = false
    /// `LLM_RPM`, `LLM_TPM`: the account's per-minute limits (corrected from the answers' headers).
    public var requestsPerMinute = 500
    public var tokensPerMinute = 200_000
    /// `LLM_MAX_CONCURRENCY`: requests in flight at most. The batcher aims below it at what the limits allow
    /// (Little's law: the per-minute budgets × the measured latency) and AIMD lowers it on 429s.
    public var maxConcurrency = 128
    /// `LLM_COALESCE`: `auto` packs several resumes into one request only while the request budget (RPM)
    /// binds (a request of k resumes takes about k times as long to generate, so packing buys nothing else);
    /// `always` packs whatever waits; `never` sends one resume per request.
    public var coalesceMode = "auto"
    /// `LLM_COALESCE_MAX_DOCS`: resumes packed into one request at most (1 turns coalescing off).
    public var coalesceMaxDocuments = 8
    /// `LLM_COALESCE_TOKENS`: prompt tokens of resume text per coalesced request at most.
    public var coalesceTokens = 8_000
    /// `LLM_COALESCE_LINGER_MS`: how long a request that is not full waits for more resumes.
    public var coalesceLingerMilliseconds = 50
    /// `LLM_OUTPUT_TOKENS_PER_RESUME`: completion tokens reserved per resume.
    public var outputTokensPerResume = 1_200
    /// `LLM_BREAKER_COOLDOWN_MS`: how long nothing is sent after the endpoint failed five times in a row (or
    /// refused the key, account or model) before one request probes it; doubled after each failed probe, up to
    /// two minutes.
    public var breakerCooldownMilliseconds = 10_000
    /// `LLM_TIMEOUT_MS`: one request's time limit.
    public var requestTimeoutMilliseconds = 120_000
    /// `LLM_RESPONSE_FORMAT`: `json_object` (JSON mode: the model leaves out what a resume does not say, and
    /// the answer is validated here against JSON Resume) or `json_schema` (strict structured outputs, which
    /// make the model write every key of the schema, mostly `null`: measured 1.7 times the completion tokens,
    /// and the schema is billed as prompt tokens on every request; falls back by itself when refused).
    public var responseFormat = "json_object"
    /// `LLM_LIMITS_COUNT_USAGE`: the endpoint's rate limiter counts actual usage (refunds unused
    /// `max_tokens`). OpenAI's keeps prompt + `max_tokens` once a request is admitted: false.
    public var rateLimitCountsActualUsage = false
    /// `LLM_QUEUE`: documents the batcher holds before it stops taking more.
    public var queueCapacity = 256
    /// `LLM_REUSE_CACHE_MB`: memory for results kept to answer later copies of the same content (the results
    /// only, never the texts), in bytes.
    public var reuseCacheBytes = 64 << 20
    /// `LLM_PRICE_INPUT`, `LLM_PRICE_CACHED_INPUT`, `LLM_PRICE_OUTPUT`: what the endpoint charges, in USD per
    /// million prompt, cached prompt and completion tokens (`gpt-4o-mini`'s list prices by default), for each
    /// document's estimated cost (`documents.cost_usd`) and the cost in `/metrics` (at half of each for the
    /// Batch API: ``billedPrices``).
    public var prices = LLMPrices.gpt4oMini

    /// `LLM_BATCH_API`: send through the Batch API (JSONL file + `/v1/batches`, polled; answered within 24 h
    /// at half price) instead of Chat Completions: for bulk imports that can wait.
    public var batchAPI = false
    /// `LLM_BATCH_MAX_DOCS`: documents in one batch at most.
    public var batchMaxDocuments = 1_000
    /// `LLM_BATCH_LINGER_MS`: how long the oldest waiting document waits for a full batch.
    public var batchLingerMilliseconds = 60_000
    /// `LLM_BATCH_POLL_MS`: how often a batch's status is read.
    public var batchPollMilliseconds = 30_000
    /// `LLM_BATCHES_IN_FLIGHT`: batches created and not yet read, at most.
    public var batchesInFlight = 2
    /// `LLM_BATCH_CLAIM_MS`: how long answers of a batch resumed after a restart wait for documents that have not
    /// come back yet (then they are forgotten, and such a document is sent again).
    public var batchClaimMilliseconds = 3_600_000

    /// `LLM_WHEN_UNSURE` (`import --llm-when-unsure`): the rules parser reads every text first and only documents
    /// whose reading is weak (`documents.parse_weak`) go to the LLM; the others keep the rules' result. Needs
    /// the LLM configured (`OPENAI_API_KEY`).
    public var whenUnsure = false

    public init() {}

    /// Why `--llm-when-unsure` / `LLM_WHEN_UNSURE` cannot be honoured, or nil when it can (or is not asked for).
    public var whenUnsureRefusal: String? {
        guard whenUnsure, !usesLLM else { return nil }
        return "sending unsure documents to the LLM needs an LLM: set OPENAI_API_KEY (and OPENAI_BASE_URL, "
            + "OPENAI_MODEL for another endpoint); without one every document is parsed by the rules parser and "
            + "marked parse_weak where it is unsure"
    }

    /// The share of ``prices`` the Batch API bills (it answers within 24 h at half price).
    public static let batchAPIPriceFactor = 0.5

    /// The prices an answer is billed at: ``prices``, halved in Batch API mode.
    public var billedPrices: LLMPrices { batchAPI ? prices.scaled(by: Self.batchAPIPriceFactor) : prices }

    /// Whether the LLM is used (an API key is set).
    public var usesLLM: Bool { !(apiKey ?? "").isEmpty }

    public init(environment: [String: String]) throws(InvalidSetting) {
        let env = EnvironmentReader(environment)
        let key = env.string("OPENAI_API_KEY", default: "")
        apiKey = key.isEmpty ? nil : key
        baseURL = env.string("OPENAI_BASE_URL", default: baseURL)
        model = env.string("OPENAI_MODEL", default: model)
        maxTokens = try env.int("OPENAI_MAX_TOKENS", default: maxTokens, range: 16...1_000_000)
        temperature = try env.double("OPENAI_TEMPERATURE", default: 0, range: 0...2)
        maxInputCharacters = try env.int("MAX_INPUT_CHARS", default: maxInputCharacters, range: 100...10_000_000)
        charactersPerToken = try env.double("CHARS_PER_TOKEN_ESTIMATE", default: charactersPerToken,
                                            range: TokenEstimator.plausibleRatios)
        contextWindow = try env.int("LLM_CONTEXT_WINDOW", default: contextWindow, range: 1_000...10_000_000)
        contextWindowSet = !env.string("LLM_CONTEXT_WINDOW", default: "").isEmpty
        requestsPerMinute = try env.int("LLM_RPM", default: requestsPerMinute, range: 1...10_000_000)
        tokensPerMinute = try env.int("LLM_TPM", default: tokensPerMinute, range: 100...1_000_000_000)
        maxConcurrency = try env.int("LLM_MAX_CONCURRENCY", default: maxConcurrency, range: 1...1024)
        coalesceMode = env.string("LLM_COALESCE", default: coalesceMode)
        guard ["auto", "always", "never"].contains(coalesceMode) else {
            throw .init(name: "LLM_COALESCE", value: coalesceMode, expected: "auto, always or never")
        }
        coalesceMaxDocuments = try env.int("LLM_COALESCE_MAX_DOCS", default: coalesceMaxDocuments, range: 1...64)
        coalesceTokens = try env.int("LLM_COALESCE_TOKENS", default: coalesceTokens, range: 100...1_000_000)
        coalesceLingerMilliseconds = try env.int("LLM_COALESCE_LINGER_MS", default: coalesceLingerMilliseconds,
                                                 range: 0...60_000)
        outputTokensPerResume = try env.int("LLM_OUTPUT_TOKENS_PER_RESUME", default: outputTokensPerResume,
                                            range: 50...100_000)
        breakerCooldownMilliseconds = try env.int("LLM_BREAKER_COOLDOWN_MS", default: breakerCooldownMilliseconds,
                                                  range: 10...120_000)
        requestTimeoutMilliseconds = try env.int("LLM_TIMEOUT_MS", default: requestTimeoutMilliseconds,
                                                 range: 100...3_600_000)
        responseFormat = env.string("LLM_RESPONSE_FORMAT", default: responseFormat)
        guard ["json_schema", "json_object"].contains(responseFormat) else {
            throw .init(name: "LLM_RESPONSE_FORMAT", value: responseFormat, expected: "json_schema or json_object")
        }
        rateLimitCountsActualUsage = try env.bool("LLM_LIMITS_COUNT_USAGE", default: rateLimitCountsActualUsage)
        queueCapacity = try env.int("LLM_QUEUE", default: queueCapacity, range: 1...1_000_000)
        reuseCacheBytes = try env.int("LLM_REUSE_CACHE_MB", default: reuseCacheBytes >> 20, range: 0...65_536) << 20
        prices.input = try env.double("LLM_PRICE_INPUT", default: prices.input, range: Self.priceRange)
        prices.cachedInput = try env.double("LLM_PRICE_CACHED_INPUT", default: prices.cachedInput,
                                            range: Self.priceRange)
        prices.output = try env.double("LLM_PRICE_OUTPUT", default: prices.output, range: Self.priceRange)
        batchAPI = try env.bool("LLM_BATCH_API", default: batchAPI)
        batchMaxDocuments = try env.int("LLM_BATCH_MAX_DOCS", default: batchMaxDocuments, range: 1...50_000)
        batchLingerMilliseconds = try env.int("LLM_BATCH_LINGER_MS", default: batchLingerMilliseconds,
                                              range: 0...86_400_000)
        batchPollMilliseconds = try env.int("LLM_BATCH_POLL_MS", default: batchPollMilliseconds, range: 10...3_600_000)
        batchesInFlight = try env.int("LLM_BATCHES_IN_FLIGHT", default: batchesInFlight, range: 1...100)
        batchClaimMilliseconds = try env.int("LLM_BATCH_CLAIM_MS", default: batchClaimMilliseconds,
                                             range: 0...604_800_000)
        whenUnsure = try env.bool("LLM_WHEN_UNSURE", default: whenUnsure)
        if whenUnsureRefusal != nil {
            throw .init(name: "LLM_WHEN_UNSURE", value: env.string("LLM_WHEN_UNSURE", default: ""),
                        expected: "OPENAI_API_KEY set too (the LLM the unsure documents go to), or LLM_WHEN_UNSURE unset")
        }
    }

    /// Prices a setting may name, in USD per million tokens: free (a local model) up to well above any list
    /// price.
    public static let priceRange: ClosedRange<Double> = 0...1_000

    /// `(variable, effective value)` pairs for `doctor` (the key itself is never printed).
    public var printable: [(String, String)] {
        [
            ("OPENAI_API_KEY", usesLLM ? "(set)" : "(unset: rules parser)"), ("OPENAI_BASE_URL", baseURL),
            ("OPENAI_MODEL", model), ("OPENAI_MAX_TOKENS", String(maxTokens)),
            ("OPENAI_TEMPERATURE", temperature.map { String($0) } ?? "-"),
            ("MAX_INPUT_CHARS", String(maxInputCharacters)), ("CHARS_PER_TOKEN_ESTIMATE", String(charactersPerToken)),
            ("LLM_CONTEXT_WINDOW", String(contextWindow)), ("LLM_RPM", String(requestsPerMinute)),
            ("LLM_TPM", String(tokensPerMinute)), ("LLM_MAX_CONCURRENCY", String(maxConcurrency)),
            ("LLM_COALESCE", coalesceMode),
            ("LLM_COALESCE_MAX_DOCS", String(coalesceMaxDocuments)), ("LLM_COALESCE_TOKENS", String(coalesceTokens)),
            ("LLM_COALESCE_LINGER_MS", String(coalesceLingerMilliseconds)),
            ("LLM_OUTPUT_TOKENS_PER_RESUME", String(outputTokensPerResume)),
            ("LLM_TIMEOUT_MS", String(requestTimeoutMilliseconds)),
            ("LLM_BREAKER_COOLDOWN_MS", String(breakerCooldownMilliseconds)), ("LLM_RESPONSE_FORMAT", responseFormat),
            ("LLM_LIMITS_COUNT_USAGE", String(rateLimitCountsActualUsage)), ("LLM_QUEUE", String(queueCapacity)),
            ("LLM_REUSE_CACHE_MB", String(reuseCacheBytes >> 20)),
            ("LLM_PRICE_INPUT", String(prices.input)), ("LLM_PRICE_CACHED_INPUT", String(prices.cachedInput)),
            ("LLM_PRICE_OUTPUT", String(prices.output)),
            ("LLM_BATCH_API", String(batchAPI)), ("LLM_BATCH_MAX_DOCS", String(batchMaxDocuments)),
            ("LLM_BATCH_LINGER_MS", String(batchLingerMilliseconds)), ("LLM_BATCH_POLL_MS", String(batchPollMilliseconds)),
            ("LLM_BATCHES_IN_FLIGHT", String(batchesInFlight)),
            ("LLM_BATCH_CLAIM_MS", String(batchClaimMilliseconds)),
            ("LLM_WHEN_UNSURE", String(whenUnsure)),
        ]
    }
}
