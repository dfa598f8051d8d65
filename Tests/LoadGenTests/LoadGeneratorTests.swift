import Foundation
import Loop
import Testing
import TestSupport
@testable import LoadGen

/// loadgen against real sockets: the scripted server answers well, slowly, with garbage or not at all.
@Suite("loadgen against scripted servers", .serialized)
struct LoadGeneratorTests {
    /// A corpus folder of `count` small distinct files of varied sizes and types.
    static func corpus(_ count: Int = 5) throws -> String {
        let dir = try TemporaryDirectory.make(prefix: "corpus")
        let types = ["pdf", "docx", "txt", "rtf", "html"]
        for i in 0..<count {
            let bytes = (0..<(200 + i * 97)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
            FileManager.default.createFile(atPath: "\(dir)/cv-\(i).\(types[i % types.count])", contents: Data(bytes))
        }
        return dir
    }

    @LoopActor
    static func run(_ server: ScriptedServer, plan: LoadPlan, corpus: String, filesPerRequest: Int = 1,
                    follow: Bool = false) async throws -> LoadReport {
        let target = try LoadTarget(url: "http://127.0.0.1:\(server.port)/api/v1/bulk-parse-resumes")
        let builder = RequestBuilder(target: target, formFields: [("label", "load test")],
                                     headers: [("Authorization", "Bearer sk-test")])
        let feed = CorpusFeed(corpus: try Corpus(paths: [corpus]), builder: builder, filesPerRequest: filesPerRequest)
        let addresses = [IPAddress("127.0.0.1")!]
        let follower = follow ? BatchFollower(builder: builder, addresses: addresses, port: server.port,
                                              pollMilliseconds: 20, waitSeconds: 1) : nil
        let generator = LoadGenerator(plan: plan, addresses: addresses, port: server.port, feed: feed, follower: follower)
        return await generator.run()
    }

    @Test("closed loop: every request sent whole, answered, counted, with the form fields and headers given")
    @LoopActor
    func closedLoop() async throws {
        let server = try ScriptedServer(.accept)
        defer { server.stop() }
        var plan = LoadPlan(mode: .closed(concurrency: 3))
        plan.requests = 30
        let report = try await Self.run(server, plan: plan, corpus: try Self.corpus(), filesPerRequest: 2)
        #expect(report.stats.requests == 30)
        #expect(report.stats.ok == 30)
        #expect(report.stats.statuses == [202: 30])
        #expect(report.stats.filesAccepted == 60)
        #expect(report.stats.latency.totalCount == 30)
        #expect(report.stats.failed == 0)
        #expect(server.requests == 30)
        #expect(report.stats.bytesSent > server.bodyBytes, "the heads are counted too")
        let head = try #require(server.heads.first)
        #expect(head.hasPrefix("POST /api/v1/bulk-parse-resumes HTTP/1.1\r\n"))
        #expect(head.contains("Authorization: Bearer sk-test"))
        #expect(head.contains("Content-Type: multipart/form-data; boundary="))
        let json = try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any]
        #expect(json?["ok"] as? Int == 30)
        #expect((json?["latency_ms"] as? [String: Any])?["p99"] != nil)
    }

    @Test("a server that answers 503 is counted by status and error code, not as a failure")
    @LoopActor
    func refusals() async throws {
        let server = try ScriptedServer(.refuse)
        defer { server.stop() }
        var plan = LoadPlan(mode: .closed(concurrency: 2))
        plan.requests = 10
        let report = try await Self.run(server, plan: plan, corpus: try Self.corpus())
        #expect(report.stats.ok == 0)
        #expect(report.stats.statuses == [503: 10])
        #expect(report.stats.errorCodes == ["503 spool_full": 10])
        #expect(report.table.contains("503 spool_full: 10"))
    }

    @Test("a server that closes connections without answering: failures of kind closed or reset, none lost")
    @LoopActor
    func closes() async throws {
        let server = try ScriptedServer(.close)
        defer { server.stop() }
        var plan = LoadPlan(mode: .closed(concurrency: 2))
        plan.requests = 12
        let report = try await Self.run(server, plan: plan, corpus: try Self.corpus())
        #expect(report.stats.answered == 0)
        #expect(report.stats.requests == 12)
        let closedOrReset = report.stats.failures[.closed, default: 0] + report.stats.failures[.reset, default: 0]
        #expect(closedOrReset == 12, "every request is accounted for: \(report.stats.failures)")
        #expect(report.table.contains("failures"))
    }

    @Test("a server that answers garbage: failures of kind protocol")
    @LoopActor
    func garbage() async throws {
        let server = try ScriptedServer(.garbage)
        defer { server.stop() }
        var plan = LoadPlan(mode: .closed(concurrency: 2))
        plan.requests = 6
        let report = try await Self.run(server, plan: plan, corpus: try Self.corpus())
        #expect(report.stats.failures == [.protocol: 6])
        #expect(report.stats.failureSamples.first?.contains("status line") == true)
    }

    @Test("a server slower than --timeout: failures of kind timeout")
    @LoopActor
    func slow() async throws {
        let server = try ScriptedServer(.slow(milliseconds: 3000))
        defer { server.stop() }
        var plan = LoadPlan(mode: .closed(concurrency: 2))
        plan.requests = 2
        plan.timeoutSeconds = 0.3
        let report = try await Self.run(server, plan: plan, corpus: try Self.corpus())
        #expect(report.stats.failures == [.timeout: 2])
        #expect(report.stats.answered == 0)
    }

    @Test("open loop on a slow server: latency counts from each request's slot, not from its send")
    @LoopActor
    func openLoopCountsFromTheSlot() async throws {
        // One connection, answers after 100 ms, 50 requests/s: each request waits for the one before, so the
        // schedule falls behind and the later requests' latencies grow far past the server's 100 ms.
        let server = try ScriptedServer(.slow(milliseconds: 100))
        defer { server.stop() }
        var plan = LoadPlan(mode: .open(rate: 50, maxConnections: 1))
        plan.requests = 15
        let report = try await Self.run(server, plan: plan, corpus: try Self.corpus())
        #expect(report.stats.ok == 15)
        #expect(report.stats.scheduled == 15)
        #expect(report.stats.late >= 10, "requests waited for the connection: \(report.stats.late)")
        // The 15th slot is at 280 ms; its answer comes after ≥ 15 × 100 ms of serial service.
        #expect(report.stats.latency.max >= 1_000_000, "max \(report.stats.latency.max) µs")
        #expect(!report.sustained)
        let shortfall = try #require(report.shortfall)
        #expect(shortfall.contains("intended") && shortfall.contains("achieved") && shortfall.contains("late"))
    }

    @Test("a rate the connections cannot carry is reported, not quietly lowered")
    @LoopActor
    func unsustainableRate() async throws {
        let server = try ScriptedServer(.slow(milliseconds: 50))
        defer { server.stop() }
        var plan = LoadPlan(mode: .open(rate: 2000, maxConnections: 2))
        plan.duration = 0.5
        let report = try await Self.run(server, plan: plan, corpus: try Self.corpus())
        #expect(report.stats.scheduled >= 500, "the schedule holds every slot of the intended rate")
        #expect(report.stats.requests < report.stats.scheduled / 2)
        #expect(report.stats.unsent > 0)
        #expect(!report.sustained)
        #expect(report.table.contains("NOT SUSTAINED: intended"))
        let json = try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any]
        #expect(json?["sustained"] as? Bool == false)
        #expect((json?["intended_rps"] as? Double ?? 0) > 900)
    }

    @Test("ramp stages move the closed loop's connections")
    @LoopActor
    func stages() async throws {
        let server = try ScriptedServer(.slow(milliseconds: 20))
        defer { server.stop() }
        var plan = LoadPlan(mode: .closed(concurrency: 1))
        plan.stages = [.init(seconds: 0.3, level: 1), .init(seconds: 0.3, level: 6)]
        #expect(plan.sendingSeconds == 0.6)
        #expect(abs(plan.level(at: 0.45) - 3.5) < 1e-9)
        let report = try await Self.run(server, plan: plan, corpus: try Self.corpus())
        #expect(report.stats.ok > 0)
        #expect(report.stats.failed == 0)
    }

    @Test("a batch id is read from a 202 cut short (an upload of many files answers with an entry per file)")
    func batchIDFromAPrefix() {
        let whole = Array("{\"batch_id\":\"0190c0de-0000-7000-8000-000000000001\",\"files\":[]}".utf8)
        #expect(LoadGenerator.batchID(whole) == "0190c0de-0000-7000-8000-000000000001")
        let cut = Array("{\"batch_id\":\"0190c0de-0000-7000-8000-000000000002\",\"files\":[{\"id\":\"01".utf8)
        #expect(LoadGenerator.batchID(cut) == "0190c0de-0000-7000-8000-000000000002")
        #expect(LoadGenerator.batchID(Array("{\"batch_id\":\"0190c0de-00".utf8)) == nil, "an id cut short is no id")
    }

    @Test("a stage through zero pauses the open loop's schedule, it does not end it")
    @LoopActor
    func stageThroughZero() async throws {
        let server = try ScriptedServer(.accept)
        defer { server.stop() }
        var plan = LoadPlan(mode: .open(rate: 50, maxConnections: 4))
        plan.stages = [.init(seconds: 0.2, level: 0), .init(seconds: 0.2, level: 0), .init(seconds: 0.4, level: 100)]
        let report = try await Self.run(server, plan: plan, corpus: try Self.corpus())
        // About 5 slots while ramping down, none in the hold, about 20 ramping up again.
        #expect(report.stats.scheduled >= 15, "\(report.stats.scheduled)")
        // Every slot is answered or, on a loaded machine, left unsent when the last stage ends: none is lost.
        #expect(report.stats.ok + report.stats.unsent == report.stats.scheduled, "\(report.table)")
        #expect(report.stats.failed == 0)
    }

    @Test("end-to-end mode follows each 202's batch to completion")
    @LoopActor
    func follows() async throws {
        let server = try ScriptedServer(.accept)
        defer { server.stop() }
        var plan = LoadPlan(mode: .closed(concurrency: 2))
        plan.requests = 4
        let report = try await Self.run(server, plan: plan, corpus: try Self.corpus(), follow: true)
        let follow = try #require(report.follow)
        #expect(report.stats.ok == 4)
        #expect(follow.batches == 4, "polls: \(server.polls)")
        #expect(follow.unfinished == 0)
        #expect(follow.latency.totalCount == 4)
    }
    @Test("through Debian's nginx to an upstream: every request arrives whole, every answer comes back")
    @LoopActor
    func throughNginx() async throws {
        let server = try ScriptedServer(.accept)
        defer { server.stop() }
        let nginx = try await NginxBalancer.start(upstreams: [server.port])
        defer { nginx.stop() }
        var plan = LoadPlan(mode: .open(rate: 200, maxConnections: 8))
        plan.requests = 40
        let target = try LoadTarget(url: "http://127.0.0.1:\(nginx.port)/api/v1/bulk-parse-resumes")
        let builder = RequestBuilder(target: target)
        let feed = CorpusFeed(corpus: try Corpus(paths: [try Self.corpus(7)]), builder: builder, filesPerRequest: 3)
        let generator = LoadGenerator(plan: plan, addresses: [IPAddress("127.0.0.1")!], port: nginx.port, feed: feed,
                                      follower: nil)
        let report = await generator.run()
        #expect(report.stats.statuses == [202: 40], "\(report.table)\n\(nginx.errorLog)")
        #expect(server.requests == 40, "each request reached the upstream once")
        #expect(server.heads.allSatisfy { $0.contains("multipart/form-data; boundary=----loadgen") })
        #expect(report.stats.filesAccepted == 120)
    }
    @Test("zstd bodies: the engine's Ingest decodes them and spools every file as it was on disk")
    @LoopActor
    func zstdBodies() async throws {
        let server = try await TestServer()
        let dir = try Self.corpus(3)
        var plan = LoadPlan(mode: .closed(concurrency: 2))
        plan.requests = 3
        let target = try LoadTarget(url: "http://127.0.0.1:\(server.port)/api/v1/bulk-parse-resumes")
        let builder = RequestBuilder(target: target, zstd: true)
        let feed = CorpusFeed(corpus: try Corpus(paths: [dir]), builder: builder, filesPerRequest: 1)
        let generator = LoadGenerator(plan: plan, addresses: [IPAddress("127.0.0.1")!], port: server.port, feed: feed,
                                      follower: nil)
        let report = await generator.run()
        await server.stop()
        #expect(report.stats.statuses == [202: 3], "\(report.table)")
        let originals = Set(try FileManager.default.contentsOfDirectory(atPath: dir).map {
            try #require(FileManager.default.contents(atPath: dir + "/" + $0))
        })
        let spooled = Set(server.incoming().filter { $0.hasSuffix(".data") }.compactMap {
            server.read("incoming/" + $0).map { Data($0) }
        })
        #expect(spooled == originals, "the spool holds the three files byte for byte")
    }
}
