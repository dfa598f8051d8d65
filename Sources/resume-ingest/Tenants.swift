import ArgumentParser
import Foundation
import Ingest
import Logging
import Loop
import Sink

/// `resume-ingest tenant …`: tenants, their limits and webhook.
struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Create, list and change tenants (DATABASE_URL).",
        subcommands: [Create.self, List.self, Update.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant and print its first API key (shown once: store it).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The tenant's name (its slug: letters, digits, '-' and '_').") var name: String
        @Option(help: "Documents a calendar month (UTC) may bring; past it uploads get 402.") var monthlyLimit: Int64?
        @Option(help: "API requests per second (e.g. 20 or 20/s); past it requests get 429.") var rate: String?
        @Option(help: "Share of the pipeline when several tenants queue at once (1-1000).") var weight: Int = 1
        @Option(help: "Where batch-completion webhooks go (Standard Webhooks v1).") var webhookURL: String?
        @Option(help: "A label for the first key.") var label: String = "first key"
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try global.bootstrapLogging()
            try TenantCommand.check(slug: name)
            let rate = try TenantCommand.rate(self.rate)
            guard (1...1000).contains(weight) else { throw ValidationError("--weight must be 1 to 1000") }
            let key = APIKey.generate()
            let secret = WebhookSecret.generate()
            let (name, monthlyLimit, weight, webhookURL, label, json) = (name, monthlyLimit, weight, webhookURL, label, json)
            try await TenantCommand.withDirectory { directory throws(PGError) in
                let tenant = try await directory.createTenant(
                    slug: name, name: name, monthlyLimit: monthlyLimit, ratePerSecond: rate, weight: weight,
                    webhookURL: webhookURL, webhookSecret: secret)
                let keyID = try await directory.createKey(tenant: name, sha256: APIKey.hash(key),
                                                          prefix: APIKey.shown(key), label: label)
                if json {
                    print(#"{"tenant":"\#(tenant.slug)","tenant_id":"\#(tenant.id)","key_id":"\#(keyID ?? "")","api_key":"\#(key)","webhook_secret":"\#(secret)"}"#)
                } else {
                    print("tenant \(tenant.slug) created (\(TenantCommand.limits(tenant)))")
                    print("API key (shown once; store it now): \(key)")
                    print("webhook signing secret (Standard Webhooks; GET /api/v1/tenant?include=webhook shows it again): \(secret)")
                    print("use it as:  curl -H 'Authorization: Bearer \(key)' -F files=@cv.pdf http://127.0.0.1:8080/api/v1/bulk-parse-resumes")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants and their limits.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            try global.bootstrapLogging()
            try await TenantCommand.withDirectory { directory throws(PGError) in
                for tenant in try await directory.tenants() {
                    print("\(tenant.slug)\t\(TenantCommand.limits(tenant))\tkeys issued: \(tenant.keysIssued ? "yes" : "no")\tcreated \(tenant.createdAt)")
                }
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a tenant's limits or webhook.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option(help: "Documents a month; 'none' removes the limit.") var monthlyLimit: String?
        @Option(help: "Requests per second; 'none' removes the limit.") var rate: String?
        @Option var weight: Int?
        @Option(help: "Webhook URL; 'none' removes it.") var webhookURL: String?
        func run() async throws {
            try global.bootstrapLogging()
            let limit: Int64?? = try monthlyLimit.map { text in
                if text == "none" { return Optional<Int64>.none }
                guard let n = Int64(text), n >= 0 else { throw ValidationError("--monthly-limit must be a count or none") }
                return n
            }
            let rate: Double?? = try self.rate.map { $0 == "none" ? nil : try TenantCommand.rate($0) }
            let url: String?? = webhookURL.map { $0 == "none" ? nil : $0 }
            let (name, weight) = (name, weight)
            try await TenantCommand.withDirectory { directory throws(PGError) in
                guard let tenant = try await directory.updateTenant(slug: name, monthlyLimit: limit, ratePerSecond: rate,
                                                                    weight: weight, webhookURL: url)
                else {
                    print("error: no tenant \(name)")
                    throw PGError(kind: .setting, message: "no tenant \(name)")
                }
                print("tenant \(tenant.slug): \(TenantCommand.limits(tenant))")
            }
        }
    }

    // MARK: Shared

    static func check(slug: String) throws {
        guard !slug.isEmpty, slug.count <= 64,
              slug.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" })
        else { throw ValidationError("a tenant name is 1 to 64 letters, digits, '-' or '_'") }
    }

    static func rate(_ text: String?) throws -> Double? {
        guard var text else { return nil }
        if text.hasSuffix("/s") { text.removeLast(2) }
        guard let r = Double(text), r > 0, r.isFinite else { throw ValidationError("--rate must be a positive number (e.g. 20/s)") }
        return r
    }

    static func limits(_ t: TenantRecord) -> String {
        let limit = t.monthlyLimit.map { "\($0) documents a month" } ?? "no monthly limit"
        let rate = t.ratePerSecond.map { "\($0) requests/s" } ?? "no rate limit"
        return "\(limit), \(rate), weight \(t.weight)" + (t.webhookURL.map { ", webhook \($0)" } ?? "")
    }

    /// Runs `body` with the directory over DATABASE_URL (migrated first), then stops the loop.
    static func withDirectory(_ body: @escaping @LoopActor (TenantDirectory) async throws(PGError) -> Void) async throws {
        try await withPool { pool throws(PGError) in try await body(TenantDirectory(pool: pool)) }
    }

    /// Runs `body` with a one-connection pool over DATABASE_URL (migrated first), then stops the loop.
    static func withPool(_ body: @escaping @LoopActor (SidePool) async throws(PGError) -> Void) async throws {
        let configuration = try ProcessEnvironment.sinkConfiguration()
        guard configuration.databaseURL != nil else {
            throw ValidationError("DATABASE_URL is not set (make tenant/make key set it to the private cluster's)")
        }
        let failure = await run(configuration, body)
        _ = EventLoop.shared.stop()
        if let failure {
            if failure.sqlState == "23505" {
                print("error: it exists already (\(failure.detail ?? failure.message))")
            } else if failure.kind != .setting {
                print("error: \(failure)")
            }
            throw ExitCode(1)
        }
    }

    @LoopActor
    private static func run(_ configuration: SinkConfiguration,
                            _ body: @LoopActor (SidePool) async throws(PGError) -> Void) async -> PGError? {
        var logger = Logger(label: "resume-ingest")
        logger.logLevel = .warning
        var configuration = configuration
        configuration.migrate = true
        let pool = SidePool(configuration: configuration, size: 1, logger: logger)
        defer { pool.close() }
        do throws(PGError) {
            try await body(pool)
            return nil
        } catch {
            return error
        }
    }
}

/// `resume-ingest key …`: API keys.
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Create, list and revoke API keys (DATABASE_URL).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key for a tenant (shown once).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The tenant.") var tenant: String
        @Option var label: String?
        @Flag(help: "Print JSON.") var json = false
        func run() async throws {
            try global.bootstrapLogging()
            let key = APIKey.generate()
            let (tenant, label, json) = (tenant, label, json)
            try await TenantCommand.withDirectory { directory throws(PGError) in
                guard let id = try await directory.createKey(tenant: tenant, sha256: APIKey.hash(key),
                                                             prefix: APIKey.shown(key), label: label)
                else {
                    print("error: no tenant \(tenant) (resume-ingest tenant create \(tenant))")
                    throw PGError(kind: .setting, message: "no tenant")
                }
                if json {
                    print(#"{"tenant":"\#(tenant)","key_id":"\#(id)","api_key":"\#(key)"}"#)
                } else {
                    print("key \(id) for \(tenant) (shown once; store it now): \(key)")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's keys (prefixes only).")
        @OptionGroup var global: GlobalOptions
        @Argument var tenant: String
        func run() async throws {
            try global.bootstrapLogging()
            let tenant = tenant
            try await TenantCommand.withDirectory { directory throws(PGError) in
                guard let keys = try await directory.keys(tenant: tenant) else {
                    print("error: no tenant \(tenant)")
                    throw PGError(kind: .setting, message: "no tenant")
                }
                for k in keys {
                    let state = k.revokedAt.map { "revoked \($0)" } ?? "active"
                    print("\(k.id)\t\(k.prefix ?? "")\t\(state)\tcreated \(k.createdAt)\tlast used \(k.lastUsedAt ?? "never")\t\(k.label ?? "")")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key by id; engines stop accepting it within AUTH_CACHE_SECONDS (5).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The key's id (from key list).") var id: String
        @Option(help: "The key's tenant (default: whichever holds it).") var tenant: String?
        func run() async throws {
            try global.bootstrapLogging()
            let (id, tenant) = (id, tenant)
            try await TenantCommand.withDirectory { directory throws(PGError) in
                guard let slug = try await directory.revokeKey(id: id, tenant: tenant) else {
                    print("error: no active key \(id)")
                    throw PGError(kind: .setting, message: "no key")
                }
                print("key \(id) of \(slug) revoked")
            }
        }
    }
}
