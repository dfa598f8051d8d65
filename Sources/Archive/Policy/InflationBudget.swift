/// Counts the bytes one decompression produces (a zip entry, or the whole stream of a compressed tar) against
/// an absolute cap, a ratio to the compressed bytes, and what is left of the archive's total. Pure: the
/// reader asks ``remaining(compressed:)`` before each read, requests one byte more than that, and calls
/// ``add(_:compressed:)`` with what came out; so inflation never goes more than one byte past a limit.
struct InflationBudget: Equatable {
    /// The limit a decompression went past.
    enum Limit: Equatable {
        /// ``maxBytes``.
        case bytes
        /// ``maxRatio`` to the compressed bytes, past ``ratioThreshold``.
        case ratio
        /// ``totalAllowance``: the archive's total.
        case total
    }

    /// The most bytes this decompression may produce.
    var maxBytes: UInt64
    /// The highest produced:compressed ratio once past ``ratioThreshold``; nil when not checked (stored data).
    var maxRatio: UInt64?
    /// Produced bytes below which the ratio is not checked.
    var ratioThreshold: UInt64
    /// What is left of the archive's total for this decompression.
    var totalAllowance: UInt64
    /// Bytes produced so far.
    private(set) var produced: UInt64 = 0

    init(maxBytes: UInt64, maxRatio: UInt64?, ratioThreshold: UInt64, totalAllowance: UInt64 = .max) {
        self.maxBytes = maxBytes
        self.maxRatio = maxRatio
        self.ratioThreshold = ratioThreshold
        self.totalAllowance = totalAllowance
    }

    /// The most bytes produced by `compressed` compressed bytes before the ratio is broken.
    func ratioCeiling(compressed: UInt64) -> UInt64 {
        guard let maxRatio else { return .max }
        let (ceiling, overflow) = maxRatio.multipliedReportingOverflow(by: max(compressed, 1))
        return overflow ? .max : max(ratioThreshold, ceiling)
    }

    /// How many more bytes may come out, with `compressed` compressed bytes consumed so far.
    func remaining(compressed: UInt64) -> UInt64 {
        let ceiling = min(maxBytes, totalAllowance, ratioCeiling(compressed: compressed))
        return ceiling - min(ceiling, produced)
    }

    /// Counts `count` more bytes produced from `compressed` compressed bytes in all; the limit they break, if any
    /// (the absolute cap before the total before the ratio, when several are).
    mutating func add(_ count: UInt64, compressed: UInt64) -> Limit? {
        produced += count
        if produced > maxBytes { return .bytes }
        if produced > totalAllowance { return .total }
        if produced > ratioCeiling(compressed: compressed) { return .ratio }
        return nil
    }

    /// `512 bytes`, `12 KiB`, `8.1 MiB`, `4 GiB`.
    static func describe(_ bytes: UInt64) -> String {
        if bytes < 1 << 10 { return "\(bytes) bytes" }
        if bytes < 1 << 20 { return "\(bytes >> 10) KiB" }
        let (unit, shift): (String, UInt64) = bytes < 1 << 30 ? ("MiB", 20) : ("GiB", 30)
        let tenths = ((bytes >> (shift - 10)) * 10) >> 10
        return tenths % 10 == 0 ? "\(tenths / 10) \(unit)" : "\(tenths / 10).\(tenths % 10) \(unit)"
    }
}
