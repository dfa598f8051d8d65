import HTTP1
import Loop
internal import CZstd

/// Streaming decompression of a `Content-Encoding: zstd` request body, with caps on what a hostile body can
/// make the server do.
///
/// Input arrives in socket-sized chunks; output is handed on in slices of a fixed buffer, so memory stays
/// bounded whatever the ratio. Four caps:
/// - the total output (`maxOutputBytes`): a decompression bomb never gets further than it;
/// - the ratio of output to input (`maxRatio`, after the first `ratioAllowance` bytes): zeros and repeated
///   text compress by thousands, resumes (PDF, DOCX, text) by well under a hundred;
/// - the frame's window (`maxWindowBytes`, 8 MiB: what levels up to 19 use; `--long` and `--ultra` frames
///   are refused), the memory a frame makes the decoder keep per connection;
/// - the output of one ``decode(_:budget:emit:)`` call (`budget`), so that one 64 KiB read cannot keep the
///   loop busy inflating hundreds of MiB: the caller keeps the rest of the input and calls again later.
package struct ZstdStreamDecoder: ~Copyable {
    /// Why decoding stopped.
    package enum Failure: Error, Equatable {
        /// The bytes are not a valid zstd stream (libzstd's message).
        case corrupt(String)
        /// More than the cap would come out.
        case tooLarge(limit: Int)
        /// Output outgrew the input by more than the ratio cap.
        case ratioExceeded(limit: Int)
        /// A frame asks for a larger window than allowed.
        case windowTooLarge(limit: Int)
        /// The body ended inside a frame.
        case truncated
    }

    /// How far one call got.
    package struct Progress: Equatable {
        /// Input bytes consumed; the caller passes the rest again.
        package var consumed: Int
        /// The call stopped for its budget with output possibly still pending inside the decoder: call
        /// again (with the remaining input, or none) before more input counts as the next.
        package var more: Bool
    }

    package static let defaultMaxWindowBytes = 8 << 20
    package static let defaultMaxRatio = 100
    package static let defaultRatioAllowance = 1 << 20

    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    private let maxOutputBytes: Int
    private let maxRatio: Int
    private let ratioAllowance: Int
    private let maxWindowBytes: Int
    private(set) var producedBytes = 0
    private(set) var consumedBytes = 0
    /// Whether the last call ended exactly at a frame boundary.
    private var frameComplete = true

    package init(maxOutputBytes: Int, maxRatio: Int = defaultMaxRatio, ratioAllowance: Int = defaultRatioAllowance,
                 maxWindowBytes: Int = defaultMaxWindowBytes, bufferSize: Int = 128 * 1024) {
        context = ZSTD_createDCtx()!
        var windowLog: Int32 = 10
        while (1 << (windowLog + 1)) <= maxWindowBytes && windowLog < 31 { windowLog += 1 }
        ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, windowLog)
        output = .allocate(byteCount: bufferSize, alignment: 64)
        self.maxOutputBytes = maxOutputBytes
        self.maxRatio = maxRatio
        self.ratioAllowance = ratioAllowance
        self.maxWindowBytes = 1 << windowLog
    }

    deinit {
        ZSTD_freeDCtx(context)
        output.deallocate()
    }

    /// Decompresses `input` until it is consumed and no output is pending, or until `budget` bytes came out
    /// in this call, calling `emit` with each slice of output (valid only during the call).
    package mutating func decode(_ input: UnsafeRawBufferPointer, budget: Int = .max,
                                 emit: (UnsafeRawBufferPointer) -> Void) throws(Failure) -> Progress {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var produced = 0
        repeat {
            var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let before = inBuffer.pos
            let rc = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
            consumedBytes += inBuffer.pos - before
            if ZSTD_isError(rc) != 0 {
                if ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge {
                    throw .windowTooLarge(limit: maxWindowBytes)
                }
                throw .corrupt(String(cString: ZSTD_getErrorName(rc)))
            }
            frameComplete = rc == 0
            if outBuffer.pos > 0 {
                producedBytes += outBuffer.pos
                produced += outBuffer.pos
                if producedBytes > maxOutputBytes { throw .tooLarge(limit: maxOutputBytes) }
                if producedBytes > ratioAllowance, producedBytes / max(consumedBytes, 1) > maxRatio {
                    throw .ratioExceeded(limit: maxRatio)
                }
                emit(UnsafeRawBufferPointer(start: output.baseAddress, count: outBuffer.pos))
            }
            // Done when the input is consumed and the output buffer came back with room (nothing pending).
            let pending = outBuffer.pos == outBuffer.size
            if inBuffer.pos == inBuffer.size && !pending { return Progress(consumed: inBuffer.pos, more: false) }
            if produced >= budget { return Progress(consumed: inBuffer.pos, more: pending) }
        } while true
    }

    /// Checks that the stream ended on a frame boundary.
    package func finish() throws(Failure) {
        if !frameComplete { throw .truncated }
    }
}
