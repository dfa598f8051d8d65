@testable import Pipeline
import Sink
import Testing

@Suite("Which stored results the engine reuses")
struct EngineReuseTests {
    private func row(_ status: String, provider: String? = nil, model: String? = nil, code: String? = nil)
        -> StoredResult
    {
        StoredResult(id: "x", status: status, provider: provider, model: model, errorCode: code)
    }

    @Test("parsed by the same parser and model: reused; by another parser or model: parsed again")
    func parsed() {
        #expect(Engine.reusable(row("parsed", provider: "rules"), identity: ("rules", nil)))
        #expect(Engine.reusable(row("parsed", provider: "openai", model: "m1"), identity: ("openai", "m1")))
        #expect(!Engine.reusable(row("parsed", provider: "openai", model: "m1"), identity: ("openai", "m2")))
        #expect(!Engine.reusable(row("parsed", provider: "rules"), identity: ("openai", "m1")))
        #expect(!Engine.reusable(row("parsed", provider: "openai", model: "m1"), identity: ("rules", nil)))
    }

    @Test("the LLM when unsure: a rules result that was not weak is reused, a weak or unscored one is read again")
    func whenUnsure() {
        func rules(weak: Bool?) -> StoredResult {
            StoredResult(id: "x", status: "parsed", provider: "rules", model: nil, errorCode: nil, weak: weak)
        }
        #expect(Engine.reusable(rules(weak: false), identity: ("openai", "m1"), whenUnsure: true))
        #expect(!Engine.reusable(rules(weak: true), identity: ("openai", "m1"), whenUnsure: true))
        #expect(!Engine.reusable(rules(weak: nil), identity: ("openai", "m1"), whenUnsure: true))
        #expect(Engine.reusable(row("parsed", provider: "openai", model: "m1"), identity: ("openai", "m1"),
                                whenUnsure: true))
        #expect(!Engine.reusable(rules(weak: false), identity: ("openai", "m1")), "only in that mode")
    }

    @Test("failed for a reason in the bytes: reused; for a passing reason (timeout, endpoint down): tried again")
    func failed() {
        for code in ["unsupported_type", "encrypted", "decompression_bomb", "unsafe_entry", "nested_archive"] {
            #expect(Engine.reusable(row("failed", code: code), identity: ("rules", nil)), "\(code)")
        }
        // Failures another setting or a retry may turn around: OCR switched on, a larger limit, a converter
        // that crashed once, an endpoint that was down.
        for code in ["timeout", "converter_missing", "empty_text", "too_large", "corrupt", "llm_unavailable",
                     "llm_invalid_output", "db_rejected"] {
            #expect(!Engine.reusable(row("failed", code: code), identity: ("rules", nil)), "\(code)")
        }
        #expect(!Engine.reusable(row("queued"), identity: ("rules", nil)))
    }
}
