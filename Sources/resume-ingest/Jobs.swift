import ArgumentParser
import ExtractPool
import Foundation
import Logging
import Loop
import Pipeline
import Sink

/// `resume-ingest job …`: jobs and their candidates, straight in the database (DATABASE_URL), for scripts and
/// operators; partners use `/api/v1/jobs`. Scoring requested here is done by the running `serve` engines
/// (they take it from the database's queue).
struct JobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job", abstract: "Create jobs, score candidates against them and list the ranking (DATABASE_URL).",
        subcommands: [Create.self, List.self, Score.self, Candidates.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a job; its description as text, or from a file (any format the engine reads).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The tenant the job belongs to.") var tenant = "default"
        @Option(help: "The job's title.") var title: String
        @Option(help: "The description text.") var description: String?
        @Option(help: "A file holding the description (pdf, docx, doc, rtf, odt, html, txt, a scan), extracted like an upload.")
        var descriptionFile: String?
        @Option(help: "Required skills, comma-separated.") var requiredSkills: String?
        @Option(help: "Nice-to-have skills, comma-separated.") var niceSkills: String?
        @Option(help: "Years of experience asked for.") var minYears: Double?
        @Option(help: "Lowest degree asked for: associate, bachelor, master, doctorate.") var education: String?
        @Option var location: String?
        @Flag(help: "Print the job as JSON.") var json = false

        func run() async throws {
            try global.bootstrapLogging()
            guard (description == nil) != (descriptionFile == nil) else {
                throw ValidationError("give the description as --description TEXT or --description-file PATH (one of them)")
            }
            var text = description
            var source: [UInt8]?
            if let path = descriptionFile {
                let extracted = try await JobCommand.extract(path)
                text = extracted.text
                source = extracted.source
            }
            var object: [String: Any] = ["title": title, "description": text ?? ""]
            if let requiredSkills { object["required_skills"] = JobCommand.list(requiredSkills) }
            if let niceSkills { object["nice_to_have_skills"] = JobCommand.list(niceSkills) }
            if let minYears { object["min_years"] = minYears }
            if let education { object["education"] = education }
            if let location { object["location"] = location }
            var fields: JobFields
            switch JobRequest.parse(Array(try JSONSerialization.data(withJSONObject: object)), partial: false) {
            case .success(let f): fields = f
            case .failure(let failure): throw ValidationError(JobCommand.message(failure.response.body))
            }
            fields.source = source
            let (tenant, json) = (tenant, json)
            try await JobCommand.withTenant(tenant) { pool, tenantID throws(PGError) in
                let job = try await JobRecords(pool: pool).create(fields, tenantID: tenantID)
                let object = (try? JSONSerialization.jsonObject(with: Data(job))) as? [String: Any] ?? [:]
                if json {
                    print(String(decoding: job, as: UTF8.self))
                } else {
                    print("job \(object["id"] as? String ?? "?") created for tenant \(tenant): \(object["title"] as? String ?? "")")
                    print("score candidates:  resume-ingest job score \(object["id"] as? String ?? "JOB") --all   (a running serve scores them)")
                    print("or name it in uploads:  curl -F files=@cv.pdf 'http://127.0.0.1:8080/api/v1/bulk-parse-resumes?job_id=\(object["id"] as? String ?? "JOB")'")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's jobs, newest first.")
        @OptionGroup var global: GlobalOptions
        @Option var tenant = "default"
        func run() async throws {
            try global.bootstrapLogging()
            try await JobCommand.withTenant(tenant) { pool, tenantID throws(PGError) in
                let page = try await JobRecords(pool: pool).list(tenantID: tenantID, after: nil, limit: 10_000)
                for job in (try? JSONSerialization.jsonObject(with: Data(page.json))) as? [[String: Any]] ?? [] {
                    let counts = job["candidates"] as? [String: Any] ?? [:]
                    print("\(job["id"] as? String ?? "")\t\(job["title"] as? String ?? "")\tcandidates: "
                          + "\(counts["scored"] ?? 0) scored, \(counts["pending"] ?? 0) pending, \(counts["failed"] ?? 0) failed")
                }
            }
        }
    }

    struct Score: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score a batch, documents, or every parsed document against a job (a running serve does the scoring).")
        @OptionGroup var global: GlobalOptions
        @Option var tenant = "default"
        @Argument(help: "The job's id.") var job: String
        @Flag(help: "Every parsed document of the tenant.") var all = false
        @Option(help: "A batch's documents (and those it has still to come).") var batch: String?
        @Option(help: "A document's id (repeat for several).") var document: [String] = []

        func run() async throws {
            try global.bootstrapLogging()
            var object: [String: Any] = [:]
            if all { object["all"] = true }
            if let batch { object["batch_id"] = batch }
            if !document.isEmpty { object["document_ids"] = document }
            let selection: ScoringSelection
            switch JobRequest.selection(Array(try JSONSerialization.data(withJSONObject: object))) {
            case .success(let s): selection = s.0
            case .failure(let failure): throw ValidationError(JobCommand.message(failure.response.body))
            }
            let job = job
            try await JobCommand.withTenant(tenant) { pool, tenantID throws(PGError) in
                let (outcome, batchFound) = try await JobRecords(pool: pool).requestScoring(
                    job: job, selection, callbackURL: nil, tenantID: tenantID)
                guard batchFound else { throw PGError(kind: .setting, message: "no such batch") }
                guard let outcome else { throw PGError(kind: .setting, message: "no job \(job)") }
                if outcome.requested == outcome.notParsed {
                    _ = try await ScoringQueue(pool: pool).complete(runs: [outcome.runID], tenantID: tenantID)
                }
                print("run \(outcome.runID): \(outcome.requested) candidates (\(outcome.notParsed) not parsed)"
                      + (outcome.notFound.isEmpty ? "" : ", not found: \(outcome.notFound.joined(separator: " "))"))
            }
        }
    }

    struct Candidates: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A job's candidates, best first.")
        @OptionGroup var global: GlobalOptions
        @Option var tenant = "default"
        @Argument var job: String
        @Option(help: "How many.") var limit = 20
        @Option(help: "Only candidates scoring at least this.") var minScore: Int?
        @Flag(help: "Print NDJSON, a line per candidate.") var json = false

        func run() async throws {
            try global.bootstrapLogging()
            guard (1...APIRoutes.maxPage).contains(limit) else { throw ValidationError("--limit must be 1 to \(APIRoutes.maxPage)") }
            let (job, limit, minScore, json) = (job, limit, minScore, json)
            try await JobCommand.withTenant(tenant) { pool, tenantID throws(PGError) in
                guard let page = try await JobRecords(pool: pool).candidates(
                    job: job, tenantID: tenantID, minScore: minScore, status: nil, after: nil, limit: limit)
                else { throw PGError(kind: .setting, message: "no job \(job)") }
                for row in page.rows {
                    if json {
                        print(String(decoding: row, as: UTF8.self))
                        continue
                    }
                    let c = (try? JSONSerialization.jsonObject(with: Data(row))) as? [String: Any] ?? [:]
                    let score = (c["score"] as? Int).map(String.init) ?? "-"
                    let name = c["name"] as? String ?? c["filename"] as? String ?? ""
                    let missing = (c["missing_skills"] as? [String] ?? []).joined(separator: ", ")
                    print("\(score)\t\(c["status"] as? String ?? "")\t\(name)\t\(c["document_id"] as? String ?? "")"
                          + (missing.isEmpty ? "" : "\tmissing: \(missing)"))
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a job with its candidates.")
        @OptionGroup var global: GlobalOptions
        @Option var tenant = "default"
        @Argument var job: String
        func run() async throws {
            try global.bootstrapLogging()
            let job = job
            try await JobCommand.withTenant(tenant) { pool, tenantID throws(PGError) in
                guard try await JobRecords(pool: pool).delete(job, tenantID: tenantID) else {
                    throw PGError(kind: .setting, message: "no job \(job)")
                }
                print("job \(job) deleted")
            }
        }
    }

    // MARK: Shared

    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The `message` of an API error body.
    static func message(_ body: [UInt8]) -> String {
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        return (object?["error"] as? [String: Any])?["message"] as? String ?? String(decoding: body, as: UTF8.self)
    }

    /// Runs `body` with the pool and tenant `slug`'s id; a missing tenant, job or batch ends the command with
    /// its message and status 1.
    static func withTenant(_ slug: String, _ body: @escaping @LoopActor (SidePool, String) async throws(PGError) -> Void)
        async throws
    {
        try await TenantCommand.withPool { pool throws(PGError) in
            guard let tenant = try await TenantDirectory(pool: pool).tenant(slug: slug) else {
                print("error: no tenant \(slug)")
                throw PGError(kind: .setting, message: "no tenant \(slug)")
            }
            do throws(PGError) {
                try await body(pool, tenant.id)
            } catch {
                if error.kind == .setting { print("error: \(error.message)") }
                throw error
            }
        }
    }

    /// A description file's text, through the engine's own extraction (the converters an upload goes
    /// through), and where it came from.
    static func extract(_ path: String) async throws -> (text: String, source: [UInt8]) {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else {
            throw ValidationError("--description-file: no file at \(path)")
        }
        var configuration = try ProcessEnvironment.extractConfiguration()
        configuration.workDirectory = NSTemporaryDirectory() + "resume-ingest-job-\(getpid())"
        configuration.concurrency = 1
        defer { try? FileManager.default.removeItem(atPath: configuration.workDirectory) }
        let document = try await extractOnLoop(path: path, size: size, configuration: configuration)
        guard document.status == .extracted, !document.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("--description-file: no text could be read from \(path)"
                                  + (document.failure.map { " (\($0.code): \($0.detail))" } ?? ""))
        }
        var o = JSONText.Object()
        o.string("filename", (path as NSString).lastPathComponent)
        o.string("detected_type", document.detectedType)
        o.string("extractor", document.extractor)
        return (document.text, o.finished())
    }

    @LoopActor
    private static func extractOnLoop(path: String, size: Int, configuration: ExtractConfiguration) async throws
        -> ExtractedDocument
    {
        let extractor = Extractor(configuration: configuration, logger: Logger(label: "resume-ingest"))
        try await extractor.open()
        let document = await extractor.extract(ExtractionInput(id: "job", path: path,
                                                               filename: (path as NSString).lastPathComponent, size: size))
        await extractor.close()
        return document
    }
}
