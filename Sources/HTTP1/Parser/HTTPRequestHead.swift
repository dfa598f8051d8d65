/// How the body of a request is delimited (RFC 9112 §6.3).
public enum HTTPBodyFraming: Sendable, Equatable {
    /// No body: neither Content-Length nor Transfer-Encoding was sent.
    case none
    /// A body of exactly this many bytes (may be zero).
    case contentLength(Int)
    /// A chunked body, ended by a zero-size chunk and an optional trailer section.
    case chunked
}

/// A parsed and validated request head.
public struct HTTPRequestHead: Sendable, Equatable {
    /// The method as sent (a token; case-sensitive).
    public var method: String
    /// The request-target as sent: origin-form (`/a?b`), absolute-form, `*`, or authority-form. Only the byte
    /// range (`%x21-7E`) is checked; the form is left to the router.
    public var target: String
    /// The major HTTP version (always 1).
    public var versionMajor: Int
    /// The minor HTTP version (0 or 1).
    public var versionMinor: Int
    /// The header fields in the order sent.
    public var headers: HTTPHeaders
    /// How the body is delimited.
    public var framing: HTTPBodyFraming
    /// Whether the connection may carry another request after this one: for HTTP/1.1 unless
    /// `Connection: close`; for HTTP/1.0 only with `Connection: keep-alive` (and without `close`).
    public var keepAlive: Bool
    /// Whether the client sent `Expect: 100-continue` on an HTTP/1.1 request and waits for a `100 Continue`
    /// before sending the body. (RFC 9110 §10.1.1: the expectation is ignored for HTTP/1.0.)
    public var expectsContinue: Bool

    /// Creates a head; the parser is the usual source of heads, tests and adapters may build their own.
    public init(
        method: String,
        target: String,
        versionMajor: Int = 1,
        versionMinor: Int = 1,
        headers: HTTPHeaders = HTTPHeaders(),
        framing: HTTPBodyFraming = .none,
        keepAlive: Bool = true,
        expectsContinue: Bool = false
    ) {
        self.method = method
        self.target = target
        self.versionMajor = versionMajor
        self.versionMinor = versionMinor
        self.headers = headers
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
    }
}
