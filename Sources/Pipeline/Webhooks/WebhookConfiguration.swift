import Loop

/// The webhook dispatcher's settings, from the environment.
public struct WebhookConfiguration: Sendable, Equatable {
    /// `WEBHOOK_ALLOW_PRIVATE`: allow callbacks to loopback, private, link-local and other non-public addresses
    /// (``OutboundAddressPolicy``). Off by default: a tenant's URL must not reach the engine's own network.
    public var allowPrivate = false
    /// `WEBHOOK_TIMEOUT_MS`: one attempt's limit, connection and answer included.
    public var timeoutMilliseconds = 10_000
    /// `WEBHOOK_POLL_MS`: how often the queue is read for due deliveries. Enqueues and replays on this engine
    /// wake the dispatcher at once; this bounds the wait for retries and for other engines' messages.
    public var pollMilliseconds = 1_000
    /// `WEBHOOK_CONCURRENCY`: attempts in flight at once on this engine.
    public var concurrency = 16
    /// When failed attempts are tried again (not read from the environment).
    public var schedule = WebhookRetrySchedule.standard
    /// A receiver's answer beyond this many bytes fails the attempt (nothing of it is used).
    public var maxResponseBytes = 1 << 20
    public var userAgent = "resume-ingest-webhooks/1"

    /// How long a claimed delivery stays with the engine that claimed it. An engine that dies mid-attempt leaves
    /// its claims; once this has passed, any engine takes them again. Longer than an attempt can take.
    public var leaseMilliseconds: Int { timeoutMilliseconds + 60_000 }

    public init() {}

    public init(environment: [String: String]) throws(InvalidSetting) {
        let env = EnvironmentReader(environment)
        allowPrivate = try env.bool("WEBHOOK_ALLOW_PRIVATE", default: allowPrivate)
        timeoutMilliseconds = try env.int("WEBHOOK_TIMEOUT_MS", default: timeoutMilliseconds, range: 100...600_000)
        pollMilliseconds = try env.int("WEBHOOK_POLL_MS", default: pollMilliseconds, range: 10...600_000)
        concurrency = try env.int("WEBHOOK_CONCURRENCY", default: concurrency, range: 1...1_000)
    }

    /// `(variable, effective value)` pairs for `doctor`.
    public var printable: [(String, String)] {
        [("WEBHOOK_ALLOW_PRIVATE", String(allowPrivate)), ("WEBHOOK_TIMEOUT_MS", String(timeoutMilliseconds)),
         ("WEBHOOK_POLL_MS", String(pollMilliseconds)), ("WEBHOOK_CONCURRENCY", String(concurrency))]
    }
}
