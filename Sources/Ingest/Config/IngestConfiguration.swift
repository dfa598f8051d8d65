import HTTP1
import Loop
/// Everything the Ingest stage needs to know, as one value: filled from the environment in one place
/// (``init(environment:)``), checked there, and printed by `resume-ingest doctor`.
public struct IngestConfiguration: Sendable, Equatable {
    /// Address to bind (`HOST`).
    public var host: String = "0.0.0.0"
    /// Port to listen on (`PORT`); 0 picks a free one.
    public var port: Int = 8080
    /// Where the durable spool lives (`SPOOL_DIR`).
    public var spoolDirectory: String = ".data/spool"
    /// Limits on requests and uploads.
    public var limits = IngestLimits()
    /// The spool's high-water marks.
    public var spoolMarks = SpoolMarks()
    /// Who may call the API.
    public var auth = AuthConfiguration()

    /// Defaults that work on a laptop.
    public init() {}

    /// A variable the engine could not read (its name, value and what was expected).
    public typealias InvalidSetting = Loop.InvalidSetting

    /// Reads the configuration from environment variables; unset variables keep their defaults.
    public init(environment: [String: String]) throws(InvalidSetting) {
        let env = EnvironmentReader(environment)
        host = env.string("HOST", default: host)
        port = try env.int("PORT", default: port, range: 0...65535)
        spoolDirectory = env.string("SPOOL_DIR", default: spoolDirectory)
        limits.maxFileBytes = try env.bytes("MAX_FILE_SIZE", default: limits.maxFileBytes)
        limits.maxRequestBytes = try env.bytes("MAX_REQUEST_SIZE", default: limits.maxRequestBytes)
        limits.maxFilesPerRequest = try env.int("MAX_FILES_PER_REQUEST", default: limits.maxFilesPerRequest,
                                                range: 1...100_000)
        limits.maxConnections = try env.int("MAX_CONNECTIONS", default: limits.maxConnections, range: 1...1_000_000)
        limits.maxConnectionsPerClient = try env.int(
            "MAX_CONNECTIONS_PER_CLIENT", default: limits.maxConnectionsPerClient, range: 1...1_000_000)
        limits.descriptorReserve = try env.int("FD_RESERVE", default: limits.descriptorReserve, range: 16...1_000_000)
        limits.headerTimeoutMilliseconds = try env.int(
            "HEADER_TIMEOUT_MS", default: limits.headerTimeoutMilliseconds, range: 1...3_600_000)
        limits.bodyIdleTimeoutMilliseconds = try env.int(
            "BODY_IDLE_TIMEOUT_MS", default: limits.bodyIdleTimeoutMilliseconds, range: 1...3_600_000)
        limits.minBodyBytesPerWindow = try env.bytes("MIN_BODY_RATE_BYTES", default: limits.minBodyBytesPerWindow)
        limits.bodyRateWindowMilliseconds = try env.int(
            "BODY_RATE_WINDOW_MS", default: limits.bodyRateWindowMilliseconds, range: 1...3_600_000)
        limits.requestTimeoutMilliseconds = try env.int(
            "REQUEST_TIMEOUT_MS", default: limits.requestTimeoutMilliseconds, range: 1...86_400_000)
        limits.maxUnsentResponseBytes = try env.bytes(
            "MAX_UNSENT_RESPONSE_SIZE", default: limits.maxUnsentResponseBytes)
        limits.sendStallTimeoutMilliseconds = try env.int(
            "SEND_STALL_TIMEOUT_MS", default: limits.sendStallTimeoutMilliseconds, range: 1...3_600_000)
        limits.keepAliveTimeoutMilliseconds = try env.int(
            "KEEPALIVE_TIMEOUT_MS", default: limits.keepAliveTimeoutMilliseconds, range: 1...3_600_000)
        limits.shutdownGraceMilliseconds = try env.int(
            "SHUTDOWN_GRACE_MS", default: limits.shutdownGraceMilliseconds, range: 0...3_600_000)
        limits.maxHeaderBytes = try env.int("MAX_HEADER_BYTES", default: limits.maxHeaderBytes, range: 1024...1 << 20)
        limits.maxHeaderCount = try env.int("MAX_HEADER_COUNT", default: limits.maxHeaderCount, range: 8...10_000)
        limits.maxOtherBodyBytes = try env.bytes("MAX_OTHER_BODY_SIZE", default: limits.maxOtherBodyBytes)
        limits.maxDecompressedBytes = try env.bytes("MAX_DECOMPRESSED_SIZE", default: limits.maxDecompressedBytes)
        limits.maxImportBytes = try env.bytes("MAX_IMPORT_SIZE", default: limits.maxImportBytes)
        spoolMarks.highWaterBytes = try env.bytes("SPOOL_HIGH_WATER_BYTES", default: spoolMarks.highWaterBytes)
        spoolMarks.highWaterFiles = try env.int("SPOOL_HIGH_WATER_FILES", default: spoolMarks.highWaterFiles,
                                                range: 1...100_000_000)
        spoolMarks.retryAfterSeconds = try env.int("SPOOL_RETRY_AFTER", default: spoolMarks.retryAfterSeconds,
                                                   range: 1...3600)
        let secret = env.string("JWT_SECRET", default: "")
        // HS256 wants a key at least as long as its hash (RFC 7518 §3.2): a shorter secret is refused here,
        // not discovered when the first token arrives.
        if !secret.isEmpty && secret.utf8.count < 32 {
            throw InvalidSetting(name: "JWT_SECRET", value: "(\(secret.utf8.count) bytes)",
                                 expected: "at least 32 bytes (HS256 needs a key as long as its hash, RFC 7518 §3.2)")
        }
        auth.jwtSecret = secret.isEmpty ? nil : secret
        auth.required = try env.bool("AUTH_REQUIRED", default: auth.required)
        auth.cacheSeconds = try env.double("AUTH_CACHE_SECONDS", default: auth.cacheSeconds, range: 0...3600)
        auth.leewaySeconds = try env.double("JWT_LEEWAY_SECONDS", default: auth.leewaySeconds, range: 0...3600)
        auth.corsOrigins = env.string("CORS_ORIGINS", default: "").split(separator: ",")
            .map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
        auth.idempotencyHours = try env.double("IDEMPOTENCY_KEY_HOURS", default: auth.idempotencyHours,
                                               range: 0.001...8760)
    }

    /// `(variable, effective value)` pairs for `doctor`.
    public var printable: [(String, String)] {
        [
            ("HOST", host), ("PORT", String(port)), ("SPOOL_DIR", spoolDirectory),
            ("MAX_FILE_SIZE", String(limits.maxFileBytes)),
            ("MAX_REQUEST_SIZE", String(limits.maxRequestBytes)),
            ("MAX_FILES_PER_REQUEST", String(limits.maxFilesPerRequest)),
            ("MAX_CONNECTIONS", String(limits.maxConnections)),
            ("MAX_CONNECTIONS_PER_CLIENT", String(limits.maxConnectionsPerClient)),
            ("FD_RESERVE", String(limits.descriptorReserve)),
            ("HEADER_TIMEOUT_MS", String(limits.headerTimeoutMilliseconds)),
            ("BODY_IDLE_TIMEOUT_MS", String(limits.bodyIdleTimeoutMilliseconds)),
            ("MIN_BODY_RATE_BYTES", String(limits.minBodyBytesPerWindow)),
            ("BODY_RATE_WINDOW_MS", String(limits.bodyRateWindowMilliseconds)),
            ("REQUEST_TIMEOUT_MS", String(limits.requestTimeoutMilliseconds)),
            ("MAX_UNSENT_RESPONSE_SIZE", String(limits.maxUnsentResponseBytes)),
            ("SEND_STALL_TIMEOUT_MS", String(limits.sendStallTimeoutMilliseconds)),
            ("KEEPALIVE_TIMEOUT_MS", String(limits.keepAliveTimeoutMilliseconds)),
            ("SHUTDOWN_GRACE_MS", String(limits.shutdownGraceMilliseconds)),
            ("MAX_HEADER_BYTES", String(limits.maxHeaderBytes)),
            ("MAX_HEADER_COUNT", String(limits.maxHeaderCount)),
            ("MAX_OTHER_BODY_SIZE", String(limits.maxOtherBodyBytes)),
            ("MAX_DECOMPRESSED_SIZE", String(limits.maxDecompressedBytes)),
            ("MAX_IMPORT_SIZE", String(limits.maxImportBytes)),
            ("SPOOL_HIGH_WATER_BYTES", String(spoolMarks.highWaterBytes)),
            ("SPOOL_HIGH_WATER_FILES", String(spoolMarks.highWaterFiles)),
            ("SPOOL_RETRY_AFTER", String(spoolMarks.retryAfterSeconds)),
            ("JWT_SECRET", auth.jwtSecret == nil ? "(not set)" : "(set)"),
            ("AUTH_REQUIRED", String(auth.required)),
            ("AUTH_CACHE_SECONDS", String(auth.cacheSeconds)),
            ("JWT_LEEWAY_SECONDS", String(auth.leewaySeconds)),
            ("CORS_ORIGINS", auth.corsOrigins.joined(separator: ",")),
            ("IDEMPOTENCY_KEY_HOURS", String(auth.idempotencyHours)),
        ]
    }
}

/// Authentication, browsers and retries: who may call the API and how.
public struct AuthConfiguration: Sendable, Equatable {
    /// HS256 secret of the one issuer trusted to mint JWTs naming a tenant (`JWT_SECRET`); nil: JWTs are refused.
    public var jwtSecret: String?
    /// Every request needs credentials from the start (`AUTH_REQUIRED`), even before any key is issued and while
    /// the database cannot say: no open mode on a fresh node.
    public var required = false
    /// How long a key found in the database is trusted before it is looked up again (`AUTH_CACHE_SECONDS`, 5):
    /// the longest a revoked key keeps working on an engine.
    public var cacheSeconds: Double = 5
    /// Clock skew allowed on a JWT's `exp` and `nbf` (`JWT_LEEWAY_SECONDS`, 60).
    public var leewaySeconds: Double = 60
    /// Origins browsers may call the API from (`CORS_ORIGINS`, comma-separated; `*` for any).
    public var corsOrigins: [String] = []
    /// How long an `Idempotency-Key`'s first answer is kept (`IDEMPOTENCY_KEY_HOURS`, 24).
    public var idempotencyHours: Double = 24

    public init() {}
}

/// Limits on connections, requests and uploads, checked before any byte is spooled.
public struct IngestLimits: Sendable, Equatable {
    /// Largest accepted file part (`MAX_FILE_SIZE`, 10 MiB); a larger part is rejected alone.
    public var maxFileBytes = 10 << 20
    /// Largest request body, after decompression (`MAX_REQUEST_SIZE`, 256 MiB); past it the request gets 413.
    public var maxRequestBytes = 256 << 20
    /// Most file parts in one request (`MAX_FILES_PER_REQUEST`, 1000); past it the request gets 413.
    public var maxFilesPerRequest = 1000
    /// Open connections at most (`MAX_CONNECTIONS`); further ones are answered 503 and closed. The service
    /// lowers it to what the descriptor limit allows (``descriptorReserve``).
    public var maxConnections = 4096
    /// Open connections from one client address at most (`MAX_CONNECTIONS_PER_CLIENT`, 256); further ones
    /// are answered 503 and closed. Behind a proxy every client has the proxy's address: raise it there.
    public var maxConnectionsPerClient = 256
    /// Descriptors kept out of the connection cap for spool files, converter pipes and database sockets
    /// (`FD_RESERVE`, 256): connections are capped at (open-file limit − this) / 2, a socket and a spool
    /// file each.
    public var descriptorReserve = 256
    /// A body must bring `MIN_BODY_RATE_BYTES` (4 KiB) in every `BODY_RATE_WINDOW_MS` (10 s), else 408.
    public var minBodyBytesPerWindow = 4096
    /// The window of ``minBodyBytesPerWindow``.
    public var bodyRateWindowMilliseconds = 10_000
    /// Time for a whole request, head and body (`REQUEST_TIMEOUT_MS`, 10 min), else 408. Time the server
    /// spends with reading paused (its disk is behind) does not count.
    public var requestTimeoutMilliseconds = 600_000
    /// Response bytes a connection may have queued unsent before it stops reading requests
    /// (`MAX_UNSENT_RESPONSE_SIZE`, 1 MiB).
    public var maxUnsentResponseBytes = 1 << 20
    /// How long a connection may stay above ``maxUnsentResponseBytes`` before it is closed
    /// (`SEND_STALL_TIMEOUT_MS`, 30 s).
    public var sendStallTimeoutMilliseconds = 30_000
    /// Largest body of a route that takes none or a small one (`/health`, `/metrics`, unknown routes:
    /// `MAX_OTHER_BODY_SIZE`, 64 KiB); past it the request gets 413 and the connection closes.
    public var maxOtherBodyBytes = 64 << 10
    /// Time to receive a whole request head, from its first byte (slowloris gets 408).
    public var headerTimeoutMilliseconds = 10_000
    /// Longest silence while a body is arriving (408).
    public var bodyIdleTimeoutMilliseconds = 30_000
    /// How long an idle keep-alive connection stays open.
    public var keepAliveTimeoutMilliseconds = 60_000
    /// How long shutdown waits for uploads in flight.
    public var shutdownGraceMilliseconds = 30_000
    /// Request line plus headers, in bytes.
    public var maxHeaderBytes = 32 * 1024
    /// Header fields per request.
    public var maxHeaderCount = 100
    /// Cap on a `Content-Encoding: zstd` body once decompressed (`MAX_DECOMPRESSED_SIZE`).
    public var maxDecompressedBytes = 256 << 20
    /// Largest archive body of `POST /api/v1/imports` (`MAX_IMPORT_SIZE`, 4 GiB); its entries are each held to
    /// ``maxFileBytes``.
    public var maxImportBytes = 4 << 30

    public init() {}

    /// The connection cap under an open-file limit of `openFiles`: ``maxConnections``, lowered so that every
    /// connection can hold its socket and a spool file with ``descriptorReserve`` descriptors left over.
    func connectionCap(openFiles: Int) -> Int {
        max(1, min(maxConnections, (openFiles - descriptorReserve) / 2))
    }

    /// The HTTP server's share of these limits.
    public var server: HTTPServerLimits {
        var server = HTTPServerLimits()
        server.maxConnections = maxConnections
        server.headerTimeoutMilliseconds = headerTimeoutMilliseconds
        server.bodyIdleTimeoutMilliseconds = bodyIdleTimeoutMilliseconds
        server.keepAliveTimeoutMilliseconds = keepAliveTimeoutMilliseconds
        server.maxHeaderBytes = maxHeaderBytes
        server.maxHeaderCount = maxHeaderCount
        server.maxConnectionsPerClient = maxConnectionsPerClient
        server.minBodyBytesPerWindow = minBodyBytesPerWindow
        server.bodyRateWindowMilliseconds = bodyRateWindowMilliseconds
        server.requestTimeoutMilliseconds = requestTimeoutMilliseconds
        server.maxUnsentResponseBytes = maxUnsentResponseBytes
        server.sendStallTimeoutMilliseconds = sendStallTimeoutMilliseconds
        // No chunk may be larger than the largest body a route takes.
        server.maxChunkBytes = max(maxRequestBytes, maxImportBytes)
        return server
    }
}

/// When the spool counts as full: above either mark, new uploads get `503` with `Retry-After`.
public struct SpoolMarks: Sendable, Equatable {
    /// Bytes of queued and in-flight documents.
    public var highWaterBytes = 8 << 30
    /// Number of queued documents.
    public var highWaterFiles = 100_000
    /// The `Retry-After` a full spool answers with, in seconds.
    public var retryAfterSeconds = 5

    public init() {}
}
