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
    /// The text as stored. Matching folds each scalar as it compares it (``fold(_:)``): keeping a folded copy
    /// as well doubled the memory written per candidate, and folding ASCII costs a compare and an or.
    private let scalars: [Unicode.Scalar]
    /// The folded text's words; nil when made with `indexed: false` (then ``find(_:)`` scans).
    private let words: WordIndex?

    public init(_ text: String) {
        self.init(text, indexed: true)
    }

    /// `indexed: false` leaves the words unindexed, so ``find(_:)`` scans the text once per phrase, as it did
    /// before the index: the baseline the scoring benchmark measures the index against. The answers are the
    /// same either way.
    package init(_ text: String, indexed: Bool) {
        // A string has at most as many scalars as UTF-8 bytes.
        scalars = [Unicode.Scalar](unsafeUninitializedCapacity: text.utf8.count) { buffer, count in
            count = 0
            for scalar in text.unicodeScalars {
                buffer[count] = scalar
                count += 1
            }
        }
        // Offsets are kept in 32 bits; a text past that (2 G scalars) is scanned instead.
        words = indexed && scalars.count < Int(Int32.max) ? scalars.withUnsafeBufferPointer(Self.index) : nil
    }

    /// The words of `text` folded, with their hashes, in one pass.
    private static func index(_ text: UnsafeBufferPointer<Unicode.Scalar>) -> WordIndex {
        var starts: [Int32] = []
        var hashes: [UInt64] = []
        // About one word in six scalars of a resume; a guess, not a bound.
        starts.reserveCapacity(text.count / 6)
        hashes.reserveCapacity(text.count / 6)
        asciiWordScalars.withUnsafeBufferPointer { ascii in
            /// The scalar folded when it is a word scalar, else 0.
            func wordValue(_ scalar: Unicode.Scalar) -> UInt32 {
                let v = scalar.value
                if v < 0x80 { return UInt32(ascii[Int(v)]) }
                let lower = foldBeyondASCII(scalar)
                return isWordScalar(lower) ? lower.value : 0
            }
            var i = 0
            while i < text.count {
                var value = wordValue(text[i])
                guard value != 0 else {
                    i += 1
                    continue
                }
                starts.append(Int32(truncatingIfNeeded: i))
                var hash = WordIndex.start
                repeat {
                    hash = WordIndex.add(hash, value)
                    i += 1
                    guard i < text.count else { break }
                    value = wordValue(text[i])
                } while value != 0
                hashes.append(WordIndex.finish(hash))
            }
        }
        return WordIndex(starts: starts, hashes: hashes)
    }

    /// For each ASCII scalar, its folded value when it is a word scalar (a letter or digit), else 0: one load
    /// instead of a fold and two range checks, in the loop that reads every scalar of every candidate.
    private static let asciiWordScalars: [UInt8] = (0..<128).map { value in
        let lower = fold(Unicode.Scalar(UInt8(value)))
        return isWordScalar(lower) ? UInt8(lower.value) : 0
    }

    /// The text's length in scalars.
    public var count: Int { scalars.count }

    /// The scalar lower-cased, when its lower case is one scalar; else the scalar itself.
    @inline(__always)
    static func fold(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        let v = scalar.value
        if v < 0x80 {
            return v &- 0x41 < 26 ? Unicode.Scalar(UInt8(truncatingIfNeeded: v | 0x20)) : scalar
        }
        return foldBeyondASCII(scalar)
    }

    /// Most scalars past ASCII a resume holds are punctuation (bullets, dashes) that lower-casing leaves as they
    /// are; the binary property says so without building the mapping's string (every scalar whose lower case
    /// differs has it: checked over all of Unicode by the tests).
    static func foldBeyondASCII(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        guard scalar.properties.changesWhenLowercased else { return scalar }
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
        guard !needle.isEmpty, needle.count <= scalars.count else { return nil }
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
            guard start >= 0, start + needle.count <= scalars.count, matches(needle, at: start) else { return false }
            found = start
            return true
        }
        return found.map { $0..<($0 + needle.count) }
    }

    /// ``find(_:)`` by trying every offset in turn: what `find` does for a phrase without a word scalar, and
    /// the reference the tests hold the index to.
    func scanFind(_ phrase: String) -> Range<Int>? {
        let needle = phrase.unicodeScalars.map(Self.fold)
        guard !needle.isEmpty, needle.count <= scalars.count else { return nil }
        return scan(needle)
    }

    private func scan(_ needle: [Unicode.Scalar]) -> Range<Int>? {
        let first = needle[0]
        var i = 0
        let last = scalars.count - needle.count
        while i <= last {
            if Self.fold(scalars[i]) == first, matches(needle, at: i) { return i..<(i + needle.count) }
            i += 1
        }
        return nil
    }

    /// Whether the folded `needle` stands at `i` as whole words (the caller has checked it fits).
    private func matches(_ needle: [Unicode.Scalar], at i: Int) -> Bool {
        for j in 0..<needle.count where Self.fold(scalars[i + j]) != needle[j] { return false }
        if Self.isWordScalar(needle[0]) && i > 0 && Self.isWordScalar(Self.fold(scalars[i - 1])) { return false }
        let end = i + needle.count
        if Self.isWordScalar(needle[needle.count - 1]) && end < scalars.count
            && Self.continuesWord(Self.fold(scalars[end])) {
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
    @inline(__always)
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
