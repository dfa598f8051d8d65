/// The tar format as a state machine: fed header blocks and extended-header data, it says what to read next and
/// which members there are. Pure: no I/O; ``TarEntrySource`` runs its actions on a ``TarStream``.
///
/// Metadata headers are folded into the member they describe: pax extended headers (`x`, for the next member;
/// `g`, for all the following ones) with their `path`, `linkpath` and `size` records, and GNU long names (`L`)
/// and long link names (`K`). The archive ends at the first all-zero block, as Python's tarfile reads it.
struct TarParser {
    /// The largest pax or GNU long-name header read into memory; more is refused as corrupt.
    static let maxExtensionBytes = 1 << 20

    /// What the adapter does next.
    enum Action: Equatable {
        /// Read the next 512-byte block and pass it to ``TarParser/header(_:at:)``.
        case readHeader
        /// Read `count` bytes of extended-header data and pass them to ``TarParser/extensionData(_:)``; then skip
        /// `padding` bytes to the next block.
        case readExtension(count: Int, padding: Int)
        /// A member: its data (``Member/dataSize`` bytes, then ``Member/padding``) follows. Afterwards: `readHeader`.
        case member(Member)
        /// The end-of-archive marker: stop.
        case end
    }

    /// One member of the archive, metadata headers applied.
    struct Member: Equatable {
        var name: [UInt8]
        var linkName: [UInt8]
        var kind: ArchiveEntry.Kind
        /// The type flag, for messages about kinds not read.
        var typeflag: UInt8
        /// The size the headers give.
        var size: UInt64
        /// The bytes of data following the header: `size` for the types that have data, 0 for the others (links,
        /// devices, FIFOs and directories, whose size field is ignored as Python's tarfile does).
        var dataSize: UInt64
        /// Where the header was, in the tar stream.
        var headerOffset: UInt64

        /// The zero bytes after the data, up to the next 512-byte block.
        var padding: UInt64 {
            (UInt64(TarHeader.blockSize) - dataSize % UInt64(TarHeader.blockSize)) % UInt64(TarHeader.blockSize)
        }
    }

    /// The metadata a pax or GNU header sets for the next member (or, `g`, for all of them).
    private struct Overrides: Equatable {
        var path: [UInt8]?
        var linkPath: [UInt8]?
        var size: UInt64?
        /// GNU sparse files (pax `GNU.sparse.*`): their data is a map and fragments, not the file.
        var sparse = false
    }

    /// The metadata header whose data is being read.
    private enum Extension: Equatable {
        case pax
        case globalPax
        case longName
        case longLink
    }

    private enum State: Equatable {
        /// Waiting for a header block. Next: `expectingHeader` (a member), `readingExtension`, or `ended`.
        case expectingHeader
        /// Waiting for the data of a metadata header that started at `offset`. Next: `expectingHeader`.
        case readingExtension(Extension, offset: UInt64)
        /// The end marker was seen; nothing more is read.
        case ended
    }

    private var state = State.expectingHeader
    private var next = Overrides()
    private var global = Overrides()

    /// A header block read at `offset` of the tar stream.
    ///
    /// - Throws: ``ArchiveError/corrupt``: a bad checksum or size field, a metadata header over
    ///   ``maxExtensionBytes``.
    mutating func header(_ block: [UInt8], at offset: UInt64) throws(ArchiveError) -> Action {
        precondition(state == .expectingHeader, "header(_:at:) while \(state)")
        if TarHeader.isZeroBlock(block) {
            state = .ended
            return .end
        }
        let header: TarHeader
        do {
            header = try TarHeader(block: block)
        } catch .checksum {
            throw .corrupt("damaged tar: the header at byte \(offset) has a wrong checksum")
        } catch {
            throw .corrupt("damaged tar: the header at byte \(offset) has an invalid size field")
        }
        let extensions: [UInt8: Extension] = [
            UInt8(ascii: "x"): .pax, UInt8(ascii: "g"): .globalPax, UInt8(ascii: "L"): .longName,
            UInt8(ascii: "K"): .longLink,
        ]
        if let kind = extensions[header.typeflag] {
            guard header.size <= UInt64(Self.maxExtensionBytes) else {
                throw .corrupt(
                    "damaged tar: the '\(Character(Unicode.Scalar(header.typeflag)))' header at byte \(offset) "
                        + "declares \(header.size) bytes (the limit is \(Self.maxExtensionBytes))")
            }
            state = .readingExtension(kind, offset: offset)
            let count = Int(header.size)
            return .readExtension(
                count: count, padding: (TarHeader.blockSize - count % TarHeader.blockSize) % TarHeader.blockSize)
        }
        let kind = next.sparse || global.sparse ? .other : Self.kind(of: header.typeflag)
        let size = next.size ?? global.size ?? header.size
        let member = Member(
            name: next.path ?? global.path ?? header.name,
            linkName: next.linkPath ?? global.linkPath ?? header.linkName,
            kind: kind, typeflag: header.typeflag, size: size,
            dataSize: Self.hasData(header.typeflag) ? size : 0, headerOffset: offset)
        next = Overrides()
        return .member(member)
    }

    /// The data of the metadata header announced by the last ``Action/readExtension(count:padding:)``.
    ///
    /// - Throws: ``ArchiveError/corrupt``: a malformed pax record.
    mutating func extensionData(_ data: [UInt8]) throws(ArchiveError) -> Action {
        guard case .readingExtension(let kind, let offset) = state else {
            preconditionFailure("extensionData(_:) while \(state)")
        }
        state = .expectingHeader
        switch kind {
        case .longName:
            next.path = TarHeader.string(data[...])
        case .longLink:
            next.linkPath = TarHeader.string(data[...])
        case .pax:
            try Self.apply(pax: data, at: offset, to: &next)
        case .globalPax:
            try Self.apply(pax: data, at: offset, to: &global)
        }
        return .readHeader
    }

    /// Reads pax records (`"<length> <key>=<value>\n"`, the length counting the whole record) into `overrides`.
    private static func apply(pax data: [UInt8], at offset: UInt64, to overrides: inout Overrides) throws(ArchiveError)
    {
        for (key, value) in try records(pax: data, at: offset) {
            switch key {
            case "path":
                overrides.path = value
            case "linkpath":
                overrides.linkPath = value
            case "size":
                guard !value.isEmpty, value.count <= 19,
                    value.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
                else {
                    throw .corrupt("damaged tar: the pax header at byte \(offset) has an invalid size")
                }
                overrides.size = value.reduce(0) { $0 * 10 + UInt64($1 - UInt8(ascii: "0")) }
            case "GNU.sparse.name":
                overrides.path = value
                overrides.sparse = true
            default:
                if key.hasPrefix("GNU.sparse.") { overrides.sparse = true }
            }
        }
    }

    /// The records of a pax header, in order.
    static func records(pax data: [UInt8], at offset: UInt64) throws(ArchiveError) -> [(String, [UInt8])] {
        let malformed = ArchiveError.corrupt("damaged tar: malformed pax record in the header at byte \(offset)")
        var result: [(String, [UInt8])] = []
        var position = 0
        while position < data.count {
            // Some writers pad the data with NULs.
            if data[position] == 0 { break }
            var length = 0
            var cursor = position
            while cursor < data.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(data[cursor]) {
                guard length < 1 << 40 else { throw malformed }
                length = length * 10 + Int(data[cursor] - UInt8(ascii: "0"))
                cursor += 1
            }
            guard cursor > position, cursor < data.count, data[cursor] == UInt8(ascii: " "),
                length > cursor - position + 1, position + length <= data.count,
                data[position + length - 1] == UInt8(ascii: "\n")
            else { throw malformed }
            let record = data[(cursor + 1)..<(position + length - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else { throw malformed }
            result.append((String(decoding: record[..<equals], as: UTF8.self), Array(record[(equals + 1)...])))
            position += length
        }
        return result
    }

    /// The kind of a member from its type flag.
    static func kind(of typeflag: UInt8) -> ArchiveEntry.Kind {
        switch typeflag {
        case UInt8(ascii: "0"), 0, UInt8(ascii: "7"): .file
        case UInt8(ascii: "1"): .hardLink
        case UInt8(ascii: "2"): .symlink
        case UInt8(ascii: "3"), UInt8(ascii: "4"): .device
        case UInt8(ascii: "5"), UInt8(ascii: "D"): .directory
        case UInt8(ascii: "6"): .fifo
        default: .other
        }
    }

    /// Whether data follows a header of this type: files, GNU dump directories, and any type not known (as
    /// Python's tarfile and GNU tar skip them).
    static func hasData(_ typeflag: UInt8) -> Bool {
        switch typeflag {
        case UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "5"),
            UInt8(ascii: "6"):
            false
        default:
            true
        }
    }
}
