/// The converter chain of one document as a state machine: which step runs next, what each step's result
/// means, and when the document is done. Pure: the extractor runs the steps and reports back.
///
/// The chains, first success wins (a step whose program is disabled or missing is `skipped`):
/// - PDF: `pdftotext` (`-bbox-layout`, each page put in reading order by ``PDFPageLayout``; `-layout` when
///   that output is cut off or malformed); when its text is shorter than `MIN_TEXT_LENGTH_FOR_OCR` (or it
///   fails), the rendered pages are OCRed and the longer text is kept — never for a PDF known to be locked.
/// - Word 97–2003: `antiword` → `catdoc` → LibreOffice.
/// - DOCX, ODT: in-process XML → `pandoc` → LibreOffice.
/// - RTF: `unrtf --html` → `pandoc` → LibreOffice.
/// - HTML, plain text: in-process. Images: `tesseract`.
///
/// A failure that says something about the document itself (`encrypted`, `decompression_bomb`, `too_large`)
/// ends the chain: another converter would not do better. When every step fails, the most telling code wins.
struct ConverterChain {
    /// The text a step produced, normalised, with what the step said about it.
    struct Candidate: Equatable {
        var step: ConverterStep
        var text: TextNormalizer.Result
        var pages: Int?
        var ocr: Bool
    }

    /// What the document became.
    struct Extraction: Equatable {
        var text: String
        /// The step whose text was kept (`documents.extractor`).
        var extractor: ConverterStep
        var ocrUsed: Bool
        var encoding: TextNormalizer.Encoding
        /// Pages, when the step or (for a PDF) the text's form feeds tell.
        var pageCount: Int?
    }

    /// What the extractor does next.
    enum Action: Equatable {
        /// Run `step`. `knownPages` is the page count of the best text so far (OCR warns when it renders fewer).
        case run(ConverterStep, knownPages: Int?)
        /// The chain is over: the document is extracted.
        case extracted(Extraction)
        /// The chain is over: the document failed.
        case failed(ExtractionFailure)
    }

    private enum State {
        /// Nothing has run. Next: `running`, `done`.
        case ready
        /// `steps[index]` is running. Next: `running` (a later step), `done`.
        case running(index: Int)
        /// An outcome was returned. Next: none.
        case done
    }

    /// Failures that end the chain at once.
    static let final: Set<ExtractionFailure.Code> = [.encrypted, .decompressionBomb, .tooLarge]

    let kind: DocumentKind
    let steps: [ConverterStep]
    let minTextLengthForOCR: Int
    private var state = State.ready
    private var failures: [ExtractionFailure] = []
    private var best: Candidate?
    /// Every step tried so far, in order.
    private(set) var attempts: [ExtractedDocument.Attempt] = []

    init(kind: DocumentKind, minTextLengthForOCR: Int) {
        self.kind = kind
        self.steps = Self.steps(for: kind)
        self.minTextLengthForOCR = minTextLengthForOCR
    }

    /// The steps tried for `kind`, in order.
    static func steps(for kind: DocumentKind) -> [ConverterStep] {
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

    // MARK: Events

    /// The first step to run.
    mutating func start() -> Action {
        guard case .ready = state else { preconditionFailure("the chain was started twice") }
        return advance(from: 0)
    }

    /// The running step could not run: the next one goes.
    mutating func skipped(_ reason: String, milliseconds: Double) -> Action {
        let (index, step) = running()
        attempts.append(.init(converter: step.rawValue, outcome: "skipped", detail: reason, milliseconds: milliseconds))
        return advance(from: index + 1)
    }

    /// The running step failed: the next one goes, unless the failure is about the document itself.
    mutating func failed(_ failure: ExtractionFailure, milliseconds: Double) -> Action {
        let (index, step) = running()
        attempts.append(.init(converter: step.rawValue, outcome: failure.code.rawValue, detail: failure.detail,
                              milliseconds: milliseconds))
        failures.append(failure)
        if Self.final.contains(failure.code) { return finish() }
        return advance(from: index + 1)
    }

    /// The running step produced `text` (normalised). Empty text counts as a failure; a PDF's short text layer
    /// goes on to OCR; any other text ends the chain.
    mutating func produced(_ text: TextNormalizer.Result, pages: Int?, ocr: Bool, milliseconds: Double) -> Action {
        let (index, step) = running()
        if text.text.isEmpty {
            attempts.append(.init(converter: step.rawValue, outcome: "empty", milliseconds: milliseconds))
            failures.append(ExtractionFailure(.emptyText, "\(step.rawValue) found no text"))
            return advance(from: index + 1)
        }
        attempts.append(.init(converter: step.rawValue, outcome: "ok", milliseconds: milliseconds))
        let length = text.text.count
        if best == nil || length > best!.text.text.count {
            best = Candidate(step: step, text: text, pages: pages, ocr: ocr)
        }
        if step == .pdftotext && length < minTextLengthForOCR { return advance(from: index + 1) }
        return finish()
    }

    // MARK: Decisions

    private func running() -> (Int, ConverterStep) {
        guard case .running(let index) = state else { preconditionFailure("no step is running") }
        return (index, steps[index])
    }

    /// Runs `steps[index]` unless the chain is over.
    private mutating func advance(from index: Int) -> Action {
        guard index < steps.count else { return finish() }
        let step = steps[index]
        if step == .pdfOCR {
            // OCR only when the text layer is (nearly) empty, and never for a PDF known to be locked.
            if let best, best.text.text.count >= minTextLengthForOCR { return finish() }
            if failures.contains(where: { $0.code == .encrypted }) { return finish() }
        }
        state = .running(index: index)
        return .run(step, knownPages: best?.text.pageCount)
    }

    private mutating func finish() -> Action {
        state = .done
        if let best {
            return .extracted(Extraction(text: best.text.text, extractor: best.step, ocrUsed: best.ocr,
                                         encoding: best.text.encoding,
                                         pageCount: best.pages ?? (kind == .pdf ? best.text.pageCount : nil)))
        }
        let reasons = attempts.compactMap { $0.detail }.joined(separator: "; ")
        return .failed(Self.mostTelling(failures)
            ?? ExtractionFailure(.converterMissing, "no converter for \(kind.rawValue) is available: " + reasons))
    }

    /// The failure that says most about the document when every step failed.
    static func mostTelling(_ failures: [ExtractionFailure]) -> ExtractionFailure? {
        let order: [ExtractionFailure.Code] = [.encrypted, .decompressionBomb, .tooLarge, .corrupt, .timeout,
                                               .emptyText, .unsupportedType, .converterMissing]
        return failures.min { order.firstIndex(of: $0.code)! < order.firstIndex(of: $1.code)! }
    }
}
