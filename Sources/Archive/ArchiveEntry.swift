/// One member of an archive, as ``ArchiveReader/next()`` reports it.
///
/// The name is data, never a path: nothing is ever created on disk from it. ``name`` is for display and logs
/// only; ``rawName`` is what the archive holds, byte for byte. Two entries may have the same name.
public struct ArchiveEntry: Sendable, Equatable {
    /// What the member is, from its tar type flag or its zip entry's Unix mode.
    public enum Kind: String, Sendable, Equatable {
        /// A regular file: the only kind whose bytes are read.
        case file
        /// A directory. Never returned by ``ArchiveReader/next()``, which skips directories.
        case directory
        /// A symbolic link (refused as ``ArchiveEntryFailure/unsafeEntry``).
        case symlink
        /// A tar hard link (refused as ``ArchiveEntryFailure/unsafeEntry``).
        case hardLink
        /// A character or block device (refused as ``ArchiveEntryFailure/unsafeEntry``).
        case device
        /// A named pipe (refused as ``ArchiveEntryFailure/unsafeEntry``).
        case fifo
        /// A socket, a GNU sparse file, a volume label… (refused as ``ArchiveEntryFailure/unsafeEntry``).
        case other
    }

    /// The position of the member in the archive, from 0, directories counted (so indexes may skip); tar's
    /// pax and GNU long-name headers are not members.
    public var index: Int
    /// The name exactly as stored (a pax `path` or GNU long name when there is one). Not validated beyond the
    /// safety checks; may repeat.
    public var rawName: [UInt8]
    /// ``rawName`` for display: UTF-8, with U+FFFD for bytes that are not, and for control characters.
    public var name: String
    /// What the member is.
    public var kind: Kind
    /// The size the header declares: exact for a tar, a claim for a zip (whose bytes are counted as they inflate).
    public var declaredSize: UInt64
    /// Why the entry is refused, decided before any of its bytes is delivered; nil for an entry to read.
    /// Reading a refused entry throws this failure.
    public var refusal: ArchiveEntryFailure?

    /// An entry; ``name`` is derived from `rawName`.
    public init(
        index: Int, rawName: [UInt8], kind: Kind, declaredSize: UInt64, refusal: ArchiveEntryFailure? = nil
    ) {
        self.index = index
        self.rawName = rawName
        self.name = EntryName.display(rawName)
        self.kind = kind
        self.declaredSize = declaredSize
        self.refusal = refusal
    }
}
