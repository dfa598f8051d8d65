import Loop

/// A callback URL taken apart the way the engine will call it: scheme, host, port, and the URL to request.
///
/// Strict on purpose: whatever this reads as the host must be what libcurl connects to, or the address check
/// (``OutboundAddressPolicy``) would look at one host and the request go to another. So user info
/// (`http://a@b/`), characters outside printable ASCII, backslashes, IPv6 zones, and hosts that end in a number
/// (`127.1`, `0x7f.1`, `2130706433`, which resolvers read as IPv4 addresses) are refused rather than guessed at.
public struct WebhookURL: Sendable, Equatable {
    /// `http` or `https`.
    public let scheme: String
    /// The host, lower-cased; an IPv6 literal without its brackets.
    public let host: String
    /// The port, explicit or the scheme's.
    public let port: Int
    /// The URL as requested: the original with its host lower-cased and its fragment dropped.
    public let requestURL: String
    /// The host when it is an IP address literal (nothing to resolve).
    package let literal: IPAddress?

    /// Parses `text`; throws ``WebhookRefusal/invalidURL`` saying what is wrong.
    public static func parse(_ text: String) throws(WebhookRefusal) -> WebhookURL {
        guard !text.isEmpty, text.utf8.count <= 2048 else { throw .invalidURL("empty or longer than 2048 bytes") }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }) else {
            throw .invalidURL("spaces, backslashes, control or non-ASCII characters in the URL")
        }
        guard let separator = text.range(of: "://") else { throw .invalidURL("no scheme") }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { throw .invalidURL("scheme \(scheme) is not http or https") }
        let afterScheme = text[separator.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        var rest = afterScheme[authorityEnd...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        guard !authority.contains("@") else { throw .invalidURL("user information in the URL") }

        var host: Substring
        var portText: Substring?
        var literal: IPAddress?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL("unclosed [ in the host") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            guard !host.contains("%"), let address = IPAddress(String(host)), !address.isIPv4 else {
                throw .invalidURL("[\(host)] is not an IPv6 address (zones are not allowed)")
            }
            literal = address
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidURL("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else {
            let parts = authority.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw .invalidURL("more than one : in the host") }
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
        }
        guard !host.isEmpty else { throw .invalidURL("no host") }
        let lower = host.lowercased()

        let port: Int
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCII),
                  let value = Int(portText), (1...65535).contains(value)
            else { throw .invalidURL("port \(portText) is not in 1...65535") }
            port = value
        } else {
            port = scheme == "https" ? 443 : 80
        }

        if literal == nil {
            if let address = IPAddress(lower), address.isIPv4 {
                literal = address
            } else {
                try checkName(lower)
            }
        }
        let shownHost = literal.map { $0.isIPv4 ? lower : "[\(lower)]" } ?? lower
        let requestURL = scheme + "://" + shownHost + (portText.map { ":" + $0 } ?? "") + rest
        return WebhookURL(scheme: scheme, host: lower, port: port, requestURL: requestURL, literal: literal)
    }

    /// A DNS name: dot-separated labels of letters, digits, `-` and `_` (1 to 63 each, 253 in all; one trailing
    /// dot allowed), whose last label is not a number (WHATWG URL's "ends in a number": an IPv4 address to most
    /// resolvers).
    private static func checkName(_ name: String) throws(WebhookRefusal) {
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        guard !trimmed.isEmpty, trimmed.utf8.count <= 253 else { throw .invalidURL("host name \(name) is too long") }
        let labels = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.utf8.allSatisfy({
                ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F
            }) else { throw .invalidURL("host \(name) is not a DNS name (IDNs must be written in punycode)") }
        }
        let last = labels.last!
        let isDecimal = last.allSatisfy { $0 >= "0" && $0 <= "9" }
        let isHex = last.hasPrefix("0x") && last.dropFirst(2).allSatisfy(\.isHexDigit)
        if isDecimal || isHex {
            throw .invalidURL("host \(name) ends in a number: write an IPv4 address as four decimal parts")
        }
    }
}
