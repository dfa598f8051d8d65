import Testing

@testable import LLMBatcher

@Suite("LLM prices and answer classes")
struct LLMPricesTests {
    @Test("cost = (prompt - cached) x input + cached x cached input + completion x output, per million tokens")
    func formula() {
        let prices = LLMPrices.gpt4oMini
        // 1,000,000 uncached prompt tokens at 0.15, 0 completion.
        #expect(prices.cost(promptTokens: 1_000_000, cachedTokens: 0, completionTokens: 0) == 0.15)
        // 810 uncached, 1024 cached, 412 completion: 121.5 + 76.8 + 247.2 = 445.5 micro-dollars.
        let cost = prices.cost(promptTokens: 1834, cachedTokens: 1024, completionTokens: 412)
        #expect(abs(cost - 0.0004455) < 1e-15)
        // Caching makes the same prompt cheaper.
        #expect(cost < prices.cost(promptTokens: 1834, cachedTokens: 0, completionTokens: 412))
    }

    @Test("cached tokens beyond the prompt are priced as prompt tokens; negative counts as none")
    func miscounts() {
        let prices = LLMPrices(input: 1, cachedInput: 0.5, output: 2)
        #expect(prices.cost(promptTokens: 100, cachedTokens: 300, completionTokens: 0) == 50 / 1e6)
        #expect(prices.cost(promptTokens: -5, cachedTokens: -1, completionTokens: -9) == 0)
    }

    @Test("the cost is linear: shares priced one by one add up to the total priced at once")
    func linear() {
        let prices = LLMPrices(input: 0.15, cachedInput: 0.075, output: 0.6)
        let shares = [(400, 256, 90), (700, 512, 310), (33, 0, 12)]
        let sum = shares.reduce(0.0) {
            $0 + prices.cost(promptTokens: $1.0, cachedTokens: $1.1, completionTokens: $1.2)
        }
        let total = prices.cost(promptTokens: 1133, cachedTokens: 768, completionTokens: 412)
        #expect(abs(sum - total) < 1e-15)
    }

    @Test("HTTP statuses fall into the classes /metrics counts",
          arguments: [(200, LLMResponseStatus.ok), (429, .rateLimited), (400, .clientError), (401, .clientError),
                      (404, .clientError), (500, .serverError), (503, .serverError), (201, .serverError),
                      (302, .serverError)] as [(Int, LLMResponseStatus)])
    func responseClasses(status: Int, expected: LLMResponseStatus) {
        #expect(LLMResponseStatus(httpStatus: status) == expected)
    }
}
