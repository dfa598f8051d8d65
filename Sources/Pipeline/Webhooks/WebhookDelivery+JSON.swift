import Loop

extension WebhookDelivery {
    /// The delivery as the API shows it: times in RFC 3339, the payload as the JSON it is.
    public func json(includePayload: Bool = true) -> JSONText.Object {
        var o = JSONText.Object()
        o.string("id", id)
        o.string("batch_id", batchID)
        o.string("url", url)
        o.string("event_type", eventType)
        o.string("status", status.rawValue)
        o.int("attempts", attempts)
        o.string("next_attempt_at", nextAttemptAt.map { Timestamp.rfc3339(unixMilliseconds: $0) })
        o.string("last_attempt_at", lastAttemptAt.map { Timestamp.rfc3339(unixMilliseconds: $0) })
        if let lastStatus { o.int("last_status", lastStatus) } else { o.raw("last_status", Array("null".utf8)) }
        o.string("last_error", lastError)
        o.string("created_at", Timestamp.rfc3339(unixMilliseconds: createdAt))
        o.string("delivered_at", deliveredAt.map { Timestamp.rfc3339(unixMilliseconds: $0) })
        if includePayload { o.raw("payload", payload) }
        return o
    }
}
