import Loop

/// What the monthly document limit says about an upload.
public enum QuotaDecision: Sendable, Equatable {
    case granted
    /// Over the limit: documents used this month (without the upload) and the limit.
    case refused(used: Int64, limit: Int64)
    /// The count cannot be read (the database is away): the upload is not taken.
    case unavailable(String)
}

/// Counts documents against each tenant's monthly limit (the pipeline keeps the count in the database, so
/// the limit holds across engines). Reserved before an upload is acknowledged; given back if the spool then
/// fails to take it.
@LoopActor
public protocol UsageMeter: AnyObject {
    func reserve(_ tenant: AuthenticatedTenant, documents: Int) async -> QuotaDecision
    func release(_ tenant: AuthenticatedTenant, documents: Int) async
}

/// The `402` answer for a refused reservation.
public enum QuotaAnswer {
    public static func message(used: Int64, limit: Int64) -> String {
        "Monthly document limit reached (\(min(used, limit))/\(limit))"
    }
}
