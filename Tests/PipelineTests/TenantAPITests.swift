import Crypto
import Foundation
import Loop
@testable import Pipeline
import Testing
import TestSupport

/// Tenants, keys, JWTs, isolation, limits and the results API, against `serve` with a real PostgreSQL, over
/// real sockets (curl).
@Suite("tenants and the results API")
struct TenantAPITests {
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("bench-data/sample/files").path
    static let secret = "test-jwt-secret-of-32-bytes-or-more"

    // MARK: Helpers

    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var errorMessage: String? { (json["error"] as? [String: Any])?["message"] as? String }
    }

    /// curl with the status and headers kept.
    static func call(_ serve: EngineProcess, _ method: String, _ path: String, token: String? = nil,
                     files: [String] = [], extra: [String] = []) throws -> Answer {
        let headersFile = try TemporaryDirectory.make(prefix: "hdr") + "/h"
        var args = ["-X", method, "-D", headersFile, "-o", "-"]
        if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        for f in files { args += ["-F", "files=@\(sample)/\(f)"] }
        args += extra
        args.append("http://127.0.0.1:\(serve.port)\(path)")
        let body = try serve.curl(args)
        let raw = (try? String(contentsOfFile: headersFile, encoding: .utf8)) ?? ""
        var headers: [String: String] = [:]
        var status = 0
        for line in raw.split(separator: "\r\n") {
            if line.hasPrefix("HTTP/1.1 ") { status = Int(line.split(separator: " ")[1]) ?? 0; headers = [:]; continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: status, headers: headers, body: body)
    }

    /// `resume-ingest ARGS…` against `url`; its standard output.
    static func cli(_ arguments: [String], url: String) async throws -> (status: Int32?, output: String) {
        let run = try EngineProcess(arguments, environment: ["DATABASE_URL": url])
        let status = await run.waitForExit(seconds: 60)
        return (status, run.standardOutput)
    }

    /// A tenant and its first key.
    static func tenant(_ name: String, url: String, _ options: [String] = []) async throws -> String {
        let (status, output) = try await cli(["tenant", "create", name, "--json"] + options, url: url)
        #expect(status == 0, "\(output)")
        let json = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        return try #require(json?["api_key"] as? String, "\(output)")
    }

    static func base64url(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// A JWT with `header` and `claims`, signed HS256 with `secret`.
    static func jwt(header: [String: Any] = ["alg": "HS256", "typ": "JWT"], claims: [String: Any],
                    secret: String = secret) throws -> String {
        let h = base64url(try JSONSerialization.data(withJSONObject: header, options: .sortedKeys))
        let c = base64url(try JSONSerialization.data(withJSONObject: claims, options: .sortedKeys))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(h).\(c)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "\(h).\(c).\(base64url(mac))"
    }

    static func rows(_ url: String, tenant: String, _ sql: String) throws -> [String] {
        try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = '\(tenant)'), false);
            \(sql);
            """).split(separator: "\n", omittingEmptySubsequences: false).dropFirst().map(String.init)
    }

    /// Waits until batch `id` of `token`'s tenant completes; its JSON.
    static func completed(_ serve: EngineProcess, batch id: String, token: String?) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(120)
        var last: Answer?
        while Date() < deadline {
            let answer = try call(serve, "GET", "/api/v1/batches/\(id)", token: token)
            last = answer
            if answer.json["completed"] as? Bool == true { return answer.json }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure("batch \(id) did not complete: \(last?.body ?? "")\n\(serve.log)")
    }

    // MARK: Tests

    @Test("before any key is issued, uploads without credentials are tenant default's; once one is, they are 401 missing_credentials and nothing is stored")
    func openUntilKeysExist() async throws {
        let url = try TestDatabase.freshDatabase("api_open")
        defer { try? TestDatabase.dropDatabase(url) }
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url, "AUTH_CACHE_SECONDS": "0"])
        let open = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", files: ["0012-noor-de-vries.txt"])
        #expect(open.status == 202, "\(open.body)")
        let batch = try #require(open.json["batch_id"] as? String)
        let done = try await Self.completed(serve, batch: batch, token: nil)
        #expect((done["counts"] as? [String: Any])?["parsed"] as? Int == 1, "\(done)")
        _ = try await Self.tenant("acme", url: url)
        let closed = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", files: ["0013-sophia-ward.html"])
        #expect(closed.status == 401)
        #expect(closed.errorCode == "missing_credentials", "\(closed.body)")
        #expect(closed.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        #expect(try Self.rows(url, tenant: "default", "SELECT count(*) FROM batch_items") == ["1"])
        #expect(serve.spooled.isEmpty, "\(serve.spooled)")
        #expect(await serve.stop() == 0, "\(serve.log)")
    }

    @Test("API keys and JWTs: a wrong or revoked key, an expired JWT, alg none, RS256 signed with the HMAC secret, no tenant claim and an unknown tenant are each 401 with their code; nothing is stored for them")
    func credentials() async throws {
        let url = try TestDatabase.freshDatabase("api_auth")
        defer { try? TestDatabase.dropDatabase(url) }
        let key = try await Self.tenant("acme", url: url)
        let serve = try await EngineProcess.serve(environment: [
            "DATABASE_URL": url, "AUTH_CACHE_SECONDS": "0", "JWT_SECRET": Self.secret])
        let file = ["0012-noor-de-vries.txt"]
        let ok = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: key, files: file)
        #expect(ok.status == 202, "\(ok.body)")

        let now = Int(Date().timeIntervalSince1970)
        let refused: [(String, String, String)] = [
            ("no key", "", "missing_credentials"),
            ("a wrong key", "ri_" + String(repeating: "x", count: 43), "invalid_api_key"),
            ("an expired JWT", try Self.jwt(claims: ["tenant": "acme", "exp": now - 3600]), "token_expired"),
            ("a JWT without exp", try Self.jwt(claims: ["tenant": "acme"]), "invalid_token"),
            ("alg none", Self.base64url(Data(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "."
                + Self.base64url(Data(#"{"exp":\#(now + 600),"tenant":"acme"}"#.utf8)) + ".", "invalid_token"),
            ("RS256 signed with the HMAC secret",
             try Self.jwt(header: ["alg": "RS256", "typ": "JWT"], claims: ["tenant": "acme", "exp": now + 600]),
             "invalid_token"),
            ("a JWT signed with another secret",
             try Self.jwt(claims: ["tenant": "acme", "exp": now + 600], secret: "another"), "invalid_token"),
            ("a JWT without a tenant", try Self.jwt(claims: ["exp": now + 600]), "invalid_token"),
            ("a JWT for an unknown tenant", try Self.jwt(claims: ["tenant": "nobody", "exp": now + 600]), "unknown_tenant"),
        ]
        for (what, token, code) in refused {
            let answer = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: token.isEmpty ? nil : token,
                                       files: ["0013-sophia-ward.html"])
            #expect(answer.status == 401, "\(what): \(answer.body)")
            #expect(answer.errorCode == code, "\(what): \(answer.body)")
        }
        let jwt = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes",
                                token: try Self.jwt(claims: ["tenant": "acme", "exp": now + 600]),
                                files: ["0003-youssef-haddad.docx"])
        #expect(jwt.status == 202, "a valid JWT: \(jwt.body)")
        // A JWT that expired 30 s ago is still inside the 60 s of allowed clock skew.
        let skewed = try Self.call(serve, "GET", "/api/v1/tenant",
                                   token: try Self.jwt(claims: ["tenant": "acme", "exp": now - 30]))
        #expect(skewed.status == 200, "\(skewed.body)")
        #expect(skewed.json["tenant"] as? String == "acme")

        // Revoked: the key's id from `key list`, then 401 revoked_api_key (AUTH_CACHE_SECONDS=0: at once).
        let list = try await Self.cli(["key", "list", "acme"], url: url)
        let id = try #require(list.output.split(separator: "\t").first.map(String.init), "\(list.output)")
        let revoke = try await Self.cli(["key", "revoke", id], url: url)
        #expect(revoke.status == 0, "\(revoke.output)")
        let gone = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: key, files: ["0013-sophia-ward.html"])
        #expect(gone.status == 401)
        #expect(gone.errorCode == "revoked_api_key", "\(gone.body)")

        // Only the two accepted uploads were stored: their two items, nothing of the refused ones.
        let deadline = Date().addingTimeInterval(60)
        var items: [String] = []
        while Date() < deadline {
            items = try Self.rows(url, tenant: "acme", "SELECT filename FROM batch_items ORDER BY filename")
            if items.count == 2 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(items == ["0003-youssef-haddad.docx", "0012-noor-de-vries.txt"], "\(items)")
        #expect(try Self.rows(url, tenant: "default", "SELECT count(*) FROM batch_items") == ["0"])
        #expect(await serve.stop() == 0, "\(serve.log)")
    }

    @Test("another tenant's batch, results and document are 404 (never 403), its delete erases nothing, and row-level security hides the rows in the database itself")
    func isolation() async throws {
        let url = try TestDatabase.freshDatabase("api_isolation")
        defer { try? TestDatabase.dropDatabase(url) }
        let acme = try await Self.tenant("acme", url: url)
        let beta = try await Self.tenant("beta", url: url)
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50"])
        let up = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: acme,
                               files: ["0012-noor-de-vries.txt", "0013-sophia-ward.html"])
        #expect(up.status == 202, "\(up.body)")
        let batch = try #require(up.json["batch_id"] as? String)
        let document = try #require((up.json["files"] as? [[String: Any]])?.first?["id"] as? String)
        _ = try await Self.completed(serve, batch: batch, token: acme)

        for (method, path) in [("GET", "/api/v1/batches/\(batch)"), ("GET", "/api/v1/batches/\(batch)/results"),
                               ("GET", "/api/v1/documents/\(document)"), ("DELETE", "/api/v1/documents/\(document)")] {
            let answer = try Self.call(serve, method, path, token: beta)
            #expect(answer.status == 404, "\(method) \(path) as beta: \(answer.body)")
            #expect(answer.errorCode == "not_found")
            #expect(!answer.body.contains("0012"), "nothing of acme's leaks: \(answer.body)")
        }
        let mine = try Self.call(serve, "GET", "/api/v1/documents/\(document)", token: acme)
        #expect(mine.status == 200, "\(mine.body)")
        #expect(mine.json["status"] as? String == "parsed", "\(mine.body)")
        #expect(try Self.rows(url, tenant: "acme", "SELECT count(*) FROM documents") == ["2"])
        // The database itself: with beta's tenant set, acme's rows are not there, whatever the query says.
        #expect(try Self.rows(url, tenant: "beta", "SELECT count(*) FROM documents") == ["0"])
        #expect(try Self.rows(url, tenant: "beta", "SELECT count(*) FROM batch_items WHERE batch_id = '\(batch)'") == ["0"])
        #expect(try Self.rows(url, tenant: "beta", "SELECT count(*) FROM batches") == ["0"])
        #expect(await serve.stop() == 0, "\(serve.log)")
    }

    @Test("over its rate a tenant gets 429 with Retry-After and nothing is stored; over its monthly limit 402 \"Monthly document limit reached (2/2)\" and nothing is stored")
    func limits() async throws {
        let url = try TestDatabase.freshDatabase("api_limits")
        defer { try? TestDatabase.dropDatabase(url) }
        let slow = try await Self.tenant("slow", url: url, ["--rate", "1/s"])
        let small = try await Self.tenant("small", url: url, ["--monthly-limit", "2"])
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50"])

        // Rate: the bucket holds one request; the next ones within the second are refused.
        var statuses: [Int] = []
        var limited: Answer?
        for _ in 0..<3 {
            let answer = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: slow,
                                       files: ["0012-noor-de-vries.txt"])
            statuses.append(answer.status)
            if answer.status == 429 { limited = answer }
        }
        #expect(statuses.first == 202, "\(statuses)")
        let refusal = try #require(limited, "three requests at once against 1/s: \(statuses)")
        #expect(refusal.errorCode == "rate_limited", "\(refusal.body)")
        #expect(Int(refusal.headers["retry-after"] ?? "") ?? 0 >= 1, "\(refusal.headers)")
        let accepted = statuses.filter { $0 == 202 }.count
        try await Task.sleep(for: .seconds(1))
        #expect(try Self.rows(url, tenant: "slow", "SELECT count(*) FROM batch_items") == ["\(accepted)"])

        // Quota: two documents pass, the third is refused whole and kept nowhere.
        let two = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: small,
                                files: ["0012-noor-de-vries.txt", "0013-sophia-ward.html"])
        #expect(two.status == 202, "\(two.body)")
        let spooledBefore = serve.spooled.count
        let third = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: small,
                                  files: ["0003-youssef-haddad.docx"])
        #expect(third.status == 402, "\(third.body)")
        #expect(third.errorCode == "quota_exceeded")
        #expect(third.errorMessage == "Monthly document limit reached (2/2)", "\(third.body)")
        #expect(serve.spooled.count <= spooledBefore, "the refused file never reached the spool")
        // Refused again at once, before the body is read.
        let again = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: small,
                                  files: ["0003-youssef-haddad.docx"])
        #expect(again.status == 402, "\(again.body)")
        _ = try await Self.completed(serve, batch: try #require(two.json["batch_id"] as? String), token: small)
        #expect(try Self.rows(url, tenant: "small", "SELECT filename FROM batch_items ORDER BY filename")
                    == ["0012-noor-de-vries.txt", "0013-sophia-ward.html"])
        #expect(try Self.rows(url, tenant: "small", "SELECT documents FROM tenant_usage") == ["2"])
        #expect(await serve.stop() == 0, "\(serve.log)")
    }

    @Test("a batch's status, its NDJSON results page by page, a re-upload resolving to the stored row as a duplicate, and an erasure that removes the row and every item of its content, recounting the batch")
    func resultsAndErasure() async throws {
        let url = try TestDatabase.freshDatabase("api_results")
        defer { try? TestDatabase.dropDatabase(url) }
        let key = try await Self.tenant("acme", url: url)
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50"])
        let first = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: key,
                                  files: ["0012-noor-de-vries.txt"])
        _ = try await Self.completed(serve, batch: try #require(first.json["batch_id"] as? String), token: key)
        let up = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: key,
                               files: ["0012-noor-de-vries.txt", "0013-sophia-ward.html", "nasty-junk.pdf"])
        #expect(up.status == 202, "\(up.body)")
        let batch = try #require(up.json["batch_id"] as? String)
        let ids = (up.json["files"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(ids.count == 3)
        // The batch id the 202 carries reads at once: sealed, every item listed.
        let atOnce = try Self.call(serve, "GET", "/api/v1/batches/\(batch)", token: key)
        #expect(atOnce.status == 200, "\(atOnce.body)")
        #expect(atOnce.json["sealed"] as? Bool == true && (atOnce.json["items"] as? [Any])?.count == 3, "\(atOnce.body)")
        let done = try await Self.completed(serve, batch: batch, token: key)
        let counts = done["counts"] as? [String: Any] ?? [:]
        #expect(counts["total"] as? Int == 3 && counts["parsed"] as? Int == 2 && counts["failed"] as? Int == 1
                && counts["duplicates"] as? Int == 1, "\(done)")
        #expect((done["failures_by_code"] as? [String: Any])?["unsupported_type"] as? Int == 1, "\(done)")
        #expect((done["items"] as? [[String: Any]])?.count == 3, "\(done)")

        // The duplicate's own id resolves, to the stored row.
        let duplicate = try Self.call(serve, "GET", "/api/v1/documents/\(ids[0])", token: key)
        #expect(duplicate.status == 200, "\(duplicate.body)")
        #expect(duplicate.json["duplicate"] as? Bool == true, "\(duplicate.body)")
        #expect(duplicate.json["document_id"] as? String == (first.json["files"] as? [[String: Any]])?.first?["id"] as? String)

        // Results, two per page: 2 lines and a cursor, then 1 line and none.
        let page1 = try Self.call(serve, "GET", "/api/v1/batches/\(batch)/results?limit=2", token: key)
        #expect(page1.status == 200)
        #expect(page1.headers["content-type"] == "application/x-ndjson")
        let lines1 = page1.body.split(separator: "\n")
        #expect(lines1.count == 2, "\(page1.body)")
        let cursor = try #require(page1.headers["next-cursor"], "\(page1.headers)")
        let page2 = try Self.call(serve, "GET", "/api/v1/batches/\(batch)/results?limit=2&cursor=\(cursor)", token: key)
        let lines2 = page2.body.split(separator: "\n")
        #expect(lines2.count == 1, "\(page2.body)")
        #expect(page2.headers["next-cursor"] == nil)
        let all = (lines1 + lines2).compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(Set(all.compactMap { $0["id"] as? String }) == Set(ids), "every item once across the pages")
        let failed = all.first { $0["status"] as? String == "failed" }
        #expect((failed?["error"] as? [String: Any])?["code"] as? String == "unsupported_type", "\(all)")
        #expect(all.filter { $0["status"] as? String == "parsed" }.allSatisfy { $0["parsed"] is [String: Any] })
        let bad = try Self.call(serve, "GET", "/api/v1/batches/\(batch)/results?cursor=nope", token: key)
        #expect(bad.status == 400 && bad.errorCode == "invalid_cursor", "\(bad.body)")

        // Erasure of the duplicated content: its row and both items (this batch's and the first) go.
        let erase = try Self.call(serve, "DELETE", "/api/v1/documents/\(ids[0])", token: key)
        #expect(erase.status == 204, "\(erase.body)")
        for id in [ids[0], (first.json["files"] as? [[String: Any]])?.first?["id"] as? String ?? ""] {
            let gone = try Self.call(serve, "GET", "/api/v1/documents/\(id)", token: key)
            #expect(gone.status == 404, "\(gone.body)")
        }
        let sha = (up.json["files"] as? [[String: Any]])?.first?["sha256"] as? String ?? ""
        #expect(try Self.rows(url, tenant: "acme", "SELECT count(*) FROM documents WHERE content_sha256 = decode('\(sha)', 'hex')") == ["0"])
        #expect(try Self.rows(url, tenant: "acme", "SELECT count(*) FROM batch_items WHERE content_sha256 = decode('\(sha)', 'hex')") == ["0"])
        let after = try Self.call(serve, "GET", "/api/v1/batches/\(batch)", token: key)
        #expect((after.json["counts"] as? [String: Any])?["total"] as? Int == 2, "recounted: \(after.body)")
        #expect(try Self.call(serve, "DELETE", "/api/v1/documents/\(ids[0])", token: key).status == 404)
        #expect(serve.spooled.isEmpty, "\(serve.spooled)")
        #expect(await serve.stop() == 0, "\(serve.log)")
    }

    @Test("Idempotency-Key: a retry returns the first answer and stores nothing twice; another body under the key is 422; a key whose first request is still in flight is 409; imports too")
    func idempotency() async throws {
        let url = try TestDatabase.freshDatabase("api_idempotency")
        defer { try? TestDatabase.dropDatabase(url) }
        let key = try await Self.tenant("acme", url: url)
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50"])
        let files = ["0012-noor-de-vries.txt", "0013-sophia-ward.html"]
        let first = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: key, files: files,
                                  extra: ["-H", "Idempotency-Key: order-1"])
        #expect(first.status == 202, "\(first.body)")
        // curl picks a new multipart boundary each time: the retry's bytes differ, its files do not.
        let retry = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: key, files: files,
                                  extra: ["-H", "Idempotency-Key: order-1"])
        #expect(retry.status == 202)
        #expect(retry.body == first.body, "the first answer, the same batch and ids")
        #expect(retry.headers["idempotent-replayed"] == "true")
        let other = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: key,
                                  files: ["0003-youssef-haddad.docx"], extra: ["-H", "Idempotency-Key: order-1"])
        #expect(other.status == 422, "\(other.body)")
        #expect(other.errorCode == "idempotency_key_reused")
        let invalid = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: key, files: files,
                                    extra: ["-H", "Idempotency-Key: " + String(repeating: "k", count: 300)])
        #expect(invalid.status == 400 && invalid.errorCode == "invalid_idempotency_key", "\(invalid.body)")

        // In flight: the first request's head and half its body are sent and held; the second gets 409.
        var body = MultipartBody()
        body.file(filename: "held.txt", Array("Held Person\nheld@example.com\n".utf8))
        let request = body.request(extraHeaders: "Authorization: Bearer \(key)\r\nIdempotency-Key: held-1\r\n")
        let held = try TestClient(port: serve.port)
        _ = held.send(Array(request.prefix(request.count - 20)))
        // The held request claims its key first (on a loaded machine a second request could otherwise get there
        // before it, and be the first).
        let claimed = Date().addingTimeInterval(20)
        while Date() < claimed, try Self.rows(url, tenant: "acme", "SELECT count(*) FROM idempotency_keys WHERE key = 'held-1'") != ["1"] {
            try await Task.sleep(for: .milliseconds(50))
        }
        var conflict = Answer(status: 0, headers: [:], body: "")
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            conflict = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: key, files: files,
                                     extra: ["-H", "Idempotency-Key: held-1"])
            if conflict.status == 409 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(conflict.status == 409, "\(conflict.body)")
        #expect(conflict.errorCode == "idempotency_key_in_use")
        _ = held.send(Array(request.suffix(20)))
        #expect(try held.readResponse().status == 202)

        // An import under a key: the retry is the first answer, one batch.
        let archive = try TemporaryDirectory.make(prefix: "idem-import") + "/cvs.tar"
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        tar.arguments = ["-cf", archive, "-C", Self.sample, "0009-sota-sato.doc"]
        try tar.run()
        tar.waitUntilExit()
        let imported = try Self.call(serve, "POST", "/api/v1/imports?filename=cvs.tar", token: key,
                                     extra: ["-H", "Idempotency-Key: import-1", "--data-binary", "@\(archive)"])
        #expect(imported.status == 202, "\(imported.body)")
        let importedAgain = try Self.call(serve, "POST", "/api/v1/imports?filename=cvs.tar", token: key,
                                          extra: ["-H", "Idempotency-Key: import-1", "--data-binary", "@\(archive)"])
        #expect(importedAgain.body == imported.body && importedAgain.headers["idempotent-replayed"] == "true")

        // Stored once: the first request's batch and the held one's, plus the import; no second batch for the
        // retries.
        let batch = try #require(first.json["batch_id"] as? String)
        _ = try await Self.completed(serve, batch: batch, token: key)
        let deadline2 = Date().addingTimeInterval(60)
        var batches: [String] = []
        while Date() < deadline2 {
            batches = try Self.rows(url, tenant: "acme", "SELECT count(*) FROM batches")
            if batches == ["3"] { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(batches == ["3"], "\(batches)")
        #expect(try Self.rows(url, tenant: "acme", "SELECT count(*) FROM batch_items WHERE batch_id = '\(batch)'") == ["2"])
        #expect(try Self.rows(url, tenant: "acme", "SELECT count(*) FROM idempotency_keys WHERE status = 202") == ["3"])
        #expect(await serve.stop() == 0, "\(serve.log)")
    }

    @Test("?wait=SECONDS answers with the results in the synchronous service's shape once the batch is done; a bad value is 400")
    func waitForResults() async throws {
        let url = try TestDatabase.freshDatabase("api_wait")
        defer { try? TestDatabase.dropDatabase(url) }
        let key = try await Self.tenant("acme", url: url)
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50"])
        let answer = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes?wait=25", token: key,
                                   files: ["0012-noor-de-vries.txt", "nasty-junk.pdf"])
        #expect(answer.status == 200, "\(answer.body)")
        #expect(answer.json["completed"] as? Bool == true)
        #expect(answer.json["count"] as? Int == 2 && answer.json["ok"] as? Int == 1, "\(answer.body)")
        let results = answer.json["results"] as? [[String: Any]] ?? []
        let ok = results.first { $0["filename"] as? String == "0012-noor-de-vries.txt" }
        #expect(ok?["status"] as? String == "ok", "\(results)")
        #expect((ok?["parsed"] as? [String: Any])?["basics"] != nil, "\(results)")
        let failed = results.first { $0["filename"] as? String == "nasty-junk.pdf" }
        #expect(failed?["status"] as? String == "unsupported_type", "\(results)")
        #expect((answer.json["poll"] as? String)?.hasPrefix("/api/v1/batches/") == true)
        let bad = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes?wait=forever", token: key,
                                files: ["0012-noor-de-vries.txt"])
        #expect(bad.status == 400 && bad.errorCode == "invalid_parameter", "\(bad.body)")
        #expect(await serve.stop() == 0, "\(serve.log)")
    }

    @Test("retry-failed puts a batch's failures that may go otherwise (a scan without OCR) through again and leaves lasting ones (unsupported type) alone, saying why; another tenant's batch is 404")
    func retryFailed() async throws {
        let url = try TestDatabase.freshDatabase("api_retry")
        defer { try? TestDatabase.dropDatabase(url) }
        let key = try await Self.tenant("acme", url: url)
        let other = try await Self.tenant("beta", url: url)
        let spool = try TemporaryDirectory.make(prefix: "retry-spool")
        var serve = try await EngineProcess.serve(environment: [
            "DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50", "DOC_ENABLE_OCR": "false"], spool: spool)
        let up = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: key,
                               files: ["0019-krzysztof-zielinski.png", "nasty-junk.pdf"])
        #expect(up.status == 202, "\(up.body)")
        let batch = try #require(up.json["batch_id"] as? String)
        let first = try await Self.completed(serve, batch: batch, token: key)
        #expect((first["counts"] as? [String: Any])?["failed"] as? Int == 2, "\(first)")
        let kept = (try? FileManager.default.contentsOfDirectory(atPath: spool + "/retained")) ?? []
        #expect(kept.count == 2, "the scan's bytes and metadata are kept, the junk's are not: \(kept)")
        #expect(await serve.stop() == 0, "\(serve.log)")

        // OCR on now: the scan can be read.
        serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50"], spool: spool)
        let notMine = try Self.call(serve, "POST", "/api/v1/batches/\(batch)/retry-failed", token: other)
        #expect(notMine.status == 404, "\(notMine.body)")
        let retry = try Self.call(serve, "POST", "/api/v1/batches/\(batch)/retry-failed", token: key)
        #expect(retry.status == 202, "\(retry.body)")
        #expect(retry.json["retried"] as? Int == 1, "\(retry.body)")
        let skipped = retry.json["not_retried"] as? [[String: Any]] ?? []
        #expect(skipped.count == 1 && skipped.first?["reason"] as? String == "lasting_failure"
                && skipped.first?["error_code"] as? String == "unsupported_type", "\(retry.body)")
        let done = try await Self.completed(serve, batch: batch, token: key)
        let counts = done["counts"] as? [String: Any] ?? [:]
        #expect(counts["parsed"] as? Int == 1 && counts["failed"] as? Int == 1, "\(done)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: spool + "/retained")) ?? []).isEmpty)
        #expect(await serve.stop() == 0, "\(serve.log)")
    }

    @Test("a batch's completion is POSTed to the tenant's webhook, signed (Standard Webhooks v1); the delivery log lists it and replay sends it again; a callback_url at a private address is 400 and nothing is stored")
    func webhookOnCompletion() async throws {
        let url = try TestDatabase.freshDatabase("api_webhook")
        defer { try? TestDatabase.dropDatabase(url) }
        let (server, receiver, port) = try await WebhookHarness.receiver(port: 0)
        let (status, output) = try await Self.cli(["tenant", "create", "acme", "--json", "--webhook-url",
                                                   "http://127.0.0.1:\(port)/hooks"], url: url)
        #expect(status == 0, "\(output)")
        let created = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
        let key = try #require(created["api_key"] as? String)
        let secret = try #require(created["webhook_secret"] as? String)
        var serve = try await EngineProcess.serve(environment: [
            "DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50", "WEBHOOK_ALLOW_PRIVATE": "1", "WEBHOOK_POLL_MS": "100"])
        let up = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: key,
                               files: ["0012-noor-de-vries.txt", "nasty-junk.pdf"])
        let batch = try #require(up.json["batch_id"] as? String, "\(up.body)")
        _ = try await Self.completed(serve, batch: batch, token: key)
        var received: [WebhookReceiver.Request] = []
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            received = await receiver.received
            if !received.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let first = try #require(received.first, "no webhook arrived:\n\(serve.log)")
        #expect(first.method == "POST" && first.path == "/hooks")
        let messageID = try #require(first.header("webhook-id"))
        #expect(messageID.hasPrefix("msg_"))
        let signing = try #require(StandardWebhook.Secret(secret), "the secret tenant create printed is whsec_…")
        #expect(throws: Never.self) {
            try StandardWebhook.verify(headers: first.headers, body: first.body, secret: signing,
                                       now: Int(Date().timeIntervalSince1970))
        }
        let event = try JSONSerialization.jsonObject(with: Data(first.body)) as? [String: Any] ?? [:]
        #expect(event["type"] as? String == "batch.completed")
        let data = event["data"] as? [String: Any] ?? [:]
        #expect(data["batch_id"] as? String == batch)
        #expect(data["documents"] as? Int == 2 && data["parsed"] as? Int == 1 && data["failed"] as? Int == 1, "\(data)")

        let log = try Self.call(serve, "GET", "/api/v1/webhooks/deliveries", token: key)
        let deliveries = log.json["deliveries"] as? [[String: Any]] ?? []
        #expect(deliveries.count == 1 && deliveries.first?["id"] as? String == messageID, "\(log.body)")
        #expect(deliveries.first?["status"] as? String == "delivered", "\(log.body)")
        let replay = try Self.call(serve, "POST", "/api/v1/webhooks/deliveries/\(messageID)/replay", token: key)
        #expect(replay.status == 202, "\(replay.body)")
        let deadline2 = Date().addingTimeInterval(60)
        while Date() < deadline2 {
            received = await receiver.received
            if received.count >= 2 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(received.count == 2, "the replay arrived")
        #expect(received.last?.header("webhook-id") == messageID, "a replay is the same message")
        let tenant = try Self.call(serve, "GET", "/api/v1/tenant?include=webhook", token: key)
        #expect(tenant.json["webhook_secret"] as? String == secret, "\(tenant.body)")
        #expect(await serve.stop() == 0, "\(serve.log)")

        // Without WEBHOOK_ALLOW_PRIVATE, a callback URL at a private or loopback address is refused up front.
        serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50"])
        for target in ["http://127.0.0.1:\(port)/x", "http://10.0.0.7/x", "http://169.254.169.254/latest"] {
            let refused = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes?callback_url=\(target)", token: key,
                                        files: ["0013-sophia-ward.html"])
            #expect(refused.status == 400 && refused.errorCode == "invalid_callback_url", "\(target): \(refused.body)")
        }
        #expect(try Self.rows(url, tenant: "acme", "SELECT count(*) FROM batch_items WHERE filename = '0013-sophia-ward.html'") == ["0"])
        #expect(await serve.stop() == 0, "\(serve.log)")
        await server.shutdown(graceMilliseconds: 0)
    }

    @Test("an import past the monthly limit: the entries within it are processed, the rest recorded failed quota_exceeded without their bytes; then uploads are 402")
    func importOverQuota() async throws {
        let url = try TestDatabase.freshDatabase("api_import_quota")
        defer { try? TestDatabase.dropDatabase(url) }
        let key = try await Self.tenant("small", url: url, ["--monthly-limit", "3"])
        let serve = try await EngineProcess.serve(environment: ["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50"])
        let archive = try TemporaryDirectory.make(prefix: "quota-import") + "/five.tar"
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        tar.arguments = ["-cf", archive, "-C", Self.sample, "0012-noor-de-vries.txt", "0013-sophia-ward.html",
                         "0003-youssef-haddad.docx", "0004-matthias-wagner.docx", "0007-luisa-assuncao.docx"]
        try tar.run()
        tar.waitUntilExit()
        let answer = try Self.call(serve, "POST", "/api/v1/imports?filename=five.tar", token: key,
                                   extra: ["--data-binary", "@\(archive)"])
        #expect(answer.status == 202, "\(answer.body)")
        let batch = try #require(answer.json["batch_id"] as? String)
        let done = try await Self.completed(serve, batch: batch, token: key)
        let counts = done["counts"] as? [String: Any] ?? [:]
        #expect(counts["total"] as? Int == 5, "\(done)")
        #expect((done["failures_by_code"] as? [String: Any])?["quota_exceeded"] as? Int == 2, "\(done)")
        #expect(counts["parsed"] as? Int == 3, "the three within the limit were processed: \(done)")
        #expect(try Self.rows(url, tenant: "small", "SELECT documents FROM tenant_usage") == ["3"])
        #expect(try Self.rows(url, tenant: "small", "SELECT count(*) FROM documents WHERE error_code = 'quota_exceeded' AND text IS NULL AND error_detail = 'Monthly document limit reached (3/3)'") == ["2"])
        let after = try Self.call(serve, "POST", "/api/v1/bulk-parse-resumes", token: key, files: ["0009-sota-sato.doc"])
        #expect(after.status == 402 && after.errorMessage == "Monthly document limit reached (3/3)", "\(after.body)")
        #expect(await serve.stop() == 0, "\(serve.log)")
    }
}
