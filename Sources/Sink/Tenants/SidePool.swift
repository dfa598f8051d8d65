import Logging
import Loop

/// A few connections of their own beside the Sink's slots, for the API's reads and the tenant directory: each
/// statement (or transaction) takes a free connection, waiting for one when all are busy, so a long results
/// page never holds up a key lookup behind it for more than the pool's size allows.
///
/// Connections open on first use and are dropped when the server goes away; the next use opens another.
@LoopActor
public final class SidePool {
    private let configuration: SinkConfiguration
    private let logger: Logger
    private let size: Int
    private var idle: [PGConnection] = []
    private var open = 0
    private let waiters = Waiters()
    private var closed = false

    public init(configuration: SinkConfiguration, size: Int = 4, logger: Logger) {
        self.configuration = configuration
        self.size = max(1, size)
        self.logger = logger
    }

    /// Runs `body` on a connection of the pool.
    @discardableResult
    public func withConnection<T>(_ body: (PGConnection) async throws(PGError) -> T) async throws(PGError) -> T {
        let connection = try await take()
        do throws(PGError) {
            let value = try await body(connection)
            give(connection)
            return value
        } catch {
            give(connection, after: error)
            throw error
        }
    }

    /// Runs `body` in a transaction with `tenantID` (a tenant's UUID, as text) set for row-level security;
    /// rolls back when it throws.
    @discardableResult
    public func inTenant<T>(_ tenantID: String, _ body: (PGConnection) async throws(PGError) -> T)
        async throws(PGError) -> T
    {
        try await withConnection { c throws(PGError) in
            try await c.simpleQuery("BEGIN")
            do throws(PGError) {
                try await c.query("SELECT set_config('app.tenant_id', $1, true)", [tenantID])
                let value = try await body(c)
                try await c.simpleQuery("COMMIT")
                return value
            } catch {
                if c.isOpen { _ = try? await c.simpleQuery("ROLLBACK") }
                throw error
            }
        }
    }

    /// Closes idle connections now and busy ones as they come back.
    public func close() {
        closed = true
        for c in idle { c.close() }
        open -= idle.count
        idle = []
        waiters.resumeAll()
    }

    /// Closes, then waits up to `waitingMilliseconds` for the connections still out, or still being opened, to
    /// come back and be closed: a process that exits right after must not leave one open (the exit's leak check
    /// found a connection a request had begun to open as the engine shut down).
    public func close(waitingMilliseconds: UInt64) async {
        close()
        let deadline = SystemClock.shared.monotonicNanoseconds() + waitingMilliseconds * 1_000_000
        while open > 0, SystemClock.shared.monotonicNanoseconds() < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if open > 0 { logger.warning("database connections still open at close", metadata: ["open": "\(open)"]) }
    }

    private func take() async throws(PGError) -> PGConnection {
        while true {
            if closed { throw PGError(kind: .connection, message: "closed") }
            if let c = idle.popLast() {
                if c.isOpen { return c }
                c.close()
                open -= 1
                continue
            }
            if open < size {
                open += 1
                do throws(PGError) {
                    let c = try await SideConnection.open(configuration)
                    if closed {
                        // The catch below takes it off the count.
                        c.close()
                        throw PGError(kind: .connection, message: "closed")
                    }
                    return c
                } catch {
                    open -= 1
                    _ = waiters.resumeOne()
                    throw error
                }
            }
            await waiters.wait()
        }
    }

    private func give(_ c: PGConnection, after error: PGError? = nil) {
        if closed || !c.isOpen || (error?.isConnectionLoss ?? false) {
            c.close()
            open -= 1
        } else {
            idle.append(c)
        }
        _ = waiters.resumeOne()
    }
}
