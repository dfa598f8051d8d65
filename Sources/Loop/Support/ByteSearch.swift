internal import CLibUV

/// glibc's `memmem` (through the libuv shim, which defines `_GNU_SOURCE`): whether `needle` occurs in
/// `haystack`, for code above the loop that has no C of its own.
package enum ByteSearch {
    package static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBytes { h in
            needle.withUnsafeBytes { n in cuv_memmem(h.baseAddress, h.count, n.baseAddress, n.count) != nil }
        }
    }
}
