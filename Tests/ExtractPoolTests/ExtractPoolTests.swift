import Foundation
@testable import Loop
import Testing
import TestSupport

@testable import ExtractPool

/// The pool end to end on real files with the real converters: the sample mix and the nasty set.
@Suite("Extraction pool")
struct ExtractPoolTests {
    @Test("every sample document ends as its manifest says, with the right code, and nothing is left behind")
    @LoopActor
    func sampleSet() async throws {
        let manifest = try Sample.manifest()
        #expect(manifest.count >= 60)
        let configuration = try PoolHarness.configuration()
        let (documents, _) = try await PoolHarness.run(manifest.map(\.file), configuration: configuration)
        #expect(documents.count == manifest.count, "a document went missing")
        for entry in manifest {
            let name = entry.file.split(separator: "/").last!
            guard let doc = documents[entry.file] else {
                Issue.record("\(name): no result")
                continue
            }
            #expect(doc.status.rawValue == entry.status, "\(name): \(doc.failure?.description ?? "extracted")")
            #expect(doc.failure?.code.rawValue == entry.errorCode, "\(name): \(doc.failure?.description ?? "extracted")")
            if let pages = entry.pageCount, entry.format == "pdf" {
                #expect(doc.pageCount == pages, "\(name): page count")
            }
            if doc.status == .failed {
                #expect(doc.text.isEmpty)
                #expect(!(doc.failure?.detail.isEmpty ?? true), "\(name): a failure says what happened")
                continue
            }
            #expect(doc.extractor != nil)
            // The ground truth is in the text: the name always (after OCR: the last name, accents aside),
            // the e-mail where the layout is linear (a two-column PDF may wrap it inside its column).
            if let fullName = entry.name {
                let wanted = doc.ocrUsed ? String(fullName.split(separator: " ").last!) : fullName
                #expect(doc.text.range(of: wanted, options: [.caseInsensitive, .diacriticInsensitive]) != nil,
                        "\(name): \(fullName) not in \(doc.text.prefix(200))")
            }
            if let email = entry.email, !doc.ocrUsed, entry.format != "pdf" {
                #expect(doc.text.contains(email), "\(name): \(email) missing")
            }
            #expect(!doc.text.unicodeScalars.contains { $0.value == 0 || ($0.value < 0x20 && $0 != "\n" && $0 != "\t") },
                    "\(name): control characters other than line breaks and cell tabs")
            #expect(doc.ocrUsed == ["scan-pdf", "png"].contains(entry.format), "\(name): OCR used")
        }
        #expect(PoolHarness.leftovers(configuration).isEmpty, "work directories left behind")
        #expect(await PoolHarness.processesMentioning(configuration.workDirectory).isEmpty, "a converter outlived its document")
    }

    @Test("a converter past its time limit is killed and the document fails as timeout")
    @LoopActor
    func timeout() async throws {
        let configuration = try PoolHarness.configuration { c in
            c.timeoutMilliseconds = 100
            c.enableOCR = false
        }
        // Rendering 300 pages with -layout takes far longer than 100 ms.
        let file = Sample.path("nasty-300-pages.pdf")
        let (documents, _) = try await PoolHarness.run([file], configuration: configuration)
        let doc = try #require(documents[file])
        #expect(doc.status == .failed)
        #expect(doc.failure?.code == .timeout)
        #expect(doc.attempts.first?.converter == "pdftotext")
        #expect(await PoolHarness.processesMentioning(configuration.workDirectory).isEmpty)
        #expect(PoolHarness.leftovers(configuration).isEmpty)
    }

    @Test("a converter that writes more than the output cap is cut off: too_large")
    @LoopActor
    func outputCap() async throws {
        let configuration = try PoolHarness.configuration { $0.maxOutputBytes = 64 << 10 }
        let file = Sample.path("nasty-300-pages.pdf")
        let (documents, _) = try await PoolHarness.run([file], configuration: configuration)
        let doc = try #require(documents[file])
        #expect(doc.failure?.code == .tooLarge)
        #expect(doc.failure?.detail.contains("pdftotext") == true)
    }

    @Test("with every converter for a type switched off, the document fails as converter_missing")
    @LoopActor
    func convertersDisabled() async throws {
        let configuration = try PoolHarness.configuration { $0.enableOCR = false }
        let png = Sample.path(try #require(try FileManager.default.contentsOfDirectory(atPath: Sample.root + "/files")
                .first { $0.hasSuffix(".png") }))
        let (documents, _) = try await PoolHarness.run([png], configuration: configuration)
        let doc = try #require(documents[png])
        #expect(doc.failure?.code == .converterMissing)
        #expect(doc.attempts.map(\.outcome) == ["skipped"])
        #expect(doc.failure?.detail.contains("disabled") == true)
    }

    @Test("missing programs are skipped in the chain: a .doc falls through to catdoc")
    @LoopActor
    func fallback() async throws {
        let configuration = try PoolHarness.configuration { $0.enableAntiword = false }
        let doc97 = try #require(try Sample.manifest().first { $0.format == "doc" })
        let (documents, _) = try await PoolHarness.run([doc97.file], configuration: configuration)
        let doc = try #require(documents[doc97.file])
        #expect(doc.status == .extracted)
        #expect(doc.extractor == "catdoc")
        #expect(doc.attempts.map(\.outcome) == ["skipped", "ok"])
        #expect(doc.text.contains(doc97.name ?? "?"))
    }

    @Test("LibreOffice stays warm across documents and is recycled after its quota")
    @LoopActor
    func warmLibreOffice() async throws {
        let configuration = try PoolHarness.configuration { c in
            c.libreOfficeRecycleAfter = 2
            c.concurrency = 1
        }
        guard let tools = PoolHarness.libreOfficeOnlyForWord97(configuration) else { return }
        let docs = try Sample.manifest().filter { $0.format == "doc" }.prefix(3)
        #expect(docs.count == 3)
        let (documents, extractor) = try await PoolHarness.run(docs.map(\.file), configuration: configuration,
                                                               tools: tools)
        for entry in docs {
            let doc = try #require(documents[entry.file])
            #expect(doc.status == .extracted, "\(doc.failure?.description ?? "")")
            #expect(doc.extractor == "libreoffice")
            #expect(doc.text.contains(entry.name ?? "?"))
        }
        // Three documents with a quota of two: one start, one recycle.
        #expect(extractor.office?.starts == 2)
        #expect(extractor.office?.conversions == 3)
        #expect(await PoolHarness.processesMentioning(configuration.workDirectory).isEmpty, "LibreOffice outlived the pool")
    }

    @Test("a LibreOffice conversion past its time limit fails as timeout and the hung instance is replaced")
    @LoopActor
    func libreOfficeHang() async throws {
        let configuration = try PoolHarness.configuration { c in
            c.timeoutMilliseconds = 5 // no conversion finishes this fast: every one counts as a hang
            c.concurrency = 1
        }
        guard let tools = PoolHarness.libreOfficeOnlyForWord97(configuration) else { return }
        let docs = try Sample.manifest().filter { $0.format == "doc" }.prefix(2)
        let (documents, extractor) = try await PoolHarness.run(docs.map(\.file), configuration: configuration,
                                                               tools: tools)
        for entry in docs {
            let doc = try #require(documents[entry.file])
            #expect(doc.failure?.code == .timeout, "\(doc.failure?.description ?? "extracted")")
            #expect(doc.attempts.last?.converter == "libreoffice")
        }
        #expect(extractor.office?.starts == 2, "each hang costs the instance")
        #expect(await PoolHarness.processesMentioning(configuration.workDirectory).isEmpty, "a hung LibreOffice survived")
    }

    @Test("a work directory whose input link cannot be made is removed, and the document fails as corrupt")
    @LoopActor
    func failedLink() async throws {
        struct LinkFailed: Error {}
        let configuration = try PoolHarness.configuration()
        let extractor = Extractor(configuration: configuration, logger: .init(label: "test"))
        try await extractor.open()
        extractor.linkInput = { _, _ in throw LinkFailed() }
        let file = try #require(try Sample.manifest().first { $0.format == "txt" }).file
        let doc = await extractor.extract(ExtractionInput(id: "link-fails", path: file, size: 0))
        await extractor.close()
        #expect(doc.status == .failed)
        #expect(doc.failure?.code == .corrupt)
        #expect(doc.failure?.detail.contains("work directory") == true, "\(doc.failure?.description ?? "")")
        #expect(PoolHarness.leftovers(configuration).isEmpty, "the work directory was left behind")
    }

    @Test("the pool pulls nothing while the next stage has no room, then drains")
    @LoopActor
    func backpressure() async throws {
        let configuration = try PoolHarness.configuration()
        let extractor = Extractor(configuration: configuration, logger: .init(label: "test"))
        try await extractor.open()
        let files = try Sample.manifest().filter { $0.format == "txt" || $0.format == "html" }.map(\.file)
        let source = ListSource(files)
        let consumer = CollectingConsumer(closed: true)
        let pool = ExtractPool(extractor: extractor, source: source, consumer: consumer, logger: .init(label: "test"))
        pool.start()
        try await Task.sleep(for: .milliseconds(200))
        #expect(source.pulled == 0)
        #expect(pool.inFlight == 0)
        consumer.open()
        await pool.waitUntilDone()
        #expect(source.pulled == files.count)
        #expect(consumer.documents.count == files.count)
        await extractor.close()
    }
}
