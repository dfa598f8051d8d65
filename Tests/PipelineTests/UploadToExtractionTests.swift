@testable import Loop
@testable import HTTP1
import Foundation
import Testing
import TestSupport

/// The real `resume-ingest serve`: what is uploaded is extracted from the spool by the converter pool,
/// and stays in the spool (only the database stage may remove it).
@Suite("Upload to extraction", .serialized)
struct UploadToExtractionTests {
    private static let sample: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/bench-data/sample/files/"
    }()

    private func get(_ path: String, port: Int) throws -> TestResponse {
        let client = try TestClient(port: port)
        client.send("GET \(path) HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        return try client.readResponse()
    }

    @Test("uploaded files are extracted from the spool (counted by type of outcome) and none leaves it")
    func uploadThenExtract() async throws {
        let server = try await EngineProcess.serve(environment: ["OPENAI_API_KEY": ""])
        defer { server.kill() }
        let docx = try #require(try FileManager.default.contentsOfDirectory(atPath: Self.sample)
            .sorted().first { $0.hasSuffix(".docx") && !$0.hasPrefix("nasty") })
        var body = MultipartBody()
        body.file(filename: docx, Array(try Data(contentsOf: URL(fileURLWithPath: Self.sample + docx))))
        body.file(filename: "junk.pdf", Array(try Data(contentsOf: URL(fileURLWithPath: Self.sample + "nasty-junk.pdf"))))
        let client = try TestClient(port: server.port)
        client.send(body.request())
        #expect(try client.readResponse().status == 202)

        var metrics = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            metrics = try get("/metrics", port: server.port).text
            if metrics.contains("extract_documents_total{status=\"extracted\",extractor=\"office-xml\"} 1")
                && metrics.contains("extract_documents_total{status=\"failed\",error_code=\"unsupported_type\"} 1") {
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(metrics.contains("extract_documents_total{status=\"extracted\",extractor=\"office-xml\"} 1"), "\(metrics)")
        #expect(metrics.contains("extract_documents_total{status=\"failed\",error_code=\"unsupported_type\"} 1"))
        var status = try get("/startup-status", port: server.port)
        let parsedDeadline = Date().addingTimeInterval(10)
        while !status.text.contains("rules parser (no OPENAI_API_KEY): 1 parsed") && Date() < parsedDeadline {
            try await Task.sleep(for: .milliseconds(100))
            status = try get("/startup-status", port: server.port)
        }
        #expect(status.text.contains("\"converters\""))
        #expect(status.text.contains("1 extracted, 1 failed"))
        // The extracted document went on to the parser (the rules parser: no API key in the test).
        #expect(status.text.contains("rules parser (no OPENAI_API_KEY): 1 parsed, 0 failed"), "\(status.text)")

        server.signal(SIGTERM)
        #expect(await server.waitForExit(seconds: 20) == 0)
        // Nothing left the spool, and no converter work directory was left behind.
        #expect(TemporaryDirectory.list(server.spool + "/incoming").count == 4)
        #expect(TemporaryDirectory.list(server.spool + "/work").filter { $0 != "office" }.isEmpty)
    }
}
