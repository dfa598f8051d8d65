import Ingest
import LLMBatcher
import Loop
import Prometheus
import Sink

/// The stages after extraction in `/metrics` (extraction registers its own, `extract_*`): documents in,
/// out, failed by code and waiting; on the LLM path resumes waiting and in flight, requests by status and in
/// flight, the concurrency limit and target, tokens in (prompt, cached) and out (completion), 429s and the
/// estimated cost; Sink rows, transactions, reconnects and commit latency; documents settled without
/// extraction (reused, refused).
///
/// The parser and the Sink keep plain counters of their own (cheap, on the loop); this brings the registry
/// up to date from them when `/metrics` is read, adding what changed since the last reading.
@LoopActor
final class PipelineMetrics {
    private let registry: PrometheusCollectorRegistry
    private var counters: [String: Counter] = [:]
    private var last: [String: Int] = [:]
    private var lastAmount: [String: Double] = [:]
    private var gauges: [String: Gauge] = [:]
    private let commitLatency: DurationHistogram

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        commitLatency = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "sink", metricName: "commit_duration", unitName: "seconds",
                                             helpText: "Time of one Sink transaction, BEGIN to COMMIT."),
            buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                      .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                      .seconds(2), .seconds(5)])
    }

    func committed(nanoseconds: UInt64) { commitLatency.recordNanoseconds(Int64(nanoseconds)) }

    /// Brings every metric up to date from the stages' counters.
    func refresh(parser: any ParsingStage, sink: Sink?, reused: Int, refused: Int, scoring: ScoringCounters? = nil) {
        if let scoring { refresh(scoring) }
        let c = parser.counts
        total("llm", "requests", "Requests sent to the LLM endpoint.", c.requests)
        total("llm", "rate_limited", "Requests answered 429.", c.rateLimited)
        total("llm", "server_errors", "Requests answered 5xx.", c.serverErrors)
        total("llm", "transport_errors", "Requests that failed below HTTP.", c.transportErrors)
        total("llm", "prompt_tokens", "Prompt tokens billed.", c.promptTokens)
        total("llm", "completion_tokens", "Completion tokens billed.", c.completionTokens)
        total("llm", "cached_tokens", "Prompt tokens served from the endpoint's cache.", c.cachedTokens)
        amount("llm", "cost_usd", "Estimated cost of the tokens billed, in USD at LLM_PRICE_*.", c.costUSD)
        for status in LLMResponseStatus.allCases {
            total("llm", "responses", "Chat Completions requests by how they ended.", c.responses[status] ?? 0,
                  labels: [("status", status.rawValue)])
        }
        gauge("llm", "requests_in_flight", "Chat Completions requests in flight.", c.requestsInFlight)
        gauge("llm", "concurrency_limit", "Requests in flight allowed by AIMD (halved on 429s).", c.concurrencyLimit)
        gauge("llm", "concurrency_target",
              "Requests in flight the rate limits allow at the measured latency (Little's law).", c.concurrencyTarget)
        total("parser", "documents_parsed", "Documents parsed.", c.parsed)
        total("parser", "documents_failed", "Documents the parser failed.", c.failed)
        total("parser", "documents_reused", "Documents whose result was reused within the run.", c.reused)
        total("parser", "documents_unsure", "Documents the rules read weakly and sent to the LLM (LLM_WHEN_UNSURE).",
              c.unsure)
        gauge("parser", "documents_waiting", "Documents held by the parser.", c.waiting)
        gauge("parser", "documents_queued",
              "Documents held by the parser and not being parsed (not in an LLM request or batch).",
              c.waiting - c.inFlight)
        gauge("parser", "documents_in_flight",
              "Documents being parsed (in LLM requests or batches, or by the rules parser).", c.inFlight)
        total("pipeline", "documents_reused", "Documents settled by reusing a stored result.", reused)
        total("pipeline", "documents_refused", "Documents refused before extraction (e.g. unsafe archive entries).",
              refused)
        guard let sink else { return }
        let s = sink.counters
        total("sink", "rows_committed", "Rows committed.", s.committedRows)
        total("sink", "rows_recorded_failed", "Rows the database refused, recorded as failed.", s.recordedFailed)
        total("sink", "rows_rejected", "Documents kept in sink_rejects.", s.rejected)
        total("sink", "transactions", "Transactions committed (batches).", s.transactions)
        total("sink", "reconnects", "Reconnections after a lost connection.", s.reconnects)
        total("sink", "retries", "Batches written again after a failure.", s.retries)
        gauge("sink", "rows_waiting", "Rows held by the Sink, not yet committed.", sink.held)
    }

    /// Candidate scoring: outcomes, and the evidence check's count of reasons kept, dropped (a quote not in the
    /// resume) and re-anchored (a quote in the resume at other offsets than the scorer said).
    private func refresh(_ s: ScoringCounters) {
        total("scoring", "candidates_claimed", "Candidates claimed from the scoring queue.", s.claimed)
        total("scoring", "candidates_scored", "Candidates scored.", s.scored)
        for (code, n) in s.failed {
            total("scoring", "candidates_failed", "Candidates that could not be scored, by code.", n, labels: [("code", code)])
        }
        total("scoring", "candidates_discarded",
              "Outcomes not written: the job or document was deleted, or the candidate asked for again, meanwhile.",
              s.discarded)
        total("scoring", "reasons_verified", "Reasons written, each quote found in the resume at its offsets.",
              s.reasonsVerified)
        total("scoring", "reasons_dropped", "Reasons dropped: their quote is not in the resume's text.", s.reasonsDropped)
        total("scoring", "reasons_reanchored", "Reasons whose quote is in the resume at other offsets than given (corrected).",
              s.reasonsReanchored)
        total("scoring", "runs_completed", "Scoring runs completed.", s.runsCompleted)
        total("scoring", "prompt_tokens", "Prompt tokens the LLM scorer was billed.", s.promptTokens)
        total("scoring", "completion_tokens", "Completion tokens the LLM scorer was billed.", s.completionTokens)
        total("scoring", "cached_tokens", "Prompt tokens of the LLM scorer served from the endpoint's cache (the job's prefix).",
              s.cachedTokens)
    }

    private func total(_ namespace: String, _ name: String, _ help: String, _ value: Int,
                       labels: [(String, String)] = []) {
        let (key, counter) = counter(namespace, name, help, labels: labels)
        let delta = value - (last[key] ?? 0)
        if delta > 0 { counter.increment(by: Int64(delta)) }
        last[key] = value
    }

    /// A monotonic amount that is not a count (money): the counter goes up by what it grew since last time.
    private func amount(_ namespace: String, _ name: String, _ help: String, _ value: Double) {
        let (key, counter) = counter(namespace, name, help, labels: [])
        let delta = value - (lastAmount[key] ?? 0)
        if delta > 0 { counter.increment(by: delta) }
        lastAmount[key] = max(value, lastAmount[key] ?? 0)
    }

    /// The counter `namespace_name_total{labels}`, made on first use, and its key here.
    private func counter(_ namespace: String, _ name: String, _ help: String,
                         labels: [(String, String)]) -> (String, Counter) {
        let key = namespace + "_" + name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        if let existing = counters[key] { return (key, existing) }
        let descriptor = MetricNameDescriptor(namespace: namespace, metricName: name, unitName: "total",
                                              helpText: help)
        let made = labels.isEmpty ? registry.makeCounter(descriptor: descriptor)
            : registry.makeCounter(descriptor: descriptor, labels: labels)
        counters[key] = made
        return (key, made)
    }

    private func gauge(_ namespace: String, _ name: String, _ help: String, _ value: Int) {
        let key = namespace + "_" + name
        let gauge = gauges[key] ?? {
            let made = registry.makeGauge(descriptor: MetricNameDescriptor(
                namespace: namespace, metricName: name, helpText: help))
            gauges[key] = made
            return made
        }()
        gauge.set(Int64(value))
    }
}
