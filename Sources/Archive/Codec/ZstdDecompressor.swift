internal import CZstd

/// libzstd's streaming decompression on caller-provided buffers, with the window a frame may ask for capped.
///
/// Concatenated frames and skippable frames are read as one stream, as the `zstd` tool does. One call to
/// ``decompress(_:into:)`` is one step, never more output than the buffer holds. Not thread-safe.
final class ZstdDecompressor {
    /// The largest window (log2) a frame may ask for: 8 MiB, what `zstd -19` uses; more is refused rather than
    /// allocated. `zstd --long` or `--ultra -22` archives need more and are refused as corrupt.
    static let windowLogMax: Int32 = 23

    /// What one step did.
    struct Step: Equatable {
        /// Input bytes consumed.
        var consumed: Int
        /// Output bytes written.
        var produced: Int
        /// Whether the step ended exactly at the end of a frame (libzstd returned 0).
        var frameComplete: Bool
    }

    /// libzstd refused the data: `ZSTD_getErrorName`'s text.
    struct Failure: Error, Equatable, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    private let context: OpaquePointer

    init() {
        // Only allocation failure returns nil.
        context = ZSTD_createDCtx()!
        ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, Self.windowLogMax)
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses from `input` into `output` until one of them is used up.
    func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(Failure) -> Step
    {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let rc = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
        if ZSTD_isError(rc) != 0 {
            var message = String(cString: ZSTD_getErrorName(rc))
            if ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge {
                message += " (the frame's window is over \(1 << (Self.windowLogMax - 20)) MiB)"
            }
            throw Failure(message: message)
        }
        return Step(consumed: inBuffer.pos, produced: outBuffer.pos, frameComplete: rc == 0)
    }
}
