import HTTP1
import Loop
import Logging

/// The Ingest stage as one object: the spool, the HTTP server and its routes, on the loop.
@LoopActor
public final class IngestService {
    /// The effective configuration.
    public let configuration: IngestConfiguration
    /// The durable queue.
    public let spool: Spool
    /// Metrics shown at `/metrics`.
    public let metrics: IngestMetrics
    /// Components shown at `/startup-status`.
    public let startupStatus: StartupStatus
    /// The routes (authentication and the tenant's routes are set on it before ``start()``).
    public let router: IngestRouter
    private let server: HTTPServer
    private let logger: Logger
    /// How the connection cap was fitted under the open-file limit, for the log and `/startup-status`.
    private let connectionBudget: String

    public init(configuration: IngestConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        metrics = IngestMetrics()
        startupStatus = StartupStatus()
        spool = Spool(directory: configuration.spoolDirectory, marks: configuration.spoolMarks, metrics: metrics,
                      logger: logger)
        router = IngestRouter(configuration: configuration, spool: spool, metrics: metrics,
                              status: startupStatus, logger: logger)
        // The default cap (4,096) is above the usual soft limit (1,024): take the hard limit, then keep the
        // connections below it with room for spool files, converter pipes and database sockets.
        let limits = configuration.limits
        let descriptors = DescriptorLimit.raise()
        var serverLimits = limits.server
        serverLimits.maxConnections = limits.connectionCap(openFiles: descriptors.now)
        connectionBudget = """
            up to \(serverLimits.maxConnections) connections (MAX_CONNECTIONS \(limits.maxConnections)), \
            \(limits.maxConnectionsPerClient) per client address; open-file limit \(descriptors.now)\
            \(descriptors.now != descriptors.before ? " (raised from \(descriptors.before))" : ""), two per \
            connection and \(limits.descriptorReserve) kept for spool files, pipes and database sockets (FD_RESERVE)
            """
        let budget = connectionBudget
        startupStatus.register("connections") { .init(status: "ok", detail: budget) }
        server = HTTPServer(limits: serverLimits, router: router, metrics: metrics, logger: logger)
    }

    /// Opens the spool (cleaning leftovers) and starts listening; returns the port.
    @discardableResult
    public func start() async throws -> Int {
        try await spool.open()
        let port = try server.start(host: configuration.host, port: configuration.port)
        logger.info("listening", metadata: ["host": "\(configuration.host)", "port": "\(port)",
                                            "connections": "\(connectionBudget)"])
        return port
    }

    /// The bound port.
    public var port: Int? { server.port }

    /// Open client connections.
    public var connectionCount: Int { server.connectionCount }

    /// Stops accepting, lets uploads in flight finish within the grace period, closes the rest.
    public func shutdown() async {
        logger.info("shutting down", metadata: ["grace_ms": "\(configuration.limits.shutdownGraceMilliseconds)"])
        await server.shutdown(graceMilliseconds: configuration.limits.shutdownGraceMilliseconds)
        await Offload.quiesce()
        logger.info("stopped")
    }
}
