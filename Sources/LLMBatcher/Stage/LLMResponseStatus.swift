/// How a Chat Completions request ended, in the classes `/metrics` counts (`llm_responses_total{status=…}`),
/// which are the classes ``ReplyPolicy`` acts on.
public enum LLMResponseStatus: String, Sendable, Hashable, CaseIterable {
    /// `200`: an answer (read, then perhaps found invalid).
    case ok
    /// `429`: a rate limit (or an exhausted quota).
    case rateLimited = "429"
    /// Another `4xx`: the request, key, account or model was refused.
    case clientError = "4xx"
    /// A `5xx`, or any other status (retried after a backoff, as a server error is).
    case serverError = "5xx"
    /// No HTTP answer: the connection failed, dropped or timed out.
    case transportError = "transport_error"

    /// The class of an HTTP answer with `status`.
    public init(httpStatus status: Int) {
        switch status {
        case 200: self = .ok
        case 429: self = .rateLimited
        case 400..<500: self = .clientError
        default: self = .serverError
        }
    }
}
