internal import CLibUV

/// A libuv failure: one of its negative `UV_E*` codes, with the operation that returned it.
public struct UVError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The negative `UV_E*` code.
    public let code: Int32
    /// What was being done, e.g. `"uv_tcp_bind"`.
    public let operation: String

    package init(_ code: Int32, _ operation: String = "libuv") {
        self.code = code
        self.operation = operation
    }

    /// The code's libuv name, e.g. `EADDRINUSE`.
    public var name: String { String(cString: uv_err_name(code)) }

    public var description: String {
        "\(operation): \(name) (\(String(cString: uv_strerror(code))))"
    }

    /// Throws when `rc` is a libuv error code; returns it otherwise.
    @discardableResult
    package static func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(UVError) -> Int32 {
        if rc < 0 { throw UVError(rc, operation()) }
        return rc
    }
}
