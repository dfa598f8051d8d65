import HTTP1
import ResumeModel
import Loop

/// `llm-sim`'s decisions without I/O: each request and the time go in, the answer and when to send it come
/// out. Owns the rate-limit buckets, the prompt cache, the fault RNG and the counters.
struct SimulatorEngine {
    /// What to do with a chat request.
    enum Outcome {
        /// Answer at once (refusals: 400, 401, 404, 429), without taking a concurrency slot.
        case respond(HTTPResponse)
        /// Accepted: take a slot, answer after `latencyMilliseconds`; when `dropAfterBodyBytes` is set, send the
        /// head and that many body bytes, then close the connection.
        case generate(HTTPResponse, latencyMilliseconds: UInt64, dropAfterBodyBytes: Int?)
    }

    /// A request that passed validation, with what it costs.
    struct Validated {
        var request: SimulatorChatRequest
        var prompt: SimulatorPromptTokens
        /// The completion budget: max_tokens, or what the window leaves up to the model's largest output.
        var budget: Int
    }

    /// A generated answer.
    struct Generated {
        var body: [UInt8]
        var completionTokens: Int
    }

    var configuration: LLMSimulatorConfiguration
    private(set) var limiter: SimulatorRateLimiter

    /// The token bucket's level at `now`.
    mutating func availableTokens(now: Duration) -> Double {
        limiter.refill(now: now)
        return limiter.tokens.level
    }
    private(set) var cache: SimulatorPromptCache
    var counters = LLMSimulatorCounters()
    private var random: SimulatorRandom
    private var serial: UInt64 = 0

    init(configuration: LLMSimulatorConfiguration, now: Duration) {
        self.configuration = configuration
        limiter = SimulatorRateLimiter(requestsPerMinute: configuration.requestsPerMinute,
                                       tokensPerMinute: configuration.tokensPerMinute, now: now)
        cache = SimulatorPromptCache(ttl: .seconds(configuration.promptCacheSeconds))
        random = SimulatorRandom(seed: configuration.seed)
    }

    /// The rate-limit headers as of `now`.
    mutating func rateLimitHeaders(now: Duration) -> [(name: String, value: String)] {
        limiter.refill(now: now)
        return limiter.headers
    }

    /// OpenAI's `401` when a key is required and `authorization` does not carry it; nil when allowed.
    mutating func refuseUnauthorized(_ authorization: String?) -> HTTPResponse? {
        guard let key = configuration.apiKey else { return nil }
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else {
            counters.unauthorized += 1
            return SimulatorErrorBodies.missingAPIKey()
        }
        let given = String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard given == key else {
            counters.unauthorized += 1
            return SimulatorErrorBodies.invalidAPIKey(given)
        }
        return nil
    }

    /// Decides on one `POST /v1/chat/completions`.
    mutating func chatCompletion(authorization: String?, body: [UInt8], now: Duration, unixTime: Int) -> Outcome {
        counters.requests += 1
        let requestID = nextRequestID()
        limiter.refill(now: now)
        var headers = limiter.headers + [("x-request-id", requestID)]

        // Authentication first, as OpenAI does.
        if var refusal = refuseUnauthorized(authorization) {
            refusal.headers += headers
            return .respond(refusal)
        }
        let validated: Validated
        switch validate(body) {
        case .success(let v):
            validated = v
        case .failure(let refusal):
            var refusal = refusal.response
            refusal.headers += headers
            return .respond(refusal)
        }

        // Rate limits: one request and prompt + max_tokens tokens, taken at admission. OpenAI's help article
        // "Rate limit advice" names the cost as "contexts (prompts+max_tokens)"; its rate-limits guide says the
        // limit is "calculated as the maximum of max_tokens and the estimated number of tokens based on the
        // character count of your request"; the cookbook's api_request_parallel_processor.py throttles with
        // "tokens = prompt + n * max_tokens". The sum is kept (the help article's and cookbook's reading); OpenAI
        // estimates the prompt from its characters, this uses its exact count. Without max_tokens the budget is
        // what the window leaves, up to the largest output (no source found for OpenAI's figure then).
        let cost = validated.prompt.count + validated.budget
        if configuration.rateLimitStormRate > 0 && random.unit() < configuration.rateLimitStormRate {
            counters.rateLimitedTokens += 1
            counters.injectedRateLimits += 1
            let body = SimulatorErrorBodies.tokensPerMinute(
                model: configuration.model, organization: configuration.organization,
                limit: configuration.tokensPerMinute, used: configuration.tokensPerMinute, requested: cost,
                retryMilliseconds: 1000)
            return .respond(.json(429, body, headers: headers + retryHeaders(1000)))
        }
        switch limiter.admit(cost: cost, now: now) {
        case .admitted:
            break
        case .requestsExceeded(let used, let retry):
            counters.rateLimitedRequests += 1
            let body = SimulatorErrorBodies.requestsPerMinute(
                model: configuration.model, organization: configuration.organization,
                limit: configuration.requestsPerMinute, used: used, retryMilliseconds: retry)
            return .respond(.json(429, body, headers: headers + retryHeaders(retry)))
        case .tokensExceeded(let used, let retry):
            counters.rateLimitedTokens += 1
            let body = SimulatorErrorBodies.tokensPerMinute(
                model: configuration.model, organization: configuration.organization,
                limit: configuration.tokensPerMinute, used: used, requested: cost, retryMilliseconds: retry)
            return .respond(.json(429, body, headers: headers + retryHeaders(retry)))
        case .tooLarge:
            counters.rateLimitedTokens += 1
            let body = SimulatorErrorBodies.requestTooLarge(
                model: configuration.model, organization: configuration.organization,
                limit: configuration.tokensPerMinute, requested: cost)
            return .respond(.json(429, body, headers: headers))
        }
        counters.tokensAdmitted += cost
        headers = limiter.headers + [("x-request-id", requestID)]
        let cached = cache.use(validated.prompt, now: now)

        // The same five draws for every accepted request keep runs reproducible whatever the rates.
        let jitter = 1 + configuration.latencyJitter * (2 * random.unit() - 1)
        let errorDraw = random.unit()
        let garbageDraw = random.unit()
        let dropDraw = random.unit()
        let variant = random.unit()

        if errorDraw < configuration.errorRate {
            counters.injectedServerErrors += 1
            let latency = milliseconds(configuration.latencyBaseMilliseconds * jitter)
            let overloaded = variant >= 0.5
            let body = overloaded ? SimulatorErrorBodies.overloaded(requestID: requestID)
                : SimulatorErrorBodies.serverError(requestID: requestID)
            return .generate(.json(overloaded ? 503 : 500, body, headers: headers), latencyMilliseconds: latency,
                             dropAfterBodyBytes: nil)
        }
        let garbage = garbageDraw < configuration.garbageRate
        if garbage { counters.injectedGarbage += 1 }
        let answer = generate(validated, cached: cached, unixTime: unixTime, garbage: garbage ? variant : nil)
        // Latency grows with the completion, not the prompt: OpenAI's latency optimization guide, "Generate fewer
        // tokens": "generating tokens is almost always the highest latency step" (halving the output may halve
        // the latency, halving the prompt gains 1–5 %).
        let latency = milliseconds((configuration.latencyBaseMilliseconds
            + configuration.latencyPerTokenMilliseconds * Double(answer.completionTokens)) * jitter)
        let response = HTTPResponse.json(200, answer.body, headers: headers + [("openai-processing-ms", "\(latency)")])
        if dropDraw < configuration.dropRate {
            counters.droppedConnections += 1
            return .generate(response, latencyMilliseconds: latency, dropAfterBodyBytes: answer.body.count / 2)
        }
        counters.completed += 1
        return .generate(response, latencyMilliseconds: latency, dropAfterBodyBytes: nil)
    }

    /// A request refused before admission: the response, OpenAI's status and error object.
    struct Refusal: Error {
        var response: HTTPResponse
    }

    /// Parses `body` and checks the model, the context window and the json_object rule.
    mutating func validate(_ body: [UInt8]) -> Result<Validated, Refusal> {
        let request: SimulatorChatRequest
        do {
            request = try SimulatorChatRequest.parse(body)
        } catch {
            counters.invalidRequests += 1
            return .failure(Refusal(response: SimulatorErrorBodies.response(400, message: error.message,
                                                                            param: error.param, code: error.code)))
        }
        guard request.model == configuration.model else {
            counters.invalidRequests += 1
            return .failure(Refusal(response: .json(404, SimulatorErrorBodies.modelNotFound(request.model))))
        }
        // The context window: prompt + max_tokens must fit; without max_tokens the completion gets what is left,
        // up to the model's largest output. Every refusal states the window and the request's counts, in the
        // two forms quoted (with their issue threads) in SimulatorErrorBodies.
        let prompt = request.promptTokens()
        let window = configuration.contextWindow
        let budget: Int
        if let asked = request.maxTokens {
            guard prompt.count + asked <= window else {
                counters.invalidRequests += 1
                counters.contextLengthExceeded += 1
                return .failure(Refusal(response: .json(400, SimulatorErrorBodies.contextLengthExceeded(
                    window: window, prompt: prompt.count, completion: asked))))
            }
            budget = asked
        } else {
            guard prompt.count < window else {
                counters.invalidRequests += 1
                counters.contextLengthExceeded += 1
                return .failure(Refusal(response: .json(400, SimulatorErrorBodies.contextLengthExceeded(
                    window: window, prompt: prompt.count, completion: nil))))
            }
            budget = min(configuration.maxOutputTokens, window - prompt.count)
        }
        if configuration.contextExceededRate > 0 && random.unit() < configuration.contextExceededRate {
            counters.invalidRequests += 1
            counters.contextLengthExceeded += 1
            return .failure(Refusal(response: .json(400, SimulatorErrorBodies.contextLengthExceeded(
                window: window, prompt: prompt.count, completion: request.maxTokens))))
        }
        if request.responseFormat == .jsonObject,
           !request.messages.contains(where: { $0.content.range(of: "json", options: .caseInsensitive) != nil }) {
            counters.invalidRequests += 1
            return .failure(Refusal(response: SimulatorErrorBodies.response(
                400, message: "'messages' must contain the word 'json' in some form, to use 'response_format' of "
                    + "type 'json_object'.", param: "messages")))
        }
        return .success(Validated(request: request, prompt: prompt, budget: budget))
    }

    /// The `chat.completion` for a validated request; `garbage` (a variant draw) replaces the content with
    /// text that is not JSON. Bills the usage.
    mutating func generate(_ validated: Validated, cached: Int, unixTime: Int, garbage: Double?) -> Generated {
        let request = validated.request
        var content: String
        if let garbage {
            content = SimulatorAnswer.garbage(variant: garbage, userText: request.userText)
        } else if SimulatorScoring.isScoring(request) {
            content = scoringContent(request, unixTime: unixTime)
        } else {
            var omission = SimulatorAnswer.Omission.none
            if configuration.emptyResultsRate > 0 && random.unit() < configuration.emptyResultsRate {
                omission = .all
            } else if configuration.omitLastRate > 0 && random.unit() < configuration.omitLastRate {
                omission = .last
            }
            if omission != .none { counters.injectedOmissions += 1 }
            content = SimulatorAnswer.content(userText: request.userText, systemText: request.systemText,
                                              format: request.responseFormat, omission: omission)
            // A prompt without resume blocks is one resume (one request per resume).
            counters.documentsAnswered += max(1, PromptFormat.documents(inUserMessage: request.userText).count)
        }
        var completionTokens = SimulatorTokenizer.count(content)
        var finishReason = "stop"
        if completionTokens > validated.budget {
            // A model stops at max_tokens wherever it is: the content is cut, usually mid-JSON.
            (content, completionTokens) = SimulatorTokenizer.prefix(content, maxTokens: validated.budget)
            finishReason = "length"
            counters.truncated += 1
        }
        counters.promptTokensBilled += validated.prompt.count
        counters.completionTokensBilled += completionTokens
        counters.cachedTokens += cached
        serial += 1
        let id = "chatcmpl-" + hex(serial, digits: 8) + hex(serial &* 0xBF58_476D_1CE4_E5B9, digits: 16)
        let body = SimulatorAnswer.completion(id: id, created: unixTime, model: configuration.model, content: content,
                                              finishReason: finishReason, promptTokens: validated.prompt.count,
                                              completionTokens: completionTokens, cachedTokens: cached)
        return Generated(body: body, completionTokens: completionTokens)
    }

    /// A scoring answer, with the scoring faults drawn (each only when its rate is set, so runs without them
    /// draw as before).
    private mutating func scoringContent(_ request: SimulatorChatRequest, unixTime: Int) -> String {
        let repair = SimulatorScoring.isRepair(request)
        counters.scoringAnswers += 1
        if repair { counters.scoringRepairTurns += 1 }
        func draw(_ rate: Double) -> Bool { rate > 0 && random.unit() < rate }
        var faults = SimulatorScoring.Faults()
        faults.fabricatedQuote = draw(configuration.scoringFabricatedQuoteRate)
        faults.wrongOffsets = draw(configuration.scoringWrongOffsetsRate)
        faults.noScore = draw(repair ? configuration.scoringRepairNoScoreRate : configuration.scoringNoScoreRate)
        if faults.fabricatedQuote { counters.injectedFabricatedQuotes += 1 }
        if faults.wrongOffsets { counters.injectedWrongOffsets += 1 }
        if faults.noScore { counters.injectedNoScore += 1 }
        counters.documentsAnswered += 1
        return SimulatorScoring.content(request, today: SimulatorScoring.month(unixTime: unixTime), faults: faults)
    }

    /// Records the adapter's concurrency figures.
    mutating func observe(inFlight: Int, queued: Int) {
        counters.peakInFlight = max(counters.peakInFlight, inFlight)
        counters.peakQueued = max(counters.peakQueued, queued)
    }

    /// A fresh `req_…` identifier.
    mutating func nextRequestID() -> String {
        serial += 1
        return "req_" + hex(serial &* 0x9E37_79B9_7F4A_7C15 ^ configuration.seed, digits: 16) + hex(serial, digits: 16)
    }

    private func retryHeaders(_ milliseconds: Int) -> [(name: String, value: String)] {
        [("retry-after", "\((milliseconds + 999) / 1000)"), ("retry-after-ms", "\(milliseconds)")]
    }

    private func milliseconds(_ value: Double) -> UInt64 { UInt64(max(0, value).rounded()) }

    func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        guard text.count < digits else { return String(text.suffix(digits)) }
        return String(repeating: "0", count: digits - text.count) + text
    }
}
