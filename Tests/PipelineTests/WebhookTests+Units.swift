import Foundation
@testable import Loop
@testable import Pipeline
import Testing
import TestSupport

/// The pure parts of webhook delivery: no database, no sockets, no clock.
extension WebhookTests {
    @Suite("Standard Webhooks signatures")
    struct Signing {
        @Test("the spec's published example: whsec_MfKQ…, msg_p5jX…, 1614265330, {\"test\": 2432232314}")
        func specVector() throws {
            // From the Standard Webhooks specification's reference libraries; recomputed with
            //   python3 -c 'import hmac,hashlib,base64; k=base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
            //   print(base64.b64encode(hmac.new(k, b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{\"test\": 2432232314}",
            //   hashlib.sha256).digest()))'   →   g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
            let secret = try #require(StandardWebhook.Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
            let body = Array(#"{"test": 2432232314}"#.utf8)
            let signature = StandardWebhook.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
                                                      body: body, secret: secret)
            #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        }

        @Test("random secrets, ids and bodies: our signature is Python's hmac/hashlib/base64 one, byte for byte")
        func againstPython() throws {
            var cases: [(StandardWebhook.Secret, String, Int, [UInt8])] = []
            for n in 0..<8 {
                let body = (0..<(n * 37)).map { _ in UInt8.random(in: 0...255) } + Array("{\"é\":\"\u{1F600}\"}".utf8)
                cases.append((StandardWebhook.Secret.generate(), WebhookDispatcher.newMessageID(),
                              1_700_000_000 + Int.random(in: 0..<100_000_000), body))
            }
            let lines = cases.map { "\($0.0.text) \($0.1) \($0.2) \(Hex.encode($0.3))" }
            let python = try WebhookTests.python("""
                import base64, hashlib, hmac, sys
                for line in sys.argv[1:]:
                    secret, msg_id, ts, body = line.split(" ")
                    key = base64.b64decode(secret[len("whsec_"):])
                    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + bytes.fromhex(body), hashlib.sha256).digest()
                    print("v1," + base64.b64encode(mac).decode())
                """, lines)
            let ours = cases.map { StandardWebhook.signature(id: $0.1, timestamp: $0.2, body: $0.3, secret: $0.0) }
            #expect(python.split(separator: "\n").map(String.init) == ours)
        }

        @Test("verify accepts its own headers and any matching v1 among several; refuses tampering, other secrets, stale timestamps")
        func verify() throws {
            let secret = StandardWebhook.Secret.generate()
            let body = Array(#"{"type":"batch.completed"}"#.utf8)
            let headers = StandardWebhook.headers(id: "msg_a", timestamp: 1_000_000, body: body, secret: secret)
            try StandardWebhook.verify(headers: headers, body: body, secret: secret, now: 1_000_100)
            let rotated = headers.map { $0.0 == "webhook-signature" ? ($0.0, "v1,AAAA v2,xyz " + $0.1) : $0 }
            try StandardWebhook.verify(headers: rotated, body: body, secret: secret, now: 1_000_000)
            #expect(throws: WebhookSignatureError.noMatchingSignature) {
                try StandardWebhook.verify(headers: headers, body: body + [0x20], secret: secret, now: 1_000_000)
            }
            #expect(throws: WebhookSignatureError.noMatchingSignature) {
                try StandardWebhook.verify(headers: headers, body: body, secret: .generate(), now: 1_000_000)
            }
            let otherID = headers.map { $0.0 == "webhook-id" ? ($0.0, "msg_b") : $0 }
            #expect(throws: WebhookSignatureError.noMatchingSignature) {
                try StandardWebhook.verify(headers: otherID, body: body, secret: secret, now: 1_000_000)
            }
            #expect(throws: WebhookSignatureError.timestampOutOfTolerance) {
                try StandardWebhook.verify(headers: headers, body: body, secret: secret, now: 1_000_301)
            }
            #expect(throws: WebhookSignatureError.missingHeaders) {
                try StandardWebhook.verify(headers: Array(headers.prefix(2)), body: body, secret: secret,
                                           now: 1_000_000)
            }
        }

        @Test("secrets are whsec_ and the base64 of 24 random bytes; other text is refused")
        func secrets() throws {
            let secret = StandardWebhook.Secret.generate()
            #expect(secret.key.count == 24 && secret.text.hasPrefix("whsec_") && secret.text.count == 6 + 32)
            #expect(StandardWebhook.Secret(secret.text) == secret)
            #expect(StandardWebhook.Secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == nil, "no prefix")
            #expect(StandardWebhook.Secret("whsec_not base64!") == nil)
            #expect(StandardWebhook.Secret("whsec_AAAA") == nil, "3 bytes")
            let id = WebhookDispatcher.newMessageID()
            #expect(id.hasPrefix("msg_") && id.count == 26)
            #expect(id.dropFirst(4).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        }
    }

    @Suite("Callback URLs and outbound addresses")
    struct Addresses {
        @Test("every kind of non-public address is named; public ones pass")
        func categories() throws {
            let cases: [(String, OutboundAddressPolicy.Category?)] = [
                ("0.0.0.0", .unspecified), ("0.1.2.3", .unspecified), ("127.0.0.1", .loopback),
                ("127.255.0.9", .loopback),
                ("10.0.0.1", .privateUse), ("172.16.0.1", .privateUse), ("172.31.255.255", .privateUse),
                ("172.32.0.1", nil), ("172.15.255.255", nil), ("192.168.1.1", .privateUse), ("192.169.0.1", nil),
                ("100.64.0.1", .sharedAddressSpace), ("100.127.255.255", .sharedAddressSpace), ("100.128.0.1", nil),
                ("169.254.169.254", .linkLocal), ("224.0.0.1", .multicast), ("239.255.255.250", .multicast),
                ("255.255.255.255", .reserved), ("192.0.2.1", .reserved), ("198.18.0.1", .reserved),
                ("8.8.8.8", nil), ("93.184.216.34", nil),
                ("::", .unspecified), ("::1", .loopback), ("::ffff:127.0.0.1", .loopback),
                ("::ffff:10.1.1.1", .privateUse),
                ("::ffff:8.8.8.8", nil), ("::127.0.0.1", .reserved), ("64:ff9b::a00:1", .privateUse),
                ("64:ff9b::808:808", nil), ("64:ff9b:1::1", .privateUse), ("2002:7f00:1::", .loopback),
                ("2002:808:808::1", nil), ("fc00::1", .uniqueLocal), ("fdff:ffff::1", .uniqueLocal),
                ("fe80::1", .linkLocal), ("febf::1", .linkLocal), ("fec0::1", .privateUse), ("ff02::1", .multicast),
                ("2001:db8::1", .reserved), ("2001::1", .reserved), ("100::1", .reserved), ("4000::1", .reserved),
                ("2606:4700:4700::1111", nil), ("2a00:1450:4001:80b::200e", nil),
            ]
            for (text, expected) in cases {
                let address = try #require(IPAddress(text), "\(text)")
                #expect(OutboundAddressPolicy.category(of: address) == expected, "\(text)")
            }
            let allowed = OutboundAddressPolicy(allowPrivate: true)
            try allowed.check(IPAddress("127.0.0.1")!, host: "127.0.0.1")
            #expect(throws: WebhookRefusal.forbiddenAddress) {
                try OutboundAddressPolicy().check(IPAddress("10.0.0.1")!, host: "intranet.example")
            }
        }

        @Test("URLs are read the way libcurl will call them, or refused")
        func urls() throws {
            let good: [(String, String, Int, String)] = [
                ("https://Hooks.Example.COM/a/b?c=1#frag", "hooks.example.com", 443,
                 "https://hooks.example.com/a/b?c=1"),
                ("HTTP://example.com:8080", "example.com", 8080, "http://example.com:8080"),
                ("http://8.8.8.8/x", "8.8.8.8", 80, "http://8.8.8.8/x"),
                ("http://[2606:4700::1]:81/x", "2606:4700::1", 81, "http://[2606:4700::1]:81/x"),
                ("http://my_host.internal./x", "my_host.internal.", 80, "http://my_host.internal./x"),
            ]
            for (text, host, port, request) in good {
                let url = try WebhookURL.parse(text)
                #expect(url.host == host && url.port == port && url.requestURL == request, "\(text)")
            }
            #expect(try WebhookURL.parse("http://8.8.8.8/").literal == IPAddress("8.8.8.8"))
            #expect(try WebhookURL.parse("http://example.com/").literal == nil)
            let bad = [
                "", "example.com/hook", "file:///etc/passwd", "gopher://x/", "http://", "http://:80/", "http://a b/",
                "http://a\\b/", "http://user:pw@example.com/", "http://example.com:0/", "http://example.com:65536/",
                "http://example.com:8o/", "http://example.com:1:2/", "http://[::1/", "http://[fe80::1%25eth0]/",
                "http://[127.0.0.1]/", "http://127.1/", "http://0x7f.1/", "http://2130706433/", "http://017700000001/",
                "http://example.123/", "http://exa$mple.com/", "http://ex..ample.com/", "http://bücher.example/",
                "http://" + String(repeating: "a", count: 64) + ".com/",
            ]
            for text in bad {
                #expect(throws: WebhookRefusal.invalidURL, "\(text)") { try WebhookURL.parse(text) }
            }
        }
    }

    @Suite("Retry schedule and attempt policy")
    struct Schedule {
        static let start: Int64 = 1_764_000_000_000

        @Test("the standard schedule: ceilings 5 s … 10 h, seven attempts, at most 17 h 35 min 5 s, always within 24 h")
        func standard() {
            let schedule = WebhookRetrySchedule.standard
            #expect(schedule.maxAttempts == 7)
            var now = Self.start
            var waits: [Int64] = []
            for failed in 1...6 {
                let next = schedule.nextAttempt(afterFailed: failed, seriesStartedAt: Self.start, now: now, random: 1)
                waits.append(next! - now)
                now = next!
            }
            // random just under 1: each wait is its ceiling less a millisecond at most.
            let ceilings: [Int64] = [5, 300, 1_800, 7_200, 18_000, 36_000].map { $0 * 1000 }
            #expect(zip(waits, ceilings).allSatisfy { $1 - $0 <= 1 && $0 < $1 }, "\(waits)")
            #expect(now - Self.start < 17 * 3_600_000 + 35 * 60_000 + 5_000)
            #expect(schedule.nextAttempt(afterFailed: 7, seriesStartedAt: Self.start, now: now, random: 0.5) == nil)
            // Full jitter: anywhere in [minimum, ceiling).
            #expect(schedule.nextAttempt(afterFailed: 6, seriesStartedAt: Self.start, now: Self.start, random: 0)
                        == Self.start + 1_000)
            #expect(schedule.nextAttempt(afterFailed: 6, seriesStartedAt: Self.start, now: Self.start, random: 0.25)
                        == Self.start + 9_000_000)
            // Never past the window, whatever the delays.
            #expect(schedule.nextAttempt(afterFailed: 6, seriesStartedAt: Self.start, now: Self.start + 20 * 3_600_000,
                                         random: 0.9) == nil)
        }

        @Test("what each outcome becomes")
        func decisions() {
            let schedule = WebhookRetrySchedule(delays: [.seconds(10)], minimumDelay: .zero)
            func decide(_ result: WebhookAttemptResult, attempt: Int = 1) -> WebhookAttemptDecision {
                WebhookAttemptPolicy.decide(result, schedule: schedule, seriesAttempt: attempt,
                                            seriesStartedAt: Self.start, now: Self.start, random: 0.5)
            }
            #expect(decide(.response(status: 200, location: nil)) == .delivered(status: 200))
            #expect(decide(.response(status: 299, location: nil)) == .delivered(status: 299))
            #expect(decide(.response(status: 410, location: nil)) == .disableEndpoint(status: 410))
            #expect(decide(.response(status: 404, location: nil))
                        == .retry(at: Self.start + 5_000, status: 404, error: "status: HTTP 404"))
            #expect(decide(.response(status: 301, location: "http://10.0.0.1/"))
                        == .retry(at: Self.start + 5_000, status: 301,
                                  error: "redirect: HTTP 301 not followed (Location: http://10.0.0.1/)"))
            #expect(decide(.failed("timeout: too slow"))
                        == .retry(at: Self.start + 5_000, status: nil, error: "timeout: too slow"))
            #expect(decide(.failed("connect: refused"), attempt: 2)
                        == .fail(status: nil, error: "connect: refused (gave up after 2 attempts)"))
            #expect(decide(.response(status: 500, location: nil), attempt: 2)
                        == .fail(status: 500, error: "status: HTTP 500 (gave up after 2 attempts)"))
            #expect(decide(.refused(.invalidURL)) == .fail(status: nil, error: "invalid_url: invalid URL"))
            #expect(decide(.endpointDisabled) == .skipDisabled)
        }
    }
}
