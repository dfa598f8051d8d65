@testable import LLMSimulator
import HTTP1
import ResumeModel
import Foundation
@testable import Loop
import Logging
import Testing
import TestSupport

@testable import LLMBatcher

/// A simulator and an LLM scorer pointed at it, over real sockets.
@LoopActor
struct ScorerHarness {
    let simulator: LLMSimulator
    let scorer: LLMScorer
    let http: HTTPClient

    init(simulator tweak: (inout LLMSimulatorConfiguration) -> Void = { _ in },
         scorer tweakScorer: (inout LLMConfiguration) -> Void = { _ in }) throws {
        var sim = LLMSimulatorConfiguration()
        sim.port = 0
        sim.apiKey = "sk-test"
        sim.latencyBaseMilliseconds = 5
        sim.latencyPerTokenMilliseconds = 0
        tweak(&sim)
        simulator = LLMSimulator(configuration: sim, logger: Logger(label: "sim"))
        let port = try simulator.start()
        var config = LLMConfiguration()
        config.apiKey = "sk-test"
        config.baseURL = "http://127.0.0.1:\(port)/v1"
        config.requestsPerMinute = sim.requestsPerMinute
        config.tokensPerMinute = sim.tokensPerMinute
        tweakScorer(&config)
        http = HTTPClient()
        var logger = Logger(label: "scorer")
        logger.logLevel = .warning
        scorer = LLMScorer(configuration: config, http: http, logger: logger)
    }

    /// Scores, or gives up after `seconds` (the scorer is closed: what is left fails `cancelled`, and the test
    /// fails on it instead of hanging).
    func score(_ job: ScoringJob, _ candidates: [ScoringCandidate], seconds: UInt64 = 60) async -> [ScoringOutcome] {
        let timer = UVTimer()
        timer.schedule(after: seconds * 1000) { [scorer] in
            EventLoop.spawn { await scorer.close() }
        }
        let outcomes = await scorer.score(job: job, candidates: candidates)
        timer.close()
        return outcomes
    }

    func stop() async {
        await scorer.close()
        http.close()
        await simulator.shutdown(graceMilliseconds: 0)
    }

    /// A job whose system message (with the schema) is well over the 1,024 tokens a prompt cache starts at.
    static let job: ScoringJob = {
        let duties = (1...40).map {
            "Duty \($0): own a part of the payments platform and its on-call rota, item \($0)."
        }
        return ScoringJob(id: "job-1",
                          profile: JobProfile(title: "Backend Engineer", requiredSkills: ["Go", "PostgreSQL", "Kafka"],
                                              niceToHaveSkills: ["Kubernetes", "Terraform"], minimumYears: 4,
                                              education: .bachelor),
                          description: "We build payment APIs.\n" + duties.joined(separator: "\n"), location: "Madrid")
    }()

    /// Resume `i`: a backend engineer with some of the job's skills (which ones depend on `i`).
    static func resume(_ i: Int) -> String {
        let skills = ["Go", "PostgreSQL", "Kafka", "Kubernetes", "Python", "Terraform"].enumerated()
            .filter { ($0.offset + i) % 3 != 0 }.map(\.element)
        return """
            Person Número\(i)
            Backend Engineer · person\(i)@example.com

            Experience
            Backend Engineer, Acme Payments — Jan 2018 to Dec 2023
            • Built services in Go for \(i) teams
            Developer, Initech — 2014 - 2017
            • Maintained billing

            Education
            BSc Computer Science, Universidad de Zürich, 2014

            Skills
            \(skills.joined(separator: ", "))
            """
    }

    static func candidates(_ count: Int) -> [ScoringCandidate] {
        (0..<count).map { ScoringCandidate(id: "c\($0)", text: resume($0)) }
    }

    /// What the built-in scorer says for candidate text `text` (what llm-sim answers when it is faithful).
    static func builtIn(_ text: String) -> CandidateScore {
        CandidateScorer.score(job: job.profile, resume: RulesParser().parse(text).resume, text: text,
                              today: SimulatorScoring.month(unixTime: Int(Date().timeIntervalSince1970)))
    }
}

extension ScoringOutcome {
    var scored: (score: CandidateScore, usage: ScoringUsage, evidence: EvidenceCounts)? {
        if case .scored(let s, let u, let e) = self { return (s, u, e) }
        return nil
    }

    var failureCode: String? {
        if case .failed(let code, _) = self { return code }
        return nil
    }
}

@Suite("LLM scorer against llm-sim")
struct LLMScorerTests {
    @Test("candidates are scored end to end, in order, with the built-in scorer's numbers and verified quotes")
    @LoopActor
    func scoresEndToEnd() async throws {
        let h = try ScorerHarness()
        let candidates = ScorerHarness.candidates(5)
        let outcomes = await h.score(ScorerHarness.job, candidates)
        try #require(outcomes.count == 5)
        for (candidate, outcome) in zip(candidates, outcomes) {
            let scored = try #require(outcome.scored, "\(outcome)")
            let expected = ScorerHarness.builtIn(candidate.text)
            #expect(scored.score.score == expected.score, "\(candidate.id)")
            #expect(scored.score.subScores == expected.subScores)
            #expect(scored.score.reasons == expected.reasons, "the simulator's quotes are exact, at their offsets")
            #expect(!scored.score.reasons.isEmpty)
            #expect(scored.evidence == EvidenceCounts(verified: expected.reasons.count))
            #expect(scored.usage.promptTokens > 0 && scored.usage.completionTokens > 0)
            #expect(scored.usage.model == "gpt-4o-mini")
            let text = ResumeText(candidate.text)
            for reason in scored.score.reasons {
                #expect(text.verify(quote: reason.quote, start: reason.start, end: reason.end))
            }
        }
        // Different skills, different scores: the answer is about each candidate, not a constant.
        #expect(Set(outcomes.compactMap { $0.scored?.score.score }).count > 1)
        #expect(h.scorer.counters.scored == 5 && h.scorer.counters.requests == 5)
        #expect(h.scorer.counters.promptTokens == h.simulator.counters.promptTokensBilled)
        #expect(h.simulator.counters.scoringAnswers == 5)
        #expect(h.scorer.held == 0)
        await h.stop()
    }

    @Test("the job's prefix is cached: every candidate but the first admitted reports cached tokens")
    @LoopActor
    func cachedPrefix() async throws {
        let h = try ScorerHarness()
        let outcomes = await h.score(ScorerHarness.job, ScorerHarness.candidates(6))
        let usages = try outcomes.map { try #require($0.scored?.usage) }
        #expect(usages.filter { $0.cachedTokens == 0 }.count == 1, "\(usages.map(\.cachedTokens))")
        #expect(usages.allSatisfy { $0.cachedTokens < $0.promptTokens })
        // A second round for the same job: all from the cache, and at least 1,024 tokens each.
        let again = await h.score(ScorerHarness.job, ScorerHarness.candidates(3))
        #expect(again.allSatisfy { ($0.scored?.usage.cachedTokens ?? 0) >= 1_024 })
        #expect(h.scorer.counters.cachedTokens == h.simulator.counters.cachedTokens)
        // Another job shares nothing past the instructions: its first candidate is not served from the cache
        // beyond them (the schema and instructions alone are under 1,024 tokens).
        var other = ScorerHarness.job
        other.id = "job-2"
        other.description = "A different job entirely.\n" + other.description.uppercased()
        let first = await h.score(other, [ScorerHarness.candidates(1)[0]])
        #expect(first.first?.scored?.usage.cachedTokens == 0)
        await h.stop()
    }

    @Test("quotes that are not in the resume are dropped and counted, never returned")
    @LoopActor
    func fabricatedDropped() async throws {
        let h = try ScorerHarness(simulator: { $0.scoringFabricatedQuoteRate = 1 })
        let candidates = ScorerHarness.candidates(4)
        let outcomes = await h.score(ScorerHarness.job, candidates)
        for (candidate, outcome) in zip(candidates, outcomes) {
            let scored = try #require(outcome.scored)
            #expect(scored.evidence.dropped == 1)
            #expect(scored.evidence.verified == ScorerHarness.builtIn(candidate.text).reasons.count)
            #expect(!scored.score.reasons.contains { $0.quote == SimulatorScoring.fabricatedQuote })
            #expect(!scored.score.reasons.isEmpty)
        }
        #expect(h.simulator.counters.injectedFabricatedQuotes == 4)
        #expect(h.scorer.counters.evidence.dropped == 4)
        await h.stop()
    }

    @Test("real quotes at wrong offsets are re-anchored to where the text has them")
    @LoopActor
    func wrongOffsetsReanchored() async throws {
        let h = try ScorerHarness(simulator: { $0.scoringWrongOffsetsRate = 1 })
        let candidates = ScorerHarness.candidates(3)
        let outcomes = await h.score(ScorerHarness.job, candidates)
        for (candidate, outcome) in zip(candidates, outcomes) {
            let scored = try #require(outcome.scored)
            let expected = ScorerHarness.builtIn(candidate.text).reasons
            #expect(scored.evidence == EvidenceCounts(reanchored: expected.count), "\(scored.evidence)")
            #expect(scored.score.reasons.map(\.quote) == expected.map(\.quote))
            let text = ResumeText(candidate.text)
            for reason in scored.score.reasons {
                #expect(text.verify(quote: reason.quote, start: reason.start, end: reason.end))
            }
        }
        await h.stop()
    }

    @Test("an answer without a score gets one repair turn, which succeeds")
    @LoopActor
    func repairSucceeds() async throws {
        let h = try ScorerHarness(simulator: { $0.scoringNoScoreRate = 1 })
        let candidates = ScorerHarness.candidates(3)
        let outcomes = await h.score(ScorerHarness.job, candidates)
        for (candidate, outcome) in zip(candidates, outcomes) {
            let scored = try #require(outcome.scored, "\(outcome)")
            #expect(scored.score.score == ScorerHarness.builtIn(candidate.text).score)
        }
        #expect(h.simulator.counters.scoringAnswers == 6)
        #expect(h.simulator.counters.scoringRepairTurns == 3)
        #expect(h.scorer.counters.repairs == 3 && h.scorer.counters.invalidAnswers == 3)
        // The usage is both requests'.
        #expect(h.scorer.counters.promptTokens == h.simulator.counters.promptTokensBilled)
        let summed = outcomes.compactMap { $0.scored?.usage.promptTokens }.reduce(0, +)
        #expect(summed == h.simulator.counters.promptTokensBilled)
        await h.stop()
    }

    @Test("an answer that stays invalid fails llm_invalid_output after exactly one repair")
    @LoopActor
    func invalidAfterRepair() async throws {
        let h = try ScorerHarness(simulator: { $0.scoringNoScoreRate = 1; $0.scoringRepairNoScoreRate = 1 })
        let outcomes = await h.score(ScorerHarness.job, ScorerHarness.candidates(3))
        #expect(outcomes.map(\.failureCode) == Array(repeating: "llm_invalid_output", count: 3))
        #expect(h.simulator.counters.scoringAnswers == 6, "two answers per candidate, no more")
        #expect(h.simulator.counters.scoringRepairTurns == 3)
        #expect(h.scorer.counters.repairs == 3 && h.scorer.counters.failed == 3)
        await h.stop()
    }

    @Test("429s are honoured and retried; no candidate fails for them")
    @LoopActor
    func rateLimited() async throws {
        let h = try ScorerHarness(simulator: { $0.rateLimitStormRate = 0.5 })
        let outcomes = await h.score(ScorerHarness.job, ScorerHarness.candidates(4))
        #expect(outcomes.allSatisfy { $0.scored != nil }, "\(outcomes.map(\.failureCode))")
        #expect(h.simulator.counters.injectedRateLimits > 0)
        #expect(h.scorer.counters.rateLimited == h.simulator.counters.injectedRateLimits)
        #expect(h.scorer.counters.requests == 4 + h.scorer.counters.rateLimited)
        await h.stop()
    }

    @Test("5xx answers and dropped connections are retried with backoff; no candidate fails for them")
    @LoopActor
    func serverErrorsRetried() async throws {
        let h = try ScorerHarness(simulator: { $0.errorRate = 0.3; $0.dropRate = 0.2; $0.seed = 7 },
                                  scorer: { $0.breakerCooldownMilliseconds = 100 })
        h.scorer.backoff = Backoff(base: 20_000_000, cap: 200_000_000)
        let candidates = ScorerHarness.candidates(4)
        let outcomes = await h.score(ScorerHarness.job, candidates)
        #expect(outcomes.allSatisfy { $0.scored != nil }, "\(outcomes.map(\.failureCode))")
        let sim = h.simulator.counters
        #expect(sim.injectedServerErrors + sim.droppedConnections > 0)
        #expect(h.scorer.counters.serverErrors == sim.injectedServerErrors)
        #expect(h.scorer.counters.transportErrors == sim.droppedConnections)
        #expect(h.scorer.counters.requests == 4 + sim.injectedServerErrors + sim.droppedConnections)
        await h.stop()
    }

    @Test("an answer cut off at max_tokens goes again with more room, not as a repair; at OPENAI_MAX_TOKENS it is invalid")
    @LoopActor
    func truncatedAnswers() async throws {
        let h = try ScorerHarness()
        h.scorer.dispatch.answerCeiling = 80
        let outcomes = await h.score(ScorerHarness.job, ScorerHarness.candidates(3))
        #expect(outcomes.allSatisfy { $0.scored != nil }, "\(outcomes.map(\.failureCode))")
        #expect(h.simulator.counters.truncated > 0)
        #expect(h.scorer.counters.truncated == h.simulator.counters.truncated)
        #expect(h.scorer.counters.repairs == 0 && h.scorer.counters.invalidAnswers == 0)
        await h.stop()
        // With OPENAI_MAX_TOKENS too small for any answer: one repair turn, then llm_invalid_output.
        let small = try ScorerHarness(scorer: { $0.maxTokens = 40 })
        let failed = await small.score(ScorerHarness.job, ScorerHarness.candidates(2))
        #expect(failed.map(\.failureCode) == ["llm_invalid_output", "llm_invalid_output"])
        #expect(small.scorer.counters.repairs == 2 && small.simulator.counters.requests == 4)
        await small.stop()
    }

    @Test("context_length_exceeded: the window is learned, the resume compacted, and the evidence checked against the stored text")
    @LoopActor
    func compactsOnOverflow() async throws {
        let h = try ScorerHarness(simulator: { $0.contextWindow = 3_000 })
        let long = ScorerHarness.resume(1) + "\n\nReferences\n" + (0..<400).map {
            "Referee \($0): Someone Important, someone\($0)@example.org, +1 555 01\($0)"
        }.joined(separator: "\n")
        let outcomes = await h.score(ScorerHarness.job, [ScoringCandidate(id: "long", text: long)])
        let scored = try #require(outcomes.first?.scored, "\(outcomes)")
        #expect(h.scorer.counters.contextOverflows >= 1 && h.scorer.counters.compactions >= 1)
        #expect(scored.evidence.total > 0 && scored.evidence.dropped == 0)
        let text = ResumeText(long)
        for reason in scored.score.reasons {
            #expect(text.verify(quote: reason.quote, start: reason.start, end: reason.end))
        }
        await h.stop()
    }

    @Test("a refused key: candidates wait (the breaker paces the probes) instead of failing")
    @LoopActor
    func refusedKeyWaits() async throws {
        let h = try ScorerHarness(scorer: { $0.apiKey = "sk-wrong"; $0.breakerCooldownMilliseconds = 60_000 })
        let scorer = h.scorer
        EventLoop.spawn {
            for _ in 0..<200 where await scorer.unauthorized == nil { try? await Task.sleep(nanoseconds: 10_000_000) }
            await scorer.close()
        }
        let outcomes = await h.score(ScorerHarness.job, ScorerHarness.candidates(3))
        #expect(outcomes.map(\.failureCode) == ["cancelled", "cancelled", "cancelled"], "nothing failed on its own")
        #expect(h.scorer.unauthorized != nil)
        #expect(h.simulator.counters.unauthorized >= 1)
        // Only what was in flight when the first 401 came: then the breaker is open for a minute.
        #expect(h.simulator.counters.requests <= 3)
        await h.stop()
    }

    @Test("an empty resume fails empty_text without a request; cancelling a job fails what waits")
    @LoopActor
    func emptyAndCancelled() async throws {
        let h = try ScorerHarness()
        let outcomes = await h.score(ScorerHarness.job, [ScoringCandidate(id: "e", text: " \n ")])
        #expect(outcomes.map(\.failureCode) == ["empty_text"])
        #expect(h.simulator.counters.requests == 0)
        // A 429 storm keeps candidates waiting; the job is cancelled while they wait.
        await h.stop()
        let h2 = try ScorerHarness(simulator: { $0.rateLimitStormRate = 1 })
        let scorer = h2.scorer
        EventLoop.spawn {
            try? await Task.sleep(nanoseconds: 300_000_000)
            let count = await scorer.cancel(jobID: ScorerHarness.job.id)
            #expect(count == 3)
            #expect(await scorer.cancel(jobID: ScorerHarness.job.id) == 0, "nothing left to cancel")
        }
        let cancelled = await h2.score(ScorerHarness.job, ScorerHarness.candidates(3))
        #expect(cancelled.map(\.failureCode) == Array(repeating: "cancelled", count: 3))
        await h2.stop()
    }
}
