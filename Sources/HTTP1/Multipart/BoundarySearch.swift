#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds a multipart delimiter (`CRLF "--" boundary`) in raw bytes.
///
/// The search is Boyer-Moore-Horspool: it looks at the byte under the end of the window and skips by how far that
/// byte sits from the delimiter's end (the whole delimiter length for a byte the delimiter lacks), so random body
/// bytes cost about one load per delimiter length. A candidate is verified only when the window's last byte equals
/// the delimiter's last byte. The worst case is bounded by `count × delimiter length` comparisons.
///
/// Horspool's skips are short for a short delimiter, so below ``memchrThreshold`` bytes the search instead finds each
/// CR with the C library's vectorised `memchr` and verifies the rest of the delimiter there.
package struct BoundarySearch: Sendable {
    /// The delimiter: CR LF `-` `-` followed by the boundary's bytes.
    package let delimiter: [UInt8]

    /// Horspool's bad-character table: for each byte value, how far the window may move when that byte is under its
    /// last position.
    private let skip: [UInt8]

    /// Creates a search for the delimiter of `boundary`, whose length must be 1...70 bytes (checked by the parser).
    package init(boundary: some Collection<UInt8>) {
        var delimiter: [UInt8] = [0x0D, 0x0A, 0x2D, 0x2D]
        delimiter.append(contentsOf: boundary)
        let length = delimiter.count
        var skip = [UInt8](repeating: UInt8(length), count: 256)
        for index in 0..<(length - 1) {
            skip[Int(delimiter[index])] = UInt8(length - 1 - index)
        }
        self.delimiter = delimiter
        self.skip = skip
    }

    /// The delimiter's length in bytes.
    package var count: Int { delimiter.count }

    /// Delimiters shorter than this are searched with `memchr` for their CR rather than with Horspool's skip loop.
    package static let memchrThreshold = 16

    /// The offset of the first delimiter lying wholly in `buffer[start...]`, or nil.
    package func firstMatch(in buffer: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard buffer.count - start >= delimiter.count, let base = buffer.baseAddress else { return nil }
        if delimiter.count < Self.memchrThreshold {
            return firstMatchByCarriageReturn(base: base, start: start, end: buffer.count)
        }
        return firstMatchBySkipping(base: base, start: start, end: buffer.count)
    }

    /// Horspool's skip loop over `base[start..<end]`.
    private func firstMatchBySkipping(base: UnsafeRawPointer, start: Int, end: Int) -> Int? {
        let length = delimiter.count
        return delimiter.withUnsafeBufferPointer { needle in
            skip.withUnsafeBufferPointer { skip in
                let last = needle[length &- 1]
                var index = start &+ length &- 1
                while index < end {
                    let byte = base.load(fromByteOffset: index, as: UInt8.self)
                    if byte == last {
                        let candidate = index &- (length &- 1)
                        var matched = 0
                        while matched < length &- 1,
                            base.load(fromByteOffset: candidate &+ matched, as: UInt8.self) == needle[matched]
                        {
                            matched &+= 1
                        }
                        if matched == length &- 1 { return candidate }
                    }
                    index &+= Int(skip[Int(byte)])
                }
                return nil
            }
        }
    }

    /// For short delimiters: `memchr` finds each CR, then the rest is compared. When CRs come densely (CRLF text, or
    /// a body built to slow the search down), it hands the rest of the buffer to the skip loop, whose cost does not
    /// depend on how many CRs there are.
    private func firstMatchByCarriageReturn(base: UnsafeRawPointer, start: Int, end: Int) -> Int? {
        let length = delimiter.count
        var from = start
        var misses = 0
        while end &- from >= length {
            if misses > 8, from &- start < misses &* 64 {
                return firstMatchBySkipping(base: base, start: from, end: end)
            }
            guard let hit = memchr(base + from, 0x0D, end &- from &- length &+ 1) else { return nil }
            let candidate = base.distance(to: UnsafeRawPointer(hit))
            let matched = delimiter.withUnsafeBufferPointer { needle in
                var matched = 1
                while matched < length,
                    base.load(fromByteOffset: candidate &+ matched, as: UInt8.self) == needle[matched]
                {
                    matched &+= 1
                }
                return matched
            }
            if matched == length { return candidate }
            misses &+= 1
            from = candidate &+ 1
        }
        return nil
    }

    /// The offset from which `buffer`'s tail could still be the start of a delimiter that more bytes would complete:
    /// the smallest `i >= start` such that `buffer[i...]` is a proper prefix of the delimiter; `buffer.count` if none.
    ///
    /// Call it after ``firstMatch(in:from:)`` found nothing.
    package func heldBackStart(in buffer: UnsafeRawBufferPointer, from start: Int) -> Int {
        let end = buffer.count
        var index = max(start, end - (delimiter.count - 1))
        while index < end {
            if buffer[index] == 0x0D, isDelimiterPrefix(buffer, from: index) { return index }
            index += 1
        }
        return end
    }

    /// Whether `buffer[start...]` equals the delimiter's first `buffer.count - start` bytes.
    private func isDelimiterPrefix(_ buffer: UnsafeRawBufferPointer, from start: Int) -> Bool {
        var offset = 0
        while start + offset < buffer.count {
            if buffer[start + offset] != delimiter[offset] { return false }
            offset += 1
        }
        return true
    }
}
