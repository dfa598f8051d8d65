import Loop

/// When a batch is due: rows, bytes or age, whichever comes first. A pure value.
public struct FlushPolicy: Sendable, Equatable {
    public var maxRows: Int
    public var maxBytes: Int
    public var maxAgeNanoseconds: UInt64

    public init(maxRows: Int, maxBytes: Int, maxAgeNanoseconds: UInt64) {
        self.maxRows = max(1, maxRows)
        self.maxBytes = max(1, maxBytes)
        self.maxAgeNanoseconds = maxAgeNanoseconds
    }

    /// Whether a batch of `rows` rows and `bytes` bytes, whose oldest row arrived at `oldest`, should go now.
    public func isDue(rows: Int, bytes: Int, oldest: UInt64?, now: UInt64) -> Bool {
        guard rows > 0, let oldest else { return false }
        return rows >= maxRows || bytes >= maxBytes || now >= oldest &+ maxAgeNanoseconds
    }

    /// When a batch whose oldest row arrived at `oldest` becomes due by age.
    public func deadline(oldest: UInt64) -> UInt64 { oldest &+ maxAgeNanoseconds }
}

/// What to do after a flush failed: the Sink's retry logic, pure (the caller passes the randomness).
public enum FlushPlanner {
    public enum Action: Sendable, Equatable {
        /// The connection is gone (or the server restarting): reconnect after `delay` and write the same batch
        /// again. Whatever the server did with it, the upsert makes the replay exact: no loss, no duplicate.
        case reconnectAndReplay(delay: UInt64)
        /// The server refused something that is not about the rows (a missing table, a permission): wait and try
        /// again; the documents wait, they do not fail.
        case retryLater(delay: UInt64)
        /// The server refused a row of this batch: write the first `at` rows and the rest as separate batches, to
        /// isolate the bad rows.
        case split(at: Int)
        /// A single row was refused: write it again as a `failed` document with the server's message.
        case recordFailed(message: String)
        /// A row already reduced to a failure record was refused too: keep its reason in `sink_rejects`.
        case reject(message: String)
    }

    /// Backoff between reconnects and retries: 100 ms doubling to 10 s, with full jitter.
    static let backoff = Backoff(base: 100_000_000, cap: 10_000_000_000, maxAttempts: .max)

    /// The action for `error` on a batch of `rows` rows, after `attempt` failures in a row (1 for the first);
    /// `reduced` says the batch is a single row already rewritten as a failure record.
    public static func action(for error: PGError, rows: Int, reduced: Bool, attempt: Int, random: Double) -> Action {
        let delay = backoff.delay(attempt: max(1, attempt), random: random) ?? backoff.cap
        if error.isConnectionLoss { return .reconnectAndReplay(delay: delay) }
        guard error.isRowError else { return .retryLater(delay: delay) }
        if rows > 1 { return .split(at: rows / 2) }
        return reduced ? .reject(message: error.description) : .recordFailed(message: error.description)
    }
}

/// The SQL of a flush. Values the Sink writes into statements are UUIDs it formatted itself.
enum SinkSQL {
    /// The per-connection staging table: rows are COPYed here, then upserted. `ON COMMIT DELETE ROWS` empties it
    /// at every commit; it has no constraints, so the server's checks happen in the upsert. Staging is the
    /// first of two passes over every row, so it is made cheap: a temporary table (no WAL), text and JSON kept
    /// uncompressed (compressed once, in `documents`), and rows up to a page kept inline rather than cut into
    /// TOAST chunks (measured: 20% less COPY time than the default). `cost_usd` is staged as `double precision`
    /// (eight bytes in the COPY) and rounded to `documents.cost_usd`'s `numeric(12,8)` by the insert.
    static let createStaging = """
        CREATE TEMP TABLE IF NOT EXISTS sink_staging (
            seq integer, id uuid, tenant_id uuid, batch_id uuid, content_sha256 bytea, filename text,
            declared_type text, detected_type text, size_bytes bigint, status text, extractor text,
            ocr_used boolean, page_count integer, text_chars integer, text text, parsed jsonb, provider text,
            model text, prompt_tokens integer, completion_tokens integer, cached_tokens integer,
            cost_usd double precision, error_code text, error_detail text, warnings jsonb,
            parse_confidence double precision, parse_weak boolean, parse_scores jsonb, received_at timestamptz
        ) WITH (toast_tuple_target = 8160) ON COMMIT DELETE ROWS;
        ALTER TABLE sink_staging ALTER COLUMN text SET STORAGE EXTERNAL, ALTER COLUMN parsed SET STORAGE EXTERNAL
        """

    static let copy = "COPY sink_staging (\(StagingEncoder.columns.joined(separator: ", "))) FROM STDIN (FORMAT binary)"

    /// Columns a later result replaces.
    private static let replaced = [
        "detected_type", "status", "extractor", "ocr_used", "page_count", "text_chars", "text", "parsed", "provider",
        "model", "prompt_tokens", "completion_tokens", "cached_tokens", "cost_usd", "error_code", "error_detail",
        "warnings", "parse_confidence", "parse_weak", "parse_scores",
    ]

    /// The statements that move one tenant's staged rows into `batches` and `documents`, with the tenant set for
    /// row-level security for the rest of the transaction.
    ///
    /// - One row per (tenant, content): the Sink sends each key once per batch (copies collapse to the latest
    ///   before COPY), and a row already there is updated only when the result differs (`IS DISTINCT FROM`), so
    ///   an identical replay changes nothing. A failure never replaces a parsed result.
    /// - A batch that scoring runs follow (an upload that named a job, a batch asked to be scored) gets its
    ///   final documents made candidates of those jobs and queued for the scoring workers, in this transaction.
    /// - Batch counters and token and cost totals are recounted from `documents`, so replays cannot count
    ///   twice. With several writers the batch rows are locked first, in id order and `FOR NO KEY UPDATE` (which
    ///   the foreign keys' `KEY SHARE` locks do not block: no deadlock), and the recount, a statement of its
    ///   own, then sees the rows of a writer that committed meanwhile.
    static func upsert(tenantID: String) -> String {
        // The one value written into this text: a UUID the Sink formats from the 16 bytes the database gave it
        // (`UUIDText.text`), so it holds hex digits and dashes only. The statements go as one simple query
        // (one round trip per tenant), which has no parameters.
        let tenant = "'\(tenantID)'::uuid"
        let insertColumns = StagingEncoder.columns.dropFirst().joined(separator: ", ")
        let set = replaced.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        let distinct = ["status", "text", "parsed", "error_code", "error_detail", "extractor", "provider", "model",
                        "parse_confidence", "parse_weak"]
        let before = distinct.map { "d.\($0)" }.joined(separator: ", ")
        let after = distinct.map { "excluded.\($0)" }.joined(separator: ", ")
        return """
            SELECT set_config('app.tenant_id', '\(tenantID)', true);
            INSERT INTO batches (id, tenant_id)
                SELECT DISTINCT batch_id, tenant_id FROM sink_staging WHERE tenant_id = \(tenant) AND batch_id IS NOT NULL
                ON CONFLICT (id) DO NOTHING;
            DELETE FROM sink_staging s USING erasures e
                WHERE s.tenant_id = \(tenant) AND e.tenant_id = s.tenant_id AND e.content_sha256 = s.content_sha256
                  AND e.erased_at > s.received_at;
            INSERT INTO documents AS d (\(insertColumns), updated_at)
                SELECT \(insertColumns), now() FROM sink_staging WHERE tenant_id = \(tenant) AND status IS NOT NULL
                ON CONFLICT (tenant_id, content_sha256) DO UPDATE SET \(set), updated_at = now()
                WHERE (\(before)) IS DISTINCT FROM (\(after))
                  AND NOT (d.status = 'parsed' AND excluded.status = 'failed');
            INSERT INTO batch_items (id, tenant_id, batch_id, content_sha256, filename, declared_type, size_bytes,
                                     received_at)
                SELECT id, tenant_id, batch_id, content_sha256, filename, declared_type, size_bytes, received_at
                FROM sink_staging WHERE tenant_id = \(tenant) AND batch_id IS NOT NULL
                ON CONFLICT (id) DO NOTHING;
            SELECT 1 FROM batches
                WHERE id IN (SELECT DISTINCT batch_id FROM sink_staging WHERE tenant_id = \(tenant))
                ORDER BY id FOR NO KEY UPDATE;
            \(recount(batches: "IN (SELECT DISTINCT batch_id FROM sink_staging WHERE tenant_id = \(tenant))"));
            \(JobSQL.batchCandidates(items: "(SELECT batch_id, tenant_id, content_sha256 FROM sink_staging WHERE tenant_id = \(tenant) AND batch_id IS NOT NULL)"));
            """
    }

    /// Recounts batches from their items: an item counts as its content's row says (`queued` while there is
    /// none), so a re-upload of stored content counts in its own batch. Tokens and cost count once, for the
    /// item whose id the row carries (the copy that was processed). `batches` completes `WHERE id …`.
    static func recount(batches: String) -> String {
        """
        UPDATE batches b SET documents = c.total, parsed = c.parsed, failed = c.failed,
                prompt_tokens = c.prompt_tokens, completion_tokens = c.completion_tokens,
                cached_tokens = c.cached_tokens, cost_usd = c.cost_usd, updated_at = now()
            FROM (SELECT x.id AS batch_id, count(i.id) AS total, count(*) FILTER (WHERE d.status = 'parsed') AS parsed,
                         count(*) FILTER (WHERE d.status = 'failed') AS failed,
                         coalesce(sum(d.prompt_tokens) FILTER (WHERE d.id = i.id), 0) AS prompt_tokens,
                         coalesce(sum(d.completion_tokens) FILTER (WHERE d.id = i.id), 0) AS completion_tokens,
                         coalesce(sum(d.cached_tokens) FILTER (WHERE d.id = i.id), 0) AS cached_tokens,
                         coalesce(sum(d.cost_usd) FILTER (WHERE d.id = i.id), 0) AS cost_usd
                  FROM batches x
                  LEFT JOIN batch_items i ON i.batch_id = x.id
                  LEFT JOIN documents d ON d.tenant_id = i.tenant_id AND d.content_sha256 = i.content_sha256
                  WHERE x.id \(batches)
                  GROUP BY x.id) c
            WHERE b.id = c.batch_id
        """
    }

    /// Records documents that cannot be stored as rows of `documents`: one statement per ``rejectsPerStatement``
    /// rows, every value a parameter (a reason or tenant slug is text from outside; no quoting of ours can be
    /// trusted with it, `standard_conforming_strings` off included).
    static func rejects(_ rows: ArraySlice<(row: DocumentRow, reason: String)>) -> (sql: String, parameters: [String?]) {
        var placeholders: [String] = []
        var parameters: [String?] = []
        placeholders.reserveCapacity(rows.count)
        parameters.reserveCapacity(rows.count * 4)
        for item in rows {
            let n = parameters.count
            placeholders.append("($\(n + 1), $\(n + 2), $\(n + 3), $\(n + 4))")
            parameters += [Sanitizer.text(item.row.id), Sanitizer.text(item.row.tenant),
                           Hex.encode(item.row.contentSHA256), Sanitizer.text(item.reason)]
        }
        return ("INSERT INTO sink_rejects (document_id, tenant, content_sha256, error) VALUES "
                    + placeholders.joined(separator: ", "), parameters)
    }

    /// Rows per INSERT into `sink_rejects` (four parameters each, PostgreSQL allows 65,535).
    static let rejectsPerStatement = 1000
}
