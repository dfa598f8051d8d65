import Loop
import HTTP1
import ResumeModel
/// What `llm-sim` has seen and done, for tests and benchmarks.
public struct LLMSimulatorCounters: Sendable, Equatable {
    /// `POST /v1/chat/completions` requests received (every outcome).
    public var requests = 0
    /// Accepted requests given a `200` (garbage and truncated answers included, drops excluded), counted when
    /// decided.
    public var completed = 0
    /// Resumes answered (a coalesced request answers several).
    public var documentsAnswered = 0
    /// `429` with type `requests` (RPM).
    public var rateLimitedRequests = 0
    /// `429` with type `tokens` (TPM, including "Request too large").
    public var rateLimitedTokens = 0
    /// `401` answers.
    public var unauthorized = 0
    /// `400`/`404` answers (context length included).
    public var invalidRequests = 0
    /// `400 context_length_exceeded` answers.
    public var contextLengthExceeded = 0
    /// Injected `500`/`503 server_error` answers.
    public var injectedServerErrors = 0
    /// Injected answers whose content is not JSON.
    public var injectedGarbage = 0
    /// Connections closed mid-response on purpose.
    public var droppedConnections = 0
    /// Answers cut at `max_tokens` (`finish_reason: "length"`).
    public var truncated = 0
    /// Tokens taken from the TPM bucket at admission (prompt + max_tokens of admitted requests).
    public var tokensAdmitted = 0
    /// `usage.prompt_tokens` summed over generated answers (dropped ones included: the work was done).
    public var promptTokensBilled = 0
    /// `usage.completion_tokens` summed likewise.
    public var completionTokensBilled = 0
    /// `usage.prompt_tokens_details.cached_tokens` summed likewise.
    public var cachedTokens = 0
    /// Batch API batches created (failed validation included).
    public var batchesCreated = 0
    /// Faults injected: answers leaving resumes out, and 429s of a storm.
    public var injectedOmissions = 0
    public var injectedRateLimits = 0
    /// Request lines answered in batches (billed in the token sums above as well).
    public var batchRequests = 0
    /// Scoring answers given (``ScoringPrompt`` requests answered 200), and those that answered a repair turn.
    public var scoringAnswers = 0
    public var scoringRepairTurns = 0
    /// Scoring faults injected: answers with a reason quoting text not in the resume, with every reason's
    /// offsets moved, and without a score.
    public var injectedFabricatedQuotes = 0
    public var injectedWrongOffsets = 0
    public var injectedNoScore = 0
    /// Most requests generating at once.
    public var peakInFlight = 0
    /// Most accepted requests waiting for a slot at once.
    public var peakQueued = 0

    public init() {}

    /// All `429` answers.
    public var rateLimited: Int { rateLimitedRequests + rateLimitedTokens }
}
