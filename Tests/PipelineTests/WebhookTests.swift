import Foundation
import HTTP1
import LLMBatcher
import Logging
@testable import Loop
@testable import Pipeline
import Sink
import Testing
import TestSupport

/// Standard Webhooks delivery against a real PostgreSQL (``TestDatabase``) and a real receiver on 127.0.0.1 (the
/// engine's own HTTP server). Time for the schedule is a ``ManualClock``: a retry happens when the test moves the
/// clock, never because the machine was fast or slow; real time only bounds the waits (generously) and the one
/// attempt that must time out.
///
/// `TestDatabase` blocks its thread while psql runs, so it runs on a thread of its own (``offThread(_:)``), never
/// on the loop.
@Suite("Webhooks")
struct WebhookTests {
    // MARK: Delivery

    @Test("a message is delivered once, signed (checked here and by Python's hmac), with the exact body stored")
    func delivered() async throws {
        try await Self.withDatabase("webhook_delivered") { @LoopActor db in
            let h = try await WebhookHarness.make(db)
            let data = Array(#"{"batch_id":"0b7c5a56-2b59-4f4e-9d07-3f5d0f2b1c11","documents":3,"parsed":2,"#.utf8)
                + Array(#""failed":1}"#.utf8)
            let id = try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: nil, url: h.url("/hook"),
                                                    eventType: "batch.completed", data: data)
            #expect(id.hasPrefix("msg_") && id.count == 26, "\(id)")
            try await h.waitForStatus(id, .delivered)
            let requests = h.receiver.received
            try #require(requests.count == 1)
            let request = requests[0]
            #expect(request.method == "POST" && request.path == "/hook")
            #expect(request.header("content-type") == "application/json")
            #expect(request.header("webhook-id") == id)
            #expect(request.header("webhook-timestamp") == String(h.clock.unixSeconds()))

            // As the engine's role, which row-level security confines to the tenant set.
            let row = try await offThread { try TestDatabase.psql(db, """
                SET app.tenant_id = '\(h.tenantID)';
                SELECT encode(payload, 'hex'), status, attempts, last_status, last_error IS NULL,
                       delivered_at IS NOT NULL, next_attempt_at IS NULL, (SELECT count(*) FROM webhook_queue), endpoint
                FROM webhook_deliveries WHERE id = '\(id)'
                """) }.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            #expect(row.count == 9)
            #expect(Hex.decode(row[0]) == request.body, "the stored payload is the exact body sent")
            #expect(Array(row.dropFirst()) == ["delivered", "1", "200", "t", "t", "t", "0", "other"])
            let body = try JSON.parse(request.body)
            #expect(body["type"]?.string == "batch.completed")
            #expect(body["timestamp"]?.string == Timestamp.rfc3339(unixMilliseconds: h.clock.unixMilliseconds()))
            #expect(try body["data"] == JSON.parse(data))

            // The secret was made on first use and stored on the tenant; the signature verifies under it.
            let secretText = try await offThread { try TestDatabase.psql(db, """
                SELECT webhook_secret FROM tenants WHERE id = '\(h.tenantID)'
                """) }
            let secret = try #require(StandardWebhook.Secret(secretText))
            #expect(secret.key.count == 24)
            try StandardWebhook.verify(headers: request.headers, body: request.body, secret: secret,
                                       now: h.clock.unixSeconds())
            let signature = request.header("webhook-signature") ?? ""
            let timestamp = request.header("webhook-timestamp") ?? ""
            let sent = Hex.encode(request.body)
            let python = try await offThread { try WebhookTests.python("""
                import base64, hashlib, hmac, sys
                secret, msg_id, timestamp, body_hex, header = sys.argv[1:6]
                key = base64.b64decode(secret[len("whsec_"):])
                content = msg_id.encode() + b"." + timestamp.encode() + b"." + bytes.fromhex(body_hex)
                expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
                print("ok" if ("v1," + expected) in header.split(" ") else "mismatch " + expected)
                """, [secretText, id, timestamp, sent, signature]) }
            #expect(python == "ok")

            let page = try await h.dispatcher.deliveries(tenantID: h.tenantID)
            #expect(page.deliveries.map(\.id) == [id] && page.next == nil)
            #expect(page.deliveries.first?.payload == request.body)
            #expect(h.dispatcher.counters.requests == 1)
            await h.close()
        }
    }

    @Test("an endpoint that is down (connection refused) is retried at the scheduled time, and then delivered")
    func downThenDelivered() async throws {
        try await Self.withDatabase("webhook_down") { @LoopActor db in
            let h = try await WebhookHarness.make(db)
            let port = try await WebhookHarness.closedPort()
            let id = try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: nil,
                                                    url: "http://127.0.0.1:\(port)/hook", eventType: "batch.completed",
                                                    data: Array("{}".utf8))
            let first = try await h.waitForAttempts(id, 1)
            #expect(first.status == .pending && first.lastStatus == nil)
            #expect(first.lastError?.hasPrefix("connect:") == true, "\(first.lastError ?? "")")
            // random() is 0.5 and the first ceiling 10 s: the retry is due 5 s (of the test's clock) later.
            #expect(first.nextAttemptAt == h.clock.unixMilliseconds() + 5_000)

            // The endpoint comes back; nothing is sent before the retry is due.
            let back = try WebhookHarness.receiver(port: port)
            try await Task.sleep(for: .milliseconds(300))
            #expect(back.receiver.received.isEmpty)
            #expect(try await h.delivery(id).attempts == 1)
            h.clock.advance(by: .seconds(5))
            try await h.waitForStatus(id, .delivered)
            let done = try await h.delivery(id)
            #expect(done.attempts == 2 && done.lastStatus == 200 && done.lastError == nil)
            #expect(back.receiver.received.map { $0.header("webhook-id") } == [id])
            await back.server.shutdown(graceMilliseconds: 0)
            await h.close()
        }
    }

    @Test("a slow endpoint: the attempt times out, is recorded as failed, and the retry is delivered")
    func slowEndpoint() async throws {
        try await Self.withDatabase("webhook_slow") { @LoopActor db in
            let h = try await WebhookHarness.make(db, timeoutMilliseconds: 2_000)
            h.receiver.answer("/slow", [.hang, .status(204)])
            let id = try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: nil, url: h.url("/slow"),
                                                    eventType: "batch.completed", data: Array("{}".utf8))
            let first = try await h.waitForAttempts(id, 1)
            #expect(first.status == .pending && first.lastStatus == nil)
            #expect(first.lastError?.hasPrefix("timeout:") == true, "\(first.lastError ?? "")")
            #expect(h.receiver.received.count == 1)
            h.clock.advance(by: .seconds(5))
            try await h.waitForStatus(id, .delivered)
            let done = try await h.delivery(id)
            #expect(done.attempts == 2 && done.lastStatus == 204)
            let ids = h.receiver.received.map { $0.header("webhook-id") }
            #expect(ids == [id, id], "the same message id on both attempts")
            await h.close()
        }
    }

    @Test("a redirect is not followed: the attempt fails (302 recorded), the Location is never requested, the retry delivers")
    func redirectNotFollowed() async throws {
        try await Self.withDatabase("webhook_redirect") { @LoopActor db in
            let h = try await WebhookHarness.make(db)
            h.receiver.answer("/moved", [.redirect(h.url("/hook")), .status(200)])
            let id = try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: nil, url: h.url("/moved"),
                                                    eventType: "batch.completed", data: Array("{}".utf8))
            let first = try await h.waitForAttempts(id, 1)
            #expect(first.status == .pending && first.lastStatus == 302)
            #expect(first.lastError?.hasPrefix("redirect: HTTP 302 not followed") == true, "\(first.lastError ?? "")")
            #expect(h.receiver.received.map(\.path) == ["/moved"])
            h.clock.advance(by: .seconds(5))
            try await h.waitForStatus(id, .delivered)
            #expect(h.receiver.received.map(\.path) == ["/moved", "/moved"], "never /hook")
            #expect(try await h.delivery(id).attempts == 2)
            await h.close()
        }
    }

    @Test("a failing endpoint is retried on the schedule, then the delivery fails and leaves the queue")
    func givesUp() async throws {
        try await Self.withDatabase("webhook_gives_up") { @LoopActor db in
            let h = try await WebhookHarness.make(db)
            h.receiver.answer("/broken", [.status(503)])
            let id = try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: nil, url: h.url("/broken"),
                                                    eventType: "batch.completed", data: Array("{}".utf8))
            // Three ceilings of 10 s: four attempts, each retry 5 s after the one before.
            for attempt in 1...3 {
                let d = try await h.waitForAttempts(id, attempt)
                #expect(d.status == .pending && d.lastStatus == 503 && d.lastError == "status: HTTP 503")
                h.clock.advance(by: .seconds(5))
            }
            try await h.waitForStatus(id, .failed)
            let d = try await h.delivery(id)
            #expect(d.attempts == 4 && d.nextAttemptAt == nil)
            #expect(d.lastError == "status: HTTP 503 (gave up after 4 attempts)")
            #expect(h.receiver.received.count == 4)
            #expect(try await offThread { try TestDatabase.psql(db, "SELECT count(*) FROM webhook_queue") } == "0")
            await h.close()
        }
    }

    // MARK: 410 Gone

    @Test("410 disables the tenant's endpoint: that delivery and later messages are recorded disabled, unsent; a batch callback's 410 disables only the batch's")
    func goneDisables() async throws {
        try await Self.withDatabase("webhook_gone") { @LoopActor db in
            let h = try await WebhookHarness.make(db)
            h.receiver.answer("/gone", [.status(410)])
            h.receiver.answer("/batch-gone", [.status(410)])
            let tenantURL = h.url("/gone")
            let batchURL = h.url("/batch-gone")
            let batchID = "6f1d3c2a-8b4e-4c1f-9a2d-5e6f7a8b9c0d"
            _ = try await offThread { try TestDatabase.psql(db, """
                UPDATE tenants SET webhook_url = '\(tenantURL)' WHERE id = '\(h.tenantID)';
                SET app.tenant_id = '\(h.tenantID)';
                INSERT INTO batches (id, tenant_id, callback_url) VALUES ('\(batchID)', '\(h.tenantID)', '\(batchURL)');
                """) }

            let first = try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: batchID, url: tenantURL,
                                                       eventType: "batch.completed", data: Array("{}".utf8))
            try await h.waitForStatus(first, .disabled)
            let gone = try await h.delivery(first)
            #expect(gone.attempts == 1 && gone.lastStatus == 410)
            #expect(gone.lastError?.hasPrefix("gone:") == true, "\(gone.lastError ?? "")")
            #expect(try await offThread { try TestDatabase.psql(db, """
                SELECT webhook_disabled_at IS NOT NULL FROM tenants WHERE id = '\(h.tenantID)'
                """) } == "t")

            // A later message for the tenant's endpoint: stored disabled at once, never sent; its replay is refused.
            let later = try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: nil, url: tenantURL,
                                                       eventType: "batch.completed", data: Array("{}".utf8))
            let skipped = try await h.delivery(later)
            #expect(skipped.status == .disabled && skipped.attempts == 0 && skipped.lastStatus == nil)
            #expect(skipped.lastError?.hasPrefix("endpoint_disabled:") == true)
            #expect(try await h.dispatcher.replay(tenantID: h.tenantID, deliveryID: later) == .endpointDisabled)

            // The batch's own callback: its 410 disables the batch's endpoint, not the tenant's (already off here).
            let callback = try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: batchID, url: batchURL,
                                                          eventType: "batch.completed", data: Array("{}".utf8))
            try await h.waitForStatus(callback, .disabled)
            #expect(try await offThread { try TestDatabase.psql(db, """
                SET app.tenant_id = '\(h.tenantID)';
                SELECT (SELECT callback_disabled_at IS NOT NULL FROM batches WHERE id = '\(batchID)'),
                       (SELECT endpoint FROM webhook_deliveries WHERE id = '\(callback)'),
                       (SELECT endpoint FROM webhook_deliveries WHERE id = '\(first)')
                """) } == "t|batch|tenant")
            let again = try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: batchID, url: batchURL,
                                                       eventType: "batch.completed", data: Array("{}".utf8))
            #expect(try await h.delivery(again).status == .disabled)

            try await Task.sleep(for: .milliseconds(200))
            #expect(h.receiver.received.map(\.path) == ["/gone", "/batch-gone"], "one request each, no more")
            await h.close()
        }
    }

    // MARK: Outbound address policy

    @Test("without WEBHOOK_ALLOW_PRIVATE, loopback, private and malformed callback URLs are refused: failed, with the reason, no request")
    func privateAddressesRefused() async throws {
        try await Self.withDatabase("webhook_refused") { @LoopActor db in
            let h = try await WebhookHarness.make(db, allowPrivate: false)
            // A name that resolves to a public address and a private one: one bad address refuses the name.
            h.setResolver { host, _ throws(UVError) in
                guard host == "mixed.example" else { return try await HostResolver.resolve(host, port: 80) }
                return [IPAddress("93.184.216.34")!, IPAddress("10.9.8.7")!]
            }
            let cases: [(url: String, error: String)] = [
                (h.url("/hook"), "forbidden_address: 127.0.0.1 is a loopback address (WEBHOOK_ALLOW_PRIVATE is off)"),
                ("http://10.1.2.3/hook", "forbidden_address: 10.1.2.3 is a private address"),
                ("https://192.168.0.10:8443/x", "forbidden_address: 192.168.0.10 is a private address"),
                ("http://169.254.169.254/latest/meta-data",
                 "forbidden_address: 169.254.169.254 is a link-local address"),
                ("http://100.64.1.1/", "forbidden_address: 100.64.1.1 is a carrier-grade NAT"),
                ("http://[::1]:\(h.port)/hook", "forbidden_address: ::1 is a loopback address"),
                ("http://[::ffff:127.0.0.1]/hook", "forbidden_address: ::ffff:127.0.0.1 is a loopback address"),
                ("http://[fd00::1]/hook", "forbidden_address: fd00::1 is a unique local"),
                ("http://localhost:\(h.port)/hook", "forbidden_address: localhost resolves to "),
                ("http://mixed.example/hook",
                 "forbidden_address: mixed.example resolves to 10.9.8.7, a private address"),
                ("http://2130706433/hook", "invalid_url: host 2130706433 ends in a number"),
                ("http://example.com@127.0.0.1/hook", "invalid_url: user information in the URL"),
                ("ftp://example.com/hook", "invalid_url: scheme ftp is not http or https"),
                ("http:///hook", "invalid_url: no host"),
            ]
            var ids: [String] = []
            for c in cases {
                ids.append(try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: nil, url: c.url,
                                                          eventType: "batch.completed", data: Array("{}".utf8)))
            }
            for (id, c) in zip(ids, cases) {
                try await h.waitForStatus(id, .failed)
                let d = try await h.delivery(id)
                #expect(d.lastError?.hasPrefix(c.error) == true, "\(c.url): \(d.lastError ?? "nil")")
                #expect(d.attempts == 1 && d.lastStatus == nil && d.nextAttemptAt == nil, "\(c.url)")
            }
            #expect(h.receiver.received.isEmpty, "no request was made")
            #expect(h.dispatcher.counters.requests == 0)
            #expect(h.dispatcher.counters.refused == cases.count)
            await h.close()
        }
    }

    @Test("a host name is resolved once and the request pinned to the checked address (the name has no DNS entry)")
    func pinnedResolution() async throws {
        try await Self.withDatabase("webhook_pinned") { @LoopActor db in
            let h = try await WebhookHarness.make(db)
            h.setResolver { host, _ throws(UVError) in
                guard host == "receiver.invalid" else { throw UVError(-3008, "getaddrinfo \(host)") }
                return [IPAddress("127.0.0.1")!]
            }
            let id = try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: nil,
                                                    url: "http://Receiver.INVALID:\(h.port)/hook",
                                                    eventType: "batch.completed", data: Array("{}".utf8))
            try await h.waitForStatus(id, .delivered)
            #expect(h.receiver.received.first?.header("host") == "receiver.invalid:\(h.port)")

            let unknown = try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: nil,
                                                         url: "http://nowhere.invalid/hook",
                                                         eventType: "batch.completed", data: Array("{}".utf8))
            let d = try await h.waitForAttempts(unknown, 1)
            #expect(d.status == .pending && d.lastError == "unresolved: nowhere.invalid: EAI_NONAME", "retried later")
            await h.close()
        }
    }

    // MARK: Replay, restart, the log

    @Test("replay sends the same message id and body again, newly timestamped and signed; another tenant's id is not found")
    func replay() async throws {
        try await Self.withDatabase("webhook_replay") { @LoopActor db in
            let h = try await WebhookHarness.make(db)
            let id = try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: nil, url: h.url("/hook"),
                                                    eventType: "batch.completed", data: Array(#"{"n":1}"#.utf8))
            try await h.waitForStatus(id, .delivered)
            h.clock.advance(by: .seconds(90))
            #expect(try await h.dispatcher.replay(tenantID: h.tenantID, deliveryID: id) == .queued)
            try await h.waitFor("the replay's request") { h.receiver.received.count == 2 }
            try await h.waitForStatus(id, .delivered)
            let requests = h.receiver.received
            #expect(requests.map { $0.header("webhook-id") } == [id, id])
            #expect(requests[0].body == requests[1].body)
            #expect(requests[1].header("webhook-timestamp") == String(h.clock.unixSeconds()))
            #expect(requests[0].header("webhook-signature") != requests[1].header("webhook-signature"))
            #expect(try await h.delivery(id).attempts == 2)

            let other = try await offThread { try TestDatabase.psql(db, """
                INSERT INTO tenants (slug) VALUES ('other') RETURNING id
                """) }
            #expect(try await h.dispatcher.replay(tenantID: other, deliveryID: id) == .notFound)
            #expect(try await h.dispatcher.replay(tenantID: h.tenantID, deliveryID: "msg_nope") == .notFound)
            #expect(try await h.dispatcher.deliveries(tenantID: other).deliveries.isEmpty, "row-level security")
            await h.close()
        }
    }

    @Test("a new dispatcher on the same database delivers what was pending, and takes over a dead engine's claim once its lease ends")
    func restart() async throws {
        try await Self.withDatabase("webhook_restart") { @LoopActor db in
            let h = try await WebhookHarness.make(db, start: false)
            var ids: [String] = []
            for n in 0..<3 {
                ids.append(try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: nil, url: h.url("/hook"),
                                                          eventType: "batch.completed",
                                                          data: Array("{\"n\":\(n)}".utf8)))
            }
            await h.dispatcher.close()
            // An engine died mid-attempt on ids[1] (its lease has ended) and holds ids[2] (for another minute).
            let now = h.clock.unixMilliseconds()
            let (dead, held) = (ids[1], ids[2])
            _ = try await offThread { try TestDatabase.psql(db, """
                UPDATE webhook_queue SET claim = gen_random_uuid(),
                    next_attempt_at = '\(Timestamp.rfc3339(unixMilliseconds: now - 1))' WHERE delivery_id = '\(dead)';
                UPDATE webhook_queue SET claim = gen_random_uuid(),
                    next_attempt_at = '\(Timestamp.rfc3339(unixMilliseconds: now + 60_000))'
                    WHERE delivery_id = '\(held)';
                """) }

            let second = h.restarted()
            try await h.waitForStatus(ids[0], .delivered, in: second)
            try await h.waitForStatus(ids[1], .delivered, in: second)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await second.delivery(tenantID: h.tenantID, deliveryID: ids[2])?.status == .pending)
            h.clock.advance(by: .seconds(60))
            try await h.waitForStatus(ids[2], .delivered, in: second)
            #expect(Set(h.receiver.received.compactMap { $0.header("webhook-id") }) == Set(ids))
            #expect(h.receiver.received.count == 3, "each once")
            await second.close()
            await h.close()
        }
    }

    @Test("the delivery log pages newest first with a cursor")
    func logPages() async throws {
        try await Self.withDatabase("webhook_log") { @LoopActor db in
            let h = try await WebhookHarness.make(db, start: false)
            var ids: [String] = []
            for n in 0..<5 {
                ids.append(try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: nil, url: h.url("/hook"),
                                                          eventType: "batch.completed",
                                                          data: Array("{\"n\":\(n)}".utf8)))
                h.clock.advance(by: .milliseconds(10))
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await h.dispatcher.deliveries(tenantID: h.tenantID, limit: 2, after: cursor)
                seen += page.deliveries.map(\.id)
                cursor = page.next
                pages += 1
            } while cursor != nil && pages < 10
            #expect(seen == ids.reversed())
            #expect(pages == 3)
            let json = try JSON.parse(try #require(
                try await h.dispatcher.delivery(tenantID: h.tenantID, deliveryID: ids[0])).json().finished())
            #expect(json["status"]?.string == "pending" && json["attempts"]?.int == 0)
            #expect(json["payload"]?["data"]?["n"]?.int == 0)
            await #expect(throws: WebhookError.invalidRequest) {
                try await h.dispatcher.deliveries(tenantID: "not-a-uuid")
            }
            await #expect(throws: WebhookError.unknownTenant) {
                try await h.dispatcher.enqueue(tenantID: "00000000-0000-4000-8000-000000000000", batchID: nil,
                                               url: h.url("/hook"), eventType: "batch.completed",
                                               data: Array("{}".utf8))
            }
            // Up front, for the API: the URL's shape and an address literal (allowed here: WEBHOOK_ALLOW_PRIVATE).
            try h.dispatcher.checkCallbackURL(h.url("/hook"))
            #expect(throws: WebhookRefusal.invalidURL) { try h.dispatcher.checkCallbackURL("ftp://example.com/") }
            await #expect(throws: WebhookError.invalidRequest) {
                try await h.dispatcher.enqueue(tenantID: h.tenantID, batchID: nil, url: h.url("/hook"),
                                               eventType: "batch.completed", data: Array("[1]".utf8))
            }
            await h.close()
        }
    }

    // MARK: Helpers

    /// Runs `body` on the loop with a fresh database, made and dropped off the loop.
    static func withDatabase(_ label: String, _ body: @escaping @LoopActor @Sendable (String) async throws -> Void)
        async throws
    {
        let db = try await offThread { try TestDatabase.freshDatabase(label) }
        do {
            try await body(db)
        } catch {
            _ = try? await offThread { try TestDatabase.dropDatabase(db) }
            throw error
        }
        try await offThread { try TestDatabase.dropDatabase(db) }
    }


    /// Runs `python3 -c script args…` and returns its standard output, trimmed.
    static func python(_ script: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("python3 exited \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
