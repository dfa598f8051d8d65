import Foundation

/// Compresses with the `zstd` command-line tool (Debian's `zstd`), so tests use a reference encoder.
public enum Zstd {
    public static func compress(_ bytes: [UInt8], arguments: [String] = ["-19"]) throws -> [UInt8] {
        let dir = try TemporaryDirectory.make(prefix: "zstd")
        let input = dir + "/in"
        try TemporaryDirectory.write(input, bytes)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["zstd", "-q", "-f"] + arguments + [input, "-o", input + ".zst"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let out = TemporaryDirectory.read(input + ".zst") else {
            throw TestFailure("zstd failed (is the zstd package installed? make test installs it)")
        }
        return out
    }
}
