import Foundation
@testable import LLMSimulator
@testable import Loop
@testable import Sink
import Testing
import TestSupport

/// `import --llm-when-unsure`: the rules parser reads every document, and only those it read weakly reach the LLM
/// (llm-sim in this process, over real sockets); every document lands in PostgreSQL with its confidence.
@Suite("import --llm-when-unsure end to end, with llm-sim and PostgreSQL", .serialized)
struct LLMWhenUnsureTests {
    static let clean = """
        Jane Q. Doe
        Senior Backend Engineer
        jane.doe@example.com | +1 (415) 555-0101 | San Francisco, CA

        EXPERIENCE
        Senior Backend Engineer — Acme Robotics Inc.
        Jan 2021 – Present
        • Led the migration to Kubernetes
        Data Analyst | Initech LLC | 2015 – 2017

        EDUCATION
        Master of Science in Computer Science
        Stanford University, 2013 – 2015

        SKILLS
        Languages: Go, Python, Rust, SQL
        """

    static let alsoClean = """
        Omar Haddad
        Mechanical Engineer
        omar.haddad@example.org · +44 20 7946 0123 · Leeds, UK

        WORK EXPERIENCE
        Design Engineer — Northwind Turbines Ltd
        03/2018 - Present
        • Gearbox housings for offshore turbines
        Graduate Engineer | Contoso Motors | 2015 – 2018

        EDUCATION
        Bachelor of Engineering in Mechanical Engineering
        University of Leeds, 2011 – 2015

        SKILLS
        CAD: SolidWorks, CATIA
        """

    /// A job board's export: companies and dates, no job titles.
    static let jobBoard = """
        Candidate Profile

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

        Education
        University of Leeds
        2011 – 2015
        """

    /// A resume written as one paragraph: its dates name two jobs, and the rules read neither.
    static let prose = "Jane Doe jane.doe@example.com Worked for several regional firms on their books and audits "
        + "and payroll from 2015 – 2018 and then for a larger group on consolidation and reporting from 2018 – 2021 "
        + "with Excel, SAP and Power BI"

    static func folder(_ files: [(String, String)]) throws -> String {
        let dir = try TemporaryDirectory.make(prefix: "unsure-src")
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    @Test("only the weak documents reach the LLM; every document is stored with its confidence, nothing lost")
    func onlyWeakToLLM() async throws {
        let url = try TestDatabase.freshDatabase("llm_when_unsure")
        defer { try? TestDatabase.dropDatabase(url) }
        let (simulator, port) = try await LLMCostEndToEndTests.simulator(latencyMilliseconds: 5)
        let source = try Self.folder([("clean.txt", Self.clean), ("also-clean.txt", Self.alsoClean),
                                      ("job-board.txt", Self.jobBoard), ("prose.txt", Self.prose)])
        var environment = LLMCostEndToEndTests.llm(port: port)
        environment["LLM_COALESCE"] = "never"
        let result = try await ImportTests.runImport(["--llm-when-unsure", source], database: url,
                                                     environment: environment)
        let counters = await simulator.counters
        await simulator.shutdown(graceMilliseconds: 0)
        #expect(result.status == 0, "\(result.log)")
        #expect(result.summary["parsed"] as? Int == 4, "\(result.summary)")
        #expect(result.summary["weak"] as? Int == 2, "\(result.summary)")
        #expect(result.summary["llm_when_unsure"] as? Int == 2, "\(result.summary)")
        #expect(counters.documentsAnswered == 2 && counters.requests == 2, "\(counters)")

        let rows = try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            SELECT filename || ':' || status || ':' || provider || ':' || parse_weak || ':'
                   || (parse_confidence BETWEEN 0 AND 1) || ':' || (parse_scores ? 'basics.email')
            FROM documents ORDER BY filename
            """).split(separator: "\n").dropFirst().map(String.init)
        #expect(rows == [
            "also-clean.txt:parsed:rules:false:true:true", "clean.txt:parsed:rules:false:true:true",
            "job-board.txt:parsed:openai:true:true:true", "prose.txt:parsed:openai:true:true:true",
        ], "\(rows)")
        // What an importer asks: the weak documents the rules kept (none here: the LLM read them all).
        let kept = try LLMCostEndToEndTests.row(url, "SELECT count(*) FROM documents WHERE parse_weak AND provider = 'rules'")
        #expect(kept == ["0"])
        // The results API's document JSON (built by PostgreSQL) carries it as `confidence`.
        let documentJSON = await TenantReads.documentJSON
        let json = try LLMCostEndToEndTests.row(url, """
            SELECT \(documentJSON)::text FROM documents d LEFT JOIN batch_items i ON i.id = d.id
            WHERE d.filename = 'job-board.txt'
            """).joined(separator: "|")
        #expect(json.contains(#""confidence" : {"score" : "#) && json.contains(#""weak" : true"#)
                    && json.contains(#""work": 0.5"#), "\(json)")
    }

    @Test("without --llm-when-unsure the rules keep the weak documents, marked in the row")
    func rulesOnlyMarksWeak() async throws {
        let url = try TestDatabase.freshDatabase("rules_weak")
        defer { try? TestDatabase.dropDatabase(url) }
        let source = try Self.folder([("clean.txt", Self.clean), ("job-board.txt", Self.jobBoard)])
        let result = try await ImportTests.runImport([source], database: url, environment: ["OPENAI_API_KEY": nil])
        #expect(result.status == 0, "\(result.log)")
        #expect(result.summary["weak"] as? Int == 1 && result.summary["llm_when_unsure"] as? Int == 0,
                "\(result.summary)")
        let weak = try LLMCostEndToEndTests.row(url, """
            SELECT filename, provider, parse_confidence IS NOT NULL, parse_scores->>'work' FROM documents WHERE parse_weak
            """)
        #expect(weak == ["job-board.txt", "rules", "t", "0.5"], "\(weak)")
    }

    @Test("--llm-when-unsure without an LLM configured: refused with a clear message and exit status 64")
    func refusedWithoutLLM() async throws {
        let source = try Self.folder([("clean.txt", Self.clean)])
        let engine = try EngineProcess(["import", "--llm-when-unsure", source],
                                       environment: ["OPENAI_API_KEY": nil, "DATABASE_URL": "postgres://unused@127.0.0.1:1/x"])
        #expect(await engine.waitForExit(seconds: 60) == 64)
        #expect(engine.log.contains("--llm-when-unsure") && engine.log.contains("OPENAI_API_KEY"), "\(engine.log)")
        let serve = try EngineProcess(["doctor"], environment: ["OPENAI_API_KEY": nil, "LLM_WHEN_UNSURE": "1"])
        #expect(await serve.waitForExit(seconds: 60) != 0)
        #expect(serve.log.contains("LLM_WHEN_UNSURE"), "\(serve.log)")
    }
}
