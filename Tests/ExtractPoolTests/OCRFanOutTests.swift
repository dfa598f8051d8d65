import Testing

@testable import ExtractPool

/// The OCR fan-out without a process: which pages, how many at once, and how the texts merge.
@Suite("OCR fan-out")
struct OCRFanOutTests {
    private func page(_ text: String) -> ConverterStep.Result { .output(Array(text.utf8), pages: 1, ocr: true) }

    @Test("the rendered PNG images are the pages, in page order")
    func pages() {
        let fanOut = OCRFanOut(listing: ["page-10.png", "page-02.png", "page-01.png", "page-02.ppm", ".tmp"],
                               knownPages: nil, maxAtOnce: 4)
        #expect(fanOut.pages == ["page-01.png", "page-02.png", "page-10.png"])
        #expect(fanOut.warning == nil)
    }

    @Test("a PDF longer than what was rendered gets a warning")
    func warning() {
        let fanOut = OCRFanOut(listing: ["page-1.png", "page-2.png"], knownPages: 12, maxAtOnce: 1)
        #expect(fanOut.warning == "OCR stopped at 2 of 12 pages (OCR_MAX_PAGES)")
    }

    @Test("nothing rendered: the step fails as empty_text and nothing starts")
    func noPages() {
        var fanOut = OCRFanOut(listing: [], knownPages: 3, maxAtOnce: 2)
        #expect(fanOut.warning == nil)
        #expect(fanOut.start() == .finish(.failed(ExtractionFailure(.emptyText, "the PDF has no pages to OCR"))))
    }

    @Test("at most maxAtOnce pages run; each end starts the next; texts join in page order, not end order")
    func window() {
        var fanOut = OCRFanOut(listing: ["p-1.png", "p-2.png", "p-3.png", "p-4.png"], knownPages: nil, maxAtOnce: 2)
        #expect(fanOut.start() == .start([0, 1]))
        #expect(fanOut.finished(1, page("two")) == .start([2]))
        #expect(fanOut.finished(2, page("three")) == .start([3]))
        #expect(fanOut.finished(3, page("four")) == .wait)
        let merged = Array("one\u{0C}two\u{0C}three\u{0C}four".utf8)
        #expect(fanOut.finished(0, page("one")) == .finish(.output(merged, pages: 4, ocr: true)))
    }

    @Test("the page count is the document's when the text layer knew it")
    func knownPages() {
        var fanOut = OCRFanOut(listing: ["p-1.png"], knownPages: 9, maxAtOnce: 3)
        #expect(fanOut.start() == .start([0]))
        #expect(fanOut.finished(0, page("x")) == .finish(.output(Array("x".utf8), pages: 9, ocr: true)))
    }

    @Test("after a failed page nothing more starts; the running pages are waited for; the first failure wins")
    func failure() {
        var fanOut = OCRFanOut(listing: ["a.png", "b.png", "c.png", "d.png", "e.png"], knownPages: nil, maxAtOnce: 3)
        #expect(fanOut.start() == .start([0, 1, 2]))
        let late = ExtractionFailure(.timeout, "tesseract ran past 100 ms and was killed")
        let early = ExtractionFailure(.corrupt, "tesseract exited with 1")
        #expect(fanOut.finished(2, .failed(late)) == .wait)
        #expect(fanOut.finished(0, page("a")) == .wait)
        #expect(fanOut.finished(1, .failed(early)) == .finish(.failed(early)))
    }

    @Test("a page that cannot run fails the step as skipped")
    func skipped() {
        var fanOut = OCRFanOut(listing: ["a.png", "b.png"], knownPages: nil, maxAtOnce: 1)
        #expect(fanOut.start() == .start([0]))
        let missing = ConverterStep.Result.skipped("tesseract is not installed")
        #expect(fanOut.finished(0, missing) == .finish(missing))
    }
}
