import HTTP1
import Loop
import Logging

/// The engine's routes.
///
/// - `POST /api/v1/bulk-parse-resumes` — multipart upload of one or many `files` parts (``BulkUploadHandler``).
/// - `POST /api/v1/imports` — one archive body, read entry by entry after it is spooled (``ArchiveImportHandler``).
/// - `GET /health` — liveness.
/// - `GET /startup-status` — what each component found at start-up (``StartupStatus``).
/// - `GET /metrics` — Prometheus text format.
/// - `GET /openapi.json` — the API described (``OpenAPIDocument``).
/// - `GET /` — the dashboard, with its stylesheet and script (``Dashboard``).
/// - everything else under `/api/` — the tenant's routes (``TenantRoutes``), after authentication.
@LoopActor
public final class IngestRouter: HTTPRouter {
    package let configuration: IngestConfiguration
    package let spool: Spool
    package let metrics: IngestMetrics
    package let status: StartupStatus
    package let logger: Logger
    /// Who each `/api/` request acts for (open to tenant `default` until keys exist; see ``Authenticator``).
    public var authenticator: Authenticator
    /// Per-tenant request rates.
    public let rateLimiter = TenantRateLimiter()
    /// Which browser origins may call the API (`CORS_ORIGINS`).
    let cors: CORSPolicy
    /// The tenant's own routes beyond uploads (batches, results, documents), served by the pipeline.
    public var tenantRoutes: (any TenantRoutes)?
    /// Where `Idempotency-Key` answers are kept (nil: the header is refused, e.g. without a database).
    public var idempotency: (any IdempotencyStore)?
    /// Answers `?wait=SECONDS` uploads with their results (nil: `wait` is refused, e.g. without a database).
    public var waiter: (any BatchWaiter)?
    /// The longest `?wait=` an upload may ask for, in seconds.
    public nonisolated static let maxWaitSeconds = 300.0
    /// Monthly document limits (nil: none are enforced, e.g. without a database).
    public var usage: (any UsageMeter)?
    /// Tenants found at their monthly limit, and until when that is trusted (monotonic nanoseconds): their
    /// uploads are refused before any byte is read.
    package var atLimit: [String: (used: Int64, limit: Int64, until: UInt64)] = [:]
    /// Hears each upload once acknowledged: its batch, tenant, how many files it holds (nil for an import,
    /// The answer waits for it (the batch is then readable through the API at once).
    /// whose archive is read later), its `callback_url` and its `job_id`.
    public var uploadAccepted: (@LoopActor (DocumentID, AuthenticatedTenant, Int?, String?, String?) async -> Void)?
    /// Whether the tenant has job `id` (nil: the database cannot say now); nil: `job_id` is refused (no database).
    public var jobExists: (@LoopActor (AuthenticatedTenant, String) async -> Bool?)?
    /// Checks a `callback_url` (nil: acceptable, else why not); nil: callbacks are refused (no database).
    public var checkCallbackURL: (@LoopActor (String) -> String?)?

    package init(configuration: IngestConfiguration, spool: Spool, metrics: IngestMetrics, status: StartupStatus,
         logger: Logger) {
        self.configuration = configuration
        self.spool = spool
        self.metrics = metrics
        self.status = status
        self.logger = logger
        authenticator = Authenticator(settings: configuration.auth, resolver: nil)
        cors = CORSPolicy(origins: configuration.auth.corsOrigins)
    }

    public func handler(for exchange: HTTPExchange) -> any HTTPRequestHandler {
        let head = exchange.head
        let path = head.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first
            .map(String.init) ?? head.target
        if let origin = head.headers.first("Origin"), let allowed = cors.allow(origin) {
            exchange.extraHeaders += CORSPolicy.headers(allowed)
            if head.method == "OPTIONS", head.headers.first("Access-Control-Request-Method") != nil {
                exchange.route = "preflight"
                return respond(exchange) { HTTPResponse(status: 204, headers: CORSPolicy.preflight, body: []) }
            }
        }
        switch path {
        case "/api/v1/bulk-parse-resumes":
            exchange.route = "bulk-parse-resumes"
            guard head.method == "POST" else { return methodNotAllowed(exchange, allow: "POST") }
            return authenticated(exchange) { [self] tenant in
                if let refused = refuseAtLimit(exchange, tenant) { return refused }
                return idempotent(exchange, tenant, route: "bulk-parse-resumes") { context in
                    self.withJob(exchange, tenant, replay: context?.replay != nil) { job in
                        BulkUploadHandler.make(exchange: exchange, router: self, tenant: tenant, idempotency: context,
                                               jobID: job)
                    }
                }
            }
        case "/api/v1/imports":
            exchange.route = "imports"
            guard head.method == "POST" else { return methodNotAllowed(exchange, allow: "POST") }
            return authenticated(exchange) { [self] tenant in
                if let refused = refuseAtLimit(exchange, tenant) { return refused }
                return idempotent(exchange, tenant, route: "imports") { context in
                    self.withJob(exchange, tenant, replay: context?.replay != nil) { job in
                        ArchiveImportHandler.make(exchange: exchange, router: self, tenant: tenant, idempotency: context,
                                                  jobID: job)
                    }
                }
            }
        case "/health":
            exchange.route = "health"
            guard head.method == "GET" || head.method == "HEAD" else {
                return methodNotAllowed(exchange, allow: "GET, HEAD")
            }
            return respond(exchange) { .json(200, Array(#"{"status":"ok"}"#.utf8) + [0x0A]) }
        case "/startup-status":
            exchange.route = "startup-status"
            guard head.method == "GET" || head.method == "HEAD" else {
                return methodNotAllowed(exchange, allow: "GET, HEAD")
            }
            return respond(exchange) { [self] in .json(200, status.render(spool: spool)) }
        case "/openapi.json":
            exchange.route = "openapi"
            guard head.method == "GET" || head.method == "HEAD" else {
                return methodNotAllowed(exchange, allow: "GET, HEAD")
            }
            return respond(exchange) { OpenAPIDocument.response }
        case Dashboard.page.path, Dashboard.style.path, Dashboard.script.path:
            exchange.route = "dashboard"
            guard head.method == "GET" || head.method == "HEAD" else {
                return methodNotAllowed(exchange, allow: "GET, HEAD")
            }
            return respond(exchange) { Dashboard.response(for: path) }
        case "/metrics":
            exchange.route = "metrics"
            guard head.method == "GET" || head.method == "HEAD" else {
                return methodNotAllowed(exchange, allow: "GET, HEAD")
            }
            return respond(exchange) { [self] in
                HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                             body: metrics.render())
            }
        default:
            if path.hasPrefix("/api/"), let routes = tenantRoutes {
                return authenticated(exchange) { [self] tenant in
                    routes.handler(for: exchange, path: path, tenant: tenant, router: self)
                        ?? respond(exchange) { .error(404, code: "not_found", message: "no route for \(head.method) \(path)") }
                }
            }
            return respond(exchange) {
                .error(404, code: "not_found", message: "no route for \(head.method) \(path)")
            }
        }
    }

    /// Runs `route` for the tenant the request authenticates as, after its rate limit; answers `401`, `429`
    /// or `503` instead when it must. Credentials already known are checked without waiting.
    package func authenticated(_ exchange: HTTPExchange,
                               _ route: @escaping @LoopActor (AuthenticatedTenant) -> any HTTPRequestHandler)
        -> any HTTPRequestHandler
    {
        let limited: @LoopActor (AuthenticatedTenant) -> any HTTPRequestHandler = { [self] tenant in
            if let retry = rateLimiter.admit(tenant) {
                metrics.rateLimited()
                return reject(exchange, 429, "rate_limited",
                              "tenant \(tenant.slug) is over its rate of \(Self.rate(tenant.ratePerSecond ?? 0)) requests per second; retry after \(retry) s",
                              headers: [("Retry-After", String(retry))])
            }
            if tenant.weight != 1 || spool.weights[tenant.slug] != nil { spool.weights[tenant.slug] = tenant.weight }
            return route(tenant)
        }
        switch authenticator.immediate(exchange.head) {
        case .success(let tenant)?:
            return limited(tenant)
        case .failure(let failure)?:
            exchange.respond(Self.refusal(failure))
            return DiscardBody.shared
        case nil:
            let authenticator = self.authenticator
            return HeldRequest(exchange: exchange) {
                switch await authenticator.authenticate(exchange.head) {
                case .success(let tenant):
                    return limited(tenant)
                case .failure(let failure):
                    exchange.respond(Self.refusal(failure))
                    return DiscardBody.shared
                }
            }
        }
    }

    /// With an `Idempotency-Key` header: the key is claimed first (`409` while its first request is in flight,
    /// `503` when the store cannot say), and the handler is made with what the store knows. Without one,
    /// `make(nil)` at once.
    package func idempotent(_ exchange: HTTPExchange, _ tenant: AuthenticatedTenant, route: String,
                            _ make: @escaping @LoopActor (IdempotencyContext?) -> any HTTPRequestHandler)
        -> any HTTPRequestHandler
    {
        guard let key = exchange.head.headers.first("Idempotency-Key") else { return make(nil) }
        guard IdempotencyContext.valid(key) else {
            return reject(exchange, 400, "invalid_idempotency_key",
                          "Idempotency-Key must be 1 to 255 visible ASCII characters")
        }
        guard let store = idempotency, let tenantID = tenant.id else {
            return reject(exchange, 400, "idempotency_unsupported",
                          "Idempotency-Key needs the database (DATABASE_URL) to keep first answers")
        }
        let hours = configuration.auth.idempotencyHours
        return HeldRequest(exchange: exchange) { [self] in
            switch await store.claim(tenantID: tenantID, key: key, route: route, hours: hours) {
            case .new:
                let context = IdempotencyContext(key: key, tenantID: tenantID, store: store, replay: nil)
                exchange.onRespond = { response in context.answered(response) }
                return make(context)
            case .done(let fingerprint, let status, let body):
                return make(IdempotencyContext(key: key, tenantID: tenantID, store: store,
                                               replay: (fingerprint, status, body)))
            case .inFlight:
                return reject(exchange, 409, "idempotency_key_in_use",
                              "a request with Idempotency-Key \(key) is still in progress; retry after it is answered",
                              headers: [("Retry-After", "1")])
            case .unavailable(let why):
                return reject(exchange, 503, "idempotency_unavailable",
                              "the Idempotency-Key cannot be checked now (\(why)); retry shortly",
                              headers: [("Retry-After", "5")])
            }
        }
    }

    /// `?job_id=`: the upload's documents are scored for that job as soon as they are parsed. The job is looked
    /// up before any byte of the body is read (the body waits): an unknown job is `404 not_found` and nothing
    /// is spooled. `make(nil)` at once without one, or for an idempotent `replay` (its first answer is the
    /// answer, whatever became of the job since).
    package func withJob(_ exchange: HTTPExchange, _ tenant: AuthenticatedTenant, replay: Bool = false,
                         _ make: @escaping @LoopActor (String?) -> any HTTPRequestHandler) -> any HTTPRequestHandler
    {
        guard !replay, let job = QueryString.value("job_id", in: exchange.head.target), !job.isEmpty else {
            return make(nil)
        }
        guard DocumentID(job) != nil else {
            return reject(exchange, 400, "invalid_parameter", "job_id must be a job's id (a UUID from POST /api/v1/jobs)")
        }
        guard let check = jobExists else {
            return reject(exchange, 400, "jobs_unsupported", "job_id needs the database (DATABASE_URL) to keep jobs")
        }
        return HeldRequest(exchange: exchange) { [self] in
            switch await check(tenant, job) {
            case true?:
                return make(job.lowercased())
            case false?:
                return reject(exchange, 404, "not_found", "no job \(job)")
            case nil:
                return reject(exchange, 503, "database_unavailable",
                              "the job cannot be looked up now; retry shortly", headers: [("Retry-After", "5")])
            }
        }
    }

    /// The request's `callback_url` query parameter: `.success(nil)` when absent, the URL when acceptable, else
    /// the `400` to answer.
    package func callbackURL(_ exchange: HTTPExchange) -> Result<String?, HTTPResponseRefusal> {
        guard let url = QueryString.value("callback_url", in: exchange.head.target), !url.isEmpty else {
            return .success(nil)
        }
        guard let check = checkCallbackURL else {
            return .failure(HTTPResponseRefusal(400, "callback_unsupported",
                                                "callback_url needs the database (DATABASE_URL) to deliver webhooks"))
        }
        if let why = check(url) {
            return .failure(HTTPResponseRefusal(400, "invalid_callback_url", "callback_url is not acceptable: \(why)"))
        }
        return .success(url)
    }

    /// `402 quota_exceeded` at once for a tenant last seen at its monthly limit (within 30 s, and with the
    /// same limit), else nil.
    package func refuseAtLimit(_ exchange: HTTPExchange, _ tenant: AuthenticatedTenant) -> (any HTTPRequestHandler)? {
        guard let seen = atLimit[tenant.slug] else { return nil }
        guard seen.until > SystemClock.shared.monotonicNanoseconds(), seen.limit == tenant.monthlyLimit else {
            atLimit[tenant.slug] = nil
            return nil
        }
        return reject(exchange, 402, "quota_exceeded", QuotaAnswer.message(used: seen.used, limit: seen.limit))
    }

    /// Notes that `tenant` is at its limit (after a refused reservation).
    package func noteAtLimit(_ tenant: AuthenticatedTenant, used: Int64, limit: Int64) {
        atLimit[tenant.slug] = (used, limit, SystemClock.shared.monotonicNanoseconds() + 30_000_000_000)
    }

    /// The response for a refused authentication.
    package static func refusal(_ failure: AuthFailure) -> HTTPResponse {
        var headers: [(name: String, value: String)] = []
        if failure.status == 401 {
            headers.append(("WWW-Authenticate", #"Bearer realm="resume-ingest", error="invalid_token""#))
        } else if failure.status == 503 {
            headers.append(("Retry-After", "5"))
        }
        return .error(failure.status, code: failure.code, message: failure.message, headers: headers)
    }

    private static func rate(_ r: Double) -> String {
        r == r.rounded() ? String(Int(r)) : String(r)
    }

    /// Answers `exchange` with an error at once; the returned handler ignores whatever body follows.
    package func reject(_ exchange: HTTPExchange, _ status: Int, _ code: String, _ message: String,
                        headers: [(name: String, value: String)] = []) -> any HTTPRequestHandler {
        exchange.respond(.error(status, code: code, message: message, headers: headers))
        return DiscardBody.shared
    }

    /// `503 spool_full` with `Retry-After` when the spool is above its high-water mark, else nil.
    package func refuseWhenFull(_ exchange: HTTPExchange) -> (any HTTPRequestHandler)? {
        guard spool.isFull else { return nil }
        metrics.overloaded()
        let retry = spool.marks.retryAfterSeconds
        return reject(exchange, 503, "spool_full", "the spool is above its high-water mark; retry after \(retry) s",
                      headers: [("Retry-After", String(retry))])
    }

    /// Like ``respond(_:_:)`` for an answer that is awaited (a database read).
    public func respondLater(_ exchange: HTTPExchange, _ make: @escaping @LoopActor () async -> HTTPResponse)
        -> any HTTPRequestHandler
    {
        let limit = configuration.limits.maxOtherBodyBytes
        if case .contentLength(let length) = exchange.head.framing, length > limit {
            return reject(exchange, 413, "body_too_large", Respond.tooLarge(limit))
        }
        return RespondLater(exchange, maxBodyBytes: limit, make)
    }

    /// Like ``respondLater(_:_:)`` for a route that reads its body (a JSON request): `make` gets the whole body,
    /// which `MAX_OTHER_BODY_SIZE` bounds (over it: `413`, and `make` never runs).
    public func respondToBody(_ exchange: HTTPExchange, _ make: @escaping @LoopActor ([UInt8]) async -> HTTPResponse)
        -> any HTTPRequestHandler
    {
        let limit = configuration.limits.maxOtherBodyBytes
        if case .contentLength(let length) = exchange.head.framing, length > limit {
            return reject(exchange, 413, "body_too_large", Respond.tooLarge(limit))
        }
        var body: [UInt8] = []
        return RespondLater(exchange, maxBodyBytes: limit, keep: { body.append(contentsOf: $0) }) { await make(body) }
    }

    /// A handler that answers with `make()` once the body is complete; a body over `MAX_OTHER_BODY_SIZE` is
    /// answered `413` instead, as soon as it is known to be over.
    public func respond(_ exchange: HTTPExchange, _ make: @escaping @LoopActor () -> HTTPResponse)
        -> any HTTPRequestHandler
    {
        let limit = configuration.limits.maxOtherBodyBytes
        if case .contentLength(let length) = exchange.head.framing, length > limit {
            return reject(exchange, 413, "body_too_large", Respond.tooLarge(limit))
        }
        return Respond(exchange, maxBodyBytes: limit, make)
    }

    public func methodNotAllowed(_ exchange: HTTPExchange, allow: String) -> any HTTPRequestHandler {
        let method = exchange.head.method
        return respond(exchange) {
            .error(405, code: "method_not_allowed", message: "\(method) is not allowed here; use \(allow)",
                   headers: [("Allow", allow)])
        }
    }
}

/// Answers once the (ignored) body is complete: for routes that take no body. A body that grows past
/// `maxBodyBytes` is answered `413 body_too_large` at once (the connection then closes).
@LoopActor
package final class Respond: HTTPRequestHandler {
    private let exchange: HTTPExchange
    private let make: @LoopActor () -> HTTPResponse
    private let maxBodyBytes: Int
    private var bodyBytes = 0

    package init(_ exchange: HTTPExchange, maxBodyBytes: Int = Int.max,
                 _ make: @escaping @LoopActor () -> HTTPResponse) {
        self.exchange = exchange
        self.maxBodyBytes = maxBodyBytes
        self.make = make
    }

    static func tooLarge(_ limit: Int) -> String {
        "this route takes a body of \(limit) bytes at most (MAX_OTHER_BODY_SIZE)"
    }

    package func receive(_ bytes: UnsafeRawBufferPointer) {
        bodyBytes += bytes.count
        guard bodyBytes > maxBodyBytes, !exchange.responded else { return }
        exchange.respond(.error(413, code: "body_too_large", message: Self.tooLarge(maxBodyBytes)))
    }

    package func end() { exchange.respond(make()) }
    package func abort() {}
}

/// Like ``Respond``, for answers that take a round trip (the database): `make` runs once the (ignored) body
/// is complete, and its response is sent if the client is still there.
@LoopActor
public final class RespondLater: HTTPRequestHandler {
    private let exchange: HTTPExchange
    private let make: @LoopActor () async -> HTTPResponse
    private let maxBodyBytes: Int
    /// Hears the body's bytes while they stay within `maxBodyBytes` (nil: the body is ignored).
    private let keep: (@LoopActor (UnsafeRawBufferPointer) -> Void)?
    private var bodyBytes = 0
    private var aborted = false

    public init(_ exchange: HTTPExchange, maxBodyBytes: Int, keep: (@LoopActor (UnsafeRawBufferPointer) -> Void)? = nil,
                _ make: @escaping @LoopActor () async -> HTTPResponse) {
        self.exchange = exchange
        self.maxBodyBytes = maxBodyBytes
        self.keep = keep
        self.make = make
    }

    public func receive(_ bytes: UnsafeRawBufferPointer) {
        bodyBytes += bytes.count
        guard bodyBytes > maxBodyBytes else {
            keep?(bytes)
            return
        }
        guard !exchange.responded else { return }
        exchange.respond(.error(413, code: "body_too_large", message: Respond.tooLarge(maxBodyBytes)))
    }

    public func end() {
        guard !exchange.responded else { return }
        EventLoop.spawn { [self] in await answer() }
    }

    private func answer() async {
        let response = await make()
        guard !aborted else { return }
        exchange.respond(response)
    }

    public func abort() { aborted = true }
}
