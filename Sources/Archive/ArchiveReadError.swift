/// Why ``ArchiveReader/readEntry(_:)`` stopped: the entry failed, or the caller's `write` did.
///
/// With a `write` that cannot fail, `WriteError` is `Never` and only ``entry(_:)`` can happen.
public enum ArchiveReadError<WriteError: Error>: Error {
    /// The entry's bytes failed (``ArchiveEntryFailure``); the archive goes on with ``ArchiveReader/next()``
    /// (which throws if the archive itself broke).
    case entry(ArchiveEntryFailure)
    /// The caller's `write` threw this; the rest of the entry is skipped by the next ``ArchiveReader/next()``.
    case write(WriteError)
}
