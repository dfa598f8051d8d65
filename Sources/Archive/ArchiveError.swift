/// Why an archive as a whole cannot be read, or read further.
///
/// Thrown by ``ArchiveReader/init(path:limits:)`` and ``ArchiveReader/next()``. Entries delivered before the
/// error stay valid: a truncated archive yields its first entries, then this error saying where the damage is.
/// Once thrown by `next()`, the same error is thrown by every later call.
///
/// Compare against the static constants (`error == .corrupt`, or `case .notAnArchive:` in a `switch`): equality
/// looks at the kind of error only, never at the detail ``message``. The ``code`` is stable, for logs, metrics and
/// the `error_code` stored with a failed import.
public struct ArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Base: String, Sendable, Equatable {
        case notAnArchive = "not_an_archive"
        case corrupt
        case decompressionBomb = "decompression_bomb"
        case tooLarge = "too_large"
        case unreadable

        var defaultMessage: String {
            switch self {
            case .notAnArchive: "not a zip, tar, tar.gz or tar.zst archive"
            case .corrupt: "truncated or damaged archive"
            case .decompressionBomb: "the archive expands past its limits"
            case .tooLarge: "the archive holds more than the limits allow"
            case .unreadable: "the archive file cannot be read"
            }
        }
    }

    private var base: Base

    /// A human-readable explanation, naming the entry or the byte offset where it applies.
    public var message: String

    /// The stable snake_case identifier of this kind of error, e.g. `"not_an_archive"`.
    public var code: String { base.rawValue }

    /// `"<code>: <message>"`.
    public var description: String { "\(code): \(message)" }

    private init(_ base: Base, _ message: String? = nil) {
        self.base = base
        self.message = message ?? base.defaultMessage
    }

    /// Equal when the kinds of error are equal; the detail ``message`` is ignored.
    public static func == (lhs: ArchiveError, rhs: ArchiveError) -> Bool {
        lhs.base == rhs.base
    }

    /// The file's first bytes are none of the formats read (zip, tar, gzip, zstd), or a gzip or zstd stream
    /// does not hold a tar.
    public static let notAnArchive = ArchiveError(.notAnArchive)
    /// The archive is truncated or damaged where its structure is: a zip's central directory, a tar header, the
    /// compressed stream of a `.tar.gz` or `.tar.zst`. The message says at which offset.
    public static let corrupt = ArchiveError(.corrupt)
    /// The archive expanded past ``ArchiveLimits/maxTotalBytes``, or a compressed tar stream past
    /// ``ArchiveLimits/maxRatio``.
    public static let decompressionBomb = ArchiveError(.decompressionBomb)
    /// More entries than ``ArchiveLimits/maxEntries``, or a zip central directory too big to read.
    public static let tooLarge = ArchiveError(.tooLarge)
    /// A system call on the file failed (the message has `errno`'s text); not the archive's fault.
    public static let unreadable = ArchiveError(.unreadable)

    static func notAnArchive(_ message: String) -> ArchiveError { ArchiveError(.notAnArchive, message) }
    static func corrupt(_ message: String) -> ArchiveError { ArchiveError(.corrupt, message) }
    static func decompressionBomb(_ message: String) -> ArchiveError { ArchiveError(.decompressionBomb, message) }
    static func tooLarge(_ message: String) -> ArchiveError { ArchiveError(.tooLarge, message) }
    static func unreadable(_ message: String) -> ArchiveError { ArchiveError(.unreadable, message) }
}
