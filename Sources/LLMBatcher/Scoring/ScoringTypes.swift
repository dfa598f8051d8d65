import ResumeModel

/// A job to score candidates for: its profile (what the built-in scorer reads too), its description text and
/// location. Everything here goes into the job's one system message (``ScoringPrompt``).
public struct ScoringJob: Sendable, Equatable {
    public var id: String
    public var profile: JobProfile
    public var description: String
    public var location: String?

    public init(id: String, profile: JobProfile, description: String, location: String? = nil) {
        self.id = id
        self.profile = profile
        self.description = description
        self.location = location
    }
}

/// A candidate to score: the document's id and its stored text (the evidence is checked against this text).
public struct ScoringCandidate: Sendable, Equatable {
    public var id: String
    public var text: String

    public init(id: String, text: String) {
        self.id = id
        self.text = text
    }
}

/// What the tokens of one candidate's requests were (every request made for it: repairs and retries after
/// `context_length_exceeded` included).
public struct ScoringUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// Prompt tokens the endpoint served from its prompt cache (the job's prefix).
    public var cachedTokens: Int
    public var model: String

    public init(promptTokens: Int, completionTokens: Int, cachedTokens: Int, model: String) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedTokens = cachedTokens
        self.model = model
    }
}

/// How one candidate's scoring ended.
public enum ScoringOutcome: Sendable, Equatable {
    /// Scored. The score's reasons are only those whose quote is in the resume (re-anchored where the model's
    /// offsets were wrong); `evidence` counts what was kept, moved and dropped.
    case scored(CandidateScore, usage: ScoringUsage, evidence: EvidenceCounts)
    /// Failed with a stable code (``ScoringFailure``) and a detail for people.
    case failed(code: String, detail: String)
}

/// The codes a candidate's LLM scoring fails with. Transient trouble (429, 5xx, timeouts, an endpoint down, a
/// refused key) is never one of them: candidates wait for it to pass.
public enum ScoringFailure {
    /// The answer stayed invalid (no valid score, not the schema) after one repair turn.
    public static let invalidOutput = ParsedDocument.FailureCode.invalidOutput.rawValue
    /// The prompt stayed over the context window after compacting as far as it goes.
    public static let contextExceeded = ParsedDocument.FailureCode.contextExceeded.rawValue
    /// The endpoint refused the request for good (a `4xx` other than 401, 403, a missing model, 429 and a
    /// context overflow, which wait or are compacted).
    public static let requestRejected = ParsedDocument.FailureCode.requestRejected.rawValue
    /// The resume has no text to score.
    public static let emptyText = ParsedDocument.FailureCode.emptyText.rawValue
    /// The job's scoring was cancelled (``LLMScorer/cancel(jobID:)``) or the scorer closed before an answer.
    public static let cancelled = "cancelled"
}
