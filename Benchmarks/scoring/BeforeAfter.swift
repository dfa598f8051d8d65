// The built-in scorer before and after a change, timed in one process: both versions of the ResumeModel sources
// are compiled as separate modules (Before, After) and score the same candidates for the same jobs, alternating,
// so load on the machine falls on both alike. before-after.sh builds and runs it.
//
// Input: a folder of `resume-ingest score-rules --dump` files (text and parsed resume per document).
// Arguments: FOLDER [REPEAT]: REPEAT > 1 scores each text repeated that many times (the parse stays the same).
import After
import Before
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// CPU time of this thread in microseconds.
func threadMicroseconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Double(now.tv_sec) * 1e6 + Double(now.tv_nsec) / 1e3
}

let arguments = CommandLine.arguments.dropFirst()
guard let folder = arguments.first else {
    FileHandle.standardError.write(Data("usage: before-after FOLDER [REPEAT]\n".utf8))
    exit(64)
}
let repeated = arguments.dropFirst().first.flatMap { Int($0) } ?? 1

var texts: [String] = []
var parsedBefore: [Before.JSONResume] = []
var parsedAfter: [After.JSONResume] = []
for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() where name.hasSuffix(".json") {
    guard let data = FileManager.default.contents(atPath: folder + "/" + name),
          let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
          let text = object["text"] as? String, let parsed = object["parsed"] else { continue }
    texts.append(Array(repeating: text, count: repeated).joined(separator: "\n\n"))
    let json = try JSONSerialization.data(withJSONObject: parsed)
    parsedBefore.append(try JSONDecoder().decode(Before.JSONResume.self, from: json))
    parsedAfter.append(try JSONDecoder().decode(After.JSONResume.self, from: json))
}
guard !texts.isEmpty else {
    FileHandle.standardError.write(Data("no dumped documents in \(folder)\n".utf8))
    exit(65)
}

// Three jobs of different trades; skills with synonyms and punctuation among them.
let specs: [(title: String, required: [String], nice: [String], years: Double?)] = [
    ("Software Engineer", ["Python", "Go", "PostgreSQL", "JavaScript", "React"], ["Kubernetes", "AWS", "C++"], 5),
    ("Operations Manager", ["Jira", "MS Project", "Stakeholder management", "Machine Learning"], ["Excel"], 3),
    ("Marketing Coordinator", ["A/B testing", "SEM", "Market research", "Social media"], ["Canva", "SEO"], 1),
]
let jobsBefore = specs.map {
    Before.JobProfile(title: $0.title, requiredSkills: $0.required, niceToHaveSkills: $0.nice, minimumYears: $0.years)
}
let jobsAfter = specs.map {
    After.JobProfile(title: $0.title, requiredSkills: $0.required, niceToHaveSkills: $0.nice, minimumYears: $0.years)
}

var before: [Double] = []
var after: [Double] = []
var differ = 0
for _ in 0..<7 {
    var start = threadMicroseconds()
    var scores: [Int] = []
    for job in jobsBefore {
        for (text, resume) in zip(texts, parsedBefore) {
            scores.append(Before.CandidateScorer.score(job: job, resume: resume, text: text, today: "2025-06").score)
        }
    }
    before.append(threadMicroseconds() - start)
    start = threadMicroseconds()
    var index = 0
    for job in jobsAfter {
        for (text, resume) in zip(texts, parsedAfter) {
            if After.CandidateScorer.score(job: job, resume: resume, text: text, today: "2025-06").score != scores[index] {
                differ += 1
            }
            index += 1
        }
    }
    after.append(threadMicroseconds() - start)
}
let scored = Double(specs.count * texts.count)
let characters = texts.reduce(0) { $0 + $1.unicodeScalars.count } / texts.count
let (b, a) = (before.min()! / scored, after.min()! / scored)
print(String(format: "%d candidates × %d jobs, mean %d characters: before %.1f µs (%.0f/s), after %.1f µs (%.0f/s), "
                 + "%.2f× (fastest of 7 alternating runs, CPU time of one thread); scores that differ: %d",
             texts.count, specs.count, characters, b, 1e6 / b, a, 1e6 / a, b / a, differ))
