import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// One file part on its way into the spool: bytes buffered on the loop, written and hashed on the pool.
///
/// Bytes are copied out of the socket buffer into `pending`; once enough accumulate, a pool job writes
/// them to `spool/tmp/<id>.data` and feeds them to SHA-256, so neither the disk nor the hash ever runs on
/// the loop. One job is in flight per file at a time, which keeps writes and hash updates in order.
/// ``bufferedBytes`` is what the connection watches to stop reading its socket (backpressure).
@LoopActor
final class SpoolFile {
    /// The document's id, which names its files in the spool.
    let id: DocumentID
    /// `spool/tmp/<id>.data`.
    let temporaryPath: String
    /// Bytes accepted so far.
    private(set) var size = 0
    /// Bytes copied but not yet on disk.
    var bufferedBytes: Int { pending.count + inFlightBytes }
    /// Called whenever a write completes (so a paused connection can look at ``bufferedBytes`` again).
    var onProgress: (@LoopActor () -> Void)?

    private let writer: Writer
    private var pending: [UInt8] = []
    private var inFlightBytes = 0
    private var inFlight = false
    private var finishing = false
    private var discarded = false
    private var finished: (@LoopActor (Result<Finished, SystemError>) -> Void)?
    private let flushThreshold: Int
    private let metrics: IngestMetrics

    /// What a finished file is: its size and SHA-256, durably on disk in `tmp/`.
    struct Finished: Sendable {
        var size: Int
        var sha256: [UInt8]
    }

    init(id: DocumentID, temporaryPath: String, flushThreshold: Int = 128 * 1024, metrics: IngestMetrics) {
        self.id = id
        self.temporaryPath = temporaryPath
        self.flushThreshold = flushThreshold
        self.metrics = metrics
        self.writer = Writer(path: temporaryPath)
    }

    /// Copies `bytes` into the file's buffer; they reach the disk on the pool.
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard !discarded, !finishing else { return }
        if pending.capacity < flushThreshold { pending.reserveCapacity(flushThreshold + 64 * 1024) }
        pending.append(contentsOf: bytes)
        size += bytes.count
        pump()
    }

    /// Writes what is left, `fsync`s and closes; `completion` gets the size and digest (or the failure).
    ///
    /// A callback rather than an `async` result on purpose: awaiting a `Task`'s value is a nonisolated async
    /// call that hops to the global executor, which would make the loop depend on a free cooperative thread.
    func finish(_ completion: @escaping @LoopActor (Result<Finished, SystemError>) -> Void) {
        precondition(!finishing, "finish() called twice")
        finishing = true
        if discarded {
            completion(.failure(SystemError("discard", path: temporaryPath, errno: ECANCELED)))
            return
        }
        finished = completion
        pump()
    }

    /// Drops the file: closes and unlinks it once any write in flight is done. Never acknowledged.
    func discard() {
        guard !discarded else { return }
        discarded = true
        pending = []
        if !inFlight { removeFromDisk() }
        if let finished {
            self.finished = nil
            finished(.failure(SystemError("discard", path: temporaryPath, errno: ECANCELED)))
        }
    }

    private func removeFromDisk() {
        let writer = self.writer
        Offload.submit({ writer.closeAndUnlink() }, after: {})
    }

    private func pump() {
        guard !inFlight else { return }
        if discarded {
            removeFromDisk()
            return
        }
        if let error = writer.failure {
            pending = []
            if let finished {
                self.finished = nil
                finished(.failure(error))
            }
            return
        }
        if !pending.isEmpty && (pending.count >= flushThreshold || finishing) {
            let chunk = pending
            pending = []
            inFlight = true
            inFlightBytes = chunk.count
            let writer = self.writer
            Offload.submit({ writer.write(chunk) }, after: { [self] in
                inFlight = false
                inFlightBytes = 0
                pump()
                onProgress?()
            })
            return
        }
        if finishing, pending.isEmpty, finished != nil {
            inFlight = true
            let writer = self.writer
            let metrics = self.metrics
            Offload.submit({ writer.syncAndClose(metrics: metrics) }, after: { [self] in
                inFlight = false
                if discarded {
                    // discard() already failed the waiter; the file is closed now, so unlink it.
                    removeFromDisk()
                    return
                }
                guard let finished else { return }
                self.finished = nil
                if let error = writer.failure {
                    finished(.failure(error))
                } else {
                    finished(.success(Finished(size: size, sha256: writer.digest)))
                }
            })
        }
    }

    /// The file descriptor and the running hash. Touched only by pool jobs, one at a time per file.
    private final class Writer: @unchecked Sendable {
        // @unchecked: jobs for one file are submitted strictly one after another (see `inFlight`), and
        // libuv orders each job before its completion callback, so there is never concurrent access.
        let path: String
        private var fd: Int32 = -1
        private var hasher = SHA256()
        private(set) var failure: SystemError?
        private(set) var digest: [UInt8] = []

        init(path: String) { self.path = path }

        private func ensureOpen() throws(SystemError) {
            if fd < 0 { fd = try FileSystem.open(path, O_WRONLY | O_CREAT | O_EXCL) }
        }

        func write(_ chunk: [UInt8]) {
            guard failure == nil else { return }
            do throws(SystemError) {
                try ensureOpen()
            } catch {
                failure = error
                return
            }
            failure = chunk.withUnsafeBytes { raw -> SystemError? in
                hasher.update(bufferPointer: raw)
                do throws(SystemError) {
                    try FileSystem.writeAll(fd, raw, path: path)
                    return nil
                } catch {
                    return error
                }
            }
        }

        func syncAndClose(metrics: IngestMetrics) {
            guard failure == nil else { return }
            do throws(SystemError) {
                try ensureOpen()
                metrics.fsync(nanoseconds: try FileSystem.fsync(fd, path: path))
                FileSystem.close(fd)
                fd = -1
                digest = Array(hasher.finalize())
            } catch {
                failure = error
            }
        }

        func closeAndUnlink() {
            if fd >= 0 {
                FileSystem.close(fd)
                fd = -1
            }
            FileSystem.unlink(path)
        }
    }
}
