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

    @Test("the hardening limits are read from the environment and reach the HTTP server")
    func hardeningLimits() throws {
        let c = try IngestConfiguration(environment: [
            "MAX_CONNECTIONS_PER_CLIENT": "8", "FD_RESERVE": "100", "MIN_BODY_RATE_BYTES": "1KiB",
            "BODY_RATE_WINDOW_MS": "2000", "REQUEST_TIMEOUT_MS": "60000", "MAX_UNSENT_RESPONSE_SIZE": "2MiB",
            "SEND_STALL_TIMEOUT_MS": "5000", "MAX_OTHER_BODY_SIZE": "4KiB",
        ])
        let server = c.limits.server
        #expect(server.maxConnectionsPerClient == 8)
        #expect(server.minBodyBytesPerWindow == 1024)
        #expect(server.bodyRateWindowMilliseconds == 2000)
        #expect(server.requestTimeoutMilliseconds == 60_000)
        #expect(server.maxUnsentResponseBytes == 2 << 20)
        #expect(server.sendStallTimeoutMilliseconds == 5000)
        #expect(server.maxChunkBytes == c.limits.maxImportBytes, "no chunk larger than the largest body")
        #expect(c.limits.maxOtherBodyBytes == 4096)
        #expect(c.limits.descriptorReserve == 100)
        let printed = Dictionary(uniqueKeysWithValues: c.printable)
        #expect(printed["MAX_UNSENT_RESPONSE_SIZE"] == String(2 << 20))
        #expect(printed["FD_RESERVE"] == "100")
        #expect(printed["MAX_OTHER_BODY_SIZE"] == "4096")
    }

    @Test("connections are capped under the open-file limit, two descriptors each, the reserve left over")
    func connectionCap() {
        var limits = IngestLimits()
        #expect(limits.maxConnections == 4096 && limits.descriptorReserve == 256)
        #expect(limits.connectionCap(openFiles: 1024) == 384, "the usual soft limit: (1024 - 256) / 2")
        #expect(limits.connectionCap(openFiles: 1 << 20) == 4096, "a large limit leaves MAX_CONNECTIONS")
        #expect(limits.connectionCap(openFiles: 100) == 1, "never none")
        limits.descriptorReserve = 1000
        #expect(limits.connectionCap(openFiles: 9192) == 4096)
        #expect(limits.connectionCap(openFiles: 9190) == 4095)
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
