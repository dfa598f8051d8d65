internal import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP socket on the loop that hands each accepted connection to `onAccept`.
@LoopActor
package final class TCPListener: UVHandle {
    private var onAccept: (@LoopActor (TCPStream) -> Void)?
    private var onError: (@LoopActor (UVError) -> Void)?

    /// Binds to `host:port` (IPv4 or IPv6 literal) and listens. `port` 0 picks a free port (see ``port``).
    package init(host: String, port: Int, backlog: Int32 = 1024,
         onAccept: @escaping @LoopActor (TCPStream) -> Void,
         onError: @escaping @LoopActor (UVError) -> Void) throws(UVError) {
        self.onAccept = onAccept
        self.onError = onError
        super.init(type: UV_TCP)
        let tcp = raw.assumingMemoryBound(to: uv_tcp_t.self)
        precondition(uv_tcp_init(EventLoop.shared.raw, tcp) == 0)
        register()
        var storage = sockaddr_storage()
        let parsed = withUnsafeMutableBytes(of: &storage) { buf -> Int32 in
            let rc4 = uv_ip4_addr(host, Int32(port), buf.baseAddress!.assumingMemoryBound(to: sockaddr_in.self))
            if rc4 == 0 { return 0 }
            return uv_ip6_addr(host, Int32(port), buf.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self))
        }
        do {
            try UVError.check(parsed, "parse address \(host)")
            _ = try withUnsafeBytes(of: &storage) { buf throws(UVError) in
                try UVError.check(uv_tcp_bind(tcp, buf.baseAddress!.assumingMemoryBound(to: sockaddr.self), 0),
                                  "bind \(host):\(port)")
            }
            try UVError.check(uv_listen(raw.assumingMemoryBound(to: uv_stream_t.self), backlog) { server, status in
                LoopActor.assumeIsolated {
                    let me: TCPListener = UVHandle.owner(UnsafeMutableRawPointer(server))
                    me.didConnect(status)
                }
            }, "listen \(host):\(port)")
        } catch {
            close()
            throw error
        }
    }

    /// The port actually bound.
    package var port: Int {
        var storage = sockaddr_storage()
        var len = Int32(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutableBytes(of: &storage) { buf in
            uv_tcp_getsockname(raw.assumingMemoryBound(to: uv_tcp_t.self),
                               buf.baseAddress!.assumingMemoryBound(to: sockaddr.self), &len)
        }
        return withUnsafeBytes(of: &storage) { buf in
            let family = buf.load(as: sockaddr.self).sa_family
            if family == sa_family_t(AF_INET6) {
                return Int(UInt16(bigEndian: buf.load(as: sockaddr_in6.self).sin6_port))
            }
            return Int(UInt16(bigEndian: buf.load(as: sockaddr_in.self).sin_port))
        }
    }

    private func didConnect(_ status: Int32) {
        guard status == 0 else {
            onError?(UVError(status, "accept"))
            return
        }
        let client = TCPStream()
        let rc = uv_accept(raw.assumingMemoryBound(to: uv_stream_t.self),
                           client.raw.assumingMemoryBound(to: uv_stream_t.self))
        if rc != 0 {
            client.close()
            onError?(UVError(rc, "uv_accept"))
            return
        }
        onAccept?(client)
    }

    package override func didClose() {
        onAccept = nil
        onError = nil
    }
}
