/// Batches found unfinished in the journal at start-up, by content: a job whose content (tenant and SHA-256) is
/// in one of them waits for that batch's answer instead of being sent again. A pure value, generic over what
/// waits and over the answer kept, so it is tested without a batcher.
///
/// Content, not document ids, is what matches: after a restart the same bytes may come back under another id
/// (a re-upload, a re-import), and the answer is the content's.
///
/// Answers for content that has not come back (yet) when its batch finishes are kept until a job claims them or
/// the batcher ends the claim window (``expire(batchID:)``); the journal entry stays unfinished until then, so a
/// second restart reads them again. Waiting for every document forever would keep an entry whose documents never
/// come back (committed before the crash and reused from the database, or erased); forgetting them at once would
/// pay again for documents that are only slower to be re-extracted than the batch to finish.
struct ResumedBatches<Waiter, Answer> {
    private enum Slot {
        case running(batchID: String)
        case answered(batchID: String, Answer)
    }

    /// What a new job's content finds.
    enum Claim {
        /// Nothing: send it the usual way.
        case none
        /// A resumed batch carries it: the job waits (held here) for the batch to finish.
        case wait
        /// The batch has answered it: use `answer`. `settled` names the batch when this was its last unclaimed
        /// answer (mark it finished).
        case answer(Answer, settled: String?)
    }

    /// A batch's answers, shared out.
    struct Finish {
        /// Waiting jobs and their answers.
        var deliver: [(Waiter, Answer)] = []
        /// Waiting jobs the batch did not answer: send them the usual way.
        var release: [Waiter] = []
        /// Whether no answer of the batch is left unclaimed (mark it finished).
        var settled = false
    }

    private var slots: [String: Slot] = [:]
    private var waiting: [String: Waiter] = [:]
    /// Keys still held (running or answered, unclaimed), per batch.
    private var keys: [String: Set<String>] = [:]

    /// Jobs waiting for a resumed batch.
    var waitingCount: Int { waiting.count }

    /// Whether `batchID` still holds content (running, or answered and unclaimed).
    func holds(_ batchID: String) -> Bool { keys[batchID] != nil }

    /// Adds a resumed batch carrying `contentKeys`. Content an earlier resumed batch already carries stays with
    /// that one.
    mutating func add(batchID: String, contentKeys: [String]) {
        var held = Set<String>()
        for key in contentKeys where slots[key] == nil {
            slots[key] = .running(batchID: batchID)
            held.insert(key)
        }
        keys[batchID] = held
    }

    /// A job for content `key` arrives.
    mutating func claim(_ waiter: Waiter, key: String) -> Claim {
        switch slots[key] {
        case nil:
            return .none
        case .running?:
            if waiting[key] != nil { return .none } // a copy already waits (the batcher's dedupe prevents it)
            waiting[key] = waiter
            return .wait
        case .answered(let batchID, let answer)?:
            slots[key] = nil
            return .answer(answer, settled: release(key, of: batchID) ? batchID : nil)
        }
    }

    /// The batch's answers are read: `answers` by content key. Waiting jobs get theirs; the rest are kept for the
    /// jobs to come; content the batch did not answer is forgotten (its jobs go the usual way).
    mutating func finished(batchID: String, answers: [String: Answer]) -> Finish {
        var finish = Finish()
        for key in keys[batchID] ?? [] {
            let waiter = waiting.removeValue(forKey: key)
            switch (answers[key], waiter) {
            case (let answer?, let waiter?):
                finish.deliver.append((waiter, answer))
                slots[key] = nil
                _ = release(key, of: batchID)
            case (let answer?, nil):
                slots[key] = .answered(batchID: batchID, answer)
            case (nil, let waiter):
                if let waiter { finish.release.append(waiter) }
                slots[key] = nil
                _ = release(key, of: batchID)
            }
        }
        if keys[batchID]?.isEmpty == true { keys[batchID] = nil }
        finish.settled = keys[batchID] == nil
        return finish
    }

    /// The batch is dead (unknown to the endpoint, failed): its waiting jobs go the usual way.
    mutating func dead(batchID: String) -> [Waiter] {
        finished(batchID: batchID, answers: [:]).release
    }

    /// The claim window of a finished batch ended: its unclaimed answers are forgotten (their documents, should they
    /// come, are sent again).
    mutating func expire(batchID: String) {
        for key in keys.removeValue(forKey: batchID) ?? [] {
            if case .answered? = slots[key] { slots[key] = nil }
        }
    }

    /// Drops `key` from its batch; true when that was the batch's last.
    private mutating func release(_ key: String, of batchID: String) -> Bool {
        guard var held = keys[batchID] else { return false }
        held.remove(key)
        if held.isEmpty {
            keys[batchID] = nil
            return true
        }
        keys[batchID] = held
        return false
    }
}
