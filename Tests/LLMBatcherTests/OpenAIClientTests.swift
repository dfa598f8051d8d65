import ResumeModel
import Foundation
@testable import Loop
import Testing

@testable import LLMBatcher

/// The hand-written request body says exactly what Foundation's serialiser would.
@Suite("OpenAI request body")
struct OpenAIClientTests {
    @Test("the body parses as JSON with the same messages, limits and response format")
    @LoopActor
    func bodyRoundTrips() throws {
        let client = OpenAIClient(http: HTTPClient(), baseURL: "http://127.0.0.1:1/v1", apiKey: "k", model: "gpt-4o-mini",
                                  temperature: 0.2, timeoutMilliseconds: 1000)
        let user = "Zoë \"Quote\" O'Brien\\ \n\ttab \u{01}\u{7F} 履歴書 </ resume>"
        for format in [OpenAIClient.ResponseFormat.jsonSchema, .jsonObject] {
            let bytes = client.requestBody(system: PromptFormat.systemMessage, user: user, maxTokens: 1234, format: format)
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
            let messages = try #require(parsed["messages"] as? [[String: String]])
            #expect(messages.map { $0["role"] } == ["system", "user"])
            #expect(messages[0]["content"] == PromptFormat.systemMessage)
            #expect(messages[1]["content"] == user)
            #expect(parsed["model"] as? String == "gpt-4o-mini")
            #expect(parsed["max_tokens"] as? Int == 1234)
            #expect(parsed["temperature"] as? Double == 0.2)
            let responseFormat = try #require(parsed["response_format"] as? [String: Any])
            #expect(responseFormat["type"] as? String == format.rawValue)
            if format == .jsonSchema {
                let schema = (responseFormat["json_schema"] as? [String: Any])?["schema"] as? [String: Any]
                #expect((schema?["required"] as? [String]) == ["results"])
            }
        }
    }
}
