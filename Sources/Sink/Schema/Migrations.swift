import Foundation
import Loop

/// The database schema, as numbered migrations embedded in the binary. Applied at start-up (and by
/// `resume-ingest migrate`) under a session advisory lock, so engines starting at once apply each step once.
/// A migration is never edited once released: change the schema with a new one.
///
/// Tenant tables (`api_keys`, `batches`, `documents`) have row-level security, forced for their owner too:
/// a session sees and writes only the rows of the tenant named by `app.tenant_id`, which the Sink sets per
/// transaction (`set_config(…, true)`, i.e. `SET LOCAL`). `tenants` is the registry the tenant is looked up
/// in; `sink_rejects` keeps what the database refused even alone (a document never just disappears).
public enum Migrations {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    /// The advisory lock key (any constant the application owns: "resume-ingest" folded into 63 bits).
    public static let lockKey: Int64 = 0x7265_7375_6D65_696E

    public static let all: [Migration] = [
        Migration(version: 1, name: "tenants, api keys, batches, documents; row-level security", sql: """
            CREATE TABLE tenants (
                id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                slug        text NOT NULL UNIQUE CHECK (slug <> ''),
                name        text,
                created_at  timestamptz NOT NULL DEFAULT now()
            );
            INSERT INTO tenants (slug, name) VALUES ('default', 'Default tenant');

            CREATE TABLE api_keys (
                id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                tenant_id   uuid NOT NULL REFERENCES tenants (id),
                key_sha256  bytea NOT NULL UNIQUE CHECK (length(key_sha256) = 32),
                label       text,
                created_at  timestamptz NOT NULL DEFAULT now(),
                revoked_at  timestamptz
            );

            CREATE TABLE batches (
                id            uuid PRIMARY KEY,
                tenant_id     uuid NOT NULL REFERENCES tenants (id),
                callback_url  text,
                documents     integer NOT NULL DEFAULT 0,
                parsed        integer NOT NULL DEFAULT 0,
                failed        integer NOT NULL DEFAULT 0,
                created_at    timestamptz NOT NULL DEFAULT now(),
                updated_at    timestamptz NOT NULL DEFAULT now()
            );

            CREATE TABLE documents (
                id                 uuid PRIMARY KEY,
                tenant_id          uuid NOT NULL REFERENCES tenants (id),
                batch_id           uuid REFERENCES batches (id),
                content_sha256     bytea NOT NULL CHECK (length(content_sha256) = 32),
                filename           text,
                declared_type      text,
                detected_type      text,
                size_bytes         bigint NOT NULL CHECK (size_bytes >= 0),
                status             text NOT NULL CHECK (status IN ('queued', 'extracted', 'parsed', 'failed')),
                extractor          text,
                ocr_used           boolean,
                page_count         integer,
                text_chars         integer,
                text               text,
                parsed             jsonb,
                provider           text,
                model              text,
                prompt_tokens      integer,
                completion_tokens  integer,
                error_code         text,
                error_detail       text,
                warnings           jsonb,
                received_at        timestamptz NOT NULL,
                updated_at         timestamptz NOT NULL DEFAULT now(),
                UNIQUE (tenant_id, content_sha256)
            );
            CREATE INDEX documents_batch_id ON documents (batch_id);

            CREATE TABLE sink_rejects (
                document_id     text NOT NULL,
                tenant          text NOT NULL,
                content_sha256  text,
                error           text NOT NULL,
                rejected_at     timestamptz NOT NULL DEFAULT now()
            );

            CREATE FUNCTION current_tenant() RETURNS uuid LANGUAGE sql STABLE AS
                $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

            ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
            ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON api_keys
                USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
            ALTER TABLE batches ENABLE ROW LEVEL SECURITY;
            ALTER TABLE batches FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON batches
                USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
            ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
            ALTER TABLE documents FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON documents
                USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
            """),
        Migration(version: 2, name: "batch labels and origins", sql: """
            ALTER TABLE batches ADD COLUMN label text;
            ALTER TABLE batches ADD COLUMN origin text CHECK (origin IN ('upload', 'import'));
            """),
        // The engine's own bookkeeping, not tenant data (no text, no results): no row-level security, like
        // `sink_rejects`. A batch row stays as a record once finished; its document rows go.
        Migration(version: 3, name: "Batch API journal", sql: """
            CREATE TABLE llm_batches (
                batch_id       text PRIMARY KEY,
                input_file_id  text NOT NULL,
                provider       text NOT NULL,
                endpoint       text NOT NULL,
                model          text NOT NULL,
                created_at     timestamptz NOT NULL DEFAULT now(),
                finished_at    timestamptz
            );
            CREATE INDEX llm_batches_unfinished ON llm_batches (endpoint, model, created_at) WHERE finished_at IS NULL;
            CREATE TABLE llm_batch_documents (
                batch_id        text NOT NULL REFERENCES llm_batches (batch_id) ON DELETE CASCADE,
                custom_id       text NOT NULL,
                position        integer NOT NULL,
                document_id     text NOT NULL,
                tenant          text NOT NULL,
                content_sha256  text,
                characters      integer NOT NULL CHECK (characters >= 0),
                PRIMARY KEY (batch_id, custom_id, position)
            );
            """),
        // Adding nullable columns, or columns with a constant default, rewrites no table (PostgreSQL 11 on).
        // `cost_usd` is `numeric`, not `double precision`: sums over documents (a batch's, a tenant's month) are
        // exact and the same in any order, and read back as the decimals written. 8 decimals resolve a single
        // token at any price from 0.01 USD per million up (a cached token of gpt-4o-mini is 0.000000075 USD);
        // `numeric(12,8)` holds up to 9,999.99999999 USD per document (the Sink writes NULL beyond).
        // A batch's totals are recounted with its counters when its documents are written; batches written
        // before this migration show 0 until then.
        Migration(version: 4, name: "tokens and estimated cost per document and per batch", sql: """
            ALTER TABLE documents ADD COLUMN cached_tokens integer;
            ALTER TABLE documents ADD COLUMN cost_usd numeric(12,8);
            ALTER TABLE batches ADD COLUMN prompt_tokens bigint NOT NULL DEFAULT 0;
            ALTER TABLE batches ADD COLUMN completion_tokens bigint NOT NULL DEFAULT 0;
            ALTER TABLE batches ADD COLUMN cached_tokens bigint NOT NULL DEFAULT 0;
            ALTER TABLE batches ADD COLUMN cost_usd numeric(18,8) NOT NULL DEFAULT 0;
            """),
        // What a partner integrates against (issue 12).
        // - A tenant's limits and webhook; a key's shown prefix and last use.
        // - `key_lookup`: a session that names a key's SHA-256 in `app.key_lookup` sees that key's row, and no
        //   other, before it knows the tenant (authentication). Permissive policies are OR'ed.
        // - `batch_items`: one row per file a batch received, under the id its upload answered with. Several
        //   items may name one content (a re-upload): each resolves to the tenant's one `documents` row for it.
        //   Batch counters are counted from the items, so a re-upload counts in its own batch.
        // - `expected`/`sealed_at`: a batch knows all its items (an upload at once, an import once its archive
        //   is read); `completed_at` is set once, when every item has a final row (webhooks fire on it).
        // - `tenant_usage`: documents accepted per tenant and month, reserved atomically before an upload is
        //   acknowledged (the monthly limit holds across engines).
        // - `idempotency_keys`: the first answer to a request that carried `Idempotency-Key`.
        Migration(version: 5, name: "tenant limits, API keys lookup, batch items, usage, idempotency keys", sql: """
            ALTER TABLE tenants ADD COLUMN monthly_limit bigint CHECK (monthly_limit >= 0);
            ALTER TABLE tenants ADD COLUMN rate_per_second double precision CHECK (rate_per_second > 0);
            ALTER TABLE tenants ADD COLUMN weight integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 1000);
            ALTER TABLE tenants ADD COLUMN webhook_url text;
            ALTER TABLE tenants ADD COLUMN webhook_secret text;
            -- Set once a key is issued for the tenant, never unset: from then on the engine asks every request
            -- for credentials (revoking every key does not open it again).
            ALTER TABLE tenants ADD COLUMN keys_issued boolean NOT NULL DEFAULT false;
            ALTER TABLE api_keys ADD COLUMN prefix text;
            ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
            CREATE POLICY key_lookup ON api_keys FOR SELECT
                USING (key_sha256 = decode(nullif(current_setting('app.key_lookup', true), ''), 'hex'));

            ALTER TABLE batches ADD COLUMN expected integer CHECK (expected >= 0);
            ALTER TABLE batches ADD COLUMN sealed_at timestamptz;
            ALTER TABLE batches ADD COLUMN completed_at timestamptz;
            -- Set once the completion's webhook is queued (or there was none to send): a completion whose
            -- announcement was lost (a crash in between) is announced by the next sweep.
            ALTER TABLE batches ADD COLUMN announced_at timestamptz;

            CREATE TABLE batch_items (
                id              uuid PRIMARY KEY,
                tenant_id       uuid NOT NULL REFERENCES tenants (id),
                batch_id        uuid NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
                content_sha256  bytea NOT NULL CHECK (length(content_sha256) = 32),
                filename        text,
                declared_type   text,
                size_bytes      bigint NOT NULL CHECK (size_bytes >= 0),
                received_at     timestamptz NOT NULL
            );
            CREATE INDEX batch_items_batch ON batch_items (batch_id, id);
            CREATE INDEX batch_items_content ON batch_items (tenant_id, content_sha256);
            -- The rows written before: each document is its batch's item, and a batch knows its items. Row-level
            -- security is forced for the owner too, so it is lifted for the copy, inside this transaction.
            ALTER TABLE documents NO FORCE ROW LEVEL SECURITY;
            ALTER TABLE batches NO FORCE ROW LEVEL SECURITY;
            INSERT INTO batch_items (id, tenant_id, batch_id, content_sha256, filename, declared_type, size_bytes,
                                     received_at)
                SELECT id, tenant_id, batch_id, content_sha256, filename, declared_type, size_bytes, received_at
                FROM documents WHERE batch_id IS NOT NULL;
            -- Every batch written before knew all its documents: sealed with them; complete when all are done
            -- (and announced then: no webhook for what finished before webhooks existed).
            UPDATE batches SET expected = documents, sealed_at = updated_at;
            UPDATE batches SET completed_at = updated_at, announced_at = updated_at WHERE parsed + failed >= documents;
            ALTER TABLE documents FORCE ROW LEVEL SECURITY;
            ALTER TABLE batches FORCE ROW LEVEL SECURITY;

            -- A document erased through the API: copies received before `erased_at` and still in flight are
            -- not written back (the Sink drops them). The content's hash only, no text or name.
            CREATE TABLE erasures (
                tenant_id       uuid NOT NULL REFERENCES tenants (id),
                content_sha256  bytea NOT NULL CHECK (length(content_sha256) = 32),
                erased_at       timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (tenant_id, content_sha256)
            );

            CREATE TABLE tenant_usage (
                tenant_id  uuid NOT NULL REFERENCES tenants (id),
                month      date NOT NULL,
                documents  bigint NOT NULL DEFAULT 0 CHECK (documents >= 0),
                PRIMARY KEY (tenant_id, month)
            );

            CREATE TABLE idempotency_keys (
                tenant_id       uuid NOT NULL REFERENCES tenants (id),
                key             text NOT NULL,
                route           text NOT NULL,
                fingerprint     bytea,
                status          integer,
                response        bytea,
                created_at      timestamptz NOT NULL DEFAULT now(),
                expires_at      timestamptz NOT NULL,
                PRIMARY KEY (tenant_id, key)
            );
            CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

            ALTER TABLE batch_items ENABLE ROW LEVEL SECURITY;
            ALTER TABLE batch_items FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON batch_items
                USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
            ALTER TABLE erasures ENABLE ROW LEVEL SECURITY;
            ALTER TABLE erasures FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON erasures
                USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
            ALTER TABLE tenant_usage ENABLE ROW LEVEL SECURITY;
            ALTER TABLE tenant_usage FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON tenant_usage
                USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
            ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
            ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON idempotency_keys
                USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
            """),
        // Webhooks (issue 12 item 7): Standard Webhooks v1 messages, their attempts, and endpoints turned off.
        // - `webhook_deliveries`: one row per message (`id` is its `webhook-id`, the same on every attempt), the
        //   exact body signed, where it stands and why. Tenant data: row-level security like the other tenant tables.
        //   `endpoint` says which endpoint a 410 disables (the batch's callback, the tenant's webhook, or neither);
        //   `series_*` count the attempts of the current retry series (a replay starts a new one).
        // - `webhook_queue`: the deliveries still to attempt, for the dispatcher. It must find due rows across
        //   tenants while row-level security is forced on the log, so the queue is a table of its own without
        //   row-level security holding no tenant data (a message id, a tenant id, a time, a claim): an engine claims
        //   due rows with `FOR UPDATE SKIP LOCKED` (N engines share the work without waiting on each other),
        //   moving `next_attempt_at` to the end of a lease and setting `claim`, then reads the delivery with its
        //   tenant set and writes the outcome only while its claim holds. An engine that dies mid-attempt leaves a
        //   claim whose lease runs out, and the row is due again. Rejected: a BYPASSRLS role or a SECURITY DEFINER
        //   function owned by another role (deployments would need a second role with privileges to grant), and a
        //   query per tenant per poll.
        // - `tenants.webhook_disabled_at`, `batches.callback_disabled_at`: the endpoint answered 410 Gone; later
        //   messages for it are recorded `disabled` and not sent.
        Migration(version: 6, name: "webhook deliveries and their queue; disabled endpoints", sql: """
            ALTER TABLE tenants ADD COLUMN webhook_disabled_at timestamptz;
            ALTER TABLE batches ADD COLUMN callback_disabled_at timestamptz;

            CREATE TABLE webhook_deliveries (
                id                 text PRIMARY KEY CHECK (id LIKE 'msg\\_%'),
                tenant_id          uuid NOT NULL REFERENCES tenants (id),
                batch_id           uuid,
                endpoint           text NOT NULL CHECK (endpoint IN ('tenant', 'batch', 'other')),
                url                text NOT NULL,
                event_type         text NOT NULL,
                payload            bytea NOT NULL,
                status             text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'disabled')),
                attempts           integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                series_attempts    integer NOT NULL DEFAULT 0 CHECK (series_attempts >= 0),
                series_started_at  timestamptz,
                next_attempt_at    timestamptz,
                last_attempt_at    timestamptz,
                last_status        integer,
                last_error         text,
                created_at         timestamptz NOT NULL DEFAULT now(),
                delivered_at       timestamptz
            );
            CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
            CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant_id, created_at DESC, id DESC);
            CREATE INDEX webhook_deliveries_batch ON webhook_deliveries (batch_id) WHERE batch_id IS NOT NULL;
            ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
            ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON webhook_deliveries
                USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());

            CREATE TABLE webhook_queue (
                delivery_id      text PRIMARY KEY REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
                tenant_id        uuid NOT NULL,
                next_attempt_at  timestamptz NOT NULL,
                claim            uuid
            );
            CREATE INDEX webhook_queue_due ON webhook_queue (next_attempt_at);
            """),
        // Issue 13, confidence: the rules parser's trust in its reading of each document. Columns of their own
        // rather than keys inside `parsed` (which stays plain JSON Resume for the tools that read it): an importer
        // asks `WHERE parse_weak` (the partial index keeps that cheap however few rows are weak) or
        // `parse_scores->>'work' < '0.6'`. `parse_confidence` is the core score 0…1, `parse_scores` the scores by
        // field path (`basics.name`, `work`, `work[0]`…). NULL when the rules did not read the text (an LLM alone,
        // or a failure before the parser); kept beside `provider = 'openai'` when the LLM read a weak document
        // again (`--llm-when-unsure`). New columns of `documents`, so its row-level security covers them.
        Migration(version: 7, name: "parse confidence per document", sql: """
            ALTER TABLE documents ADD COLUMN parse_confidence real
                CHECK (parse_confidence >= 0 AND parse_confidence <= 1);
            ALTER TABLE documents ADD COLUMN parse_weak boolean;
            ALTER TABLE documents ADD COLUMN parse_scores jsonb;
            CREATE INDEX documents_parse_weak ON documents (tenant_id, updated_at) WHERE parse_weak;
            """),
        // Issue 15, jobs and candidate scoring.
        // - `jobs`: what a recruiter posted; `revision` counts edits, and a score made under an older revision
        //   says so (`stale`), rather than being silently recomputed or silently kept.
        // - `job_scores`: one row per (job, document), a candidate: `pending` until scored, then `scored` (score,
        //   sub-scores, reasons whose quotes were verified against the stored text) or `failed` with a code.
        //   The status lives here, not on `documents`: a document is a candidate of many jobs at once.
        //   `rank` is the ranking key (the score, -1 while it has none) so a ranked page is one index range.
        // - `scoring_runs`: one request to score (`POST /jobs/{id}/score`, or an upload that named the job):
        //   `completed_at` when none of its candidates is pending (its webhook fires then, like a batch's). A run
        //   with a `batch_id` also takes the batch's documents still to come: each becomes a candidate as its
        //   row is written (the Sink's upsert), and the run completes once the batch has too. One run per job
        //   and batch; scoring the batch again restarts it.
        // - `scoring_queue`: the candidates still to score, for the workers. Like `webhook_queue` it holds no
        //   tenant data (ids and times) and has no row-level security, so an engine claims due rows across
        //   tenants with `FOR UPDATE SKIP LOCKED` and a lease; a worker that dies leaves a lease that runs out.
        //   Rows are written in the transaction that makes a candidate pending, so after a crash or a restart
        //   the database alone says what is still to score.
        // Deleting a job deletes its candidates, runs and queue rows with it (ON DELETE CASCADE): a worker's
        // write for a job deleted meanwhile finds no row to update and writes nothing.
        Migration(version: 8, name: "jobs, candidates and their scores, scoring runs and queue", sql: """
            CREATE TABLE jobs (
                id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                tenant_id        uuid NOT NULL REFERENCES tenants (id),
                title            text NOT NULL CHECK (btrim(title) <> ''),
                description      text NOT NULL CHECK (btrim(description) <> ''),
                required_skills  text[] NOT NULL DEFAULT '{}',
                nice_skills      text[] NOT NULL DEFAULT '{}',
                min_years        real CHECK (min_years >= 0 AND min_years <= 80),
                education        text CHECK (education IN ('associate', 'bachelor', 'master', 'doctorate')),
                location         text,
                source           jsonb,
                revision         integer NOT NULL DEFAULT 1,
                created_at       timestamptz NOT NULL DEFAULT now(),
                updated_at       timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX jobs_tenant ON jobs (tenant_id, created_at DESC, id);

            CREATE TABLE scoring_runs (
                id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                tenant_id     uuid NOT NULL REFERENCES tenants (id),
                job_id        uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                batch_id      uuid,
                requested     integer NOT NULL DEFAULT 0 CHECK (requested >= 0),
                callback_url  text,
                created_at    timestamptz NOT NULL DEFAULT now(),
                completed_at  timestamptz,
                announced_at  timestamptz
            );
            CREATE INDEX scoring_runs_job ON scoring_runs (job_id, created_at DESC);
            CREATE INDEX scoring_runs_open ON scoring_runs (tenant_id) WHERE announced_at IS NULL;
            CREATE UNIQUE INDEX scoring_runs_job_batch ON scoring_runs (job_id, batch_id) WHERE batch_id IS NOT NULL;
            CREATE INDEX scoring_runs_batch ON scoring_runs (batch_id) WHERE batch_id IS NOT NULL;

            CREATE TABLE job_scores (
                tenant_id          uuid NOT NULL REFERENCES tenants (id),
                job_id             uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                document_id        uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
                run_id             uuid REFERENCES scoring_runs (id) ON DELETE SET NULL,
                status             text NOT NULL CHECK (status IN ('pending', 'scored', 'failed')),
                score              smallint CHECK (score BETWEEN 0 AND 100),
                rank               smallint NOT NULL DEFAULT -1,
                sub_scores         jsonb,
                reasons            jsonb,
                missing_skills     jsonb,
                years              real,
                scorer             text,
                model              text,
                prompt_tokens      integer,
                completion_tokens  integer,
                cached_tokens      integer,
                reasons_dropped    integer NOT NULL DEFAULT 0,
                reasons_reanchored integer NOT NULL DEFAULT 0,
                job_revision       integer,
                error_code         text,
                error_detail       text,
                requested_at       timestamptz NOT NULL DEFAULT now(),
                scored_at          timestamptz,
                PRIMARY KEY (job_id, document_id)
            );
            CREATE INDEX job_scores_ranked ON job_scores (job_id, rank DESC, document_id);
            CREATE INDEX job_scores_run ON job_scores (run_id) WHERE status = 'pending';
            CREATE INDEX job_scores_document ON job_scores (document_id);

            CREATE TABLE scoring_queue (
                job_id           uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                document_id      uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
                tenant_id        uuid NOT NULL,
                next_attempt_at  timestamptz NOT NULL DEFAULT now(),
                attempts         integer NOT NULL DEFAULT 0,
                claim            uuid,
                PRIMARY KEY (job_id, document_id)
            );
            CREATE INDEX scoring_queue_due ON scoring_queue (next_attempt_at);
            CREATE INDEX scoring_queue_document ON scoring_queue (document_id);

            ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
            ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON jobs
                USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
            ALTER TABLE scoring_runs ENABLE ROW LEVEL SECURITY;
            ALTER TABLE scoring_runs FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON scoring_runs
                USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
            ALTER TABLE job_scores ENABLE ROW LEVEL SECURITY;
            ALTER TABLE job_scores FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON job_scores
                USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
            """),
        // Scoring claims tenants in turn, by their weights (``ScoringQueue/claim(_:limit:leaseSeconds:)``): each
        // tenant's due candidates, oldest first, and the distinct tenants with any due, are read on this index.
        Migration(version: 9, name: "scoring queue by tenant", sql: """
            CREATE INDEX scoring_queue_tenant_due ON scoring_queue (tenant_id, next_attempt_at);
            """),
    ]

    /// The newest version.
    public static var latest: Int { all.last?.version ?? 0 }
}

/// Applies ``Migrations`` over a connection.
@LoopActor
public enum Migrator {
    /// Brings the schema to ``Migrations/latest`` and returns the versions applied now (empty when it was up
    /// to date). Each migration runs in its own transaction with its bookkeeping row.
    public static func migrate(_ connection: PGConnection) async throws(PGError) -> [Int] {
        try await lock(connection)
        var applied: [Int] = []
        do throws(PGError) {
            try await connection.simpleQuery("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version     integer PRIMARY KEY,
                    name        text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                )
                """)
            let done = Set(try await connection.query("SELECT version FROM schema_migrations").rows
                .compactMap { $0.first.flatMap { $0 }.flatMap { Int($0) } })
            for migration in Migrations.all where !done.contains(migration.version) {
                do throws(PGError) {
                    try await connection.simpleQuery("BEGIN;\n" + migration.sql)
                    try await connection.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                                               [String(migration.version), migration.name])
                    try await connection.simpleQuery("COMMIT")
                } catch {
                    if connection.isOpen { _ = try? await connection.simpleQuery("ROLLBACK") }
                    throw PGError(kind: error.kind, message: "migration \(migration.version) (\(migration.name)): "
                                      + error.message, sqlState: error.sqlState, detail: error.detail)
                }
                applied.append(migration.version)
            }
        } catch {
            if connection.isOpen { _ = try? await connection.query("SELECT pg_advisory_unlock($1)", [String(Migrations.lockKey)]) }
            throw error
        }
        try await connection.query("SELECT pg_advisory_unlock($1)", [String(Migrations.lockKey)])
        return applied
    }

    /// Takes the migration lock, asking for it again every 250 ms rather than waiting in one `pg_advisory_lock`.
    /// An engine that starts while another migrates waits as long as that takes (a session lock ends with its
    /// session, so a dead migrator frees it), but a single statement left unanswered that long would be taken by
    /// the connection's answer timeout for a dead server: two engines starting at once on a loaded server failed so.
    static func lock(_ connection: PGConnection, everyMilliseconds: UInt64 = 250) async throws(PGError) {
        let nap = Nap()
        defer { nap.close() }
        while try await connection.query("SELECT pg_try_advisory_lock($1)", [String(Migrations.lockKey)]).scalar != "t" {
            if Task.isCancelled { throw PGError(kind: .connection, message: "cancelled while waiting for the migration lock") }
            await nap.nap(milliseconds: everyMilliseconds)
        }
    }

    /// The schema version the database is at (0: none).
    public static func currentVersion(_ connection: PGConnection) async throws(PGError) -> Int {
        let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL").scalar
        guard exists == "t" else { return 0 }
        return Int(try await connection.query("SELECT coalesce(max(version), 0) FROM schema_migrations").scalar ?? "0") ?? 0
    }
}
