import ArgumentParser
import Foundation
import LoadGen
import Logging
import Loop

#if canImport(Glibc)
import Glibc
#endif

/// `resume-ingest loadgen URL`: multipart upload load from a real corpus against any upload endpoint.
struct LoadGenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: "Load an upload endpoint with multipart uploads of a resume corpus (closed or open loop).",
        discussion: """
            Sends POST multipart/form-data requests built from the corpus files to URL (http only) and reports \
            throughput, latency percentiles (HDR histogram), bytes, answers by status and failures by kind \
            (connect, timeout, reset, closed, protocol).

            Closed loop (--concurrency C): C connections, each sending its next request when the last is \
            answered. Open loop (--rate R): requests on a fixed schedule of R per second whatever the server \
            does; latency counts from each request's slot, so a stalled server shows in the percentiles \
            instead of slowing the test down. If the schedule cannot be kept, the report says so ("intended \
            2,000/s, achieved 1,340/s, N requests late").

            The corpus (folders, globs such as 'dir/**/*.pdf', archives .zip/.tar/.tar.gz/.tar.zst, files) \
            is read from disk as it is sent; memory does not grow with it. A corpus that fits in 16 MiB is \
            kept in memory after its first pass.

            SAFETY: only loopback and private test addresses (127/8, ::1, 10/8, 172.16/12, 192.168/16, \
            100.64/10, link-local, fc00::/7) are loaded unless --allow-remote is given. Load only servers \
            you own or are allowed to test.
            """)

    @Argument(help: "The upload endpoint, e.g. http://127.0.0.1:8080/api/v1/bulk-parse-resumes.")
    var url: String

    @Option(name: .long, help: "Corpus: a folder, a glob, an archive or a file (repeat for more).")
    var corpus: [String] = []

    @Option(help: "Files in each request.")
    var filesPerRequest = 1

    @Option(help: "The multipart field name of the files.")
    var field = "files"

    @Option(help: "An extra form field NAME=VALUE (repeatable).")
    var form: [String] = []

    @Option(name: [.customShort("H"), .long], help: "An extra header 'Name: value', e.g. auth (repeatable).")
    var header: [String] = []

    @Flag(help: "Compress each body with zstd (Content-Encoding: zstd).")
    var zstd = false

    @Option(help: "Closed loop: connections, each with one request out at a time (default 8).")
    var concurrency: Int?

    @Option(help: "Open loop: requests per second on a fixed schedule.")
    var rate: Double?

    @Option(help: "Open loop: the most connections to open.")
    var connections = 256

    @Option(help: "A ramp stage DURATION@LOAD (repeatable): over DURATION the load moves in a straight line to LOAD (requests/s with --rate, connections otherwise), e.g. --stage 10s@100 --stage 30s@500.")
    var stage: [String] = []

    @Option(help: "How long to send (e.g. 30s, 2m). Default: the stages' sum, else 10s unless --requests is given.")
    var duration: String?

    @Option(help: "How many requests to send.")
    var requests: Int?

    @Option(help: "A request with no whole answer after this long fails as a timeout.")
    var timeout = "30s"

    @Option(help: "End-to-end mode: 'poll' follows each 202's batch (GET /api/v1/batches/{id}) to completion and reports upload → result latency.")
    var follow: String?

    @Option(help: "With --follow: time between polls of one batch.")
    var pollInterval = "250ms"

    @Option(help: "With --follow: how long to wait after the run for batches still open.")
    var followWait = "120s"

    @Flag(help: "Print one JSON object on stdout instead of the table.")
    var json = false

    @Flag(help: "No live line on the terminal.")
    var quiet = false

    @Flag(help: "Allow a target that is not a loopback or private address.")
    var allowRemote = false

    func validate() throws {
        if concurrency != nil && rate != nil { throw ValidationError("give --concurrency (closed loop) or --rate (open loop), not both") }
        if let c = concurrency, c < 1 { throw ValidationError("--concurrency must be at least 1") }
        if let r = rate, !(r > 0) { throw ValidationError("--rate must be above 0") }
        if filesPerRequest < 1 { throw ValidationError("--files-per-request must be at least 1") }
        if connections < 1 { throw ValidationError("--connections must be at least 1") }
        if let requests, requests < 1 { throw ValidationError("--requests must be at least 1") }
        if let follow, follow != "poll" { throw ValidationError("--follow takes 'poll'") }
        if corpus.isEmpty { throw ValidationError("name the corpus with --corpus PATH (a folder, a glob, an archive or a file)") }
    }

    func run() async throws {
        EventLoop.measuresIdleTime = false
        do {
            try await Self.execute(self)
        } catch let error as LoadGenError {
            standardError("loadgen: \(error.description)\n")
            throw ExitCode(error.exitCode)
        }
        let leaks = EventLoop.shared.stop()
        if !leaks.isEmpty {
            standardError("loadgen: handles left open at exit: \(leaks)\n")
            throw ExitCode(70)
        }
    }

    @LoopActor
    static func execute(_ options: LoadGenCommand) async throws {
        let target = try LoadTarget(url: options.url)
        var plan = LoadPlan(mode: options.rate.map { .open(rate: $0, maxConnections: options.connections) }
                            ?? .closed(concurrency: options.concurrency ?? 8))
        plan.stages = try options.stage.map { text throws(LoadGenError) in try DurationText.stage(text) }
        plan.duration = try options.duration.map { text throws(LoadGenError) in try DurationText.seconds(text, option: "--duration") }
        plan.requests = options.requests
        plan.timeoutSeconds = try DurationText.seconds(options.timeout, option: "--timeout")
        let formFields = try options.form.map { text throws(LoadGenError) -> (name: String, value: String) in
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
                throw .badOption("--form takes NAME=VALUE, got \(text)")
            }
            return (String(text[..<eq]), String(text[text.index(after: eq)...]))
        }
        let headers = try options.header.map { text throws(LoadGenError) -> (name: String, value: String) in
            guard let colon = text.firstIndex(of: ":"), colon != text.startIndex,
                  text[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || "-_!#$%&'*+.^`|~".contains($0) }),
                  !text.contains("\r"), !text.contains("\n") else {
                throw .badOption("--header takes 'Name: value', got \(text)")
            }
            let name = String(text[..<colon])
            if ["host", "content-length", "content-type", "transfer-encoding"].contains(name.lowercased()) {
                throw .badOption("--header cannot set \(name): loadgen writes it")
            }
            return (name, text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        // Request buffers are up to a corpus file's size, made on one thread and freed on another: with glibc's
        // sliding mmap threshold they would settle in arenas and RSS would climb with the corpus's largest
        // files. A fixed threshold keeps every buffer over 256 KiB in its own mapping, returned when freed.
        MemoryTuning.mapLargeBuffers(from: 256 * 1024)
        let corpus = try Corpus(paths: options.corpus)
        guard try corpus.hasFiles() else { throw LoadGenError.corpusEmpty(options.corpus) }
        let addresses = try await target.resolve(allowRemote: options.allowRemote)
        try await LoadTarget.probe(addresses, port: target.port)

        let builder = RequestBuilder(target: target, field: options.field, formFields: formFields, headers: headers,
                                     zstd: options.zstd)
        let feed = CorpusFeed(corpus: corpus, builder: builder, filesPerRequest: options.filesPerRequest)
        var follower: BatchFollower?
        if options.follow != nil {
            follower = BatchFollower(builder: builder, addresses: addresses, port: target.port,
                                     pollMilliseconds: Int(try DurationText.seconds(options.pollInterval, option: "--poll-interval") * 1000),
                                     waitSeconds: try DurationText.seconds(options.followWait, option: "--follow-wait"))
        }
        let terminal = isatty(STDERR_FILENO) == 1 && !options.quiet
        let generator = LoadGenerator(plan: plan, addresses: addresses, port: target.port, feed: feed,
                                      follower: follower,
                                      live: terminal ? { line in standardError("\r\u{1B}[K" + line) } : nil)
        // The first Ctrl-C ends the sending and waits for the answers still out; a second stops following
        // batches; either way the report follows. A third quits at once.
        var interrupts = 0
        let signals = SignalWatcher(signals: [SIGINT, SIGTERM]) { _ in
            interrupts += 1
            if interrupts > 2 { Glibc.exit(130) }
            generator.stop()
        }
        let report = await generator.run()
        signals.cancel()
        if terminal { standardError("\r\u{1B}[K") }
        print(options.json ? report.json : report.table)
        // The corpus failed mid-run (an archive damaged past its first pass): the run's figures stand, and
        // the error is said after them.
        if let error = feed.error { throw error }
        if report.stats.answered == 0 {
            standardError("loadgen: no request was answered\n")
            throw ExitCode(1)
        }
    }
}

/// "30s", "500ms", "2m", "1h" or a plain number of seconds; stages as "DURATION@LOAD".
enum DurationText {
    static func seconds(_ text: String, option: String) throws(LoadGenError) -> Double {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let v = Double(text.dropLast(suffix.count)), v >= 0, v.isFinite { return v * scale }
        }
        if let v = Double(text), v >= 0, v.isFinite { return v }
        throw .badOption("\(option) takes a duration such as 30s, 500ms or 2m, got \(text)")
    }

    static func stage(_ text: String) throws(LoadGenError) -> LoadPlan.Stage {
        let parts = text.split(separator: "@")
        guard parts.count == 2, let level = Double(parts[1]), level >= 0 else {
            throw .badOption("--stage takes DURATION@LOAD, e.g. 30s@200, got \(text)")
        }
        return LoadPlan.Stage(seconds: try seconds(String(parts[0]), option: "--stage"), level: level)
    }
}

/// Written straight to fd 2: the live line and errors go out as written.
private func standardError(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
