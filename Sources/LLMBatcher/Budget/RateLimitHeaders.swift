/// What an OpenAI-compatible answer says about the key's rate limits, from its headers:
/// `x-ratelimit-limit-{requests,tokens}`, `x-ratelimit-remaining-{requests,tokens}`,
/// `x-ratelimit-reset-{requests,tokens}`, `retry-after` and `retry-after-ms`.
///
/// Every field is optional: a header that is missing or that does not parse is `nil`, never an error (servers
/// that merely claim OpenAI compatibility send some, none, or odd values). Durations are nanoseconds.
public struct RateLimitHeaders: Sendable, Hashable {
    /// `x-ratelimit-limit-requests`: requests allowed per minute (positive).
    public var limitRequests: Int?
    /// `x-ratelimit-limit-tokens`: tokens allowed per minute (positive).
    public var limitTokens: Int?
    /// `x-ratelimit-remaining-requests`: requests left at the server's snapshot.
    public var remainingRequests: Int?
    /// `x-ratelimit-remaining-tokens`: tokens left at the server's snapshot.
    public var remainingTokens: Int?
    /// `x-ratelimit-reset-requests`: time until the request bucket is full again.
    public var resetRequests: UInt64?
    /// `x-ratelimit-reset-tokens`: time until the token bucket is full again.
    public var resetTokens: UInt64?
    /// How long to wait before retrying: `retry-after-ms` when it parses (it is the more precise), else
    /// `retry-after` in seconds (integer or decimal; the HTTP-date form is not read and gives `nil`).
    public var retryAfter: UInt64?

    public init(limitRequests: Int? = nil, limitTokens: Int? = nil, remainingRequests: Int? = nil,
                remainingTokens: Int? = nil, resetRequests: UInt64? = nil, resetTokens: UInt64? = nil,
                retryAfter: UInt64? = nil) {
        self.limitRequests = limitRequests
        self.limitTokens = limitTokens
        self.remainingRequests = remainingRequests
        self.remainingTokens = remainingTokens
        self.resetRequests = resetRequests
        self.resetTokens = resetTokens
        self.retryAfter = retryAfter
    }

    /// Reads the headers through `header`, which is given lower-case names and answers the value (matching names
    /// case-insensitively is its business) or `nil`.
    public static func parse(_ header: (String) -> String?) -> RateLimitHeaders {
        var result = RateLimitHeaders()
        result.limitRequests = header("x-ratelimit-limit-requests").flatMap(count).flatMap { $0 > 0 ? $0 : nil }
        result.limitTokens = header("x-ratelimit-limit-tokens").flatMap(count).flatMap { $0 > 0 ? $0 : nil }
        result.remainingRequests = header("x-ratelimit-remaining-requests").flatMap(count)
        result.remainingTokens = header("x-ratelimit-remaining-tokens").flatMap(count)
        result.resetRequests = header("x-ratelimit-reset-requests").flatMap(parseDuration)
        result.resetTokens = header("x-ratelimit-reset-tokens").flatMap(parseDuration)
        result.retryAfter = header("retry-after-ms").flatMap { decimal($0, unit: 1_000_000) }
            ?? header("retry-after").flatMap { decimal($0, unit: 1_000_000_000) }
        return result
    }

    /// Nanoseconds in a Go-style duration as OpenAI writes them ("17ms", "1s", "1.5s", "6m0s", "2h3m4.5s", "0s"):
    /// one or more decimal numbers each followed by a unit (`h`, `m`, `s`, `ms`, `us`/`µs`, `ns`); a bare number
    /// is seconds. Fractions are exact to the nanosecond (truncated below it). `nil` for anything else: empty,
    /// negative, an unknown unit, or more than `UInt64.max` nanoseconds.
    public static func parseDuration(_ text: String) -> UInt64? {
        let scalars = trimmedScalars(text)
        guard !scalars.isEmpty else { return nil }
        if let seconds = decimal(scalars, unit: 1_000_000_000) { return seconds }
        var total: UInt64 = 0
        var index = 0
        while index < scalars.count {
            guard let number = Number.scan(scalars, from: &index) else { return nil }
            var unitEnd = index
            while unitEnd < scalars.count, !Number.startsNumber(scalars[unitEnd]) { unitEnd += 1 }
            let unitText = String(String.UnicodeScalarView(scalars[index..<unitEnd]))
            guard let unit = durationUnits[unitText], let part = number.nanoseconds(unit: unit) else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(part)
            guard !overflow else { return nil }
            total = sum
            index = unitEnd
        }
        return total
    }

    private static let durationUnits: [String: UInt64] = [
        "h": 3_600_000_000_000, "m": 60_000_000_000, "s": 1_000_000_000, "ms": 1_000_000,
        "us": 1_000, "\u{B5}s": 1_000, "\u{3BC}s": 1_000, "ns": 1,
    ]

    /// A whole, non-negative count ("29892"; a decimal such as "29892.0" is rounded down).
    static func count(_ text: String) -> Int? {
        guard let nanos = decimal(text, unit: 1) else { return nil }
        return nanos > UInt64(Int.max) ? nil : Int(nanos)
    }

    /// A plain non-negative decimal number times `unit`, or `nil`.
    static func decimal(_ text: String, unit: UInt64) -> UInt64? { decimal(trimmedScalars(text), unit: unit) }

    private static func decimal(_ scalars: [Unicode.Scalar], unit: UInt64) -> UInt64? {
        var index = 0
        guard let number = Number.scan(scalars, from: &index), index == scalars.count else { return nil }
        return number.nanoseconds(unit: unit)
    }

    /// A decimal number as its integer digits and its first nine fraction digits.
    struct Number {
        var whole: UInt64
        var fraction: UInt64
        var fractionDigits: Int

        static func startsNumber(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) || scalar == "." }

        /// Reads `digits[.digits]` (at least one digit in all) at `index` and moves past it.
        static func scan(_ scalars: [Unicode.Scalar], from index: inout Int) -> Number? {
            var number = Number(whole: 0, fraction: 0, fractionDigits: 0)
            var digits = 0
            while index < scalars.count, let digit = scalars[index].digitValue {
                let (times, overflowA) = number.whole.multipliedReportingOverflow(by: 10)
                let (plus, overflowB) = times.addingReportingOverflow(UInt64(digit))
                guard !overflowA, !overflowB else { return nil }
                number.whole = plus
                digits += 1
                index += 1
            }
            if index < scalars.count, scalars[index] == "." {
                index += 1
                while index < scalars.count, let digit = scalars[index].digitValue {
                    if number.fractionDigits < 9 {
                        number.fraction = number.fraction * 10 + UInt64(digit)
                        number.fractionDigits += 1
                    }
                    digits += 1
                    index += 1
                }
            }
            return digits > 0 ? number : nil
        }

        /// The number times `unit`, truncated to an integer; `nil` on overflow.
        func nanoseconds(unit: UInt64) -> UInt64? {
            var scale: UInt64 = 1
            for _ in 0..<fractionDigits { scale *= 10 }
            let value = UInt128(whole) * UInt128(unit) + UInt128(fraction) * UInt128(unit) / UInt128(scale)
            return value > UInt128(UInt64.max) ? nil : UInt64(value)
        }
    }
}

extension Unicode.Scalar {
    /// The value of an ASCII digit, or `nil`.
    fileprivate var digitValue: Int? { ("0"..."9").contains(self) ? Int(value - 48) : nil }
}

/// The text's scalars without leading and trailing ASCII whitespace.
private func trimmedScalars(_ text: String) -> [Unicode.Scalar] {
    let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
    var scalars = Array(text.unicodeScalars)
    while let last = scalars.last, isSpace(last) { scalars.removeLast() }
    guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return [] }
    return Array(scalars[first...])
}
