import Testing

@testable import ResumeModel

@Suite("Rules parser: confidence")
struct ParseConfidenceTests {
    let parser = RulesParser()

    /// Scores a hand-made resume with no lines behind it (only entry and contact checks apply).
    func assess(_ resume: JSONResume, warnings: [String] = [], text: String = "") -> ParseConfidence {
        ParseConfidence.assess(resume, warnings: warnings, lines: [], sections: [], text: text)
    }

    @Test("a clean resume: every field 1, core 1, not weak, no reasons")
    func clean() {
        let confidence = parser.parse(RulesParserTests.classic).confidence
        #expect(!confidence.weak)
        #expect(confidence.core == 1)
        #expect(confidence.reasons == [])
        #expect(confidence.fields["basics.name"] == 1 && confidence.fields["basics.email"] == 1)
        #expect(confidence.fields["work"] == 1 && confidence.fields["work[2]"] == 1)
        #expect(confidence.fields["education"] == 1 && confidence.fields["skills"] == 1)
        #expect(confidence.fieldsJSON.hasPrefix(#"{"basics.email":1,"basics.location":1,"basics.name":1,"#))
    }

    @Test("a text whose dates name jobs none of which is read is weak, however short")
    func flattened() {
        let flat = "Jane Doe jane.doe@example.com Worked for several regional firms on their books and audits and "
            + "payroll from 2015 – 2018 and then for a larger group on consolidation and reporting from 2018 – 2021 "
            + "with Excel, SAP and Power BI"
        let confidence = parser.parse(flat).confidence
        #expect(confidence.weak)
        #expect(confidence.fields["work"] == 0)
        #expect(confidence.fields["skills"] == 0.5)
        #expect(confidence.reasons.contains("work: none found in a long text"))
    }

    @Test("a job-board export whose jobs have no titles is weak, though name and e-mail are fine")
    func jobBoard() {
        let confidence = parser.parse(Self.jobBoard).confidence
        #expect(confidence.weak)
        #expect(confidence.fields["basics.name"] == 1 && confidence.fields["basics.email"] == 1)
        #expect(confidence.fields["work"] == 0.5)
        #expect(confidence.reasons.contains("work[0]: no position"))
        #expect(confidence.fields["education[0]"] == 0.6)
        #expect(confidence.reasons.contains("education[0]: no degree"))
    }

    @Test("the name: one word, lower case, digits, outside a header, away from contact details")
    func name() {
        let one = assess(JSONResume(basics: .init(name: "Jane")))
        #expect(one.weak && one.reasons.contains("basics.name: one word"))
        let many = assess(JSONResume(basics: .init(name: "Jane Mary Ann Louise Doe")))
        #expect(many.reasons.contains("basics.name: more than four words"))
        let lower = assess(JSONResume(basics: .init(name: "jane doe")))
        #expect(lower.reasons.contains("basics.name: words not capitalised"))
        #expect(!assess(JSONResume(basics: .init(name: "Ludwig van Beethoven"))).reasons
            .contains("basics.name: words not capitalised"))
        let digits = assess(JSONResume(basics: .init(name: "Jane Doe 2024")))
        #expect(digits.reasons.contains("basics.name: digits or separators"))
        // No header at all: found by the fallback.
        #expect(lower.reasons.contains("basics.name: not in a header (found by the fallback)"))
        let far = parser.parse("Jane Doe\nSenior Engineer\nBerlin\nline\nline\nline\n\njane@example.com").confidence
        #expect(far.reasons.contains("basics.name: no contact details near it"))
    }

    @Test("the e-mail: syntax, and where it was found")
    func email() {
        for good in ["jane.doe@example.com", "j+cv@mail.example.co.uk"] { #expect(ParseConfidence.validEmail(good)) }
        for bad in ["jane..doe@example.com", "jane@example", "jane@-example.com", "@example.com", "a@b@c.com",
                    "jane@example.c0m"] {
            #expect(!ParseConfidence.validEmail(bad), "\(bad)")
        }
        let missing = assess(JSONResume(basics: .init(name: "Jane Doe")))
        #expect(missing.fields["basics.email"] == 0 && missing.reasons.contains("basics.email: not found"))
        let invalid = assess(JSONResume(basics: .init(name: "Jane Doe", email: "jane@example")))
        #expect(invalid.reasons.contains("basics.email: invalid syntax"))
    }

    @Test("phone and location")
    func phoneAndLocation() {
        let short = assess(JSONResume(basics: .init(phone: "12345")))
        #expect(short.fields["basics.phone"] == 0.4)
        #expect(assess(JSONResume(basics: .init(phone: "+49 89 1234567"))).fields["basics.phone"] == 1)
        let city = assess(JSONResume(basics: .init(location: .init(city: "Berlin"))))
        #expect(city.fields["basics.location"] == 0.9)
        let odd = assess(JSONResume(basics: .init(location: .init(city: "Unit 4 Riverside Business Park", countryCode: "GB"))))
        #expect(odd.fields["basics.location"] == 0.5)
    }

    @Test("a job loses points for each doubt", arguments: [
        (JSONResume.Work(name: "Acme", position: "Engineer", startDate: "2020"), 1.0, nil),
        (JSONResume.Work(name: "Acme", startDate: "2020"), 0.5, "no position"),
        (JSONResume.Work(position: "Engineer", startDate: "2020"), 0.7, "no company"),
        (JSONResume.Work(name: "Acme", position: "Engineer"), 0.7, "no start date"),
        (JSONResume.Work(name: "Acme Ltd", position: "ACME LTD.", startDate: "2020"), 0.5,
         "position and company are the same text"),
        (JSONResume.Work(name: "Acme Ltd", position: "Engineer,", startDate: "2020"), 0.8,
         "position starts or ends with a separator"),
        (JSONResume.Work(name: "Acme Ltd Jan 2019", position: "Engineer", startDate: "2019"), 0.7,
         "company holds a date"),
        (JSONResume.Work(name: "Acme Ltd", position: "Engineer 2 yrs", startDate: "2019"), 0.7,
         "position holds a duration"),
    ] as [(JSONResume.Work, Double, String?)])
    func work(entry: JSONResume.Work, score: Double, reason: String?) throws {
        let confidence = assess(JSONResume(work: [entry]))
        let got = try #require(confidence.fields["work[0]"])
        #expect(abs(got - score) < 1e-9)
        #expect(confidence.fields["work"] == got)
        #expect(confidence.reasons.filter { $0.hasPrefix("work") } == (reason.map { ["work[0]: \($0)"] } ?? []))
    }

    @Test("education: institution and degree; skills from a section or the vocabulary")
    func educationAndSkills() {
        let both = assess(JSONResume(education: [.init(institution: "MIT", area: "Physics")]))
        #expect(both.fields["education[0]"] == 1)
        let degreeOnly = assess(JSONResume(education: [.init(studyType: "BSc")]))
        #expect(degreeOnly.fields["education[0]"] == 0.5)
        let vocabulary = assess(JSONResume(skills: [.init(keywords: ["Go"])]),
                                warnings: ["no skills section; skills taken from the vocabulary"])
        #expect(vocabulary.fields["skills"] == 0.5)
        #expect(assess(JSONResume(skills: [.init(keywords: ["Go"])])).fields["skills"] == 1)
    }

    @Test("core fields missing from a long text count as 0; from a short one they do not count")
    func missingCore() {
        let basics = JSONResume.Basics(name: "Jane Doe", email: "jane@example.com")
        let short = assess(JSONResume(basics: basics), text: "short")
        #expect(short.fields["work"] == nil && short.fields["education"] == nil)
        let long = assess(JSONResume(basics: basics), text: String(repeating: "x", count: ParseConfidence.longTextBytes))
        #expect(long.fields["work"] == 0 && long.weak)
        #expect(long.reasons.contains("work: none found in a long text"))
        // Without education only: lower, not weak.
        var resume = JSONResume(basics: basics)
        resume.work = [.init(name: "Acme", position: "Engineer", startDate: "2020")]
        let noEducation = assess(resume, text: String(repeating: "x", count: ParseConfidence.longTextBytes))
        #expect(noEducation.fields["education"] == 0 && noEducation.core < 1 && !noEducation.weak)
    }

    @Test("scores are written to two decimals")
    func decimals() {
        #expect([1, 0, 0.5, 0.85, 0.05, 0.999, 0.004].map(ParseConfidence.decimal) == ["1", "0", "0.5", "0.85", "0.05", "1", "0"])
    }

    static let jobBoard = """
        Candidate Profile
        Exported from JobBoard on 2024-03-01

        John Smith
        john.smith@example.com
        +44 20 7946 0958
        London, UK

        Work Experience
        Acme Robotics Ltd
        Jan 2021 – Present
        Managed the robotics team of twelve engineers and delivered three product lines across Europe.
        Globex Corporation
        06/2017 - 12/2020
        Built the billing platform used by 2 million customers, migrated it to the cloud.
        Initech Ltd
        2015 – 2017
        Reporting, dashboards and data pipelines for the finance department.

        Education
        University of Leeds
        2011 – 2015
        """
}
