import Foundation
import HTTP1
import Loop
import DequeModule
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The durable queue between Ingest and the rest of the pipeline, on disk.
///
/// Layout under the spool directory:
/// - `tmp/<id>.data` — a file part being received; removed at start-up (never acknowledged).
/// - `incoming/<id>.data` + `incoming/<id>.json` — an acknowledged document and its metadata. The JSON is
///   renamed in last and is the commit marker: a `.data` without its `.json` was never acknowledged.
/// - `quarantine/<id>.data`, `.json` and `.reason` — a committed document the pipeline cannot take (its
///   metadata is unreadable or damaged), moved out of the backlog whole, with why (``quarantine(_:reason:detail:)``).
///
/// A document is acknowledged only after its bytes and metadata are written and `fsync`ed, both renamed
/// into `incoming/`, and `incoming/` itself `fsync`ed. Directory syncs of concurrent commits are grouped:
/// a commit that finds a sync in flight joins the next one, which covers every rename made before it.
@LoopActor
public final class Spool {
    /// The spool's root, absolute.
    public let directory: String
    /// `<root>/tmp`.
    public let temporaryDirectory: String
    /// `<root>/incoming`: the backlog.
    public let incomingDirectory: String
    /// When the spool counts as full.
    public let marks: SpoolMarks

    /// Documents waiting in `incoming/`.
    public internal(set) var depthFiles = 0
    /// Bytes of documents waiting in `incoming/`.
    public internal(set) var depthBytes = 0
    /// Bytes of uploads in progress (not yet acknowledged).
    public private(set) var receivingBytes = 0

    let metrics: IngestMetrics
    private let logger: Logger
    private var directorySync = DirectorySyncState<SyncWaiter>()
    /// How `incoming/` is synced: `fsync` of the directory; tests put a failing one in its place.
    package var syncDirectory: @Sendable (String) throws(SystemError) -> Int64 = { path throws(SystemError) in
        try FileSystem.fsyncDirectory(path)
    }
    /// Hears the metadata of every commit, once durable (the pipeline records batches and their items).
    public var committed: (@LoopActor ([DocumentMetadata]) -> Void)?
    /// Committed documents not yet handed to the next stage, a lane per tenant, each oldest first (ids are
    /// time-ordered UUIDv7). Lanes are served round robin (``nextCommitted()``): a tenant's 10,000-document
    /// import and another tenant's single upload each get their turn, so the single upload waits for at most
    /// one document per other busy tenant (times its weight), not for the whole import.
    private var lanes: [String: Deque<DocumentID>] = [:]
    /// Tenants with documents waiting, in serving order; the first is being served.
    private var rotation = Deque<String>()
    /// Documents the first lane in `rotation` may still take this turn.
    private var credit = 0
    private var backlogCount = 0
    /// Documents a tenant takes per turn (default 1): set from the tenant's weight as its uploads arrive.
    public var weights: [String: Int] = [:]
    private var backlogWaiters: [CheckedContinuation<DocumentID?, Never>] = []
    private var backlogClosed = false

    /// What start-up found and cleaned.
    public struct Recovery: Sendable, Equatable {
        /// Documents in the backlog.
        public var backlogFiles: Int
        /// Their bytes.
        public var backlogBytes: Int
        /// Unacknowledged leftovers removed from `tmp/`.
        public var removedTemporary: Int
        /// Half-committed files removed from `incoming/` (data without metadata or the reverse).
        public var removedOrphans: Int
    }

    /// A spool rooted at `directory` (created if missing). Call ``open()`` before use.
    public init(directory: String, marks: SpoolMarks, metrics: IngestMetrics, logger: Logger) {
        self.directory = FileSystem.absolute(directory)
        self.temporaryDirectory = self.directory + "/tmp"
        self.incomingDirectory = self.directory + "/incoming"
        self.marks = marks
        self.metrics = metrics
        self.logger = logger
    }

    /// The open `.lock` file that makes this process the spool's only user (released when the spool goes).
    private let lock = SpoolLock()

    /// Another process uses the spool (two engines on one spool would take each other's documents and
    /// empty each other's `tmp/`).
    public struct InUse: Error, CustomStringConvertible {
        public var directory: String
        public var description: String {
            "the spool at \(directory) is in use by another process (a server or an import); give each its own "
                + "SPOOL_DIR / IMPORT_SPOOL_DIR"
        }
    }

    /// Gives the spool up (its lock) for another process, or another spool object of this one; for after
    /// shutdown. Dropping the spool does it too.
    public func release() {
        closeQueue()
        lock.release()
    }

    /// Takes the spool (an exclusive lock on `<root>/.lock`), creates the directories, removes leftovers of
    /// interrupted uploads, and measures the backlog.
    @discardableResult
    public func open() async throws -> Recovery {
        let tmp = temporaryDirectory
        let incoming = incomingDirectory
        let root = directory
        let lock = self.lock
        let quarantine = quarantineDirectory
        let (recovery, ids) = try await Offload.run { () throws -> (Recovery, [(DocumentID, String)]) in
            try FileSystem.makeDirectories(root)
            // A converter this process (or a previous one) just started holds a copy of the lock's descriptor
            // between its fork and its exec: give such a copy a moment to go before calling the spool taken.
            var taken = try lock.take(root + "/.lock")
            var tries = 0
            while !taken && tries < 40 {
                usleep(50_000)
                tries += 1
                taken = try lock.take(root + "/.lock")
            }
            guard taken else { throw InUse(directory: root) }
            try FileSystem.makeDirectories(tmp)
            try FileSystem.makeDirectories(incoming)
            var removedTemporary = 0
            for name in try FileSystem.list(tmp) {
                FileSystem.unlink(tmp + "/" + name)
                removedTemporary += 1
            }
            var data: [String: Int] = [:]
            var meta: Set<String> = []
            for name in try FileSystem.list(incoming) {
                if name.hasSuffix(".data") {
                    data[String(name.dropLast(5))] = FileSystem.size(incoming + "/" + name) ?? 0
                } else if name.hasSuffix(".json") {
                    meta.insert(String(name.dropLast(5)))
                }
            }
            var removedOrphans = 0
            for (id, _) in data where !meta.contains(id) {
                FileSystem.unlink(incoming + "/" + id + ".data")
                removedOrphans += 1
            }
            for id in meta where data[id] == nil {
                if access(quarantine + "/" + id + ".data", F_OK) == 0 {
                    // A quarantine interrupted between its two renames: finish it.
                    try FileSystem.rename(incoming + "/" + id + ".json", quarantine + "/" + id + ".json")
                    try FileSystem.fsyncDirectory(quarantine)
                    continue
                }
                FileSystem.unlink(incoming + "/" + id + ".json")
                removedOrphans += 1
            }
            if removedOrphans > 0 || removedTemporary > 0 { try FileSystem.fsyncDirectory(incoming) }
            // Pairs whose name is not a document id were not written by the engine: counted neither as
            // backlog nor handed out (an import waits for what it counts).
            let kept = data.filter { meta.contains($0.key) && DocumentID($0.key) != nil }
            // Each document's tenant, for its lane (unreadable metadata: lane "", and the pipeline quarantines
            // it when it comes up).
            let ids = kept.keys.compactMap(DocumentID.init).sorted().map { id -> (DocumentID, String) in
                let bytes = FileManager.default.contents(atPath: incoming + "/\(id).json").map { Array($0) }
                let tenant = bytes.flatMap { try? DocumentMetadata(decoding: $0, id: id).tenant } ?? ""
                return (id, tenant)
            }
            return (Recovery(backlogFiles: kept.count, backlogBytes: kept.values.reduce(0, +),
                             removedTemporary: removedTemporary, removedOrphans: removedOrphans), ids)
        }
        depthFiles = recovery.backlogFiles
        depthBytes = recovery.backlogBytes
        for (id, tenant) in ids { enqueue(id, tenant: tenant) }
        metrics.spoolDepth(files: depthFiles, bytes: depthBytes)
        logger.info("spool opened", metadata: [
            "dir": "\(directory)", "backlog_files": "\(recovery.backlogFiles)",
            "backlog_bytes": "\(recovery.backlogBytes)", "removed_tmp": "\(recovery.removedTemporary)",
            "removed_orphans": "\(recovery.removedOrphans)",
        ])
        return recovery
    }

    /// Whether the spool is above a high-water mark (then new uploads get `503`).
    public var isFull: Bool {
        depthFiles >= marks.highWaterFiles || depthBytes + receivingBytes >= marks.highWaterBytes
    }

    /// A new file in `tmp/`, for one file part.
    package func makeFile() -> SpoolFile {
        SpoolFile(id: DocumentID(), temporaryDirectory: temporaryDirectory, metrics: metrics)
    }

    /// Accounts bytes of uploads in progress against the byte mark.
    package func reserve(_ bytes: Int) { receivingBytes += bytes }
    package func release(_ bytes: Int) { receivingBytes -= bytes }

    /// Makes finished files durable in `incoming/`, all of them or (on error) none acknowledged: their data
    /// and metadata are already synced in `tmp/` (``SpoolFile/finish(metadata:_:)``); each pair is renamed
    /// into `incoming/`, data first and metadata (the commit marker) last, and `incoming/` is synced. The
    /// renames ride along with the next grouped directory sync, in the same pool job.
    package func commit(_ files: [(file: SpoolFile, metadata: DocumentMetadata)]) async throws {
        guard !files.isEmpty else { return }
        let moves = files.map { Move(data: $0.file.temporaryPath, metadata: $0.file.temporaryMetadataPath,
                                     id: $0.file.id) }
        try await syncIncoming(moves)
        files.forEach { enqueue($0.file.id, tenant: $0.metadata.tenant) }
        committed?(files.map(\.metadata))
        depthFiles += files.count
        depthBytes += files.reduce(0) { $0 + $1.metadata.size }
        metrics.spoolDepth(files: depthFiles, bytes: depthBytes)
    }

    // MARK: The queue for the next stage

    func enqueue(_ id: DocumentID, tenant: String) {
        if !backlogWaiters.isEmpty {
            backlogWaiters.removeFirst().resume(returning: id)
            return
        }
        if lanes[tenant, default: []].isEmpty {
            rotation.append(tenant)
            if rotation.count == 1 { credit = weight(tenant) }
        }
        lanes[tenant, default: []].append(id)
        backlogCount += 1
    }

    private func weight(_ tenant: String) -> Int { max(1, min(1000, weights[tenant] ?? 1)) }

    /// The next document in round-robin order over the tenants' lanes, or nil when none waits.
    private func takeNext() -> DocumentID? {
        guard let tenant = rotation.first, let id = lanes[tenant]?.popFirst() else { return nil }
        backlogCount -= 1
        credit -= 1
        if lanes[tenant]?.isEmpty ?? true {
            lanes[tenant] = nil
            rotation.removeFirst()
            credit = rotation.first.map(weight) ?? 0
        } else if credit <= 0 {
            rotation.append(rotation.removeFirst())
            credit = weight(rotation[0])
        }
        return id
    }

    /// The next committed document for the next stage, waiting for one if none is pending; `nil` once
    /// ``closeQueue()`` was called. Each document is handed out once per process; it stays in `incoming/`
    /// until ``remove(_:size:)``, so after a crash it is handed out again. Tenants take turns.
    public func nextCommitted() async -> DocumentID? {
        // Closed for shutdown: what is still queued stays in `incoming/` for the next start.
        if backlogClosed { return nil }
        if let id = takeNext() { return id }
        return await withCheckedContinuation(isolation: LoopActor.shared) { backlogWaiters.append($0) }
    }

    /// Committed documents waiting to be handed out.
    public var pendingCount: Int { backlogCount }

    /// Removes the documents of `tenant` whose content is `sha256` that wait in the backlog (an erasure):
    /// their metadata is read to compare, on the pool. Returns how many went.
    public func purge(tenant: String, sha256: [UInt8]) async -> Int {
        guard let lane = lanes[tenant], !lane.isEmpty else { return 0 }
        let candidates = Array(lane)
        let incoming = incomingDirectory
        let matches: [(DocumentID, Int)] = await Offload.runNonThrowing {
            candidates.compactMap { id in
                guard let bytes = FileManager.default.contents(atPath: incoming + "/\(id).json"),
                      let m = try? DocumentMetadata(decoding: Array(bytes), id: id), m.sha256 == sha256
                else { return nil }
                return (id, m.size)
            }
        }
        guard !matches.isEmpty else { return 0 }
        var gone = Set(matches.map(\.0))
        if var lane = lanes[tenant] {
            let before = lane.count
            // Only documents still waiting: one handed out while the metadata was read is in the pipeline now
            // (its row is dropped by the Sink's erasure check), and its files are the pipeline's to remove.
            let waiting = Set(lane)
            gone = gone.intersection(waiting)
            lane.removeAll { gone.contains($0) }
            backlogCount -= before - lane.count
            if lane.isEmpty {
                lanes[tenant] = nil
                if let at = rotation.firstIndex(of: tenant) {
                    rotation.remove(at: at)
                    if at == 0 { credit = rotation.first.map(weight) ?? 0 }
                }
            } else {
                lanes[tenant] = lane
            }
        } else {
            gone = []
        }
        let removed = matches.filter { gone.contains($0.0) }
        do {
            try await remove(removed.map { (id: $0.0, size: $0.1) })
        } catch {
            logger.error("could not remove erased documents from the spool", metadata: ["error": "\(error)"])
        }
        return removed.count
    }

    /// Ends ``nextCommitted()`` for shutdown: waiting callers get `nil`.
    public func closeQueue() {
        backlogClosed = true
        let waiters = backlogWaiters
        backlogWaiters = []
        waiters.forEach { $0.resume(returning: nil) }
    }

    /// Paths of a committed document's bytes and metadata.
    public func paths(of id: DocumentID) -> (data: String, metadata: String) {
        (incomingDirectory + "/\(id).data", incomingDirectory + "/\(id).json")
    }

    /// Removes a document from `incoming/` (its metadata first, so a crash leaves an orphan that start-up
    /// removes rather than a document without bytes). For the stage that has made it durable elsewhere.
    public func remove(_ id: DocumentID, size: Int) async throws {
        try await remove([(id, size)])
    }

    /// Forgets documents (their sizes given for the depth gauges): one pass of unlinks on the pool, then one
    /// `fsync` of `incoming/` for them all. Call only once their results are durable elsewhere.
    public func remove(_ documents: [(id: DocumentID, size: Int)]) async throws {
        guard !documents.isEmpty else { return }
        let incoming = incomingDirectory
        let ids = documents.map(\.id)
        try await Offload.run {
            for id in ids {
                FileSystem.unlink(incoming + "/\(id).json")
                FileSystem.unlink(incoming + "/\(id).data")
            }
        }
        try await syncIncoming([])
        depthFiles -= documents.count
        depthBytes -= documents.reduce(0) { $0 + $1.size }
        metrics.spoolDepth(files: depthFiles, bytes: depthBytes)
    }

    /// One document's two renames from `tmp/` into `incoming/`.
    package struct Move: Sendable {
        package var data: String
        package var metadata: String
        package var id: DocumentID
    }

    /// A caller of ``syncIncoming(_:)``: its renames and how to wake it.
    package struct SyncWaiter {
        package var moves: [Move]
        package var continuation: CheckedContinuation<Void, any Error>
    }

    /// Performs `moves` and `fsync`s `incoming/`, so those renames and every one made before are durable.
    /// Concurrent callers share rounds (group commit): one pool job renames for all of them, then syncs once.
    package func syncIncoming(_ moves: [Move]) async throws {
        try await withCheckedThrowingContinuation(isolation: LoopActor.shared) {
            (continuation: CheckedContinuation<Void, any Error>) in
            switch directorySync.request(SyncWaiter(moves: moves, continuation: continuation)) {
            case .startRound(let round): startRound(round)
            case .wait: break
            }
        }
    }

    private func startRound(_ round: [SyncWaiter]) {
        let incoming = incomingDirectory
        let metrics = self.metrics
        let moves = round.map(\.moves)
        let box = RoundResult(count: round.count)
        let sync = syncDirectory
        Offload.submit({
            for (index, group) in moves.enumerated() {
                box.errors[index] = Spool.rename(group, into: incoming)
            }
            do throws(SystemError) {
                metrics.fsync(nanoseconds: try sync(incoming))
            } catch {
                box.syncError = error
                // Every caller of this round is told its documents were not stored, so none of them may stay
                // in `incoming/` to be ingested after a restart: undo the renames (commit marker first) and
                // sync again, as far as the disk still allows.
                for (index, group) in moves.enumerated() where box.errors[index] == nil {
                    Spool.unlinkCommitted(group, in: incoming)
                }
                _ = try? sync(incoming)
            }
        }, after: { [self] in
            for (index, waiter) in round.enumerated() {
                if let error = box.errors[index] ?? box.syncError {
                    waiter.continuation.resume(throwing: error)
                } else {
                    waiter.continuation.resume()
                }
            }
            if let next = directorySync.roundCompleted() { startRound(next) }
        })
    }

    /// Renames one request's files into `incoming/`; on failure undoes them all (none acknowledged).
    private nonisolated static func rename(_ moves: [Move], into incoming: String) -> SystemError? {
        var done: [String] = []
        do throws(SystemError) {
            for move in moves {
                try FileSystem.rename(move.data, incoming + "/\(move.id).data")
                done.append(incoming + "/\(move.id).data")
                try FileSystem.rename(move.metadata, incoming + "/\(move.id).json")
                done.append(incoming + "/\(move.id).json")
            }
            return nil
        } catch {
            for path in done { FileSystem.unlink(path) }
            for move in moves {
                FileSystem.unlink(move.data)
                FileSystem.unlink(move.metadata)
            }
            return error
        }
    }

    /// Removes renamed documents from `incoming/`, each metadata file (the commit marker) before its data.
    private nonisolated static func unlinkCommitted(_ moves: [Move], in incoming: String) {
        for move in moves {
            FileSystem.unlink(incoming + "/\(move.id).json")
            FileSystem.unlink(incoming + "/\(move.id).data")
        }
    }

    private final class RoundResult: @unchecked Sendable {
        // @unchecked: written on the pool thread before completion, read on the loop after.
        package var errors: [SystemError?]
        package var syncError: SystemError?
        package init(count: Int) { errors = Array(repeating: nil, count: count) }
    }
}

/// The decisions of grouped directory syncs, as a pure state machine.
///
/// A waiter that arrives while a round is running cannot be served by it (its rename may come after the
/// sync started), so it joins the next round; every waiter of a round is resumed together. Generic over the
/// waiter so that tests can drive it with plain values.
package struct DirectorySyncState<Waiter> {
    private var running = false
    private var next: [Waiter] = []

    /// What to do for a new request.
    package enum RequestAction {
        /// Nothing is running: start a round now, for these waiters (the new one).
        case startRound([Waiter])
        /// A round is running: the waiter joins the next one.
        case wait
    }

    package mutating func request(_ waiter: Waiter) -> RequestAction {
        if running {
            next.append(waiter)
            return .wait
        }
        running = true
        return .startRound([waiter])
    }

    /// The running round finished (its waiters are resumed by the caller): the next round to start, if
    /// anyone came during this one.
    package mutating func roundCompleted() -> [Waiter]? {
        precondition(running, "no round was running")
        guard !next.isEmpty else {
            running = false
            return nil
        }
        defer { next = [] }
        return next
    }
}

/// An exclusive `flock` on the spool's `.lock`, held from ``Spool/open()`` until the spool is released (the
/// kernel drops it if the process dies, so a crash never leaves the spool locked).
final class SpoolLock: @unchecked Sendable {
    // @unchecked: `fd` is written once, on the pool thread inside open(), before anyone else reads it.
    private var fd: Int32 = -1

    /// True when this process now holds the lock; false when another one does.
    func take(_ path: String) throws(SystemError) -> Bool {
        if fd >= 0 { return true }
        let opened = try FileSystem.open(path, O_RDWR | O_CREAT)
        if flock(opened, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            FileSystem.close(opened)
            if error == EWOULDBLOCK { return false }
            throw SystemError("flock", path: path, errno: error)
        }
        fd = opened
        return true
    }

    /// Drops the lock (closing the file drops it).
    func release() {
        if fd >= 0 { FileSystem.close(fd) }
        fd = -1
    }

    deinit { release() }
}
