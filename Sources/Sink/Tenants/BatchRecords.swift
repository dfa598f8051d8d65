import Loop

/// One file a batch received, as `batch_items` keeps it.
public struct BatchItem: Sendable, Equatable {
    public var id: String
    public var batchID: String
    public var sha256: [UInt8]
    public var filename: String?
    public var declaredType: String?
    public var size: Int
    public var receivedAtMilliseconds: Int64

    public init(id: String, batchID: String, sha256: [UInt8], filename: String?, declaredType: String?, size: Int,
                receivedAtMilliseconds: Int64) {
        self.id = id
        self.batchID = batchID
        self.sha256 = sha256
        self.filename = filename
        self.declaredType = declaredType
        self.size = size
        self.receivedAtMilliseconds = receivedAtMilliseconds
    }
}

/// A batch that just completed: every item it expects has a final row.
public struct CompletedBatch: Sendable, Equatable {
    public var id: String
    public var callbackURL: String?
    public var summary: [UInt8]
}

/// Batches and their items as uploads are acknowledged (before any result exists), sealing, and completion.
/// Each call is one transaction with the tenant set (row-level security).
@LoopActor
public final class BatchRecords {
    private let pool: SidePool

    public init(pool: SidePool) { self.pool = pool }

    /// What a batch is told when its items are known (`expected`), or before (an import: how it came and where
    /// its webhook goes, `expected` nil).
    public struct Seal: Sendable, Equatable {
        public var id: String
        public var expected: Int?
        public var origin: String?
        public var label: String?
        public var callbackURL: String?
        /// The job the batch's documents are scored for as they are parsed (an upload's `job_id`).
        public var jobID: String?

        public init(id: String, expected: Int?, origin: String?, label: String?, callbackURL: String?,
                    jobID: String? = nil) {
            self.jobID = jobID
            self.id = id
            self.expected = expected
            self.origin = origin
            self.label = label
            self.callbackURL = callbackURL
        }
    }

    /// Records items (their batches created as needed; items already there are kept), then seals, of tenant
    /// `tenantID`, in one transaction: the ledger sends what queued up meanwhile together.
    public func write(items: [BatchItem], seals: [Seal], tenantID: String) async throws(PGError) {
        guard !items.isEmpty || !seals.isEmpty else { return }
        try await pool.inTenant(tenantID) { c throws(PGError) in
            // 7 parameters a row; PostgreSQL takes 65,535 a statement.
            for start in stride(from: 0, to: items.count, by: 5_000) {
                try await Self.insert(Array(items[start..<min(start + 5_000, items.count)]), on: c)
            }
            for seal in seals { try await Self.write(seal, on: c) }
        }
    }

    /// Records items of tenant `tenantID`.
    public func record(_ items: [BatchItem], tenantID: String) async throws(PGError) {
        try await write(items: items, seals: [], tenantID: tenantID)
    }

    /// Seals batch `id`: it will hold `expected` items; with how it came and where its webhook goes.
    public func seal(_ id: String, tenantID: String, expected: Int, origin: String?, label: String?,
                     callbackURL: String?, jobID: String? = nil) async throws(PGError) {
        try await write(items: [], seals: [Seal(id: id, expected: expected, origin: origin, label: label,
                                                callbackURL: callbackURL, jobID: jobID)], tenantID: tenantID)
    }

    /// Records how batch `id` came and where its webhook goes, before it is sealed.
    public func describe(_ id: String, tenantID: String, origin: String, callbackURL: String?,
                         jobID: String? = nil) async throws(PGError) {
        try await write(items: [], seals: [Seal(id: id, expected: nil, origin: origin, label: nil,
                                                callbackURL: callbackURL, jobID: jobID)], tenantID: tenantID)
    }

    private static func insert(_ items: [BatchItem], on c: PGConnection) async throws(PGError) {
        guard !items.isEmpty else { return }
        var parameters: [String?] = []
        var rows: [String] = []
        for item in items {
            let n = parameters.count
            rows.append("($\(n + 1)::uuid, $\(n + 2)::uuid, decode($\(n + 3), 'hex'), $\(n + 4), $\(n + 5), "
                        + "$\(n + 6)::bigint, to_timestamp($\(n + 7)::double precision / 1000))")
            parameters += [item.id, item.batchID, Hex.encode(item.sha256), item.filename.map(Sanitizer.text),
                           item.declaredType.map(Sanitizer.text), String(item.size),
                           String(item.receivedAtMilliseconds)]
        }
        let batches = Array(Set(items.map(\.batchID))).sorted()
        try await c.query("""
            INSERT INTO batches (id, tenant_id) SELECT b::uuid, current_tenant() FROM unnest($1::text[]) AS b
            ON CONFLICT (id) DO NOTHING
            """, ["{" + batches.joined(separator: ",") + "}"])
        try await c.query("""
            INSERT INTO batch_items (id, batch_id, content_sha256, filename, declared_type, size_bytes, received_at,
                                     tenant_id)
            SELECT v.*, current_tenant() FROM (VALUES \(rows.joined(separator: ", "))) AS v
            ON CONFLICT (id) DO NOTHING
            """, parameters)
    }

    private static func write(_ seal: Seal, on c: PGConnection) async throws(PGError) {
        if let expected = seal.expected {
            try await c.query("""
                INSERT INTO batches (id, tenant_id, expected, sealed_at, origin, label, callback_url)
                VALUES ($1::uuid, current_tenant(), $2::integer, now(), $3, $4, $5)
                ON CONFLICT (id) DO UPDATE SET expected = excluded.expected, sealed_at = coalesce(batches.sealed_at, now()),
                    origin = coalesce(excluded.origin, batches.origin), label = coalesce(excluded.label, batches.label),
                    callback_url = coalesce(excluded.callback_url, batches.callback_url)
                """, [seal.id, String(expected), seal.origin, seal.label, seal.callbackURL])
        } else {
            try await c.query("""
                INSERT INTO batches (id, tenant_id, origin, callback_url) VALUES ($1::uuid, current_tenant(), $2, $3)
                ON CONFLICT (id) DO UPDATE SET origin = excluded.origin,
                    callback_url = coalesce(excluded.callback_url, batches.callback_url)
                """, [seal.id, seal.origin, seal.callbackURL])
        }
            // A batch named a job: a run follows it. Documents already written become candidates now; the rest
        // will as the Sink writes them (its upsert joins the run). A job deleted meanwhile: no run (the job is
        // not there to insert against), and the batch is parsed as usual.
        if let job = seal.jobID, DocumentID(job) != nil {
            try await c.query("""
                WITH run AS (
                    INSERT INTO scoring_runs (tenant_id, job_id, batch_id, callback_url, requested)
                    SELECT current_tenant(), j.id, $1::uuid, $3, $4::integer FROM jobs j WHERE j.id = $2::uuid
                    FOR KEY SHARE
                    ON CONFLICT (job_id, batch_id) WHERE batch_id IS NOT NULL DO NOTHING
                    RETURNING id)
                SELECT count(*) FROM run
                """, [seal.id, job, seal.callbackURL, String(seal.expected ?? 0)])
            try await c.query(JobSQL.batchCandidates(
                items: "(SELECT batch_id, tenant_id, content_sha256 FROM batch_items WHERE batch_id = $1::uuid)"),
                [seal.id])
        }
    }

    /// Notes that batch `id`'s completion was announced (its webhook queued, or none to send).
    public func announced(_ id: String, tenantID: String) async throws(PGError) {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("UPDATE batches SET announced_at = now() WHERE id = $1::uuid AND announced_at IS NULL", [id])
        }
    }

    /// Batches of tenant `tenantID` that completed more than 30 s ago and were never announced (at most 100).
    public func unannounced(tenantID: String) async throws(PGError) -> [CompletedBatch] {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("""
                SELECT id::text, callback_url, \(Self.summary)::text FROM batches
                WHERE completed_at IS NOT NULL AND announced_at IS NULL AND completed_at < now() - interval '30 seconds'
                ORDER BY completed_at LIMIT 100
                """).rows.compactMap(Self.completedBatch)
        }
    }

    /// The webhook's `data` for a batch (a row of `batches`).
    static let summary = """
        json_build_object('batch_id', id, 'label', label, 'origin', origin, 'documents', documents, 'parsed', parsed,
            'failed', failed, 'created_at', created_at, 'completed_at', completed_at, 'prompt_tokens', prompt_tokens,
            'completion_tokens', completion_tokens, 'cost_usd', cost_usd)
        """

    static func completedBatch(_ row: [String?]) -> CompletedBatch? {
        guard let id = row[0] else { return nil }
        return CompletedBatch(id: id, callbackURL: row[1], summary: Array((row[2] ?? "{}").utf8))
    }

    /// Sealed batches of tenant `tenantID` not complete, untouched for 30 s (at most 1,000).
    public func unfinished(tenantID: String) async throws(PGError) -> [String] {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("""
                SELECT id::text FROM batches
                WHERE completed_at IS NULL AND sealed_at IS NOT NULL AND updated_at < now() - interval '30 seconds'
                ORDER BY updated_at LIMIT 1000
                """).rows.compactMap { $0[0] }
        }
    }

    /// Marks complete, once, the batches among `ids` that are sealed and whose items all have a final row;
    /// returns them with their summaries (the webhook's `data`). Exactly once across engines: the update
    /// that sets `completed_at` is the one that reports it.
    /// `recount` first brings the batches' counters up to date from their items (after a seal, or results
    /// that did not pass through the Sink: reused ones); the Sink recounts the batches it writes.
    public func complete(_ ids: [String], tenantID: String, recount: Bool) async throws(PGError) -> [CompletedBatch] {
        guard !ids.isEmpty else { return [] }
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            if recount {
                try await c.query(SinkSQL.recount(batches: "= ANY($1::uuid[])"), ["{" + ids.sorted().joined(separator: ",") + "}"])
            }
            return try await c.query("""
                UPDATE batches SET completed_at = now()
                WHERE id = ANY($1::uuid[]) AND completed_at IS NULL AND sealed_at IS NOT NULL
                  AND documents >= coalesce(expected, 0) AND parsed + failed >= documents
                RETURNING id::text, callback_url, \(Self.summary)::text
                """, ["{" + ids.sorted().joined(separator: ",") + "}"]).rows.compactMap(Self.completedBatch)
        }
    }
}
