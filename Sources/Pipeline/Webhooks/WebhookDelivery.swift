/// Where a message stands (`webhook_deliveries.status`).
public enum WebhookDeliveryStatus: String, Sendable, Equatable {
    /// Waiting for its first attempt, or for a retry (`nextAttemptAt`).
    case pending
    /// An attempt was answered 2xx.
    case delivered
    /// Given up: the retry schedule ran out, or the URL or its address was refused (`lastError` says which).
    case failed
    /// The endpoint answered 410 Gone (to this message or an earlier one): not sent again.
    case disabled
}

/// One message and its attempts, as the delivery log shows it (`GET /api/v1/webhooks/deliveries`).
public struct WebhookDelivery: Sendable, Equatable {
    /// The Standard Webhooks message id (`msg_…`), the same on every attempt.
    public var id: String
    public var tenantID: String
    public var batchID: String?
    public var url: String
    /// `batch.completed`, …
    public var eventType: String
    /// The exact body signed and sent.
    public var payload: [UInt8]
    public var status: WebhookDeliveryStatus
    /// Attempts made (a refused URL counts one; a message not sent to a disabled endpoint none).
    public var attempts: Int
    /// Unix milliseconds of the next attempt, while `pending`.
    public var nextAttemptAt: Int64?
    public var lastAttemptAt: Int64?
    /// The last answer's HTTP status (nil: none, e.g. a timeout).
    public var lastStatus: Int?
    /// Why the last attempt did not deliver, as `<code>: <detail>`.
    public var lastError: String?
    public var createdAt: Int64
    public var deliveredAt: Int64?
}

/// One page of the delivery log, newest first.
public struct WebhookDeliveryPage: Sendable, Equatable {
    public var deliveries: [WebhookDelivery]
    /// The cursor for the next page (`after:`), nil on the last.
    public var next: String?
}

/// What ``WebhookDispatcher/replay(tenantID:deliveryID:)`` did.
public enum WebhookReplay: Sendable, Equatable {
    /// Queued for an attempt now, under the same message id.
    case queued
    /// No such delivery for this tenant (another tenant's id included).
    case notFound
    /// The endpoint answered 410 Gone and is disabled: nothing queued.
    case endpointDisabled
}
