internal import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// What a ``TCPStream`` reports to its owner, on the loop.
@LoopActor
package protocol TCPStreamDelegate: AnyObject {
    /// Bytes arrived. The buffer is the loop's shared read buffer: valid only during the call.
    func stream(_ stream: TCPStream, didRead bytes: UnsafeRawBufferPointer)
    /// The peer closed its side, or the connection failed (`error` is nil for a clean EOF).
    func streamDidEnd(_ stream: TCPStream, error: UVError?)
}

/// A connected TCP socket on the loop: reads into one loop-wide buffer, writes owned byte arrays.
@LoopActor
package final class TCPStream: UVHandle {
    /// Reads are processed synchronously in the read callback, so one buffer serves every connection.
    private static let readBufferSize = 64 * 1024
    private static let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: readBufferSize, alignment: 64)

    package var delegate: (any TCPStreamDelegate)?
    private(set) var isReading = false

    var tcp: UnsafeMutablePointer<uv_tcp_t> { raw.assumingMemoryBound(to: uv_tcp_t.self) }
    private var stream: UnsafeMutablePointer<uv_stream_t> { raw.assumingMemoryBound(to: uv_stream_t.self) }

    package init() {
        super.init(type: UV_TCP)
        let rc = uv_tcp_init(EventLoop.shared.raw, tcp)
        precondition(rc == 0, "uv_tcp_init: \(UVError(rc))")
        register()
    }

    package override func didClose() { delegate = nil }

    /// Starts delivering reads to the delegate.
    package func startReading() {
        guard !isReading, !isClosing else { return }
        let rc = uv_read_start(stream, { _, _, buf in
            buf!.pointee.base = TCPStream.readBuffer.assumingMemoryBound(to: CChar.self)
            buf!.pointee.len = TCPStream.readBufferSize
        }, { s, nread, _ in
            LoopActor.assumeIsolated {
                let me: TCPStream = UVHandle.owner(UnsafeMutableRawPointer(s))
                me.didRead(nread)
            }
        })
        if rc == 0 {
            isReading = true
        } else {
            delegate?.streamDidEnd(self, error: UVError(rc, "uv_read_start"))
        }
    }

    /// Stops reads: the kernel buffers fill and TCP flow control pushes back on the client.
    package func stopReading() {
        guard isReading, !isClosing else { return }
        uv_read_stop(stream)
        isReading = false
    }

    private func didRead(_ nread: Int) {
        if nread > 0 {
            delegate?.stream(self, didRead: UnsafeRawBufferPointer(start: TCPStream.readBuffer, count: nread))
        } else if nread < 0 {
            stopReading()
            let code = Int32(nread)
            delegate?.streamDidEnd(self, error: code == cuv_eof() ? nil : UVError(code, "read"))
        }
    }

    private final class WriteRequest {
        package let bytes: [UInt8]
        package let completion: (@LoopActor (UVError?) -> Void)?
        package init(bytes: [UInt8], completion: (@LoopActor (UVError?) -> Void)?) {
            self.bytes = bytes
            self.completion = completion
        }
    }

    /// Queues `bytes` for writing; `completion` runs once they are handed to the kernel (or failed).
    package func write(_ bytes: [UInt8], completion: (@LoopActor (UVError?) -> Void)? = nil) {
        guard !isClosing else {
            completion?(UVError(cuv_ecanceled(), "write"))
            return
        }
        let request = WriteRequest(bytes: bytes, completion: completion)
        let req = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
        req.pointee.data = Unmanaged.passRetained(request).toOpaque()
        let rc = request.bytes.withUnsafeBytes { raw -> Int32 in
            var buf = uv_buf_init(UnsafeMutablePointer(mutating: raw.baseAddress?.assumingMemoryBound(to: CChar.self)),
                                  UInt32(raw.count))
            return uv_write(req, stream, &buf, 1) { req, status in
                LoopActor.assumeIsolated {
                    let request = Unmanaged<WriteRequest>.fromOpaque(req!.pointee.data!).takeRetainedValue()
                    req!.deallocate()
                    request.completion?(status < 0 ? UVError(status, "write") : nil)
                }
            }
        }
        if rc < 0 {
            Unmanaged<WriteRequest>.fromOpaque(req.pointee.data!).release()
            req.deallocate()
            completion?(UVError(rc, "uv_write"))
        }
    }

    /// Bytes queued by ``write(_:completion:)`` that the kernel has not taken yet.
    package var unsentBytes: Int { isClosing ? 0 : uv_stream_get_write_queue_size(stream) }

    /// Half-closes: sends FIN after queued writes; reads may go on.
    package func shutdown(completion: @escaping @LoopActor () -> Void) {
        guard !isClosing else { return completion() }
        final class Box { let body: @LoopActor () -> Void; init(_ b: @escaping @LoopActor () -> Void) { body = b } }
        let req = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        req.pointee.data = Unmanaged.passRetained(Box(completion)).toOpaque()
        let rc = uv_shutdown(req, stream) { req, _ in
            LoopActor.assumeIsolated {
                let box = Unmanaged<Box>.fromOpaque(req!.pointee.data!).takeRetainedValue()
                req!.deallocate()
                box.body()
            }
        }
        if rc < 0 {
            Unmanaged<Box>.fromOpaque(req.pointee.data!).release()
            req.deallocate()
            completion()
        }
    }

    /// The peer's IP address as text (`127.0.0.1`, `::1`), without its port; nil if the socket has none.
    package var peerAddress: String? {
        guard !isClosing else { return nil }
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutableBytes(of: &storage) { buf in
            uv_tcp_getpeername(tcp, buf.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        guard rc == 0 else { return nil }
        var name = [CChar](repeating: 0, count: 64)
        let family = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr.self).sa_family }
        let named = withUnsafeBytes(of: &storage) { buf -> Int32 in
            if family == sa_family_t(AF_INET6) {
                return uv_ip6_name(buf.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self), &name, name.count)
            }
            return uv_ip4_name(buf.baseAddress!.assumingMemoryBound(to: sockaddr_in.self), &name, name.count)
        }
        guard named == 0 else { return nil }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Connects to `address:port` (a client socket: `loadgen`). `completion` runs once, on the loop, with nil
    /// when the connection is up (then call ``startReading()``) or the error (`ECONNREFUSED`, `ETIMEDOUT`, …).
    package func connect(to address: IPAddress, port: Int, completion: @escaping @LoopActor (UVError?) -> Void) {
        final class Box { let body: @LoopActor (UVError?) -> Void; init(_ b: @escaping @LoopActor (UVError?) -> Void) { body = b } }
        var storage = sockaddr_storage()
        let parsed = withUnsafeMutableBytes(of: &storage) { buf -> Int32 in
            if address.isIPv4 {
                return uv_ip4_addr(address.description, Int32(port), buf.baseAddress!.assumingMemoryBound(to: sockaddr_in.self))
            }
            return uv_ip6_addr(address.description, Int32(port), buf.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self))
        }
        guard parsed == 0, !isClosing else {
            return completion(UVError(parsed == 0 ? cuv_ecanceled() : parsed, "connect"))
        }
        let req = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        req.pointee.data = Unmanaged.passRetained(Box(completion)).toOpaque()
        let rc = withUnsafeBytes(of: &storage) { buf in
            uv_tcp_connect(req, tcp, buf.baseAddress!.assumingMemoryBound(to: sockaddr.self)) { req, status in
                LoopActor.assumeIsolated {
                    let box = Unmanaged<Box>.fromOpaque(req!.pointee.data!).takeRetainedValue()
                    req!.deallocate()
                    box.body(status < 0 ? UVError(status, "connect") : nil)
                }
            }
        }
        if rc < 0 {
            Unmanaged<Box>.fromOpaque(req.pointee.data!).release()
            req.deallocate()
            completion(UVError(rc, "uv_tcp_connect"))
        }
    }

    /// Sets `TCP_NODELAY`: responses are small and should not wait for Nagle.
    package func setNoDelay() { uv_tcp_nodelay(tcp, 1) }
}
