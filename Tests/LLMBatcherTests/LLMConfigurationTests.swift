import Loop
import Testing

@testable import LLMBatcher

@Suite("LLM settings: prices")
struct LLMConfigurationTests {
    @Test("unset, the prices are gpt-4o-mini's list prices; doctor lists all three")
    func defaults() throws {
        let c = try LLMConfiguration(environment: [:])
        #expect(c.prices == LLMPrices(input: 0.15, cachedInput: 0.075, output: 0.60))
        let printed = Dictionary(c.printable, uniquingKeysWith: { first, _ in first })
        #expect(printed["LLM_PRICE_INPUT"] == "0.15")
        #expect(printed["LLM_PRICE_CACHED_INPUT"] == "0.075")
        #expect(printed["LLM_PRICE_OUTPUT"] == "0.6")
    }

    @Test("set, each is read in USD per million tokens (0 allowed: a local model costs nothing)")
    func read() throws {
        let c = try LLMConfiguration(environment: ["LLM_PRICE_INPUT": "2.5", "LLM_PRICE_CACHED_INPUT": "1.25",
                                                   "LLM_PRICE_OUTPUT": " 10 "])
        #expect(c.prices == LLMPrices(input: 2.5, cachedInput: 1.25, output: 10))
        let free = try LLMConfiguration(environment: ["LLM_PRICE_INPUT": "0", "LLM_PRICE_CACHED_INPUT": "0",
                                                      "LLM_PRICE_OUTPUT": "0"])
        #expect(free.prices.cost(promptTokens: 1_000_000, cachedTokens: 0, completionTokens: 1_000_000) == 0)
    }

    @Test("a price that is not a number in 0...1000 is refused, naming the variable",
          arguments: [
              ("LLM_PRICE_INPUT", "-0.15"), ("LLM_PRICE_INPUT", "cheap"), ("LLM_PRICE_CACHED_INPUT", "nan"),
              ("LLM_PRICE_CACHED_INPUT", "1e9"), ("LLM_PRICE_OUTPUT", "$0.60"), ("LLM_PRICE_OUTPUT", "inf"),
          ])
    func refused(name: String, value: String) {
        let error = #expect(throws: InvalidSetting.self) { try LLMConfiguration(environment: [name: value]) }
        #expect(error?.name == name)
        #expect(error?.value == value)
        #expect(error?.description.hasPrefix("\(name)=\(value): expected a number in 0.0...1000.0") == true,
                "\(String(describing: error))")
    }

    @Test("Batch API answers are billed at half of each price; Chat Completions at the prices")
    func billedPrices() throws {
        var c = try LLMConfiguration(environment: ["LLM_PRICE_INPUT": "0.4", "LLM_PRICE_CACHED_INPUT": "0.1",
                                                   "LLM_PRICE_OUTPUT": "1.6"])
        #expect(c.billedPrices == c.prices)
        c.batchAPI = true
        #expect(c.billedPrices == LLMPrices(input: 0.2, cachedInput: 0.05, output: 0.8))
    }
}

@Suite("LLM settings: the LLM when unsure")
struct LLMWhenUnsureSettingTests {
    @Test("LLM_WHEN_UNSURE with an API key: on, and doctor shows it; unset: off")
    func read() throws {
        let on = try LLMConfiguration(environment: ["LLM_WHEN_UNSURE": "1", "OPENAI_API_KEY": "sk-x"])
        #expect(on.whenUnsure && on.whenUnsureRefusal == nil)
        #expect(Dictionary(on.printable, uniquingKeysWith: { a, _ in a })["LLM_WHEN_UNSURE"] == "true")
        #expect(try !LLMConfiguration(environment: [:]).whenUnsure)
    }

    @Test("LLM_WHEN_UNSURE without an API key is refused, naming both variables")
    func refused() {
        let error = #expect(throws: InvalidSetting.self) {
            try LLMConfiguration(environment: ["LLM_WHEN_UNSURE": "true"])
        }
        #expect(error?.name == "LLM_WHEN_UNSURE")
        #expect(error?.description.contains("OPENAI_API_KEY") == true)
        var flag = LLMConfiguration()
        flag.whenUnsure = true
        #expect(flag.whenUnsureRefusal?.contains("OPENAI_API_KEY") == true)
    }
}
