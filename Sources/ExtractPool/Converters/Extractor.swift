import Foundation
import Loop
import Logging

/// Turns one document into clean text: sniff its real type, run its converter chain, normalise.
///
/// The decisions are values: ``ConverterChain`` says which step runs next and what the document became,
/// ``ConverterStep/execution(kind:directory:configuration:)`` and ``ConverterCommand`` give each step's
/// command line, ``OCRFanOut`` which pages of a scanned PDF to OCR and how their texts merge, and
/// ``WorkDirectory`` where it all happens. The extractor carries them out: it starts the children (each
/// holding a process slot), reads their output, and creates and removes the work directories.
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
    /// How converters are confined: decided by ``open()`` (``ConverterSandbox/probe(configuration:scratch:)``),
    /// off until then.
    public private(set) var sandbox = ConverterSandbox.off("the extractor is not open yet")
    private let sniffers = SnifferPool()
    private let workDirectory: String
    private let logger: Logger
    private var nextWorkID = 0
    /// How the input's link is made in a work directory: `symlink(2)`; tests put a failing one in its place.
    var linkInput: @Sendable (_ link: String, _ target: String) throws -> Void = { link, target in
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
    }

    /// Time the loop thread spent starting converter processes, one entry per process (nanoseconds).
    public private(set) var spawnLoopNanoseconds: [UInt64] = []
    /// Whether to record ``spawnLoopNanoseconds`` (benchmarks).
    public var recordSpawnCosts = false

    public init(configuration: ExtractConfiguration, tools: ConverterTools? = nil, logger: Logger) {
        self.configuration = configuration
        let tools = tools ?? ConverterTools(configuration: configuration)
        self.tools = tools
        self.slots = ProcessSlots(capacity: configuration.concurrency)
        self.workDirectory = WorkDirectory.absolute(configuration.workDirectory)
        self.logger = logger
        if configuration.libreOfficeInstances > 0, tools.libreOfficeUsable {
            office = WarmOfficePool(tools: tools, configuration: configuration,
                                    workDirectory: workDirectory + "/office", logger: logger)
        } else {
            office = nil
        }
    }

    /// Empties the work directory (leftovers of a crash) and creates it, then decides whether converters run
    /// in a sandbox (`EXTRACT_SANDBOX`; throws ``SandboxUnavailable`` when it is required and does not work).
    public func open() async throws {
        let dir = workDirectory
        try await Offload.run {
            let fm = FileManager.default
            if fm.fileExists(atPath: dir) { try fm.removeItem(atPath: dir) }
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        sandbox = try await ConverterSandbox.probe(configuration: configuration, scratch: dir)
        office?.sandbox = sandbox
        let summary = sandbox.summary(mode: configuration.sandbox)
        if summary.status == "ok" {
            logger.info("converter sandbox", metadata: ["state": "\(summary.detail)"])
        } else {
            logger.warning("converters are not sandboxed", metadata: ["reason": "\(summary.detail)"])
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

        nextWorkID += 1
        let directory = WorkDirectory(root: workDirectory, number: nextWorkID, input: input, kind: kind)
        do {
            try await create(directory)
        } catch {
            // The directory may exist without its link: it goes like any other.
            await remove(directory)
            doc.failure = ExtractionFailure(.corrupt, "cannot prepare a work directory: \(error)")
            return doc
        }
        await runChain(kind: kind, input: input, directory: directory, into: &doc)
        await remove(directory)
        return doc
    }

    /// Runs the steps ``ConverterChain`` asks for until it says what the document became.
    private func runChain(kind: DocumentKind, input: ExtractionInput, directory: WorkDirectory,
                          into doc: inout ExtractedDocument) async {
        var chain = ConverterChain(kind: kind, minTextLengthForOCR: configuration.minTextLengthForOCR)
        var action = chain.start()
        while true {
            switch action {
            case .run(let step, let knownPages):
                let t0 = SystemClock.shared.monotonicNanoseconds()
                let result = await run(step, kind: kind, input: input, directory: directory, knownPages: knownPages,
                                       warnings: &doc.warnings)
                let ms = Self.milliseconds(since: t0)
                switch result {
                case .skipped(let reason):
                    action = chain.skipped(reason, milliseconds: ms)
                case .failed(let failure):
                    action = chain.failed(failure, milliseconds: ms)
                case .output(let bytes, let pages, let ocr):
                    let normalized = await Offload.runNonThrowing { TextNormalizer.normalize(bytes) }
                    action = chain.produced(normalized, pages: pages, ocr: ocr, milliseconds: ms)
                }
            case .extracted(let extraction):
                doc.attempts.append(contentsOf: chain.attempts)
                doc.status = .extracted
                doc.text = extraction.text
                doc.extractor = extraction.extractor.rawValue
                doc.ocrUsed = extraction.ocrUsed
                doc.encoding = extraction.encoding.rawValue
                doc.pageCount = extraction.pageCount
                return
            case .failed(let failure):
                doc.attempts.append(contentsOf: chain.attempts)
                doc.failure = failure
                return
            }
        }
    }

    // MARK: Steps

    private func run(_ step: ConverterStep, kind: DocumentKind, input: ExtractionInput, directory: WorkDirectory,
                     knownPages: Int?, warnings: inout [String]) async -> ConverterStep.Result {
        switch step.execution(kind: kind, directory: directory, configuration: configuration) {
        case .program(let command):
            return await run(command, in: directory)
        case .pdfText(let boxes, let layout):
            let result = await run(boxes, in: directory)
            if case .failed(let failure) = result, failure.code == .tooLarge || failure.code == .corrupt {
                return await run(layout, in: directory)
            }
            return result
        case .ocrPDF(let render, let pagesDirectory):
            return await ocrPDF(render: render, pagesDirectory: pagesDirectory, directory: directory,
                                knownPages: knownPages, warnings: &warnings)
        case .officeXML(let limits):
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
            let result = await slots.with { await office.convert(file: directory.input) }
            switch result {
            case .success(let r): return .output(r.text, pages: r.pages, ocr: false)
            case .failure(let f): return .failed(f)
            }
        case .readHTML:
            return await read(input.path, html: true)
        case .readText:
            return await read(input.path, html: false)
        }
    }

    /// The input file itself as a step's output: its bytes, or the text of its HTML.
    private func read(_ path: String, html isHTML: Bool) async -> ConverterStep.Result {
        let bytes = await Offload.runNonThrowing { () -> [UInt8]? in
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            let raw = [UInt8](data)
            return isHTML ? Array(HTMLText.extract(TextNormalizer.decode(raw).0).utf8) : raw
        }
        guard let bytes else { return .failed(ExtractionFailure(.corrupt, "cannot read the file")) }
        return .output(bytes, pages: nil, ocr: false)
    }

    /// Runs a converter program, holding a process slot, classifies its outcome and reads its output. In the
    /// sandbox it sees its work directory (writable) and the document (read-only), nothing else of the engine's.
    private func run(_ command: ConverterCommand, in directory: WorkDirectory) async -> ConverterStep.Result {
        guard let path = tools.path(command.program) else { return .skipped(tools.unavailable(command.program)) }
        let child = sandbox.wrap(command.child(executable: path, directory: directory.path, configuration: configuration),
                                 writable: [directory.path], readOnly: [directory.source])
        let outcome: ChildOutcome
        do {
            outcome = try await sandbox.unwrapped(slots.with { () async throws(ChildSpawnError) -> ChildOutcome in
                try await ChildProcess.run(child)
            })
        } catch {
            return .failed(ExtractionFailure(.converterMissing, "\(error)"))
        }
        if recordSpawnCosts { spawnLoopNanoseconds.append(outcome.loopNanoseconds) }
        if let failure = command.failure(of: outcome, limits: child.limits) { return .failed(failure) }
        switch command.output {
        case .text:
            return .output(outcome.stdout, pages: nil, ocr: false)
        case .html:
            let html = outcome.stdout
            let text = await Offload.runNonThrowing { Array(HTMLText.extract(TextNormalizer.decode(html).0).utf8) }
            return .output(text, pages: nil, ocr: false)
        case .ocrPage:
            return .output(outcome.stdout, pages: 1, ocr: true)
        case .pdfBoxes:
            let xhtml = outcome.stdout
            guard let (text, pages) = await Offload.runNonThrowing({ PDFBoxLayout.text(of: xhtml) }) else {
                return .failed(ExtractionFailure(.corrupt, "\(command.program) wrote malformed XHTML"))
            }
            return .output(Array(text.utf8), pages: pages, ocr: false)
        }
    }

    /// Renders the PDF's pages, then OCRs them as ``OCRFanOut`` says.
    private func ocrPDF(render: ConverterCommand, pagesDirectory: String, directory: WorkDirectory, knownPages: Int?,
                        warnings: inout [String]) async -> ConverterStep.Result {
        guard tools.path(render.program) != nil, tools.path("tesseract") != nil else {
            return .skipped(tools.path(render.program) == nil
                ? tools.unavailable(render.program) : tools.unavailable("tesseract"))
        }
        try? FileManager.default.createDirectory(atPath: pagesDirectory, withIntermediateDirectories: true)
        let rendered = await run(render, in: directory)
        if case .failed(let f) = rendered { return .failed(f) }
        if case .skipped(let s) = rendered { return .skipped(s) }
        let listing = await Offload.runNonThrowing {
            (try? FileManager.default.contentsOfDirectory(atPath: pagesDirectory)) ?? []
        }
        var fanOut = OCRFanOut(listing: listing, knownPages: knownPages, maxAtOnce: slots.capacity)
        if let warning = fanOut.warning { warnings.append(warning) }
        let results = PageResults()
        var action = fanOut.start()
        while true {
            switch action {
            case .finish(let result):
                return result
            case .start(let pages):
                for page in pages {
                    let command = ConverterCommand.tesseract(image: pagesDirectory + "/" + fanOut.pages[page],
                                                             configuration: configuration)
                    EventLoop.spawn { await results.deliver(page, self.run(command, in: directory)) }
                }
            case .wait:
                break
            }
            let (page, result) = await results.next()
            action = fanOut.finished(page, result)
        }
    }

    // MARK: Work directories

    /// Creates `directory` (private to the engine's user) with its link to the input.
    private func create(_ directory: WorkDirectory) async throws {
        let linkInput = self.linkInput
        try await Offload.run {
            let fm = FileManager.default
            try fm.createDirectory(atPath: directory.path, withIntermediateDirectories: true,
                                   attributes: [.posixPermissions: 0o700])
            try linkInput(directory.input, directory.source)
        }
    }

    /// Removes `directory` and everything in it; a failure leaves it for the next start-up's cleaning.
    private func remove(_ directory: WorkDirectory) async {
        _ = try? await Offload.run { try FileManager.default.removeItem(atPath: directory.path) }
    }

    static func milliseconds(since start: UInt64) -> Double {
        Double(SystemClock.shared.monotonicNanoseconds() - start) / 1e6
    }
}
