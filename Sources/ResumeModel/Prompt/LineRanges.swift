import Foundation

/// The line ranges an answer gives instead of copying a resume's long text (``PromptFormat``): per job the
/// highlights and summary, the profile summary, per project the description. Read from the same `resume` object
/// as the JSON Resume (its arrays line up with `work` and `projects`), then filled in from the lines sent.
public struct LineRanges: Decodable, Sendable, Equatable {
    /// Lines `first...last` of a resume, numbered from 1. Models write `[first, last]`, `[line]`, `line` or
    /// `"first-last"`; all are read.
    public struct Range: Decodable, Sendable, Equatable {
        public var first: Int
        public var last: Int

        public init(first: Int, last: Int) {
            self.first = first
            self.last = last
        }

        public init(from decoder: any Decoder) throws {
            let single = try decoder.singleValueContainer()
            if let numbers = try? single.decode([Int].self), (1...2).contains(numbers.count) {
                (first, last) = (numbers[0], numbers[numbers.count - 1])
            } else if let number = try? single.decode(Int.self) {
                (first, last) = (number, number)
            } else if let text = try? single.decode(String.self) {
                let parts = text.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard (1...2).contains(parts.count), let a = parts.first!, let b = parts.last! else {
                    throw DecodingError.dataCorruptedError(in: single, debugDescription:
                        "a line range is [first, last], not \"\(text)\"")
                }
                (first, last) = (a, b)
            } else {
                throw DecodingError.dataCorruptedError(in: single, debugDescription:
                    "a line range is [first, last] (line numbers)")
            }
        }
    }

    struct Basics: Decodable, Sendable, Equatable {
        var summaryLines: Range?
    }

    struct Work: Decodable, Sendable, Equatable {
        var highlightLines: Range?
        var summaryLines: Range?
    }

    struct Project: Decodable, Sendable, Equatable {
        var descriptionLines: Range?
    }

    var basics: Basics?
    var work: [Work]?
    var projects: [Project]?

    /// The most lines one range may span (a resume's whole text is rarely a single field).
    public static let longestRange = 400

    /// Fills the fields of `resume` the ranges name from `lines` (the resume's lines as numbered), unless the
    /// answer wrote the text itself. Throws when a range is not within the resume.
    public func apply(to resume: inout JSONResume, lines: [Substring]) throws(PromptFormat.InvalidAnswer) {
        if let range = basics?.summaryLines, resume.basics?.summary == nil {
            let text = try Self.paragraph(range, lines, at: "basics.summaryLines")
            if !text.isEmpty {
                if resume.basics == nil { resume.basics = JSONResume.Basics() }
                resume.basics?.summary = text
            }
        }
        if let work, resume.work != nil {
            for (index, refs) in work.enumerated() where index < resume.work!.count {
                if let range = refs.highlightLines, resume.work![index].highlights?.isEmpty ?? true {
                    let items = try Self.items(range, lines, at: "work.\(index).highlightLines")
                    if !items.isEmpty { resume.work![index].highlights = items }
                }
                if let range = refs.summaryLines, resume.work![index].summary == nil {
                    let text = try Self.paragraph(range, lines, at: "work.\(index).summaryLines")
                    if !text.isEmpty { resume.work![index].summary = text }
                }
            }
        }
        if let projects, resume.projects != nil {
            for (index, refs) in projects.enumerated() where index < resume.projects!.count {
                if let range = refs.descriptionLines, resume.projects![index].description == nil {
                    let text = try Self.paragraph(range, lines, at: "projects.\(index).descriptionLines")
                    if !text.isEmpty { resume.projects![index].description = text }
                }
            }
        }
    }

    /// The lines of `range`, trimmed, without bullet marks, blank ones left out.
    static func items(_ range: Range, _ lines: [Substring], at path: String) throws(PromptFormat.InvalidAnswer)
        -> [String]
    {
        guard range.first >= 1, range.first <= range.last, range.last <= lines.count,
              range.last - range.first < longestRange
        else {
            throw PromptFormat.InvalidAnswer(message: "\(path): lines \(range.first)-\(range.last) are not "
                                                + "within the resume's \(lines.count) lines")
        }
        return lines[(range.first - 1)...(range.last - 1)].compactMap { line in
            let trimmed = line.trimmed
            guard !trimmed.isEmpty else { return nil }
            let body = TextLines.bulletBody(trimmed) ?? trimmed
            return body.isEmpty ? nil : body
        }
    }

    /// The lines of `range` as one paragraph.
    static func paragraph(_ range: Range, _ lines: [Substring], at path: String) throws(PromptFormat.InvalidAnswer)
        -> String
    {
        try items(range, lines, at: path).joined(separator: " ")
    }
}
