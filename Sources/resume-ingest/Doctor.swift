import Loop
import ArgumentParser
import Pipeline
import ExtractPool
import Foundation
import Ingest
import LLMBatcher
import Sink

/// `resume-ingest doctor`: the effective configuration and what this machine provides.
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the effective configuration and check the machine.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let configuration = try ProcessEnvironment.configuration()
        let extract = try ProcessEnvironment.extractConfiguration()
        print("# effective configuration (environment variable = value)")
        let pool = ProcessEnvironment.current["UV_THREADPOOL_SIZE"] ?? "16"
        let tools = ConverterTools(configuration: extract)
        let llm = try ProcessEnvironment.llmConfiguration()
        let database = try ProcessEnvironment.sinkConfiguration()
        let webhooks: WebhookConfiguration
        do {
            webhooks = try WebhookConfiguration(environment: ProcessEnvironment.current)
        } catch {
            throw ValidationError("invalid configuration: \(error)")
        }
        let retain = ProcessEnvironment.current["RETAIN_FAILED_HOURS"] ?? "72"
        let rows = configuration.printable + extract.printable + llm.printable + database.printable
            + webhooks.printable + [("RETAIN_FAILED_HOURS", retain), ("UV_THREADPOOL_SIZE", pool)]
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows {
            print(name.padding(toLength: width) + " = " + value)
        }
        print("")
        print("# libraries")
        print("libmagic".padding(toLength: width) + " = " + ContentSniffer.libraryVersion)
        print("")
        print("# converters")
        for (program, state) in tools.summary {
            print(program.padding(toLength: width) + " = " + state)
        }
        print("python3-uno".padding(toLength: width) + " = " + (tools.hasPythonUNO ? "yes" : "missing"))
        let sandbox = await Self.sandbox(extract)
        print("sandbox".padding(toLength: width) + " = " + sandbox.status + ": " + sandbox.detail)
    }

    /// Whether converters would run sandboxed here: the extractor's own probe, in a scratch directory.
    @LoopActor
    static func sandbox(_ configuration: ExtractConfiguration) async -> (status: String, detail: String) {
        let scratch = NSTemporaryDirectory() + "resume-ingest-doctor-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        do {
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            return try await ConverterSandbox.probe(configuration: configuration, scratch: scratch)
                .summary(mode: configuration.sandbox)
        } catch {
            return ("failed", "\(error)")
        }
    }
}

extension String {
    func padding(toLength length: Int) -> String {
        count >= length ? self : self + String(repeating: " ", count: length - count)
    }
}
