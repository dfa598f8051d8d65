import Loop

/// Where `loadgen` sends: an `http://` URL read into host, port and request target, and the addresses it
/// resolved to. Load is a weapon: only loopback and private test networks are targets unless the user says
/// `--allow-remote`.
package struct LoadTarget: Sendable, Equatable {
    package var host: String
    package var port: Int
    /// The request target: path and query, `/` when the URL has none.
    package var path: String
    /// The `Host` header: the URL's authority as written.
    package var authority: String

    /// Reads `http://host[:port][/path][?query]`. `https` is refused: a load generator beside the server it
    /// loads has no use for TLS, and measuring TLS would measure the handshake library, not the endpoint.
    package init(url: String) throws(LoadGenError) {
        guard url.hasPrefix("http://") else {
            if url.hasPrefix("https://") {
                throw .badURL(url, "https is not supported: point loadgen at the server's plain HTTP port (or at a TLS-terminating proxy's upstream)")
            }
            throw .badURL(url, "expected http://HOST[:PORT]/PATH")
        }
        let rest = url.dropFirst("http://".count)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = String(rest[..<authorityEnd])
        var target = String(rest[authorityEnd...])
        if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
        if target.isEmpty { target = "/" }
        if target.hasPrefix("?") { target = "/" + target }
        guard !authority.isEmpty, !authority.contains("@") else {
            throw .badURL(url, authority.isEmpty ? "no host" : "credentials in the URL are not supported; use -H 'Authorization: …'")
        }
        var host = authority
        var port = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .badURL(url, "unclosed [ in the host") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw .badURL(url, "bad port")
                }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
                throw .badURL(url, "bad port")
            }
            port = p
        }
        guard !host.isEmpty, target.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw .badURL(url, host.isEmpty ? "no host" : "the path must be ASCII without spaces (percent-encode it)")
        }
        self.host = host
        self.port = port
        self.path = target
        self.authority = authority
    }

    /// The same server, another request target (the batch follower's `GET /api/v1/batches/{id}`).
    package func with(path: String) -> LoadTarget {
        var copy = self
        copy.path = path
        return copy
    }
}

/// Which addresses `loadgen` may load without `--allow-remote`: loopback, the private ranges of RFC 1918 and
/// RFC 4193, carrier-grade NAT (RFC 6598) and link-local — networks a tester owns, never someone's package site.
package enum AddressPolicy {
    package static func isTestNetwork(_ address: IPAddress) -> Bool {
        let b = address.bytes
        if address.isIPv4 {
            return b[0] == 127 || b[0] == 10 || (b[0] == 172 && (16...31).contains(b[1])) || (b[0] == 192 && b[1] == 168)
                || (b[0] == 100 && (64...127).contains(b[1])) || (b[0] == 169 && b[1] == 254)
        }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return true } // ::1
        if b[0] & 0xFE == 0xFC { return true } // fc00::/7
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return true } // fe80::/10
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF, // ::ffff:a.b.c.d
           let v4 = IPAddress(bytes: Array(b[12..<16])) {
            return isTestNetwork(v4)
        }
        return false
    }
}

extension LoadTarget {
    /// The target's addresses: a literal as it is, a name through the resolver. Without `allowRemote`, every
    /// address must be a test network (a name that resolves to one package address is refused whole).
    @LoopActor
    package func resolve(allowRemote: Bool) async throws(LoadGenError) -> [IPAddress] {
        var addresses: [IPAddress]
        if let literal = IPAddress(host) {
            addresses = [literal]
        } else {
            do {
                addresses = try await HostResolver.resolve(host, port: port)
            } catch {
                throw .resolve(host, error.description)
            }
        }
        if !allowRemote && !addresses.allSatisfy(AddressPolicy.isTestNetwork) {
            throw .remoteRefused(host: host, addresses: addresses.map(\.description))
        }
        return addresses
    }

    /// Connects once to the first address that answers, before any load: a server that is not there is an
    /// error up front, not a run of connect failures.
    @LoopActor
    package static func probe(_ addresses: [IPAddress], port: Int, timeoutMilliseconds: UInt64 = 5000) async throws(LoadGenError) {
        var last = "no address"
        for address in addresses {
            let stream = TCPStream()
            let timer = UVTimer()
            let error: String? = await withCheckedContinuation(isolation: LoopActor.shared) { continuation in
                var resumed = false
                timer.schedule(after: timeoutMilliseconds) {
                    guard !resumed else { return }
                    resumed = true
                    continuation.resume(returning: "no answer in \(timeoutMilliseconds) ms")
                }
                stream.connect(to: address, port: port) { error in
                    guard !resumed else { return }
                    resumed = true
                    continuation.resume(returning: error?.description)
                }
            }
            timer.close()
            stream.close()
            guard let error else { return }
            last = "\(address.bracketed):\(port): \(error)"
        }
        throw .unreachable(addresses.map { "\($0.bracketed):\(port)" }.joined(separator: ", "), last)
    }
}
