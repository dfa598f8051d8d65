import Loop
import HTTP1
import ResumeModel
/// A prompt's token count and the hashes of its prefixes at every 128-token block, built message by message
/// (what the prompt cache compares).
struct SimulatorPromptTokens: Sendable {
    static let blockSize = 128
    /// Tokens so far.
    private(set) var count = 0
    /// `blocks[k]` is the hash of the prompt's pieces up to the end of block k (the first piece at or past
    /// (k + 1) × 128 tokens).
    private(set) var blocks: [UInt64] = []
    private var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a offset basis

    /// Appends `text`, tokenized.
    mutating func append(_ text: String) {
        let scalars = Array(text.unicodeScalars)
        var from = 0
        SimulatorTokenizer.forEachPiece(scalars) { end, cost in
            for s in scalars[from..<end] { mix(s.value) }
            from = end
            add(cost)
            return true
        }
    }

    /// Appends a framing marker (message boundaries, role) costing `cost` tokens.
    mutating func appendMarker(_ marker: String, cost: Int) {
        mix(0xFFFF_FFFF)
        for s in marker.unicodeScalars { mix(s.value) }
        add(cost)
    }

    private mutating func mix(_ value: UInt32) {
        hash = (hash ^ UInt64(value)) &* 0x0000_0100_0000_01B3
    }

    private mutating func add(_ cost: Int) {
        count += cost
        while count >= (blocks.count + 1) * Self.blockSize { blocks.append(hash) }
    }
}

/// OpenAI-style automatic prompt caching: a prompt of 1024 tokens or more reuses the longest prefix, in
/// 128-token blocks, that a recent prompt shared; `cached_tokens` is that prefix's length when it is at
/// least 1024 tokens, else 0. A prefix stays cached for `ttl` after its last use.
///
/// Source: OpenAI, "Prompt Caching in the API" (openai.com, 1 Oct 2024): "The API caches the longest prefix of
/// a prompt that has been previously computed, starting at 1,024 tokens and increasing in 128-token
/// increments", reported as `usage.prompt_tokens_details.cached_tokens` (its example: 2006 prompt, 1920
/// cached); caches are typically cleared after 5 to 10 minutes of inactivity (the default `ttl` is 300 s, the
/// short end); gpt-4o-mini's cached input costs $0.075 against $0.15 per million (half; billed by the
/// benchmarks, not here). Optimistic: one cache for all traffic, while OpenAI routes by a hash
/// of the first ~256 tokens and spreads a prefix over more machines above ~15 requests per minute, each a
/// first miss (cookbook "Prompt Caching 201"), so real hit rates are lower at high request rates.
struct SimulatorPromptCache: Sendable {
    static let minimumTokens = 1024
    let ttl: Duration
    let maxEntries: Int
    private var lastUse: [UInt64: Duration] = [:]

    init(ttl: Duration, maxEntries: Int = 200_000) {
        self.ttl = ttl
        self.maxEntries = maxEntries
    }

    /// The cached tokens of `prompt`, then records its blocks as used at `now`.
    mutating func use(_ prompt: SimulatorPromptTokens, now: Duration) -> Int {
        var matched = 0
        for block in prompt.blocks {
            guard let seen = lastUse[block], now - seen <= ttl else { break }
            matched += 1
        }
        let prefix = matched * SimulatorPromptTokens.blockSize
        for block in prompt.blocks { lastUse[block] = now }
        if lastUse.count > maxEntries {
            lastUse = lastUse.filter { now - $0.value <= ttl }
            if lastUse.count > maxEntries { lastUse.removeAll() }
        }
        return prompt.count >= Self.minimumTokens && prefix >= Self.minimumTokens ? min(prefix, prompt.count) : 0
    }
}
