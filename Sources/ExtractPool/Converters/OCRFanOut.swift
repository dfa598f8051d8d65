/// OCR of a rendered PDF as a state machine: which page images to OCR, how many at once, and how their texts
/// merge. Pure: the extractor starts one `tesseract` per page it is told to and reports each result.
///
/// Pages start in page order, at most `maxAtOnce` running (each still takes a process slot). The texts are
/// joined in page order with form feeds. A page that fails (or cannot run) fails the step: no page starts
/// after it, the running ones are waited for, and the first failure in page order is the step's result.
struct OCRFanOut {
    /// What the extractor does next.
    enum Action: Equatable {
        /// Start OCR of these pages (indices into ``pages``), then wait for a result.
        case start([Int])
        /// Wait for a running page.
        case wait
        /// Nothing runs any more: the step's result.
        case finish(ConverterStep.Result)
    }

    private enum State {
        /// Nothing started. Next: `running`, `done` (no pages).
        case ready
        /// Pages are running. Next: `running`, `stopping` (a page failed), `done`.
        case running
        /// A page failed: no more start, the running ones are waited for. Next: `done`.
        case stopping
        /// The result was returned. Next: none.
        case done
    }

    /// The page images (file names), in page order.
    let pages: [String]
    /// Pages in the document, when the text layer told (OCR renders at most `OCR_MAX_PAGES`).
    let knownPages: Int?
    let maxAtOnce: Int
    private var state = State.ready
    private var results: [ConverterStep.Result?]
    private var started = 0
    private var running = 0

    /// `listing`: the names in the pages directory after rendering; the PNG images are the pages, and their
    /// names (`page-01.png`…, zero-padded by `pdftoppm`) sort in page order.
    init(listing: [String], knownPages: Int?, maxAtOnce: Int) {
        precondition(maxAtOnce > 0)
        pages = listing.filter { $0.hasSuffix(".png") }.sorted()
        self.knownPages = knownPages
        self.maxAtOnce = maxAtOnce
        results = Array(repeating: nil, count: pages.count)
    }

    /// A warning for the document when fewer pages were rendered than it has.
    var warning: String? {
        guard !pages.isEmpty, let known = knownPages, known > pages.count else { return nil }
        return "OCR stopped at \(pages.count) of \(known) pages (OCR_MAX_PAGES)"
    }

    // MARK: Events

    /// The first pages to start.
    mutating func start() -> Action {
        guard case .ready = state else { preconditionFailure("the fan-out was started twice") }
        if pages.isEmpty {
            state = .done
            return .finish(.failed(ExtractionFailure(.emptyText, "the PDF has no pages to OCR")))
        }
        state = .running
        return .start(startMore())
    }

    /// Page `index` ended with `result`.
    mutating func finished(_ index: Int, _ result: ConverterStep.Result) -> Action {
        switch state {
        case .running, .stopping: break
        case .ready, .done: preconditionFailure("no page is running")
        }
        precondition(results[index] == nil, "page \(index) finished twice")
        results[index] = result
        running -= 1
        if case .output = result {} else { state = .stopping }
        if case .running = state, started < pages.count { return .start(startMore()) }
        if running > 0 { return .wait }
        state = .done
        return .finish(merged())
    }

    // MARK: Decisions

    private mutating func startMore() -> [Int] {
        let next = Array(started..<min(pages.count, started + maxAtOnce - running))
        started += next.count
        running += next.count
        return next
    }

    /// The first failure in page order, else every page's text in page order, form-feed separated.
    private func merged() -> ConverterStep.Result {
        var text: [UInt8] = []
        for (i, result) in results.enumerated() {
            switch result {
            case .output(let bytes, _, _):
                if i > 0 { text.append(0x0C) }
                text += bytes
            case .failed, .skipped:
                return result!
            case nil:
                // Pages after a failure never start; the failure comes first in page order.
                preconditionFailure("page \(i) never ran and no page before it failed")
            }
        }
        return .output(text, pages: knownPages ?? pages.count, ocr: true)
    }
}
