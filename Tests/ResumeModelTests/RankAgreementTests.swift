import Testing
@testable import ResumeModel

@Suite("Spearman's ρ with ties at their average rank")
struct RankAgreementTests {
    @Test("tied values share the mean of the ranks they span")
    func ranks() {
        #expect(RankAgreement.ranks([10, 20, 20, 30]) == [1, 2.5, 2.5, 4])
        #expect(RankAgreement.ranks([3, 1, 3, 3]) == [3, 1, 3, 3])
        #expect(RankAgreement.ranks([]) == [])
    }

    @Test("the same order is 1, the reverse -1, ties count as neither; no order is no answer")
    func spearman() {
        #expect(RankAgreement.spearman([1, 2, 3, 4], [10, 20, 30, 45]) == 1)
        #expect(RankAgreement.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1)
        // Ranks of b: 1, 2, 3.5, 5, 3.5; covariance 8 over √(10 × 9.5).
        let rho = RankAgreement.spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])!
        #expect(abs(rho - 8 / (95.0).squareRoot()) < 1e-12)
        #expect(RankAgreement.spearman([1, 2, 3], [7, 7, 7]) == nil)
        #expect(RankAgreement.spearman([1], [2]) == nil)
    }
}
