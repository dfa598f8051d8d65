import Foundation

/// The DOCX/ODT fast path: text straight from the document's XML, in-process, so a résumé does not pay
/// pandoc's or LibreOffice's start-up.
///
/// A `.docx` or `.odt` is a zip of XML parts. The parts that hold text are inflated one at a time, each
/// counted as it inflates against ``Limits`` (the sizes in the zip's headers are never trusted), then
/// parsed with a streaming (SAX) XML parser:
/// - **DOCX**: `word/header*.xml` (contact details often sit in headers), `word/document.xml`, then
///   `word/footer*.xml`; page count from `docProps/app.xml`.
/// - **ODT**: the headers of `styles.xml`'s master pages, `content.xml`, then their footers; page count
///   from `meta.xml`. A `META-INF/manifest.xml` with encryption data means the document is encrypted.
///
/// Paragraphs, line breaks and table rows end lines; tabs and table cells become tabs. Tracked deletions,
/// field instructions, comments and the fallback copy of a text box are left out. Headers or footers
/// repeated word for word (first-page, even-page and default variants) appear once.
///
/// Memory stays bounded by the limits: one part's XML (at most ``Limits/maxEntryBytes``) plus the text.
/// Not thread-affine: each call owns its file handle and parser.
public enum OfficeXMLText {
    /// How far a document may inflate before it is treated as a decompression bomb.
    public struct Limits: Sendable, Equatable {
        /// The most bytes one part may inflate to.
        public var maxEntryBytes: Int
        /// The most bytes all the parts read may inflate to together.
        public var maxTotalInflated: Int
        /// The highest inflated:compressed ratio a part may reach once it has inflated past 1 MiB
        /// (XML compresses about 10:1; a bomb of one repeated byte about 1000:1).
        public var maxRatio: Int

        public init(maxEntryBytes: Int = 64 << 20, maxTotalInflated: Int = 128 << 20, maxRatio: Int = 400) {
            self.maxEntryBytes = maxEntryBytes
            self.maxTotalInflated = maxTotalInflated
            self.maxRatio = maxRatio
        }
    }

    /// The text of a document and what its metadata says.
    public struct Result: Sendable, Equatable {
        /// The text, lines separated by `\n`, table cells by `\t`; not yet normalised.
        public var text: String
        /// The page count the writing application recorded, when it did.
        public var pageCount: Int?

        public init(text: String, pageCount: Int?) {
            self.text = text
            self.pageCount = pageCount
        }
    }

    /// Extracts the text of the `.docx` or `.odt` file at `path`.
    ///
    /// - Parameter kind: ``DocumentKind/docx`` or ``DocumentKind/odt``, as sniffed from the bytes.
    /// - Throws: `corrupt` (not a zip, truncated, CRC mismatch, malformed XML, a missing main part),
    ///   `encrypted` (an encrypted ODT, or zip-level encryption), `decompression_bomb` (a part inflates past
    ///   a limit), `too_large` (a central directory too big to be a document's), `unsupported_type` (another
    ///   kind).
    public static func extract(
        path: String, kind: DocumentKind, limits: Limits = .init()
    ) throws(ExtractionFailure) -> Result {
        switch kind {
        case .docx:
            return try extractWordprocessing(Container(path: path, limits: limits))
        case .odt:
            return try extractOpenDocument(Container(path: path, limits: limits))
        default:
            throw ExtractionFailure(.unsupportedType, "the DOCX/ODT fast path does not read \(kind.rawValue) files")
        }
    }

    // MARK: - DOCX

    private static let wordDocument = "word/document.xml"

    private static func extractWordprocessing(_ container: Container) throws(ExtractionFailure) -> Result {
        guard container.contains(wordDocument) else {
            throw ExtractionFailure(.corrupt, "no \(wordDocument) in the zip: not a Word document, or a damaged one")
        }
        var text = DistinctChunks()
        for name in container.names(prefix: "word/header", suffix: ".xml") {
            try text.appendUnique(WordprocessingHandler.text(of: container.read(name), part: name))
        }
        try text.append(WordprocessingHandler.text(of: container.read(wordDocument), part: wordDocument))
        for name in container.names(prefix: "word/footer", suffix: ".xml") {
            try text.appendUnique(WordprocessingHandler.text(of: container.read(name), part: name))
        }
        var pageCount: Int?
        if let app = try container.readIfPresent("docProps/app.xml") {
            pageCount = MetadataHandler.pageCount(ofExtendedProperties: app)
        }
        return Result(text: text.joined, pageCount: pageCount)
    }

    // MARK: - ODT

    private static let openDocumentContent = "content.xml"

    private static func extractOpenDocument(_ container: Container) throws(ExtractionFailure) -> Result {
        if let manifest = try container.readIfPresent("META-INF/manifest.xml"),
            MetadataHandler.declaresEncryption(manifest: manifest)
        {
            throw ExtractionFailure(
                .encrypted, "the OpenDocument manifest declares encrypted parts (password-protected)")
        }
        guard container.contains(openDocumentContent) else {
            throw ExtractionFailure(
                .corrupt, "no \(openDocumentContent) in the zip: not an OpenDocument text, or a damaged one")
        }
        var masterPages = OpenDocumentHandler.MasterPageText()
        if let styles = try container.readIfPresent("styles.xml") {
            masterPages = try OpenDocumentHandler.masterPageText(of: styles, part: "styles.xml")
        }
        var text = DistinctChunks()
        for header in masterPages.headers { text.appendUnique(header) }
        let content = try container.read(openDocumentContent)
        try text.append(OpenDocumentHandler.text(of: content, part: openDocumentContent))
        for footer in masterPages.footers { text.appendUnique(footer) }
        var pageCount: Int?
        if let meta = try container.readIfPresent("meta.xml") {
            pageCount = MetadataHandler.pageCount(ofOpenDocumentMeta: meta)
        }
        return Result(text: text.joined, pageCount: pageCount)
    }
}

extension OfficeXMLText {
    /// Pieces of text (a header, the body, a footer) in order, each ending a line; headers and footers that
    /// repeat one already kept (a first-page header that is the default header) are dropped.
    struct DistinctChunks {
        private var chunks: [String] = []

        /// Appends `chunk` whatever it is (the body).
        mutating func append(_ chunk: String) {
            guard chunk.contains(where: { !$0.isWhitespace }) else { return }
            chunks.append(chunk)
        }

        /// Appends `chunk` unless an identical one is already there (headers and footers).
        mutating func appendUnique(_ chunk: String) {
            guard !chunks.contains(chunk) else { return }
            append(chunk)
        }

        /// The chunks, one after the other, each on lines of its own.
        var joined: String {
            var result = ""
            for chunk in chunks {
                if !result.isEmpty && !result.hasSuffix("\n") { result += "\n" }
                result += chunk
            }
            return result
        }
    }
}
