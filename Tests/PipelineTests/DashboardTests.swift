import Foundation
import Testing
import TestSupport

/// The dashboard at `/`, used the way a person uses it: headless Chromium driven over WebDriver against
/// `serve` with a real PostgreSQL. Every wait is bounded by elapsed time, generously (the machine is shared).
@Suite("dashboard in a browser")
struct DashboardTests {
    static let sample = EngineProcess.repositoryRoot + "/bench-data/sample/files"
    static let screenshots = EngineProcess.repositoryRoot + "/.data/screenshots"

    @Test("in headless Chromium: continue without a key while none is issued; a wrong key shows its 401 message; signed in with a key, files chosen in the file input upload as one batch whose progress reaches completed with unsupported_type listed by code; a parsed document shows its name and email beside its text; a hostile file name stays text; a job made in the page, files uploaded naming it, its candidates ranked best first as they are scored and filtered by score, one candidate's marks holding exactly its reasons' quotes (and none for offsets out of range, backwards or not holding their quote), a hostile job title stays text; no console errors; screenshots",
          .timeLimit(.minutes(10)))
    func browser() async throws {
        let url = try TestDatabase.freshDatabase("dashboard")
        defer { try? TestDatabase.dropDatabase(url) }
        let serve = try await EngineProcess.serve(environment: [
            "DATABASE_URL": url, "AUTH_CACHE_SECONDS": "0", "SINK_BATCH_AGE_MS": "50"])
        let browser: WebDriver
        do {
            browser = try await WebDriver.start(width: 1280, height: 1500)
        } catch {
            _ = await serve.stop()
            throw error
        }
        do {
            try await use(browser, serve, databaseURL: url)
        } catch {
            await browser.close()
            _ = await serve.stop()
            throw error
        }
        await browser.close()
        #expect(await serve.stop() == 0, "\(serve.log)")
    }

    private func use(_ browser: WebDriver, _ serve: EngineProcess, databaseURL url: String) async throws {
        let page = "http://127.0.0.1:\(serve.port)/"
        try await browser.navigate(page)

        // No key issued yet: the engine is open to tenant default.
        try await browser.click(try await browser.find("#open-mode"))
        try await browser.wait("open mode to sign in as default", seconds: 30,
                               describe: { (try? await browser.text(of: "#who")) ?? "" }) {
            try await browser.text(of: "#who").contains("default")
        }
        try await browser.click(try await browser.find("#sign-out"))

        let key = try await TenantAPITests.tenant("acme", url: url)

        // A wrong key: the engine's 401 message, and nothing behind the sign-in shown.
        let field = try await browser.find("#key")
        try await browser.type("ri_" + String(repeating: "x", count: 43), into: field)
        try await browser.click(try await browser.find("#key-form button[type=submit]"))
        try await browser.wait("the wrong key's 401 message", seconds: 30,
                               describe: { (try? await browser.text(of: "#auth-message")) ?? "" }) {
            try await browser.text(of: "#auth-message").contains("the API key is not valid")
        }
        let refused = try await browser.text(of: "#auth-message")
        #expect(refused.contains("401") && refused.contains("invalid_api_key"), "\(refused)")
        #expect(try await browser.execute("return document.getElementById('app').hidden") as? Bool == true)
        // Now that a key exists, no key is refused too.
        try await browser.click(try await browser.find("#open-mode"))
        try await browser.wait("missing_credentials once keys exist", seconds: 30,
                               describe: { (try? await browser.text(of: "#auth-message")) ?? "" }) {
            try await browser.text(of: "#auth-message").contains("missing_credentials")
        }

        // The right key.
        try await browser.clear(field)
        try await browser.type(key, into: field)
        try await browser.click(try await browser.find("#key-form button[type=submit]"))
        try await browser.wait("signed in as acme", seconds: 30,
                               describe: { (try? await browser.text(of: "#who")) ?? "" }) {
            try await browser.text(of: "#who").contains("acme")
        }
        let stored = try await browser.execute(
            "return [sessionStorage.getItem('resume-ingest.key') === arguments[0], document.cookie]", [key]) as? [Any]
        #expect(stored?.first as? Bool == true, "the key is in sessionStorage")
        #expect(stored?.last as? String == "", "and in no cookie")

        // Three files through the file input (newline-separated paths), one of them junk, and one whose name is
        // markup: it must show as text.
        let hostile = try TemporaryDirectory.make(prefix: "dashboard") + "/<img src=x id=injected>.txt"
        try Data("Ada Lovelace\nada@example.org\nAnalyst, Engines Ltd, 1843 - 1852\n".utf8)
            .write(to: URL(fileURLWithPath: hostile))
        let files = ["\(Self.sample)/0012-noor-de-vries.txt", "\(Self.sample)/0013-sophia-ward.html",
                     "\(Self.sample)/nasty-junk.pdf", hostile]
        try await browser.type(files.joined(separator: "\n"), into: try await browser.find("#files"))
        try await browser.click(try await browser.find("#upload-button"))
        try await browser.wait("the batch to complete", seconds: 240, describe: {
            let state = (try? await browser.text(of: "#batch-state")) ?? ""
            let upload = (try? await browser.text(of: "#upload-message")) ?? ""
            return "\(state) / \(upload)\n\(serve.log.suffix(2000))"
        }) {
            try await browser.text(of: "#batch-state").hasPrefix("Completed")
        }
        let counts = try await browser.execute("""
            return [...document.querySelectorAll('#batch-counts div')]
                .map((d) => d.querySelector('dt').textContent + '=' + d.querySelector('dd').textContent)
            """) as? [String]
        #expect(counts == ["Total=4", "Queued=0", "Parsed=3", "Failed=1", "Duplicates=0"], "\(counts ?? [])")
        #expect(try await browser.execute("return document.getElementById('batch-progress').value") as? Double == 1)
        #expect(try await browser.text(of: "#batch-percent") == "100%")
        let failures = try await browser.text(of: "#failures")
        #expect(failures.contains("unsupported_type 1"), "\(failures)")
        let junk = try await browser.text(
            try await browser.find(xpath: "//table[@id='items']//tr[td//button[normalize-space()='nasty-junk.pdf']]"))
        #expect(junk.contains("failed") && junk.contains("unsupported_type"), "\(junk)")
        let title = try await browser.text(of: "#batch-title")
        let batch = String(title.dropFirst("Batch ".count))
        #expect(try await browser.text(of: "#recent").contains(batch), "the batch is among the recent ones")
        #expect(try await browser.execute("return document.getElementById('injected') === null") as? Bool == true,
                "a file name is never markup")
        let items = try await browser.text(of: "#items")
        #expect(items.contains("<img src=x id=injected>.txt"), "\(items)")
        #expect(!items.contains("null") && !items.contains("undefined"), "\(items)")

        // A parsed document: its fields beside its text.
        try await browser.click(try await browser.find(xpath: "//button[normalize-space()='0012-noor-de-vries.txt']"))
        try await browser.wait("the document's fields", seconds: 60,
                               describe: { (try? await browser.text(of: "#document")) ?? "" }) {
            try await browser.text(of: "#document-fields").lowercased().contains("noordevries@mail.example.com")
        }
        let fields = try await browser.text(of: "#document-fields")
        #expect(fields.lowercased().contains("noor de vries"), "\(fields)")
        #expect(fields.contains("Work"), "\(fields)")
        let text = try await browser.text(of: "#document-text")
        #expect(text.contains("Technical Support Engineer"), "\(text.prefix(500))")
        #expect(try await browser.text(of: "#document-title") == "0012-noor-de-vries.txt")

        try Self.save(try await browser.screenshot(), as: "dashboard.png")

        // A narrow screen: one column, nothing wider than the window.
        try await browser.resize(width: 390, height: 1500)
        try await browser.wait("the narrow layout", seconds: 10) {
            try await browser.execute("return window.innerWidth") as? Int ?? 0 <= 400
        }
        #expect(try await browser.execute(
            "return document.documentElement.scrollWidth <= window.innerWidth") as? Bool == true)
        try Self.save(try await browser.screenshot(), as: "dashboard-narrow.png")

        // An archive goes to /imports and opens its own batch; a file named like one that is not is refused
        // with the engine's 415 message.
        try await browser.resize(width: 1280, height: 1500)
        let folder = try TemporaryDirectory.make(prefix: "dashboard-archive")
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        tar.arguments = ["-czf", folder + "/resumes.tar.gz", "-C", Self.sample, "0036-nour-nasser.txt",
                         "0027-jose-garcia.html"]
        try tar.run()
        tar.waitUntilExit()
        try await browser.type(folder + "/resumes.tar.gz", into: try await browser.find("#files"))
        try await browser.click(try await browser.find("#upload-button"))
        try await browser.wait("the archive's batch to complete", seconds: 240, describe: {
            "\((try? await browser.text(of: "#batch")) ?? "")\n\((try? await browser.text(of: "#upload-message")) ?? "")"
        }) {
            let title = try await browser.text(of: "#batch-title")
            let state = try await browser.text(of: "#batch-state")
            return title != "Batch \(batch)" && state.hasPrefix("Completed")
        }
        let archived = try await browser.execute("""
            return [...document.querySelectorAll('#items button')].map((b) => b.textContent).sort()
            """) as? [String]
        #expect(archived == ["0027-jose-garcia.html", "0036-nour-nasser.txt"], "\(archived ?? [])")
        #expect(try await browser.text(of: "#recent").contains("resumes.tar.gz"))
        try Data("not an archive at all".utf8).write(to: URL(fileURLWithPath: folder + "/fake.zip"))
        try await browser.type(folder + "/fake.zip", into: try await browser.find("#files"))
        try await browser.click(try await browser.find("#upload-button"))
        try await browser.wait("the 415 message", seconds: 60,
                               describe: { (try? await browser.text(of: "#upload-message")) ?? "" }) {
            try await browser.text(of: "#upload-message").contains("not_an_archive")
        }
        #expect(try await browser.text(of: "#upload-message").contains("Not accepted (415)"))

        // A drop on the zone (a synthetic one: WebDriver cannot drag from the desktop) uploads at once.
        let before = try await browser.text(of: "#batch-title")
        _ = try await browser.execute("""
            const files = new DataTransfer();
            files.items.add(new File(['Grace Hopper\\ngrace@example.org\\nRear Admiral, US Navy, 1943 - 1986\\n'],
                                     'dropped.txt', { type: 'text/plain' }));
            document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: files, bubbles: true }));
            """)
        try await browser.wait("the dropped file's batch to complete", seconds: 240, describe: {
            "\((try? await browser.text(of: "#batch")) ?? "")\n\((try? await browser.text(of: "#upload-message")) ?? "")"
        }) {
            let title = try await browser.text(of: "#batch-title")
            let state = try await browser.text(of: "#batch-state")
            return title != before && state.hasPrefix("Completed")
        }
        #expect(try await browser.text(of: "#items").contains("dropped.txt"))

        try await jobs(browser, serve, key: key)

        // A reload keeps the tab signed in (sessionStorage).
        try await browser.navigate(page)
        try await browser.wait("signed in again after a reload", seconds: 30) {
            try await browser.text(of: "#who").contains("acme")
        }

        // The console: nothing but the refusals the page asked for. Chromium logs each 401 answer, which also
        // shows the log is read at all.
        let console = try await browser.console()
        #expect(console.contains { $0.message.contains("401") }, "\(console)")
        let errors = console.filter { $0.level == "SEVERE" && !$0.message.contains("Failed to load resource") }
        #expect(errors.isEmpty, "no script error or policy refusal: \(errors)")
    }

    /// Writes a screenshot under `.data/screenshots/` and checks it is a PNG of some size.
    static func save(_ png: Data, as name: String) throws {
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)
        try png.write(to: URL(fileURLWithPath: screenshots + "/" + name))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "\(name) is a PNG")
        #expect(png.count > 20_000, "\(name) is \(png.count) bytes")
    }
}
