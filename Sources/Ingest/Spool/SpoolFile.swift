import HTTP1
import Loop
import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// One file part on its way into the spool: bytes buffered on the loop, written and hashed on the pool.
///
/// Bytes are copied out of the socket buffer into `pending`; once ``flushThreshold`` of them accumulate, a
/// pool job writes them to `spool/tmp/<id>.data` and feeds them to SHA-256, so neither the disk nor the hash
/// runs on the loop. One write is in flight per file at a time, which keeps writes and hash updates in order,
/// and bounds what a file holds in memory to about two thresholds: ``bufferedBytes`` is what the connection
/// watches to stop reading its socket.
///
/// Finishing is one pool job: the last bytes, the digest, the metadata next to the data (`tmp/<id>.json`),
/// and the fsyncs of both. (Two parallel fsync jobs waited less per upload but cost more CPU in thread
/// hand-offs; on 2 cores under load the single job measured ~25% more uploads/s at 100 KiB.)
@LoopActor
package final class SpoolFile {
    /// Bytes gathered before a write is queued.
    package nonisolated static let flushThreshold = 128 * 1024

    /// The document's id, which names its files in the spool.
    package let id: DocumentID
    /// `spool/tmp/<id>.data`.
    package let temporaryPath: String
    /// `spool/tmp/<id>.json`.
    package let temporaryMetadataPath: String
    /// Bytes accepted so far.
    private(set) var size = 0
    /// Bytes copied but not yet on disk.
    package var bufferedBytes: Int { pending.count + inFlightBytes }
    /// Memory the file holds for them: the buffers' reserved capacity, which is what a flood of tiny parts
    /// costs (a part's buffer is never smaller than its allocation).
    package var reservedBytes: Int { pending.capacity + inFlightCapacity }
    /// Most a buffer reserves ahead of what arrived: a threshold plus one socket read.
    nonisolated static let bufferCapacity = flushThreshold + 64 * 1024
    /// Called whenever a write completes (so a paused connection can look at ``bufferedBytes`` again).
    package var onProgress: (@LoopActor () -> Void)?

    private let writer: Writer
    private var pending: [UInt8] = []
    private var inFlightBytes = 0
    private var inFlightCapacity = 0
    private var inFlight = false
    private var finishing: DocumentMetadata?
    private var discarded = false
    private var completion: (@LoopActor (Result<Finished, SystemError>) -> Void)?
    private let metrics: IngestMetrics

    /// A finished file: its metadata complete (size, SHA-256), data and metadata durably on disk in `tmp/`.
    package struct Finished: Sendable {
        package var metadata: DocumentMetadata
    }

    package init(id: DocumentID, temporaryDirectory: String, metrics: IngestMetrics) {
        self.id = id
        self.temporaryPath = temporaryDirectory + "/\(id).data"
        self.temporaryMetadataPath = temporaryDirectory + "/\(id).json"
        self.metrics = metrics
        self.writer = Writer(dataPath: temporaryPath, metadataPath: temporaryMetadataPath)
    }

    /// Copies `bytes` into the file's buffer; they reach the disk on the pool.
    package func append(_ bytes: UnsafeRawBufferPointer) {
        guard !discarded, finishing == nil else { return }
        // Grown to what arrives (doubling up to a threshold and a read), not reserved whole at the first byte.
        let needed = pending.count + bytes.count
        if needed > pending.capacity {
            pending.reserveCapacity(min(Self.bufferCapacity, max(needed, 2 * pending.capacity)))
        }
        pending.append(contentsOf: bytes)
        size += bytes.count
        pump()
    }

    /// Writes what is left and the metadata (`size` and `sha256` filled in here), `fsync`s both and closes;
    /// `completion` gets the completed metadata, or the failure.
    ///
    /// A callback rather than an `async` result on purpose: the upload handler gathers several files and must
    /// not make the loop wait on another task's value.
    package func finish(metadata: DocumentMetadata, _ completion: @escaping @LoopActor (Result<Finished, SystemError>) -> Void) {
        precondition(finishing == nil, "finish() called twice")
        finishing = metadata
        if discarded {
            completion(.failure(SystemError("discard", path: temporaryPath, errno: ECANCELED)))
            return
        }
        self.completion = completion
        pump()
    }

    /// Drops the file: closes and unlinks it once any job in flight is done. Never acknowledged.
    package func discard() {
        guard !discarded else { return }
        discarded = true
        pending = []
        if !inFlight { removeFromDisk() }
        if let completion {
            self.completion = nil
            completion(.failure(SystemError("discard", path: temporaryPath, errno: ECANCELED)))
        }
    }

    private func removeFromDisk() {
        let writer = self.writer
        Offload.submit({ writer.closeAndUnlink() }, after: {})
    }

    private func fail(_ error: SystemError) {
        pending = []
        if let completion {
            self.completion = nil
            completion(.failure(error))
        }
    }

    private func pump() {
        guard !inFlight else { return }
        if discarded {
            removeFromDisk()
            return
        }
        if let error = writer.failure {
            fail(error)
            return
        }
        if finishing == nil && pending.count >= Self.flushThreshold {
            let chunk = pending
            pending = []
            inFlight = true
            inFlightBytes = chunk.count
            inFlightCapacity = chunk.capacity
            let writer = self.writer
            Offload.submit({ writer.write(chunk) }, after: { [self] in
                inFlight = false
                inFlightBytes = 0
                inFlightCapacity = 0
                pump()
                onProgress?()
            })
            return
        }
        if var metadata = finishing, completion != nil {
            // Last step, in one job: the rest of the bytes, the digest, the metadata file, both fsyncs.
            let chunk = pending
            pending = []
            inFlight = true
            inFlightBytes = chunk.count
            inFlightCapacity = chunk.capacity
            metadata.size = size
            let writer = self.writer
            let metrics = self.metrics
            let toWrite = metadata
            Offload.submit({
                if !chunk.isEmpty { writer.write(chunk) }
                writer.writeMetadata(toWrite)
                if writer.failure == nil {
                    writer.syncData(metrics: metrics)
                    writer.syncMetadata(metrics: metrics)
                }
            }, after: { [self] in
                inFlightBytes = 0
                inFlightCapacity = 0
                inFlight = false
                // The bytes of this last write no longer count against the connection's buffer: a paused
                // connection must hear it (or it would wait for a progress that never comes).
                defer { onProgress?() }
                if discarded {
                    removeFromDisk()
                } else if let error = writer.failure ?? writer.metadataFailure {
                    fail(error)
                } else if let completion {
                    self.completion = nil
                    metadata.sha256 = writer.digest
                    completion(.success(Finished(metadata: metadata)))
                }
            })
        }
    }

    /// The file descriptors and the running hash. Touched only by pool jobs.
    private final class Writer: @unchecked Sendable {
        // @unchecked: jobs for one file are submitted strictly one after another (see `inFlight`), and libuv
        // orders each job before its completion callback, so there is never concurrent access.
        package let dataPath: String
        package let metadataPath: String
        private var fd: Int32 = -1
        private var metadataFD: Int32 = -1
        private var hasher = SHA256()
        private(set) var failure: SystemError?
        private(set) var metadataFailure: SystemError?
        private(set) var digest: [UInt8] = []

        package init(dataPath: String, metadataPath: String) {
            self.dataPath = dataPath
            self.metadataPath = metadataPath
        }

        private func ensureOpen() throws(SystemError) {
            if fd < 0 { fd = try FileSystem.open(dataPath, O_WRONLY | O_CREAT | O_EXCL) }
        }

        package func write(_ chunk: [UInt8]) {
            guard failure == nil else { return }
            do throws(SystemError) {
                try ensureOpen()
                chunk.withUnsafeBytes { hasher.update(bufferPointer: $0) }
                try FileSystem.writeAll(fd, chunk, path: dataPath)
            } catch {
                failure = error
            }
        }

        /// Finalises the digest and writes the metadata file (not yet synced).
        package func writeMetadata(_ metadata: DocumentMetadata) {
            guard failure == nil else { return }
            do throws(SystemError) {
                try ensureOpen()
                digest = Array(hasher.finalize())
                var metadata = metadata
                metadata.sha256 = digest
                metadataFD = try FileSystem.open(metadataPath, O_WRONLY | O_CREAT | O_TRUNC)
                try FileSystem.writeAll(metadataFD, metadata.encoded(), path: metadataPath)
            } catch {
                failure = error
            }
        }

        package func syncData(metrics: IngestMetrics) {
            do throws(SystemError) {
                metrics.fsync(nanoseconds: try FileSystem.fsync(fd, path: dataPath))
            } catch {
                failure = error
            }
            FileSystem.close(fd)
            fd = -1
        }

        package func syncMetadata(metrics: IngestMetrics) {
            do throws(SystemError) {
                metrics.fsync(nanoseconds: try FileSystem.fsync(metadataFD, path: metadataPath))
            } catch {
                metadataFailure = error
            }
            FileSystem.close(metadataFD)
            metadataFD = -1
        }

        package func closeAndUnlink() {
            if fd >= 0 {
                FileSystem.close(fd)
                fd = -1
            }
            if metadataFD >= 0 {
                FileSystem.close(metadataFD)
                metadataFD = -1
            }
            FileSystem.unlink(dataPath)
            FileSystem.unlink(metadataPath)
        }
    }
}
