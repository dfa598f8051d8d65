import HTTP1
import ResumeModel
import Foundation
import Loop

/// The Batch API's files and batches, in memory: `POST /v1/files` (purpose `batch`), `POST /v1/batches`,
/// `GET /v1/batches/{id}`, `GET /v1/files/{id}` and `/content`. A pure value; the simulator feeds it.
///
/// A batch is validated and answered when created (every line through the same validation and extraction as
/// `/v1/chat/completions`, without rate limits or injected faults), shows `in_progress` until the simulator
/// completes it after ``LLMSimulatorConfiguration/batchCompletionMilliseconds``, then `completed` with an
/// output file (answers with status 200) and an error file (the other answers) when there are any. A file
/// that is not valid JSONL, or names another endpoint, fails the batch with OpenAI's `errors` list.
struct SimulatorBatchStore {
    struct File {
        var id: String
        var filename: String
        var purpose: String
        var bytes: [UInt8]
        var createdAt: Int
    }

    /// A batch's lifecycle. validating → in_progress → completed, or validating → failed.
    enum Status: String {
        case validating, failed, inProgress = "in_progress", completed
    }

    struct Batch {
        var id: String
        var inputFileID: String
        var completionWindow: String
        var status: Status
        var createdAt: Int
        var inProgressAt: Int?
        var completedAt: Int?
        var failedAt: Int?
        var outputFileID: String?
        var errorFileID: String?
        var total = 0
        var completed = 0
        var failed = 0
        var metadata: Any?
        var errors: [[String: Any]] = []
        /// Output and error lines, published as files on completion.
        var output: [UInt8] = []
        var errorLines: [UInt8] = []
    }

    /// One request line's answer: HTTP status, body, request id.
    typealias Answer = (status: Int, body: [UInt8], requestID: String)

    private(set) var files: [String: File] = [:]
    private(set) var batches: [String: Batch] = [:]
    private var serial = 0

    private mutating func nextID(_ prefix: String) -> String {
        serial += 1
        let digits = String(serial, radix: 16)
        return prefix + String(repeating: "0", count: max(0, 24 - digits.count)) + digits
    }

    // MARK: Files

    mutating func addFile(filename: String, purpose: String, bytes: [UInt8], now: Int) -> File {
        let file = File(id: nextID("file-"), filename: filename, purpose: purpose, bytes: bytes, createdAt: now)
        files[file.id] = file
        return file
    }

    static func fileObject(_ file: File) -> [UInt8] {
        json(["object": "file", "id": file.id, "purpose": file.purpose, "filename": file.filename,
              "bytes": file.bytes.count, "created_at": file.createdAt, "expires_at": NSNull(), "status": "processed",
              "status_details": NSNull()])
    }

    // MARK: Batches

    /// Creates a batch from `POST /v1/batches`'s body, answering each line with `answer`; returns the batch
    /// or the refusal.
    mutating func createBatch(_ body: [UInt8], now: Int, answer: ([UInt8]) -> Answer)
        -> Result<Batch, SimulatorEngine.Refusal>
    {
        func refuse(_ status: Int, _ message: String, param: String? = nil, code: String? = nil)
            -> Result<Batch, SimulatorEngine.Refusal>
        {
            .failure(.init(response: SimulatorErrorBodies.response(status, message: message, param: param, code: code)))
        }
        guard let root = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return refuse(400, SimulatorErrorBodies.unparsableBody)
        }
        guard let inputFileID = root["input_file_id"] as? String else {
            return refuse(400, "Missing required parameter: 'input_file_id'.", param: "input_file_id",
                          code: "missing_required_parameter")
        }
        guard let endpoint = root["endpoint"] as? String, endpoint == "/v1/chat/completions" else {
            return refuse(400, "llm-sim serves batches for '/v1/chat/completions' only.", param: "endpoint")
        }
        guard let input = files[inputFileID] else {
            return refuse(404, "No such File object: \(inputFileID)", param: "id")
        }
        var batch = Batch(id: nextID("batch_"), inputFileID: inputFileID,
                          completionWindow: root["completion_window"] as? String ?? "24h", status: .validating,
                          createdAt: now)
        batch.metadata = root["metadata"]

        var lines: [(customID: String, body: [UInt8])] = []
        var seen = Set<String>()
        for (index, line) in input.bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == 0x20 || $0 == 0x0D }
            if trimmed.isEmpty { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed))) as? [String: Any],
                  let customID = object["custom_id"] as? String, let requestBody = object["body"] as? [String: Any]
            else {
                batch.errors.append(["code": "invalid_json_line", "param": NSNull(), "line": index + 1,
                                     "message": "This line is not parseable as valid JSON."])
                continue
            }
            guard (object["url"] as? String) == "/v1/chat/completions", (object["method"] as? String) == "POST" else {
                batch.errors.append(["code": "invalid_url", "message": "The URL provided for this request does not "
                                         + "match the batch endpoint.", "param": "url", "line": index + 1])
                continue
            }
            guard seen.insert(customID).inserted else {
                batch.errors.append(["code": "duplicate_custom_id", "message": "The custom_id for this request is a "
                                         + "duplicate of another request.", "param": "custom_id", "line": index + 1])
                continue
            }
            lines.append((customID, Array((try? JSONSerialization.data(withJSONObject: requestBody)) ?? Data())))
        }
        if lines.isEmpty && batch.errors.isEmpty {
            batch.errors.append(["code": "empty_file", "message": "The input file is empty.", "param": NSNull(),
                                 "line": NSNull()])
        }
        if !batch.errors.isEmpty {
            batch.status = .failed
            batch.failedAt = now
            batches[batch.id] = batch
            return .success(batch)
        }
        batch.status = .inProgress
        batch.inProgressAt = now
        batch.total = lines.count
        for line in lines {
            let result = answer(line.body)
            let body = (try? JSONSerialization.jsonObject(with: Data(result.body))) ?? [String: Any]()
            let record: [String: Any] = [
                "id": nextID("batch_req_"), "custom_id": line.customID,
                "response": ["status_code": result.status, "request_id": result.requestID, "body": body],
                "error": NSNull(),
            ]
            if result.status == 200 {
                batch.completed += 1
                batch.output += Self.json(record)
            } else {
                batch.failed += 1
                batch.errorLines += Self.json(record)
            }
        }
        batches[batch.id] = batch
        return .success(batch)
    }

    /// Publishes the answers of an `in_progress` batch and marks it `completed`.
    mutating func complete(_ id: String, now: Int) {
        guard var batch = batches[id], batch.status == .inProgress else { return }
        if !batch.output.isEmpty {
            batch.outputFileID = addFile(filename: "batch_output.jsonl", purpose: "batch_output", bytes: batch.output,
                                         now: now).id
        }
        if !batch.errorLines.isEmpty {
            batch.errorFileID = addFile(filename: "batch_errors.jsonl", purpose: "batch_output",
                                        bytes: batch.errorLines, now: now).id
        }
        batch.output = []
        batch.errorLines = []
        batch.status = .completed
        batch.completedAt = now
        batches[id] = batch
    }

    static func batchObject(_ b: Batch) -> [UInt8] {
        func time(_ t: Int?) -> Any { t.map { $0 as Any } ?? NSNull() }
        return json([
            "id": b.id, "object": "batch", "endpoint": "/v1/chat/completions",
            "errors": b.errors.isEmpty ? NSNull() : ["object": "list", "data": b.errors] as [String: Any],
            "input_file_id": b.inputFileID, "completion_window": b.completionWindow, "status": b.status.rawValue,
            "output_file_id": b.outputFileID ?? NSNull(), "error_file_id": b.errorFileID ?? NSNull(),
            "created_at": b.createdAt, "in_progress_at": time(b.inProgressAt), "expires_at": b.createdAt + 86_400,
            "finalizing_at": time(b.completedAt), "completed_at": time(b.completedAt), "failed_at": time(b.failedAt),
            "expired_at": NSNull(), "cancelling_at": NSNull(), "cancelled_at": NSNull(),
            "request_counts": ["total": b.total, "completed": b.completed, "failed": b.failed],
            "metadata": b.metadata ?? NSNull(),
        ])
    }

    /// One JSON line.
    static func json(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()) + [0x0A]
    }
}
