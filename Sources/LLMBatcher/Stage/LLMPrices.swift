/// What the endpoint charges, in USD per million tokens, and the cost of a request's usage at those prices.
/// A pure value: the batcher prices each document's share of the tokens with it, and `/metrics` the batcher's
/// totals (the cost is linear in the tokens, so the sum of the shares' costs is the cost of the sums, up to
/// the rounding of the shares).
public struct LLMPrices: Sendable, Equatable {
    /// Prompt tokens the endpoint did not serve from its cache (`LLM_PRICE_INPUT`).
    public var input: Double
    /// Prompt tokens served from the endpoint's prompt cache (`LLM_PRICE_CACHED_INPUT`).
    public var cachedInput: Double
    /// Completion tokens (`LLM_PRICE_OUTPUT`).
    public var output: Double

    /// Prices in USD per million tokens.
    public init(input: Double, cachedInput: Double, output: Double) {
        self.input = input
        self.cachedInput = cachedInput
        self.output = output
    }

    /// `gpt-4o-mini`'s list prices (Chat Completions): 0.15 in, 0.075 cached in, 0.60 out.
    public static let gpt4oMini = LLMPrices(input: 0.15, cachedInput: 0.075, output: 0.60)

    /// The cost in USD of `promptTokens` (of which `cachedTokens` came from the cache) and `completionTokens`:
    /// (prompt − cached) × input + cached × cached input + completion × output, per million. Cached tokens
    /// beyond the prompt (an endpoint's miscount) are priced as prompt tokens, and negative counts as none.
    public func cost(promptTokens: Int, cachedTokens: Int, completionTokens: Int) -> Double {
        let prompt = max(0, promptTokens)
        let cached = min(prompt, max(0, cachedTokens))
        let completion = max(0, completionTokens)
        let microDollars = Double(prompt - cached) * input + Double(cached) * cachedInput
            + Double(completion) * output
        return microDollars / 1_000_000
    }

    /// Every price times `factor` (the Batch API bills half of each).
    public func scaled(by factor: Double) -> LLMPrices {
        LLMPrices(input: input * factor, cachedInput: cachedInput * factor, output: output * factor)
    }
}
