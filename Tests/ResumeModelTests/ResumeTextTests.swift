import Testing
@testable import ResumeModel

@Suite("ResumeText: whole-word finds, their offsets, and the word index behind them")
struct ResumeTextTests {
    /// What `find` gives as "quote@start", or nil.
    static func found(_ phrase: String, in text: String) -> String? {
        let resume = ResumeText(text)
        return resume.find(phrase).map { "\(resume.quote($0))@\($0.lowerBound)" }
    }

    @Test("a word is not found inside a longer word, nor a letter before + or #")
    func wholeWords() {
        #expect(Self.found("Go", in: "Worked at Google") == nil)
        #expect(Self.found("Java", in: "JavaScript and TypeScript") == nil)
        #expect(Self.found("Script", in: "JavaScript") == nil)
        #expect(Self.found("C", in: "C++ and C#") == nil)
        #expect(Self.found("C", in: "C++ and C# and C.") == "C@15")
        #expect(Self.found("R", in: "R2D2, then R") == "R@11")
        #expect(Self.found("go", in: "GO-getter, Go") == "GO@0", "a hyphen ends a word")
    }

    @Test("skills spelt with punctuation: C++, C#, .NET, Node.js, CI/CD")
    func punctuation() {
        #expect(Self.found("C++", in: "Modern c++17 and C#") == "c++@7", "nothing is checked after a final +")
        #expect(Self.found("C#", in: "Basic, C#/.NET") == "C#@7")
        #expect(Self.found(".NET", in: "ASP.NET Core") == ".NET@3", "a phrase starting with . is found after a letter")
        #expect(Self.found(".net", in: ".NETwork") == nil)
        #expect(Self.found("Node.js", in: "APIs in NODE.JS 20") == "NODE.JS@8")
        #expect(Self.found("Node.js", in: "Node.jsx") == nil)
        #expect(Self.found("Node", in: "Node.js") == "Node@0")
        #expect(Self.found("CI/CD", in: "ci/cd pipelines") == "ci/cd@0")
        #expect(Self.found("CI/CD", in: "CI/CDs") == nil)
        #expect(Self.found("++", in: "C++") == "++@1", "a phrase without a letter or digit is still found")
        #expect(Self.found("Objective-C", in: "Objective-C++") == nil)
    }

    @Test("the first place the whole phrase stands, though its first word stands earlier")
    func phrases() {
        let text = "Machine vision; machine\nlearning; Machine  Learning; MACHINE LEARNING"
        #expect(Self.found("Machine Learning", in: text) == "MACHINE LEARNING@53",
                "spaces must match the text's: not across a line break or two spaces")
        #expect(Self.found("machine  learning", in: text) == "Machine  Learning@34")
        #expect(Self.found("Amazon Web Services", in: "Amazon Web, Amazon Web Services") == "Amazon Web Services@12")
        #expect(Self.found("Learning", in: "Learnings, learning") == "learning@11")
        #expect(Self.found("", in: "text") == nil)
        #expect(Self.found("longer than the text", in: "text") == nil)
        #expect(Self.found("text", in: "") == nil)
    }

    @Test("case is folded one scalar for one; offsets count scalars")
    func unicode() {
        #expect(Self.found("straße", in: "Hauptstraße, STRASSE, Straße") == "Straße@22")
        #expect(Self.found("ærø", in: "Tomás from ÆRØ") == "ÆRØ@11")
        #expect(Self.found("σοφια", in: "ΣΟΦΙΑ") == "ΣΟΦΙΑ@0")
        // İ lower-cases to two scalars, so it is kept as it is and only matches itself.
        #expect(Self.found("İstanbul", in: "istanbul, İSTANBUL") == "İSTANBUL@10")
        // A combining accent is not a letter: "Cafe" stands before it.
        #expect(Self.found("cafe", in: "Cafe\u{301} Uno") == "Cafe@0")
        #expect(Self.found("東京", in: "在東京工作") == nil, "CJK letters are word scalars, so no word is inside a run")
        #expect(Self.found("Go", in: "👩‍💻 Go") == "Go@4", "the emoji is three scalars, then a space")
    }

    @Test("folding skips the lower-case mapping only where it changes nothing, over all of Unicode")
    func foldShortcut() {
        var differ = 0
        for value in UInt32(0x80)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let lower = scalar.properties.lowercaseMapping.unicodeScalars
            let expected = lower.count == 1 ? lower.first! : scalar
            if ResumeText.fold(scalar) != expected { differ += 1 }
        }
        #expect(differ == 0)
    }

    @Test("the index finds what scanning finds, on varied texts and phrases")
    func indexAgreesWithScan() {
        var random = SplitMix64(seed: 15)
        let words = ["go", "google", "golang", "java", "javascript", "c", "c++", "c#", ".net", "asp.net", "node",
                     "node.js", "nodejs", "ci/cd", "ci", "cd", "machine", "learning", "k8s", "x2", "2019", "ærø",
                     "straße", "İstanbul", "σοφια", "東京", "cafe\u{301}", "r", "sql", "postgresql", "objective-c"]
        let separators = [" ", " ", " ", "\n", ", ", "/", ".", "+", "#", "-", "(", ") ", "  ", "\t", "·"]
        func randomCase(_ word: String) -> String {
            switch random.next(3) {
            case 0: return word
            case 1: return word.uppercased()
            default: return word.prefix(1).uppercased() + word.dropFirst()
            }
        }
        var compared = 0
        for _ in 0..<300 {
            var text = ""
            for _ in 0..<random.next(60) {
                text += randomCase(words[random.next(words.count)]) + separators[random.next(separators.count)]
            }
            let scalars = Array(text.unicodeScalars)
            var phrases = words + ["Machine Learning", "machine learning", "C++ and", "++", "#", " ", ".", "node.js,"]
            // Cuts of the text anywhere: partial words, punctuation at either end, several words.
            for _ in 0..<20 where !scalars.isEmpty {
                let start = random.next(scalars.count)
                let end = min(scalars.count, start + 1 + random.next(12))
                phrases.append(String(String.UnicodeScalarView(scalars[start..<end])))
            }
            let indexed = ResumeText(text)
            let unindexed = ResumeText(text, indexed: false)
            for phrase in phrases {
                let expected = indexed.scanFind(phrase)
                #expect(indexed.find(phrase) == expected, "\(phrase) in \(text)")
                #expect(unindexed.find(phrase) == expected, "\(phrase) in \(text)")
                compared += 1
            }
        }
        #expect(compared > 10_000)
    }

    @Test("words whose hashes collide, in a chain or in a slot, are each walked in text order")
    func collisions() {
        func starts(_ index: WordIndex, _ hash: UInt64) -> [Int] {
            var out: [Int] = []
            index.forEachStart(ofWordHashed: hash) { out.append($0); return false }
            return out
        }
        // 1 and 17 fall in the same slot of a 16-slot table; 7 is shared by three words.
        let index = WordIndex(starts: [0, 3, 8, 12, 20], hashes: [7, 1, 7, 17, 7])
        #expect(starts(index, 7) == [0, 8, 20])
        #expect(starts(index, 1) == [3])
        #expect(starts(index, 17) == [12])
        #expect(starts(index, 33).isEmpty)
        var first: Int?
        index.forEachStart(ofWordHashed: 7) { first = $0; return true }
        #expect(first == 0)
        #expect(starts(WordIndex(starts: [], hashes: []), 7).isEmpty)
    }

    @Test("the scorer gives the same score, reasons and offsets with the index or without")
    func scorerUnchanged() {
        let text = CandidateScorerTests.text + "\nAlso: ASP.NET, C#, C++, CI/CD on AWS; Google Cloud; machine learning."
        let jobs = [
            CandidateScorerTests.job,
            JobProfile(title: "Platform Engineer", requiredSkills: [".NET", "C#", "C++", "CI/CD", "Amazon Web Services"],
                       niceToHaveSkills: ["Google Cloud Platform", "Machine Learning", "Java", "C"], minimumYears: 3),
        ]
        for job in jobs {
            let fast = CandidateScorer.score(job: job, resume: CandidateScorerTests.resume,
                                             evidence: ResumeText(text), today: "2026-12")
            let slow = CandidateScorer.score(job: job, resume: CandidateScorerTests.resume,
                                             evidence: ResumeText(text, indexed: false), today: "2026-12")
            #expect(fast == slow)
            #expect(fast == CandidateScorer.score(job: job, resume: CandidateScorerTests.resume, text: text,
                                                  today: "2026-12"))
        }
    }
}

/// A small seeded generator, so a failing case can be replayed.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A number in `0..<bound`.
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(bound))
    }
}
