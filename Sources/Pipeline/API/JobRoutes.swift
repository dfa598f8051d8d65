import Foundation
import HTTP1
import Ingest
import Logging
import Loop
import Sink

/// `/api/v1/jobs…`: jobs, scoring requests and the ranked candidates, each in a transaction with the tenant set
/// (row-level security): a job of another tenant is not found (`404`).
///
/// - `POST /jobs`, `GET /jobs`, `GET|PATCH|DELETE /jobs/{id}`
/// - `POST /jobs/{id}/score` (`batch_id`, `document_ids` or `"all": true`) → `202` with the run
/// - `GET /jobs/{id}/runs/{run}`
/// - `GET /jobs/{id}/candidates` ranked best first, cursor-paged (`cursor`, `limit`), filtered (`min_score`,
///   `status`), JSON or NDJSON (`format=ndjson` or `Accept: application/x-ndjson`)
/// - `GET /jobs/{id}/candidates/{document}`: one candidate with the resume's text (the quotes' offsets index it)
@LoopActor
public final class JobRoutes {
    private let records: JobRecords
    private let queue: ScoringQueue
    private let logger: Logger
    /// Candidates were made pending (the worker looks now rather than at its next poll).
    public var requested: @LoopActor () -> Void = {}
    /// A job was deleted (scoring in progress for it is given up).
    public var deleted: @LoopActor (String) -> Void = { _ in }
    /// Runs that completed at the request (every candidate failed `not_parsed`): announced like the others.
    public var completed: @LoopActor (CompletedRun) async -> Void = { _ in }
    /// Checks a `callback_url` (nil: acceptable, else why not).
    public var checkCallbackURL: @LoopActor (String) -> String? = { _ in nil }
    /// Reads a description file's text through the engine's extraction (nil: files are refused).
    public var extract: (@LoopActor (_ path: String, _ filename: String?, _ declaredType: String?, _ size: Int) async
        -> DescriptionFile)?

    /// A description file as extraction read it: its text, or why there is none.
    public struct DescriptionFile: Sendable {
        public var text: String
        /// `{"filename","detected_type","extractor"}`, kept as the job's `source`.
        public var source: [UInt8]
        /// The extraction failure's code and detail, when it failed.
        public var failure: (code: String, detail: String)?

        public init(text: String, source: [UInt8], failure: (code: String, detail: String)?) {
            self.text = text
            self.source = source
            self.failure = failure
        }
    }

    public nonisolated static let statuses: Set<String> = ["pending", "scored", "failed"]

    public init(records: JobRecords, queue: ScoringQueue, logger: Logger) {
        self.records = records
        self.queue = queue
        self.logger = logger
    }

    /// The handler for `parts` (the path after `/api/v1/`, `parts[0] == "jobs"`), or nil when no route matches.
    func handler(for exchange: HTTPExchange, parts: [String], tenant: AuthenticatedTenant, router: IngestRouter)
        -> (any HTTPRequestHandler)?
    {
        guard let tenantID = tenant.id else {
            return router.respond(exchange) { APIRoutes.noDatabase }
        }
        let method = exchange.head.method
        let query = Query(exchange.head.target)
        switch parts.count {
        case 1:
            exchange.route = "jobs"
            switch method {
            case "POST" where Self.isMultipart(exchange):
                return router.respond(exchange) {
                    .error(415, code: "unsupported_media_type",
                           message: "send the job as JSON, or the description file itself as the body (not multipart/form-data)")
                }
            case "POST" where Self.isFile(exchange):
                return createFromFile(exchange, query: query, tenantID: tenantID, router: router)
            case "POST": return router.respondToBody(exchange) { [self] body in await create(body, tenantID: tenantID) }
            case "GET": return router.respondLater(exchange) { [self] in await list(tenantID: tenantID, query: query) }
            default: return router.methodNotAllowed(exchange, allow: "GET, POST")
            }
        case 2:
            exchange.route = "job"
            let id = parts[1]
            switch method {
            case "GET": return router.respondLater(exchange) { [self] in await job(id, tenantID: tenantID) }
            case "PATCH": return router.respondToBody(exchange) { [self] body in await update(id, body, tenantID: tenantID) }
            case "DELETE": return router.respondLater(exchange) { [self] in await delete(id, tenantID: tenantID) }
            default: return router.methodNotAllowed(exchange, allow: "GET, PATCH, DELETE")
            }
        case 3 where parts[2] == "description":
            exchange.route = "job-description"
            guard method == "PUT" else { return router.methodNotAllowed(exchange, allow: "PUT") }
            let id = parts[1]
            guard let extract else { return router.respond(exchange) { Self.filesUnsupported } }
            // The job is looked up before a byte of the file is read: a wrong id is told at once, not after the
            // whole file has been spooled and extracted.
            return HeldRequest(exchange: exchange) { [self] in
                do throws(PGError) {
                    guard try await records.exists(id, tenantID: tenantID) else {
                        return router.reject(exchange, 404, "not_found", "no job \(id)")
                    }
                } catch {
                    logger.warning("jobs API failed", metadata: ["error": "\(error)"])
                    return router.reject(exchange, 503, "database_unavailable",
                                         "the database cannot be reached now; retry shortly", headers: [("Retry-After", "5")])
                }
                return description(id, exchange: exchange, query: query, extract: extract, tenantID: tenantID,
                                   router: router)
            }
        case 3 where parts[2] == "score":
            exchange.route = "job-score"
            guard method == "POST" else { return router.methodNotAllowed(exchange, allow: "POST") }
            let id = parts[1]
            return router.respondToBody(exchange) { [self] body in await score(id, body, tenantID: tenantID) }
        case 3 where parts[2] == "candidates":
            exchange.route = "job-candidates"
            guard method == "GET" else { return router.methodNotAllowed(exchange, allow: "GET") }
            let id = parts[1]
            let ndjson = query["format"] == "ndjson"
                || (query["format"] == nil && exchange.head.headers.first("Accept")?.contains("application/x-ndjson") == true)
            return router.respondLater(exchange) { [self] in
                await candidates(id, tenantID: tenantID, query: query, ndjson: ndjson, target: exchange.head.target)
            }
        case 4 where parts[2] == "candidates":
            exchange.route = "job-candidate"
            guard method == "GET" else { return router.methodNotAllowed(exchange, allow: "GET") }
            let (id, document) = (parts[1], parts[3])
            return router.respondLater(exchange) { [self] in
                await candidate(id, document: document, tenantID: tenantID)
            }
        case 4 where parts[2] == "runs":
            exchange.route = "job-run"
            guard method == "GET" else { return router.methodNotAllowed(exchange, allow: "GET") }
            let (id, run) = (parts[1], parts[3])
            return router.respondLater(exchange) { [self] in await self.run(run, job: id, tenantID: tenantID) }
        default:
            return nil
        }
    }

    // MARK: Routes

    private static func isMultipart(_ exchange: HTTPExchange) -> Bool {
        exchange.head.headers.first("Content-Type")?.lowercased().hasPrefix("multipart/") == true
    }

    /// Whether a `POST /jobs` body is a description file rather than the JSON job: any declared type but JSON.
    private static func isFile(_ exchange: HTTPExchange) -> Bool {
        guard let type = exchange.head.headers.first("Content-Type")?.lowercased() else { return false }
        return !type.hasPrefix("application/json") && !type.hasPrefix("text/json")
    }

    private static let filesUnsupported = HTTPResponse.error(
        400, code: "files_unsupported", message: "job description files need the extraction stage, which this engine does not run")

    /// `422` for a file extraction could not read, or read no text from; nil when it has text.
    private static func refusal(_ file: DescriptionFile) -> HTTPResponse? {
        if let failure = file.failure {
            return .error(422, code: "unreadable_description",
                          message: "the description file could not be read (\(failure.code): \(failure.detail))")
        }
        guard !file.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .error(422, code: "empty_job", message: "no text was found in the description file")
        }
        guard file.text.count <= JobRequest.maxDescriptionLength else {
            return .error(422, code: "description_too_long",
                          message: "the description file holds over \(JobRequest.maxDescriptionLength) characters of text")
        }
        return nil
    }

    /// `PUT /jobs/{id}/description` once the job is known: the file body through extraction, then the job's
    /// description replaced (its revision raised). A job deleted meanwhile is still `404`.
    private func description(_ id: String, exchange: HTTPExchange, query: Query,
                             extract: @escaping @LoopActor (String, String?, String?, Int) async -> DescriptionFile,
                             tenantID: String, router: IngestRouter) -> any HTTPRequestHandler {
        FileBodyHandler.make(exchange: exchange, router: router) { [self] path, size in
            let file = await extract(path, query["filename"], exchange.head.headers.first("Content-Type"), size)
            if let refused = Self.refusal(file) { return refused }
            var fields = JobFields(description: file.text)
            fields.source = file.source
            return await answer { () async throws(PGError) -> HTTPResponse in
                guard let json = try await records.update(id, fields, tenantID: tenantID) else {
                    return APIRoutes.notFound("job", id)
                }
                return .json(200, json + [0x0A])
            }
        }
    }

    /// `POST /jobs` with the description as a file body (pdf, docx, …; its type in `Content-Type`) and the
    /// other fields in the query (`title`, `required_skills` and `nice_to_have_skills` comma-separated,
    /// `min_years`, `education`, `location`, `filename`). The fields are checked before the body is read; the
    /// file goes through the engine's extraction and is not kept.
    private func createFromFile(_ exchange: HTTPExchange, query: Query, tenantID: String, router: IngestRouter)
        -> any HTTPRequestHandler
    {
        guard let extract else { return router.respond(exchange) { Self.filesUnsupported } }
        var object: [String: Any] = [:]
        for key in ["title", "education", "location"] { if let value = query[key] { object[key] = value } }
        for key in ["required_skills", "nice_to_have_skills"] {
            if let value = query[key] { object[key] = value.split(separator: ",").map(String.init) }
        }
        if let value = query["min_years"] { object["min_years"] = Double(value) ?? value }
        if let unknown = query.names.first(where: { !JobRequest.fields.contains($0) && $0 != "filename" }) {
            return router.respond(exchange) {
                .error(400, code: "unknown_field", message: "unknown parameter '\(unknown)' for a job")
            }
        }
        object["description"] = "(from the file)"
        let body = Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
        if case .failure(let failure) = JobRequest.parse(body, partial: false) {
            return router.respond(exchange) { failure.response }
        }
        return FileBodyHandler.make(exchange: exchange, router: router) { [self] path, size in
            let file = await extract(path, query["filename"], exchange.head.headers.first("Content-Type"), size)
            if let refused = Self.refusal(file) { return refused }
            object["description"] = file.text
            let body = Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
            var fields: JobFields
            switch JobRequest.parse(body, partial: false) {
            case .success(let f): fields = f
            case .failure(let failure): return failure.response
            }
            fields.source = file.source
            return await create(fields, tenantID: tenantID)
        }
    }

    private func create(_ body: [UInt8], tenantID: String) async -> HTTPResponse {
        switch JobRequest.parse(body, partial: false) {
        case .success(let fields): return await create(fields, tenantID: tenantID)
        case .failure(let failure): return failure.response
        }
    }

    private func create(_ fields: JobFields, tenantID: String) async -> HTTPResponse {
        await answer { () async throws(PGError) -> HTTPResponse in
            let json = try await records.create(fields, tenantID: tenantID)
            let id = (try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])?["id"] as? String ?? ""
            return HTTPResponse(status: 201, headers: [("Content-Type", "application/json"),
                                                       ("Location", "/api/v1/jobs/\(id)")], body: json + [0x0A])
        }
    }

    private func list(tenantID: String, query: Query) async -> HTTPResponse {
        let limit: Int
        switch query.page("limit", default: 100) {
        case .success(let n): limit = n
        case .failure(let failure): return failure.response
        }
        let after = query["cursor"]
        if let after, DocumentID(after) == nil { return APIRoutes.badCursor("cursor") }
        return await answer { () async throws(PGError) -> HTTPResponse in
            let page = try await records.list(tenantID: tenantID, after: after, limit: limit)
            var o = JSONText.Object()
            o.raw("jobs", page.json)
            o.string("next_cursor", page.last)
            return .json(200, o.finished() + [0x0A])
        }
    }

    private func job(_ id: String, tenantID: String) async -> HTTPResponse {
        await answer { () async throws(PGError) -> HTTPResponse in
            guard let json = try await records.job(id, tenantID: tenantID) else { return APIRoutes.notFound("job", id) }
            return .json(200, json + [0x0A])
        }
    }

    private func update(_ id: String, _ body: [UInt8], tenantID: String) async -> HTTPResponse {
        let fields: JobFields
        switch JobRequest.parse(body, partial: true) {
        case .success(let f): fields = f
        case .failure(let failure): return failure.response
        }
        return await answer { () async throws(PGError) -> HTTPResponse in
            guard let json = try await records.update(id, fields, tenantID: tenantID) else {
                return APIRoutes.notFound("job", id)
            }
            return .json(200, json + [0x0A])
        }
    }

    /// Deletes the job with its candidates and queued work. Scoring in flight writes nothing after this (its
    /// rows are gone), and nothing of the job is left half written.
    private func delete(_ id: String, tenantID: String) async -> HTTPResponse {
        await answer { () async throws(PGError) -> HTTPResponse in
            guard try await records.delete(id, tenantID: tenantID) else { return APIRoutes.notFound("job", id) }
            deleted(id.lowercased())
            logger.info("job deleted", metadata: ["job": "\(id)"])
            return HTTPResponse(status: 204, headers: [], body: [])
        }
    }

    private func score(_ id: String, _ body: [UInt8], tenantID: String) async -> HTTPResponse {
        let selection: ScoringSelection
        let callbackURL: String?
        switch JobRequest.selection(body) {
        case .success(let s): (selection, callbackURL) = (s.0, s.callbackURL)
        case .failure(let failure): return failure.response
        }
        if let callbackURL, let why = checkCallbackURL(callbackURL) {
            return .error(400, code: "invalid_callback_url", message: "callback_url is not acceptable: \(why)")
        }
        return await answer { () async throws(PGError) -> HTTPResponse in
            let (outcome, batchFound) = try await records.requestScoring(job: id, selection, callbackURL: callbackURL,
                                                                           tenantID: tenantID)
            guard batchFound else {
                if case .batch(let batch) = selection { return APIRoutes.notFound("batch", batch) }
                return APIRoutes.notFound("batch", "")
            }
            guard let outcome else { return APIRoutes.notFound("job", id) }
            if outcome.requested > outcome.notParsed { requested() }
            // A run with nothing to score (all failed, or nothing chosen) completes now.
            if outcome.requested == outcome.notParsed {
                for run in try await queue.complete(runs: [outcome.runID], tenantID: tenantID) { await completed(run) }
            }
            var o = JSONText.Object()
            o.string("run_id", outcome.runID)
            o.string("job_id", id)
            o.int("requested", outcome.requested)
            o.int("not_parsed", outcome.notParsed)
            o.raw("not_found", JSONText.strings(outcome.notFound))
            o.raw("not_ready", JSONText.strings(outcome.notReady))
            o.string("status_url", "/api/v1/jobs/\(id)/runs/\(outcome.runID)")
            o.string("candidates_url", "/api/v1/jobs/\(id)/candidates")
            return .json(202, o.finished() + [0x0A])
        }
    }

    private func run(_ id: String, job: String, tenantID: String) async -> HTTPResponse {
        await answer { () async throws(PGError) -> HTTPResponse in
            guard let json = try await records.run(id, tenantID: tenantID),
                  (try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])?["job_id"] as? String == job
            else { return APIRoutes.notFound("scoring run", id) }
            return .json(200, json + [0x0A])
        }
    }

    private func candidates(_ id: String, tenantID: String, query: Query, ndjson: Bool, target: String) async
        -> HTTPResponse
    {
        let limit: Int
        switch query.page("limit", default: 100) {
        case .success(let n): limit = n
        case .failure(let failure): return failure.response
        }
        var minScore: Int?
        if let text = query["min_score"] {
            guard let n = Int(text), (0...100).contains(n) else {
                return .error(400, code: "invalid_parameter", message: "min_score must be 0 to 100")
            }
            minScore = n
        }
        let status = query["status"]
        if let status, !Self.statuses.contains(status) {
            return .error(400, code: "invalid_parameter",
                          message: "status must be one of \(Self.statuses.sorted().joined(separator: ", "))")
        }
        if let format = query["format"], format != "json", format != "ndjson" {
            return .error(400, code: "invalid_parameter", message: "format must be json or ndjson")
        }
        var cursor: JobRecords.RankCursor?
        if let text = query["cursor"] {
            guard let parsed = JobRecords.RankCursor(text) else { return APIRoutes.badCursor("cursor") }
            cursor = parsed
        }
        return await answer { () async throws(PGError) -> HTTPResponse in
            guard let page = try await records.candidates(job: id, tenantID: tenantID, minScore: minScore,
                                                          status: status, after: cursor, limit: limit)
            else { return APIRoutes.notFound("job", id) }
            var headers: [(name: String, value: String)] = []
            if let next = page.next {
                var link = "/api/v1/jobs/\(id)/candidates?cursor=\(next)&limit=\(limit)"
                if let minScore { link += "&min_score=\(minScore)" }
                if let status { link += "&status=\(status)" }
                if ndjson { link += "&format=ndjson" }
                headers.append(("Next-Cursor", next.description))
                headers.append(("Link", "<\(link)>; rel=\"next\""))
            }
            if ndjson {
                var body: [UInt8] = []
                for row in page.rows { body += row + [0x0A] }
                return HTTPResponse(status: 200, headers: [("Content-Type", "application/x-ndjson")] + headers, body: body)
            }
            var body: [UInt8] = Array(#"{"candidates":["#.utf8)
            for (n, row) in page.rows.enumerated() {
                if n > 0 { body.append(0x2C) }
                body += row
            }
            body += Array(#"],"next_cursor":"#.utf8)
            if let next = page.next { JSONText.appendString(next.description, to: &body) } else { body += Array("null".utf8) }
            body += [0x7D, 0x0A]
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")] + headers, body: body)
        }
    }

    private func candidate(_ id: String, document: String, tenantID: String) async -> HTTPResponse {
        await answer { () async throws(PGError) -> HTTPResponse in
            guard let json = try await records.candidate(job: id, document: document, tenantID: tenantID) else {
                return APIRoutes.notFound("candidate", document)
            }
            return .json(200, json + [0x0A])
        }
    }

    /// Runs a database read or write; `503 database_unavailable` when it fails.
    private func answer(_ body: () async throws(PGError) -> HTTPResponse) async -> HTTPResponse {
        do throws(PGError) {
            return try await body()
        } catch {
            logger.warning("jobs API failed", metadata: ["error": "\(error)"])
            return .error(503, code: "database_unavailable", message: "the database cannot be reached now; retry shortly",
                          headers: [("Retry-After", "5")])
        }
    }
}
