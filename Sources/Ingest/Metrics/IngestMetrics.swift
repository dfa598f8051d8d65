import HTTP1
import Loop
import Prometheus

/// The Ingest stage's Prometheus metrics, exposed at `GET /metrics`.
///
/// Backed by swift-prometheus' registry, which renders the text exposition format. Counters for each
/// (route, status) pair are made on first use and cached here, on the loop.
@LoopActor
public final class IngestMetrics: HTTPServerObserver {
    /// The registry `GET /metrics` renders; other stages may register their own metrics into it.
    public nonisolated let registry: PrometheusCollectorRegistry
    private var requestCounters: [RouteStatus: Counter] = [:]
    private var quarantineCounters: [String: Counter] = [:]
    private let bytesReceived: Counter
    private let spoolDepthFiles: Gauge
    private let spoolDepthBytes: Gauge
    private let connectionsOpen: Gauge
    private let unsentResponses: Gauge
    /// Response bytes queued on client connections and not yet sent (the gauge's value).
    package private(set) var unsentResponseBytes = 0
    /// The highest ``unsentResponseBytes`` since start: what the mark held it to, whoever looks late.
    package private(set) var unsentResponseBytesPeak = 0
    private let fsyncLatency: DurationHistogram
    private let filesAccepted: Counter
    private let filesRejected: Counter
    private let overloadRejections: Counter
    private let rateLimitRejections: Counter

    private struct RouteStatus: Hashable {
        package var route: String
        package var status: Int
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        bytesReceived = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "ingest", metricName: "bytes_received", unitName: "total",
                                 helpText: "Bytes read from client sockets, headers included."))
        spoolDepthFiles = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "ingest", metricName: "spool_depth", unitName: "files",
                                 helpText: "Documents acknowledged and waiting in spool/incoming."))
        spoolDepthBytes = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "ingest", metricName: "spool_depth", unitName: "bytes",
                                 helpText: "Bytes of documents waiting in spool/incoming."))
        connectionsOpen = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "ingest", metricName: "connections", unitName: "open",
                                 helpText: "Open client connections."))
        unsentResponses = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "ingest", subsystem: "http", metricName: "unsent_response", unitName: "bytes",
            helpText: "Response bytes queued on client connections and not yet taken by the kernel."))
        fsyncLatency = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "ingest", subsystem: "spool", metricName: "fsync",
                                             unitName: "seconds",
                                             helpText: "Latency of each fsync the spool makes (files and directory)."),
            buckets: [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                      .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                      .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)])
        filesAccepted = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "ingest", metricName: "files_accepted", unitName: "total",
                                 helpText: "File parts durably spooled and acknowledged."))
        filesRejected = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "ingest", metricName: "files_rejected", unitName: "total",
                                 helpText: "File parts rejected (too large, bad request)."))
        overloadRejections = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "ingest", metricName: "overload_rejections", unitName: "total",
                                 helpText: "Requests answered 503 because the spool was full."))
        rateLimitRejections = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "ingest", metricName: "rate_limited", unitName: "total",
                                 helpText: "Requests answered 429 because their tenant was over its rate."))
    }

    public func request(route: String, status: Int) {
        let key = RouteStatus(route: route, status: status)
        if let counter = requestCounters[key] {
            counter.increment()
            return
        }
        let counter = registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "ingest", subsystem: "http", metricName: "requests",
                                             unitName: "total", helpText: "HTTP requests answered, by route and status."),
            labels: [("route", route), ("status", String(status))])
        requestCounters[key] = counter
        counter.increment()
    }

    public func received(bytes: Int) { bytesReceived.increment(by: Int64(bytes)) }
    public func connections(_ open: Int) { connectionsOpen.set(Int64(open)) }
    public func unsentResponseBytes(_ total: Int) {
        unsentResponseBytes = total
        unsentResponseBytesPeak = max(unsentResponseBytesPeak, total)
        unsentResponses.set(Int64(total))
    }
    package func spoolDepth(files: Int, bytes: Int) {
        spoolDepthFiles.set(Int64(files))
        spoolDepthBytes.set(Int64(bytes))
    }
    package nonisolated func fsync(nanoseconds: Int64) { fsyncLatency.recordNanoseconds(nanoseconds) }
    package func accepted(files: Int) { filesAccepted.increment(by: Int64(files)) }
    package func rejected(files: Int) { filesRejected.increment(by: Int64(files)) }
    package func overloaded() { overloadRejections.increment() }
    package func rateLimited() { rateLimitRejections.increment() }

    /// One committed document moved to the spool's `quarantine/`, by reason.
    package func quarantined(reason: String) {
        if let counter = quarantineCounters[reason] {
            counter.increment()
            return
        }
        let counter = registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "ingest", subsystem: "spool", metricName: "quarantined",
                                             unitName: "total",
                                             helpText: "Committed documents moved to spool/quarantine, by reason."),
            labels: [("reason", reason)])
        quarantineCounters[reason] = counter
        counter.increment()
    }

    /// The text exposition of every metric in the registry.
    private var beforeRender: [@LoopActor () -> Void] = []

    /// Runs `hook` before each rendering, so that stages whose counts live in their own counters bring the
    /// registry up to date only when someone looks.
    public func onRender(_ hook: @escaping @LoopActor () -> Void) { beforeRender.append(hook) }

    public func render() -> [UInt8] {
        beforeRender.forEach { $0() }
        return registry.emitToBuffer()
    }
}
