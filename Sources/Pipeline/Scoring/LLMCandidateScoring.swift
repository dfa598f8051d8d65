import LLMBatcher
import Loop
import ResumeModel
import Sink

/// Which scorer the engines use (`SCORER`): the built-in one, or the LLM's (the default when an LLM is
/// configured, `OPENAI_API_KEY`).
public enum ScorerChoice: String, Sendable, CaseIterable {
    case rules
    case llm

    /// `SCORER` if set (`rules` or `llm`; `llm` needs `OPENAI_API_KEY`), else `llm` with an LLM configured.
    public static func from(environment: [String: String], llm: LLMConfiguration) throws(InvalidSetting) -> ScorerChoice {
        guard let text = environment["SCORER"], !text.isEmpty else { return llm.usesLLM ? .llm : .rules }
        guard let choice = ScorerChoice(rawValue: text.lowercased()) else {
            throw InvalidSetting(name: "SCORER", value: text, expected: "rules or llm")
        }
        if choice == .llm, !llm.usesLLM {
            throw InvalidSetting(name: "SCORER", value: text, expected: "rules (the LLM scorer needs OPENAI_API_KEY)")
        }
        return choice
    }
}

/// The LLM scorer (``LLMScorer``) behind the worker's door: one request per candidate behind the job's cached
/// prefix, on the same budgets as parsing. Its reasons come back through the evidence check already (kept,
/// re-anchored or dropped and counted); a document not parsed fails `not_parsed` without a request.
@LoopActor
public final class LLMCandidateScoring: CandidateScoring {
    public let name = "llm"
    /// Rounds overlap so the requests of the next round start while the slowest of this one finish: the rate
    /// limits, not the round's tail, bound the throughput.
    public let concurrentRounds = 4
    public let scorer: LLMScorer

    public init(scorer: LLMScorer) { self.scorer = scorer }

    public func score(job: JobRecord, candidates: [CandidateInput]) async -> [CandidateOutcome] {
        let parsed = candidates.filter { $0.status == "parsed" }
        let scoringJob = ScoringJob(id: job.id, profile: JobScoringProfile.profile(job), description: job.description,
                                    location: job.location)
        let answers = await scorer.score(job: scoringJob,
                                         candidates: parsed.map { ScoringCandidate(id: $0.documentID, text: $0.text) })
        var byID: [String: ScoringOutcome] = [:]
        for (candidate, answer) in zip(parsed, answers) { byID[candidate.documentID] = answer }
        return candidates.map { candidate in
            guard let answer = byID[candidate.documentID] else {
                return .failed(candidate.documentID, code: "not_parsed",
                               detail: "the document is \(candidate.status), not parsed; there is nothing to score",
                               scorer: name)
            }
            switch answer {
            case .scored(let score, let usage, let evidence):
                var outcome = CandidateOutcome.scored(
                    candidate.documentID, score: score.score, subScores: EvidenceTally.subScoresJSON(score.subScores),
                    reasons: EvidenceTally.reasonsJSON(score.reasons), missingSkills: JSONText.strings(score.missingSkills),
                    years: score.years, scorer: name)
                outcome.model = usage.model
                outcome.promptTokens = usage.promptTokens
                outcome.completionTokens = usage.completionTokens
                outcome.cachedTokens = usage.cachedTokens
                outcome.reasonsKept = score.reasons.count
                outcome.reasonsDropped = evidence.dropped
                outcome.reasonsReanchored = evidence.reanchored
                return outcome
            case .failed(let code, let detail):
                return .failed(candidate.documentID,
                               code: code == ScoringFailure.cancelled ? CandidateScoringFailure.cancelled : code,
                               detail: detail, scorer: name)
            }
        }
    }

    public func cancel(jobID: String) { scorer.cancel(jobID: jobID) }

    public func close() async { await scorer.close() }
}
