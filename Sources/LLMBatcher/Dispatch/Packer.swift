import DequeModule
import ResumeModel

/// Packs waiting jobs into requests: as many short resumes as one request can carry (`LLM_COALESCE_MAX_DOCS`,
/// `LLM_COALESCE_TOKENS`, and the completion tokens their answers need within `max_tokens`), each compacted to
/// what one request may carry first. A pure value: the token estimator and the configuration are all it reads.
struct Packer: Sendable {
    let configuration: LLMConfiguration
    /// Prompt tokens per character, corrected by the answers' usage.
    var estimator: TokenEstimator
    /// Compactions done while packing (a text over its budget, or compacted harder after a length error).
    private(set) var compactions = 0
    /// The model's context window: `LLM_CONTEXT_WINDOW`, or what a `context_length_exceeded` answer stated.
    private(set) var contextWindow: Int
    /// Completion tokens reserved per resume, learned from the answers.
    var completions: CompletionReserve

    init(configuration: LLMConfiguration) {
        self.configuration = configuration
        completions = CompletionReserve(ceiling: configuration.outputTokensPerResume)
        estimator = TokenEstimator(charactersPerToken: configuration.charactersPerToken)
        contextWindow = configuration.contextWindow
    }

    /// Takes the window an endpoint's error states (only a smaller one: a larger claim cannot be trusted more
    /// than the setting). Returns whether it changed.
    mutating func learn(contextWindow window: Int) -> Bool {
        guard window > 0, window < contextWindow else { return false }
        // Every job is prepared again against the new window (``prepare(_:)`` compares `preparedWindow`).
        contextWindow = window
        return true
    }

    /// Pops the oldest pending jobs, as many as one request can carry (nil when none waits).
    mutating func packGroup(from pending: inout Deque<JobState>, limit: Int? = nil) -> [JobState]? {
        let most = min(limit ?? configuration.coalesceMaxDocuments, configuration.coalesceMaxDocuments)
        guard var first = pending.popFirst() else { return nil }
        prepare(&first)
        var group = [first]
        var tokens = estimator.estimate(characters: first.preparedCount)
        // Resumes of different tenants never share a request: one resume's text must not steer, or read, another
        // tenant's answer. The group ends at the first resume of another tenant (order is kept).
        while group.count < most, var next = pending.first, next.job.tenant == first.job.tenant {
            prepare(&next)
            let more = estimator.estimate(characters: next.preparedCount)
            let system = estimator.estimate(characters: Self.systemCharacters) + 64
            guard tokens + more <= configuration.coalesceTokens,
                  maxTokens(for: group + [next]) < configuration.maxTokens,
                  // Never a group the window cannot hold, with the estimate's margin.
                  Double(system + tokens + more + maxTokens(for: group + [next])) <= Double(contextWindow) * 0.9
            else { break }
            pending.removeFirst()
            group.append(next)
            tokens += more
        }
        return group
    }

    /// Whether the pending jobs already fill a request (no reason to linger).
    func fullGroupPending(_ pending: Deque<JobState>, limit: Int? = nil) -> Bool {
        if pending.count >= min(limit ?? configuration.coalesceMaxDocuments, configuration.coalesceMaxDocuments) {
            return true
        }
        var characters = 0
        for job in pending {
            // Another tenant's resume ends the group: nothing to wait for.
            if job.job.tenant != pending.first?.job.tenant { return true }
            characters += min(job.textCount, configuration.maxInputCharacters)
            if estimator.estimate(characters: characters) >= configuration.coalesceTokens { return true }
        }
        return false
    }

    /// Compacts a job's text to what one request can carry (once, or again after a length error).
    mutating func prepare(_ job: inout JobState) {
        let budget = characterBudget(for: job)
        // Prepared for more than the budget now allows: a smaller window was learned, or the answers taught the
        // estimator that this endpoint's tokenizer is denser than guessed. Cut again before sending.
        // (A twentieth of slack: the budget moves a little with every answer.)
        let overBudget = !job.prepared.isEmpty && job.preparedCount > budget
            && Double(budget) < Double(job.preparedBudget) * 0.95
        guard job.prepared.isEmpty || job.needsCompaction || job.preparedWindow != contextWindow || overBudget
        else { return }
        job.preparedWindow = contextWindow
        job.preparedBudget = budget
        if job.compactionLevel == 0 && job.textCount <= budget {
            job.prepared = job.job.text
            job.needsCompaction = false
            return
        }
        // Text prepared before holds what matters of the original within a larger budget: cutting it again is a
        // fraction of the work of cutting the original (this runs on the loop, and a megabyte of text costs the
        // compactor hundreds of milliseconds).
        let source = job.prepared.isEmpty ? job.job.text : job.prepared
        let result = Compactor.compact(source, budget: budget, minimumLevel: job.compactionLevel)
        if result.level > 0 {
            if result.level > job.compactionLevel || job.prepared.isEmpty { compactions += 1 }
            job.compactionLevel = result.level
        }
        job.prepared = result.text
        job.needsCompaction = false
    }

    /// Characters a single document may use: `MAX_INPUT_CHARS`, and what the context window leaves once
    /// the system message and the completion are reserved (with a margin for the estimate's error).
    func characterBudget(for job: JobState) -> Int {
        let system = estimator.estimate(characters: Self.systemCharacters) + 64
        let room = contextWindow - system - job.maxTokens(configuration)
        // The line numbers come on top of the text: per byte of text, 1 + their share.
        let numbered = 1 + Double(PromptFormat.numberingCharacters(lines: job.textLines)) / Double(max(1, job.textCount))
        let byWindow = Int(Double(room) * estimator.charactersPerToken * 0.9 * job.shrink / numbered)
        return max(Self.floorCharacters, min(configuration.maxInputCharacters, byWindow))
    }

    static let systemCharacters = PromptFormat.systemMessage.utf8.count
    /// The least text a resume is ever cut to, whatever the window.
    static let floorCharacters = 200

    /// The prompt's length in characters, from the cached lengths (building the message to count it would
    /// walk every text again).
    func promptCharacters(_ group: [JobState]) -> Int {
        Self.systemCharacters + group.reduce(PromptFormat.userMessageHeaderCharacters) {
            $0 + $1.preparedCount + PromptFormat.numberingCharacters(lines: $1.preparedLines) + $1.job.id.count
                + PromptFormat.perDocumentCharacters
        }
    }

    /// What the context window must hold for `group`: its estimated prompt and `max_tokens`.
    func requestSize(_ group: [JobState]) -> Int {
        estimator.estimate(characters: promptCharacters(group)) + maxTokens(for: group)
    }

    /// The `max_tokens` a request for `group` asks for: each answer's share (learned from the answers, times
    /// the boost of an answer cut off before), and a little for the wrapper.
    func maxTokens(for group: [JobState]) -> Int {
        min(configuration.maxTokens, group.reduce(0) { $0 + completionTokens(for: $1) } + 64)
    }

    /// The completion tokens one job's answer is given.
    func completionTokens(for job: JobState) -> Int {
        let learned = completions.tokens(resumeTokens: estimator.estimate(characters: job.preparedCount))
        return min(configuration.maxTokens, learned * job.outputBoost)
    }

    /// An answer to `group` of `completionTokens`, not cut off: the reserve learns from it.
    mutating func observeAnswer(_ group: [JobState], completionTokens: Int) {
        let characters = group.reduce(0) { $0 + $1.preparedCount }
        completions.observe(completionTokens: completionTokens, resumeTokens: estimator.estimate(characters: characters))
    }
}
