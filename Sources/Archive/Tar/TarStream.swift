/// The bytes of a tar, read in order from the file: as they are, or through gzip (zlib) or zstd decompression.
///
/// Decompressed bytes come out in bounded steps (64 KiB of compressed input at a time, at most the caller's
/// buffer of output), each counted against an ``InflationBudget`` for the whole stream:
/// ``ArchiveLimits/maxTotalBytes``, and ``ArchiveLimits/maxRatio`` for the compressed formats. Decompression never
/// runs more than one byte past them. Skipping decompresses and discards (the only way through a compressed
/// stream); an uncompressed tar is skipped by moving the offset.
///
/// Gzip: members follow one another (as `cat a.gz b.gz` or pigz make); bytes after the last member that do not
/// start another are ignored, as gzip does. Zstd: frames follow one another, skippable frames are skipped, the
/// window is capped at ``ZstdDecompressor/windowLogMax``.
final class TarStream {
    /// How the tar is stored in the file.
    enum Codec: Equatable {
        case none
        case gzip
        case zstd

        var name: String {
            switch self {
            case .none: "tar"
            case .gzip: "gzip"
            case .zstd: "zstd"
            }
        }
    }

    static let chunkSize = 64 << 10

    let codec: Codec
    /// Decompressed bytes delivered or skipped so far: the offset in the tar.
    private(set) var position: UInt64 = 0
    /// When the data ended before the end of the tar: why (a stream cut short), for the truncation message.
    private(set) var endNote: String?

    private let file: FileInput
    private let inflater: ZlibInflater?
    private let zstd: ZstdDecompressor?
    private var budget: InflationBudget
    private let input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    /// The next byte of the file to read.
    private var fileOffset: UInt64 = 0
    /// Compressed bytes the decoder has consumed.
    private var consumed: UInt64 = 0
    /// Whether the decompressed data is over.
    private var ended = false
    /// Gzip: the current member ended; another may follow. Zstd: the last step ended a frame.
    private var atBoundary = true
    /// Where skipped bytes are decompressed to; allocated on the first skip.
    private var scratch: UnsafeMutableRawBufferPointer?

    init(file: FileInput, codec: Codec, limits: ArchiveLimits) {
        self.file = file
        self.codec = codec
        budget = InflationBudget(
            maxBytes: UInt64(max(0, limits.maxTotalBytes)),
            maxRatio: codec == .none ? nil : UInt64(max(1, limits.maxRatio)),
            ratioThreshold: UInt64(max(0, limits.ratioThresholdBytes)))
        inflater = codec == .gzip ? ZlibInflater(.gzip) : nil
        zstd = codec == .zstd ? ZstdDecompressor() : nil
        input =
            codec == .none
            ? UnsafeMutableRawBufferPointer(start: nil, count: 0)
            : .allocate(byteCount: Self.chunkSize, alignment: 16)
    }

    deinit {
        input.deallocate()
        scratch?.deallocate()
    }

    /// Fills `buffer` with the next bytes; fewer only when the data ends.
    ///
    /// - Throws: ``ArchiveError/corrupt`` (the compressed data is damaged), ``ArchiveError/decompressionBomb`` (a
    ///   limit of the stream), ``ArchiveError/unreadable``.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = try produce(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n == 0 { break }
            filled += n
        }
        position += UInt64(filled)
        return filled
    }

    /// Up to `count` next bytes.
    func read(count: Int) throws(ArchiveError) -> [UInt8] {
        guard count > 0 else { return [] }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        defer { buffer.deallocate() }
        let n = try read(into: buffer)
        return Array(buffer[0..<n])
    }

    /// Moves past the next `count` bytes; returns how many there were (fewer only when the data ends).
    func skip(_ count: UInt64) throws(ArchiveError) -> UInt64 {
        guard count > 0 else { return 0 }
        if codec == .none {
            let skipped = min(count, file.size - min(file.size, fileOffset))
            if let limit = budget.add(skipped, compressed: 0) { throw failure(limit) }
            fileOffset += skipped
            position += skipped
            return skipped
        }
        let scratch = self.scratch ?? .allocate(byteCount: Self.chunkSize, alignment: 16)
        self.scratch = scratch
        var skipped: UInt64 = 0
        while skipped < count {
            let want = Int(min(UInt64(scratch.count), count - skipped))
            let n = try produce(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<want]))
            if n == 0 { break }
            skipped += UInt64(n)
        }
        position += skipped
        return skipped
    }

    /// One step: some bytes into `output` (at most as many as the budget allows, plus one to see it broken); 0 when
    /// the data is over.
    private func produce(into output: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
        guard !ended, output.count > 0 else { return 0 }
        let allowance = budget.remaining(compressed: consumed)
        let want = Int(min(UInt64(output.count), allowance == .max ? .max : allowance + 1))
        let out = UnsafeMutableRawBufferPointer(rebasing: output[0..<want])
        let n: Int
        switch codec {
        case .none:
            n = try file.read(into: out, at: fileOffset)
            fileOffset += UInt64(n)
            if n == 0 { ended = true }
        case .gzip:
            n = try inflate(into: out)
        case .zstd:
            n = try decompress(into: out)
        }
        if n > 0, let limit = budget.add(UInt64(n), compressed: consumed) { throw failure(limit) }
        return n
    }

    private func inflate(into output: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
        guard let inflater else { return 0 }
        while true {
            try refillIfEmpty()
            if atBoundary && consumed > 0 {
                // Between members: another starts with the gzip magic; anything else ends the data.
                guard inputStart < inputEnd else {
                    ended = true
                    return 0
                }
                guard input[inputStart] == 0x1F else {
                    ended = true
                    return 0
                }
                inflater.reset()
            }
            atBoundary = false
            let step: ZlibInflater.Step
            do {
                step = try inflater.inflate(
                    UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd]), into: output)
            } catch {
                throw .corrupt("damaged gzip stream at compressed byte \(consumed): \(error)")
            }
            inputStart += step.consumed
            consumed += UInt64(step.consumed)
            if step.ended { atBoundary = true }
            if step.produced > 0 { return step.produced }
            if !step.ended && step.consumed == 0 && inputStart == inputEnd && fileOffset >= file.size {
                ended = true
                endNote = "the gzip stream is cut short at compressed byte \(consumed)"
                return 0
            }
        }
    }

    private func decompress(into output: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
        guard let zstd else { return 0 }
        while true {
            try refillIfEmpty()
            let step: ZstdDecompressor.Step
            do {
                step = try zstd.decompress(UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd]), into: output)
            } catch {
                throw .corrupt("damaged zstd stream at compressed byte \(consumed): \(error)")
            }
            inputStart += step.consumed
            consumed += UInt64(step.consumed)
            if step.consumed > 0 || step.produced > 0 { atBoundary = step.frameComplete }
            if step.produced > 0 { return step.produced }
            if step.consumed == 0 && inputStart == inputEnd && fileOffset >= file.size {
                ended = true
                if !atBoundary { endNote = "the zstd stream is cut short at compressed byte \(consumed)" }
                return 0
            }
        }
    }

    /// Reads the next compressed chunk when the last one is used up.
    private func refillIfEmpty() throws(ArchiveError) {
        guard inputStart == inputEnd, fileOffset < file.size else { return }
        let count = Int(min(UInt64(input.count), file.size - fileOffset))
        let n = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: input[0..<count]), at: fileOffset)
        inputStart = 0
        inputEnd = n
        fileOffset += UInt64(n)
        if n == 0 { fileOffset = file.size }
    }

    private func failure(_ limit: InflationBudget.Limit) -> ArchiveError {
        let produced = InflationBudget.describe(budget.produced)
        let compressed = InflationBudget.describe(consumed)
        switch limit {
        case .bytes, .total:
            return .decompressionBomb(
                "the \(codec.name) stream expands past the limit of \(InflationBudget.describe(budget.maxBytes)) "
                    + "(\(produced) from \(compressed), still going)")
        case .ratio:
            return .decompressionBomb(
                "the \(codec.name) stream expands past \(budget.maxRatio ?? 0):1 (\(produced) from \(compressed), "
                    + "still going)")
        }
    }
}
