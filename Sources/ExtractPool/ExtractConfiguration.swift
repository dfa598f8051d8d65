import Loop

#if canImport(Glibc)
import Glibc
#endif

/// ExtractPool's settings, from the environment (names compatible with the Python service it replaces).
public struct ExtractConfiguration: Sendable, Equatable {
    /// Documents extracted at once, and converter processes running at once (`EXTRACT_CONCURRENCY`;
    /// default: the number of cores).
    public var concurrency = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    /// `DOC_ENABLE_ANTIWORD`: antiword (then catdoc) for Word 97–2003.
    public var enableAntiword = true
    /// `DOC_ENABLE_LIBREOFFICE`: warm LibreOffice as the last fallback for office formats.
    public var enableLibreOffice = true
    /// `DOC_ENABLE_PANDOC`: pandoc for DOCX/ODT/RTF when the faster paths fail.
    public var enablePandoc = true
    /// `DOC_ENABLE_OCR`: tesseract for images and for PDFs without a text layer.
    public var enableOCR = true
    /// `MIN_TEXT_LENGTH_FOR_OCR`: a PDF whose text layer is shorter is OCRed.
    public var minTextLengthForOCR = 100
    /// `OCR_MAX_PAGES`: pages rendered and OCRed per document at most.
    public var ocrMaxPages = 10
    /// `OCR_DPI`: rendering resolution for OCR.
    public var ocrDPI = 300
    /// `OCR_LANGUAGES`: tesseract's `-l`.
    public var ocrLanguages = "eng"
    /// `EXTRACT_TIMEOUT_MS`: wall-clock limit of one converter run.
    public var timeoutMilliseconds = 60_000
    /// `EXTRACT_MAX_OUTPUT`: stdout kept from a converter; past it the converter is killed (`too_large`).
    public var maxOutputBytes = 16 << 20
    /// `EXTRACT_MEMORY_LIMIT`: `RLIMIT_AS` of a converter.
    public var memoryLimitBytes = 2 << 30
    /// `EXTRACT_MAX_INFLATED`: how far a DOCX/ODT part may inflate before it counts as a zip bomb.
    public var maxInflatedBytes = 64 << 20
    /// `LIBREOFFICE_INSTANCES`: warm LibreOffice instances kept.
    public var libreOfficeInstances = 1
    /// `LIBREOFFICE_RECYCLE_AFTER`: documents an instance converts before it is restarted.
    public var libreOfficeRecycleAfter = 200
    /// `EXTRACT_WORK_DIR`: where each document gets its private temporary directory (emptied at start-up).
    public var workDirectory = ".data/extract-work"
    /// `EXTRACT_SANDBOX`: `auto` (bubblewrap when it works here), `bwrap` (required) or `off`; see
    /// ``SandboxMode``.
    public var sandbox = SandboxMode.auto
    /// Directories searched for converters (`EXTRACT_PATH`, default the system's binary directories).
    public var searchPath = ["/usr/local/bin", "/usr/bin", "/bin"]

    public init() {}

    /// Reads the settings; unset variables keep their defaults.
    public init(environment: [String: String]) throws(InvalidSetting) {
        let env = EnvironmentReader(environment)
        concurrency = try env.int("EXTRACT_CONCURRENCY", default: concurrency, range: 1...256)
        enableAntiword = try env.bool("DOC_ENABLE_ANTIWORD", default: enableAntiword)
        enableLibreOffice = try env.bool("DOC_ENABLE_LIBREOFFICE", default: enableLibreOffice)
        enablePandoc = try env.bool("DOC_ENABLE_PANDOC", default: enablePandoc)
        enableOCR = try env.bool("DOC_ENABLE_OCR", default: enableOCR)
        minTextLengthForOCR = try env.int("MIN_TEXT_LENGTH_FOR_OCR", default: minTextLengthForOCR, range: 0...1_000_000)
        ocrMaxPages = try env.int("OCR_MAX_PAGES", default: ocrMaxPages, range: 1...1000)
        ocrDPI = try env.int("OCR_DPI", default: ocrDPI, range: 72...1200)
        ocrLanguages = env.string("OCR_LANGUAGES", default: ocrLanguages)
        timeoutMilliseconds = try env.int("EXTRACT_TIMEOUT_MS", default: timeoutMilliseconds, range: 100...3_600_000)
        maxOutputBytes = try env.bytes("EXTRACT_MAX_OUTPUT", default: maxOutputBytes)
        memoryLimitBytes = try env.bytes("EXTRACT_MEMORY_LIMIT", default: memoryLimitBytes)
        maxInflatedBytes = try env.bytes("EXTRACT_MAX_INFLATED", default: maxInflatedBytes)
        libreOfficeInstances = try env.int("LIBREOFFICE_INSTANCES", default: libreOfficeInstances, range: 0...64)
        libreOfficeRecycleAfter = try env.int("LIBREOFFICE_RECYCLE_AFTER", default: libreOfficeRecycleAfter,
                                              range: 1...1_000_000)
        workDirectory = env.string("EXTRACT_WORK_DIR", default: workDirectory)
        let sandboxName = env.string("EXTRACT_SANDBOX", default: sandbox.rawValue)
        guard let mode = SandboxMode(rawValue: sandboxName) else {
            throw InvalidSetting(name: "EXTRACT_SANDBOX", value: sandboxName, expected: "auto, bwrap or off")
        }
        sandbox = mode
        let path = env.string("EXTRACT_PATH", default: "")
        if !path.isEmpty { searchPath = path.split(separator: ":").map(String.init) }
    }

    /// `(variable, effective value)` pairs for `doctor`.
    public var printable: [(String, String)] {
        [
            ("EXTRACT_CONCURRENCY", String(concurrency)),
            ("DOC_ENABLE_ANTIWORD", String(enableAntiword)), ("DOC_ENABLE_LIBREOFFICE", String(enableLibreOffice)),
            ("DOC_ENABLE_PANDOC", String(enablePandoc)), ("DOC_ENABLE_OCR", String(enableOCR)),
            ("MIN_TEXT_LENGTH_FOR_OCR", String(minTextLengthForOCR)), ("OCR_MAX_PAGES", String(ocrMaxPages)),
            ("OCR_DPI", String(ocrDPI)), ("OCR_LANGUAGES", ocrLanguages),
            ("EXTRACT_TIMEOUT_MS", String(timeoutMilliseconds)), ("EXTRACT_MAX_OUTPUT", String(maxOutputBytes)),
            ("EXTRACT_MEMORY_LIMIT", String(memoryLimitBytes)), ("EXTRACT_MAX_INFLATED", String(maxInflatedBytes)),
            ("LIBREOFFICE_INSTANCES", String(libreOfficeInstances)),
            ("LIBREOFFICE_RECYCLE_AFTER", String(libreOfficeRecycleAfter)),
            ("EXTRACT_WORK_DIR", workDirectory), ("EXTRACT_SANDBOX", sandbox.rawValue), ("EXTRACT_PATH", searchPath.joined(separator: ":")),
        ]
    }
}
