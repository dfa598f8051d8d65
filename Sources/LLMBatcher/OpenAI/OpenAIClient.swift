import ResumeModel
import Foundation
import Loop

/// One Chat Completions call to an OpenAI-compatible endpoint, and what came back, decoded.
@LoopActor
public final class OpenAIClient {
    /// How the answer's format is requested.
    public enum ResponseFormat: String, Sendable {
        /// Structured outputs: the answer schema, strict.
        case jsonSchema = "json_schema"
        /// JSON mode: any JSON object (the schema is in the instructions).
        case jsonObject = "json_object"
    }

    /// What an HTTP exchange with the endpoint produced.
    public struct Reply: Sendable {
        public var status: Int
        /// The assistant message's content (200 only).
        public var content: String?
        public var finishReason: String?
        public var promptTokens: Int?
        public var completionTokens: Int?
        public var cachedTokens: Int?
        /// The error object of a non-200 answer.
        public var error: OpenAIError?
        /// Rate-limit headers (every answer carries them).
        public var rateLimits: RateLimitHeaders
        /// The body was not the JSON it should be.
        public var malformed: Bool
        /// Loop-thread CPU spent encoding the request and decoding this reply.
        public var cpuNanoseconds: UInt64 = 0
    }

    let http: HTTPClient
    /// The base URL without a trailing slash (`…/v1`).
    let base: String
    let url: String
    let apiKey: String
    public let model: String
    let temperature: Double?
    let timeoutMilliseconds: Int

    public init(http: HTTPClient, baseURL: String, apiKey: String, model: String, temperature: Double?,
                timeoutMilliseconds: Int) {
        self.http = http
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
        self.url = base + "/chat/completions"
        self.apiKey = apiKey
        self.model = model
        self.temperature = temperature
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// The request body as JSON bytes (also the `body` of a Batch API line), written by hand (the hot path:
    /// Foundation's serialiser bridges every string through NSString) with the answer schema spliced in
    /// already serialised.
    func requestBody(system: String, user: String, maxTokens: Int, format: ResponseFormat) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(user.utf8.count + system.utf8.count + Self.schemaJSON.count + 512)
        out += Array("{\"model\":".utf8)
        JSONText.appendString(model, to: &out)
        out += Array(",\"messages\":[{\"role\":\"system\",\"content\":".utf8)
        if system == PromptFormat.systemMessage {
            out += Self.systemJSON
        } else {
            JSONText.appendString(system, to: &out)
        }
        out += Array("},{\"role\":\"user\",\"content\":".utf8)
        JSONText.appendString(user, to: &out)
        out += Array("}],\"max_tokens\":\(maxTokens)".utf8)
        if let temperature, temperature.isFinite { out += Array(",\"temperature\":\(temperature)".utf8) }
        switch format {
        case .jsonSchema:
            out += Array(",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"resumes\",\"strict\":true,\"schema\":".utf8)
            out += Self.schemaJSON
            out += Array("}}}".utf8)
        case .jsonObject:
            out += Array(",\"response_format\":{\"type\":\"json_object\"}}".utf8)
        }
        return out
    }

    private static let systemJSON: [UInt8] = {
        var out: [UInt8] = []
        JSONText.appendString(PromptFormat.systemMessage, to: &out)
        return out
    }()

    private static let schemaJSON = Array(PromptFormat.answerSchemaJSON.utf8)

    /// Sends one completion request.
    public func complete(system: String, user: String, maxTokens: Int, format: ResponseFormat)
        async throws(HTTPClientError) -> Reply
    {
        let encodeStart = threadCPUNanoseconds()
        let payload = requestBody(system: system, user: user, maxTokens: maxTokens, format: format)
        return try await send(payload, encodeCost: threadCPUNanoseconds() - encodeStart)
    }

    /// Posts an encoded request body and decodes the answer, with the CPU both ends took (`encodeCost` the
    /// caller's).
    func send(_ payload: [UInt8], encodeCost: UInt64) async throws(HTTPClientError) -> Reply {
        let response = try await http.send(HTTPClientRequest(
            url: url,
            headers: [("Authorization", "Bearer \(apiKey)"), ("Content-Type", "application/json")],
            body: payload, timeoutMilliseconds: timeoutMilliseconds))
        let decodeStart = threadCPUNanoseconds()
        var reply = Self.decode(response)
        reply.cpuNanoseconds = encodeCost + threadCPUNanoseconds() - decodeStart
        return reply
    }

    static func decode(_ response: HTTPClientResponse) -> Reply {
        var reply = Reply(status: response.status, content: nil, finishReason: nil, promptTokens: nil,
                          completionTokens: nil, cachedTokens: nil, error: nil,
                          rateLimits: RateLimitHeaders.parse { response.header($0) }, malformed: false)
        guard response.status == 200 else {
            reply.error = OpenAIError.parse(response.body)
            reply.malformed = reply.error == nil
            return reply
        }
        guard let completion = try? JSONDecoder().decode(Completion.self, from: Data(response.body)),
              let first = completion.choices?.first, let message = first.message
        else {
            reply.malformed = true
            return reply
        }
        reply.content = message.content
        reply.finishReason = first.finish_reason
        reply.promptTokens = completion.usage?.prompt_tokens
        reply.completionTokens = completion.usage?.completion_tokens
        reply.cachedTokens = completion.usage?.prompt_tokens_details?.cached_tokens
        return reply
    }

    /// The parts of a `chat.completion` the batcher reads.
    private struct Completion: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable { var content: String? }
            var message: Message?
            var finish_reason: String?
        }
        struct Usage: Decodable {
            struct Details: Decodable { var cached_tokens: Int? }
            var prompt_tokens: Int?
            var completion_tokens: Int?
            var prompt_tokens_details: Details?
        }
        var choices: [Choice]?
        var usage: Usage?
    }

}
