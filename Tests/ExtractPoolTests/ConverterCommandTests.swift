#if canImport(Glibc)
import Glibc
#endif
@testable import Loop
import Testing

@testable import ExtractPool

/// The argv table without a process: each step's command line, the child's environment and limits, and what
/// an outcome means.
@Suite("Converter commands")
struct ConverterCommandTests {
    private let input = ExtractionInput(id: "doc/../7", path: "/spool/incoming/abc", size: 10)

    private func directory(_ kind: DocumentKind) -> WorkDirectory {
        WorkDirectory(root: "/work", number: 3, input: input, kind: kind)
    }

    private func configuration() -> ExtractConfiguration {
        var c = ExtractConfiguration()
        c.ocrDPI = 200
        c.ocrMaxPages = 4
        c.ocrLanguages = "eng+deu"
        c.timeoutMilliseconds = 2_500
        c.maxOutputBytes = 1 << 20
        c.memoryLimitBytes = 512 << 20
        c.maxInflatedBytes = 8 << 20
        return c
    }

    private func execution(_ step: ConverterStep, _ kind: DocumentKind) -> ConverterStep.Execution {
        step.execution(kind: kind, directory: directory(kind), configuration: configuration())
    }

    @Test("the work directory: a unique number, a readable id without path characters, the input's extension")
    func workDirectory() {
        let dir = directory(.word97)
        #expect(dir.path == "/work/3-doc7")
        #expect(dir.input == "/work/3-doc7/input.doc")
        #expect(dir.source == "/spool/incoming/abc")
        #expect(dir.pagePrefix == "/work/3-doc7/pages/page")
        #expect(WorkDirectory(root: "/w", number: 1, input: .init(id: "x", path: "rel/f", size: 0), kind: .image)
            .source.hasSuffix("/rel/f"))
    }

    @Test("programs and their arguments, step by step")
    func argv() {
        #expect(execution(.pdftotext, .pdf) == .pdfText(
            boxes: ConverterCommand(program: "pdftotext",
                                    arguments: ["-bbox-layout", "-enc", "UTF-8", "/work/3-doc7/input.pdf", "-"],
                                    output: .pdfBoxes),
            layout: ConverterCommand(program: "pdftotext",
                                     arguments: ["-layout", "-enc", "UTF-8", "/work/3-doc7/input.pdf", "-"])))
        #expect(execution(.antiword, .word97) == .program(ConverterCommand(
            program: "antiword", arguments: ["-m", "UTF-8.txt", "-w", "0", "/work/3-doc7/input.doc"])))
        #expect(execution(.catdoc, .word97) == .program(ConverterCommand(
            program: "catdoc", arguments: ["-d", "utf-8", "-w", "/work/3-doc7/input.doc"])))
        #expect(execution(.unrtf, .rtf) == .program(ConverterCommand(
            program: "unrtf", arguments: ["--html", "/work/3-doc7/input.rtf"], output: .html)))
        #expect(execution(.imageOCR, .image) == .program(ConverterCommand(
            program: "tesseract", arguments: ["/work/3-doc7/input.img", "stdout", "-l", "eng+deu", "--psm", "3"],
            extraEnvironment: ["OMP_THREAD_LIMIT": "1"], output: .ocrPage)))
    }

    @Test("pandoc reads each format under its own name")
    func pandoc() {
        for (kind, from) in [(DocumentKind.docx, "docx"), (.odt, "odt"), (.rtf, "rtf")] {
            let file = "/work/3-doc7/input." + from
            #expect(execution(.pandoc, kind) == .program(ConverterCommand(
                program: "pandoc", arguments: ["-f", from, "-t", "plain", "--wrap=none", file])))
        }
    }

    @Test("PDF OCR renders at most OCR_MAX_PAGES greyscale pages at OCR_DPI into the pages directory")
    func pdfOCR() {
        #expect(execution(.pdfOCR, .pdf) == .ocrPDF(
            render: ConverterCommand(program: "pdftoppm",
                                     arguments: ["-r", "200", "-gray", "-l", "4", "-png", "/work/3-doc7/input.pdf",
                                                 "/work/3-doc7/pages/page"]),
            pagesDirectory: "/work/3-doc7/pages"))
    }

    @Test("in-process steps: office XML inflates to EXTRACT_MAX_INFLATED per part and twice that in all")
    func inProcess() {
        #expect(execution(.officeXML, .docx)
            == .officeXML(OfficeXMLText.Limits(maxEntryBytes: 8 << 20, maxTotalInflated: 16 << 20)))
        #expect(execution(.libreOffice, .odt) == .libreOffice)
        #expect(execution(.html, .html) == .readHTML)
        #expect(execution(.text, .text) == .readText)
    }

    @Test("every program a chain runs is one ConverterTools looks up")
    func programsAreKnown() {
        for kind in DocumentKind.allCases {
            for step in ConverterChain.steps(for: kind) {
                switch execution(step, kind) {
                case .program(let command):
                    #expect(ConverterTools.programs.contains(command.program), "\(step)")
                case .ocrPDF(let render, _):
                    #expect(ConverterTools.programs.contains(render.program))
                case .pdfText(let boxes, let layout):
                    #expect(ConverterTools.programs.contains(boxes.program))
                    #expect(ConverterTools.programs.contains(layout.program))
                case .officeXML, .libreOffice, .readHTML, .readText:
                    break
                }
            }
        }
    }

    @Test("the child: a private environment in its directory, CPU a second past the wall-clock limit")
    func child() {
        let child = ConverterCommand.tesseract(image: "/work/3-doc7/pages/page-1.png", configuration: configuration())
            .child(executable: "/usr/bin/tesseract", directory: "/work/3-doc7", configuration: configuration())
        #expect(child.executable == "/usr/bin/tesseract")
        #expect(child.workingDirectory == "/work/3-doc7")
        #expect(child.environment == ["PATH": "/usr/bin:/bin", "HOME": "/work/3-doc7", "TMPDIR": "/work/3-doc7",
                                      "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "OMP_THREAD_LIMIT": "1"])
        #expect(child.limits.timeoutMilliseconds == 2_500)
        #expect(child.limits.cpuSeconds == 3)
        #expect(child.limits.addressSpace == 512 << 20)
        #expect(child.limits.stdoutCap == 1 << 20)
        #expect(child.limits.fileSize == 256 << 20, "files may grow past a small stdout cap")
        var quick = configuration()
        quick.timeoutMilliseconds = 100
        #expect(ConverterCommand.pdftotext("f").child(executable: "/p", directory: "/d", configuration: quick)
            .limits.cpuSeconds == 1)
    }

    private func outcome(_ termination: ChildOutcome.Termination, stderr: String = "", timedOut: Bool = false,
                         overflowed: Bool = false) -> ChildOutcome {
        ChildOutcome(termination: termination, stdout: [], stderrTail: Array(stderr.utf8), timedOut: timedOut,
                     stdoutOverflowed: overflowed, wallNanoseconds: 0, loopNanoseconds: 0)
    }

    @Test("what an outcome means: timeouts, caps, passwords, memory, and the rest is corrupt")
    func failures() {
        let command = ConverterCommand.antiword("f")
        let limits = command.child(executable: "/p", directory: "/d", configuration: configuration()).limits
        func code(_ o: ChildOutcome) -> ExtractionFailure.Code? { command.failure(of: o, limits: limits)?.code }
        #expect(code(outcome(.exited(0))) == nil)
        #expect(code(outcome(.exited(0), timedOut: true)) == .timeout, "killed at the deadline, whatever it said")
        #expect(code(outcome(.exited(0), overflowed: true)) == .tooLarge)
        #expect(code(outcome(.signaled(SIGXCPU))) == .timeout)
        #expect(code(outcome(.signaled(SIGXFSZ))) == .tooLarge)
        #expect(code(outcome(.exited(1), stderr: "Error: Incorrect password\n")) == .encrypted)
        #expect(code(outcome(.signaled(SIGABRT), stderr: "std::bad_alloc")) == .tooLarge)
        let corrupt = command.failure(of: outcome(.exited(3), stderr: "  not a Word document \n"), limits: limits)
        #expect(corrupt == ExtractionFailure(.corrupt, "antiword exited with 3: not a Word document"))
        #expect(command.failure(of: outcome(.signaled(SIGSEGV)), limits: limits)?.detail
            == "antiword was killed by signal \(SIGSEGV)")
    }
}
