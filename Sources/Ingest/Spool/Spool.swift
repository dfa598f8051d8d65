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
    public private(set) var depthFiles = 0
    /// Bytes of documents waiting in `incoming/`.
    public private(set) var depthBytes = 0
    /// Bytes of uploads in progress (not yet acknowledged).
    public private(set) var receivingBytes = 0

    private let metrics: IngestMetrics
    private let logger: Logger
    private var directorySync = DirectorySyncState<CheckedContinuation<Void, any Error>>()

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

    /// Creates the directories, removes leftovers of interrupted uploads, and measures the backlog.
    @discardableResult
    public func open() async throws -> Recovery {
        let tmp = temporaryDirectory
        let incoming = incomingDirectory
        let recovery = try await Offload.run { () throws -> Recovery in
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
                FileSystem.unlink(incoming + "/" + id + ".json")
                removedOrphans += 1
            }
            if removedOrphans > 0 || removedTemporary > 0 { try FileSystem.fsyncDirectory(incoming) }
            let kept = data.filter { meta.contains($0.key) }
            return Recovery(backlogFiles: kept.count, backlogBytes: kept.values.reduce(0, +),
                            removedTemporary: removedTemporary, removedOrphans: removedOrphans)
        }
        depthFiles = recovery.backlogFiles
        depthBytes = recovery.backlogBytes
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
    func makeFile() -> SpoolFile {
        SpoolFile(id: DocumentID(), temporaryDirectory: temporaryDirectory, metrics: metrics)
    }

    /// Accounts bytes of uploads in progress against the byte mark.
    func reserve(_ bytes: Int) { receivingBytes += bytes }
    func release(_ bytes: Int) { receivingBytes -= bytes }

    /// Makes finished files durable in `incoming/`, all of them or (on error) none acknowledged: their data
    /// and metadata are already synced in `tmp/` (``SpoolFile/finish(metadata:_:)``); here each pair is renamed
    /// into `incoming/`, data first and metadata (the commit marker) last, and `incoming/` is synced.
    func commit(_ files: [(file: SpoolFile, metadata: SpoolMetadata)]) async throws {
        guard !files.isEmpty else { return }
        let incoming = incomingDirectory
        let moves = files.map { (data: $0.file.temporaryPath, metadata: $0.file.temporaryMetadataPath,
                                 id: $0.file.id) }
        try await Offload.run { () throws in
            var done: [String] = []
            do {
                for move in moves {
                    try FileSystem.rename(move.data, incoming + "/\(move.id).data")
                    done.append(incoming + "/\(move.id).data")
                    try FileSystem.rename(move.metadata, incoming + "/\(move.id).json")
                    done.append(incoming + "/\(move.id).json")
                }
            } catch {
                for path in done { FileSystem.unlink(path) }
                for move in moves {
                    FileSystem.unlink(move.data)
                    FileSystem.unlink(move.metadata)
                }
                throw error
            }
        }
        try await syncIncoming()
        depthFiles += files.count
        depthBytes += files.reduce(0) { $0 + $1.metadata.size }
        metrics.spoolDepth(files: depthFiles, bytes: depthBytes)
    }

    /// Removes a document from `incoming/` (its metadata first, so a crash leaves an orphan that start-up
    /// removes rather than a document without bytes). For the stage that has made it durable elsewhere.
    public func remove(_ id: DocumentID, size: Int) async throws {
        let incoming = incomingDirectory
        try await Offload.run {
            FileSystem.unlink(incoming + "/\(id).json")
            FileSystem.unlink(incoming + "/\(id).data")
        }
        try await syncIncoming()
        depthFiles -= 1
        depthBytes -= size
        metrics.spoolDepth(files: depthFiles, bytes: depthBytes)
    }

    /// `fsync`s `incoming/` so that every rename made before this call is durable; concurrent callers share
    /// syncs (group commit).
    func syncIncoming() async throws {
        try await withCheckedThrowingContinuation(isolation: LoopActor.shared) {
            (continuation: CheckedContinuation<Void, any Error>) in
            switch directorySync.request(continuation) {
            case .startSync: startDirectorySync()
            case .wait: break
            }
        }
    }

    private func startDirectorySync() {
        let incoming = incomingDirectory
        let metrics = self.metrics
        let box = SyncResult()
        Offload.submit({
            do throws(SystemError) {
                metrics.fsync(nanoseconds: try FileSystem.fsyncDirectory(incoming))
            } catch {
                box.error = error
            }
        }, after: { [self] in
            let action = directorySync.syncCompleted()
            for waiter in action.resume {
                if let error = box.error { waiter.resume(throwing: error) } else { waiter.resume() }
            }
            if action.startNext { startDirectorySync() }
        })
    }

    private final class SyncResult: @unchecked Sendable {
        // @unchecked: written on the pool thread before completion, read on the loop after.
        var error: SystemError?
    }
}

/// The decisions of grouped directory syncs, as a pure state machine.
///
/// A waiter that arrives while a sync is running cannot be served by it (its rename may have come after the
/// sync started), so it waits for the next round; every waiter of a round is resumed together.
/// Generic over the waiter so that tests can drive it with plain values.
struct DirectorySyncState<Waiter> {
    private var running = false
    private var current: [Waiter] = []
    private var next: [Waiter] = []

    /// What to do for a new request.
    enum RequestAction: Equatable {
        /// Nothing is running: start a sync now (the waiter belongs to it).
        case startSync
        /// A sync is running: the waiter joins the next round.
        case wait
    }

    mutating func request(_ waiter: Waiter) -> RequestAction {
        if running {
            next.append(waiter)
            return .wait
        }
        running = true
        current = [waiter]
        return .startSync
    }

    /// The waiters to resume, and whether another round must start for those who came during this one.
    mutating func syncCompleted() -> (resume: [Waiter], startNext: Bool) {
        let done = current
        current = next
        next = []
        running = !current.isEmpty
        return (done, running)
    }
}
