import Foundation
import Histogram
import Loop

/// A run's outcome, as a table for people (``table``) and one JSON object for machines (``json``).
package struct LoadReport: Sendable {
    package var plan: LoadPlan
    package var stats: LoadStats
    /// From the first send to the last answer.
    package var seconds: Double
    /// From the first send to the end of sending.
    package var sendingSeconds: Double
    package var corpusStarved: Int
    package var corpusCached: Bool
    package var follow: FollowReport?

    package var throughput: Double { seconds > 0 ? Double(stats.answered) / seconds : 0 }

    /// Open loop: the rate the schedule asked for over the sending time.
    package var intendedRate: Double? {
        guard case .open = plan.mode, sendingSeconds > 0 else { return nil }
        return Double(stats.scheduled) / sendingSeconds
    }

    /// Open loop: the rate requests actually went out at.
    package var achievedRate: Double? {
        guard case .open = plan.mode, sendingSeconds > 0 else { return nil }
        return Double(stats.requests) / sendingSeconds
    }

    /// False when the open loop fell behind its schedule: requests late or never sent, or under 95 % of the
    /// intended rate. The load asked for was not the load applied, and the report says so.
    package var sustained: Bool {
        guard let intended = intendedRate, let achieved = achievedRate else { return true }
        let lateShare = stats.scheduled > 0 ? Double(stats.late + stats.unsent) / Double(stats.scheduled) : 0
        return achieved >= 0.95 * intended && lateShare <= 0.01
    }

    /// "intended 2,000/s, achieved 1,340/s, 4,120 requests late" when the open loop fell behind, else nil.
    package var shortfall: String? {
        guard !sustained, let intended = intendedRate, let achieved = achievedRate else { return nil }
        var text = "intended \(Self.grouped(intended))/s, achieved \(Self.grouped(achieved))/s, "
            + "\(Self.grouped(Double(stats.late))) requests late (sent over \(Self.trim(plan.lateThresholdMilliseconds)) ms after their time)"
        if stats.unsent > 0 { text += ", \(Self.grouped(Double(stats.unsent))) never sent" }
        return text
    }

    package func percentiles(_ h: Histogram<UInt64>) -> [(String, Double)] {
        guard h.totalCount > 0 else { return [] }
        return [("p50", 50), ("p90", 90), ("p99", 99), ("p999", 99.9)].map { ($0.0, Double(h.valueAtPercentile($0.1)) / 1000) }
            + [("max", Double(h.max) / 1000), ("mean", h.mean / 1000)]
    }

    /// The table for people.
    package var table: String {
        var lines: [String] = []
        switch plan.mode {
        case .closed(let c):
            lines.append("closed loop, \(c) connection\(c == 1 ? "" : "s")\(plan.stages.isEmpty ? "" : ", \(plan.stages.count) stages")")
        case .open(let r, let m):
            lines.append("open loop, \(Self.trim(r)) requests/s on up to \(m) connections\(plan.stages.isEmpty ? "" : ", \(plan.stages.count) stages"); latency from each request's slot")
        }
        lines.append(Self.label("requests") + String(format: "%@ in %.2f s", Self.grouped(Double(stats.requests)) as NSString, seconds))
        lines.append(Self.label("throughput") + String(format: "%.1f/s (%@ answered, %@ 2xx)", throughput,
                            Self.grouped(Double(stats.answered)) as NSString, Self.grouped(Double(stats.ok)) as NSString))
        if let intended = intendedRate, let achieved = achievedRate {
            lines.append(Self.label("schedule") + String(format: "intended %.1f/s, achieved %.1f/s, %@ late, %@ never sent, worst %.1f ms behind",
                                intended, achieved, Self.grouped(Double(stats.late)) as NSString,
                                Self.grouped(Double(stats.unsent)) as NSString, Double(stats.worstLateness) / 1000))
        }
        lines.append(Self.label("bytes") + String(format: "%@ sent, %@ received (bodies)", Self.bytes(stats.bytesSent) as NSString, Self.bytes(stats.bytesReceived) as NSString))
        let p = percentiles(stats.latency)
        if !p.isEmpty {
            lines.append("  latency (ms)           " + p.map { String(format: "%@ %.2f", $0.0, $0.1) }.joined(separator: "  "))
        }
        let statuses = stats.statuses.keys.sorted().map { "\($0): \(stats.statuses[$0]!)" }
        if !statuses.isEmpty { lines.append("  status                 " + statuses.joined(separator: "  ")) }
        if !stats.errorCodes.isEmpty {
            lines.append("  error answers          " + stats.errorCodes.keys.sorted().map { "\($0): \(stats.errorCodes[$0]!)" }.joined(separator: "  "))
        }
        if stats.connectErrors > 0 {
            lines.append(Self.label("connect errors") + "\(Self.grouped(Double(stats.connectErrors))) connections could not be made before a request was on them")
        }
        if !stats.failures.isEmpty {
            lines.append("  failures               " + stats.failures.keys.sorted().map { "\($0.rawValue): \(stats.failures[$0]!)" }.joined(separator: "  "))
            for sample in stats.failureSamples { lines.append("    e.g. " + sample) }
        }
        if let follow {
            let e = percentiles(follow.latency)
            lines.append("  upload → result (ms)   " + (e.isEmpty ? "none completed" : e.map { String(format: "%@ %.0f", $0.0, $0.1) }.joined(separator: "  ")))
            lines.append("  batches followed       \(follow.batches) completed (\(follow.documentsParsed) parsed, \(follow.documentsFailed) failed), \(follow.unfinished) unfinished, \(follow.pollErrors) poll errors" + (follow.untracked > 0 ? ", \(follow.untracked) 202s without a readable batch id" : ""))
        }
        if corpusStarved > 0 {
            lines.append("  corpus                 the disk fell behind \(corpusStarved) times (requests waited for their files)")
        }
        if let shortfall { lines.append("  NOT SUSTAINED: " + shortfall) }
        return lines.joined(separator: "\n")
    }

    /// One JSON object for machines.
    package var json: String {
        var o: [String: Any] = [
            "mode": plan.mode.isClosed ? "closed" : "open",
            "requests": stats.requests,
            "answered": stats.answered,
            "ok": stats.ok,
            "duration_s": seconds,
            "sending_s": sendingSeconds,
            "throughput_rps": throughput,
            "bytes_sent": stats.bytesSent,
            "bytes_received": stats.bytesReceived,
            "files_accepted": stats.filesAccepted,
            "latency_ms": Dictionary(uniqueKeysWithValues: percentiles(stats.latency)),
            "errors": [
                "status": Dictionary(uniqueKeysWithValues: stats.statuses.filter { !(200..<300).contains($0.key) }.map { (String($0.key), $0.value) }),
                "codes": stats.errorCodes,
                "kind": Dictionary(uniqueKeysWithValues: stats.failures.map { ($0.key.rawValue, $0.value) }),
            ] as [String: Any],
            "statuses": Dictionary(uniqueKeysWithValues: stats.statuses.map { (String($0.key), $0.value) }),
            "corpus_starved": corpusStarved,
            "connect_errors": stats.connectErrors,
            "corpus_cached": corpusCached,
            "sustained": sustained,
        ]
        switch plan.mode {
        case .closed(let c):
            o["concurrency"] = c
        case .open(let r, let m):
            o["rate"] = r
            o["max_connections"] = m
            o["intended_rps"] = intendedRate ?? 0
            o["achieved_rps"] = achievedRate ?? 0
            o["scheduled"] = stats.scheduled
            o["late"] = stats.late
            o["unsent"] = stats.unsent
            o["worst_lateness_ms"] = Double(stats.worstLateness) / 1000
        }
        if let shortfall { o["shortfall"] = shortfall }
        if let follow {
            o["end_to_end_ms"] = Dictionary(uniqueKeysWithValues: percentiles(follow.latency))
            o["batches_completed"] = follow.batches
            o["documents_parsed"] = follow.documentsParsed
            o["documents_failed"] = follow.documentsFailed
            o["batches_unfinished"] = follow.unfinished
            o["poll_errors"] = follow.pollErrors
            o["batches_untracked"] = follow.untracked
        }
        let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// A row's label, padded to the table's column.
    static func label(_ text: String) -> String { "  " + text + String(repeating: " ", count: max(1, 23 - text.count)) }

    static func grouped(_ value: Double) -> String {
        let n = Int(value.rounded())
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func trim(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n)
        var u = 0
        while v >= 1024 && u < units.count - 1 {
            v /= 1024
            u += 1
        }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u] as NSString)
    }
}
