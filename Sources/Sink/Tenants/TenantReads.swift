import Loop

/// The reads and the erasure behind the results API, each in a transaction with the tenant set: row-level
/// security, not a `WHERE tenant_id = …` of ours, keeps one tenant's rows from another (none of these
/// statements names the tenant). A row of another tenant is simply not there: the API answers `404`.
///
/// JSON is built by PostgreSQL (`json_build_object`), one text value per row, so the engine passes rows on
/// without decoding and re-encoding what it stored.
@LoopActor
public final class TenantReads {
    private let pool: SidePool

    public init(pool: SidePool) { self.pool = pool }

    /// A document as the API shows it, from a batch item `i` and its content's row `d` (either may stand alone).
    static let documentJSON = """
        json_build_object(
            'id', coalesce(i.id, d.id), 'document_id', d.id,
            'duplicate', (i.id IS NOT NULL AND d.id IS NOT NULL AND d.id <> i.id),
            'batch_id', coalesce(i.batch_id, d.batch_id), 'filename', coalesce(i.filename, d.filename),
            'declared_type', coalesce(i.declared_type, d.declared_type), 'detected_type', d.detected_type,
            'size_bytes', coalesce(i.size_bytes, d.size_bytes),
            'sha256', encode(coalesce(i.content_sha256, d.content_sha256), 'hex'),
            'status', coalesce(d.status, 'queued'), 'parsed', d.parsed,
            'error', CASE WHEN d.error_code IS NOT NULL
                          THEN json_build_object('code', d.error_code, 'detail', d.error_detail) END,
            'extractor', d.extractor, 'ocr_used', d.ocr_used, 'page_count', d.page_count, 'text_chars', d.text_chars,
            'provider', d.provider, 'model', d.model, 'prompt_tokens', d.prompt_tokens,
            'completion_tokens', d.completion_tokens, 'cost_usd', d.cost_usd, 'warnings', d.warnings,
            'confidence', CASE WHEN d.parse_weak IS NOT NULL THEN json_build_object(
                'score', d.parse_confidence, 'weak', d.parse_weak, 'fields', d.parse_scores) END,
            'received_at', coalesce(i.received_at, d.received_at), 'updated_at', d.updated_at)
        """

    /// A batch with counts by status and failures by code; nil when the tenant has no such batch.
    public func batch(_ id: String, tenantID: String) async throws(PGError) -> [UInt8]? {
        guard DocumentID(id) != nil else { return nil }
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            let text = try await c.query("""
                WITH items AS (
                    SELECT i.id, d.id AS document_id, d.status, d.error_code
                    FROM batch_items i
                    LEFT JOIN documents d ON d.tenant_id = i.tenant_id AND d.content_sha256 = i.content_sha256
                    WHERE i.batch_id = $1::uuid),
                counts AS (
                    SELECT count(*) AS total, count(*) FILTER (WHERE status = 'parsed') AS parsed,
                           count(*) FILTER (WHERE status = 'failed') AS failed,
                           count(*) FILTER (WHERE document_id IS NOT NULL AND document_id <> id) AS duplicates
                    FROM items),
                failures AS (
                    SELECT coalesce(json_object_agg(error_code, n), '{}'::json) AS by_code
                    FROM (SELECT error_code, count(*) AS n FROM items WHERE status = 'failed' GROUP BY error_code) f)
                SELECT json_build_object(
                    'batch_id', b.id, 'label', b.label, 'origin', b.origin, 'created_at', b.created_at,
                    'updated_at', b.updated_at, 'sealed', b.sealed_at IS NOT NULL, 'expected', b.expected,
                    'completed', b.completed_at IS NOT NULL, 'completed_at', b.completed_at,
                    'callback_url', b.callback_url,
                    'counts', json_build_object(
                        'total', greatest(c.total, coalesce(b.expected, 0)),
                        'queued', greatest(c.total, coalesce(b.expected, 0)) - c.parsed - c.failed,
                        'parsed', c.parsed, 'failed', c.failed, 'duplicates', c.duplicates),
                    'progress', CASE WHEN greatest(c.total, coalesce(b.expected, 0)) = 0 THEN
                                         CASE WHEN b.sealed_at IS NULL THEN 0 ELSE 1 END
                                     ELSE round((c.parsed + c.failed)::numeric
                                                / greatest(c.total, coalesce(b.expected, 0)), 4) END,
                    'failures_by_code', f.by_code,
                    'prompt_tokens', b.prompt_tokens, 'completion_tokens', b.completion_tokens,
                    'cost_usd', b.cost_usd,
                    'scoring_runs', (SELECT coalesce(json_agg(json_build_object('job_id', r.job_id, 'run_id', r.id,
                                                       'completed', r.completed_at IS NOT NULL) ORDER BY r.created_at), '[]')
                                     FROM scoring_runs r WHERE r.batch_id = b.id))::text
                FROM batches b, counts c, failures f WHERE b.id = $1::uuid
                """, [id]).scalar
            return text.map { Array($0.utf8) }
        }
    }

    /// One page of a batch's items with their status: `[{"id","filename","status","duplicate","error_code"}]`
    /// after item `after`, in id order; with the last id when the page is full.
    public func items(batch id: String, tenantID: String, after: String?, limit: Int) async throws(PGError)
        -> (json: [UInt8], last: String?)
    {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            let rows = try await c.query("""
                SELECT i.id::text, json_build_object('id', i.id, 'filename', i.filename,
                           'status', coalesce(d.status, 'queued'), 'duplicate', d.id IS NOT NULL AND d.id <> i.id,
                           'error_code', d.error_code)::text
                FROM batch_items i
                LEFT JOIN documents d ON d.tenant_id = i.tenant_id AND d.content_sha256 = i.content_sha256
                WHERE i.batch_id = $1::uuid AND ($2::uuid IS NULL OR i.id > $2::uuid)
                ORDER BY i.id LIMIT $3::integer
                """, [id, after, String(limit)]).rows
            var json: [UInt8] = [0x5B]
            for (n, row) in rows.enumerated() {
                if n > 0 { json.append(0x2C) }
                json += Array((row[1] ?? "null").utf8)
            }
            json.append(0x5D)
            return (json, rows.count == limit ? rows.last?[0] : nil)
        }
    }

    /// One page of a batch's results as NDJSON (a line per document, with its parsed JSON or its error, and
    /// its text when `text` is true), after item `after` in id order; with the last id when the page is full.
    /// Nil when the tenant has no such batch.
    public func results(batch id: String, tenantID: String, after: String?, limit: Int, text: Bool)
        async throws(PGError) -> (ndjson: [UInt8], last: String?)?
    {
        guard DocumentID(id) != nil else { return nil }
        let json = text ? "(\(Self.documentJSON)::jsonb || jsonb_build_object('text', d.text))::text"
            : "\(Self.documentJSON)::text"
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            guard try await c.query("SELECT 1 FROM batches WHERE id = $1::uuid", [id]).rows.count == 1 else {
                return nil
            }
            let result = try await c.query("""
                SELECT i.id::text, \(json)
                FROM batch_items i
                LEFT JOIN documents d ON d.tenant_id = i.tenant_id AND d.content_sha256 = i.content_sha256
                WHERE i.batch_id = $1::uuid AND ($2::uuid IS NULL OR i.id > $2::uuid)
                ORDER BY i.id LIMIT $3::integer
                """, [id, after, String(limit)])
            var out: [UInt8] = []
            out.reserveCapacity(result.rows.reduce(0) { $0 + ($1[1]?.utf8.count ?? 0) + 1 })
            for row in result.rows {
                out += Array((row[1] ?? "null").utf8)
                out.append(0x0A)
            }
            return (out, result.rows.count == limit ? result.rows.last?[0] : nil)
        }
    }

    /// The failed documents of batch `id`: each row's id (the spool id its bytes were kept under) and code.
    /// Nil when the tenant has no such batch.
    public func failed(batch id: String, tenantID: String) async throws(PGError) -> [(document: String, code: String?)]? {
        guard DocumentID(id) != nil else { return nil }
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            guard try await c.query("SELECT 1 FROM batches WHERE id = $1::uuid", [id]).rows.count == 1 else { return nil }
            return try await c.query("""
                SELECT DISTINCT d.id::text, d.error_code FROM batch_items i
                JOIN documents d ON d.tenant_id = i.tenant_id AND d.content_sha256 = i.content_sha256
                WHERE i.batch_id = $1::uuid AND d.status = 'failed'
                """, [id]).rows.compactMap { row in row[0].map { ($0, row[1]) } }
        }
    }

    /// Marks documents queued again for a retry (their error cleared) and batch `batch` not complete; returns
    /// the ids this call changed (a concurrent retry of the same batch gets the others).
    public func requeue(_ documents: [String], batch: String, tenantID: String) async throws(PGError) -> [String] {
        guard !documents.isEmpty else { return [] }
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            let list = "{" + documents.joined(separator: ",") + "}"
            let changed = try await c.query("""
                UPDATE documents SET status = 'queued', error_code = NULL, error_detail = NULL, updated_at = now()
                WHERE id = ANY($1::uuid[]) AND status = 'failed' RETURNING id::text
                """, [list]).rows.compactMap { $0[0] }
            if !changed.isEmpty {
                try await c.query("UPDATE batches SET completed_at = NULL, announced_at = NULL WHERE id = $1::uuid", [batch])
                try await c.query(SinkSQL.recount(batches: "= ANY($1::uuid[])"), ["{\(batch)}"])
            }
            return changed
        }
    }

    /// Puts documents whose retry could not start back as failed, with `code`.
    public func unqueue(_ documents: [String], code: String, detail: String, tenantID: String) async throws(PGError) {
        guard !documents.isEmpty else { return }
        try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("""
                UPDATE documents SET status = 'failed', error_code = $2, error_detail = $3, updated_at = now()
                WHERE id = ANY($1::uuid[]) AND status = 'queued'
                """, ["{" + documents.joined(separator: ",") + "}", code, detail])
        }
    }

    /// Whether batch `id` is complete (nil: no such batch).
    public func isComplete(batch id: String, tenantID: String) async throws(PGError) -> Bool? {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("SELECT completed_at IS NOT NULL FROM batches WHERE id = $1::uuid", [id]).scalar
                .map { $0 == "t" || $0 == "true" }
        }
    }

    /// A batch's results in the shape the synchronous service this engine replaces answered with: a JSON array
    /// of `{"id","filename","size","sha256","status","error","parsed",…}` where `status` is `ok` for a parsed
    /// document, the error code for a failed one and `queued` for one not done; with our own fields beside.
    public func synchronousResults(batch id: String, tenantID: String, limit: Int) async throws(PGError)
        -> (json: [UInt8], ok: Int)
    {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            let rows = try await c.query("""
                SELECT json_build_object(
                    'id', i.id, 'filename', i.filename, 'size', i.size_bytes, 'sha256', encode(i.content_sha256, 'hex'),
                    'status', CASE d.status WHEN 'parsed' THEN 'ok' WHEN 'failed' THEN coalesce(d.error_code, 'failed')
                                            ELSE 'queued' END,
                    'error', d.error_detail, 'error_code', d.error_code, 'parsed', d.parsed,
                    'mime', d.detected_type, 'declared_type', i.declared_type, 'chars', d.text_chars,
                    'method', d.extractor, 'document_id', d.id, 'duplicate', d.id IS NOT NULL AND d.id <> i.id,
                    'usage', CASE WHEN d.prompt_tokens IS NOT NULL THEN json_build_object(
                        'prompt_tokens', d.prompt_tokens, 'completion_tokens', d.completion_tokens) END)::text,
                    d.status = 'parsed'
                FROM batch_items i
                LEFT JOIN documents d ON d.tenant_id = i.tenant_id AND d.content_sha256 = i.content_sha256
                WHERE i.batch_id = $1::uuid ORDER BY i.id LIMIT $2::integer
                """, [id, String(limit)]).rows
            var json: [UInt8] = [0x5B]
            for (n, row) in rows.enumerated() {
                if n > 0 { json.append(0x2C) }
                json += Array((row[0] ?? "null").utf8)
            }
            json.append(0x5D)
            return (json, rows.filter { $0[1] == "t" || $0[1] == "true" }.count)
        }
    }

    /// A document by the id its upload answered with (a batch item) or its row's id; nil when the tenant has
    /// none. `text` adds the extracted text.
    public func document(_ id: String, tenantID: String, text: Bool) async throws(PGError) -> [UInt8]? {
        guard DocumentID(id) != nil else { return nil }
        let json = text ? "(\(Self.documentJSON)::jsonb || jsonb_build_object('text', d.text))::text"
            : "\(Self.documentJSON)::text"
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            let fromItem = try await c.query("""
                SELECT \(json) FROM batch_items i
                LEFT JOIN documents d ON d.tenant_id = i.tenant_id AND d.content_sha256 = i.content_sha256
                WHERE i.id = $1::uuid
                """, [id]).scalar
            if let fromItem { return Array(fromItem.utf8) }
            let fromRow = try await c.query("""
                SELECT \(json) FROM documents d LEFT JOIN batch_items i ON false WHERE d.id = $1::uuid
                """, [id]).scalar
            return fromRow.map { Array($0.utf8) }
        }
    }

    /// What an erasure removed: the content's hash and the ids of its items, and the batches to recount.
    public struct Erasure: Sendable, Equatable {
        public var sha256: [UInt8]
        public var items: [String]
        public var rows: Int
    }

    /// Erases a document: the tenant's row for its content, every batch item naming that content (their file
    /// names too), and a tombstone so a copy still in flight (received before now) is not written back by the
    /// Sink. The batches' counters are recounted. Nil when the tenant has no such document.
    public func erase(_ id: String, tenantID: String) async throws(PGError) -> Erasure? {
        guard DocumentID(id) != nil else { return nil }
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            guard let hex = try await c.query("""
                SELECT encode(content_sha256, 'hex') FROM batch_items WHERE id = $1::uuid
                UNION SELECT encode(content_sha256, 'hex') FROM documents WHERE id = $1::uuid LIMIT 1
                """, [id]).scalar, let sha = Hex.decode(hex)
            else { return nil }
            let items = try await c.query("""
                DELETE FROM batch_items WHERE content_sha256 = decode($1, 'hex') RETURNING id::text, batch_id::text
                """, [hex]).rows
            let rows = try await c.query("DELETE FROM documents WHERE content_sha256 = decode($1, 'hex')", [hex])
                .affectedRows
            // First answers kept for Idempotency-Key name the file and its digest (with ?wait, the parsed
            // resume too): those that mention this content go with it.
            try await c.query("DELETE FROM idempotency_keys WHERE position(convert_to($1, 'UTF8') IN response) > 0",
                              [hex])
            try await c.query("""
                INSERT INTO erasures (tenant_id, content_sha256) VALUES (current_tenant(), decode($1, 'hex'))
                ON CONFLICT (tenant_id, content_sha256) DO UPDATE SET erased_at = now()
                """, [hex])
            let batches = Set(items.compactMap { $0[1] })
            // A batch expects as many fewer items as it lost.
            for (batch, lost) in Dictionary(grouping: items.compactMap { $0[1] }, by: { $0 }).mapValues(\.count) {
                try await c.query("UPDATE batches SET expected = greatest(0, expected - $2::integer) WHERE id = $1::uuid",
                                  [batch, String(lost)])
            }
            if !batches.isEmpty {
                try await c.query(SinkSQL.recount(batches: "= ANY($1::uuid[])"),
                                  ["{" + batches.sorted().joined(separator: ",") + "}"])
            }
            return Erasure(sha256: sha, items: items.compactMap { $0[0] }, rows: rows)
        }
    }
}
