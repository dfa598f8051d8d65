internal import CMagic

/// Detects a file's real type from its bytes with libmagic: never from its name or declared type.
///
/// A libmagic cookie is not thread-safe, so each sniffer owns one and is used by one thread at a time
/// (it may move between threads: hence `@unchecked Sendable`).
public final class ContentSniffer: @unchecked Sendable {
    private let cookie: OpaquePointer

    /// A failure to load libmagic's database or to read a file.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// libmagic's message.
        public let message: String
        public var description: String { "libmagic: \(message)" }
    }

    /// Loads the compiled magic database (Debian's `libmagic-mgc`).
    public init() throws(Failure) {
        guard let cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR) else {
            throw Failure(message: "magic_open failed")
        }
        if magic_load(cookie, nil) != 0 {
            let message = magic_error(cookie).map { String(cString: $0) } ?? "magic_load failed"
            magic_close(cookie)
            throw Failure(message: message)
        }
        self.cookie = cookie
    }

    deinit { magic_close(cookie) }

    /// The MIME type of the file at `path`, e.g. `application/pdf`.
    public func mimeType(ofFile path: String) throws(Failure) -> String {
        guard let result = magic_file(cookie, path) else { throw lastError() }
        return String(cString: result)
    }

    /// The MIME type of a buffer (its first bytes suffice for most formats).
    public func mimeType(of bytes: UnsafeRawBufferPointer) throws(Failure) -> String {
        guard let result = magic_buffer(cookie, bytes.baseAddress, bytes.count) else { throw lastError() }
        return String(cString: result)
    }

    private func lastError() -> Failure {
        Failure(message: magic_error(cookie).map { String(cString: $0) } ?? "unknown error")
    }

    /// libmagic's version, e.g. `5.44`.
    public static var libraryVersion: String {
        let v = magic_version()
        return "\(v / 100).\(v % 100)"
    }
}
