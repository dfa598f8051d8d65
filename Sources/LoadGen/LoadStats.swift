import Histogram

/// What a run counted: latencies in an HDR histogram (microseconds, 3 significant digits, up to an hour),
/// answers by status, failures by kind, bytes, and for the open loop how far sends fell behind the schedule.
package struct LoadStats: Sendable {
    static let highest: UInt64 = 3_600_000_000
    package var latency = Histogram<UInt64>(highestTrackableValue: highest, numberOfSignificantValueDigits: .three)
    /// Requests sent (or meant to be sent, for ones that failed to connect).
    package var requests = 0
    /// Answers with a 2xx status.
    package var ok = 0
    /// Answers by status.
    package var statuses: [Int: Int] {
        var all = countedStatuses
        if lastStatus.count > 0 { all[lastStatus.status, default: 0] += lastStatus.count }
        return all
    }
    private var countedStatuses: [Int: Int] = [:]
    private var lastStatus: (status: Int, count: Int) = (0, 0)

    private mutating func foldStatus() {
        if lastStatus.count > 0 { countedStatuses[lastStatus.status, default: 0] += lastStatus.count }
    }
    /// Non-2xx answers by "status code" where the body named one (`{"error":{"code":…}}`).
    package var errorCodes: [String: Int] = [:]
    /// Failures without an answer, by kind.
    package var failures: [FailureKind: Int] = [:]
    /// Connections that could not be made while no request was on them (refused while waiting for the corpus,
    /// out of descriptors): not requests, so apart from `failures`.
    package var connectErrors = 0
    /// The first few failure details, for the report.
    package var failureSamples: [String] = []
    package var bytesSent = 0
    package var bytesReceived = 0
    /// Files in requests answered 2xx.
    package var filesAccepted = 0
    /// Open loop: requests sent later than `lateThreshold` after their slot.
    package var late = 0
    /// Open loop: slots the schedule held that were never sent (the run ended first).
    package var unsent = 0
    /// Open loop: slots scheduled.
    package var scheduled = 0
    /// Largest gap between a slot and its send, in microseconds.
    package var worstLateness: UInt64 = 0

    package init() {}

    mutating func answered(status: Int, latencyMicros: UInt64, errorCode: String?, files: Int, received: Int) {
        if status == lastStatus.status {
            // Runs of one status are the rule: count them without hashing, fold them in when the status changes.
            lastStatus.count += 1
        } else {
            foldStatus()
            lastStatus = (status, 1)
        }
        if (200..<300).contains(status) {
            ok += 1
            filesAccepted += files
        } else {
            errorCodes[errorCode.map { "\(status) \($0)" } ?? "\(status)", default: 0] += 1
        }
        bytesReceived += received
        _ = latency.record(min(latencyMicros, Self.highest))
    }

    mutating func failed(_ kind: FailureKind, detail: String) {
        failures[kind, default: 0] += 1
        if failureSamples.count < 5 { failureSamples.append("\(kind.rawValue): \(detail)") }
    }

    package var failed: Int { failures.values.reduce(0, +) }
    package var answered: Int { countedStatuses.values.reduce(lastStatus.count, +) }
}
