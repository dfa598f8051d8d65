import Testing
import TestSupport

@testable import LLMBatcher

/// The budget against a simulated server that refills the way OpenAI and `llm-sim` do (continuous buckets,
/// counted at admission), over simulated hours of backlog: it must reach the limit and not overdraw it.
///
/// With network transit one 429 can occur, once, when the initial full bucket first runs dry: while a request
/// granted from a full bucket travels, the server's bucket is still full and wastes its refill, which ours has
/// already counted (up to transit × rate tokens). The 429's penalty resynchronises the two. With no transit
/// there is none at all.
@Suite("Budget: simulated minutes against a server bucket")
struct BudgetSimulationTests {
    @Test("10,000 requests of random sizes, stale headers, transit and answer latency: ≥ 95% of TPM")
    func tokensBound() {
        let result = Simulation(Scenario()).run()
        #expect(result.completed == 10_000)
        #expect(result.refused <= 1)
        #expect(result.refusalTimes.allSatisfy { $0 < 60_000_000_000 }, "refused at \(result.refusalTimes)")
        #expect(result.tokenUtilization >= 0.95, "TPM utilization \(result.tokenUtilization)")
        #expect(result.tokenUtilization <= 1.000_001)
    }

    @Test("no transit: 10,000 requests granted on the exact nanosecond never overdraw, and use the whole limit")
    func exactBoundaries() {
        var scenario = Scenario()
        scenario.oneWay = 0...0
        let result = Simulation(scenario).run()
        #expect(result.completed == 10_000)
        #expect(result.refused == 0)
        #expect(result.tokenUtilization >= 0.999, "TPM utilization \(result.tokenUtilization)")
        #expect(result.tokenUtilization <= 1.000_001)
    }

    @Test("no transit, no answer latency: still no overdraft")
    func instantServer() {
        var scenario = Scenario()
        scenario.oneWay = 0...0
        scenario.processing = 0...0
        scenario.seed = 3
        let result = Simulation(scenario).run()
        #expect(result.refused == 0)
        #expect(result.tokenUtilization >= 0.999, "TPM utilization \(result.tokenUtilization)")
    }

    @Test("a server that refunds unused completion tokens, settled from actual usage: ≥ 95%")
    func refundingServer() {
        var scenario = Scenario()
        scenario.serverRefundsUnused = true
        scenario.seed = 7
        let result = Simulation(scenario).run()
        #expect(result.completed == 10_000)
        #expect(result.refused <= 1)
        #expect(result.tokenUtilization >= 0.95, "TPM utilization \(result.tokenUtilization)")
        #expect(result.tokenUtilization <= 1.000_001)
    }

    @Test("headers snapshotted at answer time rather than admission: ≥ 95%")
    func freshHeaders() {
        var scenario = Scenario()
        scenario.headersAtAnswer = true
        scenario.seed = 11
        let result = Simulation(scenario).run()
        #expect(result.refused <= 1)
        #expect(result.tokenUtilization >= 0.95, "TPM utilization \(result.tokenUtilization)")
    }

    @Test("requests-bound: ≥ 95% of RPM")
    func requestsBound() {
        var scenario = Scenario()
        scenario.requestsPerMinute = 600
        scenario.tokensPerMinute = 10_000_000
        scenario.sizes = 50...400
        let result = Simulation(scenario).run()
        #expect(result.refused <= 1)
        #expect(result.requestUtilization >= 0.95, "RPM utilization \(result.requestUtilization)")
    }

    @Test("the server counts 3% more than reserved (prompt under-estimated): 429s stay ≤ 1%")
    func underestimatedPrompts() {
        var scenario = Scenario()
        scenario.serverExtra = 0.03
        let result = Simulation(scenario).run()
        #expect(result.completed == 10_000)
        #expect(Double(result.refused) <= 0.01 * Double(result.completed), "429s: \(result.refused)")
        #expect(result.tokenUtilization >= 0.95, "TPM utilization \(result.tokenUtilization)")
    }

    @Test("stale snapshots: the windowed rule loses nothing, clamping to them loses some")
    func windowedRuleMatters() {
        var scenario = Scenario()
        scenario.oneWay = 0...0
        scenario.requests = 3000
        var naive = scenario
        naive.observeWithReservation = false
        let clamped = Simulation(naive).run()
        let windowed = Simulation(scenario).run()
        #expect(windowed.refused == 0 && clamped.refused == 0)
        #expect(windowed.tokenUtilization >= 0.9999, "windowed \(windowed.tokenUtilization)")
        #expect(windowed.tokenUtilization > clamped.tokenUtilization,
                "windowed \(windowed.tokenUtilization), clamped \(clamped.tokenUtilization)")
    }
}

/// What to simulate.
struct Scenario {
    var requestsPerMinute = 10_000
    var tokensPerMinute = 150_000
    var requests = 10_000
    /// Tokens reserved per request (prompt estimate + max_tokens).
    var sizes: ClosedRange<Int> = 300...3000
    /// Network time each way, nanoseconds.
    var oneWay: ClosedRange<UInt64> = 5_000_000...50_000_000
    /// Time from admission to the answer, nanoseconds.
    var processing: ClosedRange<UInt64> = 1_000_000_000...8_000_000_000
    /// The server counts this fraction more than was reserved.
    var serverExtra = 0.0
    /// The server gives back unused completion tokens when it answers (and the client settles actual usage).
    var serverRefundsUnused = false
    /// `x-ratelimit-remaining-*` describe the buckets when the answer is sent, not at admission.
    var headersAtAnswer = false
    /// Pass the reservation id to `observe` (the windowed rule) or not (clamp to the snapshot).
    var observeWithReservation = true
    var maxInFlight = 64
    var seed: UInt64 = 42
}

/// The server's buckets, computed independently of `RateBudget`: Double arithmetic, as `llm-sim` does.
struct ServerBuckets {
    let rpm: Double
    let tpm: Double
    var requests: Double
    var tokens: Double
    var updated: UInt64 = 0

    init(rpm: Int, tpm: Int) {
        self.rpm = Double(rpm)
        self.tpm = Double(tpm)
        requests = self.rpm
        tokens = self.tpm
    }

    mutating func refill(_ now: UInt64) {
        guard now > updated else { return }
        let minutes = Double(now - updated) / 60e9
        requests = min(rpm, requests + minutes * rpm)
        tokens = min(tpm, tokens + minutes * tpm)
        updated = now
    }

    /// Admits a request costing `cost` (`nil`), or names the bucket that refused it. The tolerance absorbs
    /// Double rounding (a millionth of a token).
    mutating func admit(cost: Int, now: UInt64) -> RateLimitKind? {
        refill(now)
        guard requests >= 1 - 1e-6 else { return .requests }
        guard tokens >= Double(cost) - 1e-6 else { return .tokens }
        requests -= 1
        tokens -= Double(cost)
        return nil
    }

    /// Nanoseconds until the refusing bucket holds enough, rounded up (OpenAI's "try again in").
    func retryAfter(cost: Int, kind: RateLimitKind) -> UInt64 {
        switch kind {
        case .requests: UInt64((max(1 - requests, 0) / rpm * 60e9).rounded(.up))
        case .tokens: UInt64((max(Double(cost) - tokens, 0) / tpm * 60e9).rounded(.up))
        }
    }

    var headers: RateLimitHeaders {
        RateLimitHeaders(limitRequests: Int(rpm), limitTokens: Int(tpm),
                         remainingRequests: Int(max(0, requests).rounded(.down)),
                         remainingTokens: Int(max(0, tokens).rounded(.down)))
    }
}

struct SimulationResult {
    var completed = 0
    var refused = 0
    var tokenUtilization = 0.0
    var requestUtilization = 0.0
    /// When the server refused, nanoseconds.
    var refusalTimes: [UInt64] = []
}

/// A discrete-event simulation: a client with a backlog reserving from a `RateBudget`, requests travelling to
/// the server, the server admitting or refusing them, answers travelling back with headers and usage.
struct Simulation {
    let scenario: Scenario

    init(_ scenario: Scenario) { self.scenario = scenario }

    private struct Flight {
        var id: UInt64
        var request: Int
        var arrives: UInt64
        var answers: UInt64 = .max
        var admitted = false
        var headers = RateLimitHeaders()
        var retryAfter: UInt64 = 0
        var refusedBy: RateLimitKind = .tokens
        var cost = 0
        var used = 0
    }

    func run() -> SimulationResult {
        var random = SplitMix64(seed: scenario.seed)
        let sizes = (0..<scenario.requests).map { _ in Int.random(in: scenario.sizes, using: &random) }
        var budget = RateBudget(requestsPerMinute: scenario.requestsPerMinute,
                                tokensPerMinute: scenario.tokensPerMinute, now: 0)
        var server = ServerBuckets(rpm: scenario.requestsPerMinute, tpm: scenario.tokensPerMinute)
        var pending = Array(sizes.indices.reversed())  // a stack: the next request is last
        var flights: [Flight] = []
        var wake: UInt64? = 0
        var result = SimulationResult()
        var admittedTokens = 0
        var admittedRequests = 0
        var firstAdmission: UInt64?
        var lastAdmission: UInt64 = 0

        while true {
            let nextFlight = flights.map { $0.admitted || $0.answers != .max ? $0.answers : $0.arrives }.min()
            guard let now = [wake, nextFlight].compactMap({ $0 }).min() else { break }

            // Arrivals at the server.
            for index in flights.indices where !flights[index].admitted && flights[index].answers == .max
                && flights[index].arrives <= now
            {
                let size = sizes[flights[index].request]
                let cost = Int((Double(size) * (1 + scenario.serverExtra)).rounded())
                let back = UInt64.random(in: scenario.oneWay, using: &random)
                if let kind = server.admit(cost: cost, now: now) {
                    flights[index].answers = now + back
                    flights[index].refusedBy = kind
                    flights[index].retryAfter = server.retryAfter(cost: cost, kind: kind)
                    flights[index].headers = server.headers
                    result.refusalTimes.append(now)
                } else {
                    flights[index].admitted = true
                    flights[index].cost = cost
                    let unused = scenario.serverRefundsUnused ? Int.random(in: 0...(cost / 2), using: &random) : 0
                    flights[index].used = cost - unused
                    admittedTokens += flights[index].used  // what the server finally keeps
                    admittedRequests += 1
                    firstAdmission = firstAdmission ?? now
                    lastAdmission = now
                    flights[index].answers = now + UInt64.random(in: scenario.processing, using: &random) + back
                    if !scenario.headersAtAnswer { flights[index].headers = server.headers }
                }
            }
            // Answers at the client (the server's answer-time work happens at the same instant, minus the trip).
            var answered: [Flight] = []
            flights.removeAll { flight in
                guard flight.answers <= now else { return false }
                answered.append(flight)
                return true
            }
            for var flight in answered.sorted(by: { $0.answers < $1.answers }) {
                if flight.admitted {
                    server.refill(now)
                    server.tokens = min(server.tpm, server.tokens + Double(flight.cost - flight.used))
                    if scenario.headersAtAnswer { flight.headers = server.headers }
                    let window = scenario.observeWithReservation ? flight.id : nil
                    budget.observe(headers: flight.headers, reservation: window, now: now)
                    budget.settle(id: flight.id, actualTokens: flight.used, now: now)
                    result.completed += 1
                } else {
                    result.refused += 1
                    budget.release(id: flight.id, now: now)
                    budget.penalize(retryAfterNanoseconds: flight.retryAfter, kind: flight.refusedBy, now: now)
                    pending.append(flight.request)
                }
                wake = now
            }
            // The client sends what the budget allows.
            if let due = wake, due <= now {
                wake = nil
                while let request = pending.last, flights.count < scenario.maxInFlight {
                    switch budget.reserve(tokens: sizes[request], now: now) {
                    case .granted(let id):
                        pending.removeLast()
                        let arrives = now + UInt64.random(in: scenario.oneWay, using: &random)
                        flights.append(Flight(id: id, request: request, arrives: arrives))
                    case .wait(let until):
                        #expect(until > now)
                        wake = until
                    }
                    if wake != nil { break }
                }
            }
        }
        let elapsedMinutes = Double(lastAdmission - (firstAdmission ?? 0)) / 60e9
        // What the server could have admitted over that time: one full bucket plus the refill.
        result.tokenUtilization = Double(admittedTokens - scenario.tokensPerMinute)
            / (Double(scenario.tokensPerMinute) * elapsedMinutes)
        result.requestUtilization = Double(admittedRequests - scenario.requestsPerMinute)
            / (Double(scenario.requestsPerMinute) * elapsedMinutes)
        return result
    }
}
