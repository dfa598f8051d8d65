import Foundation
import Testing
import TestSupport

@testable import Ingest

/// `CORS_ORIGINS`: listed origins get their CORS headers and preflights; others get none.
@Suite("CORS")
struct CORSTests {
    @Test("a listed origin's preflight is 204 with the allowed methods and headers, and its requests carry Allow-Origin; an unlisted origin gets no CORS header")
    func origins() async throws {
        let server = try await TestServer { $0.auth.corsOrigins = ["https://ats.example.com"] }
        let client = try TestClient(port: server.port)
        _ = client.send("""
            OPTIONS /api/v1/bulk-parse-resumes HTTP/1.1\r\nHost: x\r\nOrigin: https://ats.example.com\r\n\
            Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, idempotency-key\r\n\r\n
            """)
        let preflight = try client.readResponse()
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == "https://ats.example.com")
        #expect(preflight.header("Access-Control-Allow-Methods")?.contains("POST") == true)
        #expect(preflight.header("Access-Control-Allow-Headers")?.contains("Idempotency-Key") == true)
        #expect(preflight.header("Vary") == "Origin")

        _ = client.send("GET /health HTTP/1.1\r\nHost: x\r\nOrigin: https://ats.example.com\r\n\r\n")
        let health = try client.readResponse()
        #expect(health.status == 200)
        #expect(health.header("Access-Control-Allow-Origin") == "https://ats.example.com")
        #expect(health.header("Access-Control-Expose-Headers")?.contains("Next-Cursor") == true)

        _ = client.send("GET /health HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example.net\r\n\r\n")
        let other = try client.readResponse()
        #expect(other.status == 200)
        #expect(other.header("Access-Control-Allow-Origin") == nil)
        _ = client.send("""
            OPTIONS /api/v1/bulk-parse-resumes HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example.net\r\n\
            Access-Control-Request-Method: POST\r\n\r\n
            """)
        let refused = try client.readResponse()
        #expect(refused.status == 405, "no preflight for an unlisted origin: the route's own answer")
        #expect(refused.header("Access-Control-Allow-Origin") == nil)
        await server.stop()
    }
}
