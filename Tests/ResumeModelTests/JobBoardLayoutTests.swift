import Foundation
import Testing

@testable import ResumeModel

/// Resumes in the shapes job boards export them (invented people), with their line breaks and without:
/// the parser must not depend on either.
@Suite("Rules parser: job-board exports")
struct JobBoardLayoutTests {
    static let indeedLike = """
        Marta Kowalczyk
        Senior Accountant - Northwind Traders
        Leeds, West Yorkshire
        marta.kowalczyk@example.com
        +44 7700 900123

        Willing to relocate to: Manchester
        Authorized to work in the UK for any employer

        Work Experience

        Senior Accountant
        Northwind Traders Ltd. - Leeds
        March 2019 to Present

        • Prepared monthly management accounts for three business units
        • Led the migration of the ledger to Xero

        Assistant Accountant
        Harbour & Vale LLP - Bradford
        June 2015 to February 2019

        • Reconciled supplier statements

        Education

        Bachelor's degree in Accounting and Finance
        University of Sheffield - Sheffield
        September 2011 to June 2014

        Skills

        • Xero (4 years)
        • Microsoft Excel (10+ years)
        • SAP (Less than 1 year)

        Languages

        • English - Fluent
        • Polish - Fluent
        """

    static let naukriLike = """
        Match Statistics
        Rohit Venkatesh
        Featured Resume
        Senior Software Engineer at Infosys Limited
        Current Location: Bengaluru
        Pref. Location: Hyderabad, Chennai
        Email: rohit.venkatesh@example.in
        Mobile: +91 98450 12345

        Key Skills
        Java, Spring Boot, Microservices, Kafka, PostgreSQL, Docker

        Work Experience
        Senior Software Engineer
        Infosys Limited
        Apr 2019 to Till Date (4 years 8 months)
        Built payment reconciliation services.

        Software Engineer
        Tata Consultancy Services
        Jul 2016 to Mar 2019 (2 years 8 months)

        Languages Known
        English, Hindi, Tamil
        """

    static let linkedInLike = """
        Contact
        ana.ferreira@example.org
        www.linkedin.com/in/ana-ferreira-3b21
        Top Skills
        Product Management
        Roadmapping
        SQL
        Languages
        Portuguese (Native or Bilingual)
        English (Full Professional)
        Ana Ferreira
        Product Manager at Lumen Payments
        Lisbon, Portugal
        Summary
        Product manager building payment products for small merchants.
        Experience
        Lumen Payments
        Product Manager
        January 2020 - Present (4 years 11 months)
        Lisbon, Portugal
        Owned the merchant onboarding funnel.
        Atlas Retail Group
        Business Analyst
        September 2016 - December 2019 (3 years 4 months)
        Porto, Portugal
        Education
        Universidade do Porto
        Master's degree, Management · (2014 - 2016)
        Page 1 of 2
        """

    /// Line breaks as runs of spaces: two for a line, six for a blank line (what an ATS export keeps).
    static func flattened(_ text: String) -> String {
        text.replacingOccurrences(of: "\n\n", with: "      ").replacingOccurrences(of: "\n", with: "  ")
    }

    static func jobs(_ resume: JSONResume) -> [String] {
        (resume.work ?? []).map { "\($0.position ?? "-") @ \($0.name ?? "-") \($0.startDate ?? "-")–\($0.endDate ?? "now")" }
    }

    @Test("Indeed-like: title, then \"Company - City\", then \"Month Year to Present\"; skills without their years",
          arguments: [false, true])
    func indeed(flat: Bool) {
        let text = flat ? Self.flattened(Self.indeedLike) : Self.indeedLike
        let resume = RulesParser().parse(text).resume
        #expect(resume.basics?.name == "Marta Kowalczyk")
        #expect(Self.jobs(resume) == ["Senior Accountant @ Northwind Traders Ltd. 2019-03–now",
                                      "Assistant Accountant @ Harbour & Vale LLP 2015-06–2019-02"])
        #expect(resume.work?.map(\.location) == ["Leeds", "Bradford"])
        #expect(resume.education?.first?.institution == "University of Sheffield")
        #expect(resume.education?.first?.studyType == "Bachelor's degree")
        #expect(resume.education?.first?.area == "Accounting and Finance")
        #expect(resume.skills?.flatMap { $0.keywords ?? [] } == ["Xero", "Microsoft Excel", "SAP"])
        #expect(resume.languages?.map(\.language) == ["English", "Polish"])
        // The wished-for place is not where she lives.
        #expect(resume.basics?.location?.city == "Leeds")
    }

    @Test("Naukri-like: a badge and a page heading are not the name; durations are not employers",
          arguments: [false, true])
    func naukri(flat: Bool) {
        let text = flat ? Self.flattened(Self.naukriLike) : Self.naukriLike
        let resume = RulesParser().parse(text).resume
        #expect(resume.basics?.name == "Rohit Venkatesh")
        #expect(resume.basics?.label == "Senior Software Engineer at Infosys Limited")
        #expect(Self.jobs(resume) == ["Senior Software Engineer @ Infosys Limited 2019-04–now",
                                      "Software Engineer @ Tata Consultancy Services 2016-07–2019-03"])
        #expect(resume.languages?.map(\.language) == ["English", "Hindi", "Tamil"])
        #expect(resume.skills?.flatMap { $0.keywords ?? [] }.contains("Kafka") == true)
    }

    @Test("LinkedIn-like: the sidebar comes first; the name is found beside its headline; company over title")
    func linkedIn() {
        let resume = RulesParser().parse(Self.linkedInLike).resume
        #expect(resume.basics?.name == "Ana Ferreira")
        #expect(Self.jobs(resume) == ["Product Manager @ Lumen Payments 2020-01–now",
                                      "Business Analyst @ Atlas Retail Group 2016-09–2019-12"])
        #expect(resume.work?.first?.location == "Lisbon, Portugal")
        #expect(resume.education?.count == 1)  // "Page 1 of 2" is no school
        #expect(resume.education?.first?.institution == "Universidade do Porto")
    }

    @Test("a badge glued onto the name comes off; portal headings are never a name", arguments: [
        ("Jane DoeFeatured Resume", "Jane Doe"), ("Match Statistics Rohit Venkatesh", "Rohit Venkatesh"),
        ("Priya Nair Premium", "Priya Nair"),
    ])
    func badges(line: String, name: String) {
        #expect(Basics.withoutBadge(line) == name)
        let resume = RulesParser().parse("\(line)\njane@example.com\n\nExperience\nAnalyst, Acme Ltd, 2019 – 2021").resume
        #expect(resume.basics?.name == name)
    }

    @Test("durations job boards add are cut; other brackets stay", arguments: [
        ("Excel (10+ years)", "Excel"), ("SAP (Less than 1 year)", "SAP"), ("Java (4 yrs 2 mos)", "Java"),
        ("Excel (pivot tables, XLOOKUP)", "Excel (pivot tables, XLOOKUP)"), ("Lumen · 5 yrs", "Lumen"),
        ("ISO 27001 (2019)", "ISO 27001 (2019)"),
    ])
    func durations(text: String, expected: String) {
        #expect(EntryText.removingDurations(text) == expected)
    }

    @Test("a heading run into the next block starts a section; a title that starts with a heading word does not",
          arguments: [
            ("Work Experience Senior Accountant", "Work Experience"),
            ("Education Bachelor of Arts in History and Politics", "Education"),
            ("Project Engineer (2015 – 2016)", nil), ("Technical Project Manager, 03.2021 — Now", nil),
            ("Project Management Professional (PMP)", nil), ("Education Consultant", nil),
            ("Languages: Ruby, Go", nil),
          ] as [(String, String?)])
    func leadingHeadings(line: String, heading: String?) {
        #expect(Sections.leadingHeading(line)?.1 == heading)
    }

    @Test("an e-mail address a narrow column wrapped is joined; a whole one is left alone", arguments: [
        ("thao70@mail.exampl\ne.com\n+1 212 555 0127", "thao70@mail.exampl", "thao70@mail.example.com"),
        ("martin95@\nexample.com", "martin95@", "martin95@example.com"),
        ("karthik35@example.co\nm", "karthik35@example.co", "karthik35@example.com"),
        ("jane@example.com\njane.example.com", "jane@example.com", "jane@example.com"),
        ("jane@example.com\nlondon", "jane@example.com", "jane@example.com"),
    ])
    func wrappedEmails(text: String, firstLine: String, joined: String) {
        let lines = text.split(separator: "\n").map { (String($0), false) }
        #expect(lines[0].0 == firstLine)
        #expect(TextLines.joinWrappedEmails(lines).first?.0 == joined)
    }

    @Test("contact labels and availability badges are never the name")
    func contactLabels() {
        let text = "Võ Thị Hương Actively looking\nCurrent location: San Francisco, CA\nEmail ID: huong@example.org\n"
            + "Mobile: +1 604 555 0191 (Verified)\n\nResume Headline\nAnalytics Engineer"
        #expect(RulesParser().parse(text).resume.basics?.name == "Võ Thị Hương")
    }

    @Test("title and employer run together, then the place; a title run onto the line before; a one-word tail is the title's")
    func runTogether() {
        let text = """
            Jane Roe
            jane.roe@example.com
            Work Experience
            Financial Analyst
            Amberfield Financial - Lagos
            2020 to Present
            Built a rolling forecast model adopted by the CFO
            Content Strategist Brightline Media - Madrid June 2015 to June 2020
            Rebuilt the email nurture program, lifting open rates to 18%
            Processed 40 vendor invoices per week with 22% first-pass accuracy Junior Accountant
            Keystone Capital Ltd - Lagos
            2012 to 2015
            Clinical Nurse Educator, Westbrook Health, 2010 – 2012
            """
        let resume = RulesParser().parse(text).resume
        #expect(JobBoardLayoutTests.jobs(resume) == ["Financial Analyst @ Amberfield Financial 2020–now",
                                                      "Content Strategist @ Brightline Media 2015-06–2020-06",
                                                      "Junior Accountant @ Keystone Capital Ltd 2012–2015",
                                                      "Clinical Nurse Educator @ Westbrook Health 2010–2012"])
        #expect(resume.work?.map(\.location) == ["Lagos", "Madrid", "Lagos", nil])
    }

    @Test("LinkedIn's company-then-title, run together with the heading and the job before's last sentence")
    func linkedInRunTogether() {
        let text = """
            Abigail Price
            abigail@example.com
            Experience Copperleaf Networks LLC Engineering Manager
            June 2022 - Present (3 years 1 month) Denver, USA
            Led the migration to event-driven services
            Trained 3 new colleagues on internal tools and processes Riverbend Networks Senior Software Engineer May 2017 - December 2021 (4 years 8 months)
            Boston, USA
            """
        let resume = RulesParser().parse(text).resume
        #expect(JobBoardLayoutTests.jobs(resume) == ["Engineering Manager @ Copperleaf Networks LLC 2022-06–now",
                                                      "Senior Software Engineer @ Riverbend Networks 2017-05–2021-12"])
        #expect(Sections.leadingHeading("Experience Quarry Bank")?.1 == "Experience")
        #expect(Sections.leadingHeading("Experience Designer") == nil)
    }

    @Test("the name the e-mail address spells beats cells read across; a name a narrow column wrapped is joined",
          arguments: [
            ("jana.muller@example.com\nJana +49 102 0174544\nMüller München, Germany\nMechanical\nEngineer", "Jana Müller"),
            ("lan.hoang@example.org\nHoàng +1 (312) 555-0188\nThị Lan Austin, TX", "Hoàng Thị Lan"),
            ("Femke van den\nBerg\nPediatric Nurse\n\nContact\nfemke@example.com", "Femke van den Berg"),
            ("Youssef\nHaddad\nBuyer\n\nContact\nyh72@example.org", "Youssef Haddad"),
            ("Europass Curriculum\nVitae\n\nPersonal information Yang Li\nE-mail yang.li@example.cn", "Yang Li"),
            ("Céline Faure\nInternal Auditor\nc.faure@example.net", "Céline Faure"),
            ("c.faure@example.net\nCéline +33 6 70 80 72 09\nFaure Paris, France\nInternal Auditor\n\nVersatile Internal Auditor with 9 years", "Céline Faure"),
            ("Contact\nv.sharma@example.com\nLanguages\nRussian (Limited Working) Vikram Sharma\nManufacturing Engineer", "Vikram Sharma"),
            ("Certifications\nCELTA Xiaoming Liu\nPrimary School Teacher\nxiaomingliu90@example.com", "Xiaoming Liu"),
            ("Tariq Farouk\nTariq Farouk\ntariqfarouk44@example.net", "Tariq Farouk"),
            ("Jing Li Growth Marketer Columbus, OH jingli@example.com", "Jing Li"),
          ])
    func spelledAndWrappedNames(text: String, name: String) {
        #expect(RulesParser().parse(text + "\n\nExperience\nAuditor, Acme Ltd, 2019 – 2021").resume.basics?.name == name)
    }

    @Test("section headings as German, French and Spanish resumes write them", arguments: [
        ("Berufserfahrung", SectionKind.work), ("Beruflicher Werdegang", .work), ("Praxiserfahrung", .work),
        ("Berufspraxis", .work), ("Akademische Ausbildung", .education), ("Bildungsweg", .education),
        ("Fachkenntnisse", .skills), ("IT-Kenntnisse", .skills), ("Kompetenzen", .skills), ("Sprachkenntnisse", .languages),
        ("Zertifizierungen", .certificates), ("Weiterbildung", .certificates), ("Ausgewählte Projekte", .projects),
        ("Persönliche Daten", .contact), ("Über mich", .summary), ("Kurzprofil", .summary),
        ("Expérience professionnelle", .work), ("Parcours professionnel", .work), ("Diplômes et formations", .education),
        ("Formation académique", .education), ("Compétences techniques", .skills), ("Compétences clés", .skills),
        ("Compétences linguistiques", .languages), ("Projets personnels", .projects), ("Coordonnées", .contact),
        ("À propos", .summary), ("Profil professionnel", .summary),
        ("Experiencia laboral", .work), ("Trayectoria profesional", .work), ("Formación académica", .education),
        ("Conocimientos técnicos", .skills), ("Habilidades", .skills), ("Idiomas", .languages),
        ("Cursos y certificaciones", .certificates), ("Datos de contacto", .contact), ("Datos personales", .contact),
        ("Sobre mí", .summary), ("PERFIL PROFESIONAL", .summary), ("EXPÉRIENCES PROFESSIONNELLES", .work),
    ] as [(String, SectionKind)])
    func foreignHeadings(heading: String, kind: SectionKind) {
        #expect(Sections.headingKind(heading) == kind)
    }

    @Test("degree and school split where a lost line break joined them; how it was studied is dropped", arguments: [
        ("Northeastern University Bachelor's degree in Physics\n2012 – 2016", "Northeastern University", "Physics"),
        ("Bachelor of Science in Information Technology Fudan University\n2014", "Fudan University", "Information Technology"),
        ("B.Tech - Computer Science\nAnna University, 2016 (Full Time)", "Anna University", "Computer Science"),
        ("M.Sc. in Communications University of Lagos 2013 to 2014", "University of Lagos", "Communications"),
        ("Ph.D. Computer Science Georgia Institute of Technology 2016", "Georgia Institute of Technology", "Computer Science"),
        ("Master of Arts, Supply Chain Management\nSupply Chain Management University of Washington | Full Time",
         "University of Washington", "Supply Chain Management"),
        ("Full Time Bachelor's degree, Economics\nUniversitat de València - A Coruña 2010 to 2013", "Universitat de València",
         "Economics"),
        ("Bachelor of Science, Civil Engineering\nGdańsk University of Technology", "Gdańsk University of Technology",
         "Civil Engineering"),
        ("Bachelor of Arts, Mathematics\nUniversité Toulouse III – Paul Sabatier", "Université Toulouse III – Paul Sabatier",
         "Mathematics"),
    ])
    func degreeAndSchool(text: String, school: String, area: String) {
        let education = RulesParser().parse("Jo Lee\njo@example.com\n\nEducation\n" + text).resume.education
        #expect(education?.count == 1)
        #expect(education?.first?.institution == school)
        #expect(education?.first?.area == area)
    }

    @Test("bullets run together on one line are cut apart; short lists stay; a header after a bullet's sentence is found")
    func innerBullets() {
        #expect(TextLines.cutAtInnerBullets("Charge Nurse | Quarry Health | Since 2021 ▪ Educated patients and families on plans ▪ Trained 4 new colleagues on tools")
            == ["Charge Nurse | Quarry Health | Since 2021", "▪ Educated patients and families on plans",
                "▪ Trained 4 new colleagues on tools"])
        #expect(TextLines.cutAtInnerBullets("Python • Go • SQL • Kubernetes • Terraform • Docker") == ["Python • Go • SQL • Kubernetes • Terraform • Docker"])
        let text = """
            Michael Hayes
            michael.hayes@example.org
            CAREER HISTORY:
            Charge Nurse | Quarry Health | Since 2021 ▪ Educated patients and families on discharge plans ▪ Trained 4 new colleagues on internal tools and processes Registered Nurse | Zephyr Health | 2017 — 2020 ▪ Maintained 98% compliance on hand hygiene audits
            """
        #expect(JobBoardLayoutTests.jobs(RulesParser().parse(text).resume)
            == ["Charge Nurse @ Quarry Health 2021–now", "Registered Nurse @ Zephyr Health 2017–2020"])
    }

    @Test("a range a narrow date column broke around the title, and a heading broken before its last letter")
    func narrowColumns() {
        #expect(EntryText.completeOpenRange("January 2022 to Financial Controller", "September 2023")
            ?? ("", "") == ("January 2022 to September 2023 Financial Controller", ""))
        #expect(EntryText.completeOpenRange("January 2022 to present", "Wavecrest Group") == nil)
        #expect(TextLines.joinBrokenWords([("Berufserfahrun", false), ("g", false), ("2024 – heute", false)]).map(\.0)
            == ["Berufserfahrung", "2024 – heute"])
        #expect(TextLines.joinBrokenWords([("Skills", false), ("Go", false)]).map(\.0) == ["Skills", "Go"])
        let text = """
            Céline Faure
            c.faure@example.net
            Experience
            January 2024 to present Internal Auditor
            Granite Retail
            • Worked closely with finance teams
            January 2022 to Financial Controller
            September 2023
            Wavecrest Group
            • Trained 6 new colleagues
            """
        #expect(JobBoardLayoutTests.jobs(RulesParser().parse(text).resume)
            == ["Internal Auditor @ Granite Retail 2024-01–now", "Financial Controller @ Wavecrest Group 2022-01–2023-09"])
    }

    @Test("a heading with its underline run into the next block; 'Company LLC iOS Developer'; a title after a figure")
    func underlinesAndTitles() {
        #expect(TextLines.cutAtInlineRule("Expérience professionnelle ---------- Marketing Coordinator")?.0
            == "Expérience professionnelle")
        #expect(TextLines.cutAtInlineRule("Skills") == nil)
        #expect(WorkEntries.splitEmployerAndTitle("Stonebridge Networks LLC iOS Developer")?.1 == "iOS Developer")
        #expect(WorkEntries.trailingTitle("Raised the pass rate on the state exam by 30% Primary School Teacher")
            == "Primary School Teacher")
        let resume = RulesParser().parse("""
            Abigail Carter
            abigail@example.net

            Expérience professionnelle ---------- Marketing Coordinator | Granite Agency LLC | 2021 – 2024
            """).resume
        #expect(JobBoardLayoutTests.jobs(resume) == ["Marketing Coordinator @ Granite Agency LLC 2021–2024"])
    }

    @Test("a table of sections (headings in its first column) is read row by row, each heading before its content")
    func sectionTable() {
        let lines = TextLines.layOut([
            ["Experience", "Analyst | Acme Ltd | 2019 – 2021"], ["", "Built the forecast model"],
            ["Skills", "Python, SQL, Excel"], ["Languages", "English (native)"], ["", ""], ["Education", "BSc Economics"],
        ])
        #expect(lines == ["Experience", "Analyst | Acme Ltd | 2019 – 2021", "Built the forecast model", "Skills",
                          "Python, SQL, Excel", "Languages", "English (native)", "Education", "BSc Economics"])
    }

    // One case at a time: each keeps a core busy for a while, and the suite shares two cores with timing-sensitive
    // process tests.
    @Test("pathological lines without breaks parse without crashing: the parser cuts any line over 2,000 bytes",
          .serialized,
          arguments: ["x --- ", "EDUCATION ", "x Work Experience Y ", "aBaB", "Featured ", "online (1 yr) ",
                      "a b c d • x ", "Ledger Ltd. ", "é"])
    func pathologicalLines(unit: String) {
        let text = "Jane Doe\njane@example.com\nEducation\n" + String(repeating: unit, count: 12_000 / unit.utf8.count)
        let result = RulesParser().parse(text)
        #expect(result.resume.basics?.email == "jane@example.com")
        #expect(TextLines.capped((String(repeating: unit, count: 10_000 / unit.utf8.count), false))
            .allSatisfy { $0.0.utf8.count <= TextLines.lineCap })
    }

    @Test("page numbers are dropped, years are not", arguments: [
        ("Page 1 of 2", true), ("Seite 2 von 3", true), ("- 2 -", true), ("2019 - 2021", false), ("2019", false),
        ("Page Layout", false), ("1/2", true), ("3", true),
    ])
    func pageNumbers(text: String, dropped: Bool) {
        #expect(TextLines.isPageNumber(text) == dropped)
    }
}

/// The classic Europass CV: a form whose labels say what each value is.
@Suite("Rules parser: Europass forms")
struct EuropassFormTests {
    static let rows = """
        Europass Curriculum Vitae
        Personal information\tTomasz Wrona
        First name(s) / Surname(s)\tTomasz Wrona
        Address\tGdańsk, Poland
        E-mail\ttomasz.wrona@example.pl
        Desired employment / Occupational field\tLogistics Coordinator
        Work experience
        Dates\tMar '21 – Present
        Occupation or position held\tLogistics Coordinator
        Main activities and responsibilities\t▪ Planned 40 shipments a week
        ▪ Cut empty runs by 12%
        Name and address of employer\tBaltic Freight Sp. z o.o., Gdańsk
        Dates\t2016–21
        Occupation or position held\tDispatcher
        Name and address of employer\tPort Logistics S.A., Gdynia
        Education and training
        Dates\t2012 – 2016
        Title of qualification awarded\tBachelor of Science
        Principal subjects / occupational skills covered\tTransport and Logistics
        Name and type of organisation providing education and training\tGdańsk University of Technology
        Personal skills and competences
        Mother tongue(s)\tPolish
        Other language(s)\tEnglish, German
        Understanding Speaking Writing
        B2 B2 B1
        """

    /// The same form from a PDF: labels on their own, some wrapped over two lines by the narrow label column.
    static let wrapped = """
        Personal information
        Tomasz Wrona
        E-mail tomasz.wrona@example.pl
        Work experience
        Dates Mar '21 – Present
        Occupation or position held Logistics Coordinator
        Main activities and ▪ Planned 40 shipments a week
        responsibilities
        Name and address of Baltic Freight Sp. z o.o., Gdańsk
        employer
        Dates 2016–21
        Occupation or position held Dispatcher
        Name and address of employer Port Logistics S.A., Gdynia
        Education and training
        Dates 2012 – 2016
        Title of qualification awarded Bachelor of Science
        Principal subjects / occupational skills covered Transport and Logistics
        Name and type of organisation providing education and training
        Gdańsk University of Technology
        Mother tongue(s) Polish
        """

    @Test("labels give each value its role; an employer's address is its place; languages from the grid's labels",
          arguments: [rows, wrapped])
    func form(text: String) {
        let resume = RulesParser().parse(text).resume
        #expect(resume.basics?.name == "Tomasz Wrona")
        #expect(JobBoardLayoutTests.jobs(resume) == ["Logistics Coordinator @ Baltic Freight Sp. z o.o. 2021-03–now",
                                                      "Dispatcher @ Port Logistics S.A. 2016–2021"])
        #expect(resume.education?.count == 1)
        #expect(resume.education?.first?.studyType == "Bachelor of Science")
        #expect(resume.education?.first?.area == "Transport and Logistics")
        #expect(resume.education?.first?.institution == "Gdańsk University of Technology")
        #expect(resume.languages?.first?.language == "Polish")
    }

    @Test("an ordinary resume with a \"Dates\" line is not a form")
    func notAForm() {
        let raw = [("Dates", false), ("2019 – 2021", false), ("Address", false), ("Leeds", false)]
        #expect(FormLabels.rewrite(raw).map(\.0) == raw.map(\.0))
    }
}
