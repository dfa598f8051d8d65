import Loop

/// A tenant as the engine serves it: who it is and its limits.
public struct TenantRecord: Sendable, Equatable {
    public var id: String
    public var slug: String
    public var name: String?
    /// Documents a calendar month (UTC) may bring; nil: no limit.
    public var monthlyLimit: Int64?
    /// Requests per second to the API; nil: no limit.
    public var ratePerSecond: Double?
    /// Share of the pipeline when tenants queue at once (round robin, weighted).
    public var weight: Int
    public var webhookURL: String?
    public var keysIssued: Bool
    public var createdAt: String

    public init(id: String, slug: String, name: String?, monthlyLimit: Int64?, ratePerSecond: Double?, weight: Int,
                webhookURL: String?, keysIssued: Bool, createdAt: String) {
        self.id = id
        self.slug = slug
        self.name = name
        self.monthlyLimit = monthlyLimit
        self.ratePerSecond = ratePerSecond
        self.weight = weight
        self.webhookURL = webhookURL
        self.keysIssued = keysIssued
        self.createdAt = createdAt
    }
}

/// An API key as listed (never the key: only its shown prefix).
public struct APIKeyRecord: Sendable, Equatable {
    public var id: String
    public var tenant: String
    public var prefix: String?
    public var label: String?
    public var createdAt: String
    public var lastUsedAt: String?
    public var revokedAt: String?
}

/// What a key's hash finds.
public enum KeyLookup: Sendable, Equatable {
    case found(TenantRecord, keyID: String)
    case revoked
    case notFound
}

/// Tenants and their API keys in the database (`tenants`, `api_keys`). Keys are stored as SHA-256 hashes only;
/// a key is found by its hash under the `key_lookup` policy, before its tenant is known. The other reads and
/// writes of a tenant's keys run with the tenant set (row-level security).
@LoopActor
public final class TenantDirectory {
    private let pool: SidePool

    public init(pool: SidePool) { self.pool = pool }

    private static let tenantColumns = columns(of: "")

    private static func columns(of table: String) -> String {
        let t = table.isEmpty ? "" : table + "."
        return "\(t)id::text, \(t)slug, \(t)name, \(t)monthly_limit::text, \(t)rate_per_second::text, "
            + "\(t)weight::text, \(t)webhook_url, \(t)keys_issued::text, " + time(t + "created_at")
    }

    private static func tenant(_ row: [String?]) -> TenantRecord? {
        guard row.count >= 9, let id = row[0], let slug = row[1] else { return nil }
        return TenantRecord(id: id, slug: slug, name: row[2], monthlyLimit: row[3].flatMap { Int64($0) },
                            ratePerSecond: row[4].flatMap { Double($0) }, weight: row[5].flatMap { Int($0) } ?? 1,
                            webhookURL: row[6], keysIssued: row[7] == "true" || row[7] == "t",
                            createdAt: row[8] ?? "")
    }

    /// Creates tenant `slug`; throws `unique_violation` (23505) when it exists.
    public func createTenant(slug: String, name: String?, monthlyLimit: Int64?, ratePerSecond: Double?,
                             weight: Int = 1, webhookURL: String? = nil, webhookSecret: String? = nil)
        async throws(PGError) -> TenantRecord
    {
        try await pool.withConnection { c throws(PGError) in
            let result = try await c.query("""
                INSERT INTO tenants (slug, name, monthly_limit, rate_per_second, weight, webhook_url, webhook_secret)
                VALUES ($1, $2, $3::bigint, $4::double precision, $5::integer, $6, $7)
                RETURNING \(Self.tenantColumns)
                """, [slug, name ?? slug, monthlyLimit.map(String.init), ratePerSecond.map { String($0) },
                      String(weight), webhookURL, webhookSecret])
            guard let row = result.rows.first, let tenant = Self.tenant(row) else {
                throw PGError(kind: .server, message: "the new tenant was not returned")
            }
            return tenant
        }
    }

    /// Changes a tenant's limits and webhook (nil leaves a value; `clear…` sets it to none).
    public func updateTenant(slug: String, monthlyLimit: Int64?? = nil, ratePerSecond: Double?? = nil,
                             weight: Int? = nil, webhookURL: String?? = nil, webhookSecret: String? = nil)
        async throws(PGError) -> TenantRecord?
    {
        var sets: [String] = []
        var parameters: [String?] = [slug]
        func set(_ column: String, _ cast: String, _ value: String?) {
            parameters.append(value)
            sets.append("\(column) = $\(parameters.count)::\(cast)")
        }
        if let monthlyLimit { set("monthly_limit", "bigint", monthlyLimit.map(String.init)) }
        if let ratePerSecond { set("rate_per_second", "double precision", ratePerSecond.map { String($0) }) }
        if let weight { set("weight", "integer", String(weight)) }
        if let webhookURL {
            set("webhook_url", "text", webhookURL)
            // A new endpoint starts enabled (an old one's 410 does not carry over).
            sets.append("webhook_disabled_at = NULL")
        }
        if let webhookSecret { set("webhook_secret", "text", webhookSecret) }
        guard !sets.isEmpty else { return try await tenant(slug: slug) }
        let sql = "UPDATE tenants SET \(sets.joined(separator: ", ")) WHERE slug = $1 RETURNING \(Self.tenantColumns)"
        let parametersNow = parameters
        return try await pool.withConnection { c throws(PGError) in
            try await c.query(sql, parametersNow).rows.first.flatMap(Self.tenant)
        }
    }

    /// Every tenant, oldest first.
    public func tenants() async throws(PGError) -> [TenantRecord] {
        try await pool.withConnection { c throws(PGError) in
            try await c.query("SELECT \(Self.tenantColumns) FROM tenants ORDER BY created_at, slug").rows
                .compactMap(Self.tenant)
        }
    }

    /// Tenant `slug`, or nil.
    public func tenant(slug: String) async throws(PGError) -> TenantRecord? {
        try await pool.withConnection { c throws(PGError) in
            try await c.query("SELECT \(Self.tenantColumns) FROM tenants WHERE slug = $1", [slug]).rows.first
                .flatMap(Self.tenant)
        }
    }

    /// The webhook secret of tenant `id` (a UUID), made and stored on first use by `make`.
    public func webhookSecret(tenantID: String, make: @Sendable () -> String) async throws(PGError) -> String {
        try await pool.withConnection { c throws(PGError) in
            let made = make()
            let result = try await c.query("""
                UPDATE tenants SET webhook_secret = coalesce(webhook_secret, $2) WHERE id = $1::uuid
                RETURNING webhook_secret
                """, [tenantID, made])
            guard let secret = result.scalar else { throw PGError(kind: .server, message: "no tenant \(tenantID)") }
            return secret
        }
    }

    /// Whether any tenant was ever issued a key (then every request must authenticate).
    public func keysIssued() async throws(PGError) -> Bool {
        try await pool.withConnection { c throws(PGError) in
            try await c.query("SELECT EXISTS (SELECT 1 FROM tenants WHERE keys_issued)").scalar == "t"
        }
    }

    /// Stores a key (its SHA-256, 32 bytes, and the prefix shown in lists) for tenant `slug`; returns its id,
    /// or nil when there is no such tenant.
    public func createKey(tenant slug: String, sha256: [UInt8], prefix: String, label: String?)
        async throws(PGError) -> String?
    {
        guard let tenant = try await tenant(slug: slug) else { return nil }
        return try await pool.inTenant(tenant.id) { c throws(PGError) in
            let id = try await c.query("""
                INSERT INTO api_keys (tenant_id, key_sha256, prefix, label) VALUES ($1::uuid, decode($2, 'hex'), $3, $4)
                RETURNING id::text
                """, [tenant.id, Hex.encode(sha256), prefix, label]).scalar
            try await c.query("UPDATE tenants SET keys_issued = true WHERE id = $1::uuid AND NOT keys_issued",
                              [tenant.id])
            return id
        }
    }

    /// The keys of tenant `slug` (nil: no such tenant), newest first.
    public func keys(tenant slug: String) async throws(PGError) -> [APIKeyRecord]? {
        guard let tenant = try await tenant(slug: slug) else { return nil }
        return try await pool.inTenant(tenant.id) { c throws(PGError) in
            try await c.query("""
                SELECT id::text, prefix, label, \(Self.time("created_at")), \(Self.time("last_used_at")),
                       \(Self.time("revoked_at"))
                FROM api_keys ORDER BY created_at DESC
                """).rows.map {
                APIKeyRecord(id: $0[0] ?? "", tenant: slug, prefix: $0[1], label: $0[2], createdAt: $0[3] ?? "",
                             lastUsedAt: $0[4], revokedAt: $0[5])
            }
        }
    }

    /// Revokes key `id` (a UUID) of tenant `slug`, or of whichever tenant holds it when `slug` is nil. Returns
    /// the tenant's slug, or nil when no such key is found (or it was revoked before).
    public func revokeKey(id: String, tenant slug: String?) async throws(PGError) -> String? {
        guard DocumentID(id) != nil else { return nil }
        let candidates: [TenantRecord]
        if let slug {
            candidates = try await tenant(slug: slug).map { [$0] } ?? []
        } else {
            candidates = try await tenants()
        }
        for tenant in candidates {
            let revoked = try await pool.inTenant(tenant.id) { c throws(PGError) in
                try await c.query("UPDATE api_keys SET revoked_at = now() WHERE id = $1::uuid AND revoked_at IS NULL",
                                  [id]).affectedRows
            }
            if revoked > 0 { return tenant.slug }
        }
        return nil
    }

    /// The key whose SHA-256 is `sha256`, with its tenant; notes its use (at most once a minute per key).
    public func lookUp(sha256: [UInt8]) async throws(PGError) -> KeyLookup {
        guard sha256.count == 32 else { return .notFound }
        let hex = Hex.encode(sha256)
        return try await pool.withConnection { c throws(PGError) in
            try await c.simpleQuery("BEGIN")
            do throws(PGError) {
                try await c.query("SELECT set_config('app.key_lookup', $1, true)", [hex])
                let row = try await c.query("""
                    SELECT k.id::text, k.revoked_at IS NOT NULL, \(Self.columns(of: "t"))
                    FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
                    WHERE k.key_sha256 = decode($1, 'hex')
                    """, [hex]).rows.first
                try await c.simpleQuery("COMMIT")
                guard let row, let keyID = row[0] else { return .notFound }
                if row[1] == "t" || row[1] == "true" { return .revoked }
                guard let tenant = Self.tenant(Array(row.dropFirst(2))) else { return .notFound }
                return .found(tenant, keyID: keyID)
            } catch {
                if c.isOpen { _ = try? await c.simpleQuery("ROLLBACK") }
                throw error
            }
        }
    }

    /// Notes that key `keyID` of tenant `tenantID` was used (for `key list`).
    public func touch(keyID: String, tenantID: String) async throws(PGError) {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("""
                UPDATE api_keys SET last_used_at = now()
                WHERE id = $1::uuid AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
                """, [keyID])
        }
    }

    /// Adds `documents` to tenant `tenantID`'s count for this month (UTC) when the count stays within
    /// `limit`; returns nil when it did, else the count as it is (the upload is refused). One statement per
    /// call, so concurrent uploads on any number of engines cannot pass the limit together.
    public func reserve(tenantID: String, documents: Int, limit: Int64) async throws(PGError) -> Int64? {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("""
                INSERT INTO tenant_usage (tenant_id, month, documents)
                VALUES (current_tenant(), date_trunc('month', now() AT TIME ZONE 'UTC')::date, 0)
                ON CONFLICT DO NOTHING
                """)
            let granted = try await c.query("""
                UPDATE tenant_usage SET documents = documents + $1::bigint
                WHERE month = date_trunc('month', now() AT TIME ZONE 'UTC')::date AND documents + $1::bigint <= $2::bigint
                RETURNING documents
                """, [String(documents), String(limit)])
            if granted.affectedRows == 1 { return nil }
            let used = try await c.query("""
                SELECT documents FROM tenant_usage WHERE month = date_trunc('month', now() AT TIME ZONE 'UTC')::date
                """).scalar
            return used.flatMap { Int64($0) } ?? 0
        }
    }

    /// Gives back `documents` reserved this month (the spool could not take the upload).
    public func release(tenantID: String, documents: Int) async throws(PGError) {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("""
                UPDATE tenant_usage SET documents = greatest(0, documents - $1::bigint)
                WHERE month = date_trunc('month', now() AT TIME ZONE 'UTC')::date
                """, [String(documents)])
        }
    }

    /// Documents counted this month (UTC) for tenant `tenantID`.
    public func usage(tenantID: String) async throws(PGError) -> Int64 {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            Int64(try await c.query("""
                SELECT documents FROM tenant_usage WHERE month = date_trunc('month', now() AT TIME ZONE 'UTC')::date
                """).scalar ?? "0") ?? 0
        }
    }

    private static func time(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    }
}
