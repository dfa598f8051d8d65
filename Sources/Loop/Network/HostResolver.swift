internal import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// Name resolution off the loop: `uv_getaddrinfo` runs the system's blocking `getaddrinfo` on libuv's thread
/// pool and calls back on the loop, so a slow DNS server never stalls a socket.
package enum HostResolver {
    /// One lookup in flight: the continuation `uv_getaddrinfo`'s callback resumes (found through `req.data`).
    private final class Lookup: Sendable {
        let continuation: CheckedContinuation<Result<[IPAddress], UVError>, Never>
        let host: String
        init(continuation: CheckedContinuation<Result<[IPAddress], UVError>, Never>, host: String) {
            self.continuation = continuation
            self.host = host
        }
    }

    /// The IPv4 and IPv6 addresses of `host` for TCP, in the resolver's order, without repeats. Throws the
    /// resolver's error (`EAI_NONAME` for a name that does not exist); never returns an empty list.
    @LoopActor
    package static func resolve(_ host: String, port: Int) async throws(UVError) -> [IPAddress] {
        let result: Result<[IPAddress], UVError> = await withCheckedContinuation(isolation: LoopActor.shared) {
            continuation in
            let req = UnsafeMutablePointer<uv_getaddrinfo_t>.allocate(capacity: 1)
            req.pointee.data = Unmanaged.passRetained(Lookup(continuation: continuation, host: host)).toOpaque()
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            let rc = uv_getaddrinfo(EventLoop.shared.raw, req, HostResolver.resolved, host, String(port), &hints)
            if rc < 0 {
                Unmanaged<Lookup>.fromOpaque(req.pointee.data!).release()
                req.deallocate()
                continuation.resume(returning: .failure(UVError(rc, "getaddrinfo \(host)")))
            }
        }
        return try result.get()
    }

    /// `uv_getaddrinfo`'s callback, on the loop. Declared outside any isolated function so it captures nothing.
    private static let resolved: @convention(c) (UnsafeMutablePointer<uv_getaddrinfo_t>?, Int32,
                                                 UnsafeMutablePointer<addrinfo>?) -> Void = { req, status, list in
        let lookup = Unmanaged<Lookup>.fromOpaque(req!.pointee.data!).takeRetainedValue()
        req!.deallocate()
        defer { uv_freeaddrinfo(list) }
        guard status == 0 else {
            lookup.continuation.resume(returning: .failure(UVError(status, "getaddrinfo \(lookup.host)")))
            return
        }
        var addresses: [IPAddress] = []
        var entry = list
        while let info = entry?.pointee {
            var found: IPAddress?
            if info.ai_family == AF_INET, let sa = info.ai_addr {
                found = UnsafeRawPointer(sa).withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    withUnsafeBytes(of: sin.pointee.sin_addr) { IPAddress(bytes: Array($0)) }
                }
            } else if info.ai_family == AF_INET6, let sa = info.ai_addr {
                found = UnsafeRawPointer(sa).withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    withUnsafeBytes(of: sin6.pointee.sin6_addr) { IPAddress(bytes: Array($0)) }
                }
            }
            if let found, !addresses.contains(found) { addresses.append(found) }
            entry = info.ai_next
        }
        if addresses.isEmpty {
            let none = UVError(UV_EAI_NODATA.rawValue, "getaddrinfo \(lookup.host)")
            lookup.continuation.resume(returning: .failure(none))
        } else {
            lookup.continuation.resume(returning: .success(addresses))
        }
    }
}
