import HTTP1
import Loop

/// A request body on its way into one spool file, for the routes whose body is a single file (an import's
/// archive, a job's description): the bytes are reserved in the spool's accounting as they arrive, and the
/// body is paused while the disk is behind (the uploads' thresholds), so it is never held in memory.
@LoopActor
final class SpoolBody {
    let file: SpoolFile
    private let exchange: HTTPExchange
    private let spool: Spool
    /// Bytes appended so far.
    private(set) var size = 0
    private var reserved = 0
    private var paused = false
    /// Set once the body is done with (ended, failed or aborted): backpressure stops.
    private var settled = false

    init(exchange: HTTPExchange, spool: Spool) {
        self.exchange = exchange
        self.spool = spool
        file = spool.makeFile()
        file.onProgress = { [weak self] in self?.applyBackpressure() }
    }

    /// Appends `bytes` to the file.
    func append(_ bytes: UnsafeRawBufferPointer) {
        size += bytes.count
        spool.reserve(bytes.count)
        reserved += bytes.count
        file.append(bytes)
        applyBackpressure()
    }

    private func applyBackpressure() {
        guard !settled else { return }
        let unwritten = file.bufferedBytes
        if !paused && unwritten > BulkUploadHandler.pauseAbove {
            paused = true
            exchange.pauseBody()
        } else if paused && unwritten < BulkUploadHandler.resumeBelow {
            paused = false
            exchange.resumeBody()
        }
    }

    /// The body is complete (or no longer wanted): reading goes on, for the connection's next request.
    func settle() {
        settled = true
        if paused {
            paused = false
            exchange.resumeBody()
        }
    }

    /// Gives back the bytes reserved (the file is committed, discarded or failed).
    func release() {
        spool.release(reserved)
        reserved = 0
    }

    /// Drops the file, gives back its reservation and lets the body go on.
    func discard() {
        file.discard()
        release()
        settle()
    }

    /// The request is gone (the client left): drops the file and its reservation, and touches the body no more.
    func abandon() {
        settled = true
        file.discard()
        release()
    }
}
