import Loop

/// The Sink's settings, from the environment.
public struct SinkConfiguration: Sendable, Equatable {
    /// `DATABASE_URL`: a `postgres://` URL or a libpq keyword/value string (TLS through its `sslmode`).
    public var databaseURL: String?
    /// `SINK_BATCH_ROWS`, `SINK_BATCH_BYTES`, `SINK_BATCH_AGE_MS`: a batch is written when it has this many
    /// rows, or this many bytes, or its oldest row has waited this long, whichever comes first.
    public var batchRows = 5_000
    public var batchBytes = 16 << 20
    public var batchAgeMilliseconds = 200
    /// `SINK_TIMEOUT_MS`: the longest wait for the server during one step (connect, COPY, statement) before the
    /// connection counts as lost.
    public var timeoutMilliseconds = 60_000
    /// `DATABASE_MIGRATE`: apply the embedded migrations at start-up.
    public var migrate = true
    /// `SINK_CONNECTIONS`: batches written at once, each on its own connection. The server works on each in a
    /// process of its own, so this is how a batch's two passes (COPY, upsert) use more than one of its cores:
    /// on the 2-core benchmark machine, 2 connections wrote 18k rows/s against 12k for 1 (3: 17k).
    public var connections = 2

    public init() {}

    public init(environment: [String: String]) throws(InvalidSetting) {
        let env = EnvironmentReader(environment)
        let url = env.string("DATABASE_URL", default: "")
        databaseURL = url.isEmpty ? nil : url
        batchRows = try env.int("SINK_BATCH_ROWS", default: batchRows, range: 1...1_000_000)
        batchBytes = try env.bytes("SINK_BATCH_BYTES", default: batchBytes)
        batchAgeMilliseconds = try env.int("SINK_BATCH_AGE_MS", default: batchAgeMilliseconds, range: 1...3_600_000)
        timeoutMilliseconds = try env.int("SINK_TIMEOUT_MS", default: timeoutMilliseconds, range: 100...3_600_000)
        migrate = try env.bool("DATABASE_MIGRATE", default: migrate)
        connections = try env.int("SINK_CONNECTIONS", default: connections, range: 1...64)
    }

    var policy: FlushPolicy {
        FlushPolicy(maxRows: batchRows, maxBytes: batchBytes,
                    maxAgeNanoseconds: UInt64(batchAgeMilliseconds) * 1_000_000)
    }

    /// `(variable, effective value)` pairs for `doctor` (the URL without its password).
    public var printable: [(String, String)] {
        [
            ("DATABASE_URL", databaseURL.map(Self.redacted) ?? "(unset)"),
            ("SINK_BATCH_ROWS", String(batchRows)), ("SINK_BATCH_BYTES", String(batchBytes)),
            ("SINK_BATCH_AGE_MS", String(batchAgeMilliseconds)), ("SINK_TIMEOUT_MS", String(timeoutMilliseconds)),
            ("DATABASE_MIGRATE", String(migrate)), ("SINK_CONNECTIONS", String(connections)),
        ]
    }

    /// The URL or keyword/value string with every password it carries replaced by `***` (``ConninfoRedaction``).
    public static func redacted(_ conninfo: String) -> String { ConninfoRedaction.redacted(conninfo) }
}
