import Crypto
import Foundation

/// Standard Webhooks v1 (standardwebhooks.com): how a message is signed and checked.
///
/// The signed content is `"<webhook-id>.<webhook-timestamp>.<body>"`; `webhook-signature` carries
/// `v1,<base64 HMAC-SHA256 of it>` (several, space-separated, while a receiver rotates secrets). The timestamp is
/// the attempt's, so a receiver can refuse replays older than its tolerance; the id is the message's, the same on
/// every attempt, so a receiver can drop duplicates.
public enum StandardWebhook {
    /// The three header fields of one attempt, in the order sent.
    public static func headers(id: String, timestamp: Int, body: [UInt8], secret: Secret) -> [(String, String)] {
        [("webhook-id", id), ("webhook-timestamp", String(timestamp)),
         ("webhook-signature", signature(id: id, timestamp: timestamp, body: body, secret: secret))]
    }

    /// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
    public static func signature(id: String, timestamp: Int, body: [UInt8], secret: Secret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: signedContent(id: id, timestamp: timestamp, body: body),
                                                  using: SymmetricKey(data: secret.key))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// Checks a received message: a `v1` signature in `signatureHeader` matches (compared in constant time), and
    /// `timestamp` is within `toleranceSeconds` of `now` (unix seconds) either way.
    public static func verify(id: String, timestamp: String, signatureHeader: String, body: [UInt8],
                              secret: Secret, now: Int, toleranceSeconds: Int = 300)
        throws(WebhookSignatureError)
    {
        guard let seconds = Int(timestamp) else { throw .malformedTimestamp }
        guard abs(now - seconds) <= toleranceSeconds else { throw .timestampOutOfTolerance }
        let content = signedContent(id: id, timestamp: seconds, body: body)
        let key = SymmetricKey(data: secret.key)
        for candidate in signatureHeader.split(separator: " ") {
            let parts = candidate.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1", let mac = Data(base64Encoded: String(parts[1])) else { continue }
            if HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: content, using: key) { return }
        }
        throw .noMatchingSignature
    }

    /// ``verify(id:timestamp:signatureHeader:body:secret:now:toleranceSeconds:)`` with the three fields looked up
    /// (case-insensitively) in `headers`.
    public static func verify(headers: [(String, String)], body: [UInt8], secret: Secret, now: Int,
                              toleranceSeconds: Int = 300) throws(WebhookSignatureError) {
        func field(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
        guard let id = field("webhook-id"), let timestamp = field("webhook-timestamp"),
              let signature = field("webhook-signature")
        else { throw .missingHeaders }
        try verify(id: id, timestamp: timestamp, signatureHeader: signature, body: body, secret: secret, now: now,
                   toleranceSeconds: toleranceSeconds)
    }

    private static func signedContent(id: String, timestamp: Int, body: [UInt8]) -> [UInt8] {
        Array("\(id).\(timestamp).".utf8) + body
    }
}
