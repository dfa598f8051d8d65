import HTTP1
import ResumeModel
import Foundation
import Loop

#if canImport(Glibc)
import Glibc
#endif

/// The Batch API and the other routes outside Chat Completions.
extension LLMSimulator {
    /// Answers with `make()` after the key check, with the rate-limit headers.
    func reply(_ exchange: HTTPExchange, authenticated: Bool = true, _ make: () -> HTTPResponse) {
        var response = (authenticated ? engine.refuseUnauthorized(exchange.head.headers.first("authorization")) : nil)
            ?? make()
        response.headers += engine.rateLimitHeaders(now: now())
        exchange.respond(response)
    }

    func models() -> HTTPResponse {
        var model = JSONText.Object()
        model.string("id", configuration.model)
        model.string("object", "model")
        model.int("created", 1_721_172_741)
        model.string("owned_by", "system")
        var list = JSONText.Object()
        list.string("object", "list")
        list.array("data", [model])
        return .json(200, list.finished() + [0x0A])
    }

    /// `POST /v1/files`: a multipart form with `purpose` and `file`.
    func uploadFile(_ exchange: HTTPExchange, body: [UInt8]) {
        reply(exchange) {
            guard let contentType = exchange.head.headers.first("content-type"),
                  let boundary = MultipartParser.boundary(fromContentType: contentType) else {
                return SimulatorErrorBodies.response(400, message: "Expected a multipart/form-data body.")
            }
            var parts: [(head: MultipartPartHead, bytes: [UInt8])] = []
            // Parsed in a closure that returns the error rather than throwing it: a typed-throws closure passed to
            // `withUnsafeBytes` crashes IRGen in Swift 6.3.1 (reabstraction thunk for `throws(MultipartError)`).
            let failure = body.withUnsafeBytes { raw -> MultipartError? in
                do throws(MultipartError) {
                    var parser = try MultipartParser(boundary: boundary)
                    try parser.parse(raw) { event in
                        switch event {
                        case .partBegin(let head): parts.append((head, []))
                        case .body(let bytes): parts[parts.count - 1].bytes += bytes
                        case .partEnd, .end: break
                        }
                    }
                    try parser.finish()
                    return nil
                } catch {
                    return error
                }
            }
            if let failure {
                return SimulatorErrorBodies.response(400, message: "The multipart body is malformed: \(failure).")
            }
            guard let purposePart = parts.first(where: { $0.head.name == "purpose" }) else {
                return SimulatorErrorBodies.response(400, message: "Missing required parameter: 'purpose'.",
                                                     param: "purpose", code: "missing_required_parameter")
            }
            let purpose = String(decoding: purposePart.bytes, as: UTF8.self)
            guard let file = parts.first(where: { $0.head.name == "file" }) else {
                return SimulatorErrorBodies.response(400, message: "Missing required parameter: 'file'.",
                                                     param: "file", code: "missing_required_parameter")
            }
            let stored = batchStore.addFile(filename: file.head.filename ?? "upload.jsonl", purpose: purpose,
                                            bytes: file.bytes, now: clock.unixSeconds())
            return .json(200, SimulatorBatchStore.fileObject(stored))
        }
    }

    /// `GET /v1/files/{id}` and `/content`.
    func file(_ id: String, content: Bool) -> HTTPResponse {
        guard let file = batchStore.files[id] else {
            return SimulatorErrorBodies.response(404, message: "No such File object: \(id)", param: "id")
        }
        if content {
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], body: file.bytes)
        }
        return .json(200, SimulatorBatchStore.fileObject(file))
    }

    /// `POST /v1/batches`: answers every line now (no rate limits, no faults) and completes the batch after
    /// ``LLMSimulatorConfiguration/batchCompletionMilliseconds``.
    func createBatch(_ exchange: HTTPExchange, body: [UInt8]) {
        reply(exchange) {
            let now = clock.unixSeconds()
            let result = batchStore.createBatch(body, now: now) { line in
                engine.counters.batchRequests += 1
                let requestID = engine.nextRequestID()
                switch engine.validate(line) {
                case .failure(let refusal):
                    return (refusal.response.status, refusal.response.body, requestID)
                case .success(let validated):
                    // No prompt caching in a batch: OpenAI cookbook "Prompt Caching 201" says caching on the Batch
                    // API does not cover pre-GPT-5 models (gpt-4o-mini among them).
                    return (200, engine.generate(validated, cached: 0, unixTime: now, garbage: nil).body, requestID)
                }
            }
            switch result {
            case .failure(let refusal):
                return refusal.response
            case .success(let batch):
                engine.counters.batchesCreated += 1
                if batch.status == .inProgress { scheduleBatchCompletion(batch.id) }
                return .json(200, SimulatorBatchStore.batchObject(batch))
            }
        }
    }

    /// `GET /v1/batches/{id}`.
    func batch(_ id: String) -> HTTPResponse {
        guard let batch = batchStore.batches[id] else {
            return SimulatorErrorBodies.response(404, message: "No batch found with id '\(id)'.", param: "batch_id")
        }
        return .json(200, SimulatorBatchStore.batchObject(batch))
    }
}
