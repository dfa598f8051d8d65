import Loop
import ResumeModel
import Testing

@testable import LLMBatcher

/// The scorer's dispatch machine, pure: time passed in, actions out; no sockets, no sleeps.
@Suite("Scoring dispatch machine")
struct ScoringDispatchTests {
    static let t0: UInt64 = 1_000_000_000_000
    static let second: UInt64 = 1_000_000_000

    static func configuration(_ tweak: (inout LLMConfiguration) -> Void = { _ in }) -> LLMConfiguration {
        var c = LLMConfiguration()
        c.maxConcurrency = 3
        tweak(&c)
        return c
    }

    static func task(_ id: String, characters: Int = 2_000, run: UInt64 = 1, jobID: String = "j") -> ScoringTask {
        ScoringTask(run: run, index: 0, jobID: jobID,
                    candidate: ScoringCandidate(id: id, text: String(repeating: "a", count: characters)),
                    system: "system", submitted: t0)
    }

    static func sent(_ action: ScoringDispatch.Action) -> String? {
        guard case .send(let request) = action else { return nil }
        return request.task.candidateID
    }

    static func timer(_ action: ScoringDispatch.Action) -> UInt64? {
        guard case .armTimer(let at) = action else { return nil }
        return at
    }

    @Test("candidates go in order, one per request, up to the concurrency limit; then idle until a slot frees")
    func orderAndConcurrency() {
        var d = ScoringDispatch(configuration: Self.configuration(), now: Self.t0)
        for id in ["a", "b", "c", "d"] { d.enqueue(Self.task(id)) }
        #expect(Self.sent(d.next(now: Self.t0)) == "a")
        #expect(Self.sent(d.next(now: Self.t0)) == "b")
        #expect(Self.sent(d.next(now: Self.t0)) == "c")
        guard case .idle = d.next(now: Self.t0) else {
            Issue.record("a fourth request went over the limit of 3")
            return
        }
        d.requestEnded()
        #expect(Self.sent(d.next(now: Self.t0)) == "d")
        #expect(d.waiting == 0 && d.inFlight == 3)
    }

    @Test("a job whose prefix is long enough to be cached sends one candidate first and the rest once it is answered; a failed first request lets another try; a short prefix never waits")
    func cacheWarmUp() {
        let long = String(repeating: "Instructions and the job. ", count: 400)
        func task(_ id: String, job: String, system: String) -> ScoringTask {
            ScoringTask(run: 1, index: 0, jobID: job, candidate: ScoringCandidate(id: id, text: "resume"),
                        system: system, submitted: Self.t0)
        }
        var d = ScoringDispatch(configuration: Self.configuration { $0.maxConcurrency = 8 }, now: Self.t0)
        for id in ["a1", "a2", "a3"] { d.enqueue(task(id, job: "A", system: long)) }
        for id in ["s1", "s2"] { d.enqueue(task(id, job: "S", system: "short")) }
        #expect(Self.sent(d.next(now: Self.t0)) == "a1")
        #expect(Self.sent(d.next(now: Self.t0)) == "s1", "job A waits for its first answer; a short prefix does not")
        #expect(Self.sent(d.next(now: Self.t0)) == "s2")
        guard case .idle = d.next(now: Self.t0) else {
            Issue.record("a second candidate of job A went before its first answer")
            return
        }
        // The first request failed: another candidate of A tries.
        d.requestEnded()
        d.firstRequestEnded(jobID: "A", cached: false)
        #expect(Self.sent(d.next(now: Self.t0)) == "a2")
        #expect({ if case .idle = d.next(now: Self.t0) { true } else { false } }())
        // Answered: the rest of A goes at once, and later candidates of A never wait again.
        d.requestEnded()
        d.firstRequestEnded(jobID: "A", cached: true)
        #expect(Self.sent(d.next(now: Self.t0)) == "a3")
        d.enqueue(task("a4", job: "A", system: long))
        d.enqueue(task("a5", job: "A", system: long))
        #expect(Self.sent(d.next(now: Self.t0)) == "a4")
        #expect(Self.sent(d.next(now: Self.t0)) == "a5")
    }

    @Test("a retry goes first")
    func retryFirst() {
        var d = ScoringDispatch(configuration: Self.configuration(), now: Self.t0)
        d.enqueue(Self.task("new"))
        d.enqueue(Self.task("again"), first: true)
        #expect(Self.sent(d.next(now: Self.t0)) == "again")
    }

    @Test("the TPM budget holds a request back until the bucket refills: the timer is armed for that moment")
    func budgetWaits() {
        // What one request reserves (prompt estimate × margin + max_tokens), measured on a machine of its own.
        var probe = ScoringDispatch(configuration: Self.configuration(), now: Self.t0)
        probe.enqueue(Self.task("p"))
        guard case .send(let first) = probe.next(now: Self.t0) else {
            Issue.record("nothing sent")
            return
        }
        let tpm = first.reservedTokens * 5 / 2
        var d = ScoringDispatch(configuration: Self.configuration { $0.tokensPerMinute = tpm }, now: Self.t0)
        for id in ["a", "b", "c"] { d.enqueue(Self.task(id)) }
        #expect(Self.sent(d.next(now: Self.t0)) == "a")
        #expect(Self.sent(d.next(now: Self.t0)) == "b")
        let wake = Self.timer(d.next(now: Self.t0))
        #expect(wake.map { $0 > Self.t0 } == true, "waits for the refill")
        #expect(d.waiting == 1, "nothing was taken from the queue")
        if let wake {
            #expect(Self.timer(d.next(now: wake - 1)) != nil, "not a nanosecond early")
            #expect(Self.sent(d.next(now: wake)) == "c")
        }
    }

    @Test("max_tokens: the ceiling until answers are seen, then 2.5 times their mean (at least 300), boosted after a cut-off, within OPENAI_MAX_TOKENS")
    func learnsAnswerSize() {
        var d = ScoringDispatch(configuration: Self.configuration { $0.maxTokens = 2_000 }, now: Self.t0)
        var task = Self.task("a")
        #expect(d.maxTokens(for: task) == LLMScorer.answerTokens)
        d.observeAnswer(completionTokens: 170)
        #expect(d.maxTokens(for: task) == 425)
        d.observeAnswer(completionTokens: 20)
        #expect(d.maxTokens(for: task) == 388, "a mean that follows the answers (0.9 × 170 + 0.1 × 20)")
        for _ in 0..<50 { d.observeAnswer(completionTokens: 20) }
        #expect(d.maxTokens(for: task) == 300, "never below the floor")
        for _ in 0..<50 { d.observeAnswer(completionTokens: 900) }
        #expect(d.maxTokens(for: task) == LLMScorer.answerTokens, "never above the ceiling")
        task.outputBoost = 4
        #expect(d.maxTokens(for: task) == 2_000, "boosted, within OPENAI_MAX_TOKENS")
    }

    @Test("a 429 empties the bucket for Retry-After: nothing goes before it, the next goes after it")
    func rateLimitedWaits() {
        var d = ScoringDispatch(configuration: Self.configuration(), now: Self.t0)
        d.enqueue(Self.task("a"))
        d.enqueue(Self.task("b"))
        guard case .send(let request) = d.next(now: Self.t0) else {
            Issue.record("nothing sent")
            return
        }
        d.requestEnded()
        d.release(request.reservation, now: Self.t0)
        d.rateLimited(reservation: request.reservation, kind: .tokens, wait: 2 * Self.second,
                      headers: RateLimitHeaders(), sentAt: Self.t0, now: Self.t0)
        d.enqueue(request.task, first: true)
        let wake = Self.timer(d.next(now: Self.t0))
        #expect(wake.map { $0 >= Self.t0 + 2 * Self.second } == true, "\(String(describing: wake))")
        #expect(Self.timer(d.next(now: Self.t0 + Self.second)) != nil)
        // The bucket was emptied: it goes once it holds the request's tokens again (within the minute).
        #expect(Self.sent(d.next(now: Self.t0 + 60 * Self.second)) == "a")
    }

    @Test("after a transient failure the queue waits for the backoff; five in a row open the breaker")
    func backoffAndBreaker() {
        var d = ScoringDispatch(configuration: Self.configuration { $0.breakerCooldownMilliseconds = 10_000 },
                                now: Self.t0)
        d.enqueue(Self.task("a"))
        d.postpone(until: Self.t0 + Self.second)
        #expect(Self.timer(d.next(now: Self.t0)) == Self.t0 + Self.second)
        for _ in 0..<5 { d.transientFailure(now: Self.t0 + Self.second) }
        let wake = Self.timer(d.next(now: Self.t0 + Self.second))
        #expect(wake != nil, "the breaker is open: nothing is sent")
        // After the cooldown one probe goes.
        #expect(Self.sent(d.next(now: Self.t0 + 12 * Self.second)) == "a")
    }

    @Test("the breaker's one probe is not spent on a request the budget holds back")
    func probeNotLostToBudget() {
        var d = ScoringDispatch(configuration: Self.configuration {
            $0.breakerCooldownMilliseconds = 1_000
            $0.tokensPerMinute = 10_000
        }, now: Self.t0)
        d.enqueue(Self.task("a"))
        d.enqueue(Self.task("b"))
        for _ in 0..<5 { d.transientFailure(now: Self.t0) }
        #expect(Self.timer(d.next(now: Self.t0)) == Self.t0 + Self.second, "open until the cooldown ends")
        // A 429 empties the token bucket: when the cooldown ends, the budget still says wait.
        guard case .granted(let id) = d.budget.reserve(tokens: 1, now: Self.t0) else { return }
        d.release(id, now: Self.t0)
        d.budget.penalize(retryAfterNanoseconds: 0, kind: .tokens, now: Self.t0)
        let wake = Self.timer(d.next(now: Self.t0 + Self.second))
        #expect(wake.map { $0 > Self.t0 + Self.second } == true)
        if case .halfOpen = d.breaker.state { Issue.record("the probe was taken and not sent") }
        // Once the bucket holds the request, the probe goes; nothing else until it is answered.
        guard let wake, case .send = d.next(now: wake) else {
            Issue.record("the probe did not go")
            return
        }
        for later in [wake, wake + 60 * Self.second] {
            #expect(Self.sent(d.next(now: later)) == nil, "a second request went while the probe is out")
        }
    }

    @Test("a cancelled job's waiting candidates are taken out, the others stay in order")
    func removeByJob() {
        var d = ScoringDispatch(configuration: Self.configuration(), now: Self.t0)
        d.enqueue(Self.task("a", jobID: "x"))
        d.enqueue(Self.task("b", jobID: "y"))
        d.enqueue(Self.task("c", jobID: "x"))
        let removed = d.remove { $0.jobID == "x" }
        #expect(removed.map(\.candidateID) == ["a", "c"])
        #expect(Self.sent(d.next(now: Self.t0)) == "b")
        #expect(d.waiting == 0)
    }

    @Test("the estimator learns from usage: the reservation follows the endpoint's token count")
    func learnsTokens() {
        var d = ScoringDispatch(configuration: Self.configuration(), now: Self.t0)
        let before = d.estimator.charactersPerToken
        d.enqueue(Self.task("a"))
        guard case .send(let request) = d.next(now: Self.t0) else {
            Issue.record("nothing sent")
            return
        }
        d.requestEnded()
        d.succeeded(reservation: request.reservation, promptCharacters: request.promptCharacters,
                    promptTokens: request.promptCharacters / 2, charged: request.promptCharacters / 2 + 600,
                    now: Self.t0)
        #expect(d.estimator.charactersPerToken < before)
        #expect(d.budget.outstandingReservations == 0)
    }
}

/// What a scoring request carries, byte for byte.
@Suite("Scoring requests")
struct ScoringRequestTests {
    static let system = ScoringPrompt.systemMessage(job: JobProfile(title: "Analyst", requiredSkills: ["SQL"]),
                                                    description: "Reports.", location: nil)

    static func task(_ text: String) -> ScoringTask {
        ScoringTask(run: 1, index: 0, jobID: "j", candidate: ScoringCandidate(id: "c", text: text), system: system,
                    submitted: 0)
    }

    @Test("two candidates of a job: the request bodies are the same bytes up to the resume (the cached prefix)")
    @LoopActor
    func sharedPrefix() {
        let http = HTTPClient()
        defer { http.close() }
        let client = OpenAIClient(http: http, baseURL: "http://127.0.0.1:1/v1", apiKey: "k", model: "m",
                                  temperature: 0, timeoutMilliseconds: 1_000)
        let a = client.requestBody(messages: Self.task("Ann\nSQL").messages, maxTokens: 300, format: .jsonSchema,
                                   schema: LLMScorer.schema)
        let b = client.requestBody(messages: Self.task("Bob\nExcel").messages, maxTokens: 300, format: .jsonSchema,
                                   schema: LLMScorer.schema)
        let common = zip(a, b).prefix { $0 == $1 }.count
        let user = Array("{\"role\":\"user\",\"content\":\"<resume>\\n".utf8)
        // The first difference is inside the first user message, right after its opening.
        let userStart = a.indices.first { a[$0...].starts(with: user) }
        #expect(userStart.map { common == $0 + user.count } == true, "common prefix \(common) bytes")
        #expect(common > Self.system.utf8.count)
        // After the messages, the same bytes again: max_tokens, temperature and the schema (which providers put
        // first in the prompt).
        let tail = Array("],\"max_tokens\":".utf8)
        func suffix(_ body: [UInt8]) -> ArraySlice<UInt8> {
            body[(body.indices.first { body[$0...].starts(with: tail) } ?? 0)...]
        }
        #expect(suffix(a) == suffix(b))
        #expect(String(decoding: suffix(a), as: UTF8.self).contains(
            "\"name\":\"candidate_score\",\"strict\":true,\"schema\":" + ScoringPrompt.answerSchemaJSON))
    }

    @Test("a repair turn keeps the first two messages and adds the invalid answer and the validation error")
    func repairTurn() {
        var task = Self.task("Ann\nSQL")
        let first = task.messages
        task.invalidAnswer = (#"{"reasons":[]}"#, "\"score\" is missing")
        let repair = task.messages
        #expect(Array(repair.prefix(2)) == first)
        #expect(repair.count == 4)
        #expect(repair[2] == OpenAIClient.Message(role: "assistant", content: #"{"reasons":[]}"#))
        #expect(repair[3].role == "user" && repair[3].content.contains("\"score\" is missing"))
        #expect(task.promptCharacters > Self.task("Ann\nSQL").promptCharacters)
    }
}
