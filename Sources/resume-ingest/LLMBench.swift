import LLMSimulator
import Loop
import ArgumentParser
import Foundation
import Ingest
import LLMBatcher
import Logging

/// `resume-ingest llm-bench TEXTS.ndjson`: the LLM batcher against an in-process `llm-sim` over real
/// loopback sockets, fed a backlog that never runs dry, for the figures of issue 4: share of the TPM
/// limit used in steady state, 429s, failures, billed prompt tokens per resume, and the batcher's own CPU
/// per document.
struct LLMBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm-bench",
        abstract: "Run the LLM batcher against an in-process llm-sim and report budget use and overhead.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Extracted texts: the output of `resume-ingest extract --text` (one JSON line per document).")
    var texts: String

    @Option(help: "The simulator's tokens-per-minute limit.") var tpm = 60_000
    @Option(help: "The simulator's requests-per-minute limit.") var rpm = 1_000
    @Option(help: "The simulator's context window.") var contextWindow = 128_000
    @Option(help: "Seconds to run.") var duration = 120.0
    @Option(help: "Seconds after which the steady-state window starts (the buckets start full).") var measureFrom = 60.0
    @Option(help: "Resumes per request at most (1: no coalescing).") var coalesce = 8
    @Option(help: "Simulated latency: base milliseconds.") var latencyBase = 300.0
    @Option(help: "Simulated latency: milliseconds per output token.") var latencyPerToken = 1.0
    @Option(help: "Documents to parse at most (0: keep the backlog full until the duration ends).") var documents = 0

    func run() async throws {
        try global.bootstrapLogging()
        let corpus = try Self.load(texts)
        guard !corpus.isEmpty else { throw ValidationError("no extracted texts in \(texts)") }
        let report = try await Self.bench(corpus: corpus, options: self)
        print(report)
        let leaks = EventLoop.shared.stop()
        if !leaks.isEmpty { throw ExitCode(70) }
    }

    static func load(_ path: String) throws -> [String] {
        let data = try String(contentsOfFile: path, encoding: .utf8)
        return data.split(separator: "\n").compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  o["status"] as? String == "extracted", let text = o["text"] as? String, !text.isEmpty
            else { return nil }
            return text
        }
    }

    @LoopActor
    static func bench(corpus: [String], options o: LLMBench) async throws -> String {
        var sim = LLMSimulatorConfiguration()
        sim.port = 0
        sim.apiKey = "sk-bench"
        sim.tokensPerMinute = o.tpm
        sim.requestsPerMinute = o.rpm
        sim.contextWindow = o.contextWindow
        sim.latencyBaseMilliseconds = o.latencyBase
        sim.latencyPerTokenMilliseconds = o.latencyPerToken
        let logger = Logger(label: "llm-bench")
        let simulator = LLMSimulator(configuration: sim, logger: logger)
        let port = try simulator.start()

        var config = LLMConfiguration()
        config.apiKey = "sk-bench"
        config.baseURL = "http://127.0.0.1:\(port)/v1"
        config.tokensPerMinute = o.tpm
        config.requestsPerMinute = o.rpm
        config.contextWindow = o.contextWindow
        config.coalesceMaxDocuments = o.coalesce
        config.maxConcurrency = 64
        let http = HTTPClient(maxConnectionsPerHost: config.maxConcurrency)
        let counter = ResultCounter()
        let batcher = LLMBatcher(configuration: config, http: http, consumer: counter, logger: logger)

        let start = SystemClock.shared.monotonicNanoseconds()
        let end = start + UInt64(o.duration * 1e9)
        let windowStart = start + UInt64(o.measureFrom * 1e9)
        var admittedAtWindow: Int?
        var levelAtWindow = 0.0
        var submitted = 0
        var lastTrace = start
        var windowStartedAt = windowStart
        // The steady-state window starts at the first sample past `measureFrom`; its length is measured from
        // that sample, not assumed.
        func sampleWindow() {
            let now = SystemClock.shared.monotonicNanoseconds()
            if admittedAtWindow == nil && now >= windowStart {
                admittedAtWindow = simulator.counters.tokensAdmitted
                levelAtWindow = simulator.availableTokens()
                windowStartedAt = now
            }
        }
        // Keep the batcher's queue full: every document is new content (its own id and hash).
        while SystemClock.shared.monotonicNanoseconds() < end && (o.documents == 0 || submitted < o.documents) {
            sampleWindow()
            if ProcessEnvironment.current["LLM_BENCH_TRACE"] != nil, SystemClock.shared.monotonicNanoseconds() - lastTrace > 5_000_000_000 {
                lastTrace = SystemClock.shared.monotonicNanoseconds()
                FileHandle.standardError.write(Data(String(format: "t=%.0f admitted=%d level=%.0f ours=%.0f requests=%d held=%d inflight=%d/%d\n",
                    Double(lastTrace - start) / 1e9, simulator.counters.tokensAdmitted, simulator.availableTokens(),
                    batcher.availableTokens, simulator.counters.requests, batcher.held, batcher.concurrencyState.inFlight,
                    batcher.concurrencyState.limit).utf8))
            }
            if batcher.held >= config.queueCapacity {
                try? await Task.sleep(for: .milliseconds(20))
                continue
            }
            let text = corpus[submitted % corpus.count]
            batcher.submit(ParseJob(id: "doc-\(submitted)", tenant: "bench", contentSHA256: "h\(submitted)", text: text))
            submitted += 1
            if submitted % 32 == 0 { try? await Task.sleep(for: .milliseconds(1)) }
        }
        if o.documents > 0 {
            await batcher.drain(timeoutMilliseconds: UInt64(max(1, o.duration)) * 1000)
        } else {
            while SystemClock.shared.monotonicNanoseconds() < end {
                sampleWindow()
            if ProcessEnvironment.current["LLM_BENCH_TRACE"] != nil, SystemClock.shared.monotonicNanoseconds() - lastTrace > 5_000_000_000 {
                    lastTrace = SystemClock.shared.monotonicNanoseconds()
                    FileHandle.standardError.write(Data(String(format: "t=%.0f admitted=%d level=%.0f requests=%d\n",
                        Double(lastTrace - start) / 1e9, simulator.counters.tokensAdmitted, simulator.availableTokens(),
                        simulator.counters.requests).utf8))
                }
                sampleWindow()
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let endedAt = SystemClock.shared.monotonicNanoseconds()
        let elapsed = Double(endedAt - start) / 1e9
        let levelAtEnd = simulator.availableTokens()
        let s = simulator.counters
        let b = batcher.counters
        let windowSeconds = admittedAtWindow == nil ? 0 : Double(endedAt - windowStartedAt) / 1e9
        let admittedInWindow = s.tokensAdmitted - (admittedAtWindow ?? 0)
        // The limit's refill over the window either was admitted, is still in the bucket, or was wasted
        // (the bucket was full and nothing was sent): the share used is everything but the waste.
        let refill = Double(o.tpm) * windowSeconds / 60
        let utilization = windowSeconds > 0 ? (Double(admittedInWindow) + levelAtEnd - levelAtWindow) / refill : 0
        let rawShare = windowSeconds > 0 ? Double(admittedInWindow) / refill : 0
        let handled = b.parsed + b.failed
        batcher.close()
        http.close()
        await simulator.shutdown(graceMilliseconds: 0)
        return String(format: """
            seconds=%.1f documents_submitted=%d parsed=%d failed=%d held=%d requests=%d answered_429=%d (%.2f%%)
            steady_window_s=%.1f tokens_admitted_in_window=%d tpm_limit=%d utilization=%.4f admitted_share=%.4f
            billed_prompt_tokens=%d billed_completion_tokens=%d cached_tokens=%d prompt_tokens_per_resume=%.1f
            coalesce=%d bisections=%d compactions=%d context_overflows=%d invalid_answers=%d
            batcher_cpu_per_document_ms=%.3f
            """,
            elapsed, submitted, b.parsed, b.failed, batcher.held, s.requests, s.rateLimited,
            100 * Double(s.rateLimited) / Double(max(1, s.requests)),
            windowSeconds, admittedInWindow, o.tpm, utilization, rawShare,
            s.promptTokensBilled, s.completionTokensBilled, s.cachedTokens,
            Double(s.promptTokensBilled) / Double(max(1, b.parsed)),
            o.coalesce, b.bisections, b.compactions, b.contextOverflows, b.invalidAnswers,
            Double(b.overheadNanoseconds) / 1e6 / Double(max(1, handled)))
    }
}

/// Counts results.
@LoopActor
final class ResultCounter: ParsedDocumentConsumer {
    private(set) var parsed = 0
    private(set) var failed = 0
    func waitForRoom() async {}
    func accept(_ document: ParsedDocument) async {
        if document.status == .parsed { parsed += 1 } else { failed += 1 }
    }
}
