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
    public let idempotency: IdempotencyRecords
    /// Batch-completion webhooks (Standard Webhooks v1).
    public let webhooks: WebhookDispatcher
    /// Jobs and their candidates; the scoring queue and its worker (started with the webhooks).
    public let jobs: JobRecords
    public let scoringQueue: ScoringQueue
    public let scoring: ScoringWorker
    public let jobRoutes: JobRoutes
    private let logger: Logger
    /// Announcements in progress (``close()`` waits for them: their statements need the pool).
    private var announcing = 0
    private let announced = Waiters()

    public init(configuration: SinkConfiguration, webhooks: WebhookConfiguration = WebhookConfiguration(),
                clock: any EngineClock = SystemClock.shared, logger: Logger, connections: Int = 4,
                scorer: (any CandidateScoring)? = nil) {
        self.logger = logger
        pool = SidePool(configuration: configuration, size: connections, logger: logger)
        directory = TenantDirectory(pool: pool)
        reads = TenantReads(pool: pool)
        resolver = DirectoryResolver(directory: directory, logger: logger)
        routes = APIRoutes(reads: reads, logger: logger)
        ledger = BatchLedger(records: BatchRecords(pool: pool), directory: directory, logger: logger)
        idempotency = IdempotencyRecords(keys: IdempotencyKeys(pool: pool), logger: logger)
        self.webhooks = WebhookDispatcher(pool: pool, configuration: webhooks, logger: logger, clock: clock)
        routes.webhooks = self.webhooks
        routes.directory = directory
        jobs = JobRecords(pool: pool)
        scoringQueue = ScoringQueue(pool: pool)
        scoring = ScoringWorker(queue: scoringQueue, scorer: scorer ?? BuiltInScoring(clock: clock), logger: logger)
        jobRoutes = JobRoutes(records: jobs, queue: scoringQueue, logger: logger)
        routes.jobs = jobRoutes
        let dispatcher = self.webhooks
        jobRoutes.checkCallbackURL = { text in
            do throws(WebhookRefusal) {
                try dispatcher.checkCallbackURL(text)
                return nil
            } catch {
                return "\(error)"
            }
        }
        jobRoutes.requested = { [unowned self] in scoring.wake() }
        jobRoutes.deleted = { [unowned self] id in scoring.cancel(jobID: id) }
        jobRoutes.completed = { [unowned self] run in await announce(run) }
        scoring.completed = { [unowned self] run in await announce(run) }
        ledger.completed = { [unowned self] tenant, tenantID, batch in
            announcing += 1
            EventLoop.spawn { [self] in await announceTracked(tenant: tenant, tenantID: tenantID, batch) }
        }
    }

    /// A scoring run completed: its callback URL, else its tenant's webhook, gets `job.scoring.completed` with
    /// the run's counts; then the run is marked announced. A failure on the way leaves it unannounced, and the
    /// minute sweep tries again (at least once, like a batch's).
    func announce(_ run: CompletedRun) async {
        do throws(PGError) {
            var url = run.callbackURL
            if url == nil { url = try await directory.tenants().first { $0.id == run.tenantID }?.webhookURL }
            if let url {
                do throws(WebhookError) {
                    let id = try await webhooks.enqueue(tenantID: run.tenantID, batchID: nil, url: url,
                                                        eventType: "job.scoring.completed", data: run.summary)
                    logger.info("scoring run completed; webhook queued", metadata: ["run": "\(run.id)", "message": "\(id)"])
                } catch {
                    logger.warning("could not queue a scoring run's webhook; the sweep tries again",
                                   metadata: ["run": "\(run.id)", "error": "\(error)"])
                    return
                }
            }
            try await scoringQueue.announced(run.id, tenantID: run.tenantID)
        } catch {
            logger.warning("could not announce a scoring run's completion; the sweep tries again",
                           metadata: ["run": "\(run.id)", "error": "\(error)"])
        }
    }

    /// The minute sweep's part for scoring: runs of `tenantIDs` that completed unannounced (a crash between the
    /// two), or whose batch completed without this engine hearing it.
    public func sweepScoringRuns(tenantIDs: [String]) async {
        for id in tenantIDs {
            guard let runs = try? await scoringQueue.unannounced(tenantID: id) else { continue }
            for run in runs { await announce(run) }
        }
    }

    /// Announces a completed batch, then the scoring runs that follow it (an upload that named a job), which may
    /// complete with it; ``close()`` waits for both (their statements need the pool).
    private func announceTracked(tenant: String, tenantID: String, _ batch: CompletedBatch) async {
        await announce(tenant: tenant, tenantID: tenantID, batch)
        if let runs = try? await scoringQueue.batchCompleted(batch.id, tenantID: tenantID) {
            for run in runs { await announce(run) }
        }
        announcing -= 1
        if announcing == 0 { announced.resumeAll() }
    }

    /// A batch completed: its callback URL, else its tenant's webhook, gets `batch.completed`; then the batch is
    /// marked announced. Anything failing on the way leaves it unannounced, and the minute sweep tries again
    /// (at least once: a crash between the two sends it twice, under two message ids).
    private func announce(tenant: String, tenantID: String, _ batch: CompletedBatch) async {
        do throws(PGError) {
            let url: String?
            if let callback = batch.callbackURL {
                url = callback
            } else {
                url = try await directory.tenant(slug: tenant)?.webhookURL
            }
            if let url {
                do throws(WebhookError) {
                    let id = try await webhooks.enqueue(tenantID: tenantID, batchID: batch.id, url: url,
                                                        eventType: "batch.completed", data: batch.summary)
                    logger.info("batch completed; webhook queued", metadata: ["batch": "\(batch.id)", "message": "\(id)"])
                } catch {
                    logger.warning("could not queue a batch's webhook; the sweep tries again",
                                   metadata: ["batch": "\(batch.id)", "error": "\(error)"])
                    return
                }
            }
            try await ledger.records.announced(batch.id, tenantID: tenantID)
        } catch {
            logger.warning("could not announce a batch's completion; the sweep tries again",
                           metadata: ["batch": "\(batch.id)", "error": "\(error)"])
        }
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
        router.idempotency = idempotency
        router.waiter = self
        let ledger = self.ledger
        router.uploadAccepted = { batch, tenant, files, callbackURL, jobID in
            if let files {
                await ledger.seal(batch, tenant: tenant.slug, expected: files, origin: "upload", callbackURL: callbackURL,
                                  jobID: jobID)
            } else {
                await ledger.describe(batch, tenant: tenant.slug, origin: "import", callbackURL: callbackURL, jobID: jobID)
            }
            // The batch (and its items) written before the answer, so the id it carries reads at once; at most
            // a second while the database is slow or away (the upload is safe in the spool either way).
            await ledger.written(ledger.lastQueued, timeoutMilliseconds: 1_000)
        }
        let jobs = self.jobs
        let logger = self.logger
        router.jobExists = { tenant, id in
            guard let tenantID = tenant.id else { return false }
            do throws(PGError) {
                return try await jobs.exists(id, tenantID: tenantID)
            } catch {
                logger.warning("job lookup failed", metadata: ["error": "\(error)"])
                return nil
            }
        }
        let webhooks = self.webhooks
        router.checkCallbackURL = { text in
            do throws(WebhookRefusal) {
                try webhooks.checkCallbackURL(text)
                return nil
            } catch {
                return "\(error)"
            }
        }
    }

    public func close() async {
        await scoring.close()
        await ledger.close()
        while announcing > 0 { await announced.wait() }
        await webhooks.close()
        await pool.close(waitingMilliseconds: 5_000)
    }
}

extension TenantAPI: BatchWaiter {
    /// Polls the batch's completion (every 100 ms, then every 250 ms after the first second): completion is
    /// decided in the database, so this works whichever engine processes the documents.
    public func wait(batch: DocumentID, tenant: AuthenticatedTenant, seconds: Double, files: Int) async
        -> (completed: Bool, results: [UInt8], ok: Int)?
    {
        guard let tenantID = tenant.id else { return nil }
        let started = SystemClock.shared.monotonicNanoseconds()
        let deadline = started + UInt64(seconds * 1e9)
        var completed = false
        do throws(PGError) {
            while true {
                if try await reads.isComplete(batch: batch.description, tenantID: tenantID) == true {
                    completed = true
                    break
                }
                let now = SystemClock.shared.monotonicNanoseconds()
                if now >= deadline { break }
                let step: UInt64 = now - started < 1_000_000_000 ? 100_000_000 : 250_000_000
                try? await Task.sleep(nanoseconds: min(step, deadline - now))
            }
            let page = try await reads.synchronousResults(batch: batch.description, tenantID: tenantID, limit: files)
            return (completed, page.json, page.ok)
        } catch {
            return nil
        }
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

/// `Idempotency-Key` answers in the database, for the router.
@LoopActor
public final class IdempotencyRecords: IdempotencyStore {
    private let keys: IdempotencyKeys
    private let logger: Logger

    public init(keys: IdempotencyKeys, logger: Logger) {
        self.keys = keys
        self.logger = logger
    }

    public func claim(tenantID: String, key: String, route: String, hours: Double) async -> IdempotencyClaim {
        do throws(PGError) {
            switch try await keys.claim(tenantID: tenantID, key: key, route: route, hours: hours) {
            case .new: return .new
            case .inFlight: return .inFlight
            case .done(let fingerprint, let status, let body): return .done(fingerprint: fingerprint, status: status, body: body)
            }
        } catch {
            logger.warning("idempotency key lookup failed", metadata: ["error": "\(error)"])
            return .unavailable("database: \(error.message)")
        }
    }

    public func finish(tenantID: String, key: String, fingerprint: [UInt8], status: Int, body: [UInt8]) async {
        do throws(PGError) {
            try await keys.finish(tenantID: tenantID, key: key, fingerprint: fingerprint, status: status, body: body)
        } catch {
            // Not kept: a retry with this key runs again (the upsert keeps the content's row single).
            logger.warning("could not keep an idempotent answer", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes a tenant's expired answers.
    public func expire(tenantID: String) async {
        do throws(PGError) {
            try await keys.expire(tenantID: tenantID)
        } catch {
            logger.debug("could not expire idempotency keys", metadata: ["error": "\(error)"])
        }
    }

    public func abandon(tenantID: String, key: String) async {
        do throws(PGError) {
            try await keys.abandon(tenantID: tenantID, key: key)
        } catch {
            logger.warning("could not release an idempotency key", metadata: ["error": "\(error)"])
        }
    }
}
