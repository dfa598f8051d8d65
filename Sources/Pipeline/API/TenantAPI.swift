import Foundation
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
    /// Once keys are seen issued, `<spool>/.auth-required` remembers it: after a restart with the database
    /// away, requests without credentials are still refused.
    public func install(on router: IngestRouter, settings: AuthConfiguration) {
        let marker = router.spool.directory + "/.auth-required"
        router.authenticator = Authenticator(
            settings: settings, resolver: resolver, required: FileManager.default.fileExists(atPath: marker),
            remember: { _ = FileManager.default.createFile(atPath: marker, contents: Data("keys issued\n".utf8)) })
        router.tenantRoutes = routes
        router.usage = resolver
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

/// Keys and tenants from the database, for the ``Authenticator``; monthly counts, for the router.
@LoopActor
public final class DirectoryResolver: TenantResolver, UsageMeter {
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

    public func reserve(_ tenant: AuthenticatedTenant, documents: Int) async -> QuotaDecision {
        guard let limit = tenant.monthlyLimit else { return .granted }
        guard let id = tenant.id else { return .unavailable("the tenant is not in the database") }
        do throws(PGError) {
            if let used = try await directory.reserve(tenantID: id, documents: documents, limit: limit) {
                return .refused(used: used, limit: limit)
            }
            return .granted
        } catch {
            logger.warning("monthly count failed", metadata: ["error": "\(error)"])
            return .unavailable("database: \(error.message)")
        }
    }

    public func release(_ tenant: AuthenticatedTenant, documents: Int) async {
        guard let id = tenant.id else { return }
        do throws(PGError) {
            try await directory.release(tenantID: id, documents: documents)
        } catch {
            logger.warning("could not give back a monthly reservation", metadata: ["error": "\(error)"])
        }
    }

    static func authenticated(_ t: TenantRecord) -> AuthenticatedTenant {
        AuthenticatedTenant(id: t.id, slug: t.slug, monthlyLimit: t.monthlyLimit, ratePerSecond: t.ratePerSecond,
                            weight: t.weight)
    }
}
