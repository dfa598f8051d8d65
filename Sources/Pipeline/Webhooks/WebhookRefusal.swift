/// Why a callback is refused before any request: the URL is not one the engine calls, or its host is (or
/// resolves to) an address outside the public internet. Permanent: the delivery fails at once, with the reason
/// as its `last_error`.
///
/// Compare against the static constants; ``code`` is stable.
public struct WebhookRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Base: String, Sendable, Equatable {
        case invalidURL = "invalid_url"
        case forbiddenAddress = "forbidden_address"
    }

    private let base: Base

    /// What is wrong, naming the part of the URL or the address.
    public let message: String

    /// The stable snake_case identifier: `invalid_url` or `forbidden_address`.
    public var code: String { base.rawValue }

    /// `"<code>: <message>"`, what the delivery log keeps.
    public var description: String { "\(code): \(message)" }

    private init(_ base: Base, _ message: String) {
        self.base = base
        self.message = message
    }

    /// Equal when the kinds are equal; the message is ignored.
    public static func == (lhs: WebhookRefusal, rhs: WebhookRefusal) -> Bool { lhs.base == rhs.base }

    /// Not an `http`/`https` URL with a host the engine can call unambiguously.
    public static let invalidURL = WebhookRefusal(.invalidURL, "invalid URL")
    /// The host is, or resolves to, an address that is not public (see ``OutboundAddressPolicy``).
    public static let forbiddenAddress = WebhookRefusal(.forbiddenAddress, "address not allowed")

    static func invalidURL(_ message: String) -> WebhookRefusal { WebhookRefusal(.invalidURL, message) }
    static func forbiddenAddress(_ message: String) -> WebhookRefusal { WebhookRefusal(.forbiddenAddress, message) }
}
