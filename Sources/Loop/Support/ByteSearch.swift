internal import CLibUV

/// glibc's `memmem` (through the libuv shim, which defines `_GNU_SOURCE`): whether `needle` occurs in
/// `haystack`, for code above the loop that has no C of its own.
package enum ByteSearch {
    /// Where `needle` first occurs in `haystack`.
    package static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        return haystack.withUnsafeBytes { h in
            needle.withUnsafeBytes { n in
                cuv_memmem(h.baseAddress, h.count, n.baseAddress, n.count).map { $0 - h.baseAddress! }
            }
        }
    }

    package static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBytes { h in
            needle.withUnsafeBytes { n in cuv_memmem(h.baseAddress, h.count, n.baseAddress, n.count) != nil }
        }
    }
}

/// The allocator's tuning for processes that pass large buffers between threads (`loadgen`'s corpus).
package enum MemoryTuning {
    /// Buffers of `bytes` and more are mapped on their own and unmapped when freed: RSS follows what is live,
    /// not the largest buffers ever made (glibc otherwise raises its threshold after each large free).
    package static func mapLargeBuffers(from bytes: Int) { _ = cuv_fix_mmap_threshold(Int32(bytes)) }
}
