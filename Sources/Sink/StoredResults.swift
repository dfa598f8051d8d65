import Logging
import Loop

/// What the database already holds for one tenant's content: the row a new copy of the same bytes would
/// replace. The pipeline reuses it instead of extracting and parsing again (after a restart, a re-import or
/// a re-upload), so committed content never costs a second LLM call.
public struct StoredResult: Sendable, Equatable {
    /// The row's document id.
    public var id: String
    /// `parsed` or `failed`.
    public var status: String
    /// Who parsed it (`openai`, `rules`), nil when it failed before the parser.
    public var provider: String?
    public var model: String?
    /// The failure's code, when it failed.
    public var errorCode: String?
    /// `parse_weak`: the rules parser's reading was weak (nil when the rules did not read it, or before the
    /// column existed).
    public var weak: Bool?

    public init(id: String, status: String, provider: String?, model: String?, errorCode: String?,
                weak: Bool? = nil) {
        self.id = id
        self.status = status
        self.provider = provider
        self.model = model
        self.errorCode = errorCode
        self.weak = weak
    }
}

/// Looks up stored results on a connection of its own (the Sink's are busy with COPY), and creates tenants
/// named on first use. A lookup that fails (database down) answers "unknown": the document is then processed
/// as new, and the Sink's upsert keeps one row per content anyway.
@LoopActor
public final class StoredResults {
    private let configuration: SinkConfiguration
    private let logger: Logger
    private var connection: PGConnection?
    /// One statement at a time on the connection, and one connect.
    private let turn = LoopMutex()
    private var closed = false
    /// Tenant ids by slug (a tenant is never renamed or removed while the engine runs).
    private var tenants: [String: String] = [:]
    /// The tenant the connection's session is set to (row-level security), so a lookup is one round trip.
    private var sessionTenant: String?
    /// Lookups answered, and how many found a row.
    public private(set) var lookups = 0
    public private(set) var found = 0

    public init(configuration: SinkConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The stored row for `sha256` of tenant `tenant` (a slug), or nil when there is none or the database
    /// cannot say.
    public func lookUp(tenant: String, sha256: [UInt8]) async -> StoredResult? {
        guard sha256.count == 32 else { return nil }
        return await turn.withLock { await lookUpAlone(tenant: tenant, sha256: sha256) }
    }

    private func lookUpAlone(tenant: String, sha256: [UInt8]) async -> StoredResult? {
        do throws(PGError) {
            let c = try await open()
            guard let tenantID = try await tenantID(tenant, on: c) else { return nil }
            lookups += 1
            // Row-level security is forced: the tenant is set for this session's statements, once per tenant.
            if sessionTenant != tenantID {
                try await c.query("SELECT set_config('app.tenant_id', $1, false)", [tenantID])
                sessionTenant = tenantID
            }
            let result = try await c.query("""
                SELECT id::text, status, provider, model, error_code, parse_weak FROM documents
                WHERE tenant_id = $1::uuid AND content_sha256 = decode($2, 'hex')
                """, [tenantID, Hex.encode(sha256)])
            guard let row = result.rows.first, let id = row[0], let status = row[1] else { return nil }
            found += 1
            return StoredResult(id: id, status: status, provider: row[2], model: row[3], errorCode: row[4],
                                weak: row[5].map { $0 == "t" })
        } catch {
            drop(error)
            return nil
        }
    }

    /// Creates the tenant `slug` unless it exists (`import --tenant`); throws when the database cannot.
    public func ensureTenant(_ slug: String) async throws(PGError) {
        let failure: PGError? = await turn.withLock {
            do throws(PGError) {
                let c = try await open()
                try await c.query("INSERT INTO tenants (slug, name) VALUES ($1, $1) ON CONFLICT (slug) DO NOTHING",
                                  [slug])
                return nil
            } catch {
                drop(error)
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Records a batch before its documents arrive, with what identifies it to people (`import --label`).
    public func createBatch(_ id: DocumentID, tenant: String, label: String?, origin: String) async throws(PGError) {
        let failure: PGError? = await turn.withLock {
            do throws(PGError) {
                let c = try await open()
                guard let tenantID = try await tenantID(tenant, on: c) else {
                    return PGError(kind: .server, message: "no tenant \(tenant)")
                }
                try await c.query("SELECT set_config('app.tenant_id', $1, false)", [tenantID])
                sessionTenant = tenantID
                try await c.query("""
                    INSERT INTO batches (id, tenant_id, label, origin) VALUES ($1::uuid, $2::uuid, $3, $4)
                    ON CONFLICT (id) DO UPDATE SET label = excluded.label, origin = excluded.origin
                    """, [id.description, tenantID, label, origin])
                return nil
            } catch {
                drop(error)
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Closes the connection once the statement in progress (if any) is done.
    public func close() async {
        closed = true
        await turn.withLock {
            connection?.close()
            connection = nil
        }
    }

    private func open() async throws(PGError) -> PGConnection {
        if let connection, connection.isOpen { return connection }
        connection?.close()
        connection = nil
        sessionTenant = nil
        if closed { throw PGError(kind: .connection, message: "closed") }
        let c = try await SideConnection.open(configuration)
        if closed {
            c.close()
            throw PGError(kind: .connection, message: "closed")
        }
        connection = c
        return c
    }

    private func tenantID(_ slug: String, on c: PGConnection) async throws(PGError) -> String? {
        if let id = tenants[slug] { return id }
        let id = try await c.query("SELECT id::text FROM tenants WHERE slug = $1", [slug]).scalar
        if let id { tenants[slug] = id }
        return id
    }

    private func drop(_ error: PGError) {
        if error.isConnectionLoss || !(connection?.isOpen ?? false) {
            connection?.close()
            connection = nil
        }
        logger.debug("stored-result lookup failed", metadata: ["error": "\(error)"])
    }
}
