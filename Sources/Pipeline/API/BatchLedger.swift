import Ingest
import Logging
import Loop
import Sink

/// Keeps `batches` and `batch_items` in step with the spool: every acknowledged file becomes its batch's item
/// at once (so a batch shows its queued files, and a re-upload of stored content counts in its own batch),
/// batches are sealed when all their files are known, and batches whose items all have a final row are marked
/// complete (once, across engines) and announced through ``completed``.
///
/// Writes are queued and sent one transaction at a time per tenant, off the upload's path: an upload is
/// acknowledged once its bytes are in the spool, whatever the database is doing. While the database is down
/// the queue waits and retries; it holds at most ``maxQueuedItems`` items (beyond, items are left to the Sink,
/// which writes each document's item with its row), and every seal.
@LoopActor
public final class BatchLedger {
    public static let maxQueuedItems = 50_000

    let records: BatchRecords
    private let directory: TenantDirectory
    private let logger: Logger
    private var tenantIDs: [String: String] = [:]
    private enum Work {
        case items(String, [BatchItem])
        case seal(String, id: String, expected: Int, origin: String?, label: String?, callbackURL: String?, jobID: String?)
        /// Completion checks of the batches in `pending` (coalesced: one queued at a time).
        case checkPending
        case describe(String, id: String, origin: String, callbackURL: String?, jobID: String?)
    }
    /// Batches to check for completion, by tenant, and whether their counters need a recount first.
    private var pending: [String: [String: Bool]] = [:]
    private var checkQueued = false
    private var queue: [Work] = []
    /// Work items queued and done so far (a caller waits for its own with ``written(_:timeoutMilliseconds:)``).
    private var queuedCount = 0
    private var doneCount = 0
    private let progress = Waiters()
    private var queuedItems = 0
    private var running = false
    /// The task writing the queue, awaited by ``close()`` (its connection must be back before the pool closes).
    private var drainTask: Task<Void, Never>?
    private var closed = false
    /// Documents handed to the database and not yet committed: their tenant and batch.
    private var inFlight: [String: (tenant: String, batch: String)] = [:]
    /// Hears each batch that completed (tenant slug and id, the batch).
    public var completed: @LoopActor (_ tenant: String, _ tenantID: String, CompletedBatch) -> Void = { _, _, _ in }
    /// Items dropped because the queue was full (the Sink writes them with their rows).
    public private(set) var droppedItems = 0

    public init(records: BatchRecords, directory: TenantDirectory, logger: Logger) {
        self.records = records
        self.directory = directory
        self.logger = logger
    }

    /// Documents just committed to the spool (archives themselves are not items: their entries are).
    public func committed(_ metadata: [DocumentMetadata]) {
        var byTenant: [String: [BatchItem]] = [:]
        for m in metadata where !m.isArchive && m.sha256.count == 32 {
            byTenant[m.tenant, default: []].append(BatchItem(
                id: m.id.description, batchID: m.batchID.description, sha256: m.sha256, filename: m.filename,
                declaredType: m.declaredType, size: m.size, receivedAtMilliseconds: m.receivedAtMilliseconds))
        }
        for (tenant, items) in byTenant {
            guard queuedItems + items.count <= Self.maxQueuedItems else {
                droppedItems += items.count
                continue
            }
            queuedItems += items.count
            enqueue(.items(tenant, items))
        }
        kick()
    }

    /// Where seals wait for the database across restarts (nil: in memory only).
    var journal: SealJournal?

    /// Batch `id` of `tenant` holds `expected` items (an upload: all its files; an import: its archive's).
    /// Journaled beside the spool first, so that it outlives a restart while the database is away.
    public func seal(_ id: DocumentID, tenant: String, expected: Int, origin: String?, label: String? = nil,
                     callbackURL: String? = nil, jobID: String? = nil) async {
        await journalWrite(SealJournal.Entry(tenant: tenant, batch: id.description, expected: expected,
                                             origin: origin ?? "upload", label: label, callbackURL: callbackURL,
                                             jobID: jobID))
        enqueue(.seal(tenant, id: id.description, expected: expected, origin: origin, label: label,
                      callbackURL: callbackURL, jobID: jobID))
        check(tenant, [id.description], recount: true)
        kick()
    }

    /// Batch `id` of `tenant` came as `origin`, with its webhook (an import, sealed once its archive is read).
    public func describe(_ id: DocumentID, tenant: String, origin: String, callbackURL: String?,
                         jobID: String? = nil) async {
        await journalWrite(SealJournal.Entry(tenant: tenant, batch: id.description, expected: nil, origin: origin,
                                             label: nil, callbackURL: callbackURL, jobID: jobID))
        enqueue(.describe(tenant, id: id.description, origin: origin, callbackURL: callbackURL, jobID: jobID))
        kick()
    }

    /// Queues the seals a previous run journaled and never wrote (call once, at start).
    public func resumeJournal() async {
        guard let journal else { return }
        for entry in await journal.entries() {
            if let expected = entry.expected {
                enqueue(.seal(entry.tenant, id: entry.batch, expected: expected, origin: entry.origin,
                              label: entry.label, callbackURL: entry.callbackURL, jobID: entry.jobID))
                check(entry.tenant, [entry.batch], recount: true)
            } else {
                enqueue(.describe(entry.tenant, id: entry.batch, origin: entry.origin, callbackURL: entry.callbackURL,
                                  jobID: entry.jobID))
            }
        }
        kick()
    }

    private func journalWrite(_ entry: SealJournal.Entry) async {
        guard let journal else { return }
        var entry = entry
        // An import is described (with its job) when it arrives and sealed once its archive is read, by code
        // that does not know the job: the seal keeps the describe's job, or a restart before the database had
        // the describe would lose it.
        if entry.jobID == nil { entry.jobID = await journal.entry(entry.batch)?.jobID }
        do {
            try await journal.write(entry)
        } catch {
            // The seal still goes to the database from memory; only a restart before then would lose it.
            logger.warning("could not journal a batch's seal", metadata: ["batch": "\(entry.batch)", "error": "\(error)"])
        }
    }

    /// A document of `batch` was handed to the database: once its row commits (``settled(_:)``), its batch is
    /// checked. Kept per document, not per batch: a commit settles only the documents in it, and a batch's last
    /// document may be handed over before an earlier commit lands.
    public func handedOver(_ document: DocumentID, tenant: String, batch: DocumentID) {
        inFlight[document.description] = (tenant, batch.description)
    }

    /// Rows committed: check the batches of these documents.
    public func settled(_ documents: [String]) {
        var any = false
        for id in documents {
            guard let (tenant, batch) = inFlight.removeValue(forKey: id) else { continue }
            check(tenant, [batch], recount: false)
            any = true
        }
        if any { kick() }
    }

    /// A document of `batch` was settled from a stored row, without the Sink: its batch is recounted and checked.
    public func reused(tenant: String, batch: DocumentID) {
        check(tenant, [batch.description], recount: true)
        kick()
    }

    /// Checks, with a recount, the sealed batches of every tenant not yet complete and quiet for a while: a
    /// check lost to a restart or to the database being away is made up here (every minute).
    public func sweep(tenants: [(slug: String, id: String)]) async {
        for tenant in tenants {
            do throws(PGError) {
                let open = try await records.unfinished(tenantID: tenant.id)
                tenantIDs[tenant.slug] = tenant.id
                if !open.isEmpty { check(tenant.slug, open, recount: true) }
                // Completions whose announcement was lost (a crash between the two) are announced now.
                for batch in try await records.unannounced(tenantID: tenant.id) {
                    completed(tenant.slug, tenant.id, batch)
                }
            } catch {
                logger.debug("completion sweep failed", metadata: ["error": "\(error)"])
                return
            }
        }
        kick()
    }

    /// Queues a completion check; checks waiting their turn merge, so a flood of results costs one check per
    /// batch per turn, not one per document.
    private func check(_ tenant: String, _ batches: [String], recount: Bool) {
        for batch in batches {
            pending[tenant, default: [:]][batch] = recount || (pending[tenant]?[batch] ?? false)
        }
        if !checkQueued {
            checkQueued = true
            enqueue(.checkPending)
        }
    }

    /// Waits (up to `timeoutMilliseconds`) for what is queued to be written, e.g. before shutdown.
    public func drain(timeoutMilliseconds: UInt64) async {
        let deadline = SystemClock.shared.monotonicNanoseconds() + timeoutMilliseconds * 1_000_000
        while (running || !queue.isEmpty) && !closed && SystemClock.shared.monotonicNanoseconds() < deadline {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    /// Stops writing: the statement in progress (if any) finishes, a wait for the database is cut short.
    public func close() async {
        closed = true
        progress.resumeAll()
        drainTask?.cancel()
        await drainTask?.value
        drainTask = nil
    }

    /// Nothing queued or being written (for tests).
    var drainedForTests: Bool { !running && queue.isEmpty }

    private func enqueue(_ work: Work) {
        queue.append(work)
        queuedCount += 1
    }

    /// The number of the last work item queued (to wait for it).
    public var lastQueued: Int { queuedCount }

    /// Waits until work item `number` is written (or dropped), at most `timeoutMilliseconds`; true when it was.
    /// An upload's answer waits for its batch's record this way, so the batch id it carries can be read at
    /// once (from any engine); while the database is away the wait ends at the timeout.
    @discardableResult
    public func written(_ number: Int, timeoutMilliseconds: UInt64) async -> Bool {
        let deadline = SystemClock.shared.monotonicNanoseconds() + timeoutMilliseconds * 1_000_000
        while doneCount < number && !closed {
            let now = SystemClock.shared.monotonicNanoseconds()
            guard now < deadline else { return false }
            let timer = UVTimer()
            timer.schedule(after: (deadline - now) / 1_000_000) { [progress] in progress.resumeAll() }
            await progress.wait()
            timer.close()
        }
        return doneCount >= number
    }

    private func kick() {
        guard !running, !queue.isEmpty, !closed else { return }
        running = true
        drainTask = EventLoop.spawn { [self] in await drain() }
    }

    private func drain() async {
        var delay: UInt64 = 100
        while !queue.isEmpty, !closed {
            let works = Array(queue.prefix(groupLength()))
            do throws(PGError) {
                try await perform(works)
                settle(works)
                delay = 100
            } catch {
                if !error.isConnectionLoss && error.kind != .connection {
                    // Not the database being away: this work will not succeed; drop it.
                    logger.error("batch ledger write failed", metadata: ["error": "\(error)"])
                    settle(works)
                    if works.contains(where: { if case .checkPending = $0 { true } else { false } }) {
                        // The next results for these batches check them again.
                        pending = [:]
                        checkQueued = false
                    }
                    continue
                }
                logger.debug("batch ledger waits for the database", metadata: ["error": "\(error)"])
                try? await Task.sleep(nanoseconds: delay * 1_000_000)
                delay = min(delay * 2, 5_000)
            }
        }
        running = false
    }

    /// Takes `works` (the queue's first) off the queue as done.
    private func settle(_ works: [Work]) {
        queue.removeFirst(works.count)
        doneCount += works.count
        for case .items(_, let items) in works { queuedItems -= items.count }
        progress.resumeAll()
    }

    /// How many of the queue's first works go in one transaction: the items, seals and descriptions of one
    /// tenant that queued up one after another (many small uploads: one round of statements, not one each),
    /// up to 256 works and 20,000 items; any other work alone.
    private func groupLength() -> Int {
        func tenant(_ work: Work) -> String? {
            switch work {
            case .items(let t, _), .seal(let t, _, _, _, _, _, _), .describe(let t, _, _, _, _): return t
            case .checkPending: return nil
            }
        }
        guard let first = queue.first.flatMap(tenant) else { return 1 }
        var n = 0
        var items = 0
        for work in queue {
            guard tenant(work) == first, n < 256, items < 20_000 else { break }
            if case .items(_, let list) = work { items += list.count }
            n += 1
        }
        return max(1, n)
    }

    private func perform(_ works: [Work]) async throws(PGError) {
        guard works.count > 1 else { return try await perform(works[0]) }
        var items: [BatchItem] = []
        var seals: [BatchRecords.Seal] = []
        var slug = ""
        for work in works {
            switch work {
            case .items(let t, let list):
                slug = t
                items += list
            case .seal(let t, let id, let expected, let origin, let label, let callbackURL, let jobID):
                slug = t
                seals.append(.init(id: id, expected: expected, origin: origin, label: label, callbackURL: callbackURL,
                                   jobID: jobID))
            case .describe(let t, let id, let origin, let callbackURL, let jobID):
                slug = t
                seals.append(.init(id: id, expected: nil, origin: origin, label: nil, callbackURL: callbackURL,
                                   jobID: jobID))
            case .checkPending:
                break
            }
        }
        guard let tenantID = try await tenantID(slug) else { return }
        try await records.write(items: items, seals: seals, tenantID: tenantID)
        for seal in seals where seal.expected != nil { await journal?.remove(seal.id) }
    }

    private func perform(_ work: Work) async throws(PGError) {
        switch work {
        case .items(let tenant, let items):
            guard let tenantID = try await tenantID(tenant) else { return }
            try await records.record(items, tenantID: tenantID)
        case .seal(let tenant, let id, let expected, let origin, let label, let callbackURL, let jobID):
            guard let tenantID = try await tenantID(tenant) else { return }
            try await records.seal(id, tenantID: tenantID, expected: expected, origin: origin, label: label,
                                   callbackURL: callbackURL, jobID: jobID)
            await journal?.remove(id)
        case .describe(let tenant, let id, let origin, let callbackURL, let jobID):
            guard let tenantID = try await tenantID(tenant) else { return }
            try await records.describe(id, tenantID: tenantID, origin: origin, callbackURL: callbackURL, jobID: jobID)
            // An import's entry stays until its seal (written when its archive is read) replaces it.
        case .checkPending:
            let work = pending
            pending = [:]
            checkQueued = false
            for (tenant, batches) in work {
                do throws(PGError) {
                    guard let tenantID = try await tenantID(tenant) else { continue }
                    let recount = batches.filter(\.value).map(\.key)
                    let plain = batches.filter { !$0.value }.map(\.key)
                    for (ids, again) in [(recount, true), (plain, false)] where !ids.isEmpty {
                        for batch in try await records.complete(ids, tenantID: tenantID, recount: again) {
                            completed(tenant, tenantID, batch)
                        }
                    }
                } catch {
                    // Put them back for the retry of this work item.
                    for (batch, recount) in batches {
                        pending[tenant, default: [:]][batch] = recount || (pending[tenant]?[batch] ?? false)
                    }
                    checkQueued = true
                    throw error
                }
            }
        }
    }

    private func tenantID(_ slug: String) async throws(PGError) -> String? {
        if let id = tenantIDs[slug] { return id }
        guard let tenant = try await directory.tenant(slug: slug) else {
            logger.warning("batch ledger: no tenant \(slug)")
            return nil
        }
        tenantIDs[slug] = tenant.id
        return tenant.id
    }
}
