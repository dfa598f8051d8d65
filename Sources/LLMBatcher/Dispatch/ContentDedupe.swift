import DequeModule

/// Identical content of a tenant is parsed once: the first copy (the leader) is sent, copies arriving while it is
/// in flight (followers) wait for its result, and later copies reuse the result. Results are kept newest first
/// within a byte budget (each result's cost is the caller's estimate), so memory stays bounded whatever the
/// results' sizes. A pure value, generic over what waits and what is kept, so it is tested without a batcher.
struct ContentDedupe<Follower, Result> {
    /// What to do with a new job.
    enum Admission {
        /// A result for the same content is known: reuse it.
        case reuse(Result)
        /// A copy is in flight: the job waits for its result (it is held as a follower).
        case follow
        /// The first copy: send it.
        case lead
    }

    /// What a leader's outcome means for its followers.
    struct Settlement {
        /// Followers that reuse the leader's result (it parsed).
        var reuse: [Follower] = []
        /// The follower sent on its own in the leader's place (the leader failed); the others wait for it.
        var nextLeader: Follower?
    }

    private var results: [String: Result] = [:]
    private var order = Deque<(key: String, bytes: Int)>()
    private var leaders: [String: [Follower]] = [:]
    /// Bytes the kept results may take, and take now.
    let capacityBytes: Int
    private(set) var bytes = 0
    /// Followers waiting.
    private(set) var followers = 0

    init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// Results kept for reuse.
    var kept: Int { results.count }

    /// Admits a job for content `key`, or `follower` waits for the copy in flight.
    mutating func admit(_ follower: Follower, key: String) -> Admission {
        if let earlier = results[key] { return .reuse(earlier) }
        if leaders[key] != nil {
            leaders[key]!.append(follower)
            followers += 1
            return .follow
        }
        leaders[key] = []
        return .lead
    }

    /// Forgets the result kept for `key` (an erasure); copies in flight are not stopped (the Sink drops their
    /// rows). True when one was kept.
    @discardableResult
    mutating func forget(key: String) -> Bool {
        guard results.removeValue(forKey: key) != nil else { return false }
        if let at = order.firstIndex(where: { $0.key == key }) {
            bytes -= order[at].bytes
            order.remove(at: at)
        }
        return true
    }

    /// The leader of `key` is done: `result` (nil when it failed; `bytes` its estimated size) is kept for reuse,
    /// the oldest results forgotten to make room, and answers its followers; after a failure the first follower
    /// leads in its place.
    mutating func settle(key: String, result: Result?, bytes cost: Int = 0) -> Settlement {
        if let result, cost <= capacityBytes, results[key] == nil {
            results[key] = result
            order.append((key, cost))
            bytes += cost
            while bytes > capacityBytes, let old = order.popFirst() {
                results[old.key] = nil
                bytes -= old.bytes
            }
        }
        let waiting = leaders.removeValue(forKey: key) ?? []
        followers -= waiting.count
        guard result == nil else { return Settlement(reuse: waiting) }
        guard let next = waiting.first else { return Settlement() }
        leaders[key] = Array(waiting.dropFirst())
        followers += waiting.count - 1
        return Settlement(nextLeader: next)
    }
}
