/// The completion tokens a request reserves (`max_tokens`), learned from the answers.
///
/// OpenAI counts `max_tokens` against the tokens-per-minute limit when it admits a request, whatever the answer
/// then uses: reserving a fixed 1,200 per resume when answers take 500 leaves more than half of the reserved
/// budget idle. The answers' length follows the resume's: each answer teaches the ratio of completion tokens to
/// resume tokens, and a request reserves a high percentile of that ratio × its resumes' tokens, with a margin.
/// An answer that still runs into `max_tokens` (`finish_reason: length`) is asked again alone with twice as
/// much (``ReplyPolicy/invalidAnswer(truncated:groupSize:job:configuration:reason:)``).
///
/// Until ``minimumObservations`` answers are in, and never above it, a resume reserves `ceiling`
/// (`LLM_OUTPUT_TOKENS_PER_RESUME`). A pure value.
struct CompletionReserve: Sendable {
    /// Completion tokens a resume reserves at most (and before anything is learned).
    let ceiling: Int
    /// The percentile of the observed ratios reserved, and the margin on top.
    static let percentile = 0.97
    static let margin = 1.15
    /// Tokens added to every resume's share: the answer's wrapper (`{"id":…,"resume":{…}}`) does not shrink
    /// with the resume.
    static let fixedTokens = 48
    /// The least a resume reserves.
    static let floorTokens = 160
    static let minimumObservations = 16
    /// Ratios kept (the newest; older ones are overwritten in turn).
    static let capacity = 256

    private var ratios: [Double] = []
    private var nextSlot = 0
    private var sinceSorted = 0
    /// The reserved percentile of completion tokens per resume token; nil until enough answers.
    private(set) var ratio: Double?

    init(ceiling: Int) {
        self.ceiling = ceiling
    }

    /// Answers learned from so far (at most ``capacity`` kept).
    var observations: Int { ratios.count }

    /// An answer of `completionTokens` (not cut off) to resumes of `resumeTokens` (estimated prompt tokens of their
    /// texts).
    mutating func observe(completionTokens: Int, resumeTokens: Int) {
        guard completionTokens > 0, resumeTokens > 0 else { return }
        let sample = Double(max(0, completionTokens - Self.fixedTokens)) / Double(resumeTokens)
        if ratios.count < Self.capacity {
            ratios.append(sample)
        } else {
            ratios[nextSlot] = sample
            nextSlot = (nextSlot + 1) % Self.capacity
        }
        sinceSorted += 1
        // The percentile is recomputed every few answers: sorting 256 numbers is cheap, but not per answer.
        if ratios.count >= Self.minimumObservations && (ratio == nil || sinceSorted >= 8) {
            let sorted = ratios.sorted()
            let index = min(sorted.count - 1, Int((Double(sorted.count) * Self.percentile).rounded(.down)))
            ratio = sorted[index]
            sinceSorted = 0
        }
    }

    /// Completion tokens to reserve for one resume of `resumeTokens`.
    func tokens(resumeTokens: Int) -> Int {
        guard let ratio else { return ceiling }
        let learned = Int((ratio * Double(resumeTokens) * Self.margin).rounded(.up)) + Self.fixedTokens
        return min(ceiling, max(Self.floorTokens, learned))
    }
}
