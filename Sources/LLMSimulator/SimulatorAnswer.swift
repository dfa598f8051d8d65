import HTTP1
import ResumeModel
import Foundation
import Loop

/// The content `llm-sim` answers with, and the `chat.completion` object around it.
enum SimulatorAnswer {
    /// The answer to the resumes in `userText`, in the shape `response_format` asks for. When the instructions
    /// (`systemText`) ask for line numbers instead of long text (``PromptFormat``), the answer names the lines,
    /// as a model that follows them does; otherwise it copies the text.
    /// Resumes an answer leaves out (fault injection).
    enum Omission: Equatable {
        case none, last, all
    }

    static func content(userText: String, systemText: String = "", format: SimulatorChatRequest.ResponseFormat,
                        omission: Omission = .none) -> String
    {
        let documents = PromptFormat.documents(inUserMessage: userText)
        if documents.isEmpty, !userText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return render(singleResume(userText), format: format)
        }
        // A strict schema holds the model to its keys ("Structured Outputs only supports generating specified
        // keys / values", OpenAI structured outputs guide): without "highlightLines" in it there is no way to
        // point at lines, so the model writes the text out.
        var pointing = systemText.contains("\"highlightLines\"")
        if case .jsonSchema(_, let schemaText, true) = format, !schemaText.contains("\"highlightLines\"") {
            pointing = false
        }
        let encoder = JSONEncoder()
        var results: [[String: Any]] = []
        for document in documents {
            let text = PromptFormat.unnumbered(document.text)
            let (resume, injection) = SimulatorExtractor.extract(text)
            let data = (try? encoder.encode(resume)) ?? Data("{}".utf8)
            var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            if pointing { object = pointLines(object, lines: PromptFormat.lines(of: text)) }
            results.append(["id": document.id, "resume": object, "injection_suspected": injection])
        }
        switch omission {
        case .none: break
        case .last: results.removeLast(min(1, results.count))
        case .all: results = []
        }
        return render(["results": results], format: format)
    }

    /// `resume` with its highlights and summaries replaced by the numbers of the lines that hold them (text
    /// that cannot be found line for line stays copied, as a model would leave it).
    static func pointLines(_ resume: [String: Any], lines: [Substring]) -> [String: Any] {
        var resume = resume
        // Each line reduced to what the extractor keeps of it: trimmed, without its bullet.
        let bodies: [String] = lines.map { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return TextLines.bulletBody(trimmed) ?? trimmed
        }
        var cursor = 0
        /// The lines holding `pieces` in order, from `cursor` on: [first, last] (numbered from 1).
        func locate(_ pieces: [String]) -> [Int]? {
            var first: Int?
            var index = cursor
            for piece in pieces {
                guard let found = bodies[index...].firstIndex(where: { $0 == piece || $0.hasSuffix(piece) }) else {
                    return nil
                }
                first = first ?? found
                index = found + 1
            }
            guard let first else { return nil }
            cursor = index
            return [first + 1, index]
        }
        if var basics = resume["basics"] as? [String: Any], let summary = basics["summary"] as? String {
            let saved = cursor
            if let range = locateParagraph(summary, bodies: bodies) {
                basics["summary"] = nil
                basics["summaryLines"] = range
                resume["basics"] = basics
            }
            cursor = saved
        }
        if var work = resume["work"] as? [[String: Any]] {
            for index in work.indices {
                guard let highlights = work[index]["highlights"] as? [String], !highlights.isEmpty,
                      let range = locate(highlights) else { continue }
                work[index]["highlights"] = nil
                work[index]["highlightLines"] = range
            }
            resume["work"] = work
        }
        return resume
    }

    /// The lines a paragraph was joined from (one line after another, with spaces): [first, last].
    private static func locateParagraph(_ paragraph: String, bodies: [String]) -> [Int]? {
        for start in bodies.indices where !bodies[start].isEmpty && paragraph.hasPrefix(bodies[start]) {
            var joined = bodies[start]
            var end = start
            while joined.count < paragraph.count, end + 1 < bodies.count {
                end += 1
                joined += " " + bodies[end]
            }
            if joined == paragraph { return [start + 1, end + 1] }
        }
        return nil
    }

    /// The flat object a one-resume prompt asks for (the keys prompts of "one request per resume" services
    /// name: name, email, phone, location, summary, skills, experience, education, links; `null` for what the
    /// text does not say), from the same extraction as coalesced answers, so the two ways of asking get
    /// answers of comparable length for the same resume.
    static func singleResume(_ text: String) -> [String: Any] {
        let (resume, _) = SimulatorExtractor.extract(text)
        let basics = resume.basics
        func value(_ string: String?) -> Any { string.map { $0 as Any } ?? NSNull() }
        let location = [basics?.location?.city, basics?.location?.region].compactMap { $0 }.joined(separator: ", ")
        let experience: [[String: Any]] = (resume.work ?? []).map { job in
            ["title": value(job.position), "company": value(job.name), "start": value(job.startDate),
             "end": value(job.endDate), "description": value(job.highlights.map { $0.joined(separator: " ") })]
        }
        let education: [[String: Any]] = (resume.education ?? []).map { entry in
            let degree = [entry.studyType, entry.area].compactMap { $0 }.joined(separator: " in ")
            return ["degree": degree.isEmpty ? NSNull() : degree, "institution": value(entry.institution),
                    "year": value(entry.endDate.map { String($0.prefix(4)) })]
        }
        let links = (basics?.profiles ?? []).compactMap(\.url) + [basics?.url].compactMap { $0 }
        return [
            "name": value(basics?.name), "email": value(basics?.email), "phone": value(basics?.phone),
            "location": location.isEmpty ? NSNull() : location, "summary": value(basics?.summary),
            "skills": (resume.skills ?? []).flatMap { [$0.name].compactMap { $0 } + ($0.keywords ?? []) },
            "experience": experience,
            "education": education, "links": links,
        ]
    }

    /// `root` as the content of a message, in the shape `format` asks for.
    private static func render(_ value: Any, format: SimulatorChatRequest.ResponseFormat) -> String {
        var root = value
        if case .jsonSchema(let schema, _, true) = format { root = fillNulls(root, schema: schema) }
        let data = (try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        let json = String(decoding: data, as: UTF8.self)
        switch format {
        case .text:
            // Without a response format a chat model wraps JSON in a Markdown fence.
            return "```json\n" + json + "\n```"
        case .jsonObject, .jsonSchema:
            return json
        }
    }

    /// Strict structured outputs answer every property of the schema, absent values as `null`, and nothing
    /// else where the schema says `additionalProperties: false`. Source: OpenAI's structured outputs guide,
    /// "Supported schemas", sections "All fields must be `required`" (an optional field is emulated with a union
    /// type with `null`, as ``PromptFormat/answerSchema`` does) and "`additionalProperties: false` must always be
    /// set in objects".
    static func fillNulls(_ value: Any, schema: [String: Any]) -> Any {
        if var object = value as? [String: Any], let properties = schema["properties"] as? [String: Any] {
            if schema["additionalProperties"] as? Bool == false {
                object = object.filter { properties[$0.key] != nil }
            }
            for (key, sub) in properties {
                guard let sub = sub as? [String: Any] else { continue }
                object[key] = object[key].map { fillNulls($0, schema: sub) } ?? NSNull()
            }
            return object
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            return array.map { fillNulls($0, schema: items) }
        }
        return value
    }

    /// Content that is not JSON, the way models fail: chatter before the JSON, a refusal, an answer cut short.
    static func garbage(variant: Double, userText: String) -> String {
        let ids = PromptFormat.documents(inUserMessage: userText).map(\.id)
        switch variant {
        case ..<0.34:
            return "Sure! Here are the parsed resumes in JSON format:\n\n{\"results\": [{\"id\": "
                + "\"\(ids.first ?? "1")\", \"resume\": {\"basics\": {\"name\": "
        case ..<0.67:
            return "I'm sorry, but I can't help with that request."
        default:
            return "{'results': [" + ids.map { "{'id': '\($0)', 'resume': {}, 'injection_suspected': False}" }
                .joined(separator: ", ") + "]}"
        }
    }

    /// OpenAI's `chat.completion` object.
    static func completion(id: String, created: Int, model: String, content: String, finishReason: String,
                           promptTokens: Int, completionTokens: Int, cachedTokens: Int) -> [UInt8] {
        var message = JSONText.Object()
        message.string("role", "assistant")
        message.string("content", content)
        message.string("refusal", nil)
        message.raw("annotations", Array("[]".utf8))
        var choice = JSONText.Object()
        choice.int("index", 0)
        choice.object("message", message)
        choice.raw("logprobs", Array("null".utf8))
        choice.string("finish_reason", finishReason)
        var promptDetails = JSONText.Object()
        promptDetails.int("cached_tokens", cachedTokens)
        promptDetails.int("audio_tokens", 0)
        var completionDetails = JSONText.Object()
        completionDetails.int("reasoning_tokens", 0)
        completionDetails.int("audio_tokens", 0)
        completionDetails.int("accepted_prediction_tokens", 0)
        completionDetails.int("rejected_prediction_tokens", 0)
        var usage = JSONText.Object()
        usage.int("prompt_tokens", promptTokens)
        usage.int("completion_tokens", completionTokens)
        usage.int("total_tokens", promptTokens + completionTokens)
        usage.object("prompt_tokens_details", promptDetails)
        usage.object("completion_tokens_details", completionDetails)
        var root = JSONText.Object()
        root.string("id", id)
        root.string("object", "chat.completion")
        root.int("created", created)
        root.string("model", model)
        root.array("choices", [choice])
        root.object("usage", usage)
        root.string("service_tier", "default")
        root.string("system_fingerprint", "fp_llmsim")
        return root.finished() + [0x0A]
    }
}
