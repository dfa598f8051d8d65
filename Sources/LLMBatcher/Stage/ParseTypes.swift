import ResumeModel
import Loop

/// One document to parse: extracted text and what identifies its content.
public struct ParseJob: Sendable {
    /// The document id.
    public var id: String
    /// The tenant: results are reused only within one tenant.
    public var tenant: String
    /// SHA-256 of the original bytes (hex): identical content is parsed once per tenant.
    public var contentSHA256: String?
    /// Clean text from ExtractPool.
    public var text: String
    /// The document's record, carried through the parser untouched for the stage after it (nil for text
    /// parsed on its own, e.g. by benchmarks).
    public var record: DocumentRecord?
    /// The rules parser's confidence, when it read the text first and found it weak (`LLM_WHEN_UNSURE`): the
    /// row keeps it whoever parses the text in the end.
    public var confidence: ParseConfidence?

    public init(id: String, tenant: String, contentSHA256: String?, text: String, record: DocumentRecord? = nil) {
        self.id = id
        self.tenant = tenant
        self.contentSHA256 = contentSHA256
        self.text = text
        self.record = record
    }

    /// A job for a document whose record extraction has filled.
    public init(record: DocumentRecord, text: String) {
        self.init(id: record.id.description, tenant: record.metadata.tenant,
                  contentSHA256: Hex.encode(record.metadata.sha256), text: text, record: record)
    }
}

/// A parse outcome, for the next stage (the Sink).
public struct ParsedDocument: Sendable {
    public enum Status: String, Sendable {
        case parsed
        case failed
    }

    /// Why a document failed parsing (`documents.error_code`).
    public enum FailureCode: String, Sendable {
        /// Nothing to parse.
        case emptyText = "empty_text"
        /// The model's answer stayed invalid after a repair retry.
        case invalidOutput = "llm_invalid_output"
        /// The endpoint refused the request itself (a 4xx other than rate limits and length).
        case requestRejected = "llm_request_rejected"
        /// The endpoint kept failing this document while it answered others.
        case unavailable = "llm_unavailable"
        /// The model's answers kept leaving this resume out (three requests, with backoff between them).
        case missingAnswer = "llm_missing_answer"
        /// The prompt stayed over the endpoint's context window with the text compacted as far as it goes.
        case contextExceeded = "llm_context_exceeded"
    }

    public var job: ParseJob
    public var status: Status
    public var resume: JSONResume?
    /// `openai` or `rules`.
    public var provider: String
    /// The model, for `openai`.
    public var model: String?
    /// This document's share of the prompt and completion tokens billed (0 when reused or `rules`).
    public var promptTokens: Int
    public var completionTokens: Int
    /// The part of ``promptTokens`` the endpoint served from its prompt cache (billed at the cached price).
    public var cachedTokens: Int
    /// This document's share of the bill in USD, estimated from its tokens at `LLM_PRICE_*` (0 when reused:
    /// nothing was billed for it; nil from the `rules` parser, which is not billed at all).
    public var costUSD: Double?
    /// From submission to result, in milliseconds (queueing and rate-limit waits included).
    public var milliseconds: Double
    /// Notes: compaction applied, suspected prompt injection, result reused, not a resume…
    public var warnings: [String]
    public var failureCode: FailureCode?
    public var failureDetail: String?
    /// The text tried to instruct the model (flagged by the model or by the engine's own patterns).
    public var injectionSuspected: Bool
    /// The id of the document whose result this one reuses (same tenant and content).
    public var reusedFrom: String?
    /// The rules parser's confidence in its reading (nil from the LLM, which takes the job's when the rules
    /// read the text first).
    public var confidence: ParseConfidence? = nil

    /// The parser's part of the document's record; `encodeResume` turns the resume into JSON bytes.
    public func recordPart(encodeResume: (JSONResume) -> [UInt8]?) -> DocumentRecord.Parse {
        DocumentRecord.Parse(
            succeeded: status == .parsed, resumeJSON: status == .parsed ? resume.flatMap(encodeResume) : nil,
            provider: provider, model: model, promptTokens: promptTokens, completionTokens: completionTokens,
            cachedTokens: cachedTokens, costUSD: costUSD, warnings: warnings, errorCode: failureCode?.rawValue,
            errorDetail: failureDetail,
            confidence: (confidence ?? job.confidence).map {
                DocumentRecord.Confidence(core: $0.core, weak: $0.weak, fieldsJSON: $0.fieldsJSON)
            })
    }
}

/// The stage after the parser, as the parser sees it.
public protocol ParsedDocumentConsumer: AnyObject, Sendable {
    /// Returns once the consumer can take another document.
    @LoopActor func waitForRoom() async
    /// Takes a parsed or failed document.
    @LoopActor func accept(_ document: ParsedDocument) async
}

/// A parser stage (LLM batcher or rules), as the stage before it sees it.
public protocol ParsingStage: AnyObject, Sendable {
    /// Returns once the stage can take another job.
    @LoopActor func waitForRoom() async
    /// Takes a job; its result goes to the stage's consumer.
    @LoopActor func submit(_ job: ParseJob)
    /// Waits until every submitted job has been handed on (or is waiting on an unavailable endpoint, for
    /// at most `timeoutMilliseconds`).
    @LoopActor func drain(timeoutMilliseconds: UInt64) async
    /// Releases what the stage holds (timers, connections); after ``drain(timeoutMilliseconds:)``.
    @LoopActor func close()
    /// How it goes, for `/startup-status`: healthy or not, and counts in words.
    @LoopActor var summary: (healthy: Bool, detail: String) { get }
    /// Its counts, for `/metrics`.
    @LoopActor var counts: ParserCounts { get }
}

/// What a parser stage has done so far (monotonic counts, except the levels `waiting`, `inFlight`,
/// `requestsInFlight` and the concurrency), for `/metrics`.
public struct ParserCounts: Sendable, Equatable {
    public var parsed = 0
    public var failed = 0
    /// Documents whose result was reused within the run (same tenant and content).
    public var reused = 0
    /// Documents the rules parser read first and handed to the LLM because the reading was weak
    /// (`LLM_WHEN_UNSURE`).
    public var unsure = 0
    /// Documents the stage holds now (in flight included).
    public var waiting = 0
    /// Of ``waiting``, the documents being parsed now: in LLM requests (or Batch API batches) in flight, or on
    /// the rules parser's threads.
    public var inFlight = 0
    /// LLM requests and their outcomes (0 for the rules parser).
    public var requests = 0
    public var rateLimited = 0
    public var serverErrors = 0
    public var transportErrors = 0
    /// Chat Completions requests by how they ended.
    public var responses: [LLMResponseStatus: Int] = [:]
    /// Chat Completions requests in flight now; the AIMD limit on them and the batcher's target for them
    /// (what the rate limits allow at the measured latency).
    public var requestsInFlight = 0
    public var concurrencyLimit = 0
    public var concurrencyTarget = 0
    public var promptTokens = 0
    public var completionTokens = 0
    public var cachedTokens = 0
    /// The tokens above at `LLM_PRICE_*`, in USD.
    public var costUSD = 0.0

    public init() {}
}

/// Phrases that try to instruct a model from inside a document ("ignore previous instructions…").
enum InjectionPatterns {
    private static let phrases = [
        "ignore previous instructions", "ignore all previous instructions", "ignore the above",
        "ignore all prior instructions", "ignore prior instructions", "disregard previous instructions",
        "disregard all previous", "disregard the above", "forget your instructions", "new instructions:",
        "system prompt", "you are now", "as an ai language model", "rate this candidate as",
        "this candidate is the best", "give this resume the highest",
    ]

    private static let phraseBytes = phrases.map { Array($0.utf8) }

    /// Whether `text` holds one of the phrases (ASCII case ignored). Bytes, not Foundation's string search:
    /// this runs on the loop for every document.
    static func suspicious(_ text: String) -> Bool {
        // The first 64 KiB: where instructions aimed at a parser sit, and bounded work on the loop.
        var bytes = Array(text.utf8.prefix(64 << 10))
        for i in bytes.indices where bytes[i] >= 0x41 && bytes[i] <= 0x5A { bytes[i] |= 0x20 }
        return bytes.withUnsafeBufferPointer { hay in
            phraseBytes.contains { needle in contains(hay, needle) }
        }
    }

    private static func contains(_ hay: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        let n = needle.count
        guard n > 0, hay.count >= n else { return false }
        let first = needle[0]
        var i = 0
        while i <= hay.count - n {
            if hay[i] == first {
                var j = 1
                while j < n && hay[i + j] == needle[j] { j += 1 }
                if j == n { return true }
            }
            i += 1
        }
        return false
    }

}
