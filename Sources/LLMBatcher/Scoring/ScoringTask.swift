import ResumeModel

/// One candidate on its way through the scorer: what is sent for it, and what happened to it so far.
struct ScoringTask: Sendable {
    /// The `score(job:candidates:)` call it belongs to, and its place in that call's answer.
    var run: UInt64
    var index: Int
    var jobID: String
    var candidateID: String
    /// The job's system message (shared storage: every task of a call holds the same string).
    var system: String
    /// The resume's stored text: the evidence is checked against it, whatever was sent.
    var text: String
    /// The text as sent (compacted when over budget).
    var prepared: String
    /// Multiplier of the completion tokens asked for, doubled after an answer cut off at `max_tokens`.
    var outputBoost = 1
    /// The compactor's level reached, `context_length_exceeded` answers so far, and the factor the character
    /// budget is cut by after each.
    var compactionLevel = 0
    var overflows = 0
    var shrink = 1.0
    /// Transient failures (5xx, timeouts, dropped connections) so far: they set the backoff, never a failure.
    var attempts = 0
    /// The invalid answer and why, sent back once for repair; `repaired` once that turn has been asked for.
    var invalidAnswer: (content: String, error: String)?
    var repaired = false
    /// Usage summed over every request made for this candidate (repairs and retries included).
    var promptTokens = 0
    var completionTokens = 0
    var cachedTokens = 0
    var submitted: UInt64

    init(run: UInt64, index: Int, jobID: String, candidate: ScoringCandidate, system: String, submitted: UInt64) {
        self.run = run
        self.index = index
        self.jobID = jobID
        candidateID = candidate.id
        self.system = system
        text = candidate.text
        prepared = candidate.text
        self.submitted = submitted
    }

    /// The conversation to send: the job's system message, the resume; after an invalid answer, that answer
    /// and the request to repair it (the first two messages stay the cached prefix).
    var messages: [OpenAIClient.Message] {
        var messages = [OpenAIClient.Message(role: "system", content: system),
                        OpenAIClient.Message(role: "user", content: ScoringPrompt.userMessage(resume: prepared))]
        if let invalidAnswer {
            messages.append(.init(role: "assistant", content: invalidAnswer.content))
            messages.append(.init(role: "user", content: ScoringPrompt.repairMessage(error: invalidAnswer.error)))
        }
        return messages
    }

    /// UTF-8 bytes of the prompt (the schema, billed as input, included): what the token estimate reads.
    var promptCharacters: Int {
        var count = ScoringPrompt.answerSchemaJSON.utf8.count + system.utf8.count + prepared.utf8.count + 64
        if let invalidAnswer {
            count += invalidAnswer.content.utf8.count + invalidAnswer.error.utf8.count + 200
        }
        return count
    }
}
