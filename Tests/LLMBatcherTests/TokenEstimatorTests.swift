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

    @Test("an overflow's count denser than the estimate is taken at once; a sparser one only moves the mean")
    func overflowTakenAtOnce() {
        var e = TokenEstimator(charactersPerToken: 4)
        let used = e.observeOverflow(characters: 30_000, promptTokens: 10_000)
        #expect(used)
        #expect(e.charactersPerToken == 3, "the endpoint's count for a prompt that did not fit, whole")
        let usedAgain = e.observeOverflow(characters: 50_000, promptTokens: 10_000)
        #expect(usedAgain)
        #expect(e.charactersPerToken > 3 && e.charactersPerToken < 5, "sparser: folded into the mean, \(e.charactersPerToken)")
        let implausible = e.observeOverflow(characters: 10, promptTokens: 10_000)
        #expect(!implausible, "implausible counts are ignored")
    }
}
