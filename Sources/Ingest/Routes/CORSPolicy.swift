/// Cross-origin requests from browsers (`CORS_ORIGINS`: a comma-separated list of origins, or `*`), for
/// dashboards served from elsewhere. Only listed origins get `Access-Control-Allow-Origin` (their own origin
/// echoed, with `Vary: Origin`); others get no CORS headers at all, so the browser keeps the answer from the
/// page. Credentials are bearer tokens in a header, never cookies: `Allow-Credentials` is not sent.
struct CORSPolicy: Sendable {
    private let any: Bool
    private let origins: Set<String>

    init(origins: [String]) {
        any = origins.contains("*")
        self.origins = Set(origins.map { $0.lowercased().trimmingSuffix("/") })
    }

    /// The value for `Access-Control-Allow-Origin` when `origin` may call, else nil.
    func allow(_ origin: String) -> String? {
        if any { return "*" }
        return origins.contains(origin.lowercased().trimmingSuffix("/")) ? origin : nil
    }

    static func headers(_ allowed: String) -> [(name: String, value: String)] {
        var h: [(name: String, value: String)] = [
            ("Access-Control-Allow-Origin", allowed),
            ("Access-Control-Expose-Headers", "Next-Cursor, Link, Retry-After, Idempotent-Replayed, WWW-Authenticate"),
        ]
        if allowed != "*" { h.append(("Vary", "Origin")) }
        return h
    }

    /// A preflight's answer (beside ``headers(_:)``).
    static let preflight: [(name: String, value: String)] = [
        ("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"),
        ("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Encoding, Idempotency-Key"),
        ("Access-Control-Max-Age", "600"),
    ]
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
