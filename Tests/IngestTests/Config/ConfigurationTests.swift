@testable import Loop
@testable import HTTP1
import Testing

@testable import Ingest

@Suite("Configuration")
struct ConfigurationTests {
    @Test("defaults work on a laptop")
    func defaults() throws {
        let c = try IngestConfiguration(environment: [:])
        #expect(c == IngestConfiguration())
        #expect(c.limits.maxFileBytes == 10 * 1024 * 1024)
        #expect(c.port == 8080)
        #expect(c.spoolDirectory == ".data/spool")
    }

    @Test("variables override defaults; sizes take binary suffixes")
    func overrides() throws {
        let c = try IngestConfiguration(environment: [
            "PORT": "9000", "MAX_FILE_SIZE": "2MiB", "SPOOL_DIR": "/var/spool/x", "SPOOL_HIGH_WATER_BYTES": "1G",
            "MAX_REQUEST_SIZE": " 4096 ", "HEADER_TIMEOUT_MS": "1500",
        ])
        #expect(c.port == 9000)
        #expect(c.limits.maxFileBytes == 2 << 20)
        #expect(c.spoolDirectory == "/var/spool/x")
        #expect(c.spoolMarks.highWaterBytes == 1 << 30)
        #expect(c.limits.maxRequestBytes == 4096)
        #expect(c.limits.headerTimeoutMilliseconds == 1500)
    }

    @Test("invalid values name the variable and what was expected", arguments: [
        ("PORT", "http"), ("PORT", "70000"), ("MAX_FILE_SIZE", "ten"), ("MAX_FILE_SIZE", "-5"),
        ("MAX_FILE_SIZE", "99999999999999999999G"), ("SPOOL_HIGH_WATER_FILES", "0"),
    ])
    func invalid(name: String, value: String) {
        #expect(throws: IngestConfiguration.InvalidSetting.self) {
            try IngestConfiguration(environment: [name: value])
        }
        do {
            _ = try IngestConfiguration(environment: [name: value])
        } catch {
            #expect(error.name == name)
            #expect(error.description.hasPrefix("\(name)=\(value)"))
        }
    }
}
