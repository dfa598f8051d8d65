import Foundation
import HTTP1
import Logging
@testable import Loop
@testable import Pipeline
import Sink
import Testing
import TestSupport

/// A webhook receiver on the engine's own HTTP server: records every request and answers each path from a list
/// (the last answer repeats; 200 when none is set).
@LoopActor
final class WebhookReceiver: HTTPRouter {
    struct Request: Sendable {
        var method: String
        var path: String
        var headers: [(String, String)]
        var body: [UInt8]

        /// The first value of header `name` (case-insensitive).
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    enum Answer {
        case status(Int)
        /// 302 with this `Location`.
        case redirect(String)
        /// No answer at all (until the server shuts down).
        case hang
    }

    private(set) var received: [Request] = []
    private var answers: [String: [Answer]] = [:]

    func answer(_ path: String, _ list: [Answer]) { answers[path] = list }

    func handler(for exchange: HTTPExchange) -> any HTTPRequestHandler { Collector(exchange: exchange, receiver: self) }

    fileprivate func complete(_ exchange: HTTPExchange, body: [UInt8]) {
        let head = exchange.head
        received.append(Request(method: head.method, path: head.target,
                                headers: head.headers.map { ($0.name, $0.value) }, body: body))
        var list = answers[head.target] ?? [.status(200)]
        let answer = list.count > 1 ? list.removeFirst() : list[0]
        answers[head.target] = list
        switch answer {
        case .status(let status): exchange.respond(HTTPResponse(status: status))
        case .redirect(let location): exchange.respond(HTTPResponse(status: 302, headers: [("Location", location)]))
        case .hang: break
        }
    }

    private final class Collector: HTTPRequestHandler {
        let exchange: HTTPExchange
        weak var receiver: WebhookReceiver?
        var body: [UInt8] = []
        init(exchange: HTTPExchange, receiver: WebhookReceiver) {
            self.exchange = exchange
            self.receiver = receiver
        }
        func receive(_ bytes: UnsafeRawBufferPointer) { body += bytes }
        func end() { receiver?.complete(exchange, body: body) }
        func abort() {}
    }
}

/// One test's webhook set-up: a migrated database behind a ``SidePool``, the tenant `default`, a receiver, and a
/// dispatcher on a manual clock whose retries are due 5 s (of that clock) after a failure.
@LoopActor
final class WebhookHarness {
    let pool: SidePool
    let clock = ManualClock()
    let receiver: WebhookReceiver
    let server: HTTPServer
    let port: Int
    let tenantID: String
    let configuration: WebhookConfiguration
    let dispatcher: WebhookDispatcher
    private var restarts: [WebhookDispatcher] = []

    /// Quiet unless `WEBHOOK_TEST_LOG` names a level (`debug`, `trace`) to follow the dispatcher.
    static let logger: Logger = {
        var logger = Logger(label: "webhooks")
        let level = ProcessInfo.processInfo.environment["WEBHOOK_TEST_LOG"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? .error
        return logger
    }()

    private init(pool: SidePool, receiver: WebhookReceiver, server: HTTPServer, port: Int, tenantID: String,
                 configuration: WebhookConfiguration) {
        self.pool = pool
        self.receiver = receiver
        self.server = server
        self.port = port
        self.tenantID = tenantID
        self.configuration = configuration
        dispatcher = WebhookDispatcher(pool: pool, configuration: configuration, logger: Self.logger, clock: clock,
                                       random: { 0.5 })
    }

    /// The set-up on database `db`; the dispatcher running unless `start` is false.
    static func make(_ db: String, allowPrivate: Bool = true, timeoutMilliseconds: Int = 5_000, start: Bool = true)
        async throws -> WebhookHarness
    {
        var database = SinkConfiguration()
        database.databaseURL = db
        let pool = SidePool(configuration: database, size: 4, logger: logger)
        // The first connection migrates; a machine this loaded may refuse a first connection, so try again.
        var tenantID: String?
        for attempt in 1...5 where tenantID == nil {
            do throws(PGError) {
                tenantID = try await pool.withConnection { c throws(PGError) in
                    try await c.query("SELECT id::text FROM tenants WHERE slug = 'default'").scalar
                }
            } catch {
                if attempt == 5 { throw error }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        var configuration = WebhookConfiguration()
        configuration.allowPrivate = allowPrivate
        configuration.timeoutMilliseconds = timeoutMilliseconds
        configuration.pollMilliseconds = 20
        configuration.schedule = WebhookRetrySchedule(delays: [.seconds(10), .seconds(10), .seconds(10)],
                                                      window: .seconds(3600), minimumDelay: .zero)
        let (server, receiver, port) = try receiver(port: 0)
        let harness = WebhookHarness(pool: pool, receiver: receiver, server: server, port: port,
                                     tenantID: try #require(tenantID), configuration: configuration)
        if start { harness.dispatcher.start() }
        return harness
    }

    /// A receiver listening on 127.0.0.1:`port` (0: any free port).
    static func receiver(port: Int) throws -> (server: HTTPServer, receiver: WebhookReceiver, port: Int) {
        let receiver = WebhookReceiver()
        let server = HTTPServer(limits: HTTPServerLimits(), router: receiver, metrics: UnobservedHTTPServer(),
                                logger: logger)
        return (server, receiver, try server.start(host: "127.0.0.1", port: port))
    }

    /// A port nothing listens on (one just given up by a server of ours).
    static func closedPort() async throws -> Int {
        let (server, _, port) = try receiver(port: 0)
        await server.shutdown(graceMilliseconds: 0)
        return port
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    func setResolver(_ resolver: @escaping @LoopActor (String, Int) async throws(UVError) -> [IPAddress]) {
        dispatcher.resolver = resolver
    }

    /// A second dispatcher on the same database, clock and settings, started (an engine restarted).
    func restarted() -> WebhookDispatcher {
        let next = WebhookDispatcher(pool: pool, configuration: configuration, logger: Self.logger, clock: clock,
                                     random: { 0.5 })
        restarts.append(next)
        next.start()
        return next
    }

    func delivery(_ id: String, in dispatcher: WebhookDispatcher? = nil) async throws -> WebhookDelivery {
        guard let d = try await (dispatcher ?? self.dispatcher).delivery(tenantID: tenantID, deliveryID: id) else {
            throw TestFailure("no delivery \(id)")
        }
        return d
    }

    /// Waits (up to `seconds` of real time, which only a broken dispatcher reaches) until `condition` holds.
    func waitFor(_ what: String, seconds: Int = 60, _ condition: () async throws -> Bool) async throws {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(seconds) {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("waited \(seconds) s for \(what)")
    }

    func waitForStatus(_ id: String, _ status: WebhookDeliveryStatus, in dispatcher: WebhookDispatcher? = nil)
        async throws
    {
        var last: WebhookDelivery?
        do {
            try await waitFor("\(id) to be \(status)") {
                last = try await delivery(id, in: dispatcher)
                return last?.status == status
            }
        } catch {
            throw TestFailure("\(error); last seen: \(String(describing: last))")
        }
    }

    /// Waits until `id` has had `attempts` attempts recorded; returns it then.
    func waitForAttempts(_ id: String, _ attempts: Int) async throws -> WebhookDelivery {
        var last: WebhookDelivery?
        try await waitFor("\(id) to have \(attempts) attempts") {
            last = try await delivery(id)
            return (last?.attempts ?? 0) >= attempts
        }
        return last!
    }

    func close() async {
        await dispatcher.close()
        for other in restarts { await other.close() }
        #expect(dispatcher.attemptsInFlight == 0)
        await server.shutdown(graceMilliseconds: 0)
        pool.close()
    }
}
