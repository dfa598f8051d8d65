import Foundation
import HTTP1
import Ingest
import Logging
import Loop
import Sink

/// The tenant's routes beyond uploads: batches, their results, documents, erasure. Every read runs in a
/// transaction with the tenant set for row-level security (``TenantReads``); a batch or document of another
/// tenant is not found (`404`, never `403`).
@LoopActor
public final class APIRoutes: TenantRoutes {
    private let reads: TenantReads
    private let logger: Logger
    /// The webhook log and replays; the tenant's webhook and secret.
    public var webhooks: WebhookDispatcher?
    public var directory: TenantDirectory?
    /// Which of these spool ids have bytes kept for a retry here, and moving them back into the backlog.
    public var retained: @LoopActor ([DocumentID]) async -> Set<DocumentID> = { _ in [] }
    public var restore: @LoopActor ([DocumentID]) async -> [DocumentID] = { _ in [] }
    /// Called after an erasure committed: purge the content's bytes and cached results everywhere else.
    public var erased: @LoopActor (_ tenant: String, _ sha256: [UInt8]) async -> Void = { _, _ in }
    /// Jobs, scoring and candidates (`/api/v1/jobs…`).
    public var jobs: JobRoutes?

    /// Results per page: the default and the most one page may ask for.
    public nonisolated static let defaultPage = 1_000
    public nonisolated static let maxPage = 10_000

    public init(reads: TenantReads, logger: Logger) {
        self.reads = reads
        self.logger = logger
    }

    public func handler(for exchange: HTTPExchange, path: String, tenant: AuthenticatedTenant, router: IngestRouter)
        -> (any HTTPRequestHandler)?
    {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst(3).map(String.init)
        guard path.hasPrefix("/api/v1/"), let first = parts.first else { return nil }
        let method = exchange.head.method
        let query = Query(exchange.head.target)
        if first == "jobs", let jobs { return jobs.handler(for: exchange, parts: parts, tenant: tenant, router: router) }
        switch (first, parts.count) {
        case ("tenant", 1):
            exchange.route = "tenant"
            guard method == "GET" else { return router.methodNotAllowed(exchange, allow: "GET") }
            guard query.includes("webhook") else { return router.respond(exchange) { Self.describe(tenant) } }
            return router.respondLater(exchange) { [self] in await describe(tenant) }
        case ("webhooks", 2) where parts[1] == "deliveries":
            exchange.route = "webhook-deliveries"
            guard method == "GET" else { return router.methodNotAllowed(exchange, allow: "GET") }
            return router.respondLater(exchange) { [self] in await deliveries(tenant: tenant, query: query) }
        case ("webhooks", 3) where parts[1] == "deliveries":
            exchange.route = "webhook-delivery"
            guard method == "GET" else { return router.methodNotAllowed(exchange, allow: "GET") }
            let id = parts[2]
            return router.respondLater(exchange) { [self] in await delivery(id, tenant: tenant) }
        case ("webhooks", 4) where parts[1] == "deliveries" && parts[3] == "replay":
            exchange.route = "webhook-replay"
            guard method == "POST" else { return router.methodNotAllowed(exchange, allow: "POST") }
            let id = parts[2]
            return router.respondLater(exchange) { [self] in await replay(id, tenant: tenant) }
        case ("batches", 2):
            exchange.route = "batch"
            guard method == "GET" else { return router.methodNotAllowed(exchange, allow: "GET") }
            let id = parts[1]
            return router.respondLater(exchange) { [self] in
                await batch(id, tenant: tenant, query: query)
            }
        case ("batches", 3) where parts[2] == "results":
            exchange.route = "batch-results"
            guard method == "GET" else { return router.methodNotAllowed(exchange, allow: "GET") }
            let id = parts[1]
            return router.respondLater(exchange) { [self] in
                await results(id, tenant: tenant, query: query, target: exchange.head.target)
            }
        case ("batches", 3) where parts[2] == "retry-failed":
            exchange.route = "batch-retry-failed"
            guard method == "POST" else { return router.methodNotAllowed(exchange, allow: "POST") }
            let id = parts[1]
            return router.respondLater(exchange) { [self] in await retryFailed(id, tenant: tenant) }
        case ("documents", 2):
            exchange.route = "document"
            let id = parts[1]
            switch method {
            case "GET":
                return router.respondLater(exchange) { [self] in
                    await document(id, tenant: tenant, text: query.includes("text"))
                }
            case "DELETE":
                return router.respondLater(exchange) { [self] in await erase(id, tenant: tenant) }
            default:
                return router.methodNotAllowed(exchange, allow: "GET, DELETE")
            }
        default:
            return nil
        }
    }

    // MARK: Routes

    private func batch(_ id: String, tenant: AuthenticatedTenant, query: Query) async -> HTTPResponse {
        guard let tenantID = tenant.id else { return Self.noDatabase }
        guard DocumentID(id) != nil else { return Self.notFound("batch", id) }
        let limit: Int
        switch query.page("items_limit", default: Self.defaultPage) {
        case .success(let n): limit = n
        case .failure(let failure): return failure.response
        }
        let after = query["items_after"]
        if let after, DocumentID(after) == nil { return Self.badCursor("items_after") }
        do throws(PGError) {
            guard let summary = try await reads.batch(id, tenantID: tenantID) else { return Self.notFound("batch", id) }
            let page = try await reads.items(batch: id, tenantID: tenantID, after: after, limit: limit)
            // `{summary…, "items": [...], "items_next": "<id>"|null}`: the summary object, reopened.
            var body = Array(summary.dropLast())
            body += Array(#","items":"#.utf8) + page.json
            body += Array(#","items_next":"#.utf8)
            if let last = page.last { JSONText.appendString(last, to: &body) } else { body += Array("null".utf8) }
            body += [0x7D, 0x0A]
            return .json(200, body)
        } catch {
            return unavailable(error)
        }
    }

    private func results(_ id: String, tenant: AuthenticatedTenant, query: Query, target: String) async -> HTTPResponse {
        guard let tenantID = tenant.id else { return Self.noDatabase }
        guard DocumentID(id) != nil else { return Self.notFound("batch", id) }
        let limit: Int
        switch query.page("limit", default: Self.defaultPage) {
        case .success(let n): limit = n
        case .failure(let failure): return failure.response
        }
        let cursor = query["cursor"]
        if let cursor, DocumentID(cursor) == nil { return Self.badCursor("cursor") }
        do throws(PGError) {
            guard let page = try await reads.results(batch: id, tenantID: tenantID, after: cursor, limit: limit,
                                                     text: query.includes("text"))
            else { return Self.notFound("batch", id) }
            var headers: [(name: String, value: String)] = [("Content-Type", "application/x-ndjson")]
            if let next = page.last {
                var link = "/api/v1/batches/\(id)/results?cursor=\(next)&limit=\(limit)"
                if query.includes("text") { link += "&include=text" }
                headers.append(("Next-Cursor", next))
                headers.append(("Link", "<\(link)>; rel=\"next\""))
            }
            return HTTPResponse(status: 200, headers: headers, body: page.ndjson)
        } catch {
            return unavailable(error)
        }
    }

    /// Puts a batch's failed documents through the pipeline again: those whose failure another try may
    /// change and whose bytes this engine kept (`retained/`, `RETAIN_FAILED_HOURS`). The answer lists what was
    /// not retried and why.
    private func retryFailed(_ id: String, tenant: AuthenticatedTenant) async -> HTTPResponse {
        guard let tenantID = tenant.id else { return Self.noDatabase }
        do throws(PGError) {
            guard let failed = try await reads.failed(batch: id, tenantID: tenantID) else {
                return Self.notFound("batch", id)
            }
            var skipped: [JSONText.Object] = []
            func skip(_ document: String, _ code: String?, _ reason: String) {
                var o = JSONText.Object()
                o.string("document_id", document)
                o.string("error_code", code)
                o.string("reason", reason)
                skipped.append(o)
            }
            var candidates: [DocumentID] = []
            for (document, code) in failed {
                if let code, RetainableFailures.lasting.contains(code) {
                    skip(document, code, "lasting_failure")
                } else if let documentID = DocumentID(document) {
                    candidates.append(documentID)
                }
            }
            let kept = await retained(candidates)
            for candidate in candidates where !kept.contains(candidate) {
                skip(candidate.description, failed.first { $0.document == candidate.description }?.code, "bytes_not_kept")
            }
            let mine = Set(try await reads.requeue(candidates.filter(kept.contains).map(\.description), batch: id,
                                                   tenantID: tenantID))
            // Only what this request queued is moved back (a concurrent retry of the batch moves the rest).
            let chosen = candidates.filter { mine.contains($0.description) }
            let restored = Set(await restore(chosen))
            let lost = chosen.filter { !restored.contains($0) }.map(\.description)
            try await reads.unqueue(lost, code: "retry_unavailable", detail: "the kept bytes were gone when the retry started",
                                    tenantID: tenantID)
            for document in lost { skip(document, "retry_unavailable", "bytes_not_kept") }
            var body = JSONText.Object()
            body.string("batch_id", id)
            body.int("retried", restored.count)
            body.array("not_retried", skipped)
            return .json(202, body.finished() + [0x0A])
        } catch {
            return unavailable(error)
        }
    }

    private func document(_ id: String, tenant: AuthenticatedTenant, text: Bool) async -> HTTPResponse {
        guard let tenantID = tenant.id else { return Self.noDatabase }
        do throws(PGError) {
            guard let json = try await reads.document(id, tenantID: tenantID, text: text) else {
                return Self.notFound("document", id)
            }
            return .json(200, json + [0x0A])
        } catch {
            return unavailable(error)
        }
    }

    private func erase(_ id: String, tenant: AuthenticatedTenant) async -> HTTPResponse {
        guard let tenantID = tenant.id else { return Self.noDatabase }
        do throws(PGError) {
            guard let erasure = try await reads.erase(id, tenantID: tenantID) else { return Self.notFound("document", id) }
            await erased(tenant.slug, erasure.sha256)
            logger.notice("document erased", metadata: [
                "tenant": "\(tenant.slug)", "id": "\(id)", "items": "\(erasure.items.count)", "rows": "\(erasure.rows)"])
            return HTTPResponse(status: 204, headers: [], body: [])
        } catch {
            return unavailable(error)
        }
    }

    // MARK: Answers

    /// The tenant and its limits, as authentication found them (no database round trip).
    private static func describe(_ tenant: AuthenticatedTenant) -> HTTPResponse {
        .json(200, fields(tenant).finished() + [0x0A])
    }

    private static func fields(_ tenant: AuthenticatedTenant) -> JSONText.Object {
        var o = JSONText.Object()
        o.string("tenant", tenant.slug)
        if let limit = tenant.monthlyLimit { o.int("monthly_limit", Int(limit)) } else { o.raw("monthly_limit", Array("null".utf8)) }
        if let rate = tenant.ratePerSecond { o.double("rate_per_second", rate) } else { o.raw("rate_per_second", Array("null".utf8)) }
        return o
    }

    /// `?include=webhook`: also this month's count, and the webhook with the secret that signs it (the tenant's
    /// own: whoever holds its key may verify its webhooks).
    private func describe(_ tenant: AuthenticatedTenant) async -> HTTPResponse {
        var o = Self.fields(tenant)
        if let directory, let id = tenant.id {
            do throws(PGError) {
                o.int("documents_this_month", Int(try await directory.usage(tenantID: id)))
                let record = try await directory.tenant(slug: tenant.slug)
                o.string("webhook_url", record?.webhookURL)
                o.string("webhook_secret", try await directory.webhookSecret(tenantID: id, make: { WebhookSecret.generate() }))
            } catch {
                return unavailable(error)
            }
        }
        return .json(200, o.finished() + [0x0A])
    }

    private func deliveries(tenant: AuthenticatedTenant, query: Query) async -> HTTPResponse {
        guard let tenantID = tenant.id, let webhooks else { return Self.noDatabase }
        let limit: Int
        if let text = query["limit"] {
            guard let n = Int(text), (1...500).contains(n) else {
                return .error(400, code: "invalid_parameter", message: "limit must be 1 to 500")
            }
            limit = n
        } else {
            limit = 50
        }
        do throws(WebhookError) {
            let page = try await webhooks.deliveries(tenantID: tenantID, limit: limit, after: query["after"])
            var o = JSONText.Object()
            o.array("deliveries", page.deliveries.map { $0.json() })
            o.string("next", page.next)
            return .json(200, o.finished() + [0x0A])
        } catch {
            return Self.webhookFailure(error)
        }
    }

    private func delivery(_ id: String, tenant: AuthenticatedTenant) async -> HTTPResponse {
        guard let tenantID = tenant.id, let webhooks else { return Self.noDatabase }
        do throws(WebhookError) {
            guard let found = try await webhooks.delivery(tenantID: tenantID, deliveryID: id) else {
                return Self.notFound("webhook delivery", id)
            }
            return .json(200, found.json().finished() + [0x0A])
        } catch {
            return Self.webhookFailure(error)
        }
    }

    private func replay(_ id: String, tenant: AuthenticatedTenant) async -> HTTPResponse {
        guard let tenantID = tenant.id, let webhooks else { return Self.noDatabase }
        do throws(WebhookError) {
            switch try await webhooks.replay(tenantID: tenantID, deliveryID: id) {
            case .queued:
                var o = JSONText.Object()
                o.string("id", id)
                o.string("status", "pending")
                return .json(202, o.finished() + [0x0A])
            case .notFound:
                return Self.notFound("webhook delivery", id)
            case .endpointDisabled:
                return .error(409, code: "endpoint_disabled",
                              message: "the endpoint answered 410 Gone and is disabled; set a new webhook URL first")
            }
        } catch {
            return Self.webhookFailure(error)
        }
    }

    private static func webhookFailure(_ error: WebhookError) -> HTTPResponse {
        switch error.code {
        case "invalid_request": return .error(400, code: "invalid_parameter", message: error.message)
        case "unknown_tenant": return .error(404, code: "not_found", message: error.message)
        default: return .error(503, code: "database_unavailable", message: error.message, headers: [("Retry-After", "5")])
        }
    }

    static func notFound(_ kind: String, _ id: String) -> HTTPResponse {
        .error(404, code: "not_found", message: "no \(kind) \(id)")
    }

    static func badCursor(_ name: String) -> HTTPResponse {
        .error(400, code: "invalid_cursor", message: "\(name) must be an id from a previous page")
    }

    static let noDatabase = HTTPResponse.error(
        503, code: "no_database", message: "results are not stored: DATABASE_URL is not set",
        headers: [("Retry-After", "60")])

    private func unavailable(_ error: PGError) -> HTTPResponse {
        logger.warning("API read failed", metadata: ["error": "\(error)"])
        return .error(503, code: "database_unavailable", message: "the database cannot be reached now; retry shortly",
                      headers: [("Retry-After", "5")])
    }
}

/// A request target's query parameters (``QueryString``).
struct Query: Sendable {
    private let target: String

    init(_ target: String) { self.target = target }

    subscript(_ name: String) -> String? { QueryString.value(name, in: target) }

    /// The parameters' names.
    var names: [String] { QueryString.names(in: target) }

    /// Whether `include=` names `what` (`include=text` or a comma-separated list).
    func includes(_ what: String) -> Bool {
        self["include"]?.split(separator: ",").contains { $0 == what } ?? false
    }

    /// A page size: `default` when absent, `400 invalid_parameter` when not 1…``APIRoutes/maxPage``.
    func page(_ name: String, default value: Int) -> Result<Int, HTTPResponseFailure> {
        guard let text = self[name] else { return .success(value) }
        guard let n = Int(text), (1...APIRoutes.maxPage).contains(n) else {
            return .failure(HTTPResponseFailure(.error(400, code: "invalid_parameter",
                                                       message: "\(name) must be 1 to \(APIRoutes.maxPage)")))
        }
        return .success(n)
    }
}

/// A response carried as an error (for `Result`).
public struct HTTPResponseFailure: Error {
    public var response: HTTPResponse
    init(_ response: HTTPResponse) { self.response = response }
}
