import Loop
import Sink

/// The delivery log (`webhook_deliveries`, a tenant table) and the work queue (`webhook_queue`, not one) in
/// PostgreSQL: every statement the dispatcher runs, and nothing else. See migration 6 for why two tables.
///
/// Times are the dispatcher's clock's, passed in as RFC 3339 text, never the server's `now()`: the schedule a test
/// drives with a manual clock is the one the queue holds.
@LoopActor
final class WebhookStore {
    private let pool: SidePool

    init(pool: SidePool) { self.pool = pool }

    /// A queued delivery this engine has claimed until its lease ends: `token` proves the claim is still its own
    /// when the outcome is written (a replay, or another engine after the lease, may have taken it since).
    struct Claim: Sendable, Equatable {
        var deliveryID: String
        var tenantID: String
        var token: String
    }

    /// What an attempt needs of a claimed delivery.
    struct Due: Sendable {
        var id: String
        var tenantID: String
        var url: String
        var payload: [UInt8]
        var status: WebhookDeliveryStatus
        /// `tenant`, `batch` or `other`: which endpoint a 410 disables.
        var endpoint: String
        var batchID: String?
        var endpointDisabled: Bool
        var seriesAttempts: Int
        var seriesStartedAt: Int64?
    }

    // MARK: Enqueue

    /// Stores a new message for `tenantID` and queues it, in one transaction; returns its status (`pending`, or
    /// `disabled` when its endpoint answered 410 before), or nil when there is no such tenant.
    func insert(id: String, tenantID: String, batchID: String?, url: String, eventType: String, payload: [UInt8],
                now: Int64) async throws(PGError) -> WebhookDeliveryStatus? {
        let time = Timestamp.rfc3339(unixMilliseconds: now)
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            // Which endpoint the URL is: the batch's callback, else the tenant's webhook, else neither.
            let endpoint = try await c.query("""
                SELECT CASE WHEN b.callback_url = $3 THEN 'batch' WHEN t.webhook_url = $3 THEN 'tenant'
                            ELSE 'other' END,
                       CASE WHEN b.callback_url = $3 THEN b.callback_disabled_at IS NOT NULL
                            WHEN t.webhook_url = $3 THEN t.webhook_disabled_at IS NOT NULL ELSE false END
                FROM tenants t LEFT JOIN batches b ON b.id = $2::uuid AND b.tenant_id = t.id
                WHERE t.id = $1::uuid
                """, [tenantID, batchID, url]).rows.first
            guard let endpoint, let kind = endpoint[0] else { return nil }
            let disabled = endpoint[1] == "t"
            let status: WebhookDeliveryStatus = disabled ? .disabled : .pending
            try await c.query("""
                INSERT INTO webhook_deliveries (id, tenant_id, batch_id, endpoint, url, event_type, payload, status,
                                                next_attempt_at, last_error, created_at)
                VALUES ($1, $2::uuid, $3::uuid, $4, $5, $6, decode($7, 'hex'), $8, $9::timestamptz, $10,
                        $11::timestamptz)
                """, [id, tenantID, batchID, kind, url, eventType, Hex.encode(payload), status.rawValue,
                      disabled ? nil : time, disabled ? Self.disabledError : nil, time])
            if !disabled {
                try await c.query("""
                    INSERT INTO webhook_queue (delivery_id, tenant_id, next_attempt_at)
                    VALUES ($1, $2::uuid, $3::timestamptz)
                    """, [id, tenantID, time])
            }
            return status
        }
    }

    static let disabledError = "endpoint_disabled: not sent; the endpoint answered 410 Gone to an earlier message"

    // MARK: The dispatcher's side

    /// Claims up to `limit` queued deliveries due at `now`, across tenants, until `leaseUntil`. Rows another
    /// engine is claiming at this moment are skipped, not waited for.
    func claim(now: Int64, leaseUntil: Int64, limit: Int) async throws(PGError) -> [Claim] {
        try await pool.withConnection { c throws(PGError) in
            try await c.query("""
                UPDATE webhook_queue q SET claim = gen_random_uuid(), next_attempt_at = $2::timestamptz
                FROM (SELECT delivery_id FROM webhook_queue WHERE next_attempt_at <= $1::timestamptz
                      ORDER BY next_attempt_at LIMIT $3::integer FOR UPDATE SKIP LOCKED) due
                WHERE q.delivery_id = due.delivery_id
                RETURNING q.delivery_id, q.tenant_id::text, q.claim::text
                """, [Timestamp.rfc3339(unixMilliseconds: now), Timestamp.rfc3339(unixMilliseconds: leaseUntil),
                      String(limit)]).rows.compactMap { row in
                guard row.count == 3, let id = row[0], let tenant = row[1], let token = row[2] else { return nil }
                return Claim(deliveryID: id, tenantID: tenant, token: token)
            }
        }
    }

    /// The claimed delivery, read with its tenant set; nil when it no longer exists.
    func load(_ claim: Claim) async throws(PGError) -> Due? {
        try await pool.inTenant(claim.tenantID) { c throws(PGError) in
            guard let row = try await c.query("""
                SELECT d.url, encode(d.payload, 'hex'), d.status, d.endpoint, d.batch_id::text,
                       CASE d.endpoint
                           WHEN 'tenant' THEN (SELECT t.webhook_disabled_at IS NOT NULL FROM tenants t
                                               WHERE t.id = d.tenant_id)
                           WHEN 'batch' THEN (SELECT b.callback_disabled_at IS NOT NULL FROM batches b
                                              WHERE b.id = d.batch_id)
                           ELSE false END,
                       d.series_attempts, \(Self.milliseconds("d.series_started_at"))
                FROM webhook_deliveries d WHERE d.id = $1
                """, [claim.deliveryID]).rows.first,
                  let url = row[0], let status = row[2].flatMap(WebhookDeliveryStatus.init(rawValue:))
            else { return nil }
            return Due(id: claim.deliveryID, tenantID: claim.tenantID, url: url,
                       payload: row[1].flatMap(Hex.decode) ?? [], status: status, endpoint: row[3] ?? "other",
                       batchID: row[4], endpointDisabled: row[5] == "t",
                       seriesAttempts: row[6].flatMap { Int($0) } ?? 0, seriesStartedAt: row[7].flatMap { Int64($0) })
        }
    }

    /// Writes an attempt's outcome: the delivery row and the queue row (moved to the retry's time, or removed),
    /// in one statement that does nothing unless `claim` still holds; and a 410 disables the endpoint. Returns
    /// false when the claim was lost (nothing written).
    func record(_ claim: Claim, due: Due, decision: WebhookAttemptDecision, attemptedAt: Int64, now: Int64)
        async throws(PGError) -> Bool
    {
        let status: WebhookDeliveryStatus
        var counted = true
        var lastStatus: Int?
        var lastError: String?
        var deliveredAt: Int64?
        var nextAttemptAt: Int64?
        switch decision {
        case .delivered(let s):
            (status, lastStatus, deliveredAt) = (.delivered, s, now)
        case .disableEndpoint(let s):
            (status, lastStatus, lastError) = (.disabled, s, "gone: the endpoint answered \(s) Gone and is disabled")
        case .skipDisabled:
            (status, counted, lastError) = (.disabled, false, Self.disabledError)
        case .retry(let at, let s, let error):
            (status, lastStatus, lastError, nextAttemptAt) = (.pending, s, error, at)
        case .fail(let s, let error):
            (status, lastStatus, lastError) = (.failed, s, error)
        }
        let queue = nextAttemptAt == nil
            ? "DELETE FROM webhook_queue WHERE delivery_id = $1 AND claim = $2::uuid RETURNING 1"
            : """
              UPDATE webhook_queue SET next_attempt_at = $9::timestamptz, claim = NULL
              WHERE delivery_id = $1 AND claim = $2::uuid RETURNING 1
              """
        let time = { (ms: Int64?) in ms.map { Timestamp.rfc3339(unixMilliseconds: $0) } }
        let parameters: [String?] = [
            claim.deliveryID, claim.token, status.rawValue, counted ? "1" : "0", time(attemptedAt),
            lastStatus.map(String.init), lastError, time(deliveredAt), time(nextAttemptAt),
        ]
        let disable: String? = switch decision {
        case .disableEndpoint where due.endpoint == "tenant":
            "UPDATE tenants SET webhook_disabled_at = coalesce(webhook_disabled_at, $2::timestamptz) "
                + "WHERE id = $1::uuid"
        case .disableEndpoint where due.endpoint == "batch":
            "UPDATE batches SET callback_disabled_at = coalesce(callback_disabled_at, $2::timestamptz) "
                + "WHERE id = $1::uuid"
        default: nil
        }
        let endpointID = due.endpoint == "batch" ? due.batchID : due.tenantID
        return try await pool.inTenant(claim.tenantID) { c throws(PGError) in
            let written = try await c.query("""
                WITH q AS (\(queue))
                UPDATE webhook_deliveries SET
                    status = $3,
                    attempts = attempts + $4::integer,
                    series_attempts = series_attempts + $4::integer,
                    series_started_at = CASE WHEN $4::integer > 0 THEN coalesce(series_started_at, $5::timestamptz)
                                             ELSE series_started_at END,
                    last_attempt_at = CASE WHEN $4::integer > 0 THEN $5::timestamptz ELSE last_attempt_at END,
                    last_status = $6::integer,
                    last_error = $7,
                    delivered_at = coalesce($8::timestamptz, delivered_at),
                    next_attempt_at = $9::timestamptz
                WHERE id = $1 AND EXISTS (SELECT 1 FROM q)
                """, parameters).affectedRows > 0
            if written, let disable {
                try await c.query(disable, [endpointID, time(now)])
            }
            return written
        }
    }

    /// Forgets a claimed queue entry whose delivery is gone or no longer pending.
    func drop(_ claim: Claim) async throws(PGError) {
        _ = try await pool.withConnection { c throws(PGError) in
            try await c.query("DELETE FROM webhook_queue WHERE delivery_id = $1 AND claim = $2::uuid",
                              [claim.deliveryID, claim.token])
        }
    }

    /// Hands a claim back, due at `at` (the dispatcher closing mid-attempt, or the database failing under it).
    func release(_ claim: Claim, at: Int64) async throws(PGError) {
        _ = try await pool.withConnection { c throws(PGError) in
            try await c.query("""
                UPDATE webhook_queue SET next_attempt_at = $3::timestamptz, claim = NULL
                WHERE delivery_id = $1 AND claim = $2::uuid
                """, [claim.deliveryID, claim.token, Timestamp.rfc3339(unixMilliseconds: at)])
        }
    }

    // MARK: The API's side

    /// Queues delivery `id` of `tenantID` for an attempt at `now`, starting a new retry series.
    func replay(tenantID: String, id: String, now: Int64) async throws(PGError) -> WebhookReplay {
        let time = Timestamp.rfc3339(unixMilliseconds: now)
        return try await pool.inTenant(tenantID) { c throws(PGError) in
            guard let row = try await c.query("""
                SELECT CASE d.endpoint
                           WHEN 'tenant' THEN (SELECT t.webhook_disabled_at IS NOT NULL FROM tenants t
                                               WHERE t.id = d.tenant_id)
                           WHEN 'batch' THEN (SELECT b.callback_disabled_at IS NOT NULL FROM batches b
                                              WHERE b.id = d.batch_id)
                           ELSE false END
                FROM webhook_deliveries d WHERE d.id = $1 FOR UPDATE
                """, [id]).rows.first
            else { return .notFound }
            if row[0] == "t" { return .endpointDisabled }
            try await c.query("""
                UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $2::timestamptz,
                                              series_attempts = 0, series_started_at = NULL
                WHERE id = $1
                """, [id, time])
            try await c.query("""
                INSERT INTO webhook_queue (delivery_id, tenant_id, next_attempt_at)
                VALUES ($1, $2::uuid, $3::timestamptz)
                ON CONFLICT (delivery_id) DO UPDATE SET next_attempt_at = EXCLUDED.next_attempt_at, claim = NULL
                """, [id, tenantID, time])
            return .queued
        }
    }

    /// Up to `limit` deliveries of `tenantID`, newest first, after the one whose id is `after`.
    func list(tenantID: String, limit: Int, after: String?) async throws(PGError) -> WebhookDeliveryPage {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            let rows = try await c.query("""
                SELECT \(Self.columns) FROM webhook_deliveries
                WHERE $2::text IS NULL
                   OR (created_at, id) < (SELECT created_at, id FROM webhook_deliveries WHERE id = $2::text)
                ORDER BY created_at DESC, id DESC LIMIT $1::integer + 1
                """, [String(limit), after]).rows.compactMap(Self.delivery)
            let page = Array(rows.prefix(limit))
            return WebhookDeliveryPage(deliveries: page, next: rows.count > limit ? page.last?.id : nil)
        }
    }

    /// Delivery `id` of `tenantID`, or nil.
    func delivery(tenantID: String, id: String) async throws(PGError) -> WebhookDelivery? {
        try await pool.inTenant(tenantID) { c throws(PGError) in
            try await c.query("SELECT \(Self.columns) FROM webhook_deliveries WHERE id = $1", [id]).rows.first
                .flatMap(Self.delivery)
        }
    }

    private static let columns = """
        id, tenant_id::text, batch_id::text, url, event_type, encode(payload, 'hex'), status, attempts::text,
        \(milliseconds("next_attempt_at")), \(milliseconds("last_attempt_at")), last_status::text, last_error,
        \(milliseconds("created_at")), \(milliseconds("delivered_at"))
        """

    private static func delivery(_ row: [String?]) -> WebhookDelivery? {
        guard row.count == 14, let id = row[0], let tenantID = row[1], let url = row[3], let eventType = row[4],
              let status = row[6].flatMap(WebhookDeliveryStatus.init(rawValue:)),
              let createdAt = row[12].flatMap({ Int64($0) })
        else { return nil }
        return WebhookDelivery(id: id, tenantID: tenantID, batchID: row[2], url: url, eventType: eventType,
                               payload: row[5].flatMap(Hex.decode) ?? [], status: status,
                               attempts: row[7].flatMap { Int($0) } ?? 0, nextAttemptAt: row[8].flatMap { Int64($0) },
                               lastAttemptAt: row[9].flatMap { Int64($0) }, lastStatus: row[10].flatMap { Int($0) },
                               lastError: row[11], createdAt: createdAt, deliveredAt: row[13].flatMap { Int64($0) })
    }

    /// A `timestamptz` column as unix milliseconds (text), NULL as NULL.
    static func milliseconds(_ column: String) -> String {
        "(extract(epoch FROM \(column)) * 1000)::bigint"
    }
}
