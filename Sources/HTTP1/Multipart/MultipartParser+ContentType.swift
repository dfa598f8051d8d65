extension MultipartParser {
    /// Extracts the `boundary` parameter from a `Content-Type` value such as
    /// `multipart/form-data; boundary="----abc"` (quoted or not; names compared case-insensitively).
    ///
    /// - Returns: The boundary, or nil if the media type is not `multipart/form-data`, the value is malformed, or it
    ///   has no non-empty boundary. The boundary is not validated here; ``init(boundary:limits:)`` does that.
    public static func boundary(fromContentType contentType: String) -> String? {
        guard let parsed = HeaderParameters(contentType),
            MultipartPartHead.equalsIgnoringCase(parsed.type, "multipart/form-data")
        else { return nil }
        let key = Array("boundary".utf8)
        let parameter = parsed.parameters.first { $0.name.map(MultipartPartHead.asciiLowercase) == key }
        guard let value = parameter?.value, !value.isEmpty
        else { return nil }
        return String(decoding: value, as: UTF8.self)
    }
}
