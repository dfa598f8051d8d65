import Foundation

extension StandardWebhook {
    /// A tenant's webhook signing secret as the Standard Webhooks spec writes it: `whsec_` and the base64 of the
    /// key. The HMAC key is the decoded bytes, not the text: a receiver using a Standard Webhooks library decodes
    /// the same way from the same string. Nested here so as not to collide with Ingest's `WebhookSecret`, which
    /// makes the same text for `resume-ingest tenant`.
    public struct Secret: Sendable, Equatable {
        public static let prefix = "whsec_"

        /// The HMAC-SHA256 key.
        public let key: [UInt8]

        /// Reads `whsec_<base64>`; nil when the prefix is missing, the rest is not base64, or the key is shorter
        /// than 16 bytes (the spec asks for 24 to 64 random bytes; 16 still keeps a guess out of reach).
        public init?(_ text: String) {
            guard text.hasPrefix(Self.prefix),
                  let data = Data(base64Encoded: String(text.dropFirst(Self.prefix.count))), data.count >= 16
            else { return nil }
            key = Array(data)
        }

        public init(key: [UInt8]) { self.key = key }

        /// The text stored in `tenants.webhook_secret` and shown to the tenant.
        public var text: String { Self.prefix + Data(key).base64EncodedString() }

        /// A new secret: 24 bytes from the system's random generator.
        public static func generate() -> Secret {
            var rng = SystemRandomNumberGenerator()
            return Secret(key: (0..<24).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
    }
}
