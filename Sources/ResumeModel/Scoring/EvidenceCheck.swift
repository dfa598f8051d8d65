/// How an LLM's reasons fared against the resume's stored text.
public struct EvidenceCounts: Sendable, Equatable, Hashable {
    /// Reasons whose quote was at the offsets given.
    public var verified = 0
    /// Reasons whose quote is in the text exactly but elsewhere: moved to its first exact occurrence.
    public var reanchored = 0
    /// Reasons whose quote is not in the text (fabricated, paraphrased, empty, or without a letter or digit):
    /// dropped, never shown.
    public var dropped = 0

    public init(verified: Int = 0, reanchored: Int = 0, dropped: Int = 0) {
        self.verified = verified
        self.reanchored = reanchored
        self.dropped = dropped
    }

    /// Reasons checked.
    public var total: Int { verified + reanchored + dropped }

    public static func + (a: EvidenceCounts, b: EvidenceCounts) -> EvidenceCounts {
        EvidenceCounts(verified: a.verified + b.verified, reanchored: a.reanchored + b.reanchored,
                       dropped: a.dropped + b.dropped)
    }

    public static func += (a: inout EvidenceCounts, b: EvidenceCounts) { a = a + b }
}

/// The evidence check for reasons someone else wrote (an LLM): every reason kept cites text that is in the
/// resume, exactly, at the offsets it states.
///
/// For each reason, against the stored text (offsets in Unicode scalars, as ``ResumeText`` counts them):
/// 1. the quote is at `start..<end` (``ResumeText/verify(quote:start:end:)``): kept as it is (`verified`);
/// 2. else the quote is in the text exactly (same scalars, case included) elsewhere: kept, with its offsets
///    moved to the first exact occurrence (`reanchored`). Models count offsets badly (they see tokens, not
///    scalars), and the text they were sent may have been compacted, so this is the common path for real
///    models; the quote is still the resume's own words;
/// 3. else dropped (`dropped`): a quote that is nowhere (made up), a paraphrase, a quote that differs only
///    in case or spacing, an empty quote, or one with no letter or digit (a quote of " " or "," is found
///    everywhere and proves nothing).
///
/// Pure: no I/O; the order of the kept reasons is the order given.
public enum EvidenceCheck {
    /// The reasons that pass, re-anchored where needed, and the counts.
    public static func check(_ reasons: [CandidateScore.Reason], text: String)
        -> (reasons: [CandidateScore.Reason], counts: EvidenceCounts)
    {
        let scalars = Array(text.unicodeScalars)
        let resume = ResumeText(text)
        var kept: [CandidateScore.Reason] = []
        var counts = EvidenceCounts()
        for reason in reasons {
            let needle = Array(reason.quote.unicodeScalars)
            guard needle.contains(where: ResumeText.isWordScalar) else {
                counts.dropped += 1
                continue
            }
            if resume.verify(quote: reason.quote, start: reason.start, end: reason.end) {
                counts.verified += 1
                kept.append(reason)
            } else if let start = firstOccurrence(of: needle, in: scalars) {
                var moved = reason
                moved.start = start
                moved.end = start + needle.count
                counts.reanchored += 1
                kept.append(moved)
            } else {
                counts.dropped += 1
            }
        }
        return (kept, counts)
    }

    /// The scalar offset of the first exact occurrence of `needle` (not empty) in `haystack`.
    static func firstOccurrence(of needle: [Unicode.Scalar], in haystack: [Unicode.Scalar]) -> Int? {
        guard let first = needle.first, needle.count <= haystack.count else { return nil }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first, haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
