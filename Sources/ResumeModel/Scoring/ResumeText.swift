/// A resume's stored text, for evidence: finds phrases in it case-insensitively as whole words, and gives every
/// find as its exact quote and its offsets in Unicode scalars (code points: what PostgreSQL's `substr` and
/// `length` count in a UTF-8 database, so `substr(text, start + 1, end - start)` is the quote).
///
/// ``verify(quote:start:end:)`` is the one check every reason's evidence passes before it is shown, whoever
/// wrote the reason (the built-in scorer or an LLM).
///
/// The text's words are indexed once, when it is made (``WordIndex``), because the scorer looks up every
/// spelling of every skill a job names: scanning the text once per spelling made a candidate's cost grow with
/// the text's length times the job's skills.
public struct ResumeText: Sendable {
    private let scalars: [Unicode.Scalar]
    /// `scalars` lower-cased one for one (a scalar whose lower case is several scalars stays as it is), so an
    /// offset in one is an offset in the other.
    private let folded: [Unicode.Scalar]
    /// The folded text's words; nil when made with `indexed: false` (then ``find(_:)`` scans).
    private let words: WordIndex?

    public init(_ text: String) {
        self.init(text, indexed: true)
    }

    /// `indexed: false` leaves the words unindexed, so ``find(_:)`` scans the text as it did before the index:
    /// the baseline the scoring benchmark measures the index against. The answers are the same either way.
    package init(_ text: String, indexed: Bool) {
        var scalars: [Unicode.Scalar] = []
        var folded: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.utf8.count)
        folded.reserveCapacity(text.utf8.count)
        var starts: [Int32] = []
        var hashes: [UInt64] = []
        var hash = WordIndex.start
        var inWord = false
        // One pass folds the text and finds its words (with their hashes) as it goes.
        for scalar in text.unicodeScalars {
            let lower = Self.fold(scalar)
            if indexed {
                if Self.isWordScalar(lower) {
                    if !inWord {
                        starts.append(Int32(truncatingIfNeeded: folded.count))
                        hash = WordIndex.start
                        inWord = true
                    }
                    hash = WordIndex.add(hash, lower)
                } else if inWord {
                    hashes.append(WordIndex.finish(hash))
                    inWord = false
                }
            }
            scalars.append(scalar)
            folded.append(lower)
        }
        if inWord { hashes.append(WordIndex.finish(hash)) }
        self.scalars = scalars
        self.folded = folded
        // Offsets are kept in 32 bits; a text past that (2 G scalars) is scanned instead.
        self.words = indexed && folded.count < Int(Int32.max) ? WordIndex(starts: starts, hashes: hashes) : nil
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
    ///
    /// Exactly: the first offset where the folded phrase equals the folded text, not preceded by a word scalar
    /// when the phrase starts with one, and not followed by a word scalar, `+` or `#` when it ends with one, so
    /// "C" is not found in "C++" or "C#". The ends are only checked on a word scalar: "C++" is found in
    /// "C++17", and ".NET" in "ASP.NET". Punctuation and spaces inside the phrase must be the text's
    /// ("Node.js", "CI/CD"; "Machine Learning" is not found across a line break).
    public func find(_ phrase: String) -> Range<Int>? {
        let needle = phrase.unicodeScalars.map(Self.fold)
        guard !needle.isEmpty, needle.count <= folded.count else { return nil }
        guard let words, let firstWord = needle.firstIndex(where: Self.isWordScalar) else {
            return scan(needle)
        }
        // Where the phrase stands, its first word is a whole word of the text: the scalar before that word is
        // the text's start, or (in the phrase) a scalar that is not a word scalar; the one after is the
        // phrase's next, not a word scalar, or past the phrase's end, where a word scalar is refused.
        var hash = WordIndex.start
        var i = firstWord
        while i < needle.count && Self.isWordScalar(needle[i]) {
            hash = WordIndex.add(hash, needle[i])
            i += 1
        }
        var found: Int?
        words.forEachStart(ofWordHashed: WordIndex.finish(hash)) { wordStart in
            let start = wordStart - firstWord
            guard start >= 0, start + needle.count <= folded.count, matches(needle, at: start) else { return false }
            found = start
            return true
        }
        return found.map { $0..<($0 + needle.count) }
    }

    /// ``find(_:)`` by trying every offset in turn: what `find` does for a phrase without a word scalar, and
    /// the reference the tests hold the index to.
    func scanFind(_ phrase: String) -> Range<Int>? {
        let needle = phrase.unicodeScalars.map(Self.fold)
        guard !needle.isEmpty, needle.count <= folded.count else { return nil }
        return scan(needle)
    }

    private func scan(_ needle: [Unicode.Scalar]) -> Range<Int>? {
        let first = needle[0]
        var i = 0
        let last = folded.count - needle.count
        while i <= last {
            if folded[i] == first, matches(needle, at: i) { return i..<(i + needle.count) }
            i += 1
        }
        return nil
    }

    /// Whether the folded `needle` stands at `i` as whole words (the caller has checked it fits).
    private func matches(_ needle: [Unicode.Scalar], at i: Int) -> Bool {
        guard folded[i..<(i + needle.count)].elementsEqual(needle) else { return false }
        if Self.isWordScalar(needle[0]) && i > 0 && Self.isWordScalar(folded[i - 1]) { return false }
        let end = i + needle.count
        if Self.isWordScalar(needle[needle.count - 1]) && end < folded.count && Self.continuesWord(folded[end]) {
            return false
        }
        return true
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

    /// A letter (Unicode's Alphabetic) or an ASCII digit. ASCII is answered without the property tables, which
    /// give the same answer there.
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 {
            let letter = v | 0x20
            return (letter >= 0x61 && letter <= 0x7A) || (v >= 0x30 && v <= 0x39)
        }
        return scalar.properties.isAlphabetic
    }

    /// A letter or digit after a match continues its word; so does `+` or `#` ("C" is not found in "C++").
    private static func continuesWord(_ next: Unicode.Scalar) -> Bool {
        isWordScalar(next) || next == "+" || next == "#"
    }
}
