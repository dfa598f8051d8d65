import HTTP1
import Loop

/// Routes under `/api/` beyond uploads and imports (batches, results, documents, webhooks), served by whoever
/// reads the database (the pipeline). Called after authentication and the rate limit.
@LoopActor
public protocol TenantRoutes: AnyObject {
    /// The handler for `exchange` on `path` (the target without its query), or nil when no route matches (404).
    func handler(for exchange: HTTPExchange, path: String, tenant: AuthenticatedTenant, router: IngestRouter)
        -> (any HTTPRequestHandler)?
}
