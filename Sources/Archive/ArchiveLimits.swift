/// How much an archive may hold and expand to before it, or one of its entries, is refused.
///
/// Checked twice: against the sizes the headers declare, before any byte is read (an entry declaring too much
/// is refused outright), and against the bytes actually produced while reading, since headers lie (inflation
/// stops at the limit: never more than one byte past it is inflated).
public struct ArchiveLimits: Sendable, Equatable {
    /// The most entries (members of any kind, directories included) an archive may have. One more, and
    /// ``ArchiveReader/next()`` throws ``ArchiveError/tooLarge``.
    public var maxEntries: Int
    /// The most bytes one entry may hold: the engine's largest document (`MAX_FILE_SIZE`).
    /// Over it: ``ArchiveEntryFailure/tooLarge`` when the header says so, ``ArchiveEntryFailure/decompressionBomb``
    /// when found while inflating.
    public var maxEntryBytes: Int
    /// The most bytes an archive may expand to: a zip's entries as read, a compressed tar's whole stream
    /// (headers and skipped entries included, since inflating them costs the same). Over it:
    /// ``ArchiveError/decompressionBomb``.
    public var maxTotalBytes: Int
    /// The highest inflated:compressed ratio, checked once more than ``ratioThresholdBytes`` came out: per entry
    /// in a zip (entries are compressed one by one), over the whole stream of a `.tar.gz` or `.tar.zst` (where
    /// identical files share their compressed bytes, so a per-entry ratio would refuse duplicates).
    /// Text compresses about 4:1, a document's XML about 10:1, a run of one byte about 1000:1.
    public var maxRatio: Int
    /// Below this many inflated bytes the ratio is not checked (small entries of repeated bytes are harmless).
    public var ratioThresholdBytes: Int
    /// The longest entry name, in bytes. Longer names are refused as ``ArchiveEntryFailure/unsafeEntry``.
    public var maxNameBytes: Int

    /// - Parameters:
    ///   - maxEntries: 10,000 by default.
    ///   - maxEntryBytes: 10 MiB by default, the engine's `MAX_FILE_SIZE`.
    ///   - maxTotalBytes: 4 GiB by default.
    ///   - maxRatio: 200:1 by default.
    ///   - ratioThresholdBytes: 1 MiB by default.
    ///   - maxNameBytes: 4,096 by default (Linux's `PATH_MAX`).
    public init(
        maxEntries: Int = 10_000, maxEntryBytes: Int = 10 << 20, maxTotalBytes: Int = 4 << 30, maxRatio: Int = 200,
        ratioThresholdBytes: Int = 1 << 20, maxNameBytes: Int = 4096
    ) {
        self.maxEntries = maxEntries
        self.maxEntryBytes = maxEntryBytes
        self.maxTotalBytes = maxTotalBytes
        self.maxRatio = maxRatio
        self.ratioThresholdBytes = ratioThresholdBytes
        self.maxNameBytes = maxNameBytes
    }

    /// The largest zip central directory read into memory: enough for ``maxEntries`` headers with names of
    /// ``maxNameBytes`` and some extra fields, never more than 64 MiB.
    var maxDirectoryBytes: Int {
        let perEntry = 46 + max(0, maxNameBytes) + 1024
        let (bytes, overflow) = max(0, maxEntries).multipliedReportingOverflow(by: perEntry)
        return overflow ? 64 << 20 : min(64 << 20, max(64 << 10, bytes))
    }
}
