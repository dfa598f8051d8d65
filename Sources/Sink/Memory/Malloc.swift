/// How the Sink keeps glibc's heap from holding on to the memory of batches gone by.
enum Malloc {
    /// Hands memory freed by a batch back to the system. A batch's COPY stream, rows and results are megabytes;
    /// glibc keeps what threads free in per-thread arenas, and with several writers and pool threads taking
    /// turns those arenas grew to hundreds of megabytes over a long run (measured: RSS 43 → 343 MB over 100,000
    /// rows with two connections; flat with this).
    static func trim() {
        #if os(Linux)
        _ = glibcMallocTrim(0)
        #endif
    }

    /// Makes glibc map every allocation of a megabyte or more on its own (`M_MMAP_THRESHOLD`), so that the
    /// multi-megabyte COPY buffers and row arrays go back to the system when freed instead of staying in an
    /// arena. glibc's default threshold rises to the size of the largest block freed (up to 32 MiB), after which
    /// 16 MiB buffers came from arenas and pinned memory there.
    static func mapLargeAllocations() {
        #if os(Linux)
        _ = glibcMallopt(-3, 1 << 20) // M_MMAP_THRESHOLD
        #endif
    }
}

#if os(Linux)
/// glibc's `int malloc_trim(size_t pad)` and `int mallopt(int param, int value)` (<malloc.h>, which Swift's
/// Glibc module does not import).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
