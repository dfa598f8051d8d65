import Foundation
import Loop
import Testing
import TestSupport
@testable import LoadGen

@Suite("loadgen's corpus and the requests built from it")
struct CorpusTests {
    /// a/1.pdf, a/b/2.docx, a/.hidden, 3.txt, .dot/4.pdf
    static func tree() throws -> String {
        let root = try TemporaryDirectory.make(prefix: "corpus-tree")
        for dir in ["a/b", ".dot"] { try FileManager.default.createDirectory(atPath: "\(root)/\(dir)", withIntermediateDirectories: true) }
        for (path, text) in [("a/1.pdf", "one"), ("a/b/2.docx", "two"), ("a/.hidden", "h"), ("3.txt", "three"), (".dot/4.pdf", "four")] {
            FileManager.default.createFile(atPath: "\(root)/\(path)", contents: Data(text.utf8))
        }
        return root
    }

    static func names(_ corpus: Corpus) throws -> [String] {
        var names: [String] = []
        try corpus.forEachFile { names.append($0.name + "=" + String(decoding: $0.bytes, as: UTF8.self)); return true }
        return names.sorted()
    }

    @Test("a folder is walked whole, hidden files and folders skipped")
    func folder() throws {
        let root = try Self.tree()
        #expect(try Self.names(Corpus(paths: [root])) == ["1.pdf=one", "2.docx=two", "3.txt=three"])
    }

    @Test("a glob's * stays in one folder; ** crosses folders")
    func globs() throws {
        let root = try Self.tree()
        #expect(try Self.names(Corpus(paths: [root + "/a/*.pdf"])) == ["1.pdf=one"])
        #expect(try Self.names(Corpus(paths: [root + "/*.docx"])) == [])
        #expect(try Self.names(Corpus(paths: [root + "/**.docx"])) == ["2.docx=two"])
        #expect(try !Corpus(paths: [root + "/*.docx"]).hasFiles())
    }

    @Test("an archive is read entry by entry; a missing path is named")
    func archive() throws {
        let root = try Self.tree()
        let tar = try TemporaryDirectory.make(prefix: "corpus-tar") + "/cvs.tar.gz"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        process.arguments = ["-czf", tar, "-C", root, "a", "3.txt"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let corpus = try Corpus(paths: [tar])
        #expect(corpus.sources == [.archive(tar)])
        // Hidden entries of an archive are data like any other: the archive is what the user chose to send.
        #expect(try Self.names(corpus) == [".hidden=h", "1.pdf=one", "2.docx=two", "3.txt=three"])
        #expect(throws: LoadGenError.corpusMissing("/no/such/cvs.zip")) { try Corpus(paths: ["/no/such/cvs.zip"]) }
    }

    @Test("a request is a browser-shaped multipart body: fields first, each file with its name and type")
    func multipart() throws {
        let target = try LoadTarget(url: "http://127.0.0.1:8080/upload?x=1")
        #expect(target.path == "/upload?x=1")
        let builder = RequestBuilder(target: target, field: "resume", formFields: [("source", "test")],
                                     headers: [("X-Key", "k")])
        let request = builder.build([.init(name: "cv \"1\".pdf", bytes: Array("PDF".utf8)),
                                     .init(name: "b.docx", bytes: Array("DOCX".utf8))])
        let end = try #require(ByteSearch.firstIndex(of: Array("\r\n\r\n".utf8), in: request.bytes))
        let head = String(decoding: request.bytes[..<end], as: UTF8.self)
        #expect(head.hasPrefix("POST /upload?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"))
        #expect(head.contains("X-Key: k"))
        let bodyBytes = request.bytes[(end + 4)...]
        #expect(head.contains("Content-Length: \(bodyBytes.count)\r\n"))
        let body = String(decoding: bodyBytes, as: UTF8.self)
        let boundary = builder.boundary
        #expect(body == "--\(boundary)\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\ntest\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"resume\"; filename=\"cv _1_.pdf\"\r\nContent-Type: application/pdf\r\n\r\nPDF\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"resume\"; filename=\"b.docx\"\r\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\r\n\r\nDOCX\r\n"
            + "--\(boundary)--\r\n")
        #expect(request.files == 2)
    }

    @Test("a file that holds the boundary gets a request with another")
    func boundaryCollision() throws {
        let builder = RequestBuilder(target: try LoadTarget(url: "http://127.0.0.1/"))
        let request = builder.build([.init(name: "x.txt", bytes: Array("a\r\n--\(builder.boundary)\r\nb".utf8))])
        let text = String(decoding: request.bytes, as: UTF8.self)
        #expect(!text.contains("boundary=\(builder.boundary)\r\n"))
    }

    @Test("a corpus larger than the cache streams pass after pass within the queue's bytes; a small one is kept")
    func feed() throws {
        let root = try TemporaryDirectory.make(prefix: "corpus-feed")
        for i in 0..<20 {
            FileManager.default.createFile(atPath: "\(root)/cv-\(i).txt", contents: Data(repeating: UInt8(65 + i), count: 10_000))
        }
        let builder = RequestBuilder(target: try LoadTarget(url: "http://127.0.0.1/"))
        for (cache, cached) in [(1 << 20, true), (50_000, false)] {
            let feed = CorpusFeed(corpus: try Corpus(paths: [root]), builder: builder, filesPerRequest: 1,
                                  queueBytes: 30_000, cacheBytes: cache)
            feed.start {}
            var seen: [UInt8: Int] = [:]
            var taken = 0
            let deadline = Date().addingTimeInterval(30)
            while taken < 100 && Date() < deadline {
                guard let request = feed.next() else {
                    // A plain wait on this thread: under a full test run, the pool's sleeps can take seconds.
                    usleep(500)
                    continue
                }
                seen[request.bytes[request.bytes.count - 100], default: 0] += 1
                taken += 1
            }
            feed.stop()
            #expect(taken == 100)
            #expect(seen.count == 20, "every file of the corpus is sent")
            #expect(seen.values.allSatisfy { $0 == 5 }, "in turn, pass after pass: \(seen)")
            #expect(feed.isCached == cached)
            #expect(feed.filesPerPass == 20)
        }
    }
}
