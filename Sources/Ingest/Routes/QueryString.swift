import Loop

/// A request target's query parameters, for the routes of every module.
public enum QueryString {
    /// The first value of parameter `name` in `target`, percent-decoded (`+` as a space); `""` for a bare name,
    /// nil when absent or malformed.
    public static func value(_ name: String, in target: String) -> String? {
        guard let q = target.firstIndex(of: "?") else { return nil }
        for pair in target[target.index(after: q)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if kv.first == Substring(name) { return kv.count > 1 ? kv[1].removingPercentEncoding() : "" }
        }
        return nil
    }

    /// The names of the parameters in `target`, in order (repeats included).
    public static func names(in target: String) -> [String] {
        guard let q = target.firstIndex(of: "?") else { return [] }
        return target[target.index(after: q)...].split(separator: "&").map {
            String($0.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        }
    }
}

extension Substring {
    /// `%XX` decoded, `+` as a space (form encoding); nil when an escape is malformed or not UTF-8.
    func removingPercentEncoding() -> String? {
        var bytes: [UInt8] = []
        var i = utf8.startIndex
        while i < utf8.endIndex {
            let c = utf8[i]
            if c == UInt8(ascii: "%") {
                let h = utf8.index(after: i)
                guard h < utf8.endIndex, utf8.index(after: h) < utf8.endIndex,
                      let hi = Hex.digit(utf8[h]), let lo = Hex.digit(utf8[utf8.index(after: h)]) else { return nil }
                bytes.append(hi << 4 | lo)
                i = utf8.index(h, offsetBy: 2)
                continue
            }
            bytes.append(c == UInt8(ascii: "+") ? 0x20 : c)
            i = utf8.index(after: i)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
