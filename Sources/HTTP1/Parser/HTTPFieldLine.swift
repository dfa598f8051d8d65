/// One syntactically valid field line, `field-name ":" OWS field-value OWS` (RFC 9112 §5), as ranges of the
/// bytes it was parsed from.
package struct HTTPFieldLine {
    /// The field name, a non-empty token.
    package var name: UnsafeRawBufferPointer
    /// The field value without surrounding whitespace; ASCII or valid UTF-8, no control byte but HTAB.
    package var value: UnsafeRawBufferPointer

    /// Parses a field line given without its line terminator (and never empty: the empty line ends a section).
    ///
    /// Refuses obs-fold (a line starting with SP/HTAB), whitespace before the colon, non-token names, control
    /// bytes other than HTAB in the value, DEL, and values that are not valid UTF-8.
    package init(parsing line: UnsafeRawBufferPointer) throws(HTTPParseError) {
        let count = line.count
        if HTTPSyntax.isWhitespace(line[0]) {
            throw .obsoleteLineFolding
        }
        var index = 0
        while index < count, HTTPSyntax.isTokenByte(line[index]) { index += 1 }
        guard index < count else {
            throw HTTPParseError.invalidHeaderLine.withMessage("field line has no colon")
        }
        if line[index] != HTTPSyntax.colon {
            if index > 0, HTTPSyntax.isWhitespace(line[index]) {
                var after = index
                while after < count, HTTPSyntax.isWhitespace(line[after]) { after += 1 }
                if after < count, line[after] == HTTPSyntax.colon {
                    throw HTTPParseError.whitespaceBeforeColon
                }
            }
            throw HTTPParseError.invalidHeaderName.withMessage(
                "byte 0x\(String(line[index], radix: 16)) is not allowed in a field name"
            )
        }
        guard index > 0 else {
            throw HTTPParseError.invalidHeaderName.withMessage("empty field name")
        }
        self.name = UnsafeRawBufferPointer(rebasing: line[0..<index])

        var start = index + 1
        var end = count
        while start < end, HTTPSyntax.isWhitespace(line[start]) { start += 1 }
        while end > start, HTTPSyntax.isWhitespace(line[end - 1]) { end -= 1 }
        var highBits: UInt8 = 0
        var position = start
        while position < end {
            let byte = line[position]
            guard HTTPSyntax.isFieldValueByte(byte) else {
                throw HTTPParseError.invalidHeaderValue.withMessage(
                    "byte 0x\(String(byte, radix: 16)) is not allowed in a field value"
                )
            }
            highBits |= byte
            position += 1
        }
        self.value = UnsafeRawBufferPointer(rebasing: line[start..<end])
        if highBits & 0x80 != 0, String(validating: value, as: UTF8.self) == nil {
            throw HTTPParseError.invalidHeaderValue.withMessage("field value is not valid UTF-8")
        }
    }
}
