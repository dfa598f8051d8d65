/// Bounds the multipart parser enforces while it reads a `multipart/form-data` body.
///
/// Exceeding a limit fails the body with a 413 error (``MultipartError/tooManyParts``,
/// ``MultipartError/partHeadersTooLarge`` or ``MultipartError/tooManyPartHeaders``). The size of a part's body is not
/// limited here: bodies stream through the parser, and the caller counts what it keeps.
public struct MultipartLimits: Sendable, Equatable {
    /// The most parts one body may hold; the next part fails with ``MultipartError/tooManyParts``.
    public var maxPartCount: Int

    /// The most bytes of one part's header section, counting every header line with its CRLF and the blank line that
    /// ends the section; more fails with ``MultipartError/partHeadersTooLarge``.
    public var maxPartHeaderBytes: Int

    /// The most header fields in one part's header section; more fails with ``MultipartError/tooManyPartHeaders``.
    public var maxPartHeaderCount: Int

    /// Creates limits; the defaults suit résumé uploads.
    ///
    /// - Parameters:
    ///   - maxPartCount: The most parts one body may hold (default 1000).
    ///   - maxPartHeaderBytes: The most bytes of one part's header section (default 16 KiB).
    ///   - maxPartHeaderCount: The most header fields of one part (default 32).
    public init(maxPartCount: Int = 1000, maxPartHeaderBytes: Int = 16384, maxPartHeaderCount: Int = 32) {
        self.maxPartCount = maxPartCount
        self.maxPartHeaderBytes = maxPartHeaderBytes
        self.maxPartHeaderCount = maxPartHeaderCount
    }
}
