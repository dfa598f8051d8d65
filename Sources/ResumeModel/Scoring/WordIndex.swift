/// Where every word of a folded text starts, grouped by the word, so finding a phrase is one hash probe and a
/// walk over that word's occurrences instead of a pass over the whole text.
///
/// A word is a maximal run of word scalars (``ResumeText/isWordScalar(_:)``). A phrase that contains a word
/// scalar can only stand in the text where its first word is a whole word of the text (see
/// ``ResumeText/find(_:)``), so the occurrences of that word are every place the phrase can start.
///
/// Words are keyed by a 64-bit hash of their scalars and never stored: two words with the same hash share a
/// chain, and the caller compares the text at each occurrence anyway, so a collision costs a comparison, not a
/// wrong answer. The table is open-addressed over flat arrays because it is built once per candidate and a
/// `Dictionary` of arrays would allocate per distinct word.
struct WordIndex: Sendable {
    /// The scalar offset of each word occurrence, in text order.
    private let starts: [Int32]
    /// For each occurrence, the next one (index into `starts`) whose word has the same hash; -1 after the last.
    private let next: [Int32]
    /// Open-addressed slots (capacity a power of two, at most half full): a word's hash and its first occurrence.
    private let slotHashes: [UInt64]
    /// The first occurrence of the slot's word, or -1 for an empty slot.
    private let slotHeads: [Int32]

    /// Indexes `folded` given its words' starts and hashes (in text order), as ``ResumeText`` finds them while
    /// folding. Chains are built from the last word back, so each one runs in text order and the first match
    /// found on it is the earliest.
    init(starts: [Int32], hashes: [UInt64]) {
        var capacity = 16
        while capacity < starts.count * 2 { capacity <<= 1 }
        let mask = capacity - 1
        var slotHashes = [UInt64](repeating: 0, count: capacity)
        var slotHeads = [Int32](repeating: -1, count: capacity)
        var next = [Int32](repeating: -1, count: starts.count)
        var word = starts.count - 1
        while word >= 0 {
            let hash = hashes[word]
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slotHeads[slot] >= 0 && slotHashes[slot] != hash { slot = (slot + 1) & mask }
            next[word] = slotHeads[slot]
            slotHashes[slot] = hash
            slotHeads[slot] = Int32(word)
            word -= 1
        }
        self.starts = starts
        self.next = next
        self.slotHashes = slotHashes
        self.slotHeads = slotHeads
    }

    /// Calls `body` with the start of each occurrence of the word whose hash is `hash`, in text order (and of
    /// any other word with the same hash), until it returns true.
    func forEachStart(ofWordHashed hash: UInt64, _ body: (Int) -> Bool) {
        let mask = slotHeads.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slotHeads[slot] >= 0 {
            if slotHashes[slot] == hash {
                var word = Int(slotHeads[slot])
                while word >= 0 {
                    if body(Int(starts[word])) { return }
                    word = Int(next[word])
                }
                return
            }
            slot = (slot + 1) & mask
        }
    }

    /// The hash a word is filed under: FNV-1a over its scalars' values, mixed at the end so that the low bits
    /// the table uses depend on every scalar. `start` and `add` let the text's pass hash words as it folds.
    static let start: UInt64 = 0xCBF2_9CE4_8422_2325

    static func add(_ hash: UInt64, _ scalar: Unicode.Scalar) -> UInt64 {
        add(hash, scalar.value)
    }

    static func add(_ hash: UInt64, _ value: UInt32) -> UInt64 {
        (hash ^ UInt64(value)) &* 0x0000_0100_0000_01B3
    }

    static func finish(_ hash: UInt64) -> UInt64 {
        var h = hash
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        return h
    }
}
