import Crypto
import HTTP1
import Loop

/// What the store knows of an `Idempotency-Key` when a request carrying it arrives.
public enum IdempotencyClaim: Sendable, Equatable {
    /// Unknown (or expired): this request now holds the key.
    case new
    /// The first request with this key is still being answered: `409`.
    case inFlight
    /// Answered before: the request's fingerprint, the answer's status and body.
    case done(fingerprint: [UInt8], status: Int, body: [UInt8])
    /// The store cannot be reached: `503`.
    case unavailable(String)
}

/// Where first answers to `Idempotency-Key` requests are kept (the database), per tenant.
@LoopActor
public protocol IdempotencyStore: AnyObject {
    func claim(tenantID: String, key: String, route: String, hours: Double) async -> IdempotencyClaim
    /// Keeps the first answer (only successful answers are kept: a failed request may be retried as new).
    func finish(tenantID: String, key: String, fingerprint: [UInt8], status: Int, body: [UInt8]) async
    /// Lets the key go (the request failed or the client left): a retry runs as new.
    func abandon(tenantID: String, key: String) async
}

/// One request's `Idempotency-Key` (IETF httpapi draft `Idempotency-Key` header): the upload handler computes
/// the request's fingerprint from what it received (each file's name and SHA-256 in order, not the raw body:
/// clients choose a new multipart boundary on every retry), answers a replay from the stored answer or a
/// different body with `422`, and the answer of a new request is stored once sent.
@LoopActor
public final class IdempotencyContext {
    public let key: String
    let tenantID: String
    let store: any IdempotencyStore
    /// The first answer, when this request repeats a finished one.
    let replay: (fingerprint: [UInt8], status: Int, body: [UInt8])?
    /// This request's fingerprint, once known.
    var fingerprint: [UInt8]?
    private var settled = false

    init(key: String, tenantID: String, store: any IdempotencyStore,
         replay: (fingerprint: [UInt8], status: Int, body: [UInt8])?) {
        self.key = key
        self.tenantID = tenantID
        self.store = store
        self.replay = replay
    }

    /// The fingerprint of `parts` (route, then each part's name and digest or refusal), SHA-256.
    nonisolated static func fingerprint(route: String, parts: [(name: String, digest: String)]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array(route.utf8) + [0])
        for part in parts {
            hasher.update(data: Array(part.name.utf8) + [0] + Array(part.digest.utf8) + [0])
        }
        return Array(hasher.finalize())
    }

    /// The answer for a replay: the stored one when the fingerprints agree, else `422`.
    func replayAnswer(_ replay: (fingerprint: [UInt8], status: Int, body: [UInt8]), mine: [UInt8]) -> HTTPResponse {
        guard replay.fingerprint == mine else {
            return .error(422, code: "idempotency_key_reused",
                          message: "Idempotency-Key \(key) was used with a different request; use a new key for new content")
        }
        return HTTPResponse(status: replay.status, headers: [("Content-Type", "application/json"),
                                                             ("Idempotent-Replayed", "true")], body: replay.body)
    }

    /// Keeps a successful first answer before it is sent, so that a retry sent the moment the client has it
    /// finds it (not "in flight").
    func keepBeforeAnswering(_ response: HTTPResponse) async {
        guard !settled, replay == nil, (200..<300).contains(response.status), let fingerprint else { return }
        settled = true
        await keep(fingerprint, response.status, response.body)
    }

    /// The request was answered: keep a successful first answer, else let the key go.
    func answered(_ response: HTTPResponse) {
        guard !settled, replay == nil else { return }
        settled = true
        if (200..<300).contains(response.status), let fingerprint {
            let (status, body) = (response.status, response.body)
            EventLoop.spawn { [self] in await keep(fingerprint, status, body) }
        } else {
            EventLoop.spawn { [self] in await release() }
        }
    }

    private func keep(_ fingerprint: [UInt8], _ status: Int, _ body: [UInt8]) async {
        await store.finish(tenantID: tenantID, key: key, fingerprint: fingerprint, status: status, body: body)
    }

    private func release() async { await store.abandon(tenantID: tenantID, key: key) }

    /// The client left before an answer: let the key go.
    func abandoned() {
        guard !settled, replay == nil else { return }
        settled = true
        EventLoop.spawn { [self] in await release() }
    }

    /// Valid keys: 1 to 255 visible ASCII characters (a UUID, a hash, a client's counter).
    nonisolated static func valid(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= 255 && key.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}

/// Waits for a batch's results (`?wait=SECONDS` on an upload, for callers of a synchronous endpoint).
@LoopActor
public protocol BatchWaiter: AnyObject {
    /// Waits up to `seconds` for `batch` to complete; its results then (or what is done by the deadline) as a
    /// JSON array, and how many parsed. Nil when they cannot be read.
    func wait(batch: DocumentID, tenant: AuthenticatedTenant, seconds: Double, files: Int) async
        -> (completed: Bool, results: [UInt8], ok: Int)?
}

/// A refusal decided before a handler exists (status, code, message).
package struct HTTPResponseRefusal: Error, Sendable {
    package var status: Int
    package var code: String
    package var message: String

    package init(_ status: Int, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }
}
