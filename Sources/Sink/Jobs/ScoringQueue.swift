import Foundation
import Loop

/// A candidate a worker claimed: job, document and tenant ids (the queue holds nothing more), and how many
/// times it has been claimed, this time included.
public struct ClaimedCandidate: Sendable, Equatable, Hashable {
    public var jobID: String
    public var documentID: String
    public var tenantID: String
    public var attempts: Int

    public init(jobID: String, documentID: String, tenantID: String, attempts: Int = 1) {
        self.jobID = jobID
        self.documentID = documentID
        self.tenantID = tenantID
        self.attempts = attempts
    }
}

/// What a scorer reads of a document.
public struct CandidateInput: Sendable {
    public var documentID: String
    /// `parsed`, or what the document is now (`failed`; an erased one is simply absent).
    public var status: String
    /// The stored text, which every quote is checked against (offsets in Unicode scalars, as `substr` counts).
    public var text: String
    /// The stored JSON Resume.
    public var parsed: String?
}

/// A candidate's outcome as it is written: a score with its sub-scores and verified reasons (JSON made by
/// the caller), or a failure with its code.
public struct CandidateOutcome: Sendable, Equatable {
    public var documentID: String
    public var score: Int?
    public var subScores: [UInt8]?
    public var reasons: [UInt8]?
    public var missingSkills: [UInt8]?
    public var years: Double?
    public var scorer: String
    public var model: String?
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var cachedTokens: Int?
    /// Reasons in `reasons` (for the counters; not stored apart).
    public var reasonsKept = 0
    public var reasonsDropped = 0
    public var reasonsReanchored = 0
    public var errorCode: String?
    public var errorDetail: String?

    public static func scored(_ documentID: String, score: Int, subScores: [UInt8], reasons: [UInt8],
                              missingSkills: [UInt8], years: Double, scorer: String) -> CandidateOutcome {
        CandidateOutcome(documentID: documentID, score: score, subScores: subScores, reasons: reasons,
                         missingSkills: missingSkills, years: years, scorer: scorer)
    }

    public static func failed(_ documentID: String, code: String, detail: String, scorer: String) -> CandidateOutcome {
        CandidateOutcome(documentID: documentID, scorer: scorer, errorCode: code, errorDetail: detail)
    }

    var json: JSONText.Object {
        var o = JSONText.Object()
        o.string("document_id", documentID)
        o.string("status", score == nil ? "failed" : "scored")
        if let score { o.int("score", score) }
        if let subScores { o.raw("sub_scores", subScores) }
        if let reasons { o.raw("reasons", reasons) }
        if let missingSkills { o.raw("missing_skills", missingSkills) }
        if let years { o.double("years", years) }
        o.string("scorer", scorer)
        o.string("model", model)
        if let promptTokens { o.int("prompt_tokens", promptTokens) }
        if let completionTokens { o.int("completion_tokens", completionTokens) }
        if let cachedTokens { o.int("cached_tokens", cachedTokens) }
        o.int("reasons_dropped", reasonsDropped)
        o.int("reasons_reanchored", reasonsReanchored)
        o.string("error_code", errorCode)
        o.string("error_detail", errorDetail.map(Sanitizer.text))
        return o
    }
}

/// A scoring run that just completed: none of its candidates is pending, and its batch (if it follows one)
/// completed too.
public struct CompletedRun: Sendable, Equatable {
    public var id: String
    public var tenantID: String
    public var callbackURL: String?
    public var summary: [UInt8]
}

/// The scoring workers' side of the jobs tables: claiming due candidates across tenants (`scoring_queue`, no
/// row-level security, no tenant data), reading and writing them with the tenant set, and completing runs.
@LoopActor
public final class ScoringQueue {
    private let pool: SidePool

    public init(pool: SidePool) { self.pool = pool }

    /// Claims up to `limit` due candidates for `leaseSeconds` under `claim` (a UUID of the caller's): each is
    /// due again when the lease runs out without the worker having written it (it died, or lost the
    /// database). Several engines claim without waiting on each other (`SKIP LOCKED`).
    ///
    /// Tenants take turns by their weights (`tenants.weight`, as the spool's turns): a tenant's k-th oldest due
    /// candidate comes at k ÷ weight, so one tenant's `"all": true` over 100,000 documents does not hold back
    /// another's upload for hours: each claim has the second tenant's share. Within a tenant, oldest first. The
    /// tenants with anything due are found by a skip scan of `scoring_queue_tenant_due` (one index probe each),
    /// and each is read (and locked) only up to its share of `limit` and one more, not `limit` rows each: with
    /// many tenants due, a claim would otherwise lock `limit` rows of every one. A claim may then come back short
    /// while a tenant with a small share has more (the worker claims again at once).
    public func claim(_ claim: String, limit: Int, leaseSeconds: Int) async throws(PGError) -> [ClaimedCandidate] {
        try await pool.withConnection { c throws(PGError) in
            try await c.query("""
                WITH RECURSIVE due_tenants AS (
                    (SELECT tenant_id FROM scoring_queue WHERE next_attempt_at <= now() ORDER BY tenant_id LIMIT 1)
                    UNION ALL
                    SELECT (SELECT q.tenant_id FROM scoring_queue q
                            WHERE q.tenant_id > d.tenant_id AND q.next_attempt_at <= now()
                            ORDER BY q.tenant_id LIMIT 1)
                    FROM due_tenants d WHERE d.tenant_id IS NOT NULL),
                weighted AS (
                    SELECT d.tenant_id, coalesce(t.weight, 1) AS weight FROM due_tenants d
                    LEFT JOIN tenants t ON t.id = d.tenant_id WHERE d.tenant_id IS NOT NULL),
                total AS (SELECT sum(weight)::float8 AS weight FROM weighted),
                due AS (
                    SELECT x.job_id, x.document_id
                    FROM weighted w CROSS JOIN total
                    CROSS JOIN LATERAL (
                        SELECT o.job_id, o.document_id, o.next_attempt_at,
                               row_number() OVER (ORDER BY o.next_attempt_at) AS turn
                        FROM (SELECT q.job_id, q.document_id, q.next_attempt_at FROM scoring_queue q
                              WHERE q.tenant_id = w.tenant_id AND q.next_attempt_at <= now()
                              ORDER BY q.next_attempt_at
                              LIMIT least($2::integer, ceil($2::integer * w.weight / total.weight)::integer + 1)
                              FOR UPDATE SKIP LOCKED) o) x
                    ORDER BY x.turn::float8 / w.weight, x.next_attempt_at
                    LIMIT $2::integer)
                UPDATE scoring_queue q SET claim = $1::uuid, attempts = q.attempts + 1,
                       next_attempt_at = now() + make_interval(secs => $3::integer)
                FROM due
                WHERE q.job_id = due.job_id AND q.document_id = due.document_id
                RETURNING q.job_id::text, q.document_id::text, q.tenant_id::text, q.attempts
                """, [claim, String(limit), String(leaseSeconds)]).rows.compactMap { row in
                guard let job = row[0], let document = row[1], let tenant = row[2] else { return nil }
                return ClaimedCandidate(jobID: job, documentID: document, tenantID: tenant,
                                        attempts: Int(row[3] ?? "1") ?? 1)
            }
        }
    }

    /// The job and the documents to score it against, for claimed candidates of one tenant and job. The job is
    /// nil when it was deleted meanwhile (its queue rows went with it). A document absent was erased.
    public func inputs(job jobID: String, documents: [String], tenantID: String) async throws(PGError)
        -> (job: JobRecord?, documents: [CandidateInput])
    {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            guard let job = try await JobRecords.record(jobID, on: c) else { return (nil, []) }
            let rows = try await c.query("""
                SELECT d.id::text, d.status, coalesce(d.text, ''), d.parsed::text FROM documents d
                WHERE d.id IN (SELECT x::uuid FROM jsonb_array_elements_text($1::jsonb) AS x)
                """, [String(decoding: JSONText.strings(documents), as: UTF8.self)]).rows
            return (job, rows.compactMap { row in
                guard let id = row[0] else { return nil }
                return CandidateInput(documentID: id, status: row[1] ?? "", text: row[2] ?? "", parsed: row[3])
            })
        }
    }

    /// Writes outcomes of job `jobID` scored under `revision`, and takes their queue rows (those still under
    /// `claim`), in one transaction; then completes the runs that have nothing pending left. A candidate no
    /// longer pending, or gone (its job or document deleted), is not written: nothing is half written. A row
    /// whose claim was cleared meanwhile (the candidate was asked for again) stays queued and is scored again.
    /// Returns how many candidates were written and the runs completed.
    public func write(_ outcomes: [CandidateOutcome], job jobID: String, revision: Int, claim: String,
                      tenantID: String) async throws(PGError) -> (written: Int, completed: [CompletedRun])
    {
        guard !outcomes.isEmpty else { return (0, []) }
        var array: [UInt8] = [0x5B]
        for (n, outcome) in outcomes.enumerated() {
            if n > 0 { array.append(0x2C) }
            array += outcome.json.finished()
        }
        array.append(0x5D)
        let json = String(decoding: array, as: UTF8.self)
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            // The candidates first, then their queue rows: the order a request for them takes too (no deadlock).
            try await c.query("""
                SELECT 1 FROM job_scores WHERE job_id = $1::uuid
                  AND document_id IN (SELECT (x->>'document_id')::uuid FROM jsonb_array_elements($2::jsonb) AS x)
                ORDER BY document_id FOR UPDATE
                """, [jobID, json])
            let updated = try await c.query("""
                WITH o AS (
                    SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
                        document_id uuid, status text, score integer, sub_scores jsonb, reasons jsonb,
                        missing_skills jsonb, years real, scorer text, model text, prompt_tokens integer,
                        completion_tokens integer, cached_tokens integer, reasons_dropped integer,
                        reasons_reanchored integer, error_code text, error_detail text)),
                mine AS (
                    DELETE FROM scoring_queue q USING o
                    WHERE q.job_id = $2::uuid AND q.document_id = o.document_id AND q.claim = $4::uuid
                    RETURNING q.document_id)
                UPDATE job_scores s SET status = o.status, score = o.score, rank = coalesce(o.score, -1),
                    sub_scores = o.sub_scores, reasons = o.reasons, missing_skills = o.missing_skills,
                    years = o.years, scorer = o.scorer, model = o.model, prompt_tokens = o.prompt_tokens,
                    completion_tokens = o.completion_tokens, cached_tokens = o.cached_tokens,
                    reasons_dropped = o.reasons_dropped, reasons_reanchored = o.reasons_reanchored,
                    error_code = o.error_code, error_detail = o.error_detail, job_revision = $3::integer,
                    scored_at = now()
                FROM o JOIN mine ON mine.document_id = o.document_id
                WHERE s.job_id = $2::uuid AND s.document_id = o.document_id AND s.status = 'pending'
                RETURNING s.run_id::text
                """, [json, jobID, String(revision), claim])
            let runs = Set(updated.rows.compactMap { $0[0] })
            return (updated.rows.count, try await Self.complete(runs: Array(runs), on: c, tenantID: tenantID))
        }
    }

    /// Renews the leases of `candidates`, held under `claim` and still being scored (or waiting on an LLM that
    /// is away): a lease then runs out only when its engine stopped, so a claim counted again means a lost
    /// engine. Only those named: a row claimed under `claim` whose claim's answer was lost is not held by any
    /// round, and its lease must run out. Returns how many leases were renewed.
    @discardableResult
    public func renew(_ candidates: [ClaimedCandidate], claim: String, leaseSeconds: Int) async throws(PGError) -> Int {
        guard !candidates.isEmpty else { return 0 }
        var pairs: [UInt8] = [0x5B]
        for (n, candidate) in candidates.enumerated() {
            if n > 0 { pairs.append(0x2C) }
            pairs += JSONText.strings([candidate.jobID, candidate.documentID])
        }
        pairs.append(0x5D)
        return try await pool.withConnection { c throws(PGError) in
            try await c.query("""
                UPDATE scoring_queue SET next_attempt_at = now() + make_interval(secs => $2::integer)
                WHERE claim = $1::uuid
                  AND (job_id, document_id) IN (SELECT (x->>0)::uuid, (x->>1)::uuid FROM jsonb_array_elements($3::jsonb) AS x)
                """, [claim, String(leaseSeconds), String(decoding: pairs, as: UTF8.self)]).affectedRows
        }
    }

    /// Gives claimed candidates back after a failure that another try may mend (the database, the LLM away):
    /// due again after `delaySeconds`. `counted: false` takes the claim back from the attempts too (the scoring
    /// was cancelled: the engine stopping says nothing about the candidate).
    public func release(_ candidates: [ClaimedCandidate], claim: String, delaySeconds: Int,
                        counted: Bool = true) async throws(PGError) {
        guard !candidates.isEmpty else { return }
        try await pool.withConnection { c throws(PGError) in
            for (job, group) in Dictionary(grouping: candidates, by: \.jobID) {
                try await c.query("""
                    UPDATE scoring_queue SET claim = NULL, next_attempt_at = now() + make_interval(secs => $3::integer),
                           attempts = greatest(0, attempts - $5::integer)
                    WHERE job_id = $1::uuid AND claim = $4::uuid
                      AND document_id IN (SELECT x::uuid FROM jsonb_array_elements_text($2::jsonb) AS x)
                    """, [job, String(decoding: JSONText.strings(group.map(\.documentID)), as: UTF8.self),
                          String(delaySeconds), claim, counted ? "0" : "1"])
            }
        }
    }

    /// Runs of tenant `tenantID` still open or not yet announced, checked now (a run following a batch that
    /// completed since, a completion whose announcement was lost in a crash): those complete and unannounced.
    public func unannounced(tenantID: String) async throws(PGError) -> [CompletedRun] {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            // Open runs following a batch that completed: what ``batchCompleted(_:tenantID:)`` does, made up
            // for an engine that stopped before it.
            try await c.query(JobSQL.batchCandidates(items: """
                (SELECT i.batch_id, i.tenant_id, i.content_sha256 FROM batch_items i
                 WHERE i.batch_id IN (SELECT r.batch_id FROM scoring_runs r JOIN batches b ON b.id = r.batch_id
                                      WHERE r.completed_at IS NULL AND b.completed_at IS NOT NULL))
                """))
            let open = try await c.query("""
                SELECT id::text FROM scoring_runs WHERE announced_at IS NULL AND completed_at IS NULL
                ORDER BY created_at DESC LIMIT 1000
                """).rows.compactMap { $0[0] }
            let now = try await Self.complete(runs: open, on: c, tenantID: tenantID)
            return now + (try await c.query("""
                SELECT r.id::text, r.callback_url, \(JobSQL.runJSON) FROM scoring_runs r
                WHERE r.announced_at IS NULL AND r.completed_at IS NOT NULL AND r.completed_at < now() - interval '30 seconds'
                LIMIT 100
                """).rows.compactMap { row in
                guard let id = row[0] else { return nil }
                return CompletedRun(id: id, tenantID: tenantID, callbackURL: row[1], summary: Array((row[2] ?? "{}").utf8))
            })
        }
    }

    /// Completes the runs among `runs` (of tenant `tenantID`) that can (e.g. one whose candidates all failed
    /// `not_parsed` at the request, which no worker writes).
    public func complete(runs: [String], tenantID: String) async throws(PGError) -> [CompletedRun] {
        guard !runs.isEmpty else { return [] }
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            try await Self.complete(runs: runs, on: c, tenantID: tenantID)
        }
    }

    /// Notes that run `id`'s completion was announced (its webhook queued, or none to send).
    public func announced(_ id: String, tenantID: String) async throws(PGError) {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("UPDATE scoring_runs SET announced_at = now() WHERE id = $1::uuid AND announced_at IS NULL", [id])
        }
    }

    /// Completes the open runs that follow batch `batchID` (it just completed), when nothing of theirs is pending.
    public func batchCompleted(_ batchID: String, tenantID: String) async throws(PGError) -> [CompletedRun] {
        guard DocumentID(batchID) != nil else { return [] }
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            // Items whose document never passed through the Sink (reused from a stored result) become
            // candidates now; they are pending, so their runs complete once they are scored.
            try await c.query(JobSQL.batchCandidates(
                items: "(SELECT batch_id, tenant_id, content_sha256 FROM batch_items WHERE batch_id = $1::uuid)"),
                [batchID])
            let runs = try await c.query("""
                SELECT id::text FROM scoring_runs WHERE batch_id = $1::uuid AND completed_at IS NULL
                """, [batchID]).rows.compactMap { $0[0] }
            return try await Self.complete(runs: runs, on: c, tenantID: tenantID)
        }
    }

    /// Candidates still queued, and of those claimed under a lease (for `/metrics` and the tests).
    public func depth() async throws(PGError) -> (queued: Int, leased: Int) {
        try await pool.withConnection { c throws(PGError) in
            let row = try await c.query("""
                SELECT count(*), count(*) FILTER (WHERE claim IS NOT NULL AND next_attempt_at > now()) FROM scoring_queue
                """).rows.first
            return (Int(row?[0] ?? "0") ?? 0, Int(row?[1] ?? "0") ?? 0)
        }
    }

    static func complete(runs: [String], on c: PGConnection, tenantID: String) async throws(PGError) -> [CompletedRun] {
        guard !runs.isEmpty else { return [] }
        let list = String(decoding: JSONText.strings(runs), as: UTF8.self)
        // Two writers finishing a run's last candidates at once would each see the other's as pending: the run
        // rows are locked first, so the second waits and then sees the first's committed.
        try await c.query("""
            SELECT 1 FROM scoring_runs WHERE id IN (SELECT x::uuid FROM jsonb_array_elements_text($1::jsonb) AS x)
            ORDER BY id FOR NO KEY UPDATE
            """, [list])
        return try await c.query("""
            UPDATE scoring_runs r SET completed_at = now()
            WHERE r.id IN (SELECT x::uuid FROM jsonb_array_elements_text($1::jsonb) AS x) AND r.completed_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM job_scores s WHERE s.run_id = r.id AND s.status = 'pending')
              AND (r.batch_id IS NULL OR EXISTS (SELECT 1 FROM batches b WHERE b.id = r.batch_id
                                                   AND b.completed_at IS NOT NULL))
            RETURNING r.id::text, r.callback_url, \(JobSQL.runJSON)
            """, [list]).rows.compactMap { row in
            guard let id = row[0] else { return nil }
            return CompletedRun(id: id, tenantID: tenantID, callbackURL: row[1], summary: Array((row[2] ?? "{}").utf8))
        }
    }
}
