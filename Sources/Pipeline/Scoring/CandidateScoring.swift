import Foundation
import Loop
import ResumeModel
import Sink

/// Scores candidates for a job: the built-in scorer (``BuiltInScoring``) or an LLM's. Every outcome's reasons
/// have been checked against the stored text before they are returned: a reason whose quote is not in the
/// resume is dropped and counted, never written.
@LoopActor
public protocol CandidateScoring: AnyObject {
    /// What the candidates' `scorer` column says (`rules`, `llm`).
    var name: String { get }
    /// One outcome per candidate, in order: a document not parsed fails `not_parsed`. An outcome failed
    /// ``CandidateScoringFailure/cancelled`` is not an outcome (the scorer closed, or the job's scoring was
    /// cancelled): it is not written, and the candidate stays pending.
    func score(job: JobRecord, candidates: [CandidateInput]) async -> [CandidateOutcome]
    /// Candidates of rounds this many at once are worth scoring together (an LLM's requests overlap; the
    /// built-in scorer is CPU work on the pool).
    var concurrentRounds: Int { get }
    /// Gives up what is left of job `jobID`'s scoring at once (the job was deleted).
    func cancel(jobID: String)
    func close() async
}

/// Codes of the worker's own: ``cancelled`` is not the candidate's failure (not written); ``abandoned`` is.
public enum CandidateScoringFailure {
    public static let cancelled = "cancelled"
    /// Claimed too many times without an outcome (``ScoringWorker``'s `maxAttempts`): failed, not scored again.
    public static let abandoned = "scoring_abandoned"
}

/// The built-in scorer (``CandidateScorer``), run on the pool: it is CPU work (JSON decoding, text search).
@LoopActor
public final class BuiltInScoring: CandidateScoring {
    public let name = "rules"
    public let concurrentRounds = 1
    private let clock: any EngineClock

    public func cancel(jobID: String) {}
    public func close() async {}

    public init(clock: any EngineClock = SystemClock.shared) { self.clock = clock }

    public func score(job: JobRecord, candidates: [CandidateInput]) async -> [CandidateOutcome] {
        let today = Self.month(unixMilliseconds: clock.unixMilliseconds())
        let profile = JobScoringProfile.profile(job)
        return await Offload.runNonThrowing {
            candidates.map { Self.score(profile: profile, candidate: $0, today: today) }
        }
    }

    nonisolated static func score(profile: JobProfile, candidate: CandidateInput, today: String) -> CandidateOutcome {
        guard candidate.status == "parsed" else {
            return .failed(candidate.documentID, code: "not_parsed",
                           detail: "the document is \(candidate.status), not parsed; there is nothing to score",
                           scorer: "rules")
        }
        // The stored JSON Resume; the rules parser's reading of the stored text when there is none (or it is
        // not JSON Resume): the text is what every quote must come from either way.
        let resume = candidate.parsed.flatMap { try? JSONDecoder().decode(JSONResume.self, from: Data($0.utf8)) }
            ?? RulesParser().parse(candidate.text).resume
        let result = CandidateScorer.score(job: profile, resume: resume, text: candidate.text, today: today)
        // The same check as any scorer's: the built-in scorer's quotes are cut from the text, so all verify.
        let check = EvidenceCheck.check(result.reasons, text: candidate.text)
        var outcome = CandidateOutcome.scored(candidate.documentID, score: result.score,
                                              subScores: EvidenceTally.subScoresJSON(result.subScores),
                                              reasons: EvidenceTally.reasonsJSON(check.reasons),
                                              missingSkills: JSONText.strings(result.missingSkills),
                                              years: result.years, scorer: "rules")
        outcome.reasonsKept = check.reasons.count
        outcome.reasonsDropped = check.counts.dropped
        outcome.reasonsReanchored = check.counts.reanchored
        return outcome
    }

    /// "2026-12" for the month a time falls in (UTC): where open-ended jobs end.
    nonisolated static func month(unixMilliseconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(unixMilliseconds) / 1000)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", parts.year ?? 2026, parts.month ?? 1)
    }
}

/// A job record as the scorers read it.
public enum JobScoringProfile {
    public static func profile(_ job: JobRecord) -> JobProfile {
        JobProfile(title: job.title, requiredSkills: job.requiredSkills, niceToHaveSkills: job.niceSkills,
                   minimumYears: job.minYears, education: job.education.flatMap(EducationLevel.named))
    }
}

extension EducationLevel {
    /// The level by the name the API takes (`associate`, `bachelor`, `master`, `doctorate`).
    public static func named(_ name: String) -> EducationLevel? {
        switch name {
        case "associate": .associate
        case "bachelor": .bachelor
        case "master": .master
        case "doctorate": .doctorate
        default: nil
        }
    }

    /// The names the API takes, in order.
    public static let names = ["associate", "bachelor", "master", "doctorate"]
}

/// Reasons and sub-scores as the candidates' rows store them (after ``EvidenceCheck``).
public enum EvidenceTally {
    public static func reasonsJSON(_ reasons: [CandidateScore.Reason]) -> [UInt8] {
        var out: [UInt8] = [0x5B]
        for (n, reason) in reasons.enumerated() {
            if n > 0 { out.append(0x2C) }
            var o = JSONText.Object()
            o.string("criterion", reason.criterion)
            o.string("text", reason.text)
            o.string("quote", reason.quote)
            o.int("start", reason.start)
            o.int("end", reason.end)
            out += o.finished()
        }
        out.append(0x5D)
        return out
    }

    public static func subScoresJSON(_ subScores: [String: Double]) -> [UInt8] {
        var o = JSONText.Object()
        for key in subScores.keys.sorted() { o.double(key, (subScores[key]! * 1000).rounded() / 1000) }
        return o.finished()
    }
}
