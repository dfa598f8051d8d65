import ResumeModel
import Foundation

/// `llm-sim`'s answers to scoring requests (``ScoringPrompt``): a faithful model, whose score is the built-in
/// ``CandidateScorer``'s for the job in the system message and the resume in the user message (read with the
/// ``RulesParser``), and whose reasons quote the text exactly at the right scalar offsets. Faults turn it into
/// a model that makes things up (``LLMSimulatorConfiguration``'s `scoring…Rate` fields).
enum SimulatorScoring {
    /// What a scoring answer gets wrong on purpose.
    struct Faults: Equatable {
        /// A reason quoting text that is nowhere in the resume is added.
        var fabricatedQuote = false
        /// Every reason's offsets are moved (the quotes stay exact).
        var wrongOffsets = false
        /// The answer has no `score`.
        var noScore = false
    }

    /// The quote the fabricated reason cites: words no resume of the tests or benchmarks holds.
    static let fabricatedQuote = "Nobel Prize in Quantum Basket Weaving"

    /// Whether `request` asks for a candidate's score: the answer schema's name, or the system message's first
    /// line (JSON mode).
    static func isScoring(_ request: SimulatorChatRequest) -> Bool {
        if case .jsonSchema(let schema, _, _) = request.responseFormat,
           (schema["properties"] as? [String: Any])?["sub_scores"] != nil { return true }
        return request.systemText.hasPrefix(ScoringPrompt.firstLine)
    }

    /// Whether `request` is a repair turn (the model's earlier answer is in it).
    static func isRepair(_ request: SimulatorChatRequest) -> Bool {
        request.messages.contains { $0.role == "assistant" }
    }

    /// The answer's content for `request`; `today` ("2026-12") ends open-ended jobs.
    static func content(_ request: SimulatorChatRequest, today: String, faults: Faults) -> String {
        guard let job = ScoringPrompt.job(inSystemMessage: request.systemText),
              let user = request.messages.first(where: { $0.role == "user" }),
              let text = ScoringPrompt.resumeText(inUserMessage: user.content)
        else {
            // Not a prompt it understands: what a model would answer without a job or a resume.
            return #"{"score":0,"sub_scores":{},"reasons":[],"missing_skills":[],"years":0}"#
        }
        let resume = RulesParser().parse(text).resume
        let score = CandidateScorer.score(job: job.profile, resume: resume, text: text, today: today)
        var reasons: [[String: Any]] = score.reasons.map { reason in
            var start = reason.start
            var end = reason.end
            if faults.wrongOffsets {
                // Off by the length of the quote plus three, as a model counting tokens instead of characters
                // might be; kept in range when the text allows.
                let shift = reason.end - reason.start + 3
                let count = text.unicodeScalars.count
                if end + shift <= count { start += shift; end += shift } else { start = 0; end -= reason.start }
            }
            return ["criterion": reason.criterion, "text": reason.text, "quote": reason.quote,
                    "start": start, "end": end]
        }
        if faults.fabricatedQuote {
            reasons.append(["criterion": "education", "text": "holds an award", "quote": fabricatedQuote,
                            "start": 0, "end": fabricatedQuote.unicodeScalars.count])
        }
        var sub: [String: Any] = [:]
        for criterion in ScoringPrompt.criteria { sub[criterion] = score.subScores[criterion] ?? NSNull() }
        var root: [String: Any] = ["sub_scores": sub, "reasons": reasons, "missing_skills": score.missingSkills,
                                   "years": score.years]
        if !faults.noScore { root["score"] = score.score }
        let data = (try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// "YYYY-MM" of a Unix time, in UTC.
    static func month(unixTime: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: Date(timeIntervalSince1970: Double(unixTime)))
        let month = parts.month ?? 1
        return "\(parts.year ?? 2026)-" + (month < 10 ? "0\(month)" : "\(month)")
    }
}
