#if canImport(Glibc)
import Glibc
#endif

/// The converter programs found on this machine, and which of them the configuration allows.
///
/// Looked up once at start-up (children get absolute paths and no `PATH` search); `/startup-status` and
/// `doctor` show the result, and a chain step whose program is missing or disabled is recorded as
/// `skipped` — a document that no enabled converter can read fails as `converter_missing`.
public struct ConverterTools: Sendable, Equatable {
    /// Absolute paths by program name, for the programs found.
    public var paths: [String: String]
    /// Programs switched off by `DOC_ENABLE_*`.
    public var disabled: Set<String>
    /// Whether Debian's python3 can import `uno` (the bridge that keeps LibreOffice warm needs it).
    public var hasPythonUNO: Bool

    /// Every program a chain can use.
    public static let programs = ["pdftotext", "pdftoppm", "tesseract", "antiword", "catdoc", "unrtf", "pandoc",
                                  "soffice", "python3"]

    /// Looks the programs up in `configuration.searchPath`.
    public init(configuration: ExtractConfiguration) {
        var paths: [String: String] = [:]
        for program in Self.programs {
            for dir in configuration.searchPath where access(dir + "/" + program, X_OK) == 0 {
                paths[program] = dir + "/" + program
                break
            }
        }
        self.paths = paths
        var disabled: Set<String> = []
        if !configuration.enableAntiword { disabled.insert("antiword") }
        if !configuration.enablePandoc { disabled.insert("pandoc") }
        if !configuration.enableOCR { disabled.formUnion(["tesseract", "pdftoppm"]) }
        if !configuration.enableLibreOffice { disabled.insert("soffice") }
        self.disabled = disabled
        // Debian installs the binding for its own python3 only.
        let unoModules: [String] = ["/usr/lib/python3/dist-packages/uno.py", "/usr/lib/libreoffice/program/uno.py"]
        hasPythonUNO = unoModules.contains { access($0, R_OK) == 0 } && paths["python3"] != nil
    }

    /// The program's path when it is installed and enabled.
    public func path(_ program: String) -> String? {
        disabled.contains(program) ? nil : paths[program]
    }

    /// Why a program cannot be used, for the attempt's detail.
    public func unavailable(_ program: String) -> String {
        disabled.contains(program) ? "\(program) is disabled by configuration" : "\(program) is not installed"
    }

    /// Whether warm LibreOffice instances can run.
    public var libreOfficeUsable: Bool { path("soffice") != nil && hasPythonUNO }

    /// One line per program for `/startup-status` and `doctor`: found path, `disabled` or `missing`.
    public var summary: [(String, String)] {
        Self.programs.map { p in
            (p, disabled.contains(p) ? "disabled" : paths[p] ?? "missing")
        }
    }
}
