import Loop

/// Completions with any conversation and any answer schema (the scorer's: a system message per job, a repair
/// turn), beside the parser's fixed prompt.
extension OpenAIClient {
    /// One message of a conversation.
    public struct Message: Sendable, Equatable {
        public var role: String
        public var content: String

        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    /// An answer schema for `response_format` `json_schema` (strict), already serialised.
    public struct AnswerSchema: Sendable {
        public var name: String
        public var json: [UInt8]

        public init(name: String, json: String) {
            self.name = name
            self.json = Array(json.utf8)
        }
    }

    /// The request body for `messages`, answered in `format` (`schema` for `json_schema`). The bytes depend
    /// only on the arguments, in order: the schema and the first messages of two requests for the same job
    /// are the same bytes (the cached prefix).
    func requestBody(messages: [Message], maxTokens: Int, format: ResponseFormat, schema: AnswerSchema) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(messages.reduce(0) { $0 + $1.content.utf8.count } + schema.json.count + 512)
        out += Array("{\"model\":".utf8)
        JSONText.appendString(model, to: &out)
        out += Array(",\"messages\":[".utf8)
        for (index, message) in messages.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += Array("{\"role\":".utf8)
            JSONText.appendString(message.role, to: &out)
            out += Array(",\"content\":".utf8)
            JSONText.appendString(message.content, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out += Array("],\"max_tokens\":\(maxTokens)".utf8)
        if let temperature, temperature.isFinite { out += Array(",\"temperature\":\(temperature)".utf8) }
        switch format {
        case .jsonSchema:
            out += Array(",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":".utf8)
            JSONText.appendString(schema.name, to: &out)
            out += Array(",\"strict\":true,\"schema\":".utf8)
            out += schema.json
            out += Array("}}}".utf8)
        case .jsonObject:
            out += Array(",\"response_format\":{\"type\":\"json_object\"}}".utf8)
        }
        return out
    }

    /// Sends one completion request for `messages`.
    public func complete(messages: [Message], maxTokens: Int, format: ResponseFormat, schema: AnswerSchema)
        async throws(HTTPClientError) -> Reply
    {
        let encodeStart = threadCPUNanoseconds()
        let payload = requestBody(messages: messages, maxTokens: maxTokens, format: format, schema: schema)
        return try await send(payload, encodeCost: threadCPUNanoseconds() - encodeStart)
    }
}
