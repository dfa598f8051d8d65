/// Why a received webhook does not verify (``StandardWebhook/verify(headers:body:secret:now:toleranceSeconds:)``).
///
/// Compare against the static constants; ``code`` is stable.
public struct WebhookSignatureError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Base: String, Sendable, Equatable {
        case missingHeaders = "missing_headers"
        case malformedTimestamp = "malformed_timestamp"
        case timestampOutOfTolerance = "timestamp_out_of_tolerance"
        case noMatchingSignature = "no_matching_signature"
    }

    private let base: Base

    /// The stable snake_case identifier, e.g. `"no_matching_signature"`.
    public var code: String { base.rawValue }
    public var description: String { code }

    /// `webhook-id`, `webhook-timestamp` or `webhook-signature` is missing.
    public static let missingHeaders = WebhookSignatureError(base: .missingHeaders)
    /// `webhook-timestamp` is not whole unix seconds.
    public static let malformedTimestamp = WebhookSignatureError(base: .malformedTimestamp)
    /// The timestamp is too far from the receiver's clock: a replay, or a clock that is off.
    public static let timestampOutOfTolerance = WebhookSignatureError(base: .timestampOutOfTolerance)
    /// No `v1` signature matches the body under the secret.
    public static let noMatchingSignature = WebhookSignatureError(base: .noMatchingSignature)
}
