import Loop

/// `idempotency_keys`: the first answer to each `Idempotency-Key` of a tenant, kept until it expires. A key
/// whose first request never finished (the engine stopped mid-request) is taken over after 15 minutes.
@LoopActor
public final class IdempotencyKeys {
    private let pool: SidePool

    public init(pool: SidePool) { self.pool = pool }

    public enum Claim: Sendable, Equatable {
        case new
        case inFlight
        case done(fingerprint: [UInt8], status: Int, body: [UInt8])
    }

    /// Claims `key` for a request to `route`, kept `hours` once answered.
    public func claim(tenantID: String, key: String, route: String, hours: Double) async throws(PGError) -> Claim {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            // Only this key's row: an expired answer, or a first request that never finished, is taken over.
            try await c.query("""
                DELETE FROM idempotency_keys
                WHERE key = $1 AND (expires_at < now() OR (status IS NULL AND created_at < now() - interval '15 minutes'))
                """, [Sanitizer.text(key)])
            let inserted = try await c.query("""
                INSERT INTO idempotency_keys (tenant_id, key, route, expires_at)
                VALUES (current_tenant(), $1, $2, now() + $3::double precision * interval '1 hour')
                ON CONFLICT (tenant_id, key) DO NOTHING
                """, [Sanitizer.text(key), route, String(hours)])
            if inserted.affectedRows == 1 { return .new }
            guard let row = try await c.query("""
                SELECT encode(fingerprint, 'hex'), status::text, encode(response, 'hex')
                FROM idempotency_keys WHERE key = $1
                """, [Sanitizer.text(key)]).rows.first
            else { return .new }
            guard let status = row[1].flatMap({ Int($0) }) else { return .inFlight }
            return .done(fingerprint: row[0].flatMap(Hex.decode) ?? [], status: status,
                         body: row[2].flatMap(Hex.decode) ?? [])
        }
    }

    /// Keeps the first answer of `key`.
    public func finish(tenantID: String, key: String, fingerprint: [UInt8], status: Int, body: [UInt8])
        async throws(PGError)
    {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("""
                UPDATE idempotency_keys SET fingerprint = decode($2, 'hex'), status = $3::integer,
                    response = decode($4, 'hex')
                WHERE key = $1 AND status IS NULL
                """, [Sanitizer.text(key), Hex.encode(fingerprint), String(status), Hex.encode(body)])
        }
    }

    /// Deletes the tenant's expired answers (the sweep, every minute).
    public func expire(tenantID: String) async throws(PGError) {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("DELETE FROM idempotency_keys WHERE expires_at < now()")
        }
    }

    /// Lets `key` go while it is unanswered.
    public func abandon(tenantID: String, key: String) async throws(PGError) {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("DELETE FROM idempotency_keys WHERE key = $1 AND status IS NULL", [Sanitizer.text(key)])
        }
    }
}
