/// Why a `multipart/form-data` body was rejected.
///
/// Each error has a stable snake_case ``code`` and the HTTP ``status`` the server answers with: 400 for a malformed
/// body, 413 when a ``MultipartLimits`` bound is exceeded. Two errors are equal when their codes are equal; the
/// ``message`` carries the context of one occurrence.
public struct MultipartError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Base: String, Sendable {
        case invalidBoundary = "invalid_boundary"
        case missingClosingBoundary = "missing_closing_boundary"
        case malformedDelimiter = "malformed_delimiter"
        case noParts = "no_parts"
        case boundaryInPartHeaders = "boundary_in_part_headers"
        case malformedPartHeader = "malformed_part_header"
        case missingContentDisposition = "missing_content_disposition"
        case invalidContentDisposition = "invalid_content_disposition"
        case partHeadersTooLarge = "part_headers_too_large"
        case tooManyPartHeaders = "too_many_part_headers"
        case tooManyParts = "too_many_parts"
    }

    private var base: Base

    /// What was wrong, in words, with the detail of this occurrence.
    public var message: String

    /// The stable snake_case code clients see, for example `missing_closing_boundary`.
    public var code: String { base.rawValue }

    /// The HTTP status for this error: 413 for an exceeded limit, 400 for everything else.
    public var status: Int {
        switch base {
        case .partHeadersTooLarge, .tooManyPartHeaders, .tooManyParts: 413
        default: 400
        }
    }

    /// `"<code>: <message>"`.
    public var description: String { "\(code): \(message)" }

    private init(_ base: Base, _ message: String) {
        self.base = base
        self.message = message
    }

    /// The same kind of error with a more specific message.
    package func with(message: String) -> MultipartError {
        MultipartError(base, message)
    }

    /// Compares codes only; messages are context.
    public static func == (lhs: MultipartError, rhs: MultipartError) -> Bool {
        lhs.base == rhs.base
    }

    /// The boundary is empty, longer than 70 characters, ends in a space or holds a character outside RFC 2046's
    /// `bchars` (400).
    public static let invalidBoundary = MultipartError(.invalidBoundary, "invalid multipart boundary")

    /// The body ended before the closing delimiter `--boundary--` (400).
    public static let missingClosingBoundary = MultipartError(
        .missingClosingBoundary, "body ended before the closing multipart delimiter"
    )

    /// A delimiter was followed by something other than `--`, or transport padding and CRLF (400).
    public static let malformedDelimiter = MultipartError(
        .malformedDelimiter, "multipart delimiter not followed by \"--\" or CRLF"
    )

    /// The closing delimiter came before any part (400).
    public static let noParts = MultipartError(.noParts, "multipart body holds no parts")

    /// A delimiter appeared inside a part's header section, before the blank line that ends it (400).
    public static let boundaryInPartHeaders = MultipartError(
        .boundaryInPartHeaders, "multipart delimiter inside a part's header section"
    )

    /// A part header line is not `name: value` with a token name and a value free of control characters (400).
    public static let malformedPartHeader = MultipartError(.malformedPartHeader, "malformed part header line")

    /// A part has no `Content-Disposition` header (400).
    public static let missingContentDisposition = MultipartError(
        .missingContentDisposition, "part has no Content-Disposition header"
    )

    /// A part's `Content-Disposition` is not `form-data`, lacks `name`, repeats a parameter or is malformed (400).
    public static let invalidContentDisposition = MultipartError(
        .invalidContentDisposition, "invalid Content-Disposition header"
    )

    /// A part's header section exceeds ``MultipartLimits/maxPartHeaderBytes`` (413).
    public static let partHeadersTooLarge = MultipartError(
        .partHeadersTooLarge, "part header section exceeds the size limit"
    )

    /// A part has more header fields than ``MultipartLimits/maxPartHeaderCount`` (413).
    public static let tooManyPartHeaders = MultipartError(
        .tooManyPartHeaders, "part has more header fields than the limit"
    )

    /// The body has more parts than ``MultipartLimits/maxPartCount`` (413).
    public static let tooManyParts = MultipartError(.tooManyParts, "multipart body has more parts than the limit")
}
