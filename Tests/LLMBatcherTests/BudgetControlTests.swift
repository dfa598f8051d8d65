import Testing

@testable import Loop
@testable import LLMBatcher

private let second: UInt64 = 1_000_000_000

@Suite("Budget: AIMD concurrency")
struct BudgetConcurrencyLimitTests {
    @Test("the initial limit is clamped into minimum...maximum")
    func clamps() {
        #expect(ConcurrencyLimit(initial: 0, maximum: 10).limit == 1)
        #expect(ConcurrencyLimit(initial: 20, maximum: 10).limit == 10)
        #expect(ConcurrencyLimit(initial: 2, minimum: 4, maximum: 10).limit == 4)
    }

    @Test("one more after `limit` consecutive successes, up to the maximum")
    func additiveIncrease() {
        var limit = ConcurrencyLimit(initial: 4, maximum: 6)
        for _ in 0..<3 { limit.succeeded() }
        #expect(limit.limit == 4)
        limit.succeeded()
        #expect(limit.limit == 5)
        for _ in 0..<4 { limit.succeeded() }
        #expect(limit.limit == 5)
        limit.succeeded()
        #expect(limit.limit == 6)
        for _ in 0..<100 { limit.succeeded() }
        #expect(limit.limit == 6)
    }

    @Test("a server error breaks the run of successes and does not cut the limit")
    func failures() {
        var limit = ConcurrencyLimit(initial: 3, maximum: 10)
        limit.succeeded()
        limit.succeeded()
        limit.failed()
        #expect(limit.limit == 3)
        limit.succeeded()
        limit.succeeded()
        #expect(limit.limit == 3)
        limit.succeeded()
        #expect(limit.limit == 4)
    }

    @Test("a 429 halves the limit once per cooldown window")
    func multiplicativeDecrease() {
        var limit = ConcurrencyLimit(initial: 16, maximum: 64, cooldownNanoseconds: 5 * second)
        #expect(limit.throttled(now: 100 * second) == true)
        #expect(limit.limit == 8)
        // The rest of the burst, within the window.
        #expect(limit.throttled(now: 100 * second) == false)
        #expect(limit.throttled(now: 104 * second) == false)
        #expect(limit.limit == 8)
        #expect(limit.throttled(now: 105 * second) == true)
        #expect(limit.limit == 4)
    }

    @Test("a 429 halves the flight size when fewer requests than the limit are in flight")
    func halvesFlightSize() {
        var limit = ConcurrencyLimit(initial: 128, maximum: 128)
        #expect(limit.throttled(now: 1, inFlight: 6) == true)
        #expect(limit.limit == 3, "6 in flight halve to 3, not 128 to 64")
        var busy = ConcurrencyLimit(initial: 10, maximum: 128)
        busy.throttled(now: 1, inFlight: 40)
        #expect(busy.limit == 5, "more in flight than the limit (sent before it fell): the limit halves")
    }

    @Test("a 429 for a request sent before the last decrease is ignored")
    func sentBeforeDecrease() {
        var limit = ConcurrencyLimit(initial: 16, maximum: 64, cooldownNanoseconds: 1 * second)
        limit.throttled(now: 10 * second)
        #expect(limit.throttled(now: 30 * second, sentAt: 9 * second) == false)
        #expect(limit.limit == 8)
        #expect(limit.throttled(now: 30 * second, sentAt: 11 * second) == true)
        #expect(limit.limit == 4)
    }

    @Test("halving stops at the minimum; a 429 also resets the run of successes")
    func floor() {
        var limit = ConcurrencyLimit(initial: 5, minimum: 2, maximum: 10, cooldownNanoseconds: 0)
        limit.throttled(now: 1)
        #expect(limit.limit == 2)
        #expect(limit.throttled(now: 2) == false)
        #expect(limit.limit == 2)
        limit.succeeded()
        limit.throttled(now: 3)
        limit.succeeded()
        #expect(limit.limit == 2)
        limit.succeeded()
        #expect(limit.limit == 3)
        var one = ConcurrencyLimit(initial: 1, maximum: 4, cooldownNanoseconds: 0)
        one.throttled(now: 1)
        #expect(one.limit == 1)
    }
}

@Suite("Budget: exponential backoff with full jitter")
struct BudgetBackoffTests {
    @Test("ceilings double from the base up to the cap")
    func ceilings() {
        let backoff = Backoff()
        #expect((1...6).map { backoff.ceiling(attempt: $0) }
                    == [500_000_000, 1_000_000_000, 2_000_000_000, 4_000_000_000, 8_000_000_000, 16_000_000_000])
        #expect(backoff.ceiling(attempt: 7) == 30_000_000_000)
        #expect(backoff.ceiling(attempt: 1_000) == 30_000_000_000)
        #expect(backoff.ceiling(attempt: 0) == 500_000_000)
        #expect(backoff.ceiling(attempt: -3) == 500_000_000)
    }

    @Test("the delay is the ceiling times the caller's random, in [0, ceiling)")
    func jitter() {
        let backoff = Backoff()
        #expect(backoff.delay(attempt: 1, random: 0) == 0)
        #expect(backoff.delay(attempt: 1, random: 0.5) == 250_000_000)
        #expect(backoff.delay(attempt: 3, random: 0.25) == 500_000_000)
        #expect(backoff.delay(attempt: 1, random: 1) == 499_999_999)
        #expect(backoff.delay(attempt: 1, random: 7) == 499_999_999)
        #expect(backoff.delay(attempt: 1, random: -1) == 0)
        #expect(backoff.delay(attempt: 1, random: .nan) == 0)
        for attempt in 1..<6 {
            for step in 0..<1000 {
                let delay = backoff.delay(attempt: attempt, random: Double(step) / 1000)!
                #expect(delay < backoff.ceiling(attempt: attempt))
            }
        }
    }

    @Test("nil once the attempts are used up")
    func exhausted() {
        let backoff = Backoff(maxAttempts: 6)
        #expect(backoff.delay(attempt: 5, random: 0.5) != nil)
        #expect(backoff.delay(attempt: 6, random: 0.5) == nil)
        #expect(backoff.delay(attempt: 60, random: 0.5) == nil)
        #expect(Backoff(maxAttempts: 1).delay(attempt: 1, random: 0.5) == nil)
        let long = Backoff(base: 1_000_000_000, cap: 30_000_000_000, maxAttempts: 100)
        #expect(long.delay(attempt: 99, random: 0.5) == 15_000_000_000)
    }
}

@Suite("Budget: circuit breaker")
struct BudgetCircuitBreakerTests {
    @Test("closed until the fifth consecutive failure; a success resets the count")
    func opens() {
        var breaker = CircuitBreaker()
        for _ in 0..<4 { breaker.record(success: false, now: 0) }
        #expect(breaker.state == .closed(consecutiveFailures: 4))
        breaker.record(success: true, now: 0)
        #expect(breaker.state == .closed(consecutiveFailures: 0))
        for _ in 0..<4 { breaker.record(success: false, now: 0) }
        #expect(breaker.allow(now: 0) == true)
        breaker.record(success: false, now: 1 * second)
        #expect(breaker.state == .open(until: 11 * second))
        #expect(breaker.allow(now: 1 * second) == false)
        #expect(breaker.allow(now: 11 * second - 1) == false)
    }

    @Test("after the cooldown exactly one probe goes; its success closes the breaker")
    func probeSucceeds() {
        var breaker = CircuitBreaker(failureThreshold: 1)
        breaker.record(success: false, now: 0)
        #expect(breaker.allow(now: 10 * second) == true)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.allow(now: 10 * second) == false)
        #expect(breaker.allow(now: 50 * second) == false)
        breaker.record(success: true, now: 12 * second)
        #expect(breaker.state == .closed(consecutiveFailures: 0))
        #expect(breaker.allow(now: 12 * second) == true)
        #expect(breaker.allow(now: 12 * second) == true)
    }

    @Test("a failed probe reopens with a doubled cooldown, up to two minutes; success resets it")
    func probeFails() {
        var breaker = CircuitBreaker()
        for _ in 0..<5 { breaker.record(success: false, now: 0) }
        var now: UInt64 = 0
        var cooldowns: [UInt64] = []
        for _ in 0..<6 {
            guard case .open(let until) = breaker.state else {
                Issue.record("expected open, got \(breaker.state)")
                return
            }
            cooldowns.append((until - now) / second)
            now = until
            #expect(breaker.allow(now: now) == true)
            breaker.record(success: false, now: now)
        }
        #expect(cooldowns == [10, 20, 40, 80, 120, 120])
        guard case .open(let until) = breaker.state else { return }
        #expect(breaker.allow(now: until) == true)
        breaker.record(success: true, now: until)
        for _ in 0..<5 { breaker.record(success: false, now: until) }
        #expect(breaker.state == .open(until: until + 10 * second))
    }

    @Test("results arriving while open (sent before it opened) change nothing")
    func stragglers() {
        var breaker = CircuitBreaker(failureThreshold: 2)
        breaker.record(success: false, now: 0)
        breaker.record(success: false, now: 0)
        breaker.record(success: true, now: 1 * second)
        breaker.record(success: false, now: 2 * second)
        #expect(breaker.state == .open(until: 10 * second))
        #expect(breaker.cooldown == 10 * second)
    }
}
