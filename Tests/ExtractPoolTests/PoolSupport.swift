import Foundation
@testable import Loop
import Logging
import Testing
import TestSupport

@testable import ExtractPool

/// The repository's `bench-data/sample`: real files of every format and the nasty set, with a manifest.
enum Sample {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/bench-data/sample"
    }()

    struct Entry {
        var file: String
        var format: String
        var status: String
        var errorCode: String?
        var pageCount: Int?
        var name: String?
        var email: String?
    }

    static func manifest() throws -> [Entry] {
        let text = try String(contentsOfFile: root + "/manifest.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let expected = o["expected"] as! [String: Any]
            let basics = (o["record"] as? [String: Any])?["basics"] as? [String: Any]
            return Entry(file: root + "/" + (o["file"] as! String), format: o["format"] as! String,
                         status: expected["status"] as! String, errorCode: expected["error_code"] as? String,
                         pageCount: expected["page_count"] as? Int, name: basics?["name"] as? String,
                         email: basics?["email"] as? String)
        }
    }

    static func path(_ name: String) -> String { root + "/files/" + name }
}

/// Hands the pool a fixed list of inputs and counts how many it pulled.
@LoopActor
final class ListSource: ExtractionSource {
    private var inputs: [ExtractionInput]
    private(set) var pulled = 0

    init(_ paths: [String]) {
        inputs = paths.enumerated().reversed().map { i, p in ExtractionInput(id: "doc-\(i)", path: p, size: 0) }
    }

    func next() async -> ExtractionInput? {
        guard let input = inputs.popLast() else { return nil }
        pulled += 1
        return input
    }
}

/// Collects documents; optionally closed (no room) until ``open()``.
@LoopActor
final class CollectingConsumer: ExtractionConsumer {
    private(set) var documents: [String: ExtractedDocument] = [:]
    private var closed: Bool
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(closed: Bool = false) { self.closed = closed }

    func waitForRoom() async {
        if !closed { return }
        await withCheckedContinuation(isolation: LoopActor.shared) { waiters.append($0) }
    }

    func accept(_ document: ExtractedDocument) async { documents[document.input.path] = document }

    func open() {
        closed = false
        let w = waiters
        waiters = []
        w.forEach { $0.resume() }
    }
}

enum PoolHarness {
    /// A configuration whose work directory is private to the test.
    static func configuration(_ tweak: (inout ExtractConfiguration) -> Void = { _ in }) throws -> ExtractConfiguration {
        var c = ExtractConfiguration()
        c.workDirectory = try TemporaryDirectory.make(prefix: "extract") + "/work"
        c.concurrency = 2
        tweak(&c)
        return c
    }

    /// Runs `paths` through a pool and returns the documents by path.
    @LoopActor
    static func run(_ paths: [String], configuration: ExtractConfiguration, tools: ConverterTools? = nil)
        async throws -> (documents: [String: ExtractedDocument], extractor: Extractor)
    {
        let extractor = Extractor(configuration: configuration, tools: tools, logger: Logger(label: "test"))
        try await extractor.open()
        let consumer = CollectingConsumer()
        let pool = ExtractPool(extractor: extractor, source: ListSource(paths), consumer: consumer,
                               logger: Logger(label: "test"))
        await pool.run()
        await extractor.close()
        return (consumer.documents, extractor)
    }

    /// The converters found, less antiword and catdoc, so Word 97 documents go to LibreOffice; nil (and a
    /// recorded issue) when LibreOffice or python3-uno is missing.
    static func libreOfficeOnlyForWord97(_ configuration: ExtractConfiguration) -> ConverterTools? {
        var tools = ConverterTools(configuration: configuration)
        guard tools.libreOfficeUsable else {
            Issue.record("LibreOffice or python3-uno is not installed: make test installs them")
            return nil
        }
        tools.paths["antiword"] = nil
        tools.paths["catdoc"] = nil
        return tools
    }

    /// Processes whose command line mentions `path` (a converter left running would). A process killed a
    /// moment ago may still be tearing down its memory: it gets up to three seconds to be gone. The scan and
    /// its waits run on a thread of their own, never the loop's (a `/proc` read can wait on a dying process).
    static func processesMentioning(_ path: String) async -> [String] {
        (try? await offThread { waitForProcessesMentioning(path) }) ?? ["(the scan of /proc failed)"]
    }

    private static func waitForProcessesMentioning(_ path: String) -> [String] {
        var found = scan(path)
        var waited = 0
        while !found.isEmpty && waited < 3_000 {
            usleep(50_000)
            waited += 50
            found = scan(path)
        }
        return found
    }

    private static func scan(_ path: String) -> [String] {
        let fm = FileManager.default
        return ((try? fm.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid in
            guard Int(pid) != nil, let data = fm.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            // A zombie (its parent has not reaped it yet) runs nothing.
            if let stat = fm.contents(atPath: "/proc/\(pid)/stat"),
               String(decoding: stat, as: UTF8.self).split(separator: ")").last?.split(separator: " ").first == "Z" {
                return nil
            }
            let cmd = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return cmd.contains(path) ? "\(pid): \(cmd)" : nil
        }
    }

    /// Per-document work directories left behind (the LibreOffice profile directory is kept on purpose).
    static func leftovers(_ configuration: ExtractConfiguration) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: configuration.workDirectory)) ?? []).filter { $0 != "office" }
    }
}
