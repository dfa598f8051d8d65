/// Why one entry of an archive is refused, or failed while its bytes were read.
///
/// A refusal is decided before any byte is delivered and travels in ``ArchiveEntry/refusal``; a failure while
/// reading is thrown by ``ArchiveReader/read(into:)`` or ``ArchiveReader/readEntry(_:)``. Either way the other
/// entries still come through: call ``ArchiveReader/next()``.
///
/// Compare against the static constants (`failure == .unsafeEntry`); equality ignores the ``message``. The
/// ``code`` is stable, stored as the entry's document `error_code`.
public struct ArchiveEntryFailure: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Base: String, Sendable, Equatable {
        case unsafeEntry = "unsafe_entry"
        case nestedArchive = "nested_archive"
        case decompressionBomb = "decompression_bomb"
        case tooLarge = "too_large"
        case encrypted
        case corrupt

        var defaultMessage: String {
            switch self {
            case .unsafeEntry: "the entry is not a plain file with a relative name"
            case .nestedArchive: "the entry is itself an archive"
            case .decompressionBomb: "the entry expands past its limits"
            case .tooLarge: "the entry is larger than the limit"
            case .encrypted: "the entry is encrypted"
            case .corrupt: "the entry is truncated or damaged"
            }
        }
    }

    private var base: Base

    /// A human-readable explanation naming the entry.
    public var message: String

    /// The stable snake_case identifier of this kind of failure, e.g. `"unsafe_entry"`.
    public var code: String { base.rawValue }

    /// `"<code>: <message>"`.
    public var description: String { "\(code): \(message)" }

    private init(_ base: Base, _ message: String? = nil) {
        self.base = base
        self.message = message ?? base.defaultMessage
    }

    /// Equal when the kinds of failure are equal; the detail ``message`` is ignored.
    public static func == (lhs: ArchiveEntryFailure, rhs: ArchiveEntryFailure) -> Bool {
        lhs.base == rhs.base
    }

    /// A name that could escape a directory (`..` components, an absolute path, a drive letter, a NUL byte, an
    /// empty or over-long name), or an entry that is not a regular file (symlink, hard link, device, FIFO).
    public static let unsafeEntry = ArchiveEntryFailure(.unsafeEntry)
    /// The entry is an archive or compressed stream itself (by its first bytes, or by its name's extension);
    /// archives are read one level deep only. DOCX, ODT and XLSX files are zips but documents, not refused.
    public static let nestedArchive = ArchiveEntryFailure(.nestedArchive)
    /// The entry inflates past ``ArchiveLimits/maxEntryBytes`` or ``ArchiveLimits/maxRatio`` (by its declared
    /// sizes, or found while inflating — inflation stops at the limit), or takes the archive past
    /// ``ArchiveLimits/maxTotalBytes``.
    public static let decompressionBomb = ArchiveEntryFailure(.decompressionBomb)
    /// The entry's stored size is over ``ArchiveLimits/maxEntryBytes`` (known from its header: nothing is read).
    public static let tooLarge = ArchiveEntryFailure(.tooLarge)
    /// A password-protected zip entry (general purpose flag bit 0 or 6, or WinZip AES).
    public static let encrypted = ArchiveEntryFailure(.encrypted)
    /// The entry's bytes are damaged (CRC mismatch, a deflate error, cut short) or use an unsupported
    /// compression method (the message names it).
    public static let corrupt = ArchiveEntryFailure(.corrupt)

    static func unsafeEntry(_ message: String) -> ArchiveEntryFailure { ArchiveEntryFailure(.unsafeEntry, message) }
    static func nestedArchive(_ message: String) -> ArchiveEntryFailure {
        ArchiveEntryFailure(.nestedArchive, message)
    }
    static func decompressionBomb(_ message: String) -> ArchiveEntryFailure {
        ArchiveEntryFailure(.decompressionBomb, message)
    }
    static func tooLarge(_ message: String) -> ArchiveEntryFailure { ArchiveEntryFailure(.tooLarge, message) }
    static func encrypted(_ message: String) -> ArchiveEntryFailure { ArchiveEntryFailure(.encrypted, message) }
    static func corrupt(_ message: String) -> ArchiveEntryFailure { ArchiveEntryFailure(.corrupt, message) }

    /// The entry's side of an archive-level error met while reading it (the archive's stream broke inside it).
    init(archive error: ArchiveError) {
        switch error {
        case .decompressionBomb: self.init(.decompressionBomb, error.message)
        default: self.init(.corrupt, error.message)
        }
    }
}
