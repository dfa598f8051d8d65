import Foundation

/// The error object of an OpenAI-compatible answer: `{"error": {"message", "type", "param", "code"}}`.
///
/// `type`, `param` and `code` are often `null`; a number (some compatible servers put the HTTP status in
/// `code`) is kept as its decimal text. vLLM's flat form, `{"object": "error", "message", "type", "code"}`, is
/// read too. What the batcher needs from the message (which limit, the numbers of a rate-limit or context
/// error) is parsed lazily by ``rateLimitKind``, ``rateLimit`` and ``contextOverflow``.
public struct OpenAIError: Sendable, Hashable {
    /// The human-readable message; rate-limit and context-length details live only here.
    public var message: String
    /// `tokens`, `requests`, `invalid_request_error`, `server_error`, `insufficient_quota`, …
    public var type: String?
    /// The request parameter at fault (`messages`, …).
    public var param: String?
    /// `rate_limit_exceeded`, `context_length_exceeded`, `invalid_api_key`, …
    public var code: String?

    public init(message: String, type: String? = nil, param: String? = nil, code: String? = nil) {
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    /// The error in a response body, or `nil` when the body is not JSON of that shape.
    public static func parse(_ body: [UInt8]) -> OpenAIError? {
        guard let root = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        let object: [String: Any]
        if let nested = root["error"] as? [String: Any] {
            object = nested
        } else if root["object"] as? String == "error" {
            object = root
        } else {
            return nil
        }
        guard let message = object["message"] as? String else { return nil }
        func text(_ key: String) -> String? {
            switch object[key] {
            case let string as String: string
            case let number as Int: String(number)
            default: nil
            }
        }
        return OpenAIError(message: message, type: text("type"), param: text("param"), code: text("code"))
    }

    /// The bucket a `429` ran out of, from `type` or the message; `nil` when neither names one.
    public var rateLimitKind: RateLimitKind? { RateLimitKind(type: type, message: message) }

    /// The numbers of a rate-limit message; `nil` when the message has none of them.
    public var rateLimit: RateLimitDetails? { RateLimitDetails.parse(message: message) }

    /// The token counts of a context-length error; `nil` when the message does not give the window and the
    /// request's size (the batcher then compacts by a fixed factor instead).
    public var contextOverflow: ContextOverflow? { ContextOverflow.parse(message: message) }

    /// The account is out of credit (`429` `insufficient_quota`): waiting for the minute to pass does not help.
    public var isInsufficientQuota: Bool { type == "insufficient_quota" || code == "insufficient_quota" }
}

/// Which per-minute (or per-day) limit a `429` is about.
public enum RateLimitKind: String, Sendable, Hashable {
    /// Requests per minute (RPM) or per day (RPD).
    case requests
    /// Tokens per minute (TPM) or per day (TPD).
    case tokens

    /// From the error's `type` (`"tokens"`, `"requests"`), else the message's "(TPM)"/"(RPM)" (also per day, and
    /// the spelled-out "tokens per min"/"requests per min"); `nil` when neither says.
    public init?(type: String?, message: String) {
        if let type, let kind = RateLimitKind(rawValue: type) {
            self = kind
            return
        }
        let lower = message.lowercased()
        if ["(tpm)", "(tpd)", "tokens per min", "tokens per day"].contains(where: lower.contains) {
            self = .tokens
        } else if ["(rpm)", "(rpd)", "requests per min", "requests per day"].contains(where: lower.contains) {
            self = .requests
        } else {
            return nil
        }
    }
}

/// The numbers in a rate-limit message: "… on tokens per min (TPM): Limit 30000, Used 29892, Requested 1043.
/// Please try again in 1.87s. …", or "Request too large for … (TPM): Limit 30000, Requested 30601. …".
/// Each part the message lacks is `nil`.
public struct RateLimitDetails: Sendable, Hashable {
    /// Which limit ("(TPM)", "(RPM)", …).
    public var kind: RateLimitKind?
    /// "Limit N".
    public var limit: Int?
    /// "Used N".
    public var used: Int?
    /// "Requested N".
    public var requested: Int?
    /// "try again in 1.87s" (or "retry after 20 seconds"), in nanoseconds.
    public var retryIn: UInt64?
    /// "Request too large": the request alone exceeds the limit, so waiting cannot help.
    public var requestTooLarge: Bool

    public init(kind: RateLimitKind? = nil, limit: Int? = nil, used: Int? = nil, requested: Int? = nil,
                retryIn: UInt64? = nil, requestTooLarge: Bool = false) {
        self.kind = kind
        self.limit = limit
        self.used = used
        self.requested = requested
        self.retryIn = retryIn
        self.requestTooLarge = requestTooLarge
    }

    /// The details of `message`, or `nil` when it holds none of them.
    public static func parse(message: String) -> RateLimitDetails? {
        let text = MessageText(message)
        var details = RateLimitDetails(kind: RateLimitKind(type: nil, message: message))
        details.limit = text.number(after: "limit ")
        details.used = text.number(after: "used ")
        details.requested = text.number(after: "requested ")
        details.retryIn = text.word(after: "try again in ").flatMap(RateLimitHeaders.parseDuration)
            ?? text.number(after: "retry after ").map { UInt64($0) * 1_000_000_000 }
        details.requestTooLarge = text.contains("request too large")
        let found = details.limit != nil || details.used != nil || details.requested != nil || details.retryIn != nil
        return found ? details : nil
    }
}

/// The counts in a `context_length_exceeded` message, for recomputing the budget:
/// - "This model's maximum context length is 128000 tokens. However, you requested 130500 tokens (125500 in the
///   messages, 5000 in the completion). Please reduce the length of the messages or completion."
/// - "… However, your messages resulted in 130000 tokens. Please reduce the length of the messages." (no
///   completion part; `requested` and `promptTokens` are both the messages' count)
/// - vLLM's "… maximum context length is 8192 tokens and your request has 4000 input tokens …" with
///   "'max_tokens' is too large: 5000".
/// A breakdown naming "functions" or "tools" counts them in the prompt.
public struct ContextOverflow: Sendable, Hashable {
    /// The model's context window in tokens.
    public var contextWindow: Int
    /// Tokens the request asked for in all (prompt + completion budget).
    public var requested: Int
    /// Tokens of the prompt (messages, functions, tools), when the message says.
    public var promptTokens: Int?
    /// The completion budget (`max_tokens`), when the message says.
    public var completionTokens: Int?

    public init(contextWindow: Int, requested: Int, promptTokens: Int? = nil, completionTokens: Int? = nil) {
        self.contextWindow = contextWindow
        self.requested = requested
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    /// The counts in `message`, or `nil` when it does not give both the window and the request's size.
    public static func parse(message: String) -> ContextOverflow? {
        let text = MessageText(message)
        guard let window = text.number(after: "maximum context length is ") ?? text.number(after: "context window of ")
        else { return nil }
        var prompt: Int?
        var completion: Int?
        var requested: Int?
        if let (count, rest) = text.number(afterReturningRest: "you requested ") {
            requested = count
            if rest.starts(with: " tokens in the messages".unicodeScalars) { prompt = count }
        } else if let count = text.number(after: "your messages resulted in ") {
            requested = count
            prompt = count
        } else if let count = text.number(after: "your request has ") {
            prompt = count
            completion = text.number(after: "max_tokens' is too large: ")
                ?? text.number(after: "max_tokens is too large: ")
            requested = count + (completion ?? 0)
        }
        guard let requested else { return nil }
        if let breakdown = text.breakdown() {
            let promptParts = ["messages", "functions", "tools", "prompt", "input"].compactMap { breakdown[$0] }
            if !promptParts.isEmpty { prompt = promptParts.reduce(0, +) }
            completion = breakdown["completion"] ?? breakdown["output"] ?? completion
        }
        return ContextOverflow(contextWindow: window, requested: requested, promptTokens: prompt,
                               completionTokens: completion)
    }
}

/// A lower-cased message and the few scans the parsers above need.
private struct MessageText {
    let scalars: [Unicode.Scalar]

    init(_ message: String) { scalars = Array(message.lowercased().unicodeScalars) }

    func contains(_ phrase: String) -> Bool { ends(of: phrase).first != nil }

    /// The indices just past each occurrence of `phrase`, first to last.
    func ends(of phrase: String) -> [Int] {
        let needle = Array(phrase.unicodeScalars)
        guard !needle.isEmpty, needle.count <= scalars.count else { return [] }
        return (0...(scalars.count - needle.count))
            .filter { scalars[$0..<$0 + needle.count].elementsEqual(needle) }
            .map { $0 + needle.count }
    }

    func number(after phrase: String) -> Int? { number(afterReturningRest: phrase)?.0 }

    /// The count right after the first occurrence of `phrase` that a number follows ("30000", also "30,000"),
    /// and the text after it.
    func number(afterReturningRest phrase: String) -> (Int, ArraySlice<Unicode.Scalar>)? {
        for end in ends(of: phrase) {
            if let found = Self.count(scalars[end...]) { return found }
        }
        return nil
    }

    /// The run of non-space characters after `phrase`, without a sentence's final period ("1.87s." → "1.87s").
    func word(after phrase: String) -> String? {
        guard let start = ends(of: phrase).first else { return nil }
        var word = scalars[start...].prefix { !$0.properties.isWhitespace && $0 != "," && $0 != ")" }
        while word.last == "." { word.removeLast() }
        return word.isEmpty ? nil : String(String.UnicodeScalarView(word))
    }

    /// The "(N in the messages, M in the completion)" breakdown, by part name.
    func breakdown() -> [String: Int]? {
        guard let open = scalars.firstIndex(of: "("), let close = scalars[open...].firstIndex(of: ")") else {
            return nil
        }
        var parts: [String: Int] = [:]
        for piece in scalars[(open + 1)..<close].split(separator: ",") {
            let words = String(String.UnicodeScalarView(piece)).split(separator: " ")
            guard words.count >= 3, let count = Int(words[0]), words[1] == "in" else { continue }
            parts[String(words.last!)] = count
        }
        return parts.isEmpty ? nil : parts
    }

    /// A whole number at the start of `text`, digit groups separated by commas allowed ("30,000" but not the
    /// "30000, Used" list separator), and the text after it.
    private static func count(_ text: ArraySlice<Unicode.Scalar>) -> (Int, ArraySlice<Unicode.Scalar>)? {
        var index = text.startIndex
        var value = 0
        var digits = 0
        func isDigit(_ i: Int) -> Bool { i < text.endIndex && ("0"..."9").contains(text[i]) }
        while true {
            while isDigit(index) {
                let (times, overflowA) = value.multipliedReportingOverflow(by: 10)
                let (plus, overflowB) = times.addingReportingOverflow(Int(text[index].value - 48))
                guard !overflowA, !overflowB else { return nil }
                value = plus
                digits += 1
                index += 1
            }
            // A comma continues the number only before exactly three digits.
            guard digits > 0, index < text.endIndex, text[index] == ",",
                  isDigit(index + 1), isDigit(index + 2), isDigit(index + 3), !isDigit(index + 4)
            else { break }
            index += 1
        }
        return digits > 0 ? (value, text[index...]) : nil
    }
}
