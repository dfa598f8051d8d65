import Sink

/// Why the dispatcher could not do what was asked (enqueue, replay, list).
///
/// Compare against the static constants; ``code`` is stable, and each maps to one HTTP status for the API:
/// `invalid_request` 422, `unknown_tenant` 404, `database` and `closed` 503.
public struct WebhookError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Base: String, Sendable, Equatable {
        case invalidRequest = "invalid_request"
        case unknownTenant = "unknown_tenant"
        case database
        case closed
    }

    private let base: Base

    /// What is wrong, naming the argument or the database's error.
    public let message: String

    /// The stable snake_case identifier.
    public var code: String { base.rawValue }
    public var description: String { "\(code): \(message)" }

    private init(_ base: Base, _ message: String) {
        self.base = base
        self.message = message
    }

    /// Equal when the kinds are equal; the message is ignored.
    public static func == (lhs: WebhookError, rhs: WebhookError) -> Bool { lhs.base == rhs.base }

    /// An argument is malformed: the tenant or batch id is not a UUID, the event type is empty, the data is not a
    /// JSON object.
    public static let invalidRequest = WebhookError(.invalidRequest, "invalid request")
    /// No tenant has that id.
    public static let unknownTenant = WebhookError(.unknownTenant, "unknown tenant")
    /// PostgreSQL failed (down, or refused a statement): nothing was stored.
    public static let database = WebhookError(.database, "database error")
    /// The dispatcher was closed.
    public static let closed = WebhookError(.closed, "the webhook dispatcher is closed")

    static func invalidRequest(_ message: String) -> WebhookError { WebhookError(.invalidRequest, message) }
    static func database(_ error: PGError) -> WebhookError { WebhookError(.database, error.description) }
}
