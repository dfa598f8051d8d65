import Ingest
import Logging
import Loop
import Sink

/// What `serve` adds when a database is configured: the tenant directory behind authentication, and the
/// results API, on a small pool of connections of their own.
@LoopActor
public final class TenantAPI {
    public let pool: SidePool
    public let directory: TenantDirectory
    public let reads: TenantReads
    public let resolver: DirectoryResolver
    public let routes: APIRoutes
    public let ledger: BatchLedger

    public init(configuration: SinkConfiguration, logger: Logger, connections: Int = 4) {
        pool = SidePool(configuration: configuration, size: connections, logger: logger)
        directory = TenantDirectory(pool: pool)
        reads = TenantReads(pool: pool)
        resolver = DirectoryResolver(directory: directory, logger: logger)
        routes = APIRoutes(reads: reads, logger: logger)
        ledger = BatchLedger(records: BatchRecords(pool: pool), directory: directory, logger: logger)
    }

    /// Puts authentication and the routes on `router`, and seals each upload's batch once acknowledged.
    public func install(on router: IngestRouter, settings: AuthConfiguration) {
        router.authenticator = Authenticator(settings: settings, resolver: resolver)
        router.tenantRoutes = routes
        let ledger = self.ledger
        router.uploadAccepted = { batch, tenant, files in
            ledger.seal(batch, tenant: tenant.slug, expected: files, origin: "upload")
        }
    }

    public func close() {
        ledger.close()
        pool.close()
    }
}

/// Keys and tenants from the database, for the ``Authenticator``.
@LoopActor
public final class DirectoryResolver: TenantResolver {
    private let directory: TenantDirectory
    private let logger: Logger

    public init(directory: TenantDirectory, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    public func tenant(forKeySHA256 sha256: [UInt8]) async -> TenantResolution {
        do throws(PGError) {
            switch try await directory.lookUp(sha256: sha256) {
            case .found(let tenant, let keyID):
                let directory = self.directory
                EventLoop.spawn { try? await directory.touch(keyID: keyID, tenantID: tenant.id) }
                return .found(Self.authenticated(tenant))
            case .revoked: return .revoked
            case .notFound: return .notFound
            }
        } catch {
            logger.warning("key lookup failed", metadata: ["error": "\(error)"])
            return .unavailable("database: \(error.message)")
        }
    }

    public func tenant(slug: String) async -> TenantResolution {
        do throws(PGError) {
            guard let tenant = try await directory.tenant(slug: slug) else { return .notFound }
            return .found(Self.authenticated(tenant))
        } catch {
            logger.warning("tenant lookup failed", metadata: ["error": "\(error)"])
            return .unavailable("database: \(error.message)")
        }
    }

    public func keysIssued() async -> Bool? {
        do throws(PGError) {
            return try await directory.keysIssued()
        } catch {
            logger.warning("could not read whether keys were issued", metadata: ["error": "\(error)"])
            return nil
        }
    }

    static func authenticated(_ t: TenantRecord) -> AuthenticatedTenant {
        AuthenticatedTenant(id: t.id, slug: t.slug, monthlyLimit: t.monthlyLimit, ratePerSecond: t.ratePerSecond,
                            weight: t.weight)
    }
}
