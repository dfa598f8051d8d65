/// The score a candidate should get, computed from the true JSON Resume instead of the parsed one and the text:
/// the ranking the scoring benchmark holds ``CandidateScorer`` to.
///
/// It uses ``CandidateScorer/weights`` and the same criteria, each read from the record's own fields:
/// - **skills** (required, nice-to-have): the share of the job's skills the record's `skills[].keywords` list,
///   compared folded (``TextFold/key(_:)``), any of the skill's spellings (``SkillSynonyms``) counting. A skill
///   named only in a job's highlights or the summary does not count here, though the scorer finds it in the text;
/// - **experience**: the calendar months covered by at least one dated job (a job without an end runs to
///   `today`), ÷ 12, against the years asked for (1 when none are asked and a job is dated, 0 when none is);
/// - **title**: the largest share of the job title's words (folded, without ``CandidateScorer/titleStopWords``)
///   found among one position's words or the headline's;
/// - **education**: the highest ``EducationLevel`` of a degree's type or field, 1 at or above the level asked
///   (bachelor's when none is), else its share of it; 0 without a degree.
///
/// A criterion the job leaves empty drops out, as in the scorer. It is written plainly and apart from the
/// scorer (months as a set, words by ``TextFold/words(_:)``), so that agreeing with it is not agreeing with
/// the scorer's own code.
package enum GroundTruthScore {
    /// 0–100, not rounded (ranks then tie only where the record really does).
    package static func score(job: JobProfile, truth: JSONResume, today: String) -> Double {
        var sub: [String: Double] = [:]

        let keywords = Set((truth.skills ?? []).flatMap { $0.keywords ?? [] }.map { TextFold.key($0) })
        func share(_ skills: [String]) -> Double {
            let held = skills.filter { skill in
                SkillSynonyms.spellings(of: skill).contains { keywords.contains(TextFold.key($0)) }
            }
            return Double(held.count) / Double(skills.count)
        }
        if !job.requiredSkills.isEmpty { sub["required_skills"] = share(job.requiredSkills) }
        if !job.niceToHaveSkills.isEmpty { sub["nice_skills"] = share(job.niceToHaveSkills) }

        var months: Set<Int> = []
        for work in truth.work ?? [] {
            guard let start = monthNumber(work.startDate) else { continue }
            let end = monthNumber(work.endDate) ?? monthNumber(today) ?? start
            if end >= start { months.formUnion(start...end) }
        }
        let datedJob = (truth.work ?? []).contains { monthNumber($0.startDate) != nil }
        let years = Double(months.count) / 12
        if let asked = job.minimumYears, asked > 0 {
            sub["experience"] = min(1, years / asked)
        } else {
            sub["experience"] = datedJob ? 1 : 0
        }

        let titleWords = Set(TextFold.words(job.title)).subtracting(CandidateScorer.titleStopWords)
        if !titleWords.isEmpty {
            let held = (truth.work ?? []).compactMap(\.position) + [truth.basics?.label].compactMap { $0 }
            let best = held.map { Double(titleWords.intersection(TextFold.words($0)).count) }.max() ?? 0
            sub["title"] = best / Double(titleWords.count)
        }

        let levels = (truth.education ?? []).compactMap {
            EducationLevel.of($0.studyType ?? "") ?? EducationLevel.of($0.area ?? "")
        }
        if let top = levels.max() {
            let asked = job.education ?? .bachelor
            sub["education"] = top >= asked ? 1 : Double(top.rawValue) / Double(asked.rawValue)
        } else {
            sub["education"] = 0
        }

        var total = 0.0
        var weighted = 0.0
        for (criterion, weight) in CandidateScorer.weights {
            guard let value = sub[criterion] else { continue }
            total += weight
            weighted += weight * value
        }
        return total > 0 ? 100 * weighted / total : 0
    }

    /// "2019-03" → 2019 × 12 + 2; "2019" → January; nil for anything else.
    static func monthNumber(_ date: String?) -> Int? {
        guard let date else { return nil }
        let parts = date.split(separator: "-")
        guard let year = parts.first.flatMap({ Int($0) }), parts[0].count == 4 else { return nil }
        let month = parts.count > 1 ? Int(parts[1]) ?? 1 : 1
        return year * 12 + ((1...12).contains(month) ? month - 1 : 0)
    }
}
