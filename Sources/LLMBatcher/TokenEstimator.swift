/// Estimates how many tokens a text costs before sending it, and learns the real ratio from the answers.
///
/// The first guess is `CHARS_PER_TOKEN_ESTIMATE` characters per token (4 for English prose with OpenAI's
/// tokenizers). Each response's `usage.prompt_tokens` then corrects it: the observed ratio of a request is
/// folded into an exponentially weighted mean, so the budget tracks the corpus actually sent (resumes with
/// many names, numbers and URLs run nearer 3) without a tokenizer in the process. A pure value: the batcher
/// owns one and feeds it.
public struct TokenEstimator: Sendable, Equatable {
    /// The current characters-per-token ratio.
    public private(set) var charactersPerToken: Double
    /// How many observations have been folded in.
    public private(set) var observations = 0
    /// Weight of a new observation in the mean (0...1).
    public let smoothing: Double
    /// Ratios outside this range are treated as broken usage data and ignored.
    public static let plausibleRatios: ClosedRange<Double> = 0.5...16

    /// An estimator starting at `charactersPerToken` (`CHARS_PER_TOKEN_ESTIMATE`).
    public init(charactersPerToken: Double = 4, smoothing: Double = 0.2) {
        precondition(Self.plausibleRatios.contains(charactersPerToken), "implausible characters per token")
        precondition((0...1).contains(smoothing))
        self.charactersPerToken = charactersPerToken
        self.smoothing = smoothing
    }

    /// Tokens that `characters` characters are expected to cost, rounded up (never 0 for non-empty text).
    public func estimate(characters: Int) -> Int {
        guard characters > 0 else { return 0 }
        return Int((Double(characters) / charactersPerToken).rounded(.up))
    }

    /// Folds in what the provider reported for a prompt of `characters` characters (the whole prompt the
    /// provider counted, system text included). Implausible pairs are ignored; returns whether it was used.
    @discardableResult
    public mutating func observe(characters: Int, promptTokens: Int) -> Bool {
        guard characters > 0, promptTokens > 0 else { return false }
        let ratio = Double(characters) / Double(promptTokens)
        guard Self.plausibleRatios.contains(ratio) else { return false }
        // The first real observation says more than the default guess: weight it at least half.
        let weight = observations == 0 ? max(smoothing, 0.5) : smoothing
        charactersPerToken += weight * (ratio - charactersPerToken)
        observations += 1
        return true
    }

    /// Folds in the count a `context_length_exceeded` answer gave for a prompt that did not fit: when it is
    /// denser than the estimate, the estimate takes it at once (a mean would leave the next requests sized
    /// with a ratio still too high, and overflowing again); otherwise as ``observe(characters:promptTokens:)``.
    @discardableResult
    public mutating func observeOverflow(characters: Int, promptTokens: Int) -> Bool {
        guard characters > 0, promptTokens > 0 else { return false }
        let ratio = Double(characters) / Double(promptTokens)
        guard Self.plausibleRatios.contains(ratio) else { return false }
        guard ratio < charactersPerToken else { return observe(characters: characters, promptTokens: promptTokens) }
        charactersPerToken = ratio
        observations += 1
        return true
    }
}
