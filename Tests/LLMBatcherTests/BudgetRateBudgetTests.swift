import Testing

@testable import LLMBatcher

private let second: UInt64 = 1_000_000_000
private let millisecond: UInt64 = 1_000_000

/// 60,000 TPM = exactly 1 token per millisecond; 60 RPM = 1 request per second.
private func budget(rpm: Int = 600, tpm: Int = 60_000, at now: UInt64 = 0) -> RateBudget {
    RateBudget(requestsPerMinute: rpm, tokensPerMinute: tpm, now: now)
}

private func grantedID(_ reservation: RateBudget.Reservation) -> UInt64? {
    if case .granted(let id) = reservation { return id }
    return nil
}

@Suite("Budget: RateBudget buckets")
struct BudgetRateBudgetTests {
    @Test("starts full, refills at limit/60 per second, and never above the limit")
    func refill() {
        var rate = budget()
        #expect(rate.availableTokens(now: 0) == 60_000)
        #expect(grantedID(rate.reserve(tokens: 60_000, now: 0)) == 1)
        #expect(rate.availableTokens(now: 0) == 0)
        #expect(rate.availableTokens(now: 1) == 0.000_001)
        #expect(rate.availableTokens(now: 30 * second) == 30_000)
        #expect(rate.availableTokens(now: 60 * second) == 60_000)
        #expect(rate.availableTokens(now: 3600 * second) == 60_000)
        #expect(rate.availableTokens(now: .max) == 60_000)
        #expect(rate.availableRequests(now: 0) == 599)
        #expect(rate.availableRequests(now: 100 * millisecond) == 600)
    }

    @Test("a wait ends on the first nanosecond at which the bucket holds enough")
    func waitIsExact() {
        var rate = budget(tpm: 7_000)  // 7000 / 60e9 tokens per ns: not a round rate
        _ = rate.reserve(tokens: 7_000, now: 0)
        guard case .wait(let until) = rate.reserve(tokens: 1, now: 0) else {
            Issue.record("expected a wait")
            return
        }
        // 1 token = 60e9 / 7000 ns = 8,571,428.57… ns, so the first nanosecond is 8,571,429.
        #expect(until == 8_571_429)
        #expect(rate.nextGrantTime(tokens: 1, now: 0) == until)
        #expect(rate.reserve(tokens: 1, now: until - 1) == .wait(untilNanoseconds: until))
        #expect(grantedID(rate.reserve(tokens: 1, now: until)) != nil)
    }

    @Test("a million small refills add up exactly to one large one (no drift)")
    func noDrift() {
        var stepped = budget(tpm: 7_919)
        var once = budget(tpm: 7_919)
        _ = stepped.reserve(tokens: 7_919, now: 0)
        _ = once.reserve(tokens: 7_919, now: 0)
        var now: UInt64 = 0
        for _ in 0..<1_000_000 {
            now += 37
            stepped.observe(headers: RateLimitHeaders(), now: now)  // refills, changes nothing else
        }
        #expect(stepped.availableTokens(now: now) == once.availableTokens(now: now))
        #expect(stepped.nextGrantTime(tokens: 7_000, now: now) == once.nextGrantTime(tokens: 7_000, now: now))
    }

    @Test("both buckets must hold enough: the request bucket alone can make a request wait")
    func requestBucket() {
        var rate = budget(rpm: 2)
        #expect(grantedID(rate.reserve(tokens: 10, now: 0)) == 1)
        #expect(grantedID(rate.reserve(tokens: 10, now: 0)) == 2)
        #expect(rate.reserve(tokens: 10, now: 0) == .wait(untilNanoseconds: 30 * second))
        #expect(rate.reserve(tokens: 100_000, now: 0) == .wait(untilNanoseconds: 30 * second))
        #expect(grantedID(rate.reserve(tokens: 10, now: 30 * second)) == 3)
    }

    @Test("zero or negative tokens take only a request")
    func zeroTokens() {
        var rate = budget()
        _ = rate.reserve(tokens: 60_000, now: 0)
        #expect(grantedID(rate.reserve(tokens: 0, now: 0)) != nil)
        #expect(grantedID(rate.reserve(tokens: -5, now: 0)) != nil)
        #expect(rate.availableTokens(now: 0) == 0)
        #expect(rate.outstandingReservations == 3)
    }

    @Test("a request larger than the whole TPM limit goes when the bucket is full, and leaves a debt")
    func oversized() {
        var rate = budget()
        _ = rate.reserve(tokens: 1, now: 0)
        #expect(rate.reserve(tokens: 100_000, now: 0) == .wait(untilNanoseconds: 1 * millisecond))
        #expect(grantedID(rate.reserve(tokens: 100_000, now: 1 * millisecond)) != nil)
        #expect(rate.availableTokens(now: 1 * millisecond) == -40_000)
        // The debt is repaid by refill before anything else goes.
        #expect(rate.nextGrantTime(tokens: 1, now: 1 * millisecond) == 1 * millisecond + 40_001 * millisecond)
    }

    @Test("settle refunds what was not used, takes what was used beyond the reservation")
    func settle() {
        var rate = budget()
        let a = grantedID(rate.reserve(tokens: 10_000, now: 0))!
        let b = grantedID(rate.reserve(tokens: 10_000, now: 0))!
        #expect(rate.outstandingTokens == 20_000)
        #expect(rate.settle(id: a, actualTokens: 4_000, now: 0) == true)
        #expect(rate.availableTokens(now: 0) == 46_000)
        #expect(rate.settle(id: b, actualTokens: 15_000, now: 0) == true)
        #expect(rate.availableTokens(now: 0) == 41_000)
        #expect(rate.outstandingReservations == 0)
        // Unknown and already settled ids change nothing.
        #expect(rate.settle(id: a, actualTokens: 0, now: 0) == false)
        #expect(rate.settle(id: 99, actualTokens: 0, now: 0) == false)
        #expect(rate.release(id: b, now: 0) == false)
        #expect(rate.availableTokens(now: 0) == 41_000)
    }

    @Test("settle never refunds more than was reserved, nor above the capacity")
    func settleBounds() {
        var rate = budget()
        let a = grantedID(rate.reserve(tokens: 10_000, now: 0))!
        rate.settle(id: a, actualTokens: -500, now: 0)  // nonsense usage counts as 0
        #expect(rate.availableTokens(now: 0) == 60_000)
        let b = grantedID(rate.reserve(tokens: 10_000, now: 0))!
        rate.settle(id: b, actualTokens: 0, now: 60 * second)  // refilled meanwhile
        #expect(rate.availableTokens(now: 60 * second) == 60_000)
    }

    @Test("a larger actual can drive the bucket into debt, which delays the next grant")
    func debt() {
        var rate = budget()
        let a = grantedID(rate.reserve(tokens: 60_000, now: 0))!
        rate.settle(id: a, actualTokens: 70_000, now: 0)
        #expect(rate.availableTokens(now: 0) == -10_000)
        #expect(rate.reserve(tokens: 1_000, now: 0) == .wait(untilNanoseconds: 11_000 * millisecond))
        #expect(grantedID(rate.reserve(tokens: 1_000, now: 11 * second)) != nil)
    }

    @Test("release gives back the tokens and the request")
    func release() {
        var rate = budget(rpm: 1)
        let a = grantedID(rate.reserve(tokens: 50_000, now: 0))!
        #expect(rate.reserve(tokens: 50_000, now: 0) == .wait(untilNanoseconds: 60 * second))
        #expect(rate.release(id: a, now: 0) == true)
        #expect(rate.availableTokens(now: 0) == 60_000)
        #expect(rate.availableRequests(now: 0) == 1)
        #expect(grantedID(rate.reserve(tokens: 50_000, now: 0)) == 2)
    }

    @Test("ids are unique and increasing")
    func ids() {
        var rate = budget()
        let ids = (0..<5).compactMap { _ in grantedID(rate.reserve(tokens: 10, now: 0)) }
        #expect(ids == [1, 2, 3, 4, 5])
    }

    @Test("time going backwards counts as no time and does not crash")
    func backwardsTime() {
        var rate = budget(at: 10 * second)
        _ = rate.reserve(tokens: 60_000, now: 10 * second)
        #expect(rate.availableTokens(now: 5 * second) == 0)
        #expect(rate.reserve(tokens: 1, now: 5 * second) == .wait(untilNanoseconds: 10 * second + millisecond))
        #expect(grantedID(rate.reserve(tokens: 1, now: 10 * second + millisecond)) != nil)
    }

    @Test("nextGrantTime answers without changing anything")
    func nextGrantTime() {
        var rate = budget()
        _ = rate.reserve(tokens: 59_000, now: 0)
        #expect(rate.nextGrantTime(tokens: 1_000, now: 0) == 0)
        #expect(rate.nextGrantTime(tokens: 3_000, now: 0) == 2 * second)
        #expect(rate.nextGrantTime(tokens: 3_000, now: 0) == 2 * second)
        #expect(rate.availableTokens(now: 0) == 1_000)
        #expect(rate.reserve(tokens: 3_000, now: 0) == .wait(untilNanoseconds: 2 * second))
    }
}

@Suite("Budget: RateBudget corrections from the server")
struct BudgetRateBudgetServerTests {
    @Test("a lower remaining lowers our level to it (+1 for rounding); a higher one never raises it")
    func remainingClamps() {
        var rate = budget()
        _ = rate.reserve(tokens: 10_000, now: 0)  // 50,000 left
        rate.observe(headers: RateLimitHeaders(remainingTokens: 55_000), now: 0)
        #expect(rate.availableTokens(now: 0) == 50_000)
        rate.observe(headers: RateLimitHeaders(remainingTokens: 40_000), now: 0)
        #expect(rate.availableTokens(now: 0) == 40_001)
        rate.observe(headers: RateLimitHeaders(remainingRequests: 3), now: 0)
        #expect(rate.availableRequests(now: 0) == 4)
        rate.observe(headers: RateLimitHeaders(), now: 0)
        #expect(rate.availableTokens(now: 0) == 40_001)
        #expect(rate.availableRequests(now: 0) == 4)
    }

    @Test("in-flight reservations the server has not seen yet are not counted twice")
    func noDoubleCounting() {
        var rate = budget()
        let a = grantedID(rate.reserve(tokens: 10_000, now: 0))!  // 50,000
        _ = rate.reserve(tokens: 20_000, now: 0)  // B: 30,000; not yet at the server
        // The server has seen A only: 50,000 remain there. Our 30,000 already counts B; nothing to correct.
        rate.observe(headers: RateLimitHeaders(remainingTokens: 50_000), reservation: a, now: 0)
        #expect(rate.availableTokens(now: 0) == 30_000)
        rate.observe(headers: RateLimitHeaders(remainingTokens: 50_000), now: 0)
        #expect(rate.availableTokens(now: 0) == 30_000)
    }

    @Test("a later grant inside the window counts even after refill has hidden it")
    func lowsRemembered() {
        var rate = budget()
        let a = grantedID(rate.reserve(tokens: 10_000, now: 0))!  // 50,000
        let b = grantedID(rate.reserve(tokens: 20_000, now: 0))!  // 30,000
        rate.settle(id: b, actualTokens: 20_000, now: 1 * second)
        // 10 s later we hold 40,000; A's answer carries a snapshot taken after B's admission: 30,000.
        rate.observe(headers: RateLimitHeaders(remainingTokens: 30_000), reservation: a, now: 10 * second)
        #expect(rate.availableTokens(now: 10 * second) == 40_000)
    }

    @Test("a snapshot taken at admission and delivered seconds later does not erase the refill since")
    func staleSnapshot() {
        var windowed = budget()
        let a = grantedID(windowed.reserve(tokens: 40_000, now: 0))!  // 20,000 left; the server snapshot says so
        var clamped = windowed
        let snapshot = RateLimitHeaders(remainingTokens: 20_000)
        windowed.observe(headers: snapshot, reservation: a, now: 5 * second)
        #expect(windowed.availableTokens(now: 5 * second) == 25_000)
        // Without the reservation the snapshot is taken as current: 5 s of refill are lost.
        clamped.observe(headers: snapshot, now: 5 * second)
        #expect(clamped.availableTokens(now: 5 * second) == 20_001)
    }

    @Test("a real shortfall within the window is taken off the current level")
    func shortfallCorrected() {
        var rate = budget()
        let a = grantedID(rate.reserve(tokens: 10_000, now: 0))!  // 50,000 left
        // Someone else spent 15,000 on the same key; the answer comes 2 s later.
        rate.observe(headers: RateLimitHeaders(remainingTokens: 35_000), reservation: a, now: 2 * second)
        #expect(rate.availableTokens(now: 2 * second) == 52_000 - 14_999)
        // Once corrected, the same news again changes nothing.
        rate.observe(headers: RateLimitHeaders(remainingTokens: 35_000), reservation: a, now: 2 * second)
        #expect(rate.availableTokens(now: 2 * second) == 52_000 - 14_999)
    }

    @Test("the window starts at the reservation's grant: later lows count, earlier ones do not")
    func windowStartsAtGrant() {
        var rate = budget()
        _ = rate.reserve(tokens: 50_000, now: 0)  // 10,000 left: before A, outside its window
        let a = grantedID(rate.reserve(tokens: 5_000, now: 40 * second))!  // 50,000 − 5,000 = 45,000
        let b = grantedID(rate.reserve(tokens: 30_000, now: 40 * second))!  // 15,000: inside A's window
        rate.settle(id: b, actualTokens: 30_000, now: 40 * second)
        // 15,000 was A's window's low: a server at 20,000 may simply not have seen B.
        rate.observe(headers: RateLimitHeaders(remainingTokens: 20_000), reservation: a, now: 40 * second)
        #expect(rate.availableTokens(now: 40 * second) == 15_000)
        // 12,000 is below it: corrected (the 10,000 at 0 s, before A, does not excuse it).
        rate.observe(headers: RateLimitHeaders(remainingTokens: 12_000), reservation: a, now: 40 * second)
        #expect(rate.availableTokens(now: 40 * second) == 12_001)
    }

    @Test("an unknown reservation id falls back to the snapshot-is-now rule")
    func unknownReservation() {
        var rate = budget()
        _ = rate.reserve(tokens: 10_000, now: 0)
        rate.observe(headers: RateLimitHeaders(remainingTokens: 30_000), reservation: 77, now: 0)
        #expect(rate.availableTokens(now: 0) == 30_001)
    }

    @Test("the server's limits are adopted: level clamped, refill at the new rate")
    func adoptsLimits() {
        var rate = budget()
        rate.observe(headers: RateLimitHeaders(limitRequests: 30, limitTokens: 30_000), now: 0)
        #expect(rate.tokensPerMinute == 30_000)
        #expect(rate.requestsPerMinute == 30)
        #expect(rate.availableTokens(now: 0) == 30_000)
        #expect(rate.availableRequests(now: 0) == 30)
        _ = rate.reserve(tokens: 30_000, now: 0)
        #expect(rate.availableTokens(now: 1 * second) == 500)
        rate.observe(headers: RateLimitHeaders(limitTokens: 120_000), now: 1 * second)
        #expect(rate.availableTokens(now: 1 * second) == 500)
        #expect(rate.availableTokens(now: 2 * second) == 2_500)
    }
}

@Suite("Budget: RateBudget after a 429")
struct BudgetRateBudgetPenaltyTests {
    @Test("no grant before now + retry-after, and the named bucket is emptied")
    func penalize() {
        var rate = budget()
        _ = rate.reserve(tokens: 1_000, now: 0)
        rate.penalize(retryAfterNanoseconds: 2 * second, kind: .tokens, now: 0)
        #expect(rate.availableTokens(now: 0) == 0)
        #expect(rate.availableRequests(now: 0) == 599)
        #expect(rate.blockedUntil == 2 * second)
        #expect(rate.reserve(tokens: 0, now: 1 * second) == .wait(untilNanoseconds: 2 * second))
        #expect(rate.reserve(tokens: 3_000, now: 0) == .wait(untilNanoseconds: 3 * second))
        #expect(grantedID(rate.reserve(tokens: 2_000, now: 2 * second)) != nil)
    }

    @Test("a requests penalty empties the request bucket only")
    func requestsPenalty() {
        var rate = budget(rpm: 60)
        rate.penalize(retryAfterNanoseconds: 0, kind: .requests, now: 0)
        #expect(rate.availableRequests(now: 0) == 0)
        #expect(rate.availableTokens(now: 0) == 60_000)
        #expect(rate.reserve(tokens: 1, now: 0) == .wait(untilNanoseconds: 1 * second))
    }

    @Test("a debt survives a penalty, and a shorter penalty does not shorten a longer one")
    func debtAndOverlap() {
        var rate = budget()
        let a = grantedID(rate.reserve(tokens: 60_000, now: 0))!
        rate.settle(id: a, actualTokens: 70_000, now: 0)
        rate.penalize(retryAfterNanoseconds: 5 * second, kind: .tokens, now: 0)
        #expect(rate.availableTokens(now: 0) == -10_000)
        rate.penalize(retryAfterNanoseconds: 1 * second, kind: .tokens, now: 0)
        #expect(rate.blockedUntil == 5 * second)
        rate.penalize(retryAfterNanoseconds: .max, kind: .tokens, now: 1)
        #expect(rate.blockedUntil == .max)
    }

    @Test("release before penalize leaves the bucket empty; the other order would refill it")
    func releaseThenPenalize() {
        var right = budget()
        let a = grantedID(right.reserve(tokens: 10_000, now: 0))!
        var wrong = right
        right.release(id: a, now: 0)
        right.penalize(retryAfterNanoseconds: second, kind: .tokens, now: 0)
        #expect(right.availableTokens(now: 0) == 0)
        wrong.penalize(retryAfterNanoseconds: second, kind: .tokens, now: 0)
        wrong.release(id: a, now: 0)
        #expect(wrong.availableTokens(now: 0) == 10_000)
    }
}
