import Crypto
import Foundation
import HTTP1
import JWTKit
import Loop

/// The tenant a request acts for, once authenticated.
public struct AuthenticatedTenant: Sendable, Equatable {
    /// The tenant's UUID (text) when the directory knows it; nil without a database.
    public var id: String?
    public var slug: String
    public var monthlyLimit: Int64?
    public var ratePerSecond: Double?
    public var weight: Int

    public init(id: String?, slug: String, monthlyLimit: Int64? = nil, ratePerSecond: Double? = nil, weight: Int = 1) {
        self.id = id
        self.slug = slug
        self.monthlyLimit = monthlyLimit
        self.ratePerSecond = ratePerSecond
        self.weight = weight
    }
}

/// Where the authenticator finds keys and tenants (the database, through the pipeline). Every answer may be
/// `unavailable`: the database cannot say now.
@LoopActor
public protocol TenantResolver: AnyObject {
    func tenant(forKeySHA256 sha256: [UInt8]) async -> TenantResolution
    func tenant(slug: String) async -> TenantResolution
    /// Whether any tenant was ever issued a key (from then on every request must authenticate); nil: unknown.
    func keysIssued() async -> Bool?
}

public enum TenantResolution: Sendable, Equatable {
    case found(AuthenticatedTenant)
    case revoked
    case notFound
    case unavailable(String)
}

/// A refusal: the status (401 or 503), the error code and what to tell the client.
public struct AuthFailure: Error, Sendable, Equatable {
    public var status: Int
    public var code: String
    public var message: String

    public init(_ status: Int, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }
}

/// Who a request acts for: `Authorization: Bearer <api key>`, or `Bearer <JWT>` signed HS256 with
/// `JWT_SECRET` and carrying the tenant's slug in `tenant`.
///
/// - Until a key is issued to any tenant and while no `JWT_SECRET` is set, a request without credentials acts
///   for tenant `default` (the embedded defaults: `make run` works before anyone creates a tenant). Credentials
///   that are sent are checked all the same.
/// - Keys found are cached for `cacheSeconds` (AUTH_CACHE_SECONDS): a revoked key stops working on every engine
///   within that time; a refused key is not cached (a key just created works at once).
/// - JWTs: the header's `alg` must be `HS256` (not whatever the token says: no `none`, no RS256 signed with
///   the HMAC secret as a "public key"), `exp` is required, and `exp`/`nbf` allow `leewaySeconds` of clock
///   skew. The tenant must exist when a directory is there.
@LoopActor
public final class Authenticator {
    public typealias Settings = AuthConfiguration

    public let settings: Settings
    private let resolver: (any TenantResolver)?
    private let clock: any EngineClock
    /// `JWT_SECRET` as an HMAC key (nil: JWTs are refused).
    private let hmacKey: SymmetricKey?
    /// Cached grants by key hash (or token hash), with when they lapse (monotonic nanoseconds).
    private var cache: [[UInt8]: (tenant: AuthenticatedTenant, until: UInt64)] = [:]
    private static let maxCached = 10_000
    /// Credentials refused in the last second, by hash.
    private var refused: [[UInt8]: (failure: AuthFailure, until: UInt64)] = [:]
    /// The last verified JWT's exp plus the skew, on the monotonic clock (read right after verifyJWT).
    private var jwtLapse: UInt64?
    /// JWT tenants by slug, with when they lapse.
    private var tenants: [String: (tenant: AuthenticatedTenant, until: UInt64)] = [:]
    /// Whether keys were issued, as last read, and until when that reading holds.
    private var keysIssued: (value: Bool, until: UInt64)?
    /// Once seen issued, always (the flag is never cleared).
    private var required = false
    /// Tenant default as the directory has it, for requests without credentials while keys are not issued.
    private var openTenant: AuthenticatedTenant?

    /// Called once when keys are first seen issued (the engine remembers it beside its spool, so that after a
    /// restart with the database away it does not open up again).
    private let remember: (@LoopActor () -> Void)?

    /// `required`: credentials were required before (remembered); then they are from the start.
    public init(settings: AuthConfiguration, resolver: (any TenantResolver)?,
                clock: any EngineClock = SystemClock.shared, required: Bool = false,
                remember: (@LoopActor () -> Void)? = nil) {
        self.settings = settings
        self.resolver = resolver
        self.clock = clock
        self.remember = remember
        self.required = required || settings.required
        if let secret = settings.jwtSecret, !secret.isEmpty {
            hmacKey = SymmetricKey(data: Array(secret.utf8))
            self.required = true
        } else {
            hmacKey = nil
        }
    }

    /// Whether a request without credentials is refused now (as last known).
    public var requiresCredentials: Bool { required || (keysIssued?.value ?? false) }

    /// The answer for `head` without waiting, when it is known: a cached key or token, or no credentials with
    /// keys known not to be issued. Nil: ask ``authenticate(_:)``.
    public func immediate(_ head: HTTPRequestHead) -> Result<AuthenticatedTenant, AuthFailure>? {
        let now = clock.monotonicNanoseconds()
        switch Self.credentials(head) {
        case .none:
            if required { return .failure(Self.missing) }
            if resolver == nil { return .success(Self.defaultTenant) }
            guard let known = keysIssued, known.until > now else { return nil }
            if known.value { return .failure(Self.missing) }
            return openTenant.map { .success($0) }
        case .malformed(let why):
            return .failure(AuthFailure(401, "invalid_credentials", why))
        case .bearer(let token):
            let key = APIKey.hash(token)
            guard let hit = cache[key] else { return nil }
            guard hit.until > now else {
                cache[key] = nil
                return nil
            }
            return .success(hit.tenant)
        }
    }

    /// Authenticates `head`, asking the directory when needed.
    public func authenticate(_ head: HTTPRequestHead) async -> Result<AuthenticatedTenant, AuthFailure> {
        if let known = immediate(head) { return known }
        switch Self.credentials(head) {
        case .malformed(let why):
            return .failure(AuthFailure(401, "invalid_credentials", why))
        case .none:
            guard let resolver else { return .success(Self.defaultTenant) }
            guard let issued = await resolver.keysIssued() else {
                // The database cannot say. Keys were never seen here: this engine is as open as it was (uploads
                // keep reaching the spool while the database is away).
                return required ? .failure(Self.missing) : .success(openTenant ?? Self.defaultTenant)
            }
            keysIssued = (issued, clock.monotonicNanoseconds() + nanoseconds(settings.cacheSeconds))
            if issued {
                if !required {
                    required = true
                    remember?()
                }
                return .failure(Self.missing)
            }
            // Open: tenant default, as the directory has it (its id is what reads are scoped by).
            if let openTenant { return .success(openTenant) }
            switch await resolver.tenant(slug: Self.defaultTenant.slug) {
            case .found(let tenant):
                openTenant = tenant
                return .success(tenant)
            case .notFound, .revoked:
                return .success(Self.defaultTenant)
            case .unavailable(let why):
                return .failure(AuthFailure(503, "auth_unavailable", "credentials cannot be checked now (\(why)); retry shortly"))
            }
        case .bearer(let token):
            let hash = APIKey.hash(token)
            let now = clock.monotonicNanoseconds()
            // A refused credential is not asked about again for a moment: a client retrying a wrong key in a
            // loop costs a dictionary lookup, not a database round trip each time.
            if let refusal = refused[hash], refusal.until > now { return .failure(refusal.failure) }
            let isJWT = token.utf8.count(where: { $0 == UInt8(ascii: ".") }) == 2
            let outcome = isJWT ? await verifyJWT(token) : await lookUpKey(token)
            switch outcome {
            case .success(let tenant):
                if cache.count >= Self.maxCached { cache.removeAll(keepingCapacity: true) }
                var until = clock.monotonicNanoseconds() + nanoseconds(settings.cacheSeconds)
                // A JWT is trusted no longer than its own exp (with the allowed skew).
                if isJWT, let lapse = jwtLapse { until = min(until, lapse) }
                cache[hash] = (tenant, until)
                // Credentials are in use here: remember that this engine requires them, even when no
                // anonymous request has seen "keys issued" yet.
                if !required {
                    required = true
                    remember?()
                }
            case .failure(let failure) where failure.status == 401:
                if refused.count >= Self.maxCached { refused.removeAll(keepingCapacity: true) }
                refused[hash] = (failure, clock.monotonicNanoseconds() + 1_000_000_000)
            case .failure:
                break
            }
            return outcome
        }
    }

    /// Forgets cached grants (tests; a key revoked through this engine).
    public func forget() {
        cache.removeAll()
        refused.removeAll()
        tenants.removeAll()
        keysIssued = nil
    }

    // MARK: Keys

    private func lookUpKey(_ key: String) async -> Result<AuthenticatedTenant, AuthFailure> {
        guard let resolver else {
            return .failure(AuthFailure(401, "invalid_api_key", "API keys need a database (DATABASE_URL is not set)"))
        }
        switch await resolver.tenant(forKeySHA256: APIKey.hash(key)) {
        case .found(let tenant): return .success(tenant)
        case .revoked: return .failure(AuthFailure(401, "revoked_api_key", "this API key was revoked"))
        case .notFound: return .failure(AuthFailure(401, "invalid_api_key", "the API key is not valid"))
        case .unavailable(let why):
            return .failure(AuthFailure(503, "auth_unavailable", "credentials cannot be checked now (\(why)); retry shortly"))
        }
    }

    // MARK: JWT

    private struct Claims: JWTPayload {
        var tenant: String?
        var exp: ExpirationClaim?
        var nbf: NotBeforeClaim?

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    private func verifyJWT(_ token: String) async -> Result<AuthenticatedTenant, AuthFailure> {
        func invalid(_ why: String) -> Result<AuthenticatedTenant, AuthFailure> {
            .failure(AuthFailure(401, "invalid_token", why))
        }
        guard let key = hmacKey else { return invalid("JWTs are not accepted here (JWT_SECRET is not set)") }
        // jwt-kit reads the token (base64url, header, claims). The signature is checked here with swift-crypto's
        // HMAC, in constant time: jwt-kit's own check is a method of its key-collection actor, and the hop off
        // the loop and back cost more than the whole rest of a verification (measured in Benchmarks/api).
        let bytes = Array(token.utf8)
        let parsed: (header: JWTHeader, payload: Claims, signature: Data)
        do {
            parsed = try DefaultJWTParser().parse(bytes, as: Claims.self)
        } catch {
            return invalid("the token cannot be read as a JWT")
        }
        guard parsed.header.alg == "HS256" else {
            return invalid("the token's algorithm is \(parsed.header.alg ?? "missing"); only HS256 is accepted")
        }
        guard let lastDot = bytes.lastIndex(of: UInt8(ascii: ".")),
              HMAC<SHA256>.isValidAuthenticationCode(parsed.signature, authenticating: bytes[..<lastDot], using: key)
        else {
            return invalid("the token's signature does not verify")
        }
        let claims = parsed.payload
        let now = Date()
        guard let exp = claims.exp else { return invalid("the token has no exp claim (required)") }
        if exp.value.addingTimeInterval(settings.leewaySeconds) < now {
            return .failure(AuthFailure(401, "token_expired", "the token expired at \(exp.value)"))
        }
        if let nbf = claims.nbf, nbf.value.addingTimeInterval(-settings.leewaySeconds) > now {
            return invalid("the token is not valid before \(nbf.value)")
        }
        let remaining = exp.value.addingTimeInterval(settings.leewaySeconds).timeIntervalSince(now)
        let lapse = clock.monotonicNanoseconds() + nanoseconds(remaining)
        // Set just before returning success (after the last suspension), for the caller to read at once.
        func granted(_ tenant: AuthenticatedTenant) -> Result<AuthenticatedTenant, AuthFailure> {
            jwtLapse = lapse
            return .success(tenant)
        }
        guard let slug = claims.tenant, !slug.isEmpty else { return invalid("the token has no tenant claim") }
        guard let resolver else { return granted(AuthenticatedTenant(id: nil, slug: slug)) }
        // Tokens differ from request to request (each its own `exp`); their tenants do not.
        if let hit = tenants[slug], hit.until > clock.monotonicNanoseconds() { return granted(hit.tenant) }
        switch await resolver.tenant(slug: slug) {
        case .found(let tenant):
            if tenants.count >= Self.maxCached { tenants.removeAll(keepingCapacity: true) }
            tenants[slug] = (tenant, clock.monotonicNanoseconds() + nanoseconds(settings.cacheSeconds))
            return granted(tenant)
        case .notFound, .revoked:
            return .failure(AuthFailure(401, "unknown_tenant", "the token's tenant \(slug) does not exist"))
        case .unavailable(let why):
            return .failure(AuthFailure(503, "auth_unavailable", "credentials cannot be checked now (\(why)); retry shortly"))
        }
    }

    // MARK: Parsing

    private enum Credentials {
        case none
        case bearer(String)
        case malformed(String)
    }

    private static func credentials(_ head: HTTPRequestHead) -> Credentials {
        guard let value = head.headers.first("Authorization") else { return .none }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return .malformed("send Authorization: Bearer <api key or JWT>")
        }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.utf8.count <= 8_192 else { return .malformed("the bearer token is empty or too long") }
        return .bearer(token)
    }

    private static let missing = AuthFailure(
        401, "missing_credentials", "send Authorization: Bearer <api key> (resume-ingest key create TENANT makes one)")

    public static let defaultTenant = AuthenticatedTenant(id: nil, slug: "default")

    private func nanoseconds(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1e9) }
}
