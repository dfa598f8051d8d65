import Foundation

/// An environment variable whose value the engine cannot use: its name, the value, and what was expected.
public struct InvalidSetting: Error, Sendable, Equatable, CustomStringConvertible {
    /// The variable's name.
    public var name: String
    /// Its value as given.
    public var value: String
    /// What was expected.
    public var expected: String
    public var description: String { "\(name)=\(value): expected \(expected)" }

    package init(name: String, value: String, expected: String) {
        self.name = name
        self.value = value
        self.expected = expected
    }
}

/// Reads typed values out of an environment dictionary, naming the variable in every error.
package struct EnvironmentReader {
    private let environment: [String: String]

    package init(_ environment: [String: String]) { self.environment = environment }

    private func value(_ name: String) -> String? {
        guard let v = environment[name]?.trimmingWhitespace(), !v.isEmpty else { return nil }
        return v
    }

    package func string(_ name: String, default fallback: String) -> String { value(name) ?? fallback }

    /// A switch: `1/true/yes/on` or `0/false/no/off`, any case.
    package func bool(_ name: String, default fallback: Bool) throws(InvalidSetting) -> Bool {
        guard let raw = value(name) else { return fallback }
        switch raw.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw .init(name: name, value: raw, expected: "true or false")
        }
    }

    package func int(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws(InvalidSetting)
        -> Int
    {
        guard let raw = value(name) else { return fallback }
        guard let v = Int(raw), range.contains(v) else {
            throw .init(name: name, value: raw, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    /// A decimal number within `range`.
    package func double(_ name: String, default fallback: Double, range: ClosedRange<Double>)
        throws(InvalidSetting) -> Double
    {
        guard let raw = value(name) else { return fallback }
        guard let v = Double(raw), range.contains(v) else {
            throw .init(name: name, value: raw, expected: "a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    /// A size in bytes: a plain integer, or one with a binary suffix (`K`, `M`, `G`, `KiB`, `MiB`, `GiB`).
    package func bytes(_ name: String, default fallback: Int) throws(InvalidSetting) -> Int {
        guard let raw = value(name) else { return fallback }
        guard let v = EnvironmentReader.parseBytes(raw), v > 0 else {
            throw .init(name: name, value: raw, expected: "a positive size in bytes, e.g. 10485760 or 10MiB")
        }
        return v
    }

    package static func parseBytes(_ text: String) -> Int? {
        let lower = text.lowercased()
        let units: [(String, Int)] = [("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30),
                                      ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
        for (suffix, factor) in units where lower.hasSuffix(suffix) {
            guard let n = Int(lower.dropLast(suffix.count)) else { return nil }
            let (r, overflow) = n.multipliedReportingOverflow(by: factor)
            return overflow ? nil : r
        }
        return Int(lower)
    }
}

extension String {
    package func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
