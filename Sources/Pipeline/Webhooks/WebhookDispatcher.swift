import Foundation
import LLMBatcher
import Logging
import Loop
import Sink

/// Counts since start, for `/metrics` and tests.
public struct WebhookCounters: Sendable, Equatable {
    /// Messages stored.
    public var enqueued = 0
    /// Requests sent (answered or not).
    public var requests = 0
    public var delivered = 0
    /// Attempts that failed and were scheduled again.
    public var retried = 0
    /// Deliveries given up (the schedule ran out, or refused).
    public var failed = 0
    /// Refused before any request (URL or address).
    public var refused = 0
    /// Deliveries recorded `disabled` (410 now, or the endpoint's earlier).
    public var disabled = 0
}

/// Standard Webhooks v1 delivery: messages stored durably in PostgreSQL, sent by a timer loop on the engine's
/// loop, signed with the tenant's secret, retried on a schedule, logged, and replayable.
///
/// - ``enqueue(tenantID:batchID:url:eventType:data:)`` stores the message and its queue entry in one transaction
///   and returns its id: from then on a restart, or any other engine on the database, delivers it.
/// - The loop claims due entries across tenants (`FOR UPDATE SKIP LOCKED`, with a lease, so N engines share the
///   work and an engine that dies mid-attempt leaves nothing stuck), reads each delivery with its tenant set, and
///   sends it: the URL and every address its host resolves to are checked (``OutboundAddressPolicy``) and the
///   request pinned to them (`CURLOPT_RESOLVE`), so DNS cannot answer differently the second time; redirects are
///   not followed. What each answer means is ``WebhookAttemptPolicy``'s.
/// - The dispatcher owns its `HTTPClient`: libcurl keeps pinned addresses in its multi handle's DNS cache,
///   which therefore must not be the LLM client's.
///
/// Delivery is at least once: a receiver drops duplicates by `webhook-id`.
@LoopActor
public final class WebhookDispatcher {
    public let configuration: WebhookConfiguration
    public private(set) var counters = WebhookCounters()
    private let store: WebhookStore
    private let tenants: TenantDirectory
    private let http: HTTPClient
    private let policy: OutboundAddressPolicy
    private let clock: any EngineClock
    private let random: @Sendable () -> Double
    private let logger: Logger
    /// How a host name becomes addresses (tests put names of their own here).
    var resolver: @LoopActor (String, Int) async throws(UVError) -> [IPAddress] = { host, port throws(UVError) in
        try await HostResolver.resolve(host, port: port)
    }

    private var timer: UVTimer?
    /// The loop's nap in progress, if any; `woken` notes a wake-up that came while it was not napping.
    private var napping: CheckedContinuation<Void, Never>?
    private var woken = false
    private var loop: Task<Void, Never>?
    /// Attempts in flight, by claim token.
    private var inFlight: [String: Task<Void, Never>] = [:]
    private var closed = false
    /// Claims failed in a row (the database down).
    private var claimFailures = 0

    /// `pool` is shared and stays the caller's (closed after this dispatcher). `clock` stamps messages and drives
    /// the schedule; `random` (uniform in `0..<1`) draws the retry jitter.
    public init(pool: SidePool, configuration: WebhookConfiguration = WebhookConfiguration(), logger: Logger,
                clock: any EngineClock = SystemClock.shared,
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.configuration = configuration
        store = WebhookStore(pool: pool)
        tenants = TenantDirectory(pool: pool)
        // As many connections to one host as attempts in flight: a transfer queued behind others for a
        // connection would spend its time limit waiting.
        http = HTTPClient(maxConnectionsPerHost: configuration.concurrency)
        policy = OutboundAddressPolicy(allowPrivate: configuration.allowPrivate)
        self.clock = clock
        self.random = random
        self.logger = logger
    }

    /// Attempts in flight now.
    public var attemptsInFlight: Int { inFlight.count }

    /// The largest `data` a message carries: an event says what happened and where to read more, it does not
    /// carry the results.
    public static let maxDataBytes = 256 << 10

    /// Checks a callback URL as given (scheme, host, port; an address literal against the policy) without
    /// resolving it, for the API to refuse a bad `callback_url` up front. Every attempt checks again, resolving.
    public func checkCallbackURL(_ text: String) throws(WebhookRefusal) {
        let url = try WebhookURL.parse(text)
        if let literal = url.literal { try policy.check(literal, host: url.host) }
    }

    // MARK: The API

    /// Stores a message for `url` and returns its id (`msg_…`); the loop sends it as soon as it is running.
    ///
    /// The body is `{"type":<eventType>,"timestamp":<now, RFC 3339>,"data":<data>}`, stored as the exact bytes
    /// signed. `data` must be a JSON object. A message for an endpoint that answered 410 before is stored
    /// `disabled` and never sent. Which endpoint: the batch's callback when `url` is it, else the tenant's webhook
    /// when `url` is that.
    public func enqueue(tenantID: String, batchID: String?, url: String, eventType: String, data: [UInt8])
        async throws(WebhookError) -> String
    {
        guard !closed else { throw .closed }
        guard DocumentID(tenantID) != nil else { throw .invalidRequest("tenant id \(tenantID) is not a UUID") }
        if let batchID, DocumentID(batchID) == nil { throw .invalidRequest("batch id \(batchID) is not a UUID") }
        guard !eventType.isEmpty, eventType.utf8.count <= 200 else {
            throw .invalidRequest("the event type is empty or too long")
        }
        guard data.count <= Self.maxDataBytes else {
            throw .invalidRequest("the event's data is over \(Self.maxDataBytes) bytes")
        }
        guard (try? JSONSerialization.jsonObject(with: Data(data))) is [String: Any] else {
            throw .invalidRequest("the event's data is not a JSON object")
        }
        let now = clock.unixMilliseconds()
        var body = JSONText.Object()
        body.string("type", eventType)
        body.string("timestamp", Timestamp.rfc3339(unixMilliseconds: now))
        body.raw("data", data)
        let id = Self.newMessageID()
        let status: WebhookDeliveryStatus?
        do throws(PGError) {
            status = try await store.insert(id: id, tenantID: tenantID, batchID: batchID, url: url,
                                            eventType: eventType, payload: body.finished(), now: now)
        } catch {
            throw .database(error)
        }
        guard let status else { throw .unknownTenant }
        counters.enqueued += 1
        if status == .disabled {
            counters.disabled += 1
            logger.info("webhook not sent: endpoint disabled", metadata: ["id": "\(id)", "tenant": "\(tenantID)"])
        } else {
            wake()
        }
        return id
    }

    /// Queues delivery `deliveryID` of `tenantID` for an attempt now: the same message id and body, a new
    /// timestamp and signature, a new retry series. Another tenant's id is `.notFound`.
    public func replay(tenantID: String, deliveryID: String) async throws(WebhookError) -> WebhookReplay {
        guard !closed else { throw .closed }
        guard DocumentID(tenantID) != nil else { throw .invalidRequest("tenant id \(tenantID) is not a UUID") }
        let outcome: WebhookReplay
        do throws(PGError) {
            outcome = try await store.replay(tenantID: tenantID, id: deliveryID, now: clock.unixMilliseconds())
        } catch {
            throw .database(error)
        }
        if outcome == .queued { wake() }
        return outcome
    }

    /// The delivery log of `tenantID`, newest first: up to `limit` (1...500) deliveries after the cursor `after`
    /// (a page's ``WebhookDeliveryPage/next``; nil for the first page).
    public func deliveries(tenantID: String, limit: Int = 50, after: String? = nil)
        async throws(WebhookError) -> WebhookDeliveryPage
    {
        guard DocumentID(tenantID) != nil else { throw .invalidRequest("tenant id \(tenantID) is not a UUID") }
        guard (1...500).contains(limit) else { throw .invalidRequest("limit \(limit) is not in 1...500") }
        do throws(PGError) {
            return try await store.list(tenantID: tenantID, limit: limit, after: after)
        } catch {
            throw .database(error)
        }
    }

    /// Delivery `deliveryID` of `tenantID` (its payload included), or nil.
    public func delivery(tenantID: String, deliveryID: String) async throws(WebhookError) -> WebhookDelivery? {
        guard DocumentID(tenantID) != nil else { throw .invalidRequest("tenant id \(tenantID) is not a UUID") }
        do throws(PGError) {
            return try await store.delivery(tenantID: tenantID, id: deliveryID)
        } catch {
            throw .database(error)
        }
    }

    // MARK: The loop

    /// Starts the loop that claims and sends due deliveries (those left by an earlier run included).
    public func start() {
        guard !closed, loop == nil else { return }
        timer = UVTimer()
        loop = EventLoop.spawn { [self] in await run() }
    }

    /// Looks at the queue now rather than at the next poll.
    public func wake() {
        if napping == nil { woken = true }
        endNap()
    }

    /// Stops the loop and waits for it: attempts in flight are cut off and handed back to the queue (due now, for
    /// whichever engine runs next), the HTTP client and the timer are closed. The pool stays open.
    public func close() async {
        guard !closed else { return }
        closed = true
        wake()
        await loop?.value
        loop = nil
        http.close()
        while let attempt = inFlight.first?.value {
            await attempt.value
        }
        timer?.close()
        timer = nil
    }

    private func run() async {
        while !closed {
            let room = configuration.concurrency - inFlight.count
            var more = false
            if room > 0 {
                let now = clock.unixMilliseconds()
                do throws(PGError) {
                    let due = try await store.claim(now: now, leaseUntil: now + Int64(configuration.leaseMilliseconds),
                                                    limit: room)
                    for claim in due {
                        if closed {
                            try? await store.release(claim, at: now)
                        } else {
                            launch(claim)
                        }
                    }
                    more = due.count == room
                    if claimFailures > 0 {
                        logger.info("claiming due webhooks again", metadata: ["failures": "\(claimFailures)"])
                        claimFailures = 0
                    }
                } catch {
                    // Once per outage, not once per poll.
                    if claimFailures == 0 {
                        logger.warning("could not claim due webhooks", metadata: ["error": "\(error)"])
                    }
                    claimFailures += 1
                }
            }
            if !more { await nap() }
        }
    }

    /// Waits for the poll interval, or less when woken.
    ///
    /// The check for an earlier wake-up and the registration of the nap happen in one step, inside the
    /// continuation's body: calling into another loop-isolated async function can suspend before its body runs (an
    /// executor hop), and a `wake()` landing in that gap would otherwise cancel the timer of a nap not yet waiting.
    private func nap() async {
        await withCheckedContinuation(isolation: LoopActor.shared) { continuation in
            if woken || closed {
                woken = false
                continuation.resume()
                return
            }
            napping = continuation
            timer?.schedule(after: UInt64(configuration.pollMilliseconds)) { [weak self] in self?.endNap() }
        }
    }

    private func endNap() {
        guard let continuation = napping else { return }
        napping = nil
        timer?.cancel()
        continuation.resume()
    }

    private func launch(_ claim: WebhookStore.Claim) {
        inFlight[claim.token] = EventLoop.spawn { [self] in await attemptAndFree(claim) }
    }

    private func attemptAndFree(_ claim: WebhookStore.Claim) async {
        await attempt(claim)
        inFlight[claim.token] = nil
        wake()
    }

    // MARK: One attempt

    private func attempt(_ claim: WebhookStore.Claim) async {
        let startedAt = clock.unixMilliseconds()
        do throws(PGError) {
            guard let due = try await store.load(claim), due.status == .pending else {
                try await store.drop(claim)
                return
            }
            let result: WebhookAttemptResult
            if due.endpointDisabled {
                result = .endpointDisabled
            } else {
                guard let sent = try await send(due) else {
                    // Cut off by close(): not an attempt. Due again now, for the next engine.
                    try await store.release(claim, at: clock.unixMilliseconds())
                    return
                }
                result = sent
            }
            let now = clock.unixMilliseconds()
            let decision = WebhookAttemptPolicy.decide(result, schedule: configuration.schedule,
                                                       seriesAttempt: due.seriesAttempts + 1,
                                                       seriesStartedAt: due.seriesStartedAt ?? startedAt, now: now,
                                                       random: random())
            let written = try await store.record(claim, due: due, decision: decision, attemptedAt: startedAt, now: now)
            note(decision, result: result, due: due, written: written)
        } catch {
            logger.warning("webhook attempt not recorded; it is tried again when its claim runs out",
                           metadata: ["id": "\(claim.deliveryID)", "error": "\(error)"])
        }
    }

    /// Checks, signs and sends one attempt; nil when close() cut it off.
    private func send(_ due: WebhookStore.Due) async throws(PGError) -> WebhookAttemptResult? {
        let url: WebhookURL
        do throws(WebhookRefusal) {
            url = try WebhookURL.parse(due.url)
        } catch {
            return .refused(error)
        }
        var pins: [String] = []
        do throws(WebhookRefusal) {
            if let literal = url.literal {
                try policy.check(literal, host: url.host)
            } else {
                let addresses: [IPAddress]
                do throws(UVError) {
                    addresses = try await resolver(url.host, url.port)
                } catch {
                    return closed ? nil : .failed("unresolved: \(url.host): \(error.name)")
                }
                for address in addresses { try policy.check(address, host: url.host) }
                pins = ["\(url.host):\(url.port):" + addresses.map(\.bracketed).joined(separator: ",")]
            }
        } catch {
            return .refused(error)
        }
        let text = try await tenants.webhookSecret(tenantID: due.tenantID) { StandardWebhook.Secret.generate().text }
        guard let secret = StandardWebhook.Secret(text) else { return .unusableSecret }
        guard !closed else { return nil }
        let headers = [("Content-Type", "application/json"), ("User-Agent", configuration.userAgent)]
            + StandardWebhook.headers(id: due.id, timestamp: clock.unixSeconds(), body: due.payload, secret: secret)
        let request = HTTPClientRequest(
            method: "POST", url: url.requestURL, headers: headers, body: due.payload,
            timeoutMilliseconds: configuration.timeoutMilliseconds,
            connectTimeoutMilliseconds: min(configuration.timeoutMilliseconds, 10_000),
            maxResponseBytes: configuration.maxResponseBytes, resolve: pins, followRedirects: false)
        counters.requests += 1
        do throws(HTTPClientError) {
            let response = try await http.send(request)
            return .response(status: response.status, location: response.header("location"))
        } catch {
            return closed ? nil : .failed(error.description)
        }
    }

    private func note(_ decision: WebhookAttemptDecision, result: WebhookAttemptResult, due: WebhookStore.Due,
                      written: Bool) {
        let metadata: Logger.Metadata = ["id": "\(due.id)", "tenant": "\(due.tenantID)"]
        guard written else {
            logger.info("webhook attempt's outcome dropped: the delivery was replayed or claimed again meanwhile",
                        metadata: metadata)
            return
        }
        switch decision {
        case .delivered:
            counters.delivered += 1
            logger.debug("webhook delivered", metadata: metadata)
        case .disableEndpoint, .skipDisabled:
            counters.disabled += 1
            logger.info("webhook endpoint disabled (410 Gone)", metadata: metadata)
        case .retry(_, _, let error):
            counters.retried += 1
            logger.debug("webhook attempt failed; retried later",
                         metadata: metadata.merging(["error": "\(error)"]) { a, _ in a })
        case .fail(_, let error):
            counters.failed += 1
            if case .refused = result { counters.refused += 1 }
            logger.warning("webhook failed", metadata: metadata.merging(["error": "\(error)"]) { a, _ in a })
        }
    }

    /// `msg_` and 22 base62 characters (131 random bits).
    nonisolated static func newMessageID() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var rng = SystemRandomNumberGenerator()
        return "msg_" + String((0..<22).map { _ in alphabet[Int.random(in: 0..<62, using: &rng)] })
    }
}
