import Foundation
import Loop

/// The Batch API (`/v1/files` with purpose `batch`, `/v1/batches`): requests written as JSONL, answered
/// within the completion window at half the price of Chat Completions.
extension OpenAIClient {
    /// A batch object, as far as the batcher reads it.
    public struct BatchObject: Sendable, Equatable {
        /// `validating`, `in_progress`, `finalizing`, `completed`, `failed`, `expired`, `cancelling`,
        /// `cancelled`.
        public var id: String
        public var status: String
        public var outputFileID: String?
        public var errorFileID: String?
        /// The batch-level errors of a `failed` batch (`code: message`).
        public var errors: [String]

        /// The batch will not change any more: read its files.
        public var isFinished: Bool { ["completed", "failed", "expired", "cancelled"].contains(status) }
    }

    /// One answer of a batch's output or error file.
    public struct BatchAnswer: Sendable {
        public var customID: String
        /// The Chat Completions answer, decoded as a direct call's would be; `nil` when the line carries only
        /// an `error` (the request was never run).
        public var reply: Reply?
        /// The line's own `error` (`code: message`).
        public var error: String?
    }

    /// What a Batch API call produced: the decoded value, or the status and error of a refusal.
    public enum BatchResult<Value: Sendable>: Sendable {
        case success(Value)
        case refused(status: Int, error: OpenAIError?)
    }

    /// One line of a batch input file: the request body is the one ``complete(system:user:maxTokens:format:)``
    /// would send.
    func appendBatchLine(customID: String, system: String, user: String, maxTokens: Int, format: ResponseFormat,
                         to out: inout [UInt8]) {
        out += Array("{\"custom_id\":".utf8)
        JSONText.appendString(customID, to: &out)
        out += Array(",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":".utf8)
        out += requestBody(system: system, user: user, maxTokens: maxTokens, format: format)
        out += Array("}\n".utf8)
    }

    /// `POST /files` with purpose `batch`: uploads a JSONL file, returns its id.
    public func uploadBatchFile(_ jsonl: [UInt8], filename: String) async throws(HTTPClientError)
        -> BatchResult<String>
    {
        let boundary = "resume-ingest-" + String(UInt64.random(in: 1...UInt64.max), radix: 36)
        var body: [UInt8] = []
        body.reserveCapacity(jsonl.count + 512)
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n".utf8)
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n".utf8)
        body += Array("Content-Type: application/jsonl\r\n\r\n".utf8)
        body += jsonl
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        let response = try await http.send(HTTPClientRequest(
            url: base + "/files",
            headers: [("Authorization", "Bearer \(apiKey)"),
                      ("Content-Type", "multipart/form-data; boundary=\(boundary)")],
            body: body, timeoutMilliseconds: max(timeoutMilliseconds, 300_000)))
        return Self.decodeObject(response) { $0["id"] as? String }
    }

    /// `POST /batches` for Chat Completions with a 24 h window.
    public func createBatch(inputFileID: String) async throws(HTTPClientError) -> BatchResult<BatchObject> {
        var body: [UInt8] = Array("{\"input_file_id\":".utf8)
        JSONText.appendString(inputFileID, to: &body)
        body += Array(",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}".utf8)
        let response = try await http.send(HTTPClientRequest(
            url: base + "/batches",
            headers: [("Authorization", "Bearer \(apiKey)"), ("Content-Type", "application/json")],
            body: body, timeoutMilliseconds: timeoutMilliseconds))
        return Self.decodeObject(response, Self.batchObject)
    }

    /// `GET /batches/{id}`.
    public func batch(_ id: String) async throws(HTTPClientError) -> BatchResult<BatchObject> {
        let response = try await http.send(HTTPClientRequest(
            method: "GET", url: base + "/batches/" + id, headers: [("Authorization", "Bearer \(apiKey)")],
            timeoutMilliseconds: timeoutMilliseconds))
        return Self.decodeObject(response, Self.batchObject)
    }

    /// `GET /files/{id}/content`, split into answers. A line that is not an answer is skipped: its request
    /// then counts as unanswered and is sent again.
    public func batchAnswers(fileID: String) async throws(HTTPClientError) -> BatchResult<[BatchAnswer]> {
        let response = try await http.send(HTTPClientRequest(
            method: "GET", url: base + "/files/" + fileID + "/content",
            headers: [("Authorization", "Bearer \(apiKey)")],
            timeoutMilliseconds: max(timeoutMilliseconds, 300_000), maxResponseBytes: 1 << 30))
        guard response.status == 200 else {
            return .refused(status: response.status, error: OpenAIError.parse(response.body))
        }
        var answers: [BatchAnswer] = []
        for line in response.body.split(separator: 0x0A) where !line.isEmpty {
            if let answer = Self.batchAnswer(Array(line)) { answers.append(answer) }
        }
        return .success(answers)
    }

    static func batchAnswer(_ line: [UInt8]) -> BatchAnswer? {
        guard let root = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
              let customID = root["custom_id"] as? String else { return nil }
        var answer = BatchAnswer(customID: customID)
        if let error = root["error"] as? [String: Any] {
            answer.error = "\(error["code"] as? String ?? "error"): \(error["message"] as? String ?? "")"
        }
        if let response = root["response"] as? [String: Any], let status = response["status_code"] as? Int,
           let body = response["body"], let data = try? JSONSerialization.data(withJSONObject: body) {
            answer.reply = decode(HTTPClientResponse(status: status, headers: [], body: Array(data)))
        }
        return answer.reply == nil && answer.error == nil ? nil : answer
    }

    static func batchObject(_ root: [String: Any]) -> BatchObject? {
        guard let id = root["id"] as? String, let status = root["status"] as? String else { return nil }
        let errors = ((root["errors"] as? [String: Any])?["data"] as? [[String: Any]] ?? []).map {
            "\($0["code"] as? String ?? "error"): \($0["message"] as? String ?? "")"
                + (($0["line"] as? Int).map { " (line \($0))" } ?? "")
        }
        return BatchObject(id: id, status: status, outputFileID: root["output_file_id"] as? String,
                           errorFileID: root["error_file_id"] as? String, errors: errors)
    }

    private static func decodeObject<Value>(_ response: HTTPClientResponse, _ read: ([String: Any]) -> Value?)
        -> BatchResult<Value>
    {
        guard response.status == 200 else {
            return .refused(status: response.status, error: OpenAIError.parse(response.body))
        }
        guard let root = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any],
              let value = read(root) else {
            return .refused(status: 200, error: OpenAIError(message: "the answer is not the JSON object expected"))
        }
        return .success(value)
    }
}
