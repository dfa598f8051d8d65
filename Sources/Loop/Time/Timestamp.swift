#if canImport(Glibc)
import Glibc
#endif

/// RFC 3339 timestamps (what the spool's metadata and the database exchange), without Foundation. The time
/// itself comes from an ``EngineClock``.
package enum Timestamp {
    /// RFC 3339 UTC timestamp with milliseconds, e.g. `2026-11-22T19:18:13.123Z`.
    package static func rfc3339(unixMilliseconds ms: Int64) -> String {
        var t = time_t(ms / 1000)
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(Int(tm.tm_year) + 1900, 4))-\(pad(Int(tm.tm_mon) + 1, 2))-\(pad(Int(tm.tm_mday), 2))T"
            + "\(pad(Int(tm.tm_hour), 2)):\(pad(Int(tm.tm_min), 2)):\(pad(Int(tm.tm_sec), 2))."
            + "\(pad(Int(ms % 1000), 3))Z"
    }

    /// The inverse of ``rfc3339(unixMilliseconds:)``: `YYYY-MM-DDTHH:MM:SS[.fff]Z` to milliseconds since the
    /// epoch; nil for any other shape.
    package static func unixMilliseconds(rfc3339 text: String) -> Int64? {
        let c = Array(text.utf8)
        guard c.count >= 20, c.last == UInt8(ascii: "Z"), c[4] == 0x2D, c[7] == 0x2D, c[10] == UInt8(ascii: "T"),
              c[13] == 0x3A, c[16] == 0x3A else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var v: Int32 = 0
            for i in range {
                guard c[i] >= 0x30 && c[i] <= 0x39 else { return nil }
                v = v * 10 + Int32(c[i] - 0x30)
            }
            return v
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var milliseconds: Int64 = 0
        if c.count > 20 {
            // A fraction: `.` then digits; the first three are milliseconds.
            let digits = c[20..<(c.count - 1)]
            guard c[19] == 0x2E, !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            for (k, d) in digits.prefix(3).enumerated() { milliseconds += Int64(d - 0x30) * [100, 10, 1][k] }
        }
        var tm = tm()
        tm.tm_year = year - 1900
        tm.tm_mon = month - 1
        tm.tm_mday = day
        tm.tm_hour = hour
        tm.tm_min = minute
        tm.tm_sec = second
        return Int64(timegm(&tm)) * 1000 + milliseconds
    }
}
