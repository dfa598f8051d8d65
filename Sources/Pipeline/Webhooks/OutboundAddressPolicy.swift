import Loop

/// Which addresses the engine may call back: public ones only, unless the operator allows the rest
/// (`WEBHOOK_ALLOW_PRIVATE=1`, for a receiver on the same network, and for tests).
///
/// A callback URL is the tenant's to choose, so without this a tenant could make the engine request its own
/// network (`http://10.0.0.5/admin`, `http://169.254.169.254/` cloud metadata, a database on 127.0.0.1): server-side
/// request forgery. Every address a name resolves to is checked, and the request is pinned to them. IPv6 forms that
/// carry an IPv4 address (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by it.
public struct OutboundAddressPolicy: Sendable, Equatable {
    /// Whether non-public addresses are allowed.
    public var allowPrivate: Bool

    public init(allowPrivate: Bool = false) { self.allowPrivate = allowPrivate }

    /// Why an address is not public.
    package enum Category: String, Sendable, Equatable {
        case unspecified = "an unspecified"
        case loopback = "a loopback"
        case privateUse = "a private"
        case linkLocal = "a link-local"
        case sharedAddressSpace = "a carrier-grade NAT (100.64.0.0/10)"
        case uniqueLocal = "a unique local (fc00::/7)"
        case multicast = "a multicast"
        case reserved = "a reserved or documentation"
    }

    /// Throws ``WebhookRefusal/forbiddenAddress`` unless `address` (of `host`) may be called.
    package func check(_ address: IPAddress, host: String) throws(WebhookRefusal) {
        guard !allowPrivate, let category = Self.category(of: address) else { return }
        let what = host == address.description || IPAddress(host) != nil
            ? "\(address) is" : "\(host) resolves to \(address),"
        throw .forbiddenAddress("\(what) \(category.rawValue) address (WEBHOOK_ALLOW_PRIVATE is off)")
    }

    /// The kind of non-public address `address` is, or nil for a public one.
    package static func category(of address: IPAddress) -> Category? {
        let b = address.bytes
        if b.count == 4 { return category(ipv4: b) }
        let v4Tail = Array(b[12..<16])
        if b[0..<15].allSatisfy({ $0 == 0 }) {
            return b[15] == 1 ? .loopback : (b[15] == 0 ? .unspecified : .reserved)
        }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return category(ipv4: v4Tail) }
        if b[0..<12].allSatisfy({ $0 == 0 }) { return .reserved } // IPv4-compatible (deprecated)
        if b[0..<12].elementsEqual([0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]) { // NAT64
            return category(ipv4: v4Tail)
        }
        if b[0..<6].elementsEqual([0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01]) { return .privateUse } // local-use NAT64
        if b[0] == 0x20 && b[1] == 0x02 { return category(ipv4: Array(b[2..<6])) } // 6to4
        if b[0] & 0xFE == 0xFC { return .uniqueLocal }
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return .linkLocal }
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return .privateUse } // site-local (deprecated)
        if b[0] == 0xFF { return .multicast }
        if b[0..<8].elementsEqual([0x01, 0, 0, 0, 0, 0, 0, 0]) { return .reserved } // discard-only 100::/64
        if b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02 { return .reserved } // IETF protocol assignments 2001::/23
        if b[0..<4].elementsEqual([0x20, 0x01, 0x0D, 0xB8]) { return .reserved } // documentation
        if b[0] & 0xE0 != 0x20 { return .reserved } // outside global unicast 2000::/3
        return nil
    }

    private static func category(ipv4 b: [UInt8]) -> Category? {
        let a = UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
        func within(_ network: UInt32, _ bits: UInt32) -> Bool { a >> (32 - bits) == network >> (32 - bits) }
        if within(0x0000_0000, 8) { return .unspecified } // "this network"
        if within(0x7F00_0000, 8) { return .loopback }
        if within(0x0A00_0000, 8) || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16) { return .privateUse }
        if within(0x6440_0000, 10) { return .sharedAddressSpace }
        if within(0xA9FE_0000, 16) { return .linkLocal }
        if within(0xE000_0000, 4) { return .multicast }
        if within(0xF000_0000, 4) { return .reserved } // and the broadcast address
        // IETF protocol assignments, TEST-NET-1/2/3, benchmarking, the deprecated 6to4 relay.
        if within(0xC000_0000, 24) || within(0xC000_0200, 24) || within(0xC633_6400, 24)
            || within(0xCB00_7100, 24) || within(0xC612_0000, 15) || within(0xC058_6300, 24) { return .reserved }
        return nil
    }
}
