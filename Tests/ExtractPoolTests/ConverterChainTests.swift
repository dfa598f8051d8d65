import Testing

@testable import ExtractPool

/// The chain policy without a process: which step runs next after each result, and what the document became.
@Suite("Converter chain")
struct ConverterChainTests {
    private func text(_ s: String, pages: Int = 1) -> TextNormalizer.Result {
        TextNormalizer.Result(text: s, pageCount: pages, encoding: .utf8, removedRepeatedLines: 0,
                              joinedHyphenations: 0)
    }

    private let long = String(repeating: "Jane Doe, engineer. ", count: 10) // 200 characters
    private let failure = ExtractionFailure(.corrupt, "antiword exited with 1")

    @Test("each kind tries its converters in order")
    func steps() {
        #expect(ConverterChain.steps(for: .pdf) == [.pdftotext, .pdfOCR])
        #expect(ConverterChain.steps(for: .word97) == [.antiword, .catdoc, .libreOffice])
        #expect(ConverterChain.steps(for: .docx) == [.officeXML, .pandoc, .libreOffice])
        #expect(ConverterChain.steps(for: .odt) == [.officeXML, .pandoc, .libreOffice])
        #expect(ConverterChain.steps(for: .rtf) == [.unrtf, .pandoc, .libreOffice])
        #expect(ConverterChain.steps(for: .html) == [.html])
        #expect(ConverterChain.steps(for: .text) == [.text])
        #expect(ConverterChain.steps(for: .image) == [.imageOCR])
    }

    @Test("a PDF with a full text layer is done after pdftotext; its pages come from the form feeds")
    func pdfTextLayer() {
        var chain = ConverterChain(kind: .pdf, minTextLengthForOCR: 100)
        #expect(chain.start() == .run(.pdftotext, knownPages: nil))
        let action = chain.produced(text(long, pages: 2), pages: nil, ocr: false, milliseconds: 4)
        #expect(action == .extracted(.init(text: long, extractor: .pdftotext, ocrUsed: false, encoding: .utf8,
                                           pageCount: 2)))
        #expect(chain.attempts == [.init(converter: "pdftotext", outcome: "ok", milliseconds: 4)])
    }

    @Test("a short text layer goes on to OCR with its page count, and the longer text wins")
    func pdfShortTextLayer() {
        var chain = ConverterChain(kind: .pdf, minTextLengthForOCR: 100)
        _ = chain.start()
        #expect(chain.produced(text("Jane", pages: 3), pages: nil, ocr: false, milliseconds: 1)
            == .run(.pdfOCR, knownPages: 3))
        let action = chain.produced(text(long, pages: 2), pages: 3, ocr: true, milliseconds: 900)
        #expect(action == .extracted(.init(text: long, extractor: .pdfOCR, ocrUsed: true, encoding: .utf8,
                                           pageCount: 3)))
        #expect(chain.attempts.map(\.outcome) == ["ok", "ok"])
    }

    @Test("OCR that finds less than the short text layer keeps the text layer")
    func pdfOCRShorter() {
        var chain = ConverterChain(kind: .pdf, minTextLengthForOCR: 100)
        _ = chain.start()
        _ = chain.produced(text("Jane Doe", pages: 1), pages: nil, ocr: false, milliseconds: 1)
        let action = chain.produced(text("Jane"), pages: 1, ocr: true, milliseconds: 1)
        #expect(action == .extracted(.init(text: "Jane Doe", extractor: .pdftotext, ocrUsed: false,
                                           encoding: .utf8, pageCount: 1)))
    }

    @Test("an empty text layer counts as empty_text and OCR runs without a page count")
    func pdfEmptyTextLayer() {
        var chain = ConverterChain(kind: .pdf, minTextLengthForOCR: 100)
        _ = chain.start()
        #expect(chain.produced(text(""), pages: nil, ocr: false, milliseconds: 1) == .run(.pdfOCR, knownPages: nil))
        let action = chain.skipped("tesseract is disabled by configuration", milliseconds: 0)
        #expect(action == .failed(ExtractionFailure(.emptyText, "pdftotext found no text")))
        #expect(chain.attempts.map(\.outcome) == ["empty", "skipped"])
    }

    @Test("a locked PDF is never OCRed: encrypted ends the chain")
    func pdfEncrypted() {
        var chain = ConverterChain(kind: .pdf, minTextLengthForOCR: 100)
        _ = chain.start()
        let locked = ExtractionFailure(.encrypted, "pdftotext: the document is password-protected")
        #expect(chain.failed(locked, milliseconds: 2) == .failed(locked))
        #expect(chain.attempts == [.init(converter: "pdftotext", outcome: "encrypted", detail: locked.detail,
                                         milliseconds: 2)])
    }

    @Test("a timeout falls back to the next converter; when that cannot run, timeout is the code")
    func timeoutFallsBack() {
        var chain = ConverterChain(kind: .pdf, minTextLengthForOCR: 100)
        _ = chain.start()
        let timeout = ExtractionFailure(.timeout, "pdftotext ran past 100 ms and was killed")
        #expect(chain.failed(timeout, milliseconds: 100) == .run(.pdfOCR, knownPages: nil))
        #expect(chain.skipped("pdftoppm is not installed", milliseconds: 0) == .failed(timeout))
    }

    @Test("a skipped or failed converter passes to the next; the first text ends the chain")
    func word97Fallbacks() {
        var chain = ConverterChain(kind: .word97, minTextLengthForOCR: 100)
        #expect(chain.start() == .run(.antiword, knownPages: nil))
        #expect(chain.skipped("antiword is disabled by configuration", milliseconds: 0)
            == .run(.catdoc, knownPages: nil))
        #expect(chain.failed(failure, milliseconds: 3) == .run(.libreOffice, knownPages: nil))
        // A short text ends the chain for anything but a PDF's text layer.
        let action = chain.produced(text("Jane", pages: 4), pages: nil, ocr: false, milliseconds: 50)
        #expect(action == .extracted(.init(text: "Jane", extractor: .libreOffice, ocrUsed: false, encoding: .utf8,
                                           pageCount: nil)))
        #expect(chain.attempts.map(\.converter) == ["antiword", "catdoc", "libreoffice"])
        #expect(chain.attempts.map(\.outcome) == ["skipped", "corrupt", "ok"])
    }

    @Test("a zip bomb ends the chain: pandoc and LibreOffice are not tried")
    func decompressionBombEnds() {
        var chain = ConverterChain(kind: .docx, minTextLengthForOCR: 100)
        #expect(chain.start() == .run(.officeXML, knownPages: nil))
        let bomb = ExtractionFailure(.decompressionBomb, "word/document.xml inflates past 64 MiB")
        #expect(chain.failed(bomb, milliseconds: 1) == .failed(bomb))
    }

    @Test("when every converter fails, the most telling failure wins")
    func mostTellingWins() {
        var chain = ConverterChain(kind: .rtf, minTextLengthForOCR: 100)
        _ = chain.start()
        #expect(chain.produced(text(""), pages: nil, ocr: false, milliseconds: 1) == .run(.pandoc, knownPages: nil))
        let timeout = ExtractionFailure(.timeout, "pandoc ran past 100 ms and was killed")
        #expect(chain.failed(timeout, milliseconds: 100) == .run(.libreOffice, knownPages: nil))
        #expect(chain.failed(failure, milliseconds: 1) == .failed(failure))
        #expect(ConverterChain.mostTelling([]) == nil)
        #expect(ConverterChain.mostTelling([
            ExtractionFailure(.emptyText, "a"), ExtractionFailure(.tooLarge, "b"), ExtractionFailure(.encrypted, "c"),
        ])?.code == .encrypted)
    }

    @Test("with every converter skipped the document fails as converter_missing, saying why")
    func allSkipped() {
        var chain = ConverterChain(kind: .image, minTextLengthForOCR: 100)
        #expect(chain.start() == .run(.imageOCR, knownPages: nil))
        let action = chain.skipped("tesseract is disabled by configuration", milliseconds: 0)
        #expect(action == .failed(ExtractionFailure(
            .converterMissing, "no converter for image is available: tesseract is disabled by configuration")))
    }

    @Test("an image's OCR text is extracted with the step's page count")
    func image() {
        var chain = ConverterChain(kind: .image, minTextLengthForOCR: 100)
        _ = chain.start()
        let action = chain.produced(text("Jane Doe", pages: 2), pages: 1, ocr: true, milliseconds: 700)
        #expect(action == .extracted(.init(text: "Jane Doe", extractor: .imageOCR, ocrUsed: true, encoding: .utf8,
                                           pageCount: 1)))
    }
}
