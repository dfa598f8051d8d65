import Loop

#if canImport(Glibc)
import Glibc
#endif

/// The command line of one converter run, and what its outcome means: the argv table, without a process.
///
/// The extractor looks ``program`` up in ``ConverterTools`` (a missing or disabled program makes the step
/// `skipped`), starts it with ``child(executable:directory:configuration:)`` holding a process slot, and
/// reads its standard output as ``output`` says.
struct ConverterCommand: Sendable, Equatable {
    /// How the program's standard output becomes a step's result.
    enum Output: Sendable, Equatable {
        /// Text, as it is.
        case text
        /// HTML, read by ``HTMLText``.
        case html
        /// Text recognised on one page image: one page, OCR used.
        case ocrPage
        /// `pdftotext -bbox-layout`'s XHTML, read by ``PDFBoxLayout``: text in reading order, pages counted.
        case pdfBoxes
    }

    /// The program's name in ``ConverterTools``.
    var program: String
    /// Arguments after the program's name.
    var arguments: [String]
    /// Variables added to the private environment of ``child(executable:directory:configuration:)``.
    var extraEnvironment: [String: String] = [:]
    /// How the output is read.
    var output: Output = .text

    // MARK: The table

    /// `pdftotext -layout`, UTF-8 to standard output.
    static func pdftotext(_ file: String) -> ConverterCommand {
        ConverterCommand(program: "pdftotext", arguments: ["-layout", "-enc", "UTF-8", file, "-"])
    }

    /// `pdftotext -bbox-layout`: every page's lines with their boxes, as XHTML to standard output, for
    /// ``PDFBoxLayout`` to put in reading order.
    static func pdftotextBoxes(_ file: String) -> ConverterCommand {
        ConverterCommand(program: "pdftotext", arguments: ["-bbox-layout", "-enc", "UTF-8", file, "-"],
                         output: .pdfBoxes)
    }

    /// Renders at most `OCR_MAX_PAGES` pages, greyscale at `OCR_DPI`, as `<prefix>-N.png`.
    static func pdftoppm(_ file: String, into prefix: String, configuration: ExtractConfiguration) -> ConverterCommand {
        ConverterCommand(program: "pdftoppm", arguments: ["-r", String(configuration.ocrDPI), "-gray", "-l",
                                                          String(configuration.ocrMaxPages), "-png", file, prefix])
    }

    /// OCR of one image in `OCR_LANGUAGES`, on one thread (the pool runs several processes instead).
    static func tesseract(image: String, configuration: ExtractConfiguration) -> ConverterCommand {
        ConverterCommand(program: "tesseract",
                         arguments: [image, "stdout", "-l", configuration.ocrLanguages, "--psm", "3"],
                         extraEnvironment: ["OMP_THREAD_LIMIT": "1"], output: .ocrPage)
    }

    /// Word 97–2003 as UTF-8, lines unwrapped.
    static func antiword(_ file: String) -> ConverterCommand {
        ConverterCommand(program: "antiword", arguments: ["-m", "UTF-8.txt", "-w", "0", file])
    }

    /// Word 97–2003 as UTF-8, lines unwrapped.
    static func catdoc(_ file: String) -> ConverterCommand {
        ConverterCommand(program: "catdoc", arguments: ["-d", "utf-8", "-w", file])
    }

    /// A DOCX, ODT or RTF file as plain text, lines unwrapped.
    static func pandoc(_ file: String, kind: DocumentKind) -> ConverterCommand {
        let from = kind == .rtf ? "rtf" : kind.rawValue
        return ConverterCommand(program: "pandoc", arguments: ["-f", from, "-t", "plain", "--wrap=none", file])
    }

    /// RTF as HTML (its `--text` mode turns non-ASCII into `?`).
    static func unrtf(_ file: String) -> ConverterCommand {
        ConverterCommand(program: "unrtf", arguments: ["--html", file], output: .html)
    }

    // MARK: Running

    /// The child to start: the program at `executable` in `directory`, with a private environment and the
    /// configured limits (address space, CPU a second past the wall-clock limit, file size, stdout cap).
    func child(executable: String, directory: String, configuration: ExtractConfiguration) -> ChildCommand {
        var environment = ["PATH": "/usr/bin:/bin", "HOME": directory, "TMPDIR": directory, "LANG": "C.UTF-8",
                           "LC_ALL": "C.UTF-8"]
        environment.merge(extraEnvironment) { $1 }
        var limits = ChildLimits()
        limits.addressSpace = UInt64(configuration.memoryLimitBytes)
        limits.cpuSeconds = UInt64(max(1, configuration.timeoutMilliseconds / 1000 + 1))
        limits.fileSize = UInt64(max(configuration.maxOutputBytes, 256 << 20))
        limits.stdoutCap = configuration.maxOutputBytes
        limits.timeoutMilliseconds = UInt64(configuration.timeoutMilliseconds)
        return ChildCommand(executable: executable, arguments: arguments, environment: environment,
                            workingDirectory: directory, limits: limits)
    }

    /// The failure a run's outcome means, or nil for success.
    func failure(of outcome: ChildOutcome, limits: ChildLimits) -> ExtractionFailure? {
        let tail = outcome.stderrText
        let said = tail.isEmpty ? "" : ": " + String(tail.suffix(600))
        if outcome.timedOut {
            return ExtractionFailure(.timeout,
                                     "\(program) ran past \(limits.timeoutMilliseconds) ms and was killed\(said)")
        }
        if outcome.stdoutOverflowed {
            return ExtractionFailure(.tooLarge, "\(program) wrote more than \(limits.stdoutCap) bytes and was cut off")
        }
        switch outcome.termination {
        case .exited(0):
            return nil
        case .signaled(SIGXCPU), .signaled(SIGKILL):
            return ExtractionFailure(.timeout,
                                     "\(program) used its \(limits.cpuSeconds) s of CPU and was killed\(said)")
        case .signaled(SIGXFSZ):
            return ExtractionFailure(.tooLarge, "\(program) wrote a file over \(limits.fileSize) bytes\(said)")
        case .exited(let code), .signaled(let code):
            let lower = tail.lowercased()
            if lower.contains("password") || lower.contains("encrypt") {
                return ExtractionFailure(.encrypted, "\(program): the document is password-protected\(said)")
            }
            if lower.contains("bad_alloc") || lower.contains("out of memory") || lower.contains("cannot allocate") {
                return ExtractionFailure(.tooLarge, "\(program) ran out of its \(limits.addressSpace >> 20) MiB\(said)")
            }
            let how = if case .signaled = outcome.termination {
                "was killed by signal \(code)"
            } else {
                "exited with \(code)"
            }
            return ExtractionFailure(.corrupt, "\(program) \(how)\(said)")
        }
    }
}
