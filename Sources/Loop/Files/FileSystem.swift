#if canImport(Glibc)
import Glibc
#endif

/// Thin wrappers over the POSIX file calls the spool needs: `EINTR` retried, short writes completed,
/// failures thrown as ``SystemError``. They block, so they run on the thread pool (``Offload``), never on
/// the loop.
package enum FileSystem {
    package static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o640) throws(SystemError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw SystemError("open", path: path) }
        }
    }

    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", path: path)
            }
            offset += n
        }
    }

    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SystemError) {
        let failure = bytes.withUnsafeBytes { raw -> SystemError? in
            do throws(SystemError) {
                try writeAll(fd, raw, path: path)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// `fsync`, returning how long it took in nanoseconds.
    @discardableResult
    package static func fsync(_ fd: Int32, path: String) throws(SystemError) -> Int64 {
        let start = SystemClock.shared.monotonicNanoseconds()
        while Glibc.fsync(fd) != 0 {
            if errno != EINTR { throw SystemError("fsync", path: path) }
        }
        return Int64(SystemClock.shared.monotonicNanoseconds() - start)
    }

    /// Opens a directory read-only and fsyncs it, making renames into it durable.
    @discardableResult
    package static func fsyncDirectory(_ path: String) throws(SystemError) -> Int64 {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { Glibc.close(fd) }
        return try fsync(fd, path: path)
    }

    package static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    package static func rename(_ from: String, _ to: String) throws(SystemError) {
        if Glibc.rename(from, to) != 0 { throw SystemError("rename", path: "\(from) -> \(to)") }
    }

    package static func unlink(_ path: String) { _ = Glibc.unlink(path) }

    package static func makeDirectories(_ path: String) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o750) != 0 && errno != EEXIST { throw SystemError("mkdir", path: current) }
        }
    }

    /// Names in a directory, without `.` and `..`.
    package static func list(_ path: String) throws(SystemError) -> [String] {
        guard let dir = opendir(path) else { throw SystemError("opendir", path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    package static func size(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int(st.st_size)
    }

    /// Absolute form of `path` (relative paths are taken from the working directory).
    package static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard getcwd(&buf, buf.count) != nil else { return path }
        let cwd = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return cwd + "/" + (path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
    }
}
