import Testing

@testable import LLMBatcher

@Suite("Budget: x-ratelimit-* and Retry-After headers")
struct BudgetHeadersTests {
    @Test("Go-style durations", arguments: [
        ("0s", 0), ("1s", 1_000_000_000), ("17ms", 17_000_000), ("1.5s", 1_500_000_000),
        ("6m0s", 360_000_000_000), ("2h3m4.5s", 7_384_500_000_000), ("1.87s", 1_870_000_000),
        ("150ms", 150_000_000), ("14h29m11.04s", 52_151_040_000_000), ("250us", 250_000), ("3µs", 3_000),
        ("3μs", 3_000), ("100ns", 100), ("0.000000001s", 1), ("1.0000000009s", 1_000_000_000), (".5s", 500_000_000),
        ("1m", 60_000_000_000), ("1h", 3_600_000_000_000), (" 2s ", 2_000_000_000), ("20", 20_000_000_000),
        ("0.25", 250_000_000), ("1s500ms", 1_500_000_000),
    ] as [(String, UInt64)])
    func durations(text: String, nanoseconds: UInt64) {
        #expect(RateLimitHeaders.parseDuration(text) == nanoseconds)
    }

    @Test("durations that are not: nil, never a crash", arguments: [
        "", " ", "s", "ms", "abc", "-1s", "1x", "1.5.3s", "1h 2m", "99999999999h", "18446744073709551616ns",
        "1e3s", "Wed, 21 Oct 2015 07:28:00 GMT", "1s-", ".", "5 s", "NaN", "∞s",
    ])
    func badDurations(text: String) {
        #expect(RateLimitHeaders.parseDuration(text) == nil)
    }

    @Test("every header of an OpenAI answer")
    func openAIHeaders() {
        let values = [
            "x-ratelimit-limit-requests": "500", "x-ratelimit-limit-tokens": "30000",
            "x-ratelimit-remaining-requests": "499", "x-ratelimit-remaining-tokens": "29892",
            "x-ratelimit-reset-requests": "120ms", "x-ratelimit-reset-tokens": "216ms",
        ]
        let headers = RateLimitHeaders.parse { values[$0] }
        #expect(headers == RateLimitHeaders(limitRequests: 500, limitTokens: 30_000, remainingRequests: 499,
                                            remainingTokens: 29_892, resetRequests: 120_000_000,
                                            resetTokens: 216_000_000, retryAfter: nil))
    }

    @Test("retry-after-ms wins over retry-after; retry-after takes decimals; a date is not read")
    func retryAfter() {
        #expect(RateLimitHeaders.parse { ["retry-after": "20", "retry-after-ms": "19500"][$0] }.retryAfter
                    == 19_500_000_000)
        #expect(RateLimitHeaders.parse { ["retry-after": "1.5"][$0] }.retryAfter == 1_500_000_000)
        #expect(RateLimitHeaders.parse { ["retry-after-ms": "12.5"][$0] }.retryAfter == 12_500_000)
        #expect(RateLimitHeaders.parse { ["retry-after": "2", "retry-after-ms": "soon"][$0] }.retryAfter
                    == 2_000_000_000)
        #expect(RateLimitHeaders.parse { ["retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"][$0] }.retryAfter == nil)
    }

    @Test("missing and odd values are nil fields")
    func oddValues() {
        let values = [
            "x-ratelimit-limit-requests": "0", "x-ratelimit-limit-tokens": "lots",
            "x-ratelimit-remaining-requests": "-3", "x-ratelimit-remaining-tokens": " 29892.7 ",
            "x-ratelimit-reset-requests": "soon", "x-ratelimit-reset-tokens": "",
        ]
        let headers = RateLimitHeaders.parse { values[$0] }
        #expect(headers.limitRequests == nil)
        #expect(headers.limitTokens == nil)
        #expect(headers.remainingRequests == nil)
        #expect(headers.remainingTokens == 29_892)
        #expect(headers.resetRequests == nil)
        #expect(headers.resetTokens == nil)
        #expect(RateLimitHeaders.parse { _ in nil } == RateLimitHeaders())
        #expect(RateLimitHeaders.parse { _ in "99999999999999999999999" } .remainingTokens == nil)
    }
}
