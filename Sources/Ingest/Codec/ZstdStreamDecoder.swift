import HTTP1
import Loop
internal import CZstd

/// Streaming decompression of a `Content-Encoding: zstd` request body, with a cap on the output.
///
/// Input arrives in socket-sized chunks; output is handed on in slices of a fixed buffer, so memory stays
/// bounded whatever the ratio. Exceeding `maxOutputBytes` is an error (a decompression bomb never gets
/// further than the cap).
package struct ZstdStreamDecoder: ~Copyable {
    /// Why decoding stopped.
    package enum Failure: Error, Equatable {
        /// The bytes are not a valid zstd stream (libzstd's message).
        case corrupt(String)
        /// More than the cap would come out.
        case tooLarge(limit: Int)
        /// The body ended inside a frame.
        case truncated
    }

    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    private let maxOutputBytes: Int
    private(set) var producedBytes = 0
    /// Whether the last call ended exactly at a frame boundary.
    private var frameComplete = true

    package init(maxOutputBytes: Int, bufferSize: Int = 128 * 1024) {
        context = ZSTD_createDCtx()!
        // Bound the window a hostile frame may ask for (default limit is 128 MiB for streaming).
        ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, 27)
        output = .allocate(byteCount: bufferSize, alignment: 64)
        self.maxOutputBytes = maxOutputBytes
    }

    deinit {
        ZSTD_freeDCtx(context)
        output.deallocate()
    }

    /// Decompresses `input`, calling `emit` with each slice of output (valid only during the call).
    package mutating func decode(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) -> Void) throws(Failure) {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        repeat {
            var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let rc = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
            if ZSTD_isError(rc) != 0 { throw .corrupt(String(cString: ZSTD_getErrorName(rc))) }
            frameComplete = rc == 0
            if outBuffer.pos > 0 {
                producedBytes += outBuffer.pos
                if producedBytes > maxOutputBytes { throw .tooLarge(limit: maxOutputBytes) }
                emit(UnsafeRawBufferPointer(start: output.baseAddress, count: outBuffer.pos))
            }
            // Keep going while input remains or the output buffer came back full (more may be pending).
            if inBuffer.pos == inBuffer.size && outBuffer.pos < outBuffer.size { break }
        } while true
    }

    /// Checks that the stream ended on a frame boundary.
    package func finish() throws(Failure) {
        if !frameComplete { throw .truncated }
    }
}
