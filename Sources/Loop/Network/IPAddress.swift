internal import CLibUV
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address as its bytes (4 or 16, network order): what a name resolved to, or a literal read
/// from a URL. Text goes through libuv's `inet_pton`/`inet_ntop`, so only the canonical forms parse
/// (`127.0.0.1`, `::1`), never `127.1` or `2130706433`, which `getaddrinfo` would also take.
package struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6).
    package let bytes: [UInt8]

    /// Nil unless `bytes` has 4 or 16 bytes.
    package init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses a dotted quad or an IPv6 address (without brackets or a zone); nil for anything else.
    package init?(_ text: String) {
        var buffer = [UInt8](repeating: 0, count: 16)
        if uv_inet_pton(AF_INET, text, &buffer) == 0 {
            bytes = Array(buffer.prefix(4))
        } else if uv_inet_pton(AF_INET6, text, &buffer) == 0 {
            bytes = buffer
        } else {
            return nil
        }
    }

    package var isIPv4: Bool { bytes.count == 4 }

    /// The canonical text (`10.0.0.1`, `fe80::1`), without brackets.
    package var description: String {
        var name = [CChar](repeating: 0, count: 64)
        let rc = bytes.withUnsafeBytes { uv_inet_ntop(isIPv4 ? AF_INET : AF_INET6, $0.baseAddress, &name, name.count) }
        guard rc == 0 else { return Hex.encode(bytes) }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The address as a URL or `CURLOPT_RESOLVE` entry writes it: IPv6 in brackets.
    package var bracketed: String { isIPv4 ? description : "[\(description)]" }
}
