import Testing

@testable import LLMBatcher

@Suite("Token estimation")
struct TokenEstimatorTests {
    @Test("the default guess is characters / 4, rounded up")
    func defaultGuess() {
        let estimator = TokenEstimator()
        #expect(estimator.estimate(characters: 0) == 0)
        #expect(estimator.estimate(characters: 1) == 1)
        #expect(estimator.estimate(characters: 40_000) == 10_000)
        #expect(estimator.estimate(characters: 40_001) == 10_001)
    }

    @Test("observed usage moves the ratio towards the truth and converges")
    func converges() {
        var estimator = TokenEstimator(charactersPerToken: 4)
        let used = estimator.observe(characters: 3000, promptTokens: 1000)
        #expect(used)
        #expect(estimator.charactersPerToken < 4 && estimator.charactersPerToken > 3)
        for _ in 0..<40 { estimator.observe(characters: 3000, promptTokens: 1000) }
        #expect(abs(estimator.charactersPerToken - 3) < 0.01)
        #expect(estimator.estimate(characters: 30_000) == 10_000 || estimator.estimate(characters: 30_000) == 10_001)
        #expect(estimator.observations == 41)
    }

    @Test("implausible usage is ignored", arguments: [(100, 0), (0, 10), (10, 1000), (100_000, 10)])
    func ignoresNonsense(characters: Int, tokens: Int) {
        var estimator = TokenEstimator()
        let used = estimator.observe(characters: characters, promptTokens: tokens)
        #expect(!used)
        #expect(estimator == TokenEstimator())
    }
}
