/// Entry names as data: the check that refuses names which would escape a directory if anyone ever used them
/// as paths, and the form shown in logs. Pure.
enum EntryName {
    /// Why `name` is unsafe, or nil when it is a plain relative name.
    ///
    /// Refused: an empty name; more than `maxBytes` bytes; a NUL byte; an absolute path (`/x`, `\x`, `\\server`);
    /// a drive letter (`C:\x`, `C:/x`, `C:x`); a `..` component, with `/` or `\` as separator (so `a\..\..\x`
    /// is caught on every platform). `./a.pdf`, `a//b` and backslashes elsewhere are fine.
    static func problem(_ name: [UInt8], maxBytes: Int) -> String? {
        if name.isEmpty { return "an empty name" }
        if name.count > maxBytes { return "a name of \(name.count) bytes (the limit is \(maxBytes))" }
        if name.contains(0) { return "a NUL byte in the name" }
        if name[0] == slash || name[0] == backslash { return "an absolute path" }
        if name.count >= 2 && isASCIILetter(name[0]) && name[1] == colon { return "a drive letter" }
        let components = name.split(omittingEmptySubsequences: false) { $0 == slash || $0 == backslash }
        if components.contains(where: { $0.elementsEqual([dot, dot]) }) { return "a '..' component" }
        return nil
    }

    /// `name` decoded as UTF-8 for display: invalid bytes become U+FFFD, and so do control characters (C0, DEL,
    /// C1) and the bidirectional overrides that could make a name read as another.
    static func display(_ name: [UInt8]) -> String {
        let decoded = String(decoding: name, as: UTF8.self)
        guard decoded.unicodeScalars.contains(where: isHidden) else { return decoded }
        var scalars = String.UnicodeScalarView()
        for scalar in decoded.unicodeScalars {
            scalars.append(isHidden(scalar) ? "\u{FFFD}" : scalar)
        }
        return String(scalars)
    }

    /// Whether the lower-cased name ends with one of `suffixes` (ASCII, lower case).
    static func hasSuffix(_ name: [UInt8], in suffixes: [[UInt8]]) -> Bool {
        suffixes.contains { suffix in
            name.count >= suffix.count
                && zip(name.suffix(suffix.count), suffix).allSatisfy { asciiLowercased($0) == $1 }
        }
    }

    private static let slash = UInt8(ascii: "/")
    private static let backslash = UInt8(ascii: "\\")
    private static let colon = UInt8(ascii: ":")
    private static let dot = UInt8(ascii: ".")

    private static func isASCIILetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }

    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    private static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F: true
        default: false
        }
    }
}
