import Foundation

/// What a document really is, decided from its bytes (see ``DocumentKind/classify(mimeType:)``); each kind
/// has its own converter chain.
public enum DocumentKind: String, Sendable, Equatable, CaseIterable {
    /// PDF: `pdftotext`, then OCR of the rendered pages when it yields too little text.
    case pdf
    /// Word 97–2003 and other OLE2 compound files: `antiword` → `catdoc` → LibreOffice.
    case word97
    /// Office Open XML word processing (`.docx`).
    case docx
    /// OpenDocument text (`.odt`).
    case odt
    /// Rich Text Format (including `.doc` files that are really RTF, common in ATS exports).
    case rtf
    /// HTML or XHTML.
    case html
    /// Plain text in UTF-8, UTF-16 with a byte-order mark, or Windows-1252.
    case text
    /// PNG, JPEG or TIFF: OCR.
    case image

    /// The kind for a MIME type reported by libmagic, or the failure that ends the document.
    public static func classify(mimeType: String) -> Result<DocumentKind, ExtractionFailure> {
        let type = mimeType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch type {
        case "application/pdf":
            return .success(.pdf)
        case "application/msword", "application/x-ole-storage", "application/cdfv2", "application/vnd.ms-office":
            return .success(.word97)
        case "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
            return .success(.docx)
        case "application/vnd.oasis.opendocument.text":
            return .success(.odt)
        case "text/rtf", "application/rtf":
            return .success(.rtf)
        case "text/html", "application/xhtml+xml":
            return .success(.html)
        case "image/png", "image/jpeg", "image/tiff":
            return .success(.image)
        case "application/encrypted", "application/cdfv2-encrypted":
            // An encrypted OOXML package is a CFB container holding `EncryptedPackage`.
            return .failure(.init(.encrypted, "the document is password-protected (\(type))"))
        case "inode/x-empty":
            return .failure(.init(.emptyText, "the file is empty"))
        case "application/zip", "application/x-zip-compressed":
            return .failure(.init(.unsupportedType, "a zip archive that is not a Word (.docx) or OpenDocument file"))
        default:
            if type.hasPrefix("text/") && type != "text/xml" { return .success(.text) }
            return .failure(.init(.unsupportedType, "unsupported file type \(type.isEmpty ? "(unknown)" : type)"))
        }
    }
}

/// Why a document failed extraction: one stable code per cause, and a human sentence.
public struct ExtractionFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable code stored in `documents.error_code`.
    public var code: Code
    /// What happened, for `documents.error_detail` (with the converter's stderr tail where there is one).
    public var detail: String

    /// The causes, as stored in the database (`error_code`).
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// Not a resume format the engine reads (executables, media, non-office archives…).
        case unsupportedType = "unsupported_type"
        /// Password-protected.
        case encrypted
        /// Damaged or truncated.
        case corrupt
        /// A converter ran past its wall-clock limit.
        case timeout
        /// Over a size or page limit.
        case tooLarge = "too_large"
        /// An archive-based format that expands past its limit.
        case decompressionBomb = "decompression_bomb"
        /// No text could be extracted (also: an empty file).
        case emptyText = "empty_text"
        /// Every converter able to read the type is disabled or not installed.
        case converterMissing = "converter_missing"
    }

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }
}
