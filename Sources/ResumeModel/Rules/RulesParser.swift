/// The built-in rule-based resume parser: the `rules` provider, the default when no LLM is configured and
/// the floor an LLM must beat.
///
/// It reads the clean text the extraction pool produces (UTF-8, NFC, trimmed lines; two-column PDFs may
/// interleave columns; tables as tab-separated cells or antiword's `|cell |` rows) and fills the JSON Resume
/// fields it can recognise: contacts and links from the header, sections by their headings (English, German,
/// French, Spanish), date ranges in the usual formats, jobs, degrees, skills, languages, certificates and
/// projects. Pure, deterministic and fast (no regular expressions, no Foundation): a two-page resume takes
/// well under a millisecond.
///
/// Resume text is data: the parser only classifies and copies it; nothing in it is ever interpreted as an
/// instruction.
public struct RulesParser: Sendable {
    /// A parse: the resume and what the parser could not find or did not trust.
    public struct Result: Sendable, Equatable {
        public var resume: JSONResume
        /// Stable, human-readable notes, e.g. `no name found`, `work section without date ranges`.
        public var warnings: [String]
        /// How far the parser trusts each field, and whether the core ones are weak (``ParseConfidence``).
        public var confidence: ParseConfidence

        public init(resume: JSONResume, warnings: [String], confidence: ParseConfidence = ParseConfidence()) {
            self.resume = resume
            self.warnings = warnings
            self.confidence = confidence
        }
    }

    public init() {}

    public func parse(_ text: String) -> Result {
        var warnings: [String] = []
        let lines = TextLines.split(text)
        guard !lines.isEmpty else {
            return Result(resume: JSONResume(), warnings: ["empty text"])
        }
        let sections = Sections.split(lines)
        func body(_ kind: SectionKind) -> [TextLine] {
            sections.filter { $0.kind == kind }.flatMap(\.lines)
        }

        var resume = JSONResume()
        var basics = Basics.read(header: body(.header), contact: body(.contact), allLines: lines, text: text)
        basics.summary = ListSections.summary(body(.summary))
        resume.basics = basics

        if sections.count == 1 { warnings.append("no section headings recognised") }
        if basics.name == nil { warnings.append("no name found") }
        if basics.email == nil { warnings.append("no e-mail address found") }

        let workLines = body(.work)
        let work = WorkEntries.parse(workLines)
        if !work.isEmpty {
            resume.work = work
        } else if !workLines.isEmpty {
            warnings.append("work section without date ranges")
        }
        let education = EducationEntries.parse(body(.education))
        if !education.isEmpty { resume.education = education }

        let skillLines = body(.skills)
        var skills = ListSections.skills(skillLines)
        if skillLines.isEmpty {
            // No skills heading survived the layout: the vocabulary's skills named anywhere.
            let found = SkillVocabulary.find(in: text, prose: true)
            if !found.isEmpty {
                skills = [JSONResume.Skill(keywords: found)]
                warnings.append("no skills section; skills taken from the vocabulary")
            }
        }
        if !skills.isEmpty { resume.skills = skills }

        let languages = ListSections.languages(body(.languages))
        if !languages.isEmpty { resume.languages = languages }
        let certificates = ListSections.certificates(body(.certificates))
        if !certificates.isEmpty { resume.certificates = certificates }
        let projects = ListSections.projects(body(.projects))
        if !projects.isEmpty { resume.projects = projects }
        return Result(resume: resume, warnings: warnings, confidence: ParseConfidence.assess(
            resume, warnings: warnings, lines: lines, sections: sections, text: text))
    }
}
