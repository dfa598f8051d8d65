/// One step of a converter chain: a program, a pair of programs, or an in-process reader.
///
/// The raw value is the name recorded in `documents.extractor` and in each attempt.
enum ConverterStep: String, CaseIterable, Sendable {
    case pdftotext, pdfOCR = "pdftoppm+tesseract", imageOCR = "tesseract", antiword, catdoc
    case officeXML = "office-xml", pandoc, libreOffice = "libreoffice", unrtf = "unrtf+html"
    case html, text

    /// What one step produced.
    enum Result: Sendable, Equatable {
        /// Bytes to normalise; `pages` when the step counted them, `ocr` when the text was recognised.
        case output([UInt8], pages: Int?, ocr: Bool)
        /// The step ran and failed.
        case failed(ExtractionFailure)
        /// The step could not run (its program is disabled or missing); the reason goes in the attempt.
        case skipped(String)
    }

    /// How a step runs; the extractor carries it out.
    enum Execution: Sendable, Equatable {
        /// One converter program; its standard output is the text, read as the command says.
        case program(ConverterCommand)
        /// A PDF's text layer: `boxes` (reading order); `layout` only when that output is unusable (cut off at
        /// the output cap, the boxes being far bigger than the text, or malformed).
        case pdfText(boxes: ConverterCommand, layout: ConverterCommand)
        /// Render the PDF's pages with `render`, then OCR each image found in `pagesDirectory` (``OCRFanOut``).
        case ocrPDF(render: ConverterCommand, pagesDirectory: String)
        /// DOCX/ODT XML read in-process (``OfficeXMLText``) with these limits.
        case officeXML(OfficeXMLText.Limits)
        /// A conversion by a warm LibreOffice instance.
        case libreOffice
        /// The input file itself, as HTML (``HTMLText``).
        case readHTML
        /// The input file itself, as plain text.
        case readText
    }

    /// How this step runs for a document of `kind` in `directory`.
    func execution(kind: DocumentKind, directory: WorkDirectory, configuration: ExtractConfiguration) -> Execution {
        let file = directory.input
        switch self {
        case .pdftotext: return .pdfText(boxes: .pdftotextBoxes(file), layout: .pdftotext(file))
        case .pdfOCR:
            return .ocrPDF(render: .pdftoppm(file, into: directory.pagePrefix, configuration: configuration),
                           pagesDirectory: directory.pages)
        case .imageOCR: return .program(.tesseract(image: file, configuration: configuration))
        case .antiword: return .program(.antiword(file))
        case .catdoc: return .program(.catdoc(file))
        case .pandoc: return .program(.pandoc(file, kind: kind))
        case .unrtf: return .program(.unrtf(file))
        case .officeXML:
            var limits = OfficeXMLText.Limits()
            limits.maxEntryBytes = configuration.maxInflatedBytes
            limits.maxTotalInflated = 2 * configuration.maxInflatedBytes
            return .officeXML(limits)
        case .libreOffice: return .libreOffice
        case .html: return .readHTML
        case .text: return .readText
        }
    }
}
