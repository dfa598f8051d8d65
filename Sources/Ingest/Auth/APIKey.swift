import Crypto
import Foundation
import Loop

/// API keys: `ri_` and 43 base64url characters (32 random bytes). Only the SHA-256 of a key is stored; the key
/// itself is shown once, when it is made. A fast hash, not a password hash, is right here: the key carries 256
/// bits of randomness, so there is nothing to guess, and every request pays for the hash.
public enum APIKey {
    public static let prefix = "ri_"

    /// A new key.
    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 {
            var word = rng.next()
            for _ in 0..<8 {
                bytes.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return prefix + Base64URL.encode(bytes)
    }

    /// The SHA-256 of `key`'s UTF-8 bytes.
    public static func hash(_ key: some StringProtocol) -> [UInt8] {
        Array(SHA256.hash(data: Array(key.utf8)))
    }

    /// What lists show of a key: its first 10 characters.
    public static func shown(_ key: String) -> String { String(key.prefix(10)) + "…" }
}

/// Base64url without padding (RFC 4648 §5), from Foundation's base64.
package enum Base64URL {
    package static func encode(_ bytes: [UInt8]) -> String {
        String(Data(bytes).base64EncodedString().compactMap { c -> Character? in
            switch c {
            case "+": "-"
            case "/": "_"
            case "=": nil
            default: c
            }
        })
    }
}

/// Webhook signing secrets in the Standard Webhooks form: `whsec_` and the base64 of 24 random bytes.
public enum WebhookSecret {
    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return "whsec_" + Data(bytes).base64EncodedString()
    }
}
