import Foundation
import Testing
import TestSupport

@testable import Ingest

/// `/openapi.json`: valid OpenAPI 3.1 by a maintained validator, and in step with the routers.
@Suite("OpenAPI document")
struct OpenAPITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test("GET /openapi.json is OpenAPI 3.1 that openapi-spec-validator accepts")
    func validates() async throws {
        let server = try await TestServer()
        let client = try TestClient(port: server.port)
        _ = client.send("GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        await server.stop()
        let path = try TemporaryDirectory.make(prefix: "openapi") + "/openapi.json"
        try Data(response.body).write(to: URL(fileURLWithPath: path))
        // openapi-spec-validator (PyPI; scripts/install-deps.sh test installs it): a missing module fails here.
        let (status, output) = try await offPool { () -> (Int32, String) in
            let python = Process()
            python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            python.arguments = ["python3", "-c", """
                import json, sys
                from openapi_spec_validator import validate
                spec = json.load(open(sys.argv[1]))
                assert spec["openapi"].startswith("3.1"), spec["openapi"]
                validate(spec)
                print("valid")
                """, path]
            let pipe = Pipe()
            python.standardOutput = pipe
            python.standardError = pipe
            try python.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            python.waitUntilExit()
            return (python.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        #expect(status == 0, "\(output)")
        #expect(output.contains("valid"), "\(output)")
    }

    @Test("every route the engine's routers name is described (x-route), and every described route is served")
    func coversRoutes() throws {
        var served: Set<String> = []
        for folder in ["Sources/Ingest", "Sources/Pipeline"] {
            let base = Self.root.appendingPathComponent(folder).path
            let files = FileManager.default.enumerator(atPath: base)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".swift") {
                let text = try String(contentsOfFile: base + "/" + file, encoding: .utf8)
                for match in text.matches(of: /exchange\.route = "([a-z0-9-]+)"/) { served.insert(String(match.1)) }
            }
        }
        // Not API operations: the CORS preflight (answered for every path) and the default name.
        served.subtract(["preflight", "unmatched"])
        #expect(served.count >= 10, "the scan found the routes: \(served)")
        let spec = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any] ?? [:]
        var described: Set<String> = []
        for (_, item) in spec["paths"] as? [String: [String: Any]] ?? [:] {
            for (_, operation) in item {
                if let route = (operation as? [String: Any])?["x-route"] as? String { described.insert(route) }
            }
        }
        #expect(served.subtracting(described).isEmpty, "served but not described: \(served.subtracting(described))")
        #expect(described.subtracting(served).isEmpty, "described but not served: \(described.subtracting(served))")
    }
}
