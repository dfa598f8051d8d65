/// Minimal JSON text writing for the engine's small, fixed-shape responses.
///
/// Responses are built by hand rather than through `JSONEncoder` because their shapes are fixed, key order
/// is part of what clients see in logs, and the hot path (one response per upload) should not pay for
/// reflection. Parsing JSON is never done here.
public enum JSONText {
    /// Appends `value` as a JSON string literal (quotes, escapes, control characters as `\u00XX`).
    public static func appendString(_ value: String, to out: inout [UInt8]) {
        out.append(0x22)
        for byte in value.utf8 {
            switch byte {
            case 0x22, 0x5C:
                out.append(0x5C)
                out.append(byte)
            case 0x0A:
                out.append(0x5C)
                out.append(0x6E)
            case 0x0D:
                out.append(0x5C)
                out.append(0x72)
            case 0x09:
                out.append(0x5C)
                out.append(0x74)
            case 0x00..<0x20, 0x7F:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            default:
                out.append(byte)
            }
        }
        out.append(0x22)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A JSON object writer: `{"a":1,"b":"x"}` with keys in the order written.
    public struct Object {
        private(set) var bytes: [UInt8] = [0x7B]
        private var first = true

        public init() {}

        private mutating func key(_ key: String) {
            if !first { bytes.append(0x2C) }
            first = false
            JSONText.appendString(key, to: &bytes)
            bytes.append(0x3A)
        }

        public mutating func string(_ key: String, _ value: String?) {
            self.key(key)
            if let value { JSONText.appendString(value, to: &bytes) } else { bytes += Array("null".utf8) }
        }

        public mutating func int(_ key: String, _ value: Int) {
            self.key(key)
            bytes += Array(String(value).utf8)
        }

        /// A number with its fraction (non-finite values are written as 0).
        public mutating func double(_ key: String, _ value: Double) {
            self.key(key)
            bytes += Array((value.isFinite ? String(value) : "0").utf8)
        }

        public mutating func bool(_ key: String, _ value: Bool) {
            self.key(key)
            bytes += Array((value ? "true" : "false").utf8)
        }

        /// Writes already encoded JSON (an object or array) under `key`.
        public mutating func raw(_ key: String, _ json: [UInt8]) {
            self.key(key)
            bytes += json
        }

        public mutating func object(_ key: String, _ object: Object) { raw(key, object.finished()) }

        public mutating func array(_ key: String, _ objects: [Object]) {
            self.key(key)
            bytes.append(0x5B)
            for (i, o) in objects.enumerated() {
                if i > 0 { bytes.append(0x2C) }
                bytes += o.finished()
            }
            bytes.append(0x5D)
        }

        /// The closed object's bytes.
        public func finished() -> [UInt8] { bytes + [0x7D] }
    }

    /// `{"key": count, …}` in key order.
    public static func counts(_ counts: [String: Int]) -> [UInt8] {
        var o = Object()
        for (k, v) in counts.sorted(by: { $0.key < $1.key }) { o.int(k, v) }
        return o.finished()
    }

    /// `["…", …]`.
    public static func strings(_ values: [String]) -> [UInt8] {
        var out: [UInt8] = [0x5B]
        for (i, v) in values.enumerated() {
            if i > 0 { out.append(0x2C) }
            appendString(v, to: &out)
        }
        return out + [0x5D]
    }
}
