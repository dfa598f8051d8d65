import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Debian's nginx as the HTTP load balancer in front of several `serve` engines, in a private prefix (its
/// configuration, logs, pid and temporary files in a directory of its own), on a free port of 127.0.0.1.
///
/// nginx runs in the foreground (`daemon off`) as a child of the test with a master process, so ``reload(upstreams:)``
/// (SIGHUP) swaps its upstreams as an operator would, and ``stop()`` (SIGQUIT, a graceful stop) ends it.
public final class NginxBalancer: @unchecked Sendable {
    // @unchecked: every property is set in init or changed only by reload, which a test calls from one task.
    /// Debian's binary (packages `nginx` or `nginx-light`; `scripts/install-deps.sh test` installs it).
    public static let executable = "/usr/sbin/nginx"

    /// The private prefix: `nginx.conf`, `error.log`, `access.log`, `nginx.pid` and the temporary directories.
    public let prefix: String
    /// The port nginx listens on (127.0.0.1).
    public let port: Int
    private let process: Process
    private var reloads = 0

    /// Starts nginx in front of `upstreams` (ports of 127.0.0.1) once it accepts connections. Throws, with a
    /// message that says what to install, when nginx is missing: a test that needs it must fail, not skip.
    public static func start(upstreams: [Int], timeoutSeconds: Double = 30) async throws -> NginxBalancer {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestFailure("""
                \(executable) is missing: the multi-engine tests run Debian's nginx as their load balancer. \
                Install it with `scripts/install-deps.sh test` (or `apt-get install nginx-light`).
                """)
        }
        var failures: [String] = []
        // The port is found free and then given to nginx: another process may take it in between, so a failed
        // bind is tried again on another port.
        for _ in 0..<3 {
            let prefix = try TemporaryDirectory.make(prefix: "nginx")
            let port = try freePort()
            let balancer = try NginxBalancer(prefix: prefix, port: port, upstreams: upstreams)
            let deadline = Date().addingTimeInterval(timeoutSeconds)
            while Date() < deadline, balancer.process.isRunning, !canConnect(port: port) {
                try await Task.sleep(for: .milliseconds(20))
            }
            if balancer.process.isRunning, canConnect(port: port) { return balancer }
            failures.append("port \(port): \(balancer.errorLog)")
            balancer.stop()
        }
        throw TestFailure("nginx did not start:\n" + failures.joined(separator: "\n"))
    }

    private init(prefix: String, port: Int, upstreams: [Int]) throws {
        self.prefix = prefix
        self.port = port
        try Self.configuration(prefix: prefix, port: port, upstreams: upstreams, asRoot: geteuid() == 0)
            .write(toFile: prefix + "/nginx.conf", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        // -e: the error log before the configuration is read (Debian's default is stderr) stays in the prefix too.
        process.arguments = ["-p", prefix + "/", "-c", prefix + "/nginx.conf", "-e", prefix + "/error.log"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Points nginx at other upstreams (a node replaced, on a new port): a new configuration and SIGHUP, as
    /// `nginx -s reload` does; returns once the master has started workers with it.
    public func reload(upstreams: [Int], timeoutSeconds: Double = 30) async throws {
        try Self.configuration(prefix: prefix, port: port, upstreams: upstreams, asRoot: geteuid() == 0)
            .write(toFile: prefix + "/nginx.conf", atomically: true, encoding: .utf8)
        reloads += 1
        kill(process.processIdentifier, SIGHUP)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline, process.isRunning {
            // The master logs "reconfiguring" at each SIGHUP, then "start worker process" for each new worker.
            let log = errorLog
            let reconfigured = log.components(separatedBy: "reconfiguring").count - 1
            if reconfigured >= reloads,
               let last = log.range(of: "reconfiguring", options: .backwards),
               log[last.upperBound...].contains("start worker process") { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("nginx did not reload:\n\(errorLog)")
    }

    /// Stops nginx gracefully (SIGQUIT: open requests finish), or kills it after `seconds`. Idempotent; blocks its
    /// thread for as long as nginx takes (usually milliseconds), so it may run in a `defer`.
    public func stop(seconds: Double = 10) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGQUIT)
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning {
            // SIGTERM: the fast shutdown, which ends the workers too (a killed master would leave them).
            kill(process.processIdentifier, SIGTERM)
            let late = Date().addingTimeInterval(2)
            while process.isRunning, Date() < late { usleep(10_000) }
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// nginx's error log (`notice` level: starts, reloads, upstream failures).
    public var errorLog: String { (try? String(contentsOfFile: prefix + "/error.log", encoding: .utf8)) ?? "" }

    /// The access log: one line per request, `<status> <upstream address(es)> <method> <uri>`.
    public var accessLog: String { (try? String(contentsOfFile: prefix + "/access.log", encoding: .utf8)) ?? "" }

    /// The configuration: one `server` on `127.0.0.1:port` proxying everything to `upstreams`, with every file
    /// inside `prefix`. Pure, so a test can read it.
    public static func configuration(prefix: String, port: Int, upstreams: [Int], asRoot: Bool) -> String {
        let servers = upstreams.map { "        server 127.0.0.1:\($0) max_fails=1 fail_timeout=2s;" }
            .joined(separator: "\n")
        return """
            # Written by the tests (Tests/TestSupport/NginxBalancer.swift); nginx runs with -p \(prefix)/.
            \(asRoot ? "# Workers run as root like the master: the private prefix is 0700.\nuser root;" : "")
            worker_processes 1;
            daemon off;
            master_process on;
            pid \(prefix)/nginx.pid;
            error_log \(prefix)/error.log notice;

            events {
                worker_connections 512;
            }

            http {
                log_format upstreams '$status $upstream_addr $request_method $uri';
                access_log \(prefix)/access.log upstreams;
                client_body_temp_path \(prefix)/body;
                proxy_temp_path \(prefix)/proxy;
                fastcgi_temp_path \(prefix)/fastcgi;
                uwsgi_temp_path \(prefix)/uwsgi;
                scgi_temp_path \(prefix)/scgi;

                # The engines enforce their own limits (MAX_FILE_SIZE per part, and answer 413 themselves); 0 lets
                # any body through to them.
                client_max_body_size 0;

                upstream engines {
                    # A node that refused a connection is left alone for fail_timeout, then tried again.
            \(servers)
                }

                server {
                    listen 127.0.0.1:\(port);

                    location / {
                        proxy_pass http://engines;
                        # HTTP/1.1 upstream: needed to stream a chunked request body unbuffered.
                        proxy_http_version 1.1;
                        proxy_set_header Host $host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;

                        # Streamed, not buffered. The acknowledgement is the engine's 202, sent only after the bytes
                        # are fsynced in its spool; nginx never acknowledges, so durability holds either way. But a
                        # buffered body (on, the default) sits in nginx's temporary file, which is not durable,
                        # while the client waits, and hides the engine's backpressure: the engine stops reading
                        # when its spool is past the high-water mark and refuses early (503, 413, 401), which the
                        # client sees only if the body flows through.
                        proxy_request_buffering off;

                        # Another node is tried only when the connection could not be made or no byte was sent
                        # (a node down): nginx never passes a POST on after it has sent any of it, because
                        # `non_idempotent` is not listed. A POST whose body reached a node that then died is
                        # answered 502 and was not acknowledged; the client retries it itself, safely with
                        # Idempotency-Key (kept in PostgreSQL, so any node answers the retry), and a re-upload
                        # without one still ends as the same row (the (tenant, content) upsert). 503 (spool full)
                        # is not retried elsewhere: its body was sent.
                        proxy_next_upstream error timeout;
                        proxy_next_upstream_tries 2;
                        proxy_connect_timeout 2s;
                    }
                }
            }

            """
    }

    /// A port of 127.0.0.1 that was free a moment ago.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw TestFailure("bind to 127.0.0.1:0: errno \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Whether something accepts connections on `127.0.0.1:port`.
    public static func canConnect(port: Int) -> Bool {
        (try? TestClient(port: port, timeoutSeconds: 1)) != nil
    }
}
