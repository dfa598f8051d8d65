import Foundation

/// The private directory one document's converters run in, under the extractor's work directory.
///
/// It holds `input.<ext>`, a symbolic link to the document (converters see a name with the right extension —
/// LibreOffice and pandoc care — while the bytes stay where they are), and `pages/` when a PDF is rendered
/// for OCR. The extractor creates it before the chain and removes it, whatever happened, after.
struct WorkDirectory: Sendable, Equatable {
    /// The directory (absolute).
    let path: String
    /// The link converters read: `<path>/input.<ext>`.
    let input: String
    /// What the link points to: the document's absolute path.
    let source: String

    /// The `number`th document's directory under `root`: the number keeps names unique, the id (letters, digits
    /// and dashes only, 36 at most) makes them readable.
    init(root: String, number: Int, input document: ExtractionInput, kind: DocumentKind) {
        path = root + "/\(number)-" + String(document.id.prefix(36).filter { $0.isLetter || $0.isNumber || $0 == "-" })
        input = path + "/input." + Self.fileExtension(kind)
        source = Self.absolute(document.path)
    }

    /// Where PDF pages are rendered for OCR.
    var pages: String { path + "/pages" }

    /// The file name prefix of rendered pages (`pdftoppm` adds `-N.png`).
    var pagePrefix: String { pages + "/page" }

    /// The extension converters expect for `kind`.
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

    /// `path` made absolute against the current directory.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
