/// Contact details: e-mail addresses, phone numbers, links and profiles, hand-scanned (no regular
/// expressions) so a resume costs microseconds.
package enum Contacts {
    // MARK: E-mail

    /// E-mail addresses in `text`, in order.
    package static func emails(in text: String) -> [String] {
        let chars = Array(text)
        var result: [String] = []
        var i = 0
        while i < chars.count {
            guard chars[i] == "@" else {
                i += 1
                continue
            }
            var start = i
            while start > 0, isLocalPart(chars[start - 1]) { start -= 1 }
            var end = i + 1
            while end < chars.count, isDomainPart(chars[end]) { end += 1 }
            while end > i + 1, chars[end - 1] == "." || chars[end - 1] == "-" { end -= 1 }
            while start < i, chars[start] == "." { start += 1 }
            if start < i, end > i + 1 {
                let domain = String(chars[(i + 1)..<end])
                if let dot = domain.lastIndex(of: "."), domain[domain.index(after: dot)...].count >= 2,
                   domain[domain.index(after: dot)...].allSatisfy(\.isLetterFast), !domain.hasPrefix(".") {
                    result.append(String(chars[start..<end]))
                }
            }
            i = end
        }
        return result
    }

    private static func isLocalPart(_ c: Character) -> Bool {
        (c.isASCII && (c.isLetterFast || c.isNumberFast)) || "._%+-'".contains(c)
    }

    private static func isDomainPart(_ c: Character) -> Bool {
        (c.isASCII && (c.isLetterFast || c.isNumberFast)) || c == "." || c == "-"
    }

    // MARK: Phone

    /// Phone numbers in `text`: `+44 7040 788647`, `(404) 555-0194`, `07150 766001`, `+49 (0)171 1234567`,
    /// `0171/1234567`, `06 24 82 65 54`, `312.555.0148`. 8 to 15 digits; date ranges are not phones.
    package static func phones(in text: String) -> [String] {
        let chars = Array(text)
        var result: [String] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            let startsHere = (c == "+" || c == "(" || c.isASCIIDigit)
                && (i == 0 || !(chars[i - 1].isLetterFast || chars[i - 1].isNumberFast || chars[i - 1] == "/"
                    || chars[i - 1] == "-" || chars[i - 1] == "." || chars[i - 1] == "_" || chars[i - 1] == "="))
            guard startsHere else {
                i += 1
                continue
            }
            var end = i
            var digits = 0
            var lastDigitEnd = i
            var spaces = 0
            while end < chars.count {
                let d = chars[end]
                if d.isASCIIDigit {
                    digits += 1
                    lastDigitEnd = end + 1
                    spaces = 0
                } else if d == " " || d == "\u{00A0}" {
                    spaces += 1
                    if spaces > 1 { break }
                } else if d == "\n", chars[i] == "+", digits <= 3, spaces == 0 {
                    // "+91" at the end of a line, the number on the next.
                    spaces += 1
                } else if "-.()/".contains(d) || (d == "+" && end == i) {
                    spaces = 0
                } else {
                    break
                }
                end += 1
            }
            let candidate = String(chars[i..<lastDigitEnd]).replacingAll("\n", with: " ").trimmed
            let followedByLetter = lastDigitEnd < chars.count && chars[lastDigitEnd].isLetterFast
            if (8...15).contains(digits), !followedByLetter, plausiblePhone(candidate) {
                // A "(" opening the match needs its ")" to be part of it.
                var phone = candidate
                if phone.hasPrefix("(") && !phone.contains(Character(")")) { phone.removeFirst() }
                result.append(phone.trimmed)
            }
            i = max(end, i + 1)
        }
        return result
    }

    private static func plausiblePhone(_ candidate: String) -> Bool {
        // "01/2019 - 03/2021", "2019-01 - 2021-03", "2018 2020": dates, not phones.
        let spans = DateScanner.scan(candidate)
        if spans.contains(where: { $0.isRange || $0.start?.month != nil }) { return false }
        let groups = candidate.split(whereSeparator: { !$0.isASCIIDigit })
        if groups.count >= 2, groups.allSatisfy({ $0.count == 4 && DateScanner.plausibleYear(Int($0) ?? 0) != nil }) {
            return false
        }
        // Opening with a lone "(" that never closes, or a long run like a timestamp, is not a phone.
        return candidate.count(ascii: 0x28) == candidate.count(ascii: 0x29)
            || candidate.hasPrefix("(")
    }

    // MARK: Links

    /// A link found in the text.
    package struct Link: Equatable {
        package var url: String
        package var network: String?
        package var username: String?
    }

    /// Links in `lines`: `https://…`, `http://…`, `www.…`, and bare `linkedin.com/in/…`-style profile links.
    /// A link a PDF wrapped at `/` or `-` is joined with the next line's first word.
    package static func links(in lines: [String]) -> [Link] {
        var result: [Link] = []
        var seen: Set<String> = []
        for (index, line) in lines.enumerated() where line.has(ascii: 0x2F) || line.has("www.") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "|" })
            for (w, word) in words.enumerated()
            where word.count >= 5 && word.contains(where: { $0 == "." || $0 == "/" }) {
                var token = String(word).trimmed(["(", ")", "<", ">", ",", ";", "\"", "'", "[", "]", "·", "•"])
                let lower = token.lowercased()
                let isLink = lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("www.")
                    || knownHost(lower) != nil
                guard isLink, !token.contains(Character("@")) || lower.has("/@") || lower.hasPrefix("http") else {
                    continue
                }
                // A bare scheme or a profile prefix without a user ("https://www.linkedin.com/in/") was cut
                // by the layout even when the other column's text follows it on the line.
                let bare = lower == "https://" || lower == "http://"
                    || (knownHost(lower) != nil && profile(token).username == nil)
                if w == words.count - 1 || bare, index + 1 < lines.count {
                    let nextWords = lines[index + 1].split(separator: " ")
                    let next = nextWords.first.map(String.init) ?? ""
                    let urlish = !next.isEmpty
                        && next.allSatisfy { $0.isASCII && ($0.isLetterFast || $0.isNumberFast || "-_./".contains($0)) }
                    // Cut at "/" or "-", or a link filling its line with a lone lower-case piece after it.
                    let cut = token.hasSuffix("/") || token.hasSuffix("-") || token.hasSuffix("_")
                        || (words.count == 1 && nextWords.count == 1 && !next.contains(where: \.isUppercaseFast)
                            && !next.contains(Character(".")) && next.contains(where: \.isLetterFast))
                    if urlish, cut { token += next }
                }
                while let last = token.last, ".,;:".contains(last) { token.removeLast() }
                guard token.count > 8 || token.contains(Character("/")) else { continue }
                let key = normalizedURL(token)
                guard seen.insert(key).inserted else { continue }
                result.append(profile(token))
            }
        }
        return result
    }

    /// The URL without scheme, `www.`, trailing slash, in lower case: the form links are compared in.
    package static func normalizedURL(_ url: String) -> String {
        var text = url.trimmed.lowercased()
        for prefix in ["https://", "http://"] where text.hasPrefix(prefix) { text.removeFirst(prefix.count) }
        if text.hasPrefix("www.") { text.removeFirst(4) }
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    package static func profile(_ url: String) -> Link {
        let lower = normalizedURL(url)
        guard let network = knownHost(lower) else { return Link(url: url) }
        let path = lower.split(separator: "/").dropFirst()
            .map { String($0) }
            .filter { !["in", "pub", "users", "u", "profile", "company", "user", "people"].contains($0) }
        // Stack Overflow's "users/123/name": the name, not the number.
        var username = path.last(where: { !$0.allSatisfy(\.isNumberFast) }) ?? path.last
        if let name = username, name.hasPrefix("@") { username = String(name.dropFirst()) }
        if let name = username, let query = name.firstIndex(of: "?") { username = String(name[..<query]) }
        // Keep the username as written (case), from the original URL.
        if let name = username,
           let written = url.split(whereSeparator: { $0 == "/" || $0 == "?" }).last(where: {
               let part = $0.lowercased()
               return part == name || part == "@" + name
           }) {
            username = written.hasPrefix("@") ? String(written.dropFirst()) : String(written)
        }
        return Link(url: url, network: network, username: username)
    }

    package static func knownHost(_ lowerURL: String) -> String? {
        var host = lowerURL
        for prefix in ["https://", "http://"] where host.hasPrefix(prefix) { host.removeFirst(prefix.count) }
        if host.hasPrefix("www.") { host.removeFirst(4) }
        let hostOnly = host.split(separator: "/", maxSplits: 1).first.map(String.init) ?? host
        guard host.contains(Character("/")) else { return nil }
        for (domain, network) in networks where hostOnly == domain || hostOnly.hasSuffix("." + domain) {
            return network
        }
        return nil
    }

    package static let networks: [(String, String)] = [
        ("linkedin.com", "LinkedIn"), ("github.com", "GitHub"), ("gitlab.com", "GitLab"),
        ("bitbucket.org", "Bitbucket"), ("twitter.com", "Twitter"), ("x.com", "X"), ("behance.net", "Behance"),
        ("dribbble.com", "Dribbble"), ("stackoverflow.com", "Stack Overflow"), ("kaggle.com", "Kaggle"),
        ("medium.com", "Medium"), ("xing.com", "XING"), ("researchgate.net", "ResearchGate"), ("orcid.org", "ORCID"),
        ("scholar.google.com", "Google Scholar"), ("instagram.com", "Instagram"), ("facebook.com", "Facebook"),
        ("youtube.com", "YouTube"), ("codepen.io", "CodePen"), ("leetcode.com", "LeetCode"),
        ("hackerrank.com", "HackerRank"), ("dev.to", "DEV"), ("wellfound.com", "Wellfound"), ("angel.co", "AngelList"),
        ("huggingface.co", "Hugging Face"), ("mastodon.social", "Mastodon"), ("vimeo.com", "Vimeo"),
        ("artstation.com", "ArtStation"), ("deviantart.com", "DeviantArt"), ("substack.com", "Substack"),
    ]
}

extension Character {
    package var isASCIIDigit: Bool { isASCII && isNumber }
}
