import Archive
import Crypto
import Foundation
import TestSupport

/// Archives built at test time with real tools (python3's zipfile and tarfile, the `zstd` and `gzip` commands),
/// hostile ones by patching what they write; and a way to read a whole archive into outcomes to assert on.
enum Fixtures {
    /// A fresh temporary directory.
    static func directory() throws -> String {
        try TemporaryDirectory.make(prefix: "archive")
    }

    /// Runs `script` with python3 (after ``pythonHelpers``), `arguments` as `sys.argv[1...]`; throws with its
    /// stderr when it fails.
    static func python(_ script: String, _ arguments: String...) throws {
        try run(["python3", "-c", pythonHelpers + script] + arguments)
    }

    /// Runs a command found on `PATH`; throws with its stderr when it fails.
    static func run(_ command: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("\(command[0]) failed: \(String(decoding: stderr, as: UTF8.self))")
        }
    }

    /// Functions the fixture scripts share: files of known content, and zip header patching.
    static let pythonHelpers = #"""
        import sys, os, io, struct, zipfile, tarfile, random

        def content(name, size=None):
            # Deterministic bytes per name: text-like, so that it compresses a little, as documents do.
            rng = random.Random(name)
            size = size if size is not None else 2000 + rng.randrange(60000)
            words = [b'resume', b'Swift', b'engineer', b'Paris', b'2019', b'PostgreSQL', b'\n', b'experience']
            out = bytearray()
            while len(out) < size:
                out += rng.choice(words) + b' '
            return bytes(out[:size])

        def random_bytes(name, size):
            return random.Random(name).randbytes(size)

        def central_headers(data):
            end = data.rfind(b'PK\x05\x06')
            offset = struct.unpack('<I', data[end + 16:end + 20])[0]
            while data[offset:offset + 4] == b'PK\x01\x02':
                n, e, c = struct.unpack('<HHH', data[offset + 28:offset + 34])
                yield offset, bytes(data[offset + 46:offset + 46 + n])
                offset += 46 + n + e + c

        def patch_zip(path, name, local, central):
            # local(data, offset of the local header), central(data, offset of the central header), for `name`.
            data = bytearray(open(path, 'rb').read())
            offset = 0
            while data[offset:offset + 4] == b'PK\x03\x04':
                n, e = struct.unpack('<HH', data[offset + 26:offset + 30])
                csize = struct.unpack('<I', data[offset + 18:offset + 22])[0]
                if bytes(data[offset + 30:offset + 30 + n]) == name:
                    local(data, offset)
                offset += 30 + n + e + csize
            for offset, found in central_headers(data):
                if found == name:
                    central(data, offset)
            open(path, 'wb').write(data)

        def replace_in_name(path, name, new):
            # Same length: bytes the writers would not write (NUL, Latin-1).
            def local(data, offset):
                data[offset + 30:offset + 30 + len(name)] = new
            def central(data, offset):
                data[offset + 46:offset + 46 + len(name)] = new
            patch_zip(path, name, local, central)

        """#

    // MARK: Reading

    /// What became of one entry.
    struct Outcome {
        var entry: ArchiveEntry
        /// The bytes, when kept and the entry was read whole.
        var bytes: [UInt8]?
        /// How many bytes were delivered.
        var delivered: UInt64 = 0
        /// Why it was not read whole: its refusal, or the failure while reading.
        var failure: ArchiveEntryFailure?
    }

    /// Every entry of the archive at `path`, read whole (refused ones recorded), and the error that ended the
    /// archive early, if any.
    static func readAll(
        _ path: String, limits: ArchiveLimits = ArchiveLimits(), keepBytes: Bool = true
    ) throws -> (outcomes: [Outcome], error: ArchiveError?) {
        let reader = try ArchiveReader(path: path, limits: limits)
        var outcomes: [Outcome] = []
        do {
            while let entry = try reader.next() {
                var outcome = Outcome(entry: entry)
                if let refusal = entry.refusal {
                    outcome.failure = refusal
                } else {
                    var bytes: [UInt8] = []
                    var delivered: UInt64 = 0
                    do throws(ArchiveReadError<Never>) {
                        try reader.readEntry { chunk in
                            delivered += UInt64(chunk.count)
                            if keepBytes { bytes += chunk }
                        }
                        outcome.bytes = keepBytes ? bytes : nil
                    } catch {
                        if case .entry(let failure) = error { outcome.failure = failure }
                    }
                    outcome.delivered = delivered
                }
                outcomes.append(outcome)
            }
        } catch {
            return (outcomes, error)
        }
        return (outcomes, nil)
    }

    /// The hex SHA-256 of `bytes`.
    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The bytes of the file at `path`.
    static func bytes(_ path: String) throws -> [UInt8] {
        guard let bytes = TemporaryDirectory.read(path) else { throw TestFailure("cannot read \(path)") }
        return bytes
    }

    /// Cuts the file at `path` to `fraction` of its size.
    static func truncate(_ path: String, to fraction: Double) throws {
        let bytes = try bytes(path)
        try TemporaryDirectory.write(path, Array(bytes.prefix(Int(Double(bytes.count) * fraction))))
    }
}
