import Foundation
import Testing
import TestSupport

@testable import Ingest

/// `AUTH_REQUIRED`: no open mode, whatever the database says or cannot say.
@Suite("AUTH_REQUIRED")
struct AuthRequiredTests {
    @Test("AUTH_REQUIRED: with no key issued and no database, a request without credentials is 401 missing_credentials and stores nothing")
    func authRequired() async throws {
        let server = try await TestServer { $0.auth.required = true }
        var body = MultipartBody()
        body.file(filename: "a.txt", Array("Ada Lovelace\nada@example.com\n".utf8))
        let client = try TestClient(port: server.port)
        _ = client.send(body.request())
        let response = try client.readResponse()
        #expect(response.status == 401)
        #expect(response.text.contains("missing_credentials"), "\(response.text)")
        #expect(server.incoming().isEmpty)
        await server.stop()
    }
}
