import Foundation
import HTTP1
import ResumeModel
import Sink

/// A job as `POST /api/v1/jobs` and `PATCH /api/v1/jobs/{id}` take it, checked field by field: a typo'd
/// field name is refused (`unknown_field`) rather than silently ignored, and a job without its text is refused
/// (`empty_job`) rather than scored against nothing.
public enum JobRequest {
    static let fields: Set<String> = ["title", "description", "required_skills", "nice_to_have_skills", "min_years",
                                      "education", "location"]
    static let maxSkills = 200
    static let maxSkillLength = 100
    static let maxTitleLength = 300
    /// The longest description, in characters (a job ad is a few thousand).
    public static let maxDescriptionLength = 1 << 20

    /// The fields of a JSON object body; `partial` for a change (every field optional, null clears the
    /// optional ones).
    public static func parse(_ body: [UInt8], partial: Bool) -> Result<JobFields, HTTPResponseFailure> {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return .failure(fail(400, "invalid_json", "the body must be a JSON object (Content-Type: application/json)"))
        }
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            return .failure(fail(400, "unknown_field",
                                 "unknown field '\(unknown)'; a job has \(fields.sorted().joined(separator: ", "))"))
        }
        var job = JobFields()
        func text(_ key: String, max: Int) -> Result<String?, HTTPResponseFailure> {
            guard let value = object[key], !(value is NSNull) else { return .success(nil) }
            guard let string = value as? String else { return .failure(fail(400, "invalid_parameter", "\(key) must be a string")) }
            // NUL is dropped as the database would drop it (it stores none), before emptiness is judged.
            let trimmed = string.replacingOccurrences(of: "\u{0}", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.count <= max else {
                return .failure(fail(400, "invalid_parameter", "\(key) is over \(max) characters"))
            }
            return .success(trimmed)
        }
        do throws(HTTPResponseFailure) {
            job.title = try text("title", max: maxTitleLength).get()
            job.description = try text("description", max: maxDescriptionLength).get()
            job.location = try text("location", max: 200).get()
            for (key, path) in [("required_skills", \JobFields.requiredSkills), ("nice_to_have_skills", \JobFields.niceSkills)] {
                guard let value = object[key], !(value is NSNull) else { continue }
                guard let list = value as? [Any], list.allSatisfy({ $0 is String }) else {
                    throw fail(400, "invalid_parameter", "\(key) must be an array of strings")
                }
                var seen = Set<String>()
                let skills = (list as! [String]).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                    .filter { !$0.isEmpty && seen.insert($0.lowercased()).inserted }
                guard skills.count <= maxSkills, skills.allSatisfy({ $0.count <= maxSkillLength }) else {
                    throw fail(400, "invalid_parameter",
                               "\(key) takes at most \(maxSkills) skills of \(maxSkillLength) characters each")
                }
                job[keyPath: path] = skills
            }
            if let value = object["min_years"] {
                if value is NSNull {
                    job.cleared.insert("min_years")
                } else if !isBoolean(value), let number = value as? NSNumber,
                          number.doubleValue.isFinite, (0...80).contains(number.doubleValue) {
                    job.minYears = number.doubleValue
                } else {
                    throw fail(400, "invalid_parameter", "min_years must be a number of years from 0 to 80")
                }
            }
            if let value = object["education"] {
                if value is NSNull {
                    job.cleared.insert("education")
                } else if let name = value as? String, EducationLevel.named(name) != nil {
                    job.education = name
                } else {
                    throw fail(400, "invalid_parameter",
                               "education must be one of \(EducationLevel.names.joined(separator: ", ")) or null")
                }
            }
            if object["location"] is NSNull { job.cleared.insert("location") }
            for key in ["title", "description"] where object[key] is NSNull {
                throw fail(400, "empty_job", "\(key) cannot be null: a job needs a title and a description")
            }
        } catch {
            return .failure(error)
        }
        if partial {
            if job.title == "" || job.description == "" {
                return .failure(fail(400, "empty_job", "a job's title and description cannot be emptied"))
            }
        } else if (job.title ?? "").isEmpty || (job.description ?? "").isEmpty {
            return .failure(fail(400, "empty_job",
                                 "a job needs a title and a description text (the text the candidates are scored against)"))
        }
        return .success(job)
    }

    /// What `POST /api/v1/jobs/{id}/score` takes: exactly one of `batch_id`, `document_ids` or `"all": true`,
    /// and an optional `callback_url`.
    public static func selection(_ body: [UInt8]) -> Result<(ScoringSelection, callbackURL: String?), HTTPResponseFailure> {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body.isEmpty ? Array("{}".utf8) : body)))
            as? [String: Any]
        else {
            return .failure(fail(400, "invalid_json", "the body must be a JSON object"))
        }
        if let unknown = object.keys.sorted().first(where: { !["batch_id", "document_ids", "all", "callback_url"].contains($0) }) {
            return .failure(fail(400, "unknown_field", "unknown field '\(unknown)'; give batch_id, document_ids or all"))
        }
        let callback = object["callback_url"] as? String
        if object["callback_url"] != nil, !(object["callback_url"] is NSNull), callback == nil {
            return .failure(fail(400, "invalid_parameter", "callback_url must be a string"))
        }
        var chosen: [ScoringSelection] = []
        if let batch = object["batch_id"] {
            guard let id = batch as? String else { return .failure(fail(400, "invalid_parameter", "batch_id must be a string")) }
            chosen.append(.batch(id))
        }
        if let ids = object["document_ids"] {
            guard let list = ids as? [Any], list.allSatisfy({ $0 is String }), !list.isEmpty, list.count <= 10_000 else {
                return .failure(fail(400, "invalid_parameter", "document_ids must be an array of 1 to 10000 ids"))
            }
            chosen.append(.documents(list as! [String]))
        }
        if let all = object["all"] {
            guard isBoolean(all), let flag = all as? Bool, flag else {
                return .failure(fail(400, "invalid_parameter", "all must be true when given"))
            }
            chosen.append(.allParsed)
        }
        guard chosen.count == 1 else {
            return .failure(fail(400, "invalid_parameter",
                                 "give exactly one of batch_id, document_ids or \"all\": true"))
        }
        return .success((chosen[0], callback))
    }

    /// Whether a value JSONSerialization read is `true` or `false` (a number 1 or 0 casts to `Bool` too; the
    /// boolean's own class tells them apart, on Linux as on Darwin).
    static func isBoolean(_ value: Any) -> Bool {
        type(of: value) == type(of: NSNumber(value: true))
    }

    static func fail(_ status: Int, _ code: String, _ message: String) -> HTTPResponseFailure {
        HTTPResponseFailure(.error(status, code: code, message: message))
    }
}
