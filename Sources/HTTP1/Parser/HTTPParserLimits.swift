/// Limits checked by ``HTTPRequestParser``.
///
/// Every limit bounds how much the parser buffers: a head, chunk-size line or trailer that crosses a limit is
/// refused as soon as the limit is crossed, without waiting for its end.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Maximum length of the request line, without its line terminator. Exceeding it is
    /// ``HTTPParseError/requestLineTooLong`` (414).
    public var maxRequestLineBytes: Int
    /// Maximum size of the header section: every field line after the request line, terminators included,
    /// the final empty line excluded. Exceeding it is ``HTTPParseError/headersTooLarge`` (431).
    public var maxHeaderBytes: Int
    /// Maximum number of header field lines. Exceeding it is ``HTTPParseError/tooManyHeaders`` (431).
    public var maxHeaderCount: Int
    /// Maximum length of one chunk extension (everything between the chunk size and CRLF). Exceeding it is
    /// ``HTTPParseError/chunkExtensionTooLong`` (400).
    public var maxChunkExtensionBytes: Int
    /// Maximum size of the trailer section of a chunked body, terminators included, the final empty line
    /// excluded. Exceeding it is ``HTTPParseError/trailersTooLarge`` (431).
    public var maxTrailerBytes: Int
    /// Largest chunk size a chunked body may declare. Exceeding it is ``HTTPParseError/chunkTooLarge`` (413),
    /// before any byte of the chunk is read.
    public var maxChunkBytes: Int

    /// Creates limits; the defaults suit a server that takes uploads from browsers and scripts.
    public init(
        maxRequestLineBytes: Int = 8192,
        maxHeaderBytes: Int = 32768,
        maxHeaderCount: Int = 100,
        maxChunkExtensionBytes: Int = 1024,
        maxTrailerBytes: Int = 8192,
        maxChunkBytes: Int = Int.max
    ) {
        self.maxChunkBytes = maxChunkBytes
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxChunkExtensionBytes = maxChunkExtensionBytes
        self.maxTrailerBytes = maxTrailerBytes
    }
}
