import Testing
@testable import ResumeModel

@Suite("the built-in candidate scorer and its evidence")
struct CandidateScorerTests {
    static let text = """
        Tomás Ortega
        Senior Backend Engineer · Madrid · tomas.ortega@example.com

        EXPERIENCE
        Senior Backend Engineer, Nimbus Payments — Mar 2019 to present
        Built services in Golang on k8s; PostgreSQL and Kafka.
        Backend Developer, Lumen Labs — Jun 2015 to Feb 2019
        JavaScript and Node.js APIs.

        EDUCATION
        MSc Computer Science, Universidad Politécnica de Madrid, 2015

        SKILLS
        Go, Kubernetes, PostgreSQL, Kafka, Docker
        """

    static let resume = JSONResume(
        basics: .init(name: "Tomás Ortega", label: "Senior Backend Engineer"),
        work: [
            .init(name: "Nimbus Payments", position: "Senior Backend Engineer", startDate: "2019-03"),
            .init(name: "Lumen Labs", position: "Backend Developer", startDate: "2015-06", endDate: "2019-02"),
        ],
        education: [.init(institution: "Universidad Politécnica de Madrid", area: "Computer Science", studyType: "MSc")])

    static let job = JobProfile(title: "Backend Engineer", requiredSkills: ["Go", "Kubernetes", "PostgreSQL", "Rust"],
                                niceToHaveSkills: ["Kafka", "Terraform"], minimumYears: 5, education: .bachelor)

    @Test("every reason quotes the stored text at its offsets, non-ASCII before it or not")
    func evidenceVerifies() {
        let result = CandidateScorer.score(job: Self.job, resume: Self.resume, text: Self.text, today: "2026-12")
        let text = ResumeText(Self.text)
        #expect(!result.reasons.isEmpty)
        for reason in result.reasons {
            #expect(text.verify(quote: reason.quote, start: reason.start, end: reason.end), "\(reason)")
        }
        // Offsets are in scalars: "á" in Tomás is one.
        let nimbus = result.reasons.first { $0.criterion == "experience" }
        #expect(nimbus?.quote == "Nimbus Payments")
        let scalars = Array(Self.text.unicodeScalars)
        let at = (0..<scalars.count).first { String(String.UnicodeScalarView(scalars[$0..<min($0 + 6, scalars.count)])) == "Nimbus" }
        #expect(nimbus?.start == at)
    }

    @Test("skills are found by their synonyms, as whole words; what is missing is said, not quoted")
    func skills() {
        let result = CandidateScorer.score(job: Self.job, resume: Self.resume, text: Self.text, today: "2026-12")
        #expect(result.subScores["required_skills"] == 0.75)
        #expect(result.missingSkills == ["Rust"])
        #expect(result.subScores["nice_skills"] == 0.5)
        let go = result.reasons.first { $0.text == "has the required skill Go" }
        #expect(go?.quote == "Go", "the skill's own spelling first (\"Golang\" does not hold the word \"Go\")")
        let synonym = CandidateScorer.score(job: JobProfile(title: "SRE", requiredSkills: ["Kubernetes"]),
                                            resume: JSONResume(), text: "Ran K8s clusters.", today: "2026-12")
        #expect(synonym.reasons.first?.quote == "K8s")
        #expect(synonym.subScores["required_skills"] == 1)
        // "Go" is not inside "Google", nor "Java" inside "JavaScript".
        let text = ResumeText("Worked at Google on JavaScript")
        #expect(text.find("Go") == nil)
        #expect(text.find("Java") == nil)
        #expect(text.find("javascript") != nil)
        #expect(ResumeText("C++ and C#").find("C") == nil)
    }

    @Test("experience is the union of dated jobs; the score sums the documented weights")
    func experienceAndScore() {
        let result = CandidateScorer.score(job: Self.job, resume: Self.resume, text: Self.text, today: "2026-12")
        // Jun 2015 – Feb 2019 (45 months) and Mar 2019 – Dec 2026 (94 months): 139 months.
        #expect(result.years == 11.6)
        #expect(result.subScores["experience"] == 1)
        #expect(result.subScores["title"] == 1)
        #expect(result.subScores["education"] == 1)
        // 0.45 × 0.75 + 0.10 × 0.5 + 0.25 + 0.15 + 0.05 = 0.8375
        #expect(result.score == 84)
        #expect(CandidateScorer.unionMonths([0...11, 6...17, 30...35]) == 24)
    }

    @Test("a weaker candidate ranks lower; a quote that is not in the text does not verify")
    func ranking() {
        let junior = JSONResume(work: [.init(name: "Cafe Uno", position: "Barista", startDate: "2024-01")])
        let juniorText = "Barista, Cafe Uno, 2024 to present. Latte art."
        let weak = CandidateScorer.score(job: Self.job, resume: junior, text: juniorText, today: "2026-12")
        let strong = CandidateScorer.score(job: Self.job, resume: Self.resume, text: Self.text, today: "2026-12")
        #expect(weak.score < strong.score)
        #expect(weak.missingSkills == ["Go", "Kubernetes", "PostgreSQL", "Rust"])
        let text = ResumeText(juniorText)
        #expect(!text.verify(quote: "Kubernetes", start: 0, end: 10))
        #expect(!text.verify(quote: "Barista", start: 1, end: 8))
        #expect(text.verify(quote: "Barista", start: 0, end: 7))
        #expect(!text.verify(quote: "x", start: 40, end: 400))
    }

    @Test("degree names give their level")
    func education() {
        #expect(EducationLevel.of("Ph.D. in Physics") == .doctorate)
        #expect(EducationLevel.of("Master of Science") == .master)
        #expect(EducationLevel.of("B.Tech") == .bachelor)
        #expect(EducationLevel.of("Grado en Enfermería") == .bachelor)
        #expect(EducationLevel.of("High school") == nil)
    }
}
