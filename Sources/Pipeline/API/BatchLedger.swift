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

    private let records: BatchRecords
    private let directory: TenantDirectory
    private let logger: Logger
    private var tenantIDs: [String: String] = [:]
    private enum Work {
        case items(String, [BatchItem])
        case seal(String, id: String, expected: Int, origin: String?, label: String?, callbackURL: String?)
        /// Completion checks of the batches in `pending` (coalesced: one queued at a time).
        case checkPending
        case describe(String, id: String, origin: String, callbackURL: String?)
    }
    /// Batches to check for completion, by tenant, and whether their counters need a recount first.
    private var pending: [String: [String: Bool]] = [:]
    private var checkQueued = false
    private var queue: [Work] = []
    private var queuedItems = 0
    private var running = false
    private var closed = false
    /// Batches touched by results since the last completion check, by tenant slug.
    private var touched: [String: [String: Bool]] = [:]
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
            queue.append(.items(tenant, items))
        }
        kick()
    }

    /// Batch `id` of `tenant` holds `expected` items (an upload: all its files; an import: its archive's).
    public func seal(_ id: DocumentID, tenant: String, expected: Int, origin: String?, label: String? = nil,
                     callbackURL: String? = nil) {
        queue.append(.seal(tenant, id: id.description, expected: expected, origin: origin, label: label,
                           callbackURL: callbackURL))
        check(tenant, [id.description], recount: true)
        kick()
    }

    /// Batch `id` of `tenant` came as `origin`, with its webhook (an import, sealed once its archive is read).
    public func describe(_ id: DocumentID, tenant: String, origin: String, callbackURL: String?) {
        queue.append(.describe(tenant, id: id.description, origin: origin, callbackURL: callbackURL))
        kick()
    }

    /// A document of `batch` was handed to the database (`reused`: settled without it, from a stored row).
    public func touched(tenant: String, batch: DocumentID, reused: Bool = false) {
        touched[tenant, default: [:]][batch.description, default: false] = reused || (touched[tenant]?[batch.description] ?? false)
    }

    /// Results are durable: check the batches they touched.
    public func settled() {
        guard !touched.isEmpty else { return }
        for (tenant, batches) in touched {
            for (batch, recount) in batches { check(tenant, [batch], recount: recount) }
        }
        touched = [:]
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
            queue.append(.checkPending)
        }
    }

    /// Waits (up to `timeoutMilliseconds`) for what is queued to be written, e.g. before shutdown.
    public func drain(timeoutMilliseconds: UInt64) async {
        let deadline = SystemClock.shared.monotonicNanoseconds() + timeoutMilliseconds * 1_000_000
        while (running || !queue.isEmpty) && !closed && SystemClock.shared.monotonicNanoseconds() < deadline {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    public func close() { closed = true }

    private func kick() {
        guard !running, !queue.isEmpty, !closed else { return }
        running = true
        EventLoop.spawn { [self] in await drain() }
    }

    private func drain() async {
        var delay: UInt64 = 100
        while !queue.isEmpty, !closed {
            let work = queue[0]
            do throws(PGError) {
                try await perform(work)
                queue.removeFirst()
                if case .items(_, let items) = work { queuedItems -= items.count }
                delay = 100
            } catch {
                if !error.isConnectionLoss && error.kind != .connection {
                    // Not the database being away: this piece of work will not succeed; drop it.
                    logger.error("batch ledger write failed", metadata: ["error": "\(error)"])
                    queue.removeFirst()
                    if case .items(_, let items) = work { queuedItems -= items.count }
                    if case .checkPending = work {
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

    private func perform(_ work: Work) async throws(PGError) {
        switch work {
        case .items(let tenant, let items):
            guard let tenantID = try await tenantID(tenant) else { return }
            try await records.record(items, tenantID: tenantID)
        case .seal(let tenant, let id, let expected, let origin, let label, let callbackURL):
            guard let tenantID = try await tenantID(tenant) else { return }
            try await records.seal(id, tenantID: tenantID, expected: expected, origin: origin, label: label,
                                   callbackURL: callbackURL)
        case .describe(let tenant, let id, let origin, let callbackURL):
            guard let tenantID = try await tenantID(tenant) else { return }
            try await records.describe(id, tenantID: tenantID, origin: origin, callbackURL: callbackURL)
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
