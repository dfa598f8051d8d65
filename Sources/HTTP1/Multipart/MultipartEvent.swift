/// What the multipart parser found in the bytes it was fed.
///
/// For one body the events always come in the order
/// `(partBegin body* partEnd)+ end`; a thrown error ends the sequence early.
public enum MultipartEvent {
    /// A part starts; its header section has been read in full.
    case partBegin(MultipartPartHead)

    /// Bytes of the current part's body, in order. The buffer is a slice of the fed chunk or of the parser's small
    /// held-back tail, and is valid only during the callback: copy what you keep. Never empty.
    case body(UnsafeRawBufferPointer)

    /// The current part's body ended (a delimiter was seen).
    case partEnd

    /// The closing delimiter `--boundary--` was seen; the rest of the input is epilogue and is ignored.
    case end
}
