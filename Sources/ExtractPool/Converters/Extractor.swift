import Foundation
import Loop
import Logging

/// Turns one document into clean text: sniff its real type, run its converter chain, normalise.
///
/// The chains, first success wins (each step can be switched off by `DOC_ENABLE_*` or be missing):
/// - PDF: `pdftotext -layout`; when that yields fewer than `MIN_TEXT_LENGTH_FOR_OCR` characters, the
///   pages are rendered (`pdftoppm`, capped at `OCR_MAX_PAGES`) and OCRed (`tesseract`, one process per
///   page, as many at once as there are process slots) and the longer text is kept.
/// - Word 97–2003: `antiword` → `catdoc` → LibreOffice.
/// - DOCX, ODT: in-process XML (``OfficeXMLText``: no process start, and a zip bomb is stopped while it
///   inflates) → `pandoc` → LibreOffice.
/// - RTF: `unrtf --html` read by ``HTMLText`` (its `--text` mode turns non-ASCII into `?`) → `pandoc` →
///   LibreOffice.
/// - HTML: in-process (``HTMLText``). Plain text: in-process decoding. Images: `tesseract`.
///
/// Every converter runs in a private temporary directory removed afterwards; failures keep their code,
/// and when every step fails the most telling code wins (`encrypted` over `corrupt` over `empty_text`…).
@LoopActor
public final class Extractor {
    public let configuration: ExtractConfiguration
    public let tools: ConverterTools
    /// Converter processes running at once, across all documents.
    public let slots: ProcessSlots
    /// Warm LibreOffice instances (nil when LibreOffice is disabled or missing).
    public let office: WarmOfficePool?
    private let sniffers = SnifferPool()
    private let workDirectory: String
    private let logger: Logger
    private var nextWorkID = 0

    /// Time the loop thread spent starting converter processes, one entry per process (nanoseconds).
    public private(set) var spawnLoopNanoseconds: [UInt64] = []
    /// Whether to record ``spawnLoopNanoseconds`` (benchmarks).
    public var recordSpawnCosts = false

    public init(configuration: ExtractConfiguration, tools: ConverterTools? = nil, logger: Logger) {
        self.configuration = configuration
        let tools = tools ?? ConverterTools(configuration: configuration)
        self.tools = tools
        self.slots = ProcessSlots(capacity: configuration.concurrency)
        self.workDirectory = Extractor.absolute(configuration.workDirectory)
        self.logger = logger
        if configuration.libreOfficeInstances > 0, tools.libreOfficeUsable {
            office = WarmOfficePool(tools: tools, configuration: configuration,
                                    workDirectory: workDirectory + "/office", logger: logger)
        } else {
            office = nil
        }
    }

    /// Empties the work directory (leftovers of a crash) and creates it.
    public func open() async throws {
        let dir = workDirectory
        try await Offload.run {
            let fm = FileManager.default
            if fm.fileExists(atPath: dir) { try fm.removeItem(atPath: dir) }
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
    }

    /// Stops the warm LibreOffice instances.
    public func close() async {
        await office?.shutdown()
    }

    // MARK: One document

    /// Extracts `input`; never throws: a failure is a document with status `failed` and a code.
    public func extract(_ input: ExtractionInput) async -> ExtractedDocument {
        let started = SystemClock.shared.monotonicNanoseconds()
        var doc = await extractTimed(input)
        doc.milliseconds = Self.milliseconds(since: started)
        return doc
    }

    private func extractTimed(_ input: ExtractionInput) async -> ExtractedDocument {
        var doc = ExtractedDocument(input: input, status: .failed, detectedType: nil, kind: nil, text: "",
                                    extractor: nil, ocrUsed: false, pageCount: nil, encoding: nil,
                                    milliseconds: 0, attempts: [], failure: nil, warnings: [])
        let sniffers = self.sniffers
        let path = input.path
        let mime: String
        do {
            mime = try await Offload.run { try sniffers.mimeType(ofFile: path) }
        } catch {
            doc.failure = ExtractionFailure(.corrupt, "cannot read the file: \(error)")
            return doc
        }
        doc.detectedType = mime
        let kind: DocumentKind
        switch DocumentKind.classify(mimeType: mime) {
        case .success(let k): kind = k
        case .failure(let failure):
            doc.failure = failure
            return doc
        }
        doc.kind = kind

        let dir: String
        do {
            dir = try await makeWorkDirectory(for: input, kind: kind)
        } catch {
            doc.failure = ExtractionFailure(.corrupt, "cannot prepare a work directory: \(error)")
            return doc
        }
        await runChain(kind: kind, input: input, directory: dir, into: &doc)
        _ = try? await Offload.run { try FileManager.default.removeItem(atPath: dir) }
        return doc
    }

    /// What one converter step produced.
    enum StepResult {
        case output([UInt8], pages: Int?, ocr: Bool)
        case failed(ExtractionFailure)
        case skipped(String)
    }

    enum Step: String, CaseIterable {
        case pdftotext, pdfOCR = "pdftoppm+tesseract", imageOCR = "tesseract", antiword, catdoc
        case officeXML = "office-xml", pandoc, libreOffice = "libreoffice", unrtf = "unrtf+html"
        case html, text
    }

    static func chain(for kind: DocumentKind) -> [Step] {
        switch kind {
        case .pdf: [.pdftotext, .pdfOCR]
        case .word97: [.antiword, .catdoc, .libreOffice]
        case .docx, .odt: [.officeXML, .pandoc, .libreOffice]
        case .rtf: [.unrtf, .pandoc, .libreOffice]
        case .html: [.html]
        case .text: [.text]
        case .image: [.imageOCR]
        }
    }

    private func runChain(kind: DocumentKind, input: ExtractionInput, directory: String,
                          into doc: inout ExtractedDocument) async {
        var failures: [ExtractionFailure] = []
        var best: (step: Step, result: TextNormalizer.Result, pages: Int?, ocr: Bool)?
        steps: for step in Self.chain(for: kind) {
            if step == .pdfOCR {
                // OCR only when the text layer is (nearly) empty, and never for a PDF known to be locked.
                if let b = best, b.result.text.count >= configuration.minTextLengthForOCR { break steps }
                if failures.contains(where: { $0.code == .encrypted }) { break steps }
            }
            let t0 = SystemClock.shared.monotonicNanoseconds()
            let result = await run(step, kind: kind, input: input, directory: directory,
                                   knownPages: best?.result.pageCount, warnings: &doc.warnings)
            let ms = Self.milliseconds(since: t0)
            switch result {
            case .skipped(let reason):
                doc.attempts.append(.init(converter: step.rawValue, outcome: "skipped", detail: reason, milliseconds: ms))
            case .failed(let failure):
                doc.attempts.append(.init(converter: step.rawValue, outcome: failure.code.rawValue,
                                          detail: failure.detail, milliseconds: ms))
                failures.append(failure)
                // These say something about the document itself: another converter would not do better.
                if [.encrypted, .decompressionBomb, .tooLarge].contains(failure.code) { break steps }
            case .output(let bytes, let pages, let ocr):
                let normalized = await Offload.runNonThrowing { TextNormalizer.normalize(bytes) }
                if normalized.text.isEmpty {
                    doc.attempts.append(.init(converter: step.rawValue, outcome: "empty", milliseconds: ms))
                    failures.append(ExtractionFailure(.emptyText, "\(step.rawValue) found no text"))
                    continue steps
                }
                doc.attempts.append(.init(converter: step.rawValue, outcome: "ok", milliseconds: ms))
                if best == nil || normalized.text.count > best!.result.text.count {
                    best = (step, normalized, pages, ocr)
                }
                // A PDF's short text layer goes on to OCR; anything else is done.
                if step == .pdftotext && normalized.text.count < configuration.minTextLengthForOCR { continue steps }
                break steps
            }
        }
        if let best {
            doc.status = .extracted
            doc.text = best.result.text
            doc.extractor = best.step.rawValue
            doc.ocrUsed = best.ocr
            doc.encoding = best.result.encoding.rawValue
            doc.pageCount = best.pages ?? (kind == .pdf ? best.result.pageCount : nil)
            return
        }
        doc.failure = Self.mostTelling(failures) ?? ExtractionFailure(
            .converterMissing,
            "no converter for \(kind.rawValue) is available: "
                + doc.attempts.compactMap { $0.detail }.joined(separator: "; "))
    }

    /// The failure that says most about the document when every step failed.
    static func mostTelling(_ failures: [ExtractionFailure]) -> ExtractionFailure? {
        let order: [ExtractionFailure.Code] = [.encrypted, .decompressionBomb, .tooLarge, .corrupt, .timeout,
                                               .emptyText, .unsupportedType, .converterMissing]
        return failures.min { order.firstIndex(of: $0.code)! < order.firstIndex(of: $1.code)! }
    }

    // MARK: Steps

    private func run(_ step: Step, kind: DocumentKind, input: ExtractionInput, directory: String,
                     knownPages: Int?, warnings: inout [String]) async -> StepResult {
        let file = directory + "/input." + Self.fileExtension(kind)
        switch step {
        case .pdftotext:
            return await converter("pdftotext", ["-layout", "-enc", "UTF-8", file, "-"], in: directory)
        case .pdfOCR:
            return await ocrPDF(file, directory: directory, knownPages: knownPages, warnings: &warnings)
        case .imageOCR:
            guard let tesseract = tools.path("tesseract") else { return .skipped(tools.unavailable("tesseract")) }
            return await runTesseract(tesseract, image: file, directory: directory)
        case .antiword:
            return await converter("antiword", ["-m", "UTF-8.txt", "-w", "0", file], in: directory)
        case .catdoc:
            return await converter("catdoc", ["-d", "utf-8", "-w", file], in: directory)
        case .pandoc:
            let from = kind == .rtf ? "rtf" : kind.rawValue
            return await converter("pandoc", ["-f", from, "-t", "plain", "--wrap=none", file], in: directory)
        case .unrtf:
            let result = await converter("unrtf", ["--html", file], in: directory)
            guard case .output(let html, _, _) = result else { return result }
            let text = await Offload.runNonThrowing { Array(HTMLText.extract(TextNormalizer.decode(html).0).utf8) }
            return .output(text, pages: nil, ocr: false)
        case .officeXML:
            var xmlLimits = OfficeXMLText.Limits()
            xmlLimits.maxEntryBytes = configuration.maxInflatedBytes
            xmlLimits.maxTotalInflated = 2 * configuration.maxInflatedBytes
            let limits = xmlLimits
            let path = input.path
            let result = await Offload.runNonThrowing { () -> Result<OfficeXMLText.Result, ExtractionFailure> in
                do throws(ExtractionFailure) {
                    return .success(try OfficeXMLText.extract(path: path, kind: kind, limits: limits))
                } catch {
                    return .failure(error)
                }
            }
            switch result {
            case .success(let r): return .output(Array(r.text.utf8), pages: r.pageCount, ocr: false)
            case .failure(let f): return .failed(f)
            }
        case .libreOffice:
            guard let office else {
                return .skipped(configuration.libreOfficeInstances == 0 || !configuration.enableLibreOffice
                    ? "LibreOffice is disabled by configuration"
                    : tools.path("soffice") == nil ? tools.unavailable("soffice") : "python3-uno is not installed")
            }
            let result = await slots.with { await office.convert(file: file, directory: directory) }
            switch result {
            case .success(let r): return .output(r.text, pages: r.pages, ocr: false)
            case .failure(let f): return .failed(f)
            }
        case .html, .text:
            let path = input.path
            let isHTML = step == .html
            let bytes = await Offload.runNonThrowing { () -> [UInt8]? in
                guard let data = FileManager.default.contents(atPath: path) else { return nil }
                let raw = [UInt8](data)
                return isHTML ? Array(HTMLText.extract(TextNormalizer.decode(raw).0).utf8) : raw
            }
            guard let bytes else { return .failed(ExtractionFailure(.corrupt, "cannot read the file")) }
            return .output(bytes, pages: nil, ocr: false)
        }
    }

    /// Runs a converter program, holding a process slot, and classifies its outcome.
    private func converter(_ program: String, _ arguments: [String], in directory: String,
                           extraEnvironment: [String: String] = [:]) async -> StepResult {
        guard let path = tools.path(program) else { return .skipped(tools.unavailable(program)) }
        var env = ["PATH": "/usr/bin:/bin", "HOME": directory, "TMPDIR": directory, "LANG": "C.UTF-8",
                   "LC_ALL": "C.UTF-8"]
        env.merge(extraEnvironment) { $1 }
        var limits = ChildLimits()
        limits.addressSpace = UInt64(configuration.memoryLimitBytes)
        limits.cpuSeconds = UInt64(max(1, configuration.timeoutMilliseconds / 1000 + 1))
        limits.fileSize = UInt64(max(configuration.maxOutputBytes, 256 << 20))
        limits.stdoutCap = configuration.maxOutputBytes
        limits.timeoutMilliseconds = UInt64(configuration.timeoutMilliseconds)
        let command = ChildCommand(executable: path, arguments: arguments, environment: env,
                                   workingDirectory: directory, limits: limits)
        let outcome: ChildOutcome
        do {
            outcome = try await slots.with { () async throws(ChildSpawnError) -> ChildOutcome in
                try await ChildProcess.run(command)
            }
        } catch {
            return .failed(ExtractionFailure(.converterMissing, "\(error)"))
        }
        if recordSpawnCosts { spawnLoopNanoseconds.append(outcome.loopNanoseconds) }
        if let failure = Self.classify(outcome, program: program, limits: limits) { return .failed(failure) }
        return .output(outcome.stdout, pages: nil, ocr: false)
    }

    /// The failure a converter's outcome means, or nil for success.
    static func classify(_ outcome: ChildOutcome, program: String, limits: ChildLimits) -> ExtractionFailure? {
        let tail = outcome.stderrText
        let said = tail.isEmpty ? "" : ": " + String(tail.suffix(600))
        if outcome.timedOut {
            return ExtractionFailure(.timeout, "\(program) ran past \(limits.timeoutMilliseconds) ms and was killed\(said)")
        }
        if outcome.stdoutOverflowed {
            return ExtractionFailure(.tooLarge, "\(program) wrote more than \(limits.stdoutCap) bytes and was cut off")
        }
        switch outcome.termination {
        case .exited(0):
            return nil
        case .signaled(SIGXCPU), .signaled(SIGKILL):
            return ExtractionFailure(.timeout, "\(program) used its \(limits.cpuSeconds) s of CPU and was killed\(said)")
        case .signaled(SIGXFSZ):
            return ExtractionFailure(.tooLarge, "\(program) wrote a file over \(limits.fileSize) bytes\(said)")
        case .exited(let code), .signaled(let code):
            let lower = tail.lowercased()
            if lower.contains("password") || lower.contains("encrypt") {
                return ExtractionFailure(.encrypted, "\(program): the document is password-protected\(said)")
            }
            if lower.contains("bad_alloc") || lower.contains("out of memory") || lower.contains("cannot allocate") {
                return ExtractionFailure(.tooLarge, "\(program) ran out of its \(limits.addressSpace >> 20) MiB\(said)")
            }
            let how = if case .signaled = outcome.termination { "was killed by signal \(code)" } else { "exited with \(code)" }
            return ExtractionFailure(.corrupt, "\(program) \(how)\(said)")
        }
    }

    private func ocrPDF(_ file: String, directory: String, knownPages: Int?,
                        warnings: inout [String]) async -> StepResult {
        guard tools.path("pdftoppm") != nil, tools.path("tesseract") != nil else {
            return .skipped(tools.path("pdftoppm") == nil ? tools.unavailable("pdftoppm") : tools.unavailable("tesseract"))
        }
        let pagesDir = directory + "/pages"
        try? FileManager.default.createDirectory(atPath: pagesDir, withIntermediateDirectories: true)
        let rendered = await converter("pdftoppm", ["-r", String(configuration.ocrDPI), "-gray", "-l",
                                                    String(configuration.ocrMaxPages), "-png", file, pagesDir + "/page"],
                                       in: directory)
        if case .failed(let f) = rendered { return .failed(f) }
        if case .skipped(let s) = rendered { return .skipped(s) }
        let pages = await Offload.runNonThrowing {
            ((try? FileManager.default.contentsOfDirectory(atPath: pagesDir)) ?? []).filter { $0.hasSuffix(".png") }.sorted()
        }
        if pages.isEmpty { return .failed(ExtractionFailure(.emptyText, "the PDF has no pages to OCR")) }
        if let known = knownPages, known > pages.count {
            warnings.append("OCR stopped at \(pages.count) of \(known) pages (OCR_MAX_PAGES)")
        }
        // One tesseract per page, as many at once as the slots allow; the text keeps page order.
        let tesseract = tools.path("tesseract")!
        let gather = PageGather(count: pages.count)
        for i in pages.indices {
            ocrPage(i, tesseract: tesseract, image: pagesDir + "/" + pages[i], directory: directory, into: gather)
        }
        let results = await gather.all()
        var text: [UInt8] = []
        for (i, r) in results.enumerated() {
            switch r! {
            case .output(let bytes, _, _):
                if i > 0 { text.append(0x0C) }
                text += bytes
            case .failed(let f): return .failed(f)
            case .skipped(let s): return .skipped(s)
            }
        }
        return .output(text, pages: knownPages ?? pages.count, ocr: true)
    }

    private func ocrPage(_ index: Int, tesseract: String, image: String, directory: String, into gather: PageGather) {
        EventLoop.spawn {
            await gather.finish(index, self.runTesseract(tesseract, image: image, directory: directory))
        }
    }

    private func runTesseract(_ path: String, image: String, directory: String) async -> StepResult {
        let result = await converter("tesseract", [image, "stdout", "-l", configuration.ocrLanguages, "--psm", "3"],
                                     in: directory, extraEnvironment: ["OMP_THREAD_LIMIT": "1"])
        if case .output(let bytes, _, _) = result { return .output(bytes, pages: 1, ocr: true) }
        return result
    }

    // MARK: Work directories

    private func makeWorkDirectory(for input: ExtractionInput, kind: DocumentKind) async throws -> String {
        nextWorkID += 1
        let dir = workDirectory + "/\(nextWorkID)-" + String(input.id.prefix(36).filter { $0.isLetter || $0.isNumber || $0 == "-" })
        let source = Self.absolute(input.path)
        let link = dir + "/input." + Self.fileExtension(kind)
        try await Offload.run {
            let fm = FileManager.default
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                   attributes: [.posixPermissions: 0o700])
            // Converters see a name with the right extension (LibreOffice and pandoc care); the bytes stay
            // where they are.
            try fm.createSymbolicLink(atPath: link, withDestinationPath: source)
        }
        return dir
    }

    static func fileExtension(_ kind: DocumentKind) -> String {
        switch kind {
        case .pdf: "pdf"
        case .word97: "doc"
        case .docx: "docx"
        case .odt: "odt"
        case .rtf: "rtf"
        case .html: "html"
        case .text: "txt"
        case .image: "img"
        }
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    static func milliseconds(since start: UInt64) -> Double {
        Double(SystemClock.shared.monotonicNanoseconds() - start) / 1e6
    }
}

/// Results of per-page OCR runs, in page order, awaited together.
@LoopActor
final class PageGather {
    private var results: [Extractor.StepResult?]
    private var remaining: Int
    private var waiter: CheckedContinuation<Void, Never>?

    init(count: Int) {
        results = Array(repeating: nil, count: count)
        remaining = count
    }

    func finish(_ index: Int, _ result: Extractor.StepResult) {
        results[index] = result
        remaining -= 1
        if remaining == 0, let w = waiter {
            waiter = nil
            w.resume()
        }
    }

    func all() async -> [Extractor.StepResult?] {
        if remaining > 0 { await withCheckedContinuation(isolation: LoopActor.shared) { waiter = $0 } }
        return results
    }
}
