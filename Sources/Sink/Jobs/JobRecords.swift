import Foundation
import Loop

/// A job's fields as a request gives them, already checked by the caller (`Pipeline`'s ``JobRequest``). For
/// a change (`PATCH`), nil leaves a field as it is and `cleared` names the optional ones set to null.
public struct JobFields: Sendable, Equatable {
    public var title: String?
    public var description: String?
    public var requiredSkills: [String]?
    public var niceSkills: [String]?
    public var minYears: Double?
    public var education: String?
    public var location: String?
    /// Where the description came from when it was a file (`{"filename", "detected_type", "extractor"}`).
    public var source: [UInt8]?
    /// Optional fields set to null by a change: `min_years`, `education`, `location`.
    public var cleared: Set<String> = []

    public init(title: String? = nil, description: String? = nil, requiredSkills: [String]? = nil,
                niceSkills: [String]? = nil, minYears: Double? = nil, education: String? = nil,
                location: String? = nil, source: [UInt8]? = nil) {
        self.title = title
        self.description = description
        self.requiredSkills = requiredSkills
        self.niceSkills = niceSkills
        self.minYears = minYears
        self.education = education
        self.location = location
        self.source = source
    }
}

/// A job as the scorers read it.
public struct JobRecord: Sendable, Equatable {
    public var id: String
    public var title: String
    public var description: String
    public var requiredSkills: [String]
    public var niceSkills: [String]
    public var minYears: Double?
    public var education: String?
    public var location: String?
    public var revision: Int
}

/// Which documents a scoring request names.
public enum ScoringSelection: Sendable, Equatable {
    /// A batch's documents: those final now, and those still to come (the run stays open until the batch
    /// completes). Documents that failed become candidates failed `not_parsed`.
    case batch(String)
    /// Documents by id (a document's id or a batch item's, as the results API shows either).
    case documents([String])
    /// Every parsed document of the tenant.
    case allParsed
}

/// What a scoring request started.
public struct ScoringRequestOutcome: Sendable, Equatable {
    public var runID: String
    /// Candidates the request made (or made pending again), and of those failed at once (`not_parsed`).
    public var requested: Int
    public var notParsed: Int
    /// Ids given that name nothing of the tenant's, and items whose document is not written yet.
    public var notFound: [String]
    public var notReady: [String]
}

/// Jobs, scoring requests and the ranked candidates, each call one transaction with the tenant set: row-level
/// security keeps every tenant to its own jobs (a job of another tenant is not found). JSON is built by
/// PostgreSQL, as ``TenantReads`` does.
@LoopActor
public final class JobRecords {
    private let pool: SidePool

    public init(pool: SidePool) { self.pool = pool }

    static let jobJSON = """
        json_build_object('id', j.id, 'title', j.title, 'description', j.description,
            'required_skills', j.required_skills, 'nice_to_have_skills', j.nice_skills, 'min_years', j.min_years,
            'education', j.education, 'location', j.location, 'source', j.source, 'revision', j.revision,
            'created_at', j.created_at, 'updated_at', j.updated_at,
            'candidates', (SELECT json_build_object(
                'total', count(*), 'pending', count(*) FILTER (WHERE s.status = 'pending'),
                'scored', count(*) FILTER (WHERE s.status = 'scored'),
                'failed', count(*) FILTER (WHERE s.status = 'failed'))
                FROM job_scores s WHERE s.job_id = j.id))::text
        """

    /// Creates a job; its JSON. `fields.title` and `fields.description` must be set.
    public func create(_ fields: JobFields, tenantID: String) async throws(PGError) -> [UInt8] {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            let id = try await c.query("""
                INSERT INTO jobs (tenant_id, title, description, required_skills, nice_skills, min_years, education,
                                  location, source)
                VALUES (current_tenant(), $1, $2, ARRAY(SELECT jsonb_array_elements_text($3::jsonb)),
                        ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), $5::real, $6, $7, $8::jsonb)
                RETURNING id::text
                """, Self.parameters(fields)).scalar
            return try await Self.read(id ?? "", on: c) ?? []
        }
    }

    /// A job's JSON; nil when the tenant has none by that id.
    public func job(_ id: String, tenantID: String) async throws(PGError) -> [UInt8]? {
        guard DocumentID(id) != nil else { return nil }
        return try await pool.inTenant(tenantID) { c throws(PGError) in try await Self.read(id, on: c) }
    }

    /// Whether the tenant has job `id`.
    public func exists(_ id: String, tenantID: String) async throws(PGError) -> Bool {
        guard DocumentID(id) != nil else { return false }
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("SELECT 1 FROM jobs WHERE id = $1::uuid", [id]).rows.count == 1
        }
    }

    /// A job as the scorers read it; nil when the tenant has none by that id.
    public func record(_ id: String, tenantID: String) async throws(PGError) -> JobRecord? {
        guard DocumentID(id) != nil else { return nil }
        return try await pool.inTenant(tenantID) { c throws(PGError) in try await Self.record(id, on: c) }
    }

    /// One page of the tenant's jobs, newest first, after job `after`; with the last id when the page is full.
    public func list(tenantID: String, after: String?, limit: Int) async throws(PGError) -> (json: [UInt8], last: String?) {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            let rows = try await c.query("""
                SELECT j.id::text, \(Self.jobJSON) FROM jobs j
                WHERE $1::uuid IS NULL
                   OR (j.created_at, j.id) < (SELECT created_at, id FROM jobs WHERE id = $1::uuid)
                ORDER BY j.created_at DESC, j.id DESC LIMIT $2::integer
                """, [after, String(limit)]).rows
            var json: [UInt8] = [0x5B]
            for (n, row) in rows.enumerated() {
                if n > 0 { json.append(0x2C) }
                json += Array((row[1] ?? "null").utf8)
            }
            json.append(0x5D)
            return (json, rows.count == limit ? rows.last?[0] : nil)
        }
    }

    /// Changes a job: the fields given, `revision` one up (scores made before then read `stale`). Its JSON;
    /// nil when the tenant has no such job.
    public func update(_ id: String, _ fields: JobFields, tenantID: String) async throws(PGError) -> [UInt8]? {
        guard DocumentID(id) != nil else { return nil }
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            let changed = try await c.query("""
                UPDATE jobs SET title = coalesce($1, title), description = coalesce($2, description),
                    required_skills = CASE WHEN $3::jsonb IS NULL THEN required_skills
                                           ELSE ARRAY(SELECT jsonb_array_elements_text($3::jsonb)) END,
                    nice_skills = CASE WHEN $4::jsonb IS NULL THEN nice_skills
                                       ELSE ARRAY(SELECT jsonb_array_elements_text($4::jsonb)) END,
                    min_years = CASE WHEN $10::boolean THEN NULL ELSE coalesce($5::real, min_years) END,
                    education = CASE WHEN $11::boolean THEN NULL ELSE coalesce($6, education) END,
                    location = CASE WHEN $12::boolean THEN NULL ELSE coalesce($7, location) END,
                    source = CASE WHEN $2 IS NOT NULL THEN $8::jsonb ELSE source END,
                    revision = revision + 1, updated_at = now()
                WHERE id = $9::uuid
                """, Self.parameters(fields) + [id, String(fields.cleared.contains("min_years")),
                                                 String(fields.cleared.contains("education")),
                                                 String(fields.cleared.contains("location"))])
            guard changed.affectedRows == 1 else { return nil }
            return try await Self.read(id, on: c)
        }
    }

    /// Deletes a job with its candidates, runs and queued work. False when the tenant has no such job.
    public func delete(_ id: String, tenantID: String) async throws(PGError) -> Bool {
        guard DocumentID(id) != nil else { return false }
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("DELETE FROM jobs WHERE id = $1::uuid", [id]).affectedRows == 1
        }
    }

    /// Starts scoring `selection` for job `jobID`: a run, a candidate per document (`pending`, or `failed`
    /// `not_parsed` for a document that failed; a candidate already there is made pending again and keeps its
    /// last score until rescored), and the queue rows the workers take, in one transaction. Nil when the tenant
    /// has no such job; `.batch` of a batch the tenant does not have answers nil too, through `batchFound`.
    public func requestScoring(job jobID: String, _ selection: ScoringSelection, callbackURL: String?,
                               tenantID: String) async throws(PGError) -> (outcome: ScoringRequestOutcome?, batchFound: Bool)
    {
        guard DocumentID(jobID) != nil else { return (nil, true) }
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            guard try await c.query("SELECT 1 FROM jobs WHERE id = $1::uuid FOR SHARE", [jobID]).rows.count == 1 else {
                return (nil, true)
            }
            let chosen: String
            var parameters: [String?] = [jobID, callbackURL]
            var batchID: String?
            var notFound: [String] = []
            var notReady: [String] = []
            switch selection {
            case .batch(let id):
                // `FOR SHARE` waits for a Sink transaction writing the batch's documents (it holds the batch
                // row `FOR NO KEY UPDATE` to recount it): its documents are then seen here, or its own step
                // sees this run. Without it, a document committed in between would be neither.
                guard DocumentID(id) != nil,
                      try await c.query("SELECT 1 FROM batches WHERE id = $1::uuid FOR SHARE", [id]).rows.count == 1
                else { return (nil, false) }
                batchID = id
                parameters.append(id)
                chosen = """
                    SELECT DISTINCT d.id, d.status FROM batch_items i
                    JOIN documents d ON d.tenant_id = i.tenant_id AND d.content_sha256 = i.content_sha256
                    WHERE i.batch_id = $3::uuid AND d.status IN ('parsed', 'failed')
                    """
            case .documents(let ids):
                let valid = ids.filter { DocumentID($0) != nil }
                let array = JSONText.strings(valid)
                parameters.append(String(decoding: array, as: UTF8.self))
                let known = try await c.query("""
                    SELECT x.id, d.id IS NOT NULL OR i.id IS NOT NULL, coalesce(d.id, di.id) IS NOT NULL
                    FROM jsonb_array_elements_text($1::jsonb) AS x(id)
                    LEFT JOIN documents d ON d.id = x.id::uuid
                    LEFT JOIN batch_items i ON i.id = x.id::uuid
                    LEFT JOIN documents di ON di.tenant_id = i.tenant_id AND di.content_sha256 = i.content_sha256
                    """, [parameters[2]]).rows
                let found = Set(known.filter { $0[1] == "t" }.compactMap { $0[0] })
                notFound = ids.filter { !found.contains($0) }
                notReady = known.filter { $0[1] == "t" && $0[2] == "f" }.compactMap { $0[0] }
                chosen = """
                    SELECT d.id, d.status FROM documents d
                    WHERE d.id IN (SELECT x::uuid FROM jsonb_array_elements_text($3::jsonb) AS x)
                      AND d.status IN ('parsed', 'failed')
                    UNION
                    SELECT d.id, d.status FROM batch_items i
                    JOIN documents d ON d.tenant_id = i.tenant_id AND d.content_sha256 = i.content_sha256
                    WHERE i.id IN (SELECT x::uuid FROM jsonb_array_elements_text($3::jsonb) AS x)
                      AND d.status IN ('parsed', 'failed')
                    """
            case .allParsed:
                chosen = "SELECT d.id, d.status FROM documents d WHERE d.status = 'parsed'"
            }
            let run = batchID == nil ? """
                INSERT INTO scoring_runs (tenant_id, job_id, callback_url) VALUES (current_tenant(), $1::uuid, $2)
                RETURNING id
                """ : """
                INSERT INTO scoring_runs (tenant_id, job_id, batch_id, callback_url)
                VALUES (current_tenant(), $1::uuid, $3::uuid, $2)
                ON CONFLICT (job_id, batch_id) WHERE batch_id IS NOT NULL DO UPDATE
                    SET callback_url = excluded.callback_url, completed_at = NULL, announced_at = NULL, created_at = now()
                RETURNING id
                """
            let row = try await c.query("""
                WITH chosen AS (\(chosen)),
                run AS (\(run)),
                made AS (\(JobSQL.candidates(from: "chosen", job: "$1::uuid", run: "(SELECT id FROM run)", restart: true))),
                queued AS (\(JobSQL.queue(from: "made")))
                SELECT (SELECT id::text FROM run), count(*), count(*) FILTER (WHERE status = 'failed'),
                       (SELECT count(*) FROM queued)
                FROM made
                """, parameters).rows.first
            let runID = row?[0] ?? ""
            let requested = Int(row?[1] ?? "0") ?? 0
            try await c.query("UPDATE scoring_runs SET requested = $2::integer WHERE id = $1::uuid",
                              [runID, String(requested)])
            return (ScoringRequestOutcome(runID: runID, requested: requested, notParsed: Int(row?[2] ?? "0") ?? 0,
                                          notFound: notFound, notReady: notReady), true)
        }
    }

    /// A run's JSON (`run_id`, `job_id`, `batch_id`, counts by status, `completed`); nil when not the tenant's.
    public func run(_ id: String, tenantID: String) async throws(PGError) -> [UInt8]? {
        guard DocumentID(id) != nil else { return nil }
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("SELECT \(JobSQL.runJSON) FROM scoring_runs r WHERE r.id = $1::uuid", [id])
                .scalar.map { Array($0.utf8) }
        }
    }

    /// A cursor into a ranked list: the rank (the score, -1 without one) and the document id of the last row.
    public struct RankCursor: Sendable, Equatable, CustomStringConvertible {
        public var rank: Int
        public var documentID: String

        public init?(_ text: String) {
            let parts = text.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, let rank = Int(parts[0]), (-1...100).contains(rank), DocumentID(String(parts[1])) != nil
            else { return nil }
            self.rank = rank
            documentID = String(parts[1])
        }

        public var description: String { "\(rank)_\(documentID)" }
    }

    /// One page of job `jobID`'s candidates, best first (the score, then the document id), after `cursor`,
    /// filtered by minimum score and status; one JSON object per candidate, with the next cursor when the page
    /// is full. Nil when the tenant has no such job.
    public func candidates(job jobID: String, tenantID: String, minScore: Int?, status: String?, after: RankCursor?,
                           limit: Int) async throws(PGError) -> (rows: [[UInt8]], next: RankCursor?)?
    {
        guard DocumentID(jobID) != nil else { return nil }
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            guard try await c.query("SELECT 1 FROM jobs WHERE id = $1::uuid", [jobID]).rows.count == 1 else { return nil }
            let rows = try await c.query("""
                SELECT s.rank::text || '_' || s.document_id::text, json_build_object(
                    'document_id', s.document_id, 'status', s.status, 'score', s.score, 'sub_scores', s.sub_scores,
                    'reasons', coalesce(s.reasons, '[]'::jsonb), 'missing_skills', coalesce(s.missing_skills, '[]'::jsonb),
                    'years', s.years, 'stale', s.score IS NOT NULL AND s.job_revision IS DISTINCT FROM j.revision,
                    'scorer', s.scorer, 'model', s.model,
                    'tokens', CASE WHEN s.prompt_tokens IS NOT NULL THEN json_build_object('prompt', s.prompt_tokens,
                        'completion', s.completion_tokens, 'cached', s.cached_tokens) END,
                    'reasons_dropped', s.reasons_dropped, 'reasons_reanchored', s.reasons_reanchored,
                    'error', CASE WHEN s.error_code IS NOT NULL
                                  THEN json_build_object('code', s.error_code, 'detail', s.error_detail) END,
                    'name', d.parsed #>> '{basics,name}', 'email', d.parsed #>> '{basics,email}',
                    'filename', d.filename, 'batch_id', d.batch_id, 'run_id', s.run_id,
                    'requested_at', s.requested_at, 'scored_at', s.scored_at)::text
                FROM job_scores s
                JOIN jobs j ON j.id = s.job_id
                JOIN documents d ON d.id = s.document_id
                WHERE s.job_id = $1::uuid AND ($2::integer IS NULL OR s.score >= $2::integer)
                  AND ($3::text IS NULL OR s.status = $3)
                  AND ($4::integer IS NULL OR (s.rank <= $4::integer
                       AND (s.rank < $4::integer OR (s.rank = $4::integer AND s.document_id > $5::uuid))))
                ORDER BY s.rank DESC, s.document_id LIMIT $6::integer
                """, [jobID, minScore.map(String.init), status, after.map { String($0.rank) }, after?.documentID,
                      String(limit)]).rows
            let next = rows.count == limit ? rows.last?[0].flatMap(RankCursor.init) : nil
            return (rows.map { Array(($0[1] ?? "null").utf8) }, next)
        }
    }

    /// One candidate with the resume's stored text (for the dashboard's highlighted quotes); nil when either is
    /// not the tenant's.
    public func candidate(job jobID: String, document documentID: String, tenantID: String) async throws(PGError) -> [UInt8]? {
        guard DocumentID(jobID) != nil, DocumentID(documentID) != nil else { return nil }
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("""
                SELECT json_build_object('document_id', s.document_id, 'status', s.status, 'score', s.score,
                    'sub_scores', s.sub_scores, 'reasons', coalesce(s.reasons, '[]'::jsonb),
                    'missing_skills', coalesce(s.missing_skills, '[]'::jsonb), 'years', s.years,
                    'stale', s.score IS NOT NULL AND s.job_revision IS DISTINCT FROM j.revision,
                    'error', CASE WHEN s.error_code IS NOT NULL
                                  THEN json_build_object('code', s.error_code, 'detail', s.error_detail) END,
                    'name', d.parsed #>> '{basics,name}', 'filename', d.filename, 'text', d.text)::text
                FROM job_scores s JOIN jobs j ON j.id = s.job_id JOIN documents d ON d.id = s.document_id
                WHERE s.job_id = $1::uuid AND s.document_id = $2::uuid
                """, [jobID, documentID]).scalar.map { Array($0.utf8) }
        }
    }

    // MARK: Statements

    static func read(_ id: String, on c: PGConnection) async throws(PGError) -> [UInt8]? {
        try await c.query("SELECT \(jobJSON) FROM jobs j WHERE j.id = $1::uuid", [id]).scalar.map { Array($0.utf8) }
    }

    static func record(_ id: String, on c: PGConnection) async throws(PGError) -> JobRecord? {
        guard let row = try await c.query("""
            SELECT id::text, title, description, to_json(required_skills)::text, to_json(nice_skills)::text,
                   min_years::text, education, location, revision::text
            FROM jobs WHERE id = $1::uuid
            """, [id]).rows.first else { return nil }
        func strings(_ text: String?) -> [String] {
            (text.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String]) ?? []
        }
        return JobRecord(id: row[0] ?? id, title: row[1] ?? "", description: row[2] ?? "",
                         requiredSkills: strings(row[3]), niceSkills: strings(row[4]),
                         minYears: row[5].flatMap(Double.init), education: row[6], location: row[7],
                         revision: Int(row[8] ?? "1") ?? 1)
    }

    private static func parameters(_ f: JobFields) -> [String?] {
        [f.title.map(Sanitizer.text), f.description.map(Sanitizer.text),
         f.requiredSkills.map { String(decoding: JSONText.strings($0.map(Sanitizer.text)), as: UTF8.self) },
         f.niceSkills.map { String(decoding: JSONText.strings($0.map(Sanitizer.text)), as: UTF8.self) },
         f.minYears.map { String($0) }, f.education, f.location.map(Sanitizer.text),
         f.source.map { String(decoding: $0, as: UTF8.self) }]
    }
}

/// Statements the job records, the Sink's upsert and the seal share.
enum JobSQL {
    /// Inserts candidates of job `job` in run `run` for the documents `(id, status)` of relation `source`:
    /// `pending` for a parsed one, `failed` `not_parsed` for one that failed. `restart`: a candidate already
    /// there is made pending again (a new request). Else (a batch naming the job: the same content uploaded
    /// again) one already there with its outcome joins the run if it is newer, as it is (a pending one stays in
    /// its run, and with its worker's claim), and is scored again only when it failed
    /// `not_parsed` and its document is parsed now (a retry of the document succeeded) or its outcome is older
    /// than the job's revision: a current score is not made twice, and the run counts every document of its
    /// batch. Returns
    /// `(job_id, document_id, tenant_id, status)` of the rows made or changed.
    static func candidates(from source: String, job: String, run: String, restart: Bool) -> String {
        let conflict = restart ? """
            DO UPDATE SET status = excluded.status, run_id = excluded.run_id, error_code = excluded.error_code,
                error_detail = excluded.error_detail, requested_at = now(),
                scored_at = CASE WHEN excluded.status = 'failed' THEN now() ELSE js.scored_at END
            """ : {
                // Scored again: a document that failed and is parsed now, or a score older than the job.
                let again = """
                    (excluded.status = 'pending' AND ((js.status = 'failed' AND js.error_code = 'not_parsed')
                        OR (js.status <> 'pending' AND js.job_revision < (SELECT j.revision FROM jobs j WHERE j.id = js.job_id))))
                    """
                // Only into a newer run (batches of one job may be read in either order), and only a candidate
                // with its outcome: a pending one stays where it is, so that a worker scoring it keeps its claim.
                let newer = """
                    (js.status <> 'pending' AND js.run_id IS DISTINCT FROM excluded.run_id
                     AND (SELECT r.created_at FROM scoring_runs r WHERE r.id = excluded.run_id)
                         >= coalesce((SELECT r.created_at FROM scoring_runs r WHERE r.id = js.run_id), '-infinity'))
                    """
                return """
                    DO UPDATE SET run_id = CASE WHEN \(newer) THEN excluded.run_id ELSE js.run_id END,
                        status = CASE WHEN \(again) THEN 'pending' ELSE js.status END,
                        error_code = CASE WHEN \(again) THEN NULL ELSE js.error_code END,
                        error_detail = CASE WHEN \(again) THEN NULL ELSE js.error_detail END,
                        requested_at = CASE WHEN \(again) THEN now() ELSE js.requested_at END
                    WHERE \(newer) OR \(again)
                    """
            }()
        return """
            INSERT INTO job_scores AS js (tenant_id, job_id, document_id, run_id, status, error_code, error_detail, scored_at)
            SELECT current_tenant(), \(job), src.id, \(run),
                   CASE WHEN src.status = 'parsed' THEN 'pending' ELSE 'failed' END,
                   CASE WHEN src.status = 'parsed' THEN NULL ELSE 'not_parsed' END,
                   CASE WHEN src.status = 'parsed' THEN NULL
                        ELSE 'the document failed before it was parsed; there is nothing to score' END,
                   CASE WHEN src.status = 'parsed' THEN NULL ELSE now() END
            FROM \(source) src
            ON CONFLICT (job_id, document_id) \(conflict)
            RETURNING js.job_id, js.document_id, js.tenant_id, js.status
            """
    }

    /// Queues the pending rows of relation `made` (``candidates(from:job:run:restart:)``'s result) for the
    /// workers; a row already queued is due again at once, with its claim cleared (a worker holding it then
    /// leaves it: the candidate is scored again, under the request that came last).
    static func queue(from made: String) -> String {
        """
        INSERT INTO scoring_queue (job_id, document_id, tenant_id)
        SELECT job_id, document_id, tenant_id FROM \(made) WHERE status = 'pending'
        ON CONFLICT (job_id, document_id) DO UPDATE SET next_attempt_at = now(), claim = NULL, attempts = 0
        RETURNING 1
        """
    }

    /// Candidates for the runs that follow a batch, from the documents of the batch items in relation `items`
    /// (`batch_id`, `tenant_id`, `content_sha256`) whose rows are final: what the Sink's upsert and a seal run.
    ///
    /// The runs' jobs and the documents are locked `FOR KEY SHARE` first: a job or document deleted at the same
    /// moment is waited for and then skipped, rather than failing the foreign keys of the rows written here
    /// (which would fail the whole statement, and with it the Sink's flush of good documents).
    static func batchCandidates(items: String) -> String {
        """
        WITH it AS \(items),
        runs AS (
            SELECT r.id, r.job_id, r.batch_id, r.created_at FROM scoring_runs r JOIN jobs j ON j.id = r.job_id
            WHERE r.batch_id IN (SELECT batch_id FROM it)
            FOR KEY SHARE OF j, r),
        docs AS (
            SELECT d.id, d.status, d.tenant_id, d.content_sha256 FROM documents d
            WHERE (d.tenant_id, d.content_sha256) IN (SELECT tenant_id, content_sha256 FROM it
                                                      WHERE batch_id IN (SELECT batch_id FROM runs))
              AND d.status IN ('parsed', 'failed')
            FOR KEY SHARE),
        due AS (
            SELECT DISTINCT ON (r.job_id, d.id) r.job_id, r.id AS run_id, d.id, d.status
            FROM it
            JOIN runs r ON r.batch_id = it.batch_id
            JOIN docs d ON d.tenant_id = it.tenant_id AND d.content_sha256 = it.content_sha256
            ORDER BY r.job_id, d.id, r.created_at DESC),
        made AS (\(candidates(from: "due", job: "src.job_id", run: "src.run_id", restart: false)))
        \(queue(from: "made"))
        """
    }

    /// A run as its webhook and the API show it.
    static let runJSON = """
        json_build_object('run_id', r.id, 'job_id', r.job_id, 'batch_id', r.batch_id, 'requested', r.requested,
            'created_at', r.created_at, 'completed', r.completed_at IS NOT NULL, 'completed_at', r.completed_at,
            'counts', (SELECT json_build_object('total', count(*),
                'pending', count(*) FILTER (WHERE s.status = 'pending'),
                'scored', count(*) FILTER (WHERE s.status = 'scored'),
                'failed', count(*) FILTER (WHERE s.status = 'failed'))
                FROM job_scores s WHERE s.run_id = r.id))::text
        """
}
