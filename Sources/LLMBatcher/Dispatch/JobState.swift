import DequeModule
import ResumeModel

/// A job on its way through the batcher.
struct JobState: Sendable {
    var job: ParseJob
    var submitted: UInt64
    /// The text as sent (compacted when needed), and its length in UTF-8 bytes: the batcher's "characters"
    /// (estimates and budgets) are bytes, which a native string knows without walking it.
    var prepared = "" {
        didSet {
            preparedCount = prepared.utf8.count
            preparedLines = prepared.utf8.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        }
    }
    private(set) var preparedCount = 0
    /// Lines of `prepared` (each is numbered in the prompt).
    private(set) var preparedLines = 0
    /// The original text's length in characters, and its lines.
    let textCount: Int
    let textLines: Int
    var compactionLevel = 0
    var needsCompaction = false
    /// The context window and the character budget `prepared` was sized for (prepared again when a smaller
    /// window is learned, or the budget shrinks as the estimator learns the endpoint's tokenizer).
    var preparedWindow = 0
    var preparedBudget = Int.max
    /// Factor applied to the character budget after each length error.
    var shrink = 1.0
    /// Transient failures counted against this job.
    var attempts = 0
    var repaired = false
    /// Answers that left this resume out, and `context_length_exceeded` answers to requests carrying it alone.
    var missingAnswers = 0
    var overflows = 0
    /// Multiplier of the completion tokens reserved after a truncated answer.
    var outputBoost = 1
    var warnings: [String] = []

    init(job: ParseJob, submitted: UInt64) {
        self.job = job
        self.submitted = submitted
        textCount = job.text.utf8.count
        textLines = job.text.utf8.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
    }

    /// What identifies the job's content for reuse: its tenant and SHA-256 (nil without a hash).
    var key: String? { job.contentSHA256.map { Self.contentKey(tenant: job.tenant, sha256: $0) } }

    /// The key of content `sha256` (hex) of `tenant`.
    static func contentKey(tenant: String, sha256: String) -> String { tenant + "\u{0}" + sha256 }

    var document: PromptFormat.Document { PromptFormat.Document(id: job.id, text: prepared) }

    func maxTokens(_ configuration: LLMConfiguration) -> Int {
        min(configuration.maxTokens, configuration.outputTokensPerResume * outputBoost)
    }
}

/// A queue of request groups that also counts the documents in it.
struct GroupQueue {
    private var groups = Deque<[JobState]>()
    private(set) var documents = 0

    mutating func prepend(_ group: [JobState]) {
        groups.prepend(group)
        documents += group.count
    }

    mutating func append(_ group: [JobState]) {
        groups.append(group)
        documents += group.count
    }

    mutating func popFirst() -> [JobState]? {
        guard let group = groups.popFirst() else { return nil }
        documents -= group.count
        return group
    }
}
