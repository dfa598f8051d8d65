/// A resume's stored text, for evidence: finds phrases in it case-insensitively as whole words, and gives every
/// find as its exact quote and its offsets in Unicode scalars (code points: what PostgreSQL's `substr` and
/// `length` count in a UTF-8 database, so `substr(text, start + 1, end - start)` is the quote).
///
/// ``verify(quote:start:end:)`` is the one check every reason's evidence passes before it is shown, whoever
/// wrote the reason (the built-in scorer or an LLM).
public struct ResumeText: Sendable {
    private let scalars: [Unicode.Scalar]
    /// `scalars` lower-cased one for one (a scalar whose lower case is several scalars stays as it is), so an
    /// offset in one is an offset in the other.
    private let folded: [Unicode.Scalar]

    public init(_ text: String) {
        scalars = Array(text.unicodeScalars)
        folded = scalars.map(Self.fold)
    }

    /// The text's length in scalars.
    public var count: Int { scalars.count }

    static func fold(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        if scalar.isASCII {
            let v = scalar.value
            return v >= 0x41 && v <= 0x5A ? Unicode.Scalar(v + 0x20)! : scalar
        }
        let lower = scalar.properties.lowercaseMapping.unicodeScalars
        return lower.count == 1 ? lower.first! : scalar
    }

    /// The first place `phrase` stands as whole words (not inside a longer word: "Go" is not found in
    /// "Google", nor "Java" in "JavaScript"), ignoring case; nil when it is nowhere.
    public func find(_ phrase: String) -> Range<Int>? {
        let needle = phrase.unicodeScalars.map(Self.fold)
        guard let first = needle.first, needle.count <= folded.count else { return nil }
        let checkBefore = Self.isWordScalar(first)
        let checkAfter = Self.isWordScalar(needle[needle.count - 1])
        var i = 0
        let last = folded.count - needle.count
        while i <= last {
            if folded[i] == first, folded[i..<(i + needle.count)].elementsEqual(needle),
               !(checkBefore && i > 0 && Self.isWordScalar(folded[i - 1])),
               !(checkAfter && i + needle.count < folded.count && Self.continuesWord(folded, at: i + needle.count)) {
                return i..<(i + needle.count)
            }
            i += 1
        }
        return nil
    }

    /// The text between two offsets, exactly as stored.
    public func quote(_ range: Range<Int>) -> String {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[range])
        return String(out)
    }

    /// Whether `quote` is exactly the text from `start` to `end` (scalar offsets): the evidence check.
    public func verify(quote: String, start: Int, end: Int) -> Bool {
        guard start >= 0, start < end, end <= scalars.count else { return false }
        return scalars[start..<end].elementsEqual(quote.unicodeScalars)
    }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || (scalar.value >= 0x30 && scalar.value <= 0x39)
    }

    /// A letter or digit after a match continues its word; so does `+` or `#` ("C" is not found in "C++").
    private static func continuesWord(_ text: [Unicode.Scalar], at i: Int) -> Bool {
        let next = text[i]
        return isWordScalar(next) || next == "+" || next == "#"
    }
}
