/// A request the HTTP/1.1 parser refused.
///
/// Every error maps to one HTTP status to answer with and one stable snake_case `code` for logs, metrics and
/// response bodies. Compare against the static constants (`error == .conflictingFraming`, or `case
/// .headersTooLarge:` in a `switch`): equality looks at the kind of error only, never at the detail `message`.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Base: Sendable, Equatable {
        case requestLineTooLong
        case invalidRequestLine
        case leadingEmptyLine
        case invalidMethod
        case invalidTarget
        case invalidVersion
        case unsupportedVersion
        case headersTooLarge
        case tooManyHeaders
        case invalidHeaderLine
        case invalidHeaderName
        case whitespaceBeforeColon
        case obsoleteLineFolding
        case invalidHeaderValue
        case missingHost
        case duplicateHost
        case conflictingFraming
        case duplicateContentLength
        case invalidContentLength
        case invalidTransferEncoding
        case unsupportedTransferEncoding
        case unsupportedExpectation
        case invalidChunkSize
        case invalidChunkExtension
        case chunkExtensionTooLong
        case chunkTooLarge
        case missingChunkCRLF
        case trailersTooLarge

        package var code: String {
            switch self {
            case .requestLineTooLong: "request_line_too_long"
            case .invalidRequestLine: "invalid_request_line"
            case .leadingEmptyLine: "leading_empty_line"
            case .invalidMethod: "invalid_method"
            case .invalidTarget: "invalid_target"
            case .invalidVersion: "invalid_version"
            case .unsupportedVersion: "unsupported_version"
            case .headersTooLarge: "headers_too_large"
            case .tooManyHeaders: "too_many_headers"
            case .invalidHeaderLine: "invalid_header_line"
            case .invalidHeaderName: "invalid_header_name"
            case .whitespaceBeforeColon: "whitespace_before_colon"
            case .obsoleteLineFolding: "obsolete_line_folding"
            case .invalidHeaderValue: "invalid_header_value"
            case .missingHost: "missing_host"
            case .duplicateHost: "duplicate_host"
            case .conflictingFraming: "conflicting_framing"
            case .duplicateContentLength: "duplicate_content_length"
            case .invalidContentLength: "invalid_content_length"
            case .invalidTransferEncoding: "invalid_transfer_encoding"
            case .unsupportedTransferEncoding: "unsupported_transfer_encoding"
            case .unsupportedExpectation: "unsupported_expectation"
            case .invalidChunkSize: "invalid_chunk_size"
            case .invalidChunkExtension: "invalid_chunk_extension"
            case .chunkExtensionTooLong: "chunk_extension_too_long"
            case .chunkTooLarge: "chunk_too_large"
            case .missingChunkCRLF: "missing_chunk_crlf"
            case .trailersTooLarge: "trailers_too_large"
            }
        }

        package var status: Int {
            switch self {
            case .requestLineTooLong: 414
            case .chunkTooLarge: 413
            case .headersTooLarge, .tooManyHeaders, .trailersTooLarge: 431
            case .unsupportedVersion: 505
            case .unsupportedTransferEncoding: 501
            case .unsupportedExpectation: 417
            default: 400
            }
        }

        package var defaultMessage: String {
            switch self {
            case .requestLineTooLong: "request line is longer than the limit"
            case .invalidRequestLine: "request line is not 'method SP target SP version'"
            case .leadingEmptyLine: "empty line where a request line was expected"
            case .invalidMethod: "method is not a token"
            case .invalidTarget: "request-target contains a byte that is not a visible ASCII character"
            case .invalidVersion: "HTTP-version is not 'HTTP/' DIGIT '.' DIGIT"
            case .unsupportedVersion: "only HTTP/1.0 and HTTP/1.1 are supported"
            case .headersTooLarge: "header section is larger than the limit"
            case .tooManyHeaders: "more header fields than the limit"
            case .invalidHeaderLine: "header line has no colon"
            case .invalidHeaderName: "header field name is not a token"
            case .whitespaceBeforeColon: "whitespace between header field name and colon"
            case .obsoleteLineFolding: "obsolete line folding (a field line starting with whitespace)"
            case .invalidHeaderValue: "header field value contains a control character or invalid UTF-8"
            case .missingHost: "HTTP/1.1 request without a Host header field"
            case .duplicateHost: "more than one Host header field"
            case .conflictingFraming: "both Content-Length and Transfer-Encoding are present"
            case .duplicateContentLength: "Content-Length appears more than once or as a list"
            case .invalidContentLength: "Content-Length is not a decimal number that fits"
            case .invalidTransferEncoding: "chunked is not the final transfer coding exactly once"
            case .unsupportedTransferEncoding: "only Transfer-Encoding: chunked is supported"
            case .unsupportedExpectation: "only Expect: 100-continue is supported"
            case .invalidChunkSize: "chunk size is not 1 to 16 hexadecimal digits followed by CRLF"
            case .invalidChunkExtension: "chunk extension is malformed"
            case .chunkExtensionTooLong: "chunk extension is longer than the limit"
            case .chunkTooLarge: "chunk size is larger than the limit"
            case .missingChunkCRLF: "chunk data is not followed by CRLF"
            case .trailersTooLarge: "trailer section is larger than the limit"
            }
        }
    }

    private var base: Base

    /// A human-readable explanation naming what was wrong.
    public var message: String

    /// The stable snake_case identifier of this kind of error, e.g. `"conflicting_framing"`.
    public var code: String { base.code }

    /// The HTTP status code a server should answer with before closing the connection.
    public var status: Int { base.status }

    /// `"<status> <code>: <message>"`.
    public var description: String { "\(status) \(code): \(message)" }

    private init(_ base: Base) {
        self.base = base
        self.message = base.defaultMessage
    }

    /// The same kind of error with a more specific message.
    package func withMessage(_ message: String) -> HTTPParseError {
        var copy = self
        copy.message = message
        return copy
    }

    /// Equal when the kinds of error are equal; the detail `message` is ignored.
    public static func == (lhs: HTTPParseError, rhs: HTTPParseError) -> Bool {
        lhs.base == rhs.base
    }

    /// The request line exceeds ``HTTPParserLimits/maxRequestLineBytes`` (414).
    public static let requestLineTooLong = HTTPParseError(.requestLineTooLong)
    /// The request line does not have three parts separated by single spaces (400).
    public static let invalidRequestLine = HTTPParseError(.invalidRequestLine)
    /// An empty line arrived where a request line was expected; refused, as h11 does (400).
    public static let leadingEmptyLine = HTTPParseError(.leadingEmptyLine)
    /// The method is empty or contains a non-token byte (400).
    public static let invalidMethod = HTTPParseError(.invalidMethod)
    /// The request-target is empty or contains a byte outside `%x21-7E` (400).
    public static let invalidTarget = HTTPParseError(.invalidTarget)
    /// The version is not of the form `HTTP/x.y` (400).
    public static let invalidVersion = HTTPParseError(.invalidVersion)
    /// A well-formed version other than HTTP/1.0 or HTTP/1.1 (505).
    public static let unsupportedVersion = HTTPParseError(.unsupportedVersion)
    /// The header section exceeds ``HTTPParserLimits/maxHeaderBytes`` (431).
    public static let headersTooLarge = HTTPParseError(.headersTooLarge)
    /// More header fields than ``HTTPParserLimits/maxHeaderCount`` (431).
    public static let tooManyHeaders = HTTPParseError(.tooManyHeaders)
    /// A header or trailer line without a colon (400).
    public static let invalidHeaderLine = HTTPParseError(.invalidHeaderLine)
    /// A field name that is empty or contains a non-token byte (400).
    public static let invalidHeaderName = HTTPParseError(.invalidHeaderName)
    /// Whitespace between a field name and its colon, forbidden by RFC 9112 §5.1 (400).
    public static let whitespaceBeforeColon = HTTPParseError(.whitespaceBeforeColon)
    /// A field line starting with SP or HTAB (obs-fold), refused per RFC 9112 §5.2 (400).
    public static let obsoleteLineFolding = HTTPParseError(.obsoleteLineFolding)
    /// A field value with a control character other than HTAB, DEL, or invalid UTF-8 (400).
    public static let invalidHeaderValue = HTTPParseError(.invalidHeaderValue)
    /// An HTTP/1.1 request without Host (400).
    public static let missingHost = HTTPParseError(.missingHost)
    /// A request with more than one Host field (400).
    public static let duplicateHost = HTTPParseError(.duplicateHost)
    /// Both Content-Length and Transfer-Encoding are present (400).
    public static let conflictingFraming = HTTPParseError(.conflictingFraming)
    /// Content-Length is repeated, even with equal values, or list-valued like `5, 5` (400).
    public static let duplicateContentLength = HTTPParseError(.duplicateContentLength)
    /// Content-Length has a non-digit, is empty, or overflows (400).
    public static let invalidContentLength = HTTPParseError(.invalidContentLength)
    /// Transfer-Encoding where chunked is not final or appears twice, an empty list, or any in HTTP/1.0 (400).
    public static let invalidTransferEncoding = HTTPParseError(.invalidTransferEncoding)
    /// Transfer-Encoding names a coding other than chunked (501).
    public static let unsupportedTransferEncoding = HTTPParseError(.unsupportedTransferEncoding)
    /// Expect carries something other than `100-continue` (417).
    public static let unsupportedExpectation = HTTPParseError(.unsupportedExpectation)
    /// A chunk size that is empty, not hexadecimal, too long, or overflows (400).
    public static let invalidChunkSize = HTTPParseError(.invalidChunkSize)
    /// A chunk extension that is not `;name[=token|quoted-string]` (400).
    public static let invalidChunkExtension = HTTPParseError(.invalidChunkExtension)
    /// A chunk extension longer than ``HTTPParserLimits/maxChunkExtensionBytes`` (400).
    public static let chunkExtensionTooLong = HTTPParseError(.chunkExtensionTooLong)
    /// A chunk size larger than ``HTTPParserLimits/maxChunkBytes`` (413).
    public static let chunkTooLarge = HTTPParseError(.chunkTooLarge)
    /// Chunk data not followed by exactly CRLF (400).
    public static let missingChunkCRLF = HTTPParseError(.missingChunkCRLF)
    /// The trailer section exceeds ``HTTPParserLimits/maxTrailerBytes`` (431).
    public static let trailersTooLarge = HTTPParseError(.trailersTooLarge)
}
