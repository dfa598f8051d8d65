import Foundation
import Loop
@testable import Pipeline
import Testing
import TestSupport

/// Jobs and candidate scoring against `serve` with a real PostgreSQL, over real sockets (curl): the jobs API
/// and its bad input, uploads that name a job, scoring requests, the ranked list, the evidence check in the
/// database's own terms (`substr`), and a restart that finds scoring left to do.
@Suite("jobs and candidate scoring")
struct JobScoringTests {
    typealias API = TenantAPITests

    /// The job most tests post.
    static let job = """
        {"title": "Senior Backend Engineer", "description": "Payment APIs in Python and Go on Kubernetes.",
         "required_skills": ["Python", "SQL", "Kubernetes", "Go"], "nice_to_have_skills": ["AWS", "Docker"],
         "min_years": 3, "education": "bachelor", "location": "Berlin"}
        """

    static func json(_ object: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: .sortedKeys), as: UTF8.self)
    }

    static func send(_ serve: EngineProcess, _ method: String, _ path: String, token: String? = nil, body: String? = nil)
        throws -> API.Answer
    {
        var extra = ["-H", "Content-Type: application/json"]
        if let body { extra += ["--data-binary", body] }
        return try API.call(serve, method, path, token: token, extra: extra)
    }

    /// Polls job `id`'s run `run` until it completes; its JSON.
    static func completedRun(_ serve: EngineProcess, job: String, run: String, token: String? = nil) async throws
        -> [String: Any]
    {
        let deadline = Date().addingTimeInterval(120)
        var last: API.Answer?
        while Date() < deadline {
            let answer = try send(serve, "GET", "/api/v1/jobs/\(job)/runs/\(run)", token: token)
            last = answer
            if answer.json["completed"] as? Bool == true { return answer.json }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure("run \(run) did not complete: \(last?.body ?? "")\n\(serve.log)")
    }

    /// Every candidate of job `id`, page by page (`limit` a page), with the cursors followed.
    static func allCandidates(_ serve: EngineProcess, job: String, limit: Int, query: String = "", token: String? = nil)
        throws -> [[String: Any]]
    {
        var out: [[String: Any]] = []
        var cursor: String?
        repeat {
            var path = "/api/v1/jobs/\(job)/candidates?limit=\(limit)\(query)"
            if let cursor { path += "&cursor=\(cursor)" }
            let page = try send(serve, "GET", path, token: token)
            #expect(page.status == 200, "\(page.body)")
            out += page.json["candidates"] as? [[String: Any]] ?? []
            cursor = page.json["next_cursor"] as? String
            #expect(page.headers["next-cursor"] == cursor, "\(page.headers)")
        } while cursor != nil
        return out
    }

    // MARK: Tests

    @Test("jobs API: create, read, list, change (revision up), delete; bad bodies get 400 with their code; another tenant's job is 404 everywhere, and an upload naming it stores nothing; a description file for a job that is not there is 404 before it is read")
    func jobsAPI() async throws {
        let url = try TestDatabase.freshDatabase("jobs_api")
        defer { try? TestDatabase.dropDatabase(url) }
        let acme = try await API.tenant("acme", url: url)
        let globex = try await API.tenant("globex", url: url)
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url, "AUTH_CACHE_SECONDS": "0"])

        let created = try Self.send(serve, "POST", "/api/v1/jobs", token: acme, body: Self.job)
        #expect(created.status == 201, "\(created.body)")
        let id = try #require(created.json["id"] as? String)
        #expect(created.headers["location"] == "/api/v1/jobs/\(id)")
        #expect(created.json["required_skills"] as? [String] == ["Python", "SQL", "Kubernetes", "Go"])
        #expect(created.json["min_years"] as? Double == 3)
        #expect(created.json["revision"] as? Int == 1)

        let read = try Self.send(serve, "GET", "/api/v1/jobs/\(id)", token: acme)
        #expect(read.status == 200 && read.json["title"] as? String == "Senior Backend Engineer", "\(read.body)")
        let list = try Self.send(serve, "GET", "/api/v1/jobs", token: acme)
        #expect((list.json["jobs"] as? [[String: Any]])?.map { $0["id"] as? String } == [id], "\(list.body)")
        #expect((try Self.send(serve, "GET", "/api/v1/jobs", token: globex).json["jobs"] as? [Any])?.isEmpty == true)

        let changed = try Self.send(serve, "PATCH", "/api/v1/jobs/\(id)", token: acme,
                                    body: #"{"min_years": null, "nice_to_have_skills": ["Rust"]}"#)
        #expect(changed.status == 200, "\(changed.body)")
        #expect(changed.json["revision"] as? Int == 2)
        #expect(changed.json["min_years"] is NSNull)
        #expect(changed.json["nice_to_have_skills"] as? [String] == ["Rust"])
        #expect(changed.json["title"] as? String == "Senior Backend Engineer", "a change keeps what it does not name")
        #expect(changed.json["required_skills"] as? [String] == ["Python", "SQL", "Kubernetes", "Go"],
                "a change keeps the lists it does not name")

        let refused: [(String, String, String, Int, String)] = [
            ("POST", "/api/v1/jobs", "not json", 400, "invalid_json"),
            ("POST", "/api/v1/jobs", "[1, 2]", 400, "invalid_json"),
            ("POST", "/api/v1/jobs", #"{"title": "Analyst"}"#, 400, "empty_job"),
            ("POST", "/api/v1/jobs", #"{"title": "Analyst", "description": "   "}"#, 400, "empty_job"),
            ("POST", "/api/v1/jobs", #"{"title": "A", "description": "B", "requird_skills": ["SQL"]}"#, 400, "unknown_field"),
            ("POST", "/api/v1/jobs", #"{"title": "A", "description": "B", "min_years": "five"}"#, 400, "invalid_parameter"),
            ("POST", "/api/v1/jobs", #"{"title": "A", "description": "B", "min_years": true}"#, 400, "invalid_parameter"),
            ("POST", "/api/v1/jobs", #"{"title": "A", "description": "B", "education": "phd"}"#, 400, "invalid_parameter"),
            ("POST", "/api/v1/jobs", #"{"title": "A", "description": "B", "required_skills": "SQL"}"#, 400, "invalid_parameter"),
            ("PATCH", "/api/v1/jobs/\(id)", #"{"title": ""}"#, 400, "empty_job"),
            ("PATCH", "/api/v1/jobs/\(id)", #"{"description": null}"#, 400, "empty_job"),
            ("POST", "/api/v1/jobs/\(id)/score", #"{"all": true, "batch_id": "x"}"#, 400, "invalid_parameter"),
            ("POST", "/api/v1/jobs/\(id)/score", "{}", 400, "invalid_parameter"),
            ("POST", "/api/v1/jobs/\(id)/score", #"{"all": 1}"#, 400, "invalid_parameter"),
            ("PUT", "/api/v1/jobs/\(id)", "{}", 405, "method_not_allowed"),
        ]
        for (method, path, body, status, code) in refused {
            let answer = try Self.send(serve, method, path, token: acme, body: body)
            #expect(answer.status == status && answer.errorCode == code, "\(method) \(path) \(body): \(answer.body)")
        }
        let candidates = try Self.send(serve, "GET", "/api/v1/jobs/\(id)/candidates?min_score=101", token: acme)
        #expect(candidates.status == 400 && candidates.errorCode == "invalid_parameter", "\(candidates.body)")
        let badCursor = try Self.send(serve, "GET", "/api/v1/jobs/\(id)/candidates?cursor=zz", token: acme)
        #expect(badCursor.status == 400 && badCursor.errorCode == "invalid_cursor", "\(badCursor.body)")
        #expect(try API.rows(url, tenant: "acme", "SELECT count(*), max(revision) FROM jobs") == ["1|2"],
                "refused changes changed nothing")

        // Another tenant: the job is not there, whatever the route.
        for (method, path, body) in [("GET", "/api/v1/jobs/\(id)", nil), ("PATCH", "/api/v1/jobs/\(id)", #"{"title": "Mine"}"#),
                                     ("DELETE", "/api/v1/jobs/\(id)", nil), ("POST", "/api/v1/jobs/\(id)/score", #"{"all": true}"#),
                                     ("GET", "/api/v1/jobs/\(id)/candidates", nil)] as [(String, String, String?)] {
            let answer = try Self.send(serve, method, path, token: globex, body: body)
            #expect(answer.status == 404 && answer.errorCode == "not_found", "\(method) \(path): \(answer.body)")
        }
        let upload = try API.call(serve, "POST", "/api/v1/bulk-parse-resumes?job_id=\(id)", token: globex,
                                  files: ["0012-noor-de-vries.txt"])
        #expect(upload.status == 404 && upload.errorCode == "not_found", "\(upload.body)")
        let malformed = try API.call(serve, "POST", "/api/v1/bulk-parse-resumes?job_id=42", token: acme,
                                     files: ["0012-noor-de-vries.txt"])
        #expect(malformed.status == 400 && malformed.errorCode == "invalid_parameter", "\(malformed.body)")
        #expect(serve.spooled.isEmpty, "\(serve.spooled)")
        #expect(try API.rows(url, tenant: "globex", "SELECT count(*) FROM batch_items") == ["0"])

        // A description sent as a file goes through extraction; its fields come in the query.
        let folder = try TemporaryDirectory.make(prefix: "jd")
        try Data("<html><body><h1>Data Engineer</h1><p>Pipelines in Python and Spark on Airflow.</p></body></html>".utf8)
            .write(to: URL(fileURLWithPath: folder + "/jd.html"))
        try Data("%PDF-1.4 not really".utf8).write(to: URL(fileURLWithPath: folder + "/bad.pdf"))
        func file(_ method: String, _ path: String, _ name: String, type: String) throws -> API.Answer {
            try API.call(serve, method, path, token: acme,
                         extra: ["-H", "Content-Type: \(type)", "--data-binary", "@\(folder)/\(name)"])
        }
        let fromFile = try file("POST", "/api/v1/jobs?title=Data%20Engineer&required_skills=Python,Spark&min_years=2&filename=jd.html",
                                "jd.html", type: "text/html")
        #expect(fromFile.status == 201, "\(fromFile.body)")
        #expect((fromFile.json["description"] as? String)?.contains("Pipelines in Python and Spark") == true, "\(fromFile.body)")
        #expect((fromFile.json["description"] as? String)?.contains("<p>") == false, "the text, not the markup")
        #expect((fromFile.json["source"] as? [String: Any])?["filename"] as? String == "jd.html", "\(fromFile.body)")
        #expect(fromFile.json["required_skills"] as? [String] == ["Python", "Spark"])
        for (method, path, name, status, code) in [
            ("POST", "/api/v1/jobs?required_skills=Python", "jd.html", 400, "empty_job"),
            ("POST", "/api/v1/jobs?title=X&salary=1", "jd.html", 400, "unknown_field"),
            ("POST", "/api/v1/jobs?title=X", "bad.pdf", 422, "unreadable_description"),
            ("PUT", "/api/v1/jobs/\(id)/description", "bad.pdf", 422, "unreadable_description"),
        ] {
            let answer = try file(method, path, name, type: name.hasSuffix("pdf") ? "application/pdf" : "text/html")
            #expect(answer.status == status && answer.errorCode == code, "\(method) \(path): \(answer.body)")
        }
        let replaced = try file("PUT", "/api/v1/jobs/\(id)/description", "jd.html", type: "text/html")
        #expect(replaced.status == 200 && replaced.json["revision"] as? Int == 3, "\(replaced.body)")
        #expect((replaced.json["description"] as? String)?.contains("Airflow") == true)
        #expect(replaced.json["required_skills"] as? [String] == ["Python", "SQL", "Kubernetes", "Go"], "\(replaced.body)")
        let otherTenant = try API.call(serve, "PUT", "/api/v1/jobs/\(id)/description", token: globex,
                                       extra: ["-H", "Content-Type: text/html", "--data-binary", "@\(folder)/jd.html"])
        #expect(otherTenant.status == 404 && otherTenant.errorCode == "not_found", "\(otherTenant.body)")
        // The job is looked up before the file is read: an unreadable file for a job that is not there is 404.
        let unknownJob = try file("PUT", "/api/v1/jobs/01a24971-0000-7000-8000-00000000dead/description", "bad.pdf",
                                  type: "application/pdf")
        #expect(unknownJob.status == 404 && unknownJob.errorCode == "not_found", "\(unknownJob.body)")
        #expect(try API.rows(url, tenant: "acme", "SELECT count(*) FROM jobs") == ["2"], "the refused files made no job")
        #expect(serve.spooled.isEmpty, "no description file stays in the spool: \(serve.spooled)")
        // The temporary file is unlinked on the pool as the answer goes: give it a moment.
        var temporary: [String] = []
        for _ in 0..<50 {
            temporary = (try? FileManager.default.contentsOfDirectory(atPath: serve.spool + "/tmp")) ?? []
            if temporary.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(temporary.isEmpty, "nor in its temporary files: \(temporary)")
        let multipart = try API.call(serve, "POST", "/api/v1/jobs", token: acme, extra: ["-F", "file=@\(folder)/jd.html"])
        #expect(multipart.status == 415 && multipart.errorCode == "unsupported_media_type", "\(multipart.body)")
        let nul = try Self.send(serve, "POST", "/api/v1/jobs", token: acme, body: #"{"title": "\u0000", "description": "B"}"#)
        #expect(nul.status == 400 && nul.errorCode == "empty_job", "\(nul.body)")

        let deleted = try Self.send(serve, "DELETE", "/api/v1/jobs/\(id)", token: acme)
        #expect(deleted.status == 204)
        #expect(try Self.send(serve, "GET", "/api/v1/jobs/\(id)", token: acme).status == 404)
        #expect(await serve.stop() == 0, "\(serve.log)")
    }

    @Test("an upload naming a job: every document becomes a candidate (failed not_parsed when its extraction failed), the list is ranked and its pages cover each candidate once, filters hold, every quote is the stored text at its offsets by PostgreSQL's substr, the batch's status names its run, and the run's webhook is queued")
    func uploadNamingAJob() async throws {
        let url = try TestDatabase.freshDatabase("jobs_upload")
        defer { try? TestDatabase.dropDatabase(url) }
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url, "WEBHOOK_ALLOW_PRIVATE": "true"])
        let created = try Self.send(serve, "POST", "/api/v1/jobs", body: Self.job)
        let job = try #require(created.json["id"] as? String, "\(created.body)")
        // Twelve resumes in seven formats, and a "PDF" that is not one (its extraction fails).
        let broken = try TemporaryDirectory.make(prefix: "jobs") + "/broken.pdf"
        try Data("%PDF-1.4 this is not a PDF at all".utf8).write(to: URL(fileURLWithPath: broken))
        let files = ["0001-abigail-thompson.pdf", "0003-youssef-haddad.docx", "0009-sota-sato.doc",
                     "0012-noor-de-vries.txt", "0013-sophia-ward.html", "0002-divya-iyer.pdf", "0004-matthias-wagner.docx",
                     "0005-sebastian-fernandez.pdf", "0006-matheo-lambert.docx", "0011-matheo-lefevre.doc",
                     "0025-valentina-fernandez-hernandez-lopez.txt", "0027-jose-garcia.html"]
        let upload = try API.call(serve, "POST", "/api/v1/bulk-parse-resumes?job_id=\(job)&callback_url=http://127.0.0.1:9/hook",
                                  files: files, extra: ["-F", "files=@\(broken)"])
        #expect(upload.status == 202, "\(upload.body)")
        let batch = try #require(upload.json["batch_id"] as? String)
        let batchStatus = try await API.completed(serve, batch: batch, token: nil)
        let run = try #require(try API.rows(url, tenant: "default", "SELECT id FROM scoring_runs WHERE batch_id = '\(batch)'").first)
        let runs = try #require(batchStatus["scoring_runs"] as? [[String: Any]], "the batch names its runs")
        #expect(runs.count == 1 && runs.first?["run_id"] as? String == run && runs.first?["job_id"] as? String == job,
                "\(runs)")
        let done = try await Self.completedRun(serve, job: job, run: run)
        let counts = try #require(done["counts"] as? [String: Any])
        #expect(counts["total"] as? Int == 13 && counts["pending"] as? Int == 0, "\(done)")
        #expect(counts["scored"] as? Int == 12 && counts["failed"] as? Int == 1, "\(done)")

        let all = try Self.allCandidates(serve, job: job, limit: 5)
        #expect(all.count == 13)
        #expect(Set(all.compactMap { $0["document_id"] as? String }).count == 13, "each candidate once across pages")
        let ranks = all.map { ($0["score"] as? Int) ?? -1 }
        #expect(ranks == ranks.sorted(by: >), "\(ranks)")
        let failed = all.filter { $0["status"] as? String == "failed" }
        #expect(failed.count == 1)
        #expect((failed.first?["error"] as? [String: Any])?["code"] as? String == "not_parsed", "\(failed)")
        #expect(failed.first?["filename"] as? String == "broken.pdf")
        for candidate in all where candidate["status"] as? String == "scored" {
            let reasons = candidate["reasons"] as? [[String: Any]] ?? []
            #expect(!reasons.isEmpty, "\(candidate)")
            #expect(candidate["reasons_dropped"] as? Int == 0)
            #expect(Set((candidate["sub_scores"] as? [String: Any] ?? [:]).keys)
                    == ["required_skills", "nice_skills", "experience", "title", "education"])
        }
        // The evidence, checked by the database against the text it stores.
        let check = try API.rows(url, tenant: "default", """
            SELECT count(*), count(*) FILTER (WHERE substr(d.text, (r->>'start')::int + 1,
                                                           (r->>'end')::int - (r->>'start')::int) = r->>'quote')
            FROM job_scores s JOIN documents d ON d.id = s.document_id, jsonb_array_elements(s.reasons) r
            """)
        let pair = try #require(check.first).split(separator: "|").map { Int($0) ?? -1 }
        #expect(pair.count == 2 && pair[0] > 24 && pair[0] == pair[1], "\(check)")

        let top = try Self.allCandidates(serve, job: job, limit: 100, query: "&min_score=\(ranks[2])")
        #expect(top.count == ranks.filter { $0 >= ranks[2] }.count && top.count >= 3)
        #expect(try Self.allCandidates(serve, job: job, limit: 100, query: "&status=failed").count == 1)
        let ndjson = try API.call(serve, "GET", "/api/v1/jobs/\(job)/candidates?format=ndjson&limit=4")
        #expect(ndjson.headers["content-type"] == "application/x-ndjson")
        let lines = ndjson.body.split(separator: "\n")
        #expect(lines.count == 4 && ndjson.headers["next-cursor"] != nil, "\(ndjson.body)")
        #expect(lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["document_id"] as? String }
                == all.prefix(4).compactMap { $0["document_id"] as? String })
        let one = try Self.send(serve, "GET", "/api/v1/jobs/\(job)/candidates/\(all[0]["document_id"] as? String ?? "")")
        #expect(one.status == 200 && (one.json["text"] as? String)?.isEmpty == false, "\(one.body)")

        let events = try API.rows(url, tenant: "default", """
            SELECT event_type, convert_from(payload, 'UTF8')::jsonb #>> '{data,run_id}',
                   convert_from(payload, 'UTF8')::jsonb #>> '{data,counts,scored}', url
            FROM webhook_deliveries ORDER BY created_at
            """)
        #expect(events.contains("job.scoring.completed|\(run)|12|http://127.0.0.1:9/hook"), "\(events)")
        let metrics = try serve.curl(["-s", "http://127.0.0.1:\(serve.port)/metrics"])
        #expect(metrics.contains("scoring_candidates_scored_total 12"), "\(metrics)")
        #expect(metrics.contains(#"scoring_candidates_failed_total{code="not_parsed"}"#) == false,
                "not_parsed at the write is the request's, not a worker's")
        #expect(metrics.contains("scoring_reasons_dropped_total 0"))
        #expect(await serve.stop() == 0, "\(serve.log)")
    }

    @Test("POST /jobs/{id}/score: by document ids (unknown ones listed, a failed document failed not_parsed), by batch (another tenant's is 404), and all parsed; a changed job marks older scores stale until rescored; an import naming a job scores its reused documents too; imported again, they join the new run with their current scores, scored again only after the job changed")
    func scoringRequests() async throws {
        let url = try TestDatabase.freshDatabase("jobs_score")
        defer { try? TestDatabase.dropDatabase(url) }
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url])
        let broken = try TemporaryDirectory.make(prefix: "jobs") + "/broken.pdf"
        try Data("%PDF-1.4 this is not a PDF at all".utf8).write(to: URL(fileURLWithPath: broken))
        let upload = try API.call(serve, "POST", "/api/v1/bulk-parse-resumes",
                                  files: ["0012-noor-de-vries.txt", "0013-sophia-ward.html", "0003-youssef-haddad.docx"],
                                  extra: ["-F", "files=@\(broken)"])
        let batch = try #require(upload.json["batch_id"] as? String, "\(upload.body)")
        _ = try await API.completed(serve, batch: batch, token: nil)
        let items = try #require(upload.json["files"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        let job = try #require(try Self.send(serve, "POST", "/api/v1/jobs", body: Self.job).json["id"] as? String)

        let unknown = "01a24971-0000-7000-8000-000000000000"
        let byIDs = try Self.send(serve, "POST", "/api/v1/jobs/\(job)/score",
                                  body: Self.json(["document_ids": items + [unknown, "nope"]]))
        #expect(byIDs.status == 202, "\(byIDs.body)")
        #expect(byIDs.json["requested"] as? Int == 4 && byIDs.json["not_parsed"] as? Int == 1, "\(byIDs.body)")
        #expect(byIDs.json["not_found"] as? [String] == [unknown, "nope"], "\(byIDs.body)")
        let run = try #require(byIDs.json["run_id"] as? String)
        let done = try await Self.completedRun(serve, job: job, run: run)
        #expect((done["counts"] as? [String: Any])?["scored"] as? Int == 3, "\(done)")

        let all = try Self.send(serve, "POST", "/api/v1/jobs/\(job)/score", body: #"{"all": true}"#)
        #expect(all.status == 202 && all.json["requested"] as? Int == 3, "only parsed documents: \(all.body)")
        _ = try await Self.completedRun(serve, job: job, run: try #require(all.json["run_id"] as? String))

        // A change of the job: scores made before read stale until the batch is scored again.
        _ = try Self.send(serve, "PATCH", "/api/v1/jobs/\(job)", body: #"{"required_skills": ["Excel"]}"#)
        #expect(try Self.allCandidates(serve, job: job, limit: 10, query: "&status=scored")
                .allSatisfy { $0["stale"] as? Bool == true })
        let byBatch = try Self.send(serve, "POST", "/api/v1/jobs/\(job)/score", body: Self.json(["batch_id": batch]))
        #expect(byBatch.status == 202 && byBatch.json["requested"] as? Int == 4, "\(byBatch.body)")
        _ = try await Self.completedRun(serve, job: job, run: try #require(byBatch.json["run_id"] as? String))
        let rescored = try Self.allCandidates(serve, job: job, limit: 10, query: "&status=scored")
        #expect(rescored.count == 3 && rescored.allSatisfy { $0["stale"] as? Bool == false }, "\(rescored)")
        #expect(rescored.allSatisfy { candidate in
            let found = (candidate["sub_scores"] as? [String: Any])?["required_skills"] as? Double
            return (candidate["missing_skills"] as? [String] == ["Excel"] && found == 0)
                || (candidate["missing_skills"] as? [String] == [] && found == 1)
        }, "scored against the changed job: \(rescored)")

        // An import naming a job, of files stored before (their results are reused, never passing the Sink again)
        // and one new: every one of them becomes a candidate, and the run completes.
        let second = try #require(try Self.send(serve, "POST", "/api/v1/jobs", body: Self.job).json["id"] as? String)
        let archive = try TemporaryDirectory.make(prefix: "jobs-import") + "/cvs.tar"
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        tar.arguments = ["-cf", archive, "-C", API.sample, "0012-noor-de-vries.txt", "0013-sophia-ward.html",
                         "0003-youssef-haddad.docx", "0025-valentina-fernandez-hernandez-lopez.txt"]
        try tar.run()
        tar.waitUntilExit()
        let imported = try API.call(serve, "POST", "/api/v1/imports?filename=cvs.tar&job_id=\(second)",
                                    extra: ["--data-binary", "@\(archive)"])
        #expect(imported.status == 202, "\(imported.body)")
        let importBatch = try #require(imported.json["batch_id"] as? String)
        _ = try await API.completed(serve, batch: importBatch, token: nil)
        let importRun = try #require(try API.rows(url, tenant: "default",
                                                  "SELECT id FROM scoring_runs WHERE batch_id = '\(importBatch)'").first)
        let importDone = try await Self.completedRun(serve, job: second, run: importRun)
        #expect((importDone["counts"] as? [String: Any])?["scored"] as? Int == 4, "\(importDone)")

        // The same archive again, naming the same job: its run counts every document, their current scores as
        // they were (not made twice); after a change of the job, the next import scores them again.
        func importAgain() async throws -> [String: Any] {
            let again = try API.call(serve, "POST", "/api/v1/imports?filename=cvs.tar&job_id=\(second)",
                                     extra: ["--data-binary", "@\(archive)"])
            let batch = try #require(again.json["batch_id"] as? String, "\(again.body)")
            _ = try await API.completed(serve, batch: batch, token: nil)
            let run = try #require(try API.rows(url, tenant: "default",
                                                "SELECT id FROM scoring_runs WHERE batch_id = '\(batch)'").first)
            return try await Self.completedRun(serve, job: second, run: run)
        }
        let scoredAt = "SELECT scored_at FROM job_scores WHERE job_id = '\(second)' ORDER BY document_id"
        let before = try API.rows(url, tenant: "default", scoredAt)
        let moved = try await importAgain()
        #expect((moved["counts"] as? [String: Any])?["scored"] as? Int == 4, "\(moved)")
        #expect(try API.rows(url, tenant: "default", scoredAt) == before, "not scored again")
        _ = try Self.send(serve, "PATCH", "/api/v1/jobs/\(second)", body: #"{"required_skills": ["Excel"]}"#)
        let redone = try await importAgain()
        #expect((redone["counts"] as? [String: Any])?["scored"] as? Int == 4, "\(redone)")
        let after = try API.rows(url, tenant: "default", scoredAt)
        #expect(after.count == 4 && zip(before, after).allSatisfy { $0 != $1 }, "scored again: \(before) \(after)")
        #expect(try Self.allCandidates(serve, job: second, limit: 10).allSatisfy { $0["stale"] as? Bool == false })

        let missingBatch = try Self.send(serve, "POST", "/api/v1/jobs/\(job)/score",
                                         body: Self.json(["batch_id": "01a24971-0000-7000-8000-00000000beef"]))
        #expect(missingBatch.status == 404 && missingBatch.errorCode == "not_found", "\(missingBatch.body)")
        let gone = try Self.send(serve, "POST", "/api/v1/jobs/01a24971-0000-7000-8000-000000000001/score", body: #"{"all": true}"#)
        #expect(gone.status == 404 && gone.errorCode == "not_found", "\(gone.body)")
        #expect(await serve.stop() == 0, "\(serve.log)")
    }

    @Test("scoring left in the database when the engine went away (queued, and claimed under a lease that ran out) is done after a restart")
    func restartFindsWhatIsLeft() async throws {
        let url = try TestDatabase.freshDatabase("jobs_restart")
        defer { try? TestDatabase.dropDatabase(url) }
        let spool = try TemporaryDirectory.make(prefix: "jobs-spool")
        var serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url], spool: spool)
        let upload = try API.call(serve, "POST", "/api/v1/bulk-parse-resumes",
                                  files: ["0012-noor-de-vries.txt", "0013-sophia-ward.html", "0001-abigail-thompson.pdf",
                                          "0025-valentina-fernandez-hernandez-lopez.txt"])
        let batch = try #require(upload.json["batch_id"] as? String, "\(upload.body)")
        _ = try await API.completed(serve, batch: batch, token: nil)
        #expect(await serve.stop() == 0, "\(serve.log)")

        // With no engine running: a job and a request through the command line, then half the queue claimed by a
        // worker that died (its lease ran out a second ago).
        let made = try await API.cli(["job", "create", "--title", "Backend Engineer", "--description", "Python and SQL",
                                      "--required-skills", "Python,SQL", "--json"], url: url)
        #expect(made.status == 0, "\(made.output)")
        let job = try #require((try JSONSerialization.jsonObject(with: Data(made.output.utf8)) as? [String: Any])?["id"] as? String)
        let scored = try await API.cli(["job", "score", job, "--all"], url: url)
        #expect(scored.status == 0 && scored.output.contains("4 candidates"), "\(scored.output)")
        _ = try TestDatabase.psql(url, """
            UPDATE scoring_queue SET claim = gen_random_uuid(), attempts = 1, next_attempt_at = now() - interval '1 second'
            WHERE document_id IN (SELECT document_id FROM scoring_queue ORDER BY document_id LIMIT 2)
            """)
        #expect(try API.rows(url, tenant: "default", "SELECT status, count(*) FROM job_scores GROUP BY 1") == ["pending|4"])

        serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url], spool: spool)
        let run = try #require(try API.rows(url, tenant: "default", "SELECT id FROM scoring_runs").first)
        let done = try await Self.completedRun(serve, job: job, run: run)
        #expect((done["counts"] as? [String: Any])?["scored"] as? Int == 4, "\(done)")
        #expect(try TestDatabase.psql(url, "SELECT count(*) FROM scoring_queue") == "0")
        let listed = try await API.cli(["job", "candidates", job], url: url)
        #expect(listed.status == 0 && listed.output.split(separator: "\n").count == 4, "\(listed.output)")
        #expect(await serve.stop() == 0, "\(serve.log)")
    }
}
