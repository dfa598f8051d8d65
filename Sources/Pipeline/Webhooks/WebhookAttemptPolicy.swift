/// What one attempt came to, as ``WebhookAttemptPolicy`` reads it.
enum WebhookAttemptResult: Sendable, Equatable {
    /// The endpoint answered (any status).
    case response(status: Int, location: String?)
    /// No answer: connection refused, timeout, a name that did not resolve, TLS, a dropped connection.
    case failed(String)
    /// Refused before any request: the URL or its address (``WebhookRefusal``).
    case refused(WebhookRefusal)
    /// The tenant's secret cannot be read as `whsec_<base64>`.
    case unusableSecret
    /// Not sent: the endpoint answered 410 to an earlier message.
    case endpointDisabled
}

/// What to record after an attempt.
enum WebhookAttemptDecision: Sendable, Equatable {
    /// A 2xx: `delivered`.
    case delivered(status: Int)
    /// 410 Gone: the endpoint is disabled and the delivery `disabled`.
    case disableEndpoint(status: Int)
    /// Not sent, the endpoint being disabled: `disabled`, no attempt counted.
    case skipDisabled
    /// Still `pending`: the next attempt at `at` (unix milliseconds).
    case retry(at: Int64, status: Int?, error: String)
    /// `failed`: refused, or the schedule is over.
    case fail(status: Int?, error: String)
}

/// Every decision after a webhook attempt, in one pure function (the shape of ``FlushPlanner``): which statuses
/// count as delivered, which end the endpoint, which are tried again and when.
///
/// - 2xx: delivered.
/// - 410 Gone: the receiver says the endpoint is gone for good (Standard Webhooks): disable it; later messages
///   for it are recorded `disabled` unsent.
/// - 3xx: a failed attempt, retried. Redirects are never followed: the address check covered the URL given,
///   not wherever a `Location` points.
/// - Any other status, no answer, or a name that did not resolve: retried on the ``WebhookRetrySchedule``.
/// - A refused URL or address, or an unusable secret: failed at once (retrying cannot change it).
enum WebhookAttemptPolicy {
    /// The decision for `result`, this being attempt number `seriesAttempt` (1 for the first) of a series that
    /// started at `seriesStartedAt`; `random` is uniform in `0..<1` (the retry's jitter).
    static func decide(_ result: WebhookAttemptResult, schedule: WebhookRetrySchedule, seriesAttempt: Int,
                       seriesStartedAt: Int64, now: Int64, random: Double) -> WebhookAttemptDecision {
        func retryOrGiveUp(_ status: Int?, _ error: String) -> WebhookAttemptDecision {
            if let at = schedule.nextAttempt(afterFailed: seriesAttempt, seriesStartedAt: seriesStartedAt, now: now,
                                             random: random) {
                return .retry(at: at, status: status, error: error)
            }
            return .fail(status: status, error: error + " (gave up after \(seriesAttempt) attempts)")
        }
        switch result {
        case .endpointDisabled:
            return .skipDisabled
        case .refused(let refusal):
            return .fail(status: nil, error: refusal.description)
        case .unusableSecret:
            return .fail(status: nil, error: "unusable_secret: the tenant's webhook secret is not whsec_<base64>")
        case .response(let status, _) where (200..<300).contains(status):
            return .delivered(status: status)
        case .response(410, _):
            return .disableEndpoint(status: 410)
        case .response(let status, let location) where (300..<400).contains(status):
            let target = location.map { " (Location: \($0.prefix(200)))" } ?? ""
            return retryOrGiveUp(status, "redirect: HTTP \(status) not followed\(target)")
        case .response(let status, _):
            return retryOrGiveUp(status, "status: HTTP \(status)")
        case .failed(let message):
            return retryOrGiveUp(nil, message)
        }
    }
}
