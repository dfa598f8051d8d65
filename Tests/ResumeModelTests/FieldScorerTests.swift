import Testing

@testable import ResumeModel

@Suite("Field scorer")
struct FieldScorerTests {
    let scorer = FieldScorer()

    static let truth = JSONResume(
        basics: .init(name: "Zoë O'Brien", label: "Data Engineer", email: "zoe@example.org", phone: "+44 7040 788647",
                      location: .init(city: "Edinburgh", countryCode: "GB"),
                      profiles: [.init(network: "LinkedIn", username: "zoe", url: "https://www.linkedin.com/in/zoe")]),
        work: [
            .init(name: "Acme Ltd", position: "Data Engineer", startDate: "2021-03"),
            .init(name: "Globex", position: "Analyst", startDate: "2018", endDate: "2021"),
        ],
        education: [
            .init(institution: "Université Paris-Saclay", area: "Physics", studyType: "M.Sc.", endDate: "2018"),
        ],
        skills: [.init(name: "Tools", keywords: ["Python", "SQL"]), .init(name: "Other", keywords: ["dbt"])],
        languages: [.init(language: "English", fluency: "Native"), .init(language: "French", fluency: "B2")],
        certificates: [.init(name: "AWS Certified Developer")]
    )

    @Test("a perfect prediction is all true positives")
    func perfect() {
        let scores = scorer.score(predicted: Self.truth, truth: Self.truth)
        for field in ResumeField.allCases {
            #expect(scores[field].falsePositives == 0, "\(field)")
            #expect(scores[field].falseNegatives == 0, "\(field)")
        }
        #expect(scores[.name] == FieldScore(truePositives: 1))
        #expect(scores[.workStartDate].truePositives == 2)
        // The current job's missing end date is the value "present": both agree.
        #expect(scores[.workEndDate].truePositives == 2)
        #expect(scores[.skillKeywords].truePositives == 3)
        #expect(scores.total.precision == 1 && scores.total.recall == 1 && scores.total.f1 == 1)
    }

    @Test("strings compare without case, diacritics, punctuation; phones by digits; links without scheme")
    func normalisation() {
        var predicted = Self.truth
        predicted.basics?.name = "ZOE O BRIEN"
        predicted.basics?.phone = "+44 (7040) 788-647"
        predicted.basics?.profiles = [.init(url: "linkedin.com/in/zoe/")]
        predicted.education?[0].institution = "Universite Paris Saclay"
        predicted.education?[0].studyType = "MSc"
        predicted.education?[0].area = "Physical"
        let scores = scorer.score(predicted: predicted, truth: Self.truth)
        #expect(scores[.name] == FieldScore(truePositives: 1))
        #expect(scores[.phone] == FieldScore(truePositives: 1))
        #expect(scores[.profileURL] == FieldScore(truePositives: 1))
        #expect(scores[.educationInstitution] == FieldScore(truePositives: 1))
        #expect(scores[.educationStudyType] == FieldScore(truePositives: 1))
        #expect(scores[.educationArea] == FieldScore(falsePositives: 1, falseNegatives: 1))
    }

    @Test("a missing value is a false negative, an invented one a false positive, a wrong one both")
    func singleValues() {
        var predicted = Self.truth
        predicted.basics?.email = nil
        predicted.basics?.label = "Data Scientist"
        var truth = Self.truth
        truth.basics?.location = nil
        let scores = scorer.score(predicted: predicted, truth: truth)
        #expect(scores[.email] == FieldScore(falseNegatives: 1))
        #expect(scores[.label] == FieldScore(falsePositives: 1, falseNegatives: 1))
        #expect(scores[.city] == FieldScore(falsePositives: 1))
    }

    @Test("lists match one to one: extras are false positives, misses false negatives, duplicates count once each")
    func lists() {
        var predicted = Self.truth
        predicted.skills = [.init(keywords: ["python", "Python", "Go"])]
        predicted.languages = [.init(language: "english")]
        let scores = scorer.score(predicted: predicted, truth: Self.truth)
        #expect(scores[.skillKeywords] == FieldScore(truePositives: 1, falsePositives: 2, falseNegatives: 2))
        #expect(scores[.language] == FieldScore(truePositives: 1, falseNegatives: 1))
        #expect(scores[.skillKeywords].precision == 1.0 / 3.0)
        #expect(scores[.skillKeywords].recall == 1.0 / 3.0)
    }

    @Test("jobs pair by agreeing fields whatever their order; an extra job's fields are false positives")
    func entries() {
        var predicted = Self.truth
        predicted.work = [
            .init(name: "Initech", position: "Intern", startDate: "2015", endDate: "2016"),
            .init(name: "Globex", position: "Analyst", startDate: "2018", endDate: "2021"),
            .init(name: "Acme Ltd", position: "Engineer", startDate: "2021-03", endDate: "2023"),
        ]
        let scores = scorer.score(predicted: predicted, truth: Self.truth)
        #expect(scores[.workName] == FieldScore(truePositives: 2, falsePositives: 1))
        #expect(scores[.workPosition] == FieldScore(truePositives: 1, falsePositives: 2, falseNegatives: 1))
        #expect(scores[.workStartDate] == FieldScore(truePositives: 2, falsePositives: 1))
        // Acme's "present" predicted as 2023: wrong.
        #expect(scores[.workEndDate] == FieldScore(truePositives: 1, falsePositives: 2, falseNegatives: 1))
    }

    @Test("a missed job's fields are false negatives")
    func missedEntry() {
        var predicted = Self.truth
        predicted.work = nil
        predicted.education = []
        let scores = scorer.score(predicted: predicted, truth: Self.truth)
        #expect(scores[.workName] == FieldScore(falseNegatives: 2))
        #expect(scores[.workEndDate] == FieldScore(falseNegatives: 2))
        #expect(scores[.educationArea] == FieldScore(falseNegatives: 1))
        #expect(scores[.workName].precision == nil)
        #expect(scores[.workName].recall == 0)
    }

    @Test("a corpus aggregates by summing counts, then computing the measures")
    func aggregation() {
        var a = FieldScores()
        a[.name] = FieldScore(truePositives: 9, falsePositives: 1)
        var b = FieldScores()
        b[.name] = FieldScore(truePositives: 1, falsePositives: 9, falseNegatives: 10)
        let sum = a + b
        #expect(sum[.name] == FieldScore(truePositives: 10, falsePositives: 10, falseNegatives: 10))
        #expect(sum[.name].precision == 0.5)  // not the mean of 0.9 and 0.1 weighted otherwise
        #expect(sum[.name].recall == 0.5)
        #expect(sum[.name].f1 == 0.5)
        #expect(sum.total == FieldScore(truePositives: 10, falsePositives: 10, falseNegatives: 10))
        #expect(FieldScore().f1 == nil)
        #expect(FieldScore(falsePositives: 1, falseNegatives: 1).f1 == 0)
    }
}
