import Loop
import HTTP1
import ResumeModel
/// `llm-sim`'s tokenizer: deterministic, cheap, and deliberately not "characters / 4", so a client that
/// budgets with a fixed ratio is wrong by 10–30 % on resumes and has to learn from `usage.prompt_tokens`.
///
/// Text is cut into pieces, each costing whole tokens:
/// - a single space before a non-space is part of the next piece (as in GPT byte-pair vocabularies);
/// - a run of letters costs 1 + (UTF-8 bytes − 1) / 5 — 1 token up to 5 ASCII letters, 2 up to 10, …;
///   accented and non-Latin letters cost more by their byte count; an all-capitals run of 4+ letters costs
///   1 + (bytes − 1) / 3 (headings like "EXPERIENCE" split badly in real vocabularies too);
/// - a run of ASCII digits costs one token per group of three ("2019" = 2, "5" = 1);
/// - a run of ASCII punctuation costs 1 + (length − 1) / 3, or 1 + (length − 1) / 8 when it repeats one
///   character ("-----", "....");
/// - any other symbol (bullets, dashes, emoji) costs 1 + (UTF-8 bytes − 1) / 3;
/// - a run of whitespace costs 1 + (length − 1) / 8.
///
/// Resume text comes out near 3.3 characters per token, prose near 4, JSON near 2.5.
public enum SimulatorTokenizer {
    /// Tokens of `text`.
    public static func count(_ text: String) -> Int {
        var total = 0
        forEachPiece(Array(text.unicodeScalars)) { _, cost in
            total += cost
            return true
        }
        return total
    }

    /// The longest prefix of `text` costing at most `maxTokens`, and its cost.
    public static func prefix(_ text: String, maxTokens: Int) -> (text: String, tokens: Int) {
        let scalars = Array(text.unicodeScalars)
        var end = 0
        var total = 0
        forEachPiece(scalars) { pieceEnd, cost in
            guard total + cost <= maxTokens else { return false }
            total += cost
            end = pieceEnd
            return true
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[..<end])
        return (String(view), total)
    }

    private enum Kind {
        case whitespace, letter, digit, punctuation, symbol
    }

    private static func kind(_ s: Unicode.Scalar) -> Kind {
        switch s.value {
        case 0x30...0x39: return .digit
        case 0x41...0x5A, 0x61...0x7A: return .letter
        case 0x09...0x0D, 0x20: return .whitespace
        case 0x21...0x7E: return .punctuation
        case 0x00...0x7F: return .whitespace  // other control characters
        default:
            if s.properties.isWhitespace { return .whitespace }
            if s.properties.isAlphabetic { return .letter }
            return .symbol
        }
    }

    /// Calls `body(end, cost)` for each piece of `s` in order (`end` is the index just past the piece);
    /// stops early when `body` returns false.
    static func forEachPiece(_ s: [Unicode.Scalar], _ body: (Int, Int) -> Bool) {
        let n = s.count
        var i = 0
        while i < n {
            // A single space joins the piece after it.
            if s[i] == " ", i + 1 < n, kind(s[i + 1]) != .whitespace { i += 1 }
            let cost: Int
            switch kind(s[i]) {
            case .whitespace:
                var j = i + 1
                while j < n, kind(s[j]) == .whitespace { j += 1 }
                // Leave a final single space to the word after the run.
                if j - i > 1, j < n, s[j - 1] == " " { j -= 1 }
                cost = 1 + (j - i - 1) / 8
                i = j
            case .letter:
                var bytes = 0
                var capitals = true
                var j = i
                while j < n, kind(s[j]) == .letter {
                    bytes += UTF8.width(s[j])
                    if capitals && !s[j].properties.isUppercase { capitals = false }
                    j += 1
                }
                cost = capitals && j - i >= 4 ? 1 + (bytes - 1) / 3 : 1 + (bytes - 1) / 5
                i = j
            case .digit:
                var j = i + 1
                while j < n, kind(s[j]) == .digit { j += 1 }
                cost = (j - i + 2) / 3
                i = j
            case .punctuation:
                var j = i + 1
                var same = true
                while j < n, kind(s[j]) == .punctuation {
                    if s[j] != s[i] { same = false }
                    j += 1
                }
                cost = 1 + (j - i - 1) / (same ? 8 : 3)
                i = j
            case .symbol:
                cost = 1 + (UTF8.width(s[i]) - 1) / 3
                i += 1
            }
            if !body(i, cost) { return }
        }
    }
}
