import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `resume-ingest import`, run as a user runs it, against a real PostgreSQL: folders, stdin, every archive kind,
/// hostile archives, paths that do not exist, and a run killed half-way then run again.
@Suite("import end to end, with PostgreSQL", .serialized)
struct ImportTests {
    static let sample = EngineProcess.repositoryRoot + "/bench-data/sample/files"
    /// Fast converters only (text, HTML, DOCX, PDF), so the suite stays quick; LibreOffice formats are covered
    /// by the extraction tests.
    static let files = ["0012-noor-de-vries.txt", "0013-sophia-ward.html", "0003-youssef-haddad.docx",
                        "0001-abigail-thompson.pdf", "0004-matthias-wagner.docx", "0025-valentina-fernandez-hernandez-lopez.txt"]

    /// Runs `import` to its end; returns the exit status, the JSON summary and the log.
    static func runImport(_ arguments: [String], database: String, spool: String? = nil, input: String? = nil,
                          environment: [String: String?] = [:]) async throws -> (status: Int32, summary: [String: Any], log: String) {
        var env = environment
        env["DATABASE_URL"] = database
        env["SINK_BATCH_AGE_MS"] = "50"
        let engine = try EngineProcess(["import", "--json", "--quiet"] + arguments, environment: env, spool: spool,
                                       input: input)
        guard let status = await engine.waitForExit(seconds: 240) else {
            engine.kill()
            throw TestFailure("import did not finish:\n\(engine.log)")
        }
        let out = engine.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
        let summary = (try? JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]) ?? [:]
        return (status, summary, engine.log)
    }

    static func rows(_ url: String, _ tenant: String = "default") throws -> [String] {
        try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = '\(tenant)'), false);
            SELECT filename || ':' || status || ':' || coalesce(error_code, '-') FROM documents ORDER BY filename, status
            """).split(separator: "\n").dropFirst().map(String.init)
    }

    static func folder(_ names: [String]) throws -> String {
        let dir = try TemporaryDirectory.make(prefix: "import-src")
        for name in names {
            try FileManager.default.copyItem(atPath: sample + "/" + name, toPath: dir + "/" + name)
        }
        return dir
    }

    /// Runs a Python snippet (archives are built with the standard library's zipfile and tarfile).
    static func python(_ script: String, _ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", script] + arguments
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestFailure("python3 failed") }
    }

    @Test("a folder tree and stdin: one row per document, the spool empty; again: every document reused, no new row")
    func folderThenAgain() async throws {
        let url = try TestDatabase.freshDatabase("import")
        defer { try? TestDatabase.dropDatabase(url) }
        let source = try Self.folder(Array(Self.files.prefix(4)))
        try FileManager.default.createDirectory(atPath: source + "/nested/deeper", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.sample + "/" + Self.files[4],
                                         toPath: source + "/nested/deeper/" + Self.files[4])
        let first = try await Self.runImport([source, "--label", "first"], database: url)
        #expect(first.status == 0, "\(first.log)")
        #expect(first.summary["documents"] as? Int == 5, "\(first.summary)")
        #expect(first.summary["parsed"] as? Int == 5, "\(first.summary)")
        #expect(first.summary["reused"] as? Int == 0)
        #expect(first.summary["cost_usd"] as? Double == 0 && first.summary["cached_tokens"] as? Int == 0,
                "the rules parser bills nothing: \(first.summary)")
        let rows = try Self.rows(url)
        #expect(rows.count == 5, "\(rows)")
        #expect(rows.allSatisfy { $0.contains(":parsed:") }, "\(rows)")
        #expect(try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            SELECT label || '/' || origin || '/' || documents FROM batches
            """).split(separator: "\n").last == "first/import/5")

        // The same files again, this time named on standard input: nothing extracted or parsed again.
        let again = try await Self.runImport(["-"], database: url,
                                       input: Self.files.prefix(4).map { source + "/" + $0 }.joined(separator: "\n") + "\n")
        #expect(again.status == 0, "\(again.log)")
        #expect(again.summary["documents"] as? Int == 4)
        #expect(again.summary["reused"] as? Int == 4, "\(again.summary)")
        #expect(try Self.rows(url).count == 5)
    }

    @Test("every archive kind (zip, tar, tar.gz, tar.zst) is read entry by entry; the same content is one row")
    func archiveKinds() async throws {
        let url = try TestDatabase.freshDatabase("import_archives")
        defer { try? TestDatabase.dropDatabase(url) }
        let source = try Self.folder(Array(Self.files.prefix(3)))
        let out = try TemporaryDirectory.make(prefix: "import-archives")
        try Self.python("""
            import os, sys, tarfile, zipfile
            src, out = sys.argv[1], sys.argv[2]
            names = sorted(os.listdir(src))
            with zipfile.ZipFile(os.path.join(out, "a.zip"), "w", zipfile.ZIP_DEFLATED) as z:
                for n in names: z.write(os.path.join(src, n), "cvs/" + n)
            with tarfile.open(os.path.join(out, "b.tar"), "w") as t:
                for n in names: t.add(os.path.join(src, n), "cvs/" + n)
            with tarfile.open(os.path.join(out, "c.tar.gz"), "w:gz") as t:
                for n in names: t.add(os.path.join(src, n), n)
            with tarfile.open(os.path.join(out, "d.tar"), "w", format=tarfile.PAX_FORMAT) as t:
                for n in names: t.add(os.path.join(src, n), ("x" * 120) + "/" + n)
            # A gzip stream with no tar inside is a (compressed) document, not a broken archive.
            import gzip
            with gzip.open(os.path.join(out, "notes.txt.gz"), "wb") as g: g.write(b"release notes, not a resume\\n" * 20)
            """, [source, out])
        let zstd = Process()
        zstd.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
        zstd.arguments = ["-q", "--rm", out + "/d.tar", "-o", out + "/d.tar.zst"]
        try zstd.run()
        zstd.waitUntilExit()
        #expect(zstd.terminationStatus == 0)
        let result = try await Self.runImport([out], database: url)
        #expect(result.status == 0, "\(result.log)")
        #expect(result.summary["archives"] as? Int == 4, "\(result.summary)")
        #expect(result.summary["documents"] as? Int == 13, "\(result.summary)")
        let rows = try Self.rows(url)
        #expect(rows.count == 4, "one row per content: \(rows)")
        #expect(rows.filter { $0.contains(":parsed:") }.count == 3, "\(rows)")
        #expect(rows.contains { $0.hasPrefix("notes.txt.gz:failed:") && !$0.hasSuffix(":corrupt") }, "\(rows)")
        #expect(TemporaryDirectory.list(out).count == 5, "the archives are left as they were")
    }

    @Test("hostile archives: each bad entry is a failed row with its code, every good entry is imported, nothing is written by an entry's name")
    func hostileArchives() async throws {
        let url = try TestDatabase.freshDatabase("import_hostile")
        defer { try? TestDatabase.dropDatabase(url) }
        let out = try TemporaryDirectory.make(prefix: "import-hostile")
        let good = Self.sample + "/" + Self.files[0]
        let other = Self.sample + "/" + Self.files[1]
        let canary = "/tmp/resume-ingest-canary-\(getpid())"
        try Self.python("""
            import io, os, sys, tarfile, zipfile
            good, other, out, canary = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
            data = open(good, "rb").read()
            data2 = open(other, "rb").read()
            def add(t, name, payload=b"", kind=tarfile.REGTYPE, link=""):
                i = tarfile.TarInfo(name); i.type = kind; i.linkname = link; i.size = len(payload) if kind == tarfile.REGTYPE else 0
                t.addfile(i, io.BytesIO(payload) if kind == tarfile.REGTYPE else None)
            # latin-1 names: "café.txt" is stored as bytes that are not UTF-8.
            with tarfile.open(os.path.join(out, "hostile.tar"), "w", format=tarfile.GNU_FORMAT, encoding="latin-1") as t:
                add(t, "ok/" + os.path.basename(good), data)
                add(t, "../escape.txt", b"x" * 100)
                add(t, canary, b"y" * 100)
                add(t, "link", kind=tarfile.SYMTYPE, link="/etc/passwd")
                add(t, "hard", kind=tarfile.LNKTYPE, link="ok/" + os.path.basename(good))
                add(t, "fifo", kind=tarfile.FIFOTYPE)
                add(t, "dev", kind=tarfile.CHRTYPE)
                inner = io.BytesIO()
                with zipfile.ZipFile(inner, "w") as z: z.writestr("cv.txt", "Jane")
                add(t, "inner.zip", inner.getvalue())
                add(t, "dup.txt", data2 + b"\\n1\\n")
                add(t, "dup.txt", data2 + b"\\n2\\n")
                add(t, "caf\\u00e9.txt", data2 + b"\\n3\\n")
            # A name with a drive letter, a bomb, an encrypted entry.
            with zipfile.ZipFile(os.path.join(out, "hostile.zip"), "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("C:\\\\windows\\\\evil.txt", b"z" * 100)
                z.writestr("bomb.txt", b"\\0" * (64 << 20))
                z.writestr("secret.txt", b"hidden " * 50)
                z.writestr("fine/" + os.path.basename(good), data)
            raw = bytearray(open(os.path.join(out, "hostile.zip"), "rb").read())
            # Flag secret.txt encrypted (bit 0 of the general purpose flags) in its local and central headers.
            name = b"secret.txt"
            for sig, off in ((b"PK\\x03\\x04", 6), (b"PK\\x01\\x02", 8)):
                i = raw.find(sig)
                while i >= 0:
                    nlen_off = 26 if sig == b"PK\\x03\\x04" else 28
                    hdr = 30 if sig == b"PK\\x03\\x04" else 46
                    nlen = int.from_bytes(raw[i + nlen_off:i + nlen_off + 2], "little")
                    if raw[i + hdr:i + hdr + nlen] == name: raw[i + off] |= 1
                    i = raw.find(sig, i + 4)
            open(os.path.join(out, "hostile.zip"), "wb").write(raw)
            # A truncated tar.gz: the first entry whole, then cut inside the second.
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w:gz") as t:
                add(t, "first.txt", data2 + b"\\n4\\n")
                add(t, "second.txt", os.urandom(200000))
            blob = buf.getvalue()
            open(os.path.join(out, "cut.tar.gz"), "wb").write(blob[: len(blob) - 60000])
            # Named as an archive, but it is not one.
            open(os.path.join(out, "fake.zip"), "wb").write(b"this is not a zip file at all\\n" * 10)
            """, [good, other, out, canary])
        let result = try await Self.runImport([out], database: url)
        #expect(result.status == 0, "\(result.log)")
        #expect(!FileManager.default.fileExists(atPath: canary), "an entry's name was used as a path")
        let rows = try Self.rows(url)
        func code(_ name: String) -> [String] { rows.filter { $0.hasPrefix(name + ":") }.map { String($0.split(separator: ":").last!) } }
        #expect(code("../escape.txt") == ["unsafe_entry"], "\(rows)")
        #expect(code(canary) == ["unsafe_entry"], "\(rows)")
        #expect(code("link") == ["unsafe_entry"], "\(rows)")
        #expect(code("hard") == ["unsafe_entry"], "\(rows)")
        #expect(code("fifo") == ["unsafe_entry"], "\(rows)")
        #expect(code("dev") == ["unsafe_entry"], "\(rows)")
        #expect(code("inner.zip") == ["nested_archive"], "\(rows)")
        #expect(rows.contains { $0.hasPrefix("C:") && $0.hasSuffix(":unsafe_entry") }, "\(rows)")
        #expect(code("bomb.txt") == ["decompression_bomb"], "\(rows)")
        #expect(code("secret.txt") == ["encrypted"], "\(rows)")
        #expect(code("fake.zip") == ["corrupt"], "\(rows)")
        // The good entries, both copies of a duplicated name, the non-UTF-8 name and the entry before the cut.
        #expect(rows.filter { $0.contains(Self.files[0]) && $0.contains(":parsed:") }.count == 1, "\(rows)")
        #expect(code("dup.txt").count == 2, "\(rows)")
        #expect(rows.contains { $0.hasPrefix("caf") && $0.contains(":parsed:") }, "\(rows)")
        #expect(code("first.txt") == ["-"], "\(rows)")
        #expect(rows.contains { $0.hasPrefix("cut.tar.gz:failed:corrupt") }, "\(rows)")
        let failed = rows.filter { $0.contains(":failed:") }.count
        #expect(result.summary["failed"] as? Int == failed, "\(result.summary)")
    }

    @Test("a path that does not exist: a clear message, exit status 2, the other paths imported")
    func missingPath() async throws {
        let url = try TestDatabase.freshDatabase("import_missing")
        defer { try? TestDatabase.dropDatabase(url) }
        let source = try Self.folder([Self.files[0]])
        let result = try await Self.runImport(["/nonexistent/cvs", source], database: url)
        #expect(result.status == 2)
        #expect(result.log.contains("/nonexistent/cvs"), "\(result.log)")
        #expect((result.summary["unreadable"] as? [String])?.first?.contains("no such file") == true, "\(result.summary)")
        #expect(try Self.rows(url).count == 1)
    }

    @Test("without DATABASE_URL: a clear error and exit status 1")
    func noDatabase() async throws {
        let engine = try EngineProcess(["import", Self.sample + "/" + Self.files[0]], environment: ["DATABASE_URL": nil])
        #expect(await engine.waitForExit(seconds: 60) == 1)
        #expect(engine.log.contains("DATABASE_URL"), "\(engine.log)")
    }

    @Test("killed with SIGKILL half-way and run again: every document once, nothing parsed twice")
    func killedAndResumed() async throws {
        let url = try TestDatabase.freshDatabase("import_resume")
        defer { try? TestDatabase.dropDatabase(url) }
        // The sample's resumes without the nasty set: enough work that the kill lands half-way.
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.sample).filter { !$0.hasPrefix("nasty") }
        let source = try Self.folder(names)
        let spool = try TemporaryDirectory.make(prefix: "import-resume-spool")
        let engine = try EngineProcess(["import", "--quiet", source],
                                       environment: ["DATABASE_URL": url, "SINK_BATCH_AGE_MS": "50",
                                                     "EXTRACT_CONCURRENCY": "1"], spool: spool)
        // Kill it once part of the work is committed (or after a bound, whatever it did).
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, engine.isRunning {
            let count = (try? Self.rows(url).count) ?? 0
            if count >= 3 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        engine.kill()
        #expect(engine.process.terminationReason == .uncaughtSignal, "killed before it finished")
        let committedBefore = Int(try TestDatabase.psql(url, """
            SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false);
            SELECT count(*) FROM documents
            """).split(separator: "\n").last ?? "0") ?? 0
        let again = try await Self.runImport([source], database: url, spool: spool)
        #expect(again.status == 0, "\(again.log)")
        let rows = try Self.rows(url)
        #expect(rows.count == names.count, "\(rows)")
        #expect(Set(rows.map { $0.split(separator: ":")[0] }).count == names.count, "no duplicate: \(rows)")
        // Content committed by the first run was reused, not parsed again.
        #expect((again.summary["reused"] as? Int ?? 0) >= committedBefore, "\(again.summary) after \(committedBefore)")
        #expect(TemporaryDirectory.list(spool + "/incoming").isEmpty)
    }
}
