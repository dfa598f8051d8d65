#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: its `errno`, the call, and the path it was about.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `errno` value.
    public let errno: Int32
    /// The call, e.g. `"fsync"`.
    public let operation: String
    /// The file involved, if any.
    public let path: String?

    package init(_ operation: String, path: String? = nil, errno: Int32 = Glibc.errno) {
        self.errno = errno
        self.operation = operation
        self.path = path
    }

    public var description: String {
        "\(operation)\(path.map { " \($0)" } ?? ""): \(String(cString: strerror(errno)))"
    }

    /// Whether the disk is full (or over quota).
    public var isNoSpace: Bool { errno == ENOSPC || errno == EDQUOT }
}
