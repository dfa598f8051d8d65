import LLMSimulator
import Loop
import ArgumentParser
import Foundation
import LLMBatcher
import Logging
import ResumeModel

/// `resume-ingest llm-score-bench TEXTS.ndjson`: the LLM scorer against an in-process `llm-sim` over real
/// loopback sockets, for issue 15's figures: tokens per candidate with the job's prefix cached vs a prefix
/// made unique per candidate, and candidates per minute at a TPM limit with the share of the limit used.
struct LLMScoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm-score-bench",
        abstract: "Run the LLM scorer against an in-process llm-sim: prefix caching and budget use.",
        shouldDisplay: false)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Extracted texts: the output of `resume-ingest extract --text` (one JSON line per document).")
    var texts: String

    @Option(help: "tokens: prefix cached vs unique; throughput: candidates per minute at --tpm; both.")
    var part = "both"
    @Option(help: "The simulator's tokens-per-minute limit (throughput part).") var tpm = 200_000
    @Option(help: "The simulator's requests-per-minute limit.") var rpm = 10_000
    @Option(help: "Seconds to run the throughput part.") var duration = 120.0
    @Option(help: "Seconds after which the steady-state window starts (the buckets start full).") var measureFrom = 40.0
    @Option(help: "Simulated latency: base milliseconds.") var latencyBase = 300.0
    @Option(help: "Simulated latency: milliseconds per output token.") var latencyPerToken = 5.0

    func run() async throws {
        try global.bootstrapLogging()
        let corpus = try LLMBench.load(texts)
        guard !corpus.isEmpty else { throw ValidationError("no extracted texts in \(texts)") }
        if part == "tokens" || part == "both" { print(try await Self.tokens(corpus: corpus, options: self)) }
        if part == "throughput" || part == "both" { print(try await Self.throughput(corpus: corpus, options: self)) }
        let leaks = EventLoop.shared.stop()
        if !leaks.isEmpty { throw ExitCode(70) }
    }

    /// The job every candidate is scored for: an ordinary posting of about 450 words (the length of most).
    static let job = ScoringJob(
        id: "bench-job",
        profile: JobProfile(title: "HR Business Partner", requiredSkills: ["Workday", "ADP", "Employee relations"],
                            niceToHaveSkills: ["BambooHR", "Power BI", "SQL"], minimumYears: 3,
                            education: .bachelor),
        description: """
            About the role
            We are a logistics software company of about 900 people across Lisbon, Leeds and Kraków, and we are \
            looking for an HR Business Partner to support our engineering and operations groups (roughly 350 \
            people). You will be the first point of contact for managers on everything from workforce planning to \
            difficult conversations, and you will work closely with our People Operations, Talent Acquisition and \
            Total Rewards teams.

            What you will do
            - Partner with directors and team leads on organisation design, headcount planning and succession.
            - Coach managers through performance conversations, improvement plans and, when needed, exits.
            - Own employee relations cases end to end: intake, investigation, documentation and resolution, \
              within local labour law in Portugal, the United Kingdom and Poland.
            - Run the twice-yearly review cycle for your groups, calibrations included, in Workday.
            - Work with payroll (ADP) on changes that touch pay, leave and benefits; keep records accurate.
            - Read engagement survey results with your leaders and turn them into a short list of actions.
            - Build simple reports on attrition, time to hire and absence, and explain what they mean.
            - Take part in policy work: hybrid working, on-call compensation, parental leave.

            What we are looking for
            - Three or more years as an HR generalist or business partner, ideally in a technology company.
            - Hands-on experience with Workday and ADP; BambooHR is a plus if you come from a smaller company.
            - Solid employee relations experience, including investigations, and sound judgement about risk.
            - Comfort with data: spreadsheets at least; Power BI or SQL is welcome but not required.
            - A bachelor's degree in human resources, psychology, business or a related field, or equivalent \
              experience.
            - Clear writing in English; Portuguese or Polish is a plus.

            How we work
            Most of our teams work hybrid, two days a week in the office. We publish salary bands for every role, \
            offer 25 days of holiday plus local public holidays, a learning budget, private health insurance and \
            a pension plan with employer contributions. The interview process has four steps: a call with the \
            recruiter, a conversation with the Head of People, a case exercise on an employee relations \
            scenario, and a meeting with two of the directors you would support. We answer every application \
            within ten working days.
            """,
        location: "Lisbon or Leeds (hybrid)")

    /// A simulator and a scorer pointed at it.
    @LoopActor
    static func start(tpm: Int, options o: LLMScoreBench) throws -> (LLMSimulator, LLMScorer, HTTPClient) {
        var sim = LLMSimulatorConfiguration()
        sim.port = 0
        sim.apiKey = "sk-bench"
        sim.tokensPerMinute = tpm
        sim.requestsPerMinute = o.rpm
        sim.latencyBaseMilliseconds = o.latencyBase
        sim.latencyPerTokenMilliseconds = o.latencyPerToken
        var logger = Logger(label: "llm-score-bench")
        logger.logLevel = .warning
        let simulator = LLMSimulator(configuration: sim, logger: logger)
        let port = try simulator.start()
        var config = LLMConfiguration()
        config.apiKey = "sk-bench"
        config.baseURL = "http://127.0.0.1:\(port)/v1"
        config.tokensPerMinute = tpm
        config.requestsPerMinute = o.rpm
        config.maxConcurrency = 64
        let http = HTTPClient(maxConnectionsPerHost: config.maxConcurrency)
        return (simulator, LLMScorer(configuration: config, http: http, logger: logger), http)
    }

    /// Part 1: every text scored once for the job with its stable system message, then once each with a system
    /// message made unique per candidate (the location carries a requisition number, so no two prompts share
    /// more than the instructions: under the 1,024 tokens a cache starts at). No rate limit binds.
    @LoopActor
    static func tokens(corpus: [String], options o: LLMScoreBench) async throws -> String {
        let candidates = corpus.enumerated().map { ScoringCandidate(id: "c\($0.offset)", text: $0.element) }
        var lines = ["## tokens per candidate: \(candidates.count) candidates, one job, no rate limit binding",
                     "mode prompt_tokens cached_tokens completion_tokens input_cost_usd_per_1000 "
                        + "total_cost_usd_per_1000 verified_share requests tpm_tokens_per_request"]
        var perMode: [String: (prompt: Double, cached: Double, completion: Double, admitted: Double)] = [:]
        for mode in ["stable", "unique"] {
            let (simulator, scorer, http) = try start(tpm: 100_000_000, options: o)
            var outcomes: [ScoringOutcome] = []
            if mode == "stable" {
                outcomes = await scorer.score(job: job, candidates: candidates)
            } else {
                await withTaskGroup(of: [ScoringOutcome].self) { group in
                    for (index, candidate) in candidates.enumerated() {
                        var unique = job
                        unique.location = (job.location ?? "") + " · requisition \(index)"
                        group.addTask { await scorer.score(job: unique, candidates: [candidate]) }
                    }
                    for await result in group { outcomes += result }
                }
            }
            let scored = outcomes.compactMap { outcome -> ScoringUsage? in
                if case .scored(_, let usage, _) = outcome { return usage }
                return nil
            }
            let n = Double(max(1, scored.count))
            let prompt = Double(scored.map(\.promptTokens).reduce(0, +)) / n
            let cached = Double(scored.map(\.cachedTokens).reduce(0, +)) / n
            let completion = Double(scored.map(\.completionTokens).reduce(0, +)) / n
            let sim = simulator.counters
            perMode[mode] = (prompt, cached, completion, Double(sim.tokensAdmitted) / Double(max(1, sim.completed)))
            let prices = LLMPrices.gpt4oMini
            let input = prices.cost(promptTokens: Int(prompt * 1000), cachedTokens: Int(cached * 1000),
                                    completionTokens: 0)
            let total = prices.cost(promptTokens: Int(prompt * 1000), cachedTokens: Int(cached * 1000),
                                    completionTokens: Int(completion * 1000))
            let e = scorer.counters.evidence
            lines.append(String(format: "%@ %.1f %.1f %.1f %.4f %.4f %.4f %d %.1f", mode, prompt, cached, completion,
                                input, total, Double(e.verified + e.reanchored) / Double(max(1, e.total)),
                                scorer.counters.requests, perMode[mode]!.admitted))
            if scored.count != candidates.count { lines.append("  (\(candidates.count - scored.count) failed)") }
            await scorer.close()
            http.close()
            await simulator.shutdown(graceMilliseconds: 0)
        }
        // What coalescing k candidates per request would buy at a TPM bound: the job prefix (what the stable
        // mode served from the cache) paid once per k, the rest per candidate; every request also reserves its
        // max_tokens against TPM (OpenAI counts it at admission), which a coalesced answer needs k times of.
        if let stable = perMode["stable"] {
            let prefix = stable.cached
            // In steady state a request asks for 2.5 × the mean answer, at least 300 (ScoringDispatch); a coalesced
            // one for k times that.
            let reserved = max(300, (stable.completion * 2.5).rounded(.up))
            let perCandidate = stable.prompt + reserved
            for k in [4.0, 8.0] {
                let coalesced = prefix / k + (stable.prompt - prefix) + reserved
                lines.append(String(format: "coalescing_estimate k=%.0f tpm_tokens_per_candidate %.0f -> %.0f "
                                        + "(x%.2f candidates per minute)",
                                    k, perCandidate, coalesced, perCandidate / coalesced))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Part 2: a backlog that never runs dry (the corpus cycled, each copy made unique by a first line so the
    /// cache never serves a whole resume), the steady-state share of the TPM limit admitted, and candidates
    /// scored per minute in that window.
    @LoopActor
    static func throughput(corpus: [String], options o: LLMScoreBench) async throws -> String {
        let (simulator, scorer, http) = try start(tpm: o.tpm, options: o)
        let start = SystemClock.shared.monotonicNanoseconds()
        let end = start + UInt64(o.duration * 1e9)
        let windowStart = start + UInt64(o.measureFrom * 1e9)
        var admittedAtWindow: Int?
        var scoredAtWindow = 0
        var levelAtWindow = 0.0
        var windowStartedAt = windowStart
        var submitted = 0
        while SystemClock.shared.monotonicNanoseconds() < end {
            let now = SystemClock.shared.monotonicNanoseconds()
            if admittedAtWindow == nil && now >= windowStart {
                admittedAtWindow = simulator.counters.tokensAdmitted
                scoredAtWindow = scorer.counters.scored
                levelAtWindow = simulator.availableTokens()
                windowStartedAt = now
            }
            if scorer.held < 128 {
                let batch = (0..<16).map { i -> ScoringCandidate in
                    let n = submitted + i
                    return ScoringCandidate(id: "c\(n)", text: "Ref \(n)\n" + corpus[n % corpus.count])
                }
                submitted += batch.count
                EventLoop.spawn { _ = await scorer.score(job: job, candidates: batch) }
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        let endedAt = SystemClock.shared.monotonicNanoseconds()
        let levelAtEnd = simulator.availableTokens()
        let s = simulator.counters
        let c = scorer.counters
        let windowSeconds = admittedAtWindow == nil ? 0 : Double(endedAt - windowStartedAt) / 1e9
        let admitted = s.tokensAdmitted - (admittedAtWindow ?? 0)
        let refill = Double(o.tpm) * windowSeconds / 60
        // As llm-bench: the window's refill was admitted, is still in the bucket, or was wasted.
        let utilization = windowSeconds > 0 ? (Double(admitted) + levelAtEnd - levelAtWindow) / refill : 0
        let perMinute = windowSeconds > 0 ? Double(c.scored - scoredAtWindow) / windowSeconds * 60 : 0
        let report = String(format: """
            ## throughput: TPM %d, %.0fs, steady state from %.0fs
            candidates_per_minute=%.1f utilization=%.4f admitted_share=%.4f scored=%d failed=%d held=%d
            requests=%d answered_429=%d tokens_admitted_per_candidate=%.0f prompt_tokens_per_candidate=%.0f \
            cached_tokens_per_candidate=%.0f completion_tokens_per_candidate=%.0f
            """,
            o.tpm, o.duration, o.measureFrom, perMinute, utilization, windowSeconds > 0 ? Double(admitted) / refill : 0,
            c.scored, c.failed, scorer.held, s.requests, s.rateLimited,
            Double(s.tokensAdmitted) / Double(max(1, s.completed)), Double(c.promptTokens) / Double(max(1, c.scored)),
            Double(c.cachedTokens) / Double(max(1, c.scored)), Double(c.completionTokens) / Double(max(1, c.scored)))
        await scorer.close()
        http.close()
        await simulator.shutdown(graceMilliseconds: 0)
        return report
    }
}
