import DequeModule
import Foundation

/// Prepared requests for the loop, built on a thread of their own: it reads the corpus pass after pass, groups
/// `filesPerRequest` files into a request and queues it, holding at most `queueBytes` of queued requests (the
/// thread waits when the queue is full, so disk reads pace themselves to the sends).
///
/// A corpus whose whole first pass fits in `cacheBytes` is kept: after that pass the thread ends and requests
/// are handed out from memory in turn, so a small corpus costs no disk reads at all while it is replayed.
package final class CorpusFeed: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `condition`.
    private let corpus: Corpus
    private let builder: RequestBuilder
    private let filesPerRequest: Int
    private let queueBytes: Int
    private let cacheBytes: Int
    private let condition = NSCondition()
    private var queue = Deque<PreparedRequest>()
    private var queuedBytes = 0
    private var cached: [PreparedRequest]?
    private var cacheCursor = 0
    private var stopped = false
    private var failure: LoadGenError?
    private var thread: Thread?
    /// Called (on the corpus thread) when a request is queued after `next()` found none.
    private var wake: (@Sendable () -> Void)?
    private var waiting = false
    private var wasAhead = false

    /// Files per pass, once the first pass is over.
    package private(set) var filesPerPass: Int?
    /// Files skipped (unreadable, or larger than the corpus's limit) in the first pass.
    package private(set) var skipped = 0
    /// Times `next()` found nothing queued: the disk did not keep up with the sends.
    package private(set) var starved = 0

    package init(corpus: Corpus, builder: RequestBuilder, filesPerRequest: Int, queueBytes: Int = 8 << 20,
                cacheBytes: Int = 16 << 20) {
        self.corpus = corpus
        self.builder = builder
        self.filesPerRequest = max(1, filesPerRequest)
        self.queueBytes = queueBytes
        self.cacheBytes = cacheBytes
    }

    /// Starts the corpus thread; `wake` runs when a request becomes available after a `next()` that had none.
    package func start(wake: @escaping @Sendable () -> Void) {
        condition.withLock { self.wake = wake }
        let thread = Thread { [self] in produce() }
        thread.name = "loadgen-corpus"
        self.thread = thread
        thread.start()
    }

    /// Waits (blocking, up to `seconds`) until a request is ready or the corpus failed.
    package func waitUntilReady(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && cached == nil && failure == nil && !stopped {
            if !condition.wait(until: deadline) { return }
        }
    }

    /// The next request, or nil if none is ready (then `wake` will run when one is).
    package func next() -> PreparedRequest? {
        condition.lock()
        defer { condition.unlock() }
        if let request = queue.popFirst() {
            queuedBytes -= request.bytes.count
            condition.signal()
            return request
        }
        if let cached, !cached.isEmpty {
            let request = cached[cacheCursor]
            cacheCursor = (cacheCursor + 1) % cached.count
            return request
        }
        // Starved only once the thread had been ahead (the queue full): not while the first requests are read.
        if failure == nil && wasAhead { starved += 1 }
        waiting = true
        return nil
    }

    /// Why the corpus thread stopped early (an archive that could not be read, a corpus with no files).
    package var error: LoadGenError? { condition.withLock { failure } }

    /// Whether requests come from memory now (the corpus fit in the cache).
    package var isCached: Bool { condition.withLock { cached != nil } }

    /// Stops the corpus thread and waits for it.
    package func stop() {
        condition.withLock {
            stopped = true
            wake = nil
            condition.broadcast()
        }
        while let thread, thread.isExecuting { usleep(1000) }
    }

    private func produce() {
        var group: [Corpus.File] = []
        var firstPass: [Corpus.File] = []
        var firstPassBytes = 0
        var keeping = true
        var pass = 0
        while !condition.withLock({ stopped }) {
            pass += 1
            var files = 0
            do {
                let skippedNow = try corpus.forEachFile { file in
                    files += 1
                    if pass == 1 && keeping {
                        firstPassBytes += file.bytes.count
                        if firstPassBytes * filesPerRequest <= cacheBytes { firstPass.append(file) } else {
                            keeping = false
                            firstPass = []
                        }
                    }
                    group.append(file)
                    guard group.count == filesPerRequest else { return true }
                    let request = builder.build(group)
                    group.removeAll(keepingCapacity: true)
                    return push(request)
                }
                if pass == 1 { condition.withLock { skipped = skippedNow } }
            } catch {
                finish(failure: error)
                return
            }
            if condition.withLock({ stopped }) { return }
            if pass == 1 {
                guard files > 0 else {
                    finish(failure: .corpusEmpty(corpus.sources.map(\.path)))
                    return
                }
                condition.withLock { filesPerPass = files }
                if keeping {
                    // Every request of the cycle, each starting at its own file.
                    let count = firstPass.count
                    let all = (0..<count).map { i in
                        builder.build((0..<filesPerRequest).map { firstPass[(i + $0) % count] })
                    }
                    condition.withLock {
                        cached = all
                        condition.broadcast()
                        if waiting, let wake {
                            waiting = false
                            wake()
                        }
                    }
                    return
                }
            }
        }
    }

    /// Queues one request, waiting while the queue is full; false once stopped.
    private func push(_ request: PreparedRequest) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !stopped && queuedBytes > 0 && queuedBytes + request.bytes.count > queueBytes {
            wasAhead = true
            condition.wait()
        }
        guard !stopped else { return false }
        queue.append(request)
        queuedBytes += request.bytes.count
        condition.broadcast()
        if waiting, let wake {
            waiting = false
            wake()
        }
        return true
    }

    private func finish(failure: LoadGenError) {
        condition.withLock {
            self.failure = failure
            condition.broadcast()
            if waiting, let wake {
                waiting = false
                wake()
            }
        }
    }
}

extension Corpus.Source {
    var path: String {
        switch self {
        case .folder(let p), .glob(let p), .archive(let p), .file(let p): p
        }
    }
}
