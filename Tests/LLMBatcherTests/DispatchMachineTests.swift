import Loop
import Testing

@testable import LLMBatcher

/// The dispatch machine and the content dedupe, pure: time passed in, actions out; no sockets, no sleeps.
@Suite("Dispatch machine")
struct DispatchMachineTests {
    static let t0: UInt64 = 1_000_000_000_000
    static let ms: UInt64 = 1_000_000

    static func configuration(_ tweak: (inout LLMConfiguration) -> Void = { _ in }) -> LLMConfiguration {
        var c = LLMConfiguration()
        c.coalesceMaxDocuments = 3
        c.coalesceLingerMilliseconds = 50
        c.outputTokensPerResume = 400
        c.maxConcurrency = 4
        c.coalesceMode = "always"
        tweak(&c)
        return c
    }

    static func job(_ id: String, at time: UInt64 = t0, characters: Int = 400) -> JobState {
        JobState(job: ParseJob(id: id, tenant: "t", contentSHA256: id, text: String(repeating: "a", count: characters)),
                 submitted: time)
    }

    /// The ids of the group a `.send` carries, `[]` for anything else.
    static func sent(_ action: DispatchMachine.Action) -> [String] {
        guard case .send(let request) = action else { return [] }
        return request.group.map(\.job.id)
    }

    static func timer(_ action: DispatchMachine.Action) -> UInt64? {
        guard case .armTimer(let at) = action else { return nil }
        return at
    }

    static func isIdle(_ action: DispatchMachine.Action) -> Bool {
        if case .idle = action { return true }
        return false
    }

    @Test("a group that is not full lingers for company, then goes with what came")
    func linger() {
        var m = DispatchMachine(configuration: Self.configuration(), now: Self.t0)
        m.pending.append(Self.job("a"))
        #expect(Self.timer(m.next(now: Self.t0)) == Self.t0 + 50 * Self.ms)
        m.pending.append(Self.job("b", at: Self.t0 + 10 * Self.ms))
        #expect(Self.timer(m.next(now: Self.t0 + 20 * Self.ms)) == Self.t0 + 50 * Self.ms, "the oldest sets the linger")
        #expect(Self.sent(m.next(now: Self.t0 + 50 * Self.ms)) == ["a", "b"])
        #expect(Self.isIdle(m.next(now: Self.t0 + 50 * Self.ms)))
        #expect(m.inFlight == 1)
    }

    @Test("a full group goes at once, packed up to LLM_COALESCE_MAX_DOCS, oldest first")
    func packing() {
        var m = DispatchMachine(configuration: Self.configuration(), now: Self.t0)
        for id in ["a", "b", "c", "d", "e"] { m.pending.append(Self.job(id)) }
        #expect(Self.sent(m.next(now: Self.t0)) == ["a", "b", "c"])
        #expect(Self.timer(m.next(now: Self.t0)) == Self.t0 + 50 * Self.ms, "two left: not full, they linger")
        #expect(Self.sent(m.next(now: Self.t0 + 50 * Self.ms)) == ["d", "e"])
    }

    @Test("auto: one resume per request while RPM can carry every waiting resume in a request of its own")
    func spreadWhenRequestsDoNotBind() {
        var m = DispatchMachine(configuration: Self.configuration {
            $0.coalesceMode = "auto"
            $0.requestsPerMinute = 6_000
            $0.tokensPerMinute = 10_000_000
            $0.maxConcurrency = 100
        }, now: Self.t0)
        #expect(m.groupLimit() == 1, "before any answer: one per request")
        m.answered(resumes: 2, sentAt: Self.t0, now: Self.t0 + 2_000 * Self.ms)
        #expect(m.latencyPerResume == 1_000 * Self.ms)
        for id in ["a", "b", "c", "d", "e"] { m.pending.append(Self.job(id)) }
        // 100 requests a second × 1 s each: 100 in flight, far more than 5 resumes need.
        #expect(Self.sent(m.next(now: Self.t0)) == ["a"], "no linger, no packing")
        #expect(Self.sent(m.next(now: Self.t0)) == ["b"])
    }

    @Test("auto: packs when RPM binds, as many as spreads the waiting resumes over the requests RPM keeps in flight")
    func packWhenRequestsBind() {
        var m = DispatchMachine(configuration: Self.configuration {
            $0.coalesceMode = "auto"
            $0.coalesceMaxDocuments = 8
            $0.requestsPerMinute = 60
        }, now: Self.t0)
        m.answered(resumes: 1, sentAt: Self.t0, now: Self.t0 + 2_000 * Self.ms)
        for i in 0..<6 { m.pending.append(Self.job("j\(i)")) }
        // One request a second × 2 s: two in flight; six resumes → three per request.
        #expect(m.groupLimit() == 3)
        #expect(Self.sent(m.next(now: Self.t0)) == ["j0", "j1", "j2"])
        for i in 6..<40 { m.pending.append(Self.job("j\(i)")) }
        #expect(m.groupLimit() == 8, "never more than LLM_COALESCE_MAX_DOCS")
    }

    @Test("auto: packs as many as a request carries when TPM binds (shared system message: tokens saved are resumes gained)")
    func packWhenTokensBind() {
        var m = DispatchMachine(configuration: Self.configuration {
            $0.coalesceMode = "auto"
            $0.coalesceMaxDocuments = 4
            $0.requestsPerMinute = 100_000
            $0.tokensPerMinute = 60_000
            $0.maxConcurrency = 100
        }, now: Self.t0)
        m.answered(resumes: 1, sentAt: Self.t0, now: Self.t0 + 2_000 * Self.ms)
        for i in 0..<3 { m.pending.append(Self.job("j\(i)")) }
        #expect(m.groupLimit() == 1, "nothing reserved yet: no evidence that tokens bind")
        #expect(Self.sent(m.next(now: Self.t0)) == ["j0"])
        // About 1,100 tokens a resume: 1,000 tokens a second × 2 s keep under two resumes in flight.
        for i in 3..<20 { m.pending.append(Self.job("j\(i)")) }
        #expect(m.groupLimit() == 4)
        var unbound = DispatchMachine(configuration: Self.configuration {
            $0.coalesceMode = "auto"
            $0.requestsPerMinute = 100_000
            $0.tokensPerMinute = 100_000_000
            $0.maxConcurrency = 100
        }, now: Self.t0)
        unbound.answered(resumes: 1, sentAt: Self.t0, now: Self.t0 + 2_000 * Self.ms)
        for i in 0..<20 { unbound.pending.append(Self.job("u\(i)")) }
        _ = unbound.next(now: Self.t0)
        #expect(unbound.groupLimit() == 1, "the same queue with TPM to spare: one per request")
    }

    @Test("requests in flight follow the budgets × the latency (Little's law), under LLM_MAX_CONCURRENCY")
    func targetFromBudgets() {
        var m = DispatchMachine(configuration: Self.configuration {
            $0.requestsPerMinute = 600
            $0.maxConcurrency = 100
        }, now: Self.t0)
        #expect(m.targetInFlight == 100, "nothing measured yet: the ceiling (the budgets still bound the burst)")
        m.answered(resumes: 1, sentAt: Self.t0, now: Self.t0 + 2_000 * Self.ms)
        // 10 requests a second × 2 s = 20 in flight, and a fifth more for jitter.
        #expect(m.targetInFlight == 24)
        var low = DispatchMachine(configuration: Self.configuration {
            $0.requestsPerMinute = 600
            $0.maxConcurrency = 8
        }, now: Self.t0)
        low.answered(resumes: 1, sentAt: Self.t0, now: Self.t0 + 2_000 * Self.ms)
        #expect(low.targetInFlight == 8, "LLM_MAX_CONCURRENCY stays the ceiling")
        var packed = DispatchMachine(configuration: Self.configuration {
            $0.requestsPerMinute = 600
            $0.maxConcurrency = 100
        }, now: Self.t0)
        for _ in 0..<40 { packed.answered(resumes: 4, sentAt: Self.t0, now: Self.t0 + 8_000 * Self.ms) }
        // Requests of 4 resumes take 8 s (2 s a resume): 10 requests a second × 8 s = 80 in flight, capped at 100.
        #expect(packed.targetInFlight == 96)
        var never = DispatchMachine(configuration: Self.configuration { $0.coalesceMode = "never" }, now: Self.t0)
        for id in ["a", "b"] { never.pending.append(Self.job(id)) }
        #expect(never.groupLimit() == 1)
        #expect(Self.sent(never.next(now: Self.t0)) == ["a"])
    }

    @Test("retries go first and as they are, before new jobs are packed")
    func retriesFirst() {
        var m = DispatchMachine(configuration: Self.configuration(), now: Self.t0)
        for id in ["a", "b", "c"] { m.pending.append(Self.job(id)) }
        m.retries.append([Self.job("r")])
        #expect(Self.sent(m.next(now: Self.t0)) == ["r"])
        #expect(Self.sent(m.next(now: Self.t0)) == ["a", "b", "c"])
    }

    @Test("no more requests in flight than the concurrency limit; a slot freed lets the next go")
    func concurrency() {
        var m = DispatchMachine(configuration: Self.configuration { $0.maxConcurrency = 2 }, now: Self.t0)
        for i in 0..<3 { m.retries.append([Self.job("r\(i)")]) }
        #expect(Self.sent(m.next(now: Self.t0)) == ["r0"])
        #expect(Self.sent(m.next(now: Self.t0)) == ["r1"])
        #expect(Self.isIdle(m.next(now: Self.t0)), "both slots busy")
        #expect(m.waiting == 1)
        m.requestEnded()
        #expect(Self.sent(m.next(now: Self.t0)) == ["r2"])
    }

    @Test("an empty request bucket: the group is put back and the timer armed for when the budget refills")
    func budget() {
        var m = DispatchMachine(configuration: Self.configuration { $0.requestsPerMinute = 1 }, now: Self.t0)
        m.retries.append([Self.job("a")])
        m.retries.append([Self.job("b")])
        #expect(Self.sent(m.next(now: Self.t0)) == ["a"])
        let until = Self.timer(m.next(now: Self.t0))
        #expect(until == Self.t0 + 60_000 * Self.ms, "one request a minute")
        #expect(m.waiting == 1, "the group waits, it is not dropped")
        #expect(Self.sent(m.next(now: Self.t0 + 60_000 * Self.ms)) == ["b"])
    }

    @Test("a backoff holds everything until it ends")
    func backoff() {
        var m = DispatchMachine(configuration: Self.configuration(), now: Self.t0)
        m.retries.append([Self.job("a")])
        m.postpone(until: Self.t0 + 700 * Self.ms)
        m.postpone(until: Self.t0 + 300 * Self.ms)
        #expect(Self.timer(m.next(now: Self.t0)) == Self.t0 + 700 * Self.ms, "the later of two postponements")
        #expect(Self.sent(m.next(now: Self.t0 + 700 * Self.ms)) == ["a"])
    }

    @Test("a refused key opens the breaker: nothing goes, the timer polls each second; after the cooldown one probe goes")
    func breaker() {
        var m = DispatchMachine(configuration: Self.configuration(), now: Self.t0)
        m.waitForOperator(now: Self.t0)
        m.retries.append([Self.job("a")])
        m.retries.append([Self.job("b")])
        #expect(Self.timer(m.next(now: Self.t0)) == Self.t0 + 1_000 * Self.ms)
        #expect(m.waiting == 2)
        let later = Self.t0 + 10_000 * Self.ms
        #expect(Self.sent(m.next(now: later)) == ["a"], "the probe")
        #expect(Self.timer(m.next(now: later)) == later + 1_000 * Self.ms, "half-open: one probe at a time")
        m.requestEnded()
        m.succeeded(reservation: nil, promptCharacters: 0, promptTokens: nil, charged: 0, now: later)
        #expect(Self.sent(m.next(now: later)) == ["b"])
    }

    @Test("the breaker's one probe is not spent on a group the budget holds back (parsing would stall for good)")
    func probeNotLostToBudget() {
        var m = DispatchMachine(configuration: Self.configuration { $0.tokensPerMinute = 10_000 }, now: Self.t0)
        m.waitForOperator(now: Self.t0)
        m.retries.append([Self.job("a")])
        m.retries.append([Self.job("b")])
        let later = Self.t0 + 10_000 * Self.ms
        // A 429 emptied the token bucket: when the cooldown ends, the budget still says wait.
        m.budget.penalize(retryAfterNanoseconds: 0, kind: .tokens, now: later)
        let wake = Self.timer(m.next(now: later))
        #expect(wake.map { $0 > later } == true, "the budget's time, not a probe")
        if case .halfOpen = m.breaker.state { Issue.record("the probe was taken and not sent") }
        guard let wake else { return }
        #expect(Self.sent(m.next(now: wake)) == ["a"], "the probe goes once the bucket holds it")
        for later in [wake, wake + 60_000 * Self.ms] {
            #expect(Self.sent(m.next(now: later)) == [], "half-open: nothing else until the probe is answered")
        }
        m.requestEnded()
        m.succeeded(reservation: nil, promptCharacters: 0, promptTokens: nil, charged: 0, now: wake)
        #expect(m.breaker.state == .closed(consecutiveFailures: 0))
    }

    @Test("transient failures count while the endpoint answered; five in a row open the breaker")
    func transient() {
        var m = DispatchMachine(configuration: Self.configuration(), now: Self.t0)
        for _ in 0..<5 {
            let answering = m.transientFailure(now: Self.t0)
            #expect(answering)
        }
        let answering = m.transientFailure(now: Self.t0)
        #expect(!answering, "open: the endpoint is down, attempts do not count")
    }

    @Test("Batch API: a batch waits for a batch's worth or the linger; drain sends what waits; batches in flight are capped")
    func batches() {
        var m = DispatchMachine(configuration: Self.configuration {
            $0.batchAPI = true
            $0.batchMaxDocuments = 4
            $0.batchLingerMilliseconds = 1_000
            $0.batchesInFlight = 1
        }, now: Self.t0)
        m.pending.append(Self.job("a"))
        guard case .armTimer(let due) = m.nextBatch(now: Self.t0, flush: false) else {
            Issue.record("one document lingers")
            return
        }
        #expect(due == Self.t0 + 1_000 * Self.ms)
        guard case .submit(let lines, let documents) = m.nextBatch(now: Self.t0 + 10 * Self.ms, flush: true) else {
            Issue.record("drain sends it")
            return
        }
        #expect(documents == 1)
        #expect(lines.map { $0.group.map(\.job.id) } == [["a"]])
        for id in ["b", "c", "d", "e", "f"] { m.pending.append(Self.job(id)) }
        guard case .idle = m.nextBatch(now: Self.t0 + 20 * Self.ms, flush: true) else {
            Issue.record("one batch in flight at most")
            return
        }
        m.batchEnded()
        guard case .submit(let full, let count) = m.nextBatch(now: Self.t0 + 20 * Self.ms, flush: false) else {
            Issue.record("a batch's worth goes without lingering")
            return
        }
        #expect(full.map { $0.group.map(\.job.id) } == [["b", "c", "d"], ["e", "f"]], "packed lines, oldest first")
        #expect(count == 5, "whole groups: the last may pass the batch size")
    }

    @Test("text prepared before the estimator learned a denser tokenizer is cut again to the new budget, from what was prepared")
    func preparedAgainWhenTheEstimateMoves() {
        var configuration = Self.configuration()
        configuration.contextWindow = 8_000
        var packer = Packer(configuration: configuration)
        let text = (0..<2_000).map { "• Built payment service \($0) for client \($0 * 7919 % 10_007), " +
            "cutting latency by \($0 % 90 + 5)% in quarter \($0 % 4 + 1)\n" }.joined()
        var job = JobState(job: ParseJob(id: "big", tenant: "t", contentSHA256: "big", text: text), submitted: Self.t0)
        packer.prepare(&job)
        let first = job.preparedCount
        // (The compactor counts characters, the budget UTF-8 bytes: each "•" is three.)
        #expect(first < job.textCount && first <= packer.characterBudget(for: job) + 3 * job.preparedLines,
                "compacted to the budget")
        // The endpoint counts twice the tokens guessed: the budget in characters halves.
        for _ in 0..<20 { _ = packer.estimator.observe(characters: 4_000, promptTokens: 2_000) }
        let budget = packer.characterBudget(for: job)
        #expect(budget < first, "the old preparation no longer fits: \(budget) < \(first)")
        packer.prepare(&job)
        #expect(job.preparedCount <= budget + 3 * job.preparedLines, "\(job.preparedCount) > \(budget)")
        #expect(job.preparedCount < first / 2 + 3 * job.preparedLines, "cut to about half")
        #expect(job.preparedCount > 0)
        let again = job.preparedCount
        packer.prepare(&job)
        #expect(job.preparedCount == again, "within the budget: left as it is")
    }

    @Test("dedupe: the first copy leads, copies in flight follow, later copies reuse; a failed leader hands over")
    func dedupe() {
        var d = ContentDedupe<String, Int>(capacityBytes: 200)
        guard case .lead = d.admit("a1", key: "A") else { Issue.record("first copy leads"); return }
        guard case .follow = d.admit("a2", key: "A") else { Issue.record("second copy waits"); return }
        guard case .follow = d.admit("a3", key: "A") else { Issue.record("third copy waits"); return }
        #expect(d.followers == 2)
        let failed = d.settle(key: "A", result: nil)
        #expect(failed.reuse.isEmpty)
        #expect(failed.nextLeader == "a2")
        #expect(d.followers == 1, "a3 waits for a2")
        let parsed = d.settle(key: "A", result: 7, bytes: 100)
        #expect(parsed.reuse == ["a3"])
        #expect(d.followers == 0)
        guard case .reuse(7) = d.admit("a4", key: "A") else { Issue.record("a later copy reuses"); return }
        _ = d.admit("b", key: "B")
        _ = d.settle(key: "B", result: 1, bytes: 100)
        #expect(d.kept == 2 && d.bytes == 200, "two results fill the 200 bytes")
        _ = d.admit("c", key: "C")
        _ = d.settle(key: "C", result: 2, bytes: 50)
        #expect(d.kept == 2 && d.bytes == 150, "the oldest result is forgotten to make room")
        guard case .lead = d.admit("a5", key: "A") else { Issue.record("the oldest result is forgotten"); return }
        guard case .reuse(1) = d.admit("b2", key: "B") else { Issue.record("a newer one is kept"); return }
        _ = d.admit("d", key: "D")
        _ = d.settle(key: "D", result: 3, bytes: 201)
        #expect(d.kept == 2 && d.bytes == 150, "a result larger than the whole budget is not kept")
    }
}
