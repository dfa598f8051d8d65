/// One zip entry's bytes, read (stored) or inflated (deflate, through zlib) a bounded chunk at a time, the CRC-32
/// computed as they go and checked at the end.
///
/// The compressed bytes are read from the file 64 KiB at a time and never past the entry's end, so a deflate
/// stream that does not end within its entry is reported, not chased (the hang of weichsel/ZIPFoundation#389).
/// Each ``read(into:)`` fills at most the buffer it is given: the caller counts what comes out and stops when it
/// has had enough, so a bomb is never inflated further than the caller allows.
///
/// Not thread-safe; one stream per entry being read.
public final class ZipEntryStream {
    /// Where the entry's compressed bytes end.
    enum Extent: Equatable {
        /// At ``ZipDirectory/Entry/compressedSize``; CRC and sizes are the entry's.
        case known
        /// Where the deflate stream ends (the entry was written to a stream, and the zip's central directory is
        /// not there to say): a data descriptor with the CRC and sizes follows, 64-bit sizes when `zip64`.
        case dataDescriptor(zip64: Bool)
    }

    /// The size of the compressed reads.
    static let inputSize = 64 << 10

    /// The entry, with the CRC and sizes checked at its end.
    public private(set) var entry: ZipDirectory.Entry
    /// Bytes delivered so far.
    public private(set) var produced: UInt64 = 0
    /// Where the entry's data starts in the file.
    let dataOffset: UInt64
    /// Where the next local header may start once the entry (and its data descriptor) has been read; nil before.
    private(set) var endOffset: UInt64?

    private let file: FileInput
    private let extent: Extent
    private let inflater: ZlibInflater?
    private let input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    /// Compressed bytes read from the file so far.
    private var compressedRead: UInt64 = 0
    /// How far the compressed bytes may be read: the entry's size, or the file's end when a descriptor follows
    /// (lowered to what was there if the file turns out shorter).
    private var compressedLimit: UInt64
    private var checksum = CRC32()
    private var state = State.reading

    private enum State: Equatable {
        /// More bytes may come.
        case reading
        /// The deflate stream ended; the checks have not run yet.
        case streamEnded
        /// Checked and done: reads return 0.
        case done
    }

    init(file: FileInput, entry: ZipDirectory.Entry, dataOffset: UInt64, extent: Extent) {
        self.file = file
        self.entry = entry
        self.dataOffset = dataOffset
        self.extent = extent
        switch extent {
        case .known: compressedLimit = entry.compressedSize
        case .dataDescriptor: compressedLimit = file.size - min(file.size, dataOffset)
        }
        if entry.method == ZipDirectory.deflated {
            inflater = ZlibInflater(.raw)
            input = .allocate(byteCount: Self.inputSize, alignment: 16)
        } else {
            inflater = nil
            input = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        }
    }

    deinit { input.deallocate() }

    /// The compressed bytes consumed so far: the ratio's denominator.
    public var compressedConsumed: UInt64 {
        inflater?.totalIn ?? compressedRead
    }

    /// Reads the entry's next bytes into `output`, at most `output.count` of them; 0 once the entry is over and
    /// its CRC-32 and size have been checked.
    ///
    /// - Throws: ``ArchiveEntryFailure/corrupt``: a deflate error, a stream that does not end within the entry,
    ///   the file cut short, a CRC or size mismatch.
    public func read(into output: UnsafeMutableRawBufferPointer) throws(ArchiveEntryFailure) -> Int {
        precondition(output.count > 0, "a read needs room for at least one byte")
        switch state {
        case .done:
            return 0
        case .streamEnded:
            try finish()
            return 0
        case .reading:
            break
        }
        guard let inflater else { return try readStored(into: output) }
        let name = EntryName.display(entry.rawName)
        while true {
            if inputStart == inputEnd && compressedRead < compressedLimit {
                let count = Int(min(UInt64(input.count), compressedLimit - compressedRead))
                let n = try readFile(into: UnsafeMutableRawBufferPointer(rebasing: input[0..<count]))
                inputStart = 0
                inputEnd = n
                compressedRead += UInt64(n)
                if n < count { compressedLimit = compressedRead }
            }
            let step: ZlibInflater.Step
            do {
                step = try inflater.inflate(
                    UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd]), into: output)
            } catch {
                throw .corrupt("truncated or damaged zip: \(name) does not inflate (\(error))")
            }
            inputStart += step.consumed
            if step.ended { state = .streamEnded }
            if step.produced > 0 {
                let bytes = UnsafeRawBufferPointer(rebasing: output[0..<step.produced])
                checksum.update(bytes)
                produced += UInt64(step.produced)
                return step.produced
            }
            if step.ended {
                try finish()
                return 0
            }
            if step.consumed == 0 && inputStart == inputEnd && compressedRead >= compressedLimit {
                let size = extent == .known ? "its \(entry.compressedSize) compressed bytes" : "the file"
                throw .corrupt("truncated or damaged zip: the deflate stream of \(name) does not end within \(size)")
            }
        }
    }

    private func readStored(into output: UnsafeMutableRawBufferPointer) throws(ArchiveEntryFailure) -> Int {
        let size = entry.compressedSize
        guard compressedRead < size else {
            try finish()
            return 0
        }
        let count = Int(min(UInt64(output.count), size - compressedRead))
        let n = try readFile(into: UnsafeMutableRawBufferPointer(rebasing: output[0..<count]))
        guard n == count else {
            throw .corrupt(
                "truncated or damaged zip: \(count) bytes wanted at offset \(dataOffset + compressedRead), \(n) there")
        }
        compressedRead += UInt64(n)
        checksum.update(UnsafeRawBufferPointer(rebasing: output[0..<n]))
        produced += UInt64(n)
        return n
    }

    private func readFile(into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveEntryFailure) -> Int {
        do {
            return try file.read(into: buffer, at: dataOffset + compressedRead)
        } catch {
            throw .corrupt(error.message)
        }
    }

    /// Reads the data descriptor when there is one, then checks the CRC-32 and the size.
    private func finish() throws(ArchiveEntryFailure) {
        let name = EntryName.display(entry.rawName)
        let compressed = inflater?.totalIn ?? compressedRead
        switch extent {
        case .known:
            let (end, overflow) = dataOffset.addingReportingOverflow(entry.compressedSize)
            endOffset = overflow ? .max : end
        case .dataDescriptor(let zip64):
            let at = dataOffset + compressed
            let descriptor: [UInt8]
            do {
                descriptor = try file.read(count: 4 + 4 + (zip64 ? 16 : 8), at: at)
            } catch {
                throw .corrupt(error.message)
            }
            var position = descriptor.count >= 4 && LittleEndian.u32(descriptor, 0) == 0x0807_4B50 ? 4 : 0
            let length = 4 + (zip64 ? 16 : 8)
            guard descriptor.count >= position + length else {
                throw .corrupt("truncated zip: the data descriptor of \(name) at offset \(at) is cut short")
            }
            entry.crc32 = LittleEndian.u32(descriptor, position)
            position += 4
            entry.compressedSize =
                zip64 ? LittleEndian.u64(descriptor, position) : UInt64(LittleEndian.u32(descriptor, position))
            position += zip64 ? 8 : 4
            entry.uncompressedSize =
                zip64 ? LittleEndian.u64(descriptor, position) : UInt64(LittleEndian.u32(descriptor, position))
            position += zip64 ? 8 : 4
            endOffset = at + UInt64(position)
            guard entry.compressedSize == compressed else {
                throw .corrupt(
                    "truncated or damaged zip: the deflate stream of \(name) is \(compressed) bytes, "
                        + "its data descriptor says \(entry.compressedSize)")
            }
        }
        state = .done
        guard checksum.value == entry.crc32 else {
            throw .corrupt("truncated or damaged zip: CRC mismatch in \(name)")
        }
        guard produced == entry.uncompressedSize else {
            throw .corrupt(
                "truncated or damaged zip: \(name) inflates to \(produced) bytes, "
                    + "its header says \(entry.uncompressedSize)")
        }
    }
}
