import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client for tests: sends exact bytes and reads exact responses, with timeouts so that a
/// broken server fails a test instead of hanging it.
public final class TestClient {
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Whether the server closed the connection (EOF seen).
    public private(set) var sawEOF = false

    /// Connects to `127.0.0.1:port`; `receiveBufferBytes` sets `SO_RCVBUF` before connecting (a client that
    /// takes little at a time).
    public init(port: Int, timeoutSeconds: Int = 15, receiveBufferBytes: Int? = nil) throws {
        // The socket is ours to close until the object is whole: once `self.fd` is set, a throwing init still
        // runs `deinit`, and closing the number twice could close another thread's new pipe or socket.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBufferBytes.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let error = errno
            close(fd)
            throw TestFailure("connect to port \(port): errno \(error)")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends all of `bytes`. Returns false if the peer is gone (EPIPE/ECONNRESET).
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    /// Sends a string's UTF-8 bytes.
    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Half-closes the sending side.
    public func shutdownWrite() { _ = shutdown(fd, Int32(SHUT_WR)) }

    /// Closes abruptly (RST if data is unread), like a client that dies.
    public func reset() {
        var lingerOption = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lingerOption, socklen_t(MemoryLayout<linger>.size))
        _ = shutdown(fd, Int32(SHUT_RDWR))
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer += chunk[0..<n]
                return true
            }
            if n == 0 {
                sawEOF = true
                return false
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw TestFailure("timed out waiting for the server") }
            if errno == ECONNRESET {
                sawEOF = true
                return false
            }
            throw TestFailure("recv: errno \(errno)")
        }
    }

    /// Reads one whole response (status line, headers, `Content-Length` body).
    public func readResponse() throws -> TestResponse {
        while true {
            if let (response, used) = TestResponse.parse(buffer) {
                buffer.removeFirst(used)
                return response
            }
            guard try fill() else {
                throw TestFailure("connection closed before a whole response (have \(buffer.count) bytes: "
                                  + "\(String(decoding: buffer.prefix(200), as: UTF8.self)))")
            }
        }
    }

    /// Waits until the server closes the connection; true if it did within the timeout.
    public func waitForClose() -> Bool {
        while true {
            do {
                if try !fill() { return true }
            } catch {
                return false
            }
        }
    }
}

/// A parsed response, for assertions.
public struct TestResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Parses one response from the front of `bytes`; nil if incomplete.
    static func parse(_ bytes: [UInt8]) -> (TestResponse, Int)? {
        let crlfcrlf: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4 else { return nil }
        var end = -1
        for i in 0...(bytes.count - 4) where bytes[i..<i + 4].elementsEqual(crlfcrlf) {
            end = i
            break
        }
        guard end >= 0 else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ").map(String.init)
        let status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        let length = Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
        let bodyStart = end + 4
        guard bytes.count >= bodyStart + length else { return nil }
        return (TestResponse(status: status, headers: headers, body: Array(bytes[bodyStart..<bodyStart + length])),
                bodyStart + length)
    }
}

/// A test-side failure with a message.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A client is used by one thread at a time; a test may hand it to a ``BackgroundWork`` and not touch it
/// until that is done.
extension TestClient: @unchecked Sendable {}

/// Blocking client work (a sender the server may stop reading) on a thread of its own, so that the test's
/// awaits never wait behind it.
public final class BackgroundWork: Sendable {
    private let finished = Mutex(false)

    /// Starts `body` on a new thread.
    public init(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            body()
            finished.withLock { $0 = true }
        }
        thread.start()
    }

    /// Whether `body` has returned.
    public var isDone: Bool { finished.withLock { $0 } }

    /// Waits until `body` has returned, up to `seconds`; true if it did.
    public func wait(seconds: Double) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while !isDone && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return isDone
    }
}

/// Runs blocking client work (a read that waits for the server, up to its timeout) on a thread of its own and
/// awaits its result: the cooperative pool has as many threads as cores, and a test that blocks one while it
/// waits stalls every other test's timing.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
