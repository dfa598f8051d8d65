#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The archive file, read at explicit offsets with `pread` (so a zip's entries can be visited in any order and a
/// tar stream keeps its own position). `EINTR` is retried; other failures throw ``ArchiveError/unreadable``.
///
/// Owns the descriptor: closed when released. Not thread-safe.
final class FileInput {
    let path: String
    /// The file's size when opened.
    let size: UInt64
    private let descriptor: Int32

    init(path: String) throws(ArchiveError) {
        var fd: Int32
        repeat {
            fd = open(path, O_RDONLY | O_CLOEXEC)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw Self.failure("open", path) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let error = Self.failure("fstat", path)
            close(fd)
            throw error
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .unreadable("\(path) is not a regular file")
        }
        self.path = path
        self.descriptor = fd
        self.size = UInt64(status.st_size)
    }

    deinit { close(descriptor) }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file (none past it, however far
    /// past: offsets come from headers).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(ArchiveError) -> Int {
        guard offset < size else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw Self.failure("pread", path)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(count: Int, at offset: UInt64) throws(ArchiveError) -> [UInt8] {
        guard count > 0 else { return [] }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        defer { buffer.deallocate() }
        let n = try read(into: buffer, at: offset)
        return Array(buffer[0..<n])
    }

    private static func failure(_ call: String, _ path: String) -> ArchiveError {
        .unreadable("\(call) \(path): \(String(cString: strerror(errno)))")
    }
}
