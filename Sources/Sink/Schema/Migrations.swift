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
        try await connection.query("SELECT pg_advisory_lock($1)", [String(Migrations.lockKey)])
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

    /// The schema version the database is at (0: none).
    public static func currentVersion(_ connection: PGConnection) async throws(PGError) -> Int {
        let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL").scalar
        guard exists == "t" else { return 0 }
        return Int(try await connection.query("SELECT coalesce(max(version), 0) FROM schema_migrations").scalar ?? "0") ?? 0
    }
}
