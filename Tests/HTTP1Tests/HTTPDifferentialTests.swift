import Foundation
import Testing
import TestSupport

@testable import HTTP1

/// Differential test: the parser against h11 (the Python HTTP/1.1 library), run once over a corpus of
/// hand-written streams and seeded random mutations of valid ones.
///
/// Verdicts must agree: the same completed requests (method, target, version, headers as sent, body), and both
/// accepting the whole stream or both refusing it (an error or an incomplete message). Where they differ, the
/// difference must be one of the intentional divergences in `divergences`, each checked by a predicate on the
/// input or on what h11 parsed — never by case name — so a mutation cannot hide a real bug behind one.
@Suite("HTTP differential vs h11")
struct HTTPDifferentialTests {
    // MARK: Intentional divergences

    /// A rule where this parser is deliberately stricter (or h11 stricter) than the other.
    struct Divergence: Sendable {
        var name: String
        var reason: String
        /// Whether this divergence explains the difference on `input`, where ours stopped at request
        /// `ours.requests.count` and h11 parsed `theirs`.
        var applies: @Sendable (_ input: [UInt8], _ ours: ParseOutcome, _ theirs: H11Verdict) -> Bool
    }

    static let divergences: [Divergence] = [
        Divergence(
            name: "conflicting_framing",
            reason: "h11 lets Transfer-Encoding win over Content-Length (RFC 9112 §6.3 allows it); we refuse the "
                + "pair outright because it is the classic request-smuggling vector.",
            applies: { _, ours, theirs in
                ours.error == .conflictingFraming
                    && theirs.refusedRequest(of: ours).map { $0.has("content-length") && $0.has("transfer-encoding") }
                    == true
            }
        ),
        Divergence(
            name: "duplicate_content_length",
            reason: "h11 accepts repeated or list-valued Content-Length when the values agree; we refuse any "
                + "repetition (RFC 9112 §6.3 lets a recipient refuse it).",
            applies: { input, ours, _ in
                ours.error == .duplicateContentLength && HTTPDifferentialTests.hasRepeatedContentLength(input)
            }
        ),
        Divergence(
            name: "obsolete_line_folding",
            reason: "h11 unfolds obs-fold into one value; we refuse it (RFC 9112 §5.2 allows either).",
            applies: { input, ours, _ in
                ours.error == .obsoleteLineFolding && HTTPDifferentialTests.hasFoldedLine(input)
            }
        ),
        Divergence(
            name: "control_bytes_and_utf8",
            reason: "h11 allows control bytes other than NUL/whitespace (and DEL, and any obs-text) in values; we "
                + "allow only VCHAR, SP, HTAB and valid UTF-8, so no value ever needs guessing.",
            applies: { _, ours, theirs in
                guard ours.error == .invalidHeaderValue else { return false }
                guard let request = theirs.refusedRequest(of: ours) else { return false }
                return (request.headers + request.trailers).contains { field in
                    field.value.contains { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }
                        || String(validating: field.value, as: UTF8.self) == nil
                }
            }
        ),
        Divergence(
            name: "unsupported_version",
            reason: "h11 parses any HTTP/x.y; we answer 505 for anything but 1.0 and 1.1.",
            applies: { _, ours, theirs in
                ours.error == .unsupportedVersion
                    && theirs.refusedRequest(of: ours).map { $0.version != "1.0" && $0.version != "1.1" } == true
            }
        ),
        Divergence(
            name: "transfer_encoding_in_http10",
            reason: "h11 decodes chunked HTTP/1.0 requests; RFC 9112 §6.1 says to treat that framing as faulty.",
            applies: { _, ours, theirs in
                ours.error == .invalidTransferEncoding
                    && theirs.refusedRequest(of: ours).map { $0.version == "1.0" && $0.has("transfer-encoding") }
                    == true
            }
        ),
        Divergence(
            name: "unsupported_expectation",
            reason: "h11 ignores unknown Expect values; we answer 417 (RFC 9110 §10.1.1).",
            applies: { _, ours, theirs in
                ours.error == .unsupportedExpectation && theirs.refusedRequest(of: ours)?.has("expect") == true
            }
        ),
        Divergence(
            name: "strict_chunk_line",
            reason: "h11 accepts up to 20 hex digits, whitespace after the size and any bytes after ';'; we take "
                + "1-16 digits and only well-formed ';name[=token|quoted-string]' extensions.",
            applies: { input, ours, _ in
                (ours.error == .invalidChunkSize || ours.error == .invalidChunkExtension)
                    && HTTPDifferentialTests.hasChunkLineOnlyH11Accepts(input)
            }
        ),
        Divergence(
            name: "trailer_semantics",
            reason: "h11 applies its Content-Length/Transfer-Encoding checks to trailer fields too; we check "
                + "trailer syntax only and discard them.",
            applies: { _, ours, theirs in
                ours.requests.count > theirs.requests.count && theirs.outcome == "error"
                    && (theirs.detail.contains("Content-Length") || theirs.detail.contains("Transfer-Encoding"))
            }
        ),
    ]

    // MARK: The test

    @Test("parser verdicts agree with h11 on hand-written streams and seeded mutations")
    func agreesWithH11() throws {
        let corpus = Self.corpus()
        #expect(corpus.count > 400)
        let theirs = try H11Reference.run(corpus.map(\.input))
        try #require(theirs.count == corpus.count, "h11_reference.py returned \(theirs.count) verdicts")

        var agreed = 0
        var explained: [String: Int] = [:]
        for (entry, reference) in zip(corpus, theirs) {
            let ours = HTTPParserDriver.oneShot(entry.input)
            #expect(ours.violations == [], "\(entry.name)")
            let ourRequests = ours.requests.map { H11Request(parsed: $0).normalizedLikeH11() }
            let ourAccept = ours.error == nil && !ours.midMessage
            if ourRequests == reference.requests && ourAccept == (reference.outcome == "ok") {
                agreed += 1
                continue
            }
            if let divergence = Self.divergences.first(where: { $0.applies(entry.input, ours, reference) }) {
                explained[divergence.name, default: 0] += 1
                continue
            }
            let ourVerdict = ours.error?.description ?? (ours.midMessage ? "incomplete" : "ok")
            Issue.record(
                """
                \(entry.name): parser and h11 disagree on \(Self.escaped(entry.input))
                ours:  \(ourRequests.count) request(s), \(ourVerdict)
                h11:   \(reference.requests.count) request(s), \(reference.outcome) \(reference.detail)
                """
            )
        }
        print("h11 differential: \(corpus.count) streams, \(agreed) agree, explained divergences: "
            + explained.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        // The corpus must exercise both agreement and the documented divergences.
        #expect(agreed > corpus.count / 2)
        for name in ["conflicting_framing", "duplicate_content_length", "obsolete_line_folding",
                     "unsupported_version", "strict_chunk_line"] {
            #expect(explained[name, default: 0] > 0, "divergence \(name) never exercised")
        }
    }

    // MARK: Corpus

    struct CorpusEntry {
        var name: String
        var input: [UInt8]
    }

    /// Streams beyond the fixtures that probe where h11 and RFC 9112 leave room.
    static let handWritten: [String] = [
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
        "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: \u{1}\r\n\r\n",
        "GET / HTTP/3.0\r\nHost: a\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 ;x\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x\u{1}\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
            + "Transfer-Encoding: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\r",
        "GET / HTTP/1.1\r\nHost: a\r\n",
        "",
        "\u{16}\u{3}\u{1}\u{0}",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\nHost: a\n\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nabGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    ]

    static func corpus() -> [CorpusEntry] {
        var entries: [CorpusEntry] = []
        for fixture in HTTPFixtures.all where fixture.limits == HTTPParserLimits() {
            entries.append(CorpusEntry(name: "fixture: \(fixture.name)", input: fixture.input))
        }
        for (index, text) in handWritten.enumerated() {
            entries.append(CorpusEntry(name: "hand-written #\(index)", input: Array(text.utf8)))
        }
        let seeds = HTTPFixtures.valid.map(\.input)
        var random = SplitMix64(seed: 0x5EED_4771)
        for index in 0..<400 {
            var input = seeds[random.next(below: seeds.count)]
            for _ in 0...random.next(below: 3) {
                Self.mutate(&input, with: &random)
            }
            entries.append(CorpusEntry(name: "mutation #\(index)", input: input))
        }
        return entries
    }

    static let interestingBytes: [UInt8] = Array(" \t\r\n:;,=\"0aF-\u{0}\u{1}\u{7F}".utf8) + [0x80, 0xC3, 0xFF]
    static let interestingLines: [String] = [
        "Content-Length: 1", "Transfer-Encoding: chunked", "Transfer-Encoding: gzip", "Host: x", "Expect: nope",
        " folded", "X : y", "Connection: close", "Content-Length: 1, 1",
    ]

    static func mutate(_ input: inout [UInt8], with random: inout SplitMix64) {
        guard !input.isEmpty else { return }
        let position = random.next(below: input.count)
        switch random.next(below: 7) {
        case 0:
            input[position] = interestingBytes[random.next(below: interestingBytes.count)]
        case 1:
            input.insert(interestingBytes[random.next(below: interestingBytes.count)], at: position)
        case 2:
            input.remove(at: position)
        case 3:
            input.removeSubrange(position...)
        case 4:
            // Duplicate the line containing `position`.
            var start = position
            while start > 0, input[start - 1] != 0x0A { start -= 1 }
            var end = position
            while end < input.count, input[end] != 0x0A { end += 1 }
            if end < input.count { input.insert(contentsOf: input[start...end], at: start) }
        case 5:
            // Insert an interesting field line after the line containing `position`.
            var end = position
            while end < input.count, input[end] != 0x0A { end += 1 }
            if end < input.count {
                let line = interestingLines[random.next(below: interestingLines.count)]
                input.insert(contentsOf: Array((line + "\r\n").utf8), at: end + 1)
            }
        default:
            let byte = input[position]
            if byte &- 0x41 < 26 || byte &- 0x61 < 26 { input[position] = byte ^ 0x20 }
        }
    }

    // MARK: Predicates

    /// Lines split on LF with one trailing CR removed, as both parsers read heads.
    static func lines(_ input: [UInt8]) -> [ArraySlice<UInt8>] {
        input.split(separator: 0x0A, omittingEmptySubsequences: false).map { $0.last == 0x0D ? $0.dropLast() : $0 }
    }

    static func isContentLengthLine(_ line: ArraySlice<UInt8>) -> Bool {
        let name = Array("content-length".utf8)
        guard line.count > name.count else { return false }
        return zip(line, name).allSatisfy { HTTPSyntax.lowercased($0) == $1 }
    }

    /// A head (lines up to an empty line) with two Content-Length lines, or one with a comma.
    static func hasRepeatedContentLength(_ input: [UInt8]) -> Bool {
        var count = 0
        for line in lines(input) {
            if line.isEmpty {
                count = 0
            } else if isContentLengthLine(line) {
                count += 1
                if count > 1 || line.contains(0x2C) { return true }
            }
        }
        return false
    }

    /// A line starting with SP/HTAB right after a non-empty line.
    static func hasFoldedLine(_ input: [UInt8]) -> Bool {
        let all = lines(input)
        return zip(all, all.dropFirst()).contains { previous, line in
            !previous.isEmpty && (line.first == 0x20 || line.first == 0x09)
        }
    }

    /// A CRLF-terminated line that h11's chunk-header pattern `[0-9A-Fa-f]{1,20}(;.*)?[ \t]*` accepts but our
    /// chunk-size grammar refuses.
    static func hasChunkLineOnlyH11Accepts(_ input: [UInt8]) -> Bool {
        var start = 0
        while start < input.count {
            guard let lf = input[start...].firstIndex(of: 0x0A) else { return false }
            defer { start = lf + 1 }
            guard lf > start, input[lf - 1] == 0x0D else { continue }
            let line = Array(input[start..<(lf - 1)])
            guard h11AcceptsChunkLine(line) else { continue }
            let refused = line.withUnsafeBytes { bytes in
                Result { () throws(HTTPParseError) -> Int in
                    try HTTPRequestParser.chunkSize(bytes, limits: HTTPParserLimits())
                }
            }
            if case .failure = refused { return true }
        }
        return false
    }

    static func h11AcceptsChunkLine(_ line: [UInt8]) -> Bool {
        var index = 0
        while index < line.count, HTTPSyntax.hexValue(line[index]) != nil { index += 1 }
        guard (1...20).contains(index) else { return false }
        if index < line.count, line[index] == 0x3B {
            return !line[index...].contains(0x0A)
        }
        return line[index...].allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }

    static func escaped(_ input: [UInt8]) -> String {
        var text = "\""
        for byte in input.prefix(300) {
            switch byte {
            case 0x0D: text += "\\r"
            case 0x0A: text += "\\n"
            case 0x09: text += "\\t"
            case 0x22: text += "\\\""
            case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(byte))
            default: text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return text + (input.count > 300 ? "…\"" : "\"")
    }
}

// MARK: h11 side

/// One header or trailer field as bytes.
struct H11Field: Equatable {
    var name: [UInt8]
    var value: [UInt8]
}

/// One request as h11 (or our parser, converted) saw it.
struct H11Request: Equatable {
    var method: [UInt8]
    var target: [UInt8]
    var version: String
    var headers: [H11Field]
    var body: [UInt8]
    /// Not compared (we discard trailers); used by divergence predicates.
    var trailers: [H11Field] = []

    static func == (lhs: H11Request, rhs: H11Request) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.version == rhs.version
            && lhs.headers == rhs.headers && lhs.body == rhs.body
    }

    init(method: [UInt8], target: [UInt8], version: String, headers: [H11Field], body: [UInt8], trailers: [H11Field]) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.trailers = trailers
    }

    init(parsed: ParsedRequest) {
        self.method = Array(parsed.head.method.utf8)
        self.target = Array(parsed.head.target.utf8)
        self.version = "\(parsed.head.versionMajor).\(parsed.head.versionMinor)"
        self.headers = parsed.head.headers.map { H11Field(name: Array($0.name.utf8), value: Array($0.value.utf8)) }
        self.body = parsed.body
    }

    /// The request with the one normalization h11 applies to what it reports: Transfer-Encoding values are
    /// lowercased (h11 `_headers.normalize_and_validate`). Not a divergence: h11 reports, we keep what was sent.
    func normalizedLikeH11() -> H11Request {
        var copy = self
        for index in copy.headers.indices where copy.headers[index].name.map(HTTPSyntax.lowercased)
            == Array("transfer-encoding".utf8)
        {
            copy.headers[index].value = copy.headers[index].value.map(HTTPSyntax.lowercased)
        }
        return copy
    }

    /// Whether a header named `lowercaseName` is present.
    func has(_ lowercaseName: String) -> Bool {
        headers.contains { $0.name.map(HTTPSyntax.lowercased) == Array(lowercaseName.utf8) }
    }
}

/// h11's verdict on one stream.
struct H11Verdict {
    var requests: [H11Request]
    /// "ok", "error" or "incomplete".
    var outcome: String
    var detail: String

    /// The request h11 completed at the position where ours refused, if it did.
    func refusedRequest(of ours: ParseOutcome) -> H11Request? {
        ours.requests.count < requests.count ? requests[ours.requests.count] : nil
    }
}

/// Runs `h11_reference.py` once over a whole corpus.
enum H11Reference {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private struct Line: Decodable {
        struct Request: Decodable {
            var method: String
            var target: String
            var version: String
            var headers: [[String]]
            var body: String
            var trailers: [[String]]
        }

        var id: String
        var requests: [Request]
        var outcome: String
        var detail: String
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("h11_reference.py")

    static func run(_ inputs: [[UInt8]]) throws -> [H11Verdict] {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("h11-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputURL = directory.appendingPathComponent("in.jsonl")
        let outputURL = directory.appendingPathComponent("out.jsonl")
        let errorURL = directory.appendingPathComponent("err.txt")
        var text = ""
        for (index, input) in inputs.enumerated() {
            text += "{\"id\":\"\(index)\",\"data_b64\":\"\(Data(input).base64EncodedString())\"}\n"
        }
        try text.write(to: inputURL, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path]
        process.standardInput = try FileHandle(forReadingFrom: inputURL)
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        do {
            try process.run()
        } catch {
            throw Failure(description: "could not start python3 (needed for the h11 differential test): \(error)")
        }
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            if stderr.contains("No module named 'h11'") {
                throw Failure(description: "the Python package h11 is missing: run `pip install h11`\n\(stderr)")
            }
            throw Failure(description: "python3 \(script.path) exited \(process.terminationStatus) "
                + "(python3 and `pip install h11` are required):\n\(stderr)")
        }
        let decoder = JSONDecoder()
        let output = try String(contentsOf: outputURL, encoding: .utf8)
        return try output.split(separator: "\n").map { line in
            let parsed = try decoder.decode(Line.self, from: Data(line.utf8))
            return H11Verdict(
                requests: parsed.requests.map { request in
                    H11Request(
                        method: bytes(request.method),
                        target: bytes(request.target),
                        version: request.version,
                        headers: request.headers.map { H11Field(name: bytes($0[0]), value: bytes($0[1])) },
                        body: bytes(request.body),
                        trailers: request.trailers.map { H11Field(name: bytes($0[0]), value: bytes($0[1])) }
                    )
                },
                outcome: parsed.outcome,
                detail: parsed.detail
            )
        }
    }

    private static func bytes(_ base64: String) -> [UInt8] {
        Array(Data(base64Encoded: base64) ?? Data())
    }
}
