import Testing
@testable import ResumeModel

@Suite("the ground-truth score the scoring benchmark ranks against")
struct GroundTruthScoreTests {
    @Test("the scorer's weights from the record's own fields")
    func weights() {
        var truth = CandidateScorerTests.resume
        truth.skills = [.init(name: "Backend", keywords: ["Golang", "kubernetes", "PostgreSQL", "Kafka"])]
        // Required 3 of 4 (Go as Golang), nice 1 of 2, 11.6 years of 5, title and degree in full:
        // 0.45 × 0.75 + 0.10 × 0.5 + 0.25 + 0.15 + 0.05.
        let score = GroundTruthScore.score(job: CandidateScorerTests.job, truth: truth, today: "2026-12")
        #expect(abs(score - 83.75) < 1e-9)
        let builtIn = CandidateScorer.score(job: CandidateScorerTests.job, resume: CandidateScorerTests.resume,
                                            text: CandidateScorerTests.text, today: "2026-12")
        #expect(builtIn.score == 84, "the scorer agrees on this resume, whose skills are all in its text")
    }

    @Test("overlapping jobs count once; an undated record has no experience; empty criteria drop out")
    func experience() {
        let truth = JSONResume(work: [
            .init(name: "A", position: "Nurse", startDate: "2020-01", endDate: "2020-12"),
            .init(name: "B", position: "Nurse", startDate: "2020-06", endDate: "2021-05"),
            .init(name: "C", position: "Nurse", startDate: "present"),
        ])
        // 17 months of 34 asked (2 years 10 months); the job names no skills and its title only a stop word.
        let job = JobProfile(title: "Senior", minimumYears: 34.0 / 12)
        let score = GroundTruthScore.score(job: job, truth: truth, today: "2026-12")
        // experience 0.5 × 0.25, education 0 × 0.05, over 0.30.
        #expect(abs(score - 100 * 0.125 / 0.30) < 1e-9)
        #expect(GroundTruthScore.score(job: JobProfile(title: "Nurse"), truth: JSONResume(), today: "2026-12") == 0)
        #expect(GroundTruthScore.monthNumber("2019") == 2019 * 12)
        #expect(GroundTruthScore.monthNumber("2019-03") == 2019 * 12 + 2)
        #expect(GroundTruthScore.monthNumber("Present") == nil)
    }
}
