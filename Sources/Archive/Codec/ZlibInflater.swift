internal import CLibZ

/// zlib's `inflate` on caller-provided buffers: raw deflate (a zip entry) or gzip members.
///
/// Owns the `z_stream` (on the heap: zlib keeps a pointer back to it). One call to ``inflate(_:into:)`` is one
/// step: it consumes some input and fills some output, never more than the output buffer, so the caller decides
/// after every step whether to go on (limits are checked between steps). Not thread-safe; one per stream.
final class ZlibInflater {
    /// The container around the deflate data.
    enum Format {
        /// Bare deflate blocks, as in a zip entry.
        case raw
        /// A gzip member (header, deflate blocks, CRC-32 and length trailer, which zlib checks).
        case gzip

        var windowBits: Int32 { self == .raw ? -15 : 15 + 16 }
    }

    /// What one step did.
    struct Step: Equatable {
        /// Input bytes consumed.
        var consumed: Int
        /// Output bytes written.
        var produced: Int
        /// Whether the deflate stream (or gzip member, trailer checked) ended in this step.
        var ended: Bool
    }

    /// zlib refused the data: its return code and `msg`.
    struct Failure: Error, Equatable, CustomStringConvertible {
        var code: Int32
        var message: String

        init(code: Int32, stream: UnsafeMutablePointer<z_stream>) {
            self.code = code
            if let msg = stream.pointee.msg {
                message = String(cString: msg)
            } else {
                message = String(cString: zError(code))
            }
        }

        var description: String { message }
    }

    let format: Format
    private let stream: UnsafeMutablePointer<z_stream>
    /// Input bytes consumed since the last reset (or since creation).
    private(set) var totalIn: UInt64 = 0

    init(_ format: Format) {
        self.format = format
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = resume_ingest_inflateInit2(stream, format.windowBits)
        // Only Z_MEM_ERROR is possible here (the version and sizes are this build's own).
        precondition(rc == Z_OK, "inflateInit2 failed: \(rc)")
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Inflates from `input` into `output` until one of them is used up or the stream ends.
    ///
    /// A step with no progress (`consumed == 0 && produced == 0 && !ended`) means the stream wants more input
    /// than was given; with none left, the data is cut short.
    func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(Failure) -> Step {
        let inCount = UInt32(clamping: input.count)
        let outCount = UInt32(clamping: output.count)
        stream.pointee.next_in = input.baseAddress.map {
            UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self))
        }
        stream.pointee.avail_in = inCount
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = outCount
        let rc = CLibZ.inflate(stream, Z_NO_FLUSH)
        let step = Step(
            consumed: Int(inCount - stream.pointee.avail_in), produced: Int(outCount - stream.pointee.avail_out),
            ended: rc == Z_STREAM_END)
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        totalIn += UInt64(step.consumed)
        switch rc {
        case Z_OK, Z_STREAM_END, Z_BUF_ERROR:
            return step
        case Z_NEED_DICT:
            throw Failure(code: Z_DATA_ERROR, message: "the deflate stream needs a preset dictionary")
        default:
            throw Failure(code: rc, stream: stream)
        }
    }

    /// Starts a new stream of the same format (the next gzip member).
    func reset() {
        inflateReset(stream)
        totalIn = 0
    }
}

extension ZlibInflater.Failure {
    init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }
}
