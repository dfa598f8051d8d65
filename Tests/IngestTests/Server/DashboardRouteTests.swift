import Crypto
import Foundation
import Testing
import TestSupport

/// `GET /` and its two files: types, caching and the security policy, over a real socket.
@Suite("dashboard routes")
struct DashboardRouteTests {
    static func get(_ client: TestClient, _ path: String, method: String = "GET") throws -> TestResponse {
        _ = client.send("\(method) \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
        return try client.readResponse()
    }

    @Test("GET / is the page (text/html, no-cache) with a strict CSP and no inline script or style; its stylesheet and script come from digest-named paths with their types, cached as immutable; other names are 404, other methods 405")
    func routes() async throws {
        let server = try await TestServer()
        let client = try TestClient(port: server.port)

        let page = try Self.get(client, "/")
        #expect(page.status == 200)
        #expect(page.header("Content-Type") == "text/html; charset=utf-8")
        #expect(page.header("Cache-Control") == "no-cache")
        #expect(page.header("X-Content-Type-Options") == "nosniff")
        let csp = try #require(page.header("Content-Security-Policy"))
        for directive in ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                          "object-src 'none'", "frame-ancestors 'none'"] {
            #expect(csp.contains(directive), "\(csp)")
        }
        #expect(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval") && !csp.contains("http"), "\(csp)")
        let html = page.text
        #expect(html.hasPrefix("<!doctype html>"))
        // Every <script> has a src and nothing inside; no style attributes or blocks, no inline handlers.
        #expect(html.matches(of: /<script[^>]*>/).allSatisfy { $0.output.contains("src=") })
        #expect(!html.contains("<style") && !html.contains(" style=") && html.firstMatch(of: /\son[a-z]+=/) == nil)
        #expect(!html.contains("http://") && !html.contains("https://"), "nothing from elsewhere")

        let script = try #require(html.firstMatch(of: /src="(\/dashboard-([0-9a-f]{12})\.js)"/))
        let style = try #require(html.firstMatch(of: /href="(\/dashboard-([0-9a-f]{12})\.css)"/))
        for (match, type) in [(script, "text/javascript; charset=utf-8"), (style, "text/css; charset=utf-8")] {
            let asset = try Self.get(client, String(match.1))
            #expect(asset.status == 200, "\(match.1)")
            #expect(asset.header("Content-Type") == type)
            #expect(asset.header("Cache-Control") == "public, max-age=31536000, immutable")
            #expect(asset.header("Content-Security-Policy") == csp)
            let digest = SHA256.hash(data: asset.body).map { String(format: "%02x", $0) }.joined()
            #expect(digest.hasPrefix(String(match.2)), "the name carries the content's digest")
        }
        let js = try Self.get(client, String(script.1)).text
        for risky in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("] {
            #expect(!js.contains(risky), "server text is written with textContent only, not \(risky)")
        }

        #expect(try Self.get(client, "/dashboard-000000000000.js").status == 404)
        let post = try Self.get(client, "/", method: "POST")
        #expect(post.status == 405)
        #expect(post.header("Allow") == "GET, HEAD")
        await server.stop()
    }

    @Test("HEAD / answers the page's headers and no body")
    func head() async throws {
        let server = try await TestServer()
        let port = server.port
        let answer = try await offPool {
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-sS", "--max-time", "30", "-I", "http://127.0.0.1:\(port)/"]
            let out = Pipe()
            curl.standardOutput = out
            try curl.run()
            let answer = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            curl.waitUntilExit()
            return answer
        }
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        #expect(answer.lowercased().contains("content-type: text/html; charset=utf-8"), "\(answer)")
        #expect(answer.contains("Content-Security-Policy: default-src 'self'"), "\(answer)")
        await server.stop()
    }
}
