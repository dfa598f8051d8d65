import ResumeModel
import Foundation
import Loop
import Logging

/// Scores candidates for a job with an OpenAI-compatible model, on the parser's budgets and failure handling,
/// and keeps only the evidence that is in the resume.
///
/// - **One request per candidate, behind the job's cached prefix.** Each request is the answer schema, the
///   job's system message (``ScoringPrompt/systemMessage(job:description:location:)``: instructions and job,
///   the same bytes for every candidate of the job) and the candidate's resume. From the second candidate of a
///   job on, a provider with prompt caching serves that prefix from its cache (half price on OpenAI, and
///   faster); see `Benchmarks/llm-scoring` for the figures on `llm-sim`.
///
///   *Why no coalescing.* The parser packs several resumes into one request when a budget binds; scoring does
///   not, on purpose. (1) A score is a judgement of one resume against the job: several candidates in one
///   context are scored against each other (models anchor on the first one read, and their order moves the
///   scores), which is not what the number means. (2) Evidence offsets are counted in one text; with several in
///   one answer a quote can be attributed to the wrong candidate and still verify against the right one's text
///   only by accident. (3) One bad answer fails, repairs or retries one candidate, not a group. (4) What
///   coalescing saves is the system message repeated per candidate, and the prompt cache already takes that
///   cost down to the cached price (36% less input per candidate on `llm-sim`'s sample). It does not take it off
///   the TPM limit: OpenAI counts cached tokens against TPM, and so does `llm-sim`. So at a TPM bound a coalesced
///   request of k candidates would score (prefix + resume + answer) / (prefix/k + resume + answer) times as many
///   per minute: measured figures put that at ×1.8 for k = 4 and ×2.1 for k = 8 (`Benchmarks/llm-scoring`).
///   That is the price of independent scores when TPM is the limit; below it, nothing is lost. Coalescing only
///   while TPM binds (the parser's `auto` rule) is the way to buy it back if bulk scoring needs it.
/// - **Budgets.** The same ``RateBudget`` (RPM and TPM, reserved at prompt estimate × margin + `max_tokens`,
///   settled from `usage`, corrected from `x-ratelimit-*`), ``ConcurrencyLimit`` (AIMD on 429),
///   ``CircuitBreaker`` and ``TokenEstimator`` as the parser; a `429` honours `Retry-After`. The decisions are
///   in ``ScoringDispatch`` (pure); what an answer means is the parser's ``ReplyPolicy``.
/// - **Failures.** A candidate never fails for transient trouble: a `429`, a 5xx, a timeout, a dropped
///   connection or an endpoint that refuses the key all make it wait (backoff with jitter; the breaker paces
///   probes while the endpoint is down). `context_length_exceeded` compacts the resume harder (``Compactor``)
///   and retries; it fails `llm_context_exceeded` only once compaction has gone as far as it goes. An answer
///   that is not the schema (no valid score) is sent back once, with the validation error, as a repair turn;
///   a second invalid answer fails `llm_invalid_output`.
/// - **Evidence.** Every reason goes through ``EvidenceCheck`` against the *stored* text (not the text sent,
///   which may be compacted): kept if its quote is at its offsets, re-anchored if the quote is in the text
///   elsewhere, dropped and counted otherwise.
/// - **What the score holds.** `score` and `subScores` are the model's (validated: 0–100, each 0–1);
///   `missingSkills` and `years` are the model's too, unverified (a lack has no quote to check, and the years
///   are a sum the model did) — read them as the model's claims; `reasons` are only verified quotes.
@LoopActor
public final class LLMScorer {
    let clock: any EngineClock
    public let configuration: LLMConfiguration
    let client: OpenAIClient
    let logger: Logger
    var dispatch: ScoringDispatch
    /// The backoff after transient failures (tests shorten it).
    var backoff = Backoff()
    var random = SystemRandomNumberGenerator()
    /// The context window (the endpoint's, once a `context_length_exceeded` stated it).
    var contextWindow: Int

    let wakeTimer = UVTimer()
    var wakeAt: UInt64 = .max
    var runs: [UInt64: Run] = [:]
    var nextRun: UInt64 = 1
    /// Candidates being compacted on the pool (a cancelled one is dropped when it comes back).
    var compacting = 0
    var closed = false
    /// Why the endpoint refuses the key, account or model, while it does (logged once, not per probe).
    public internal(set) var unauthorized: String?

    /// One `score(job:candidates:)` call: its outcomes as they come, and the caller waiting for all of them.
    struct Run {
        var jobID: String
        var outcomes: [ScoringOutcome?]
        var remaining: Int
        var continuation: CheckedContinuation<[ScoringOutcome], Never>?
    }

    /// What the scorer did (tests, benchmarks, `/metrics`).
    public struct Counters: Sendable, Equatable {
        public var requests = 0
        public var rateLimited = 0
        public var serverErrors = 0
        public var transportErrors = 0
        /// Answers that were not the schema, and repair turns sent for them.
        public var invalidAnswers = 0
        public var repairs = 0
        /// Answers cut off at `max_tokens` (sent again with more room, not counted as invalid).
        public var truncated = 0
        public var contextOverflows = 0
        public var compactions = 0
        public var promptTokens = 0
        public var completionTokens = 0
        public var cachedTokens = 0
        public var scored = 0
        public var failed = 0
        /// Reasons verified at their offsets, re-anchored, and dropped (quotes not in the resume).
        public var evidence = EvidenceCounts()
    }

    /// What the scorer did so far.
    public internal(set) var counters = Counters()

    /// Completion tokens a scoring request asks for until answers have taught the scorer their size (a score,
    /// five sub-scores and up to eight short reasons take 150–600); then ``ScoringDispatch`` asks for 2.5 times
    /// the mean, and an answer cut off at `max_tokens` is sent again with twice as many (up to four times).
    public nonisolated static let answerTokens = 1_000

    public init(configuration: LLMConfiguration, http: HTTPClient, logger: Logger,
                clock: any EngineClock = SystemClock.shared) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        client = OpenAIClient(http: http, baseURL: configuration.baseURL, apiKey: configuration.apiKey ?? "",
                              model: configuration.model, temperature: configuration.temperature,
                              timeoutMilliseconds: configuration.requestTimeoutMilliseconds)
        dispatch = ScoringDispatch(configuration: configuration, now: clock.monotonicNanoseconds())
        contextWindow = configuration.contextWindow
    }

    /// Candidates waiting to be sent, being compacted, or in flight.
    public var held: Int { dispatch.waiting + dispatch.inFlight + compacting }

    /// Tokens the budget would grant now (benchmarks compare it with the server's view).
    public var availableTokens: Double { dispatch.budget.availableTokens(now: clock.monotonicNanoseconds()) }

    /// Scores `candidates` for `job`; the outcomes come back in the candidates' order once every one has been
    /// scored or has failed. Calls may overlap: their candidates share the budgets.
    public func score(job: ScoringJob, candidates: [ScoringCandidate]) async -> [ScoringOutcome] {
        guard !candidates.isEmpty else { return [] }
        let id = nextRun
        nextRun += 1
        runs[id] = Run(jobID: job.id, outcomes: Array(repeating: nil, count: candidates.count),
                       remaining: candidates.count)
        let system = ScoringPrompt.systemMessage(job: job.profile, description: job.description,
                                                 location: job.location)
        let now = clock.monotonicNanoseconds()
        for (index, candidate) in candidates.enumerated() {
            let task = ScoringTask(run: id, index: index, jobID: job.id, candidate: candidate, system: system,
                                   submitted: now)
            if closed {
                finish(task, .failed(code: ScoringFailure.cancelled, detail: "the scorer is closed"))
            } else if candidate.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                finish(task, .failed(code: ScoringFailure.emptyText, detail: "the resume has no text to score"))
            } else {
                enqueue(task)
            }
        }
        pump()
        if let run = runs[id], run.remaining == 0 {
            runs[id] = nil
            return run.outcomes.map { $0! }
        }
        return await withCheckedContinuation(isolation: LoopActor.shared) { runs[id]!.continuation = $0 }
    }

    /// Cancels what is left of job `jobID`'s scoring (the job was deleted): every candidate without an outcome
    /// fails `cancelled` at once (waiting ones leave the queue; answers still in flight are dropped when they
    /// come). Returns the candidates cancelled.
    @discardableResult
    public func cancel(jobID: String) -> Int {
        _ = dispatch.remove { $0.jobID == jobID }
        var cancelled = 0
        for (id, run) in runs where run.jobID == jobID {
            for index in run.outcomes.indices where run.outcomes[index] == nil {
                settle(run: id, index: index, .failed(code: ScoringFailure.cancelled,
                                                      detail: "the job's scoring was cancelled"))
                cancelled += 1
            }
        }
        return cancelled
    }

    /// Stops the timer; candidates still waiting fail `cancelled`, and `score` calls return.
    public func close() async {
        closed = true
        wakeTimer.close()
        for id in Array(runs.keys) {
            guard let run = runs[id] else { continue }
            for index in run.outcomes.indices where run.outcomes[index] == nil {
                settle(run: id, index: index, .failed(code: ScoringFailure.cancelled, detail: "the scorer closed"))
            }
        }
        _ = dispatch.remove { _ in true }
    }

    // MARK: Queueing and compaction

    /// The resume characters (UTF-8 bytes, as the estimator counts) a request for `task` may carry: what the
    /// context window leaves after the schema, the job, the answer and a margin, within `MAX_INPUT_CHARS`, cut
    /// by the task's `shrink` after each overflow.
    func characterBudget(for task: ScoringTask) -> Int {
        let fixed = task.promptCharacters - task.prepared.utf8.count
        let fixedTokens = dispatch.estimator.estimate(characters: fixed)
        let tokens = max(0, contextWindow - fixedTokens - dispatch.answerCeiling * task.outputBoost - 64)
        let characters = Double(tokens) * dispatch.estimator.charactersPerToken * 0.9 * task.shrink
        return max(200, min(configuration.maxInputCharacters, Int(characters)))
    }

    /// Queues a task (compacted on the pool first when its text is over budget, or when it must be compacted
    /// harder).
    func enqueue(_ task: ScoringTask, first: Bool = false) {
        let budget = characterBudget(for: task)
        guard task.prepared.utf8.count > budget || task.overflows > 0 && task.compactionLevel > 0 else {
            dispatch.enqueue(task, first: first)
            return
        }
        compacting += 1
        let text = task.text
        let level = task.compactionLevel
        EventLoop.spawn { [self] in
            let result = await Offload.runNonThrowing { Compactor.compact(text, budget: budget, minimumLevel: level) }
            await compacted(task, result, first: first)
        }
    }

    private func compacted(_ task: ScoringTask, _ result: Compactor.Result, first: Bool) {
        compacting -= 1
        counters.compactions += 1
        guard wanted(task) else { return }
        var compacted = task
        compacted.prepared = result.text
        compacted.compactionLevel = max(task.compactionLevel, result.level)
        dispatch.enqueue(compacted, first: first)
        pump()
    }

    // MARK: Outcomes

    func finish(_ task: ScoringTask, _ outcome: ScoringOutcome) {
        settle(run: task.run, index: task.index, outcome)
    }

    /// Records `outcome` for candidate `index` of run `id` (the first outcome wins), and answers the caller when
    /// it was the last.
    func settle(run id: UInt64, index: Int, _ outcome: ScoringOutcome) {
        guard var run = runs[id], run.outcomes[index] == nil else { return }
        run.outcomes[index] = outcome
        run.remaining -= 1
        switch outcome {
        case .scored: counters.scored += 1
        case .failed: counters.failed += 1
        }
        if run.remaining == 0, let continuation = run.continuation {
            runs[id] = nil
            continuation.resume(returning: run.outcomes.map { $0! })
        } else {
            runs[id] = run
        }
    }

    /// Whether the task's candidate still wants an answer (not cancelled).
    func wanted(_ task: ScoringTask) -> Bool {
        guard let run = runs[task.run] else { return false }
        return run.outcomes[task.index] == nil
    }
}
