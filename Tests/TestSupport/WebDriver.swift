import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real headless browser for the tests that look at a page: Debian's `chromedriver` (package
/// `chromium-driver`) on a free port of 127.0.0.1, one Chromium session, and the few W3C WebDriver commands
/// the tests use, spoken as JSON over HTTP. No client library: the protocol is a handful of routes.
///
/// Chromium runs `--headless=new --no-sandbox` (the tests run as root, where its sandbox refuses to start)
/// with `/dev/shm` left alone (small in containers). Its console is kept (`goog:loggingPrefs`), so a test can
/// assert that the page raised no error, a Content-Security-Policy refusal included.
public final class WebDriver: @unchecked Sendable {
    // @unchecked: every property is set once in init; the driver process is only signalled after.
    /// A found element, by its WebDriver reference.
    public struct Element: Sendable {
        public let reference: String
    }

    private let driver: Process
    private let base: String
    private let session: String
    private let output: Pipe

    /// Debian's paths: `chromium` and `chromium-driver`.
    public static let chromedriver = "/usr/bin/chromedriver"
    public static let chromium = "/usr/bin/chromium"

    /// What is missing to run a browser test, or nil when both are installed.
    public static var missing: String? {
        let absent = [chromedriver, chromium].filter { !FileManager.default.isExecutableFile(atPath: $0) }
        guard !absent.isEmpty else { return nil }
        return "\(absent.joined(separator: " and ")) not found: install chromium and chromium-driver "
            + "(scripts/install-deps.sh test)"
    }

    private init(driver: Process, output: Pipe, base: String, session: String) {
        self.driver = driver
        self.output = output
        self.base = base
        self.session = session
    }

    /// Starts chromedriver and a browser whose window is `width` × `height`.
    public static func start(width: Int = 1280, height: Int = 1000, timeoutSeconds: Double = 60) async throws
        -> WebDriver
    {
        if let missing { throw TestFailure(missing) }
        let driver = Process()
        driver.executableURL = URL(fileURLWithPath: chromedriver)
        driver.arguments = ["--port=0"]
        let output = Pipe()
        driver.standardOutput = output
        driver.standardError = FileHandle.nullDevice
        driver.standardInput = FileHandle.nullDevice
        let printed = Printed()
        output.fileHandleForReading.readabilityHandler = { handle in printed.append(handle.availableData) }
        try driver.run()
        // chromedriver picks the port itself and says which: "… was started successfully on port 42353."
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var port = 0
        while port == 0, Date() < deadline, driver.isRunning {
            if let match = printed.text.firstMatch(of: /started successfully on port (\d+)/) {
                port = Int(match.1) ?? 0
            }
            if port == 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
        guard port > 0 else {
            if driver.isRunning { driver.terminate() }
            throw TestFailure("chromedriver did not start: \(printed.text)")
        }
        let base = "http://127.0.0.1:\(port)"
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome",
            "goog:chromeOptions": [
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                         "--window-size=\(width),\(height)"],
            ],
            "goog:loggingPrefs": ["browser": "ALL"],
            "timeouts": ["script": 30_000, "pageLoad": 60_000, "implicit": 0],
        ] as [String: Any]]]
        do {
            let value = try await call(base, "POST", "/session", capabilities, timeout: timeoutSeconds)
            guard let session = (value as? [String: Any])?["sessionId"] as? String else {
                throw TestFailure("no session in \(String(describing: value))")
            }
            return WebDriver(driver: driver, output: output, base: base, session: session)
        } catch {
            driver.terminate()
            driver.waitUntilExit()
            throw error
        }
    }

    /// Ends the session (Chromium exits) and chromedriver.
    public func close() async {
        _ = try? await command("DELETE", "", nil)
        if driver.isRunning { driver.terminate() }
        let deadline = Date().addingTimeInterval(10)
        while driver.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if driver.isRunning { kill(driver.processIdentifier, SIGKILL) }
        output.fileHandleForReading.readabilityHandler = nil
    }

    // MARK: Commands

    public func navigate(_ url: String) async throws {
        _ = try await command("POST", "/url", ["url": url])
    }

    public func resize(width: Int, height: Int) async throws {
        _ = try await command("POST", "/window/rect", ["width": width, "height": height])
    }

    /// The first element matching a CSS selector; throws when there is none.
    public func find(_ css: String) async throws -> Element {
        try await find(using: "css selector", css)
    }

    /// The first element matching an XPath expression; throws when there is none.
    public func find(xpath: String) async throws -> Element {
        try await find(using: "xpath", xpath)
    }

    private func find(using strategy: String, _ value: String) async throws -> Element {
        let found = try await command("POST", "/element", ["using": strategy, "value": value])
        guard let object = found as? [String: Any], let reference = object.values.first as? String else {
            throw TestFailure("no element \(value)")
        }
        return Element(reference: reference)
    }

    public func click(_ element: Element) async throws {
        _ = try await command("POST", "/element/\(element.reference)/click", [:])
    }

    public func clear(_ element: Element) async throws {
        _ = try await command("POST", "/element/\(element.reference)/clear", [:])
    }

    /// Types `text`; into a file input, newline-separated paths choose those files.
    public func type(_ text: String, into element: Element) async throws {
        _ = try await command("POST", "/element/\(element.reference)/value", ["text": text])
    }

    /// The element's rendered text.
    public func text(_ element: Element) async throws -> String {
        try await command("GET", "/element/\(element.reference)/text", nil) as? String ?? ""
    }

    /// The rendered text of the first element matching `css`, or "" when there is none.
    public func text(of css: String) async throws -> String {
        guard let element = try? await find(css) else { return "" }
        return try await text(element)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page and returns what it returns.
    public func execute(_ script: String, _ args: [Any] = []) async throws -> Any? {
        try await command("POST", "/execute/sync", ["script": script, "args": args])
    }

    /// A PNG of the window.
    public func screenshot() async throws -> Data {
        guard let base64 = try await command("GET", "/screenshot", nil) as? String,
              let data = Data(base64Encoded: base64)
        else { throw TestFailure("the screenshot was not base64") }
        return data
    }

    /// The browser console's entries since the last call: `(level, message)`.
    public func console() async throws -> [(level: String, message: String)] {
        let entries = try await command("POST", "/se/log", ["type": "browser"]) as? [[String: Any]] ?? []
        return entries.map { ($0["level"] as? String ?? "", $0["message"] as? String ?? "") }
    }

    /// Polls `condition` every 250 ms until it holds or `seconds` have passed (then throws, saying `what` and
    /// the last value `describe` gave).
    public func wait(_ what: String, seconds: Double, describe: () async -> String = { "" },
                     until condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if (try? await condition()) == true { return }
            if Date() >= deadline {
                throw TestFailure("waited \(Int(seconds)) s for \(what); last seen: \(await describe())")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    // MARK: The wire

    private func command(_ method: String, _ path: String, _ body: [String: Any]?) async throws -> Any? {
        try await Self.call(base, method, "/session/\(session)\(path)", body, timeout: 90)
    }

    /// One WebDriver request: its `value`, or a thrown ``TestFailure`` with the driver's error.
    ///
    /// Through `curl` on a thread of its own rather than URLSession: FoundationNetworking fails on chromedriver's
    /// answers here ("Failed writing header"), and a blocking wait must not hold one of the pool's threads.
    private static func call(_ base: String, _ method: String, _ path: String, _ body: [String: Any]?,
                             timeout: Double) async throws -> Any? {
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let (data, status) = try await offPool { () throws -> (Data, Int) in
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            var arguments = ["-sS", "--max-time", String(Int(timeout)), "-X", method, "-w", "\n%{http_code}"]
            if payload != nil {
                arguments += ["-H", "Content-Type: application/json; charset=utf-8", "--data-binary", "@-"]
            }
            curl.arguments = arguments + [base + path]
            let input = Pipe()
            let output = Pipe()
            curl.standardInput = input
            curl.standardOutput = output
            try curl.run()
            if let payload { input.fileHandleForWriting.write(payload) }
            try? input.fileHandleForWriting.close()
            var data = output.fileHandleForReading.readDataToEndOfFile()
            curl.waitUntilExit()
            // The status is the last line (`-w`); 0 when there was no answer at all.
            let newline = data.lastIndex(of: 0x0A) ?? data.startIndex
            let status = Int(String(decoding: data[newline...].dropFirst(data.isEmpty ? 0 : 1), as: UTF8.self)) ?? 0
            data = data[..<newline]
            return (Data(data), status)
        }
        let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        let value = (json as? [String: Any])?["value"]
        guard status == 200 else {
            let error = value as? [String: Any]
            throw TestFailure("WebDriver \(method) \(path): \(status) \(error?["error"] ?? "") "
                              + "\(error?["message"] ?? String(decoding: data.prefix(500), as: UTF8.self))")
        }
        return value is NSNull ? nil : value
    }
}

/// What a child printed, gathered from its pipe's handler thread.
private final class Printed: @unchecked Sendable {
    // @unchecked: `data` is guarded by `lock`.
    private let lock = NSLock()
    private var data = Data()

    func append(_ more: Data) { lock.withLock { data.append(more) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
