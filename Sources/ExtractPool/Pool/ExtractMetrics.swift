import Loop
import Prometheus

/// ExtractPool's Prometheus metrics, registered into the registry `GET /metrics` renders.
@LoopActor
public final class ExtractMetrics {
    private let registry: PrometheusCollectorRegistry
    private var outcomes: [String: Counter] = [:]
    private let duration: DurationHistogram
    private let inFlight: Gauge

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        duration = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "extract", metricName: "document_duration", unitName: "seconds",
                                             helpText: "Time to extract one document, whole chain."),
            buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                      .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
                      .seconds(30), .seconds(60)])
        inFlight = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "extract", metricName: "documents_in_flight", helpText: "Documents being extracted now."))
    }

    func started(inFlight count: Int) { inFlight.set(Int64(count)) }

    func finished(_ document: ExtractedDocument, inFlight count: Int) {
        inFlight.set(Int64(count))
        duration.recordNanoseconds(Int64(document.milliseconds * 1e6))
        let key = document.status.rawValue + "|" + (document.extractor ?? document.failure?.code.rawValue ?? "-")
        if let counter = outcomes[key] {
            counter.increment()
            return
        }
        let labels = document.status == .extracted
            ? [("status", "extracted"), ("extractor", document.extractor ?? "-")]
            : [("status", "failed"), ("error_code", document.failure?.code.rawValue ?? "-")]
        let counter = registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "extract", metricName: "documents", unitName: "total",
                                             helpText: "Documents extracted or failed, by extractor or error code."),
            labels: labels)
        counter.increment()
        outcomes[key] = counter
    }
}
