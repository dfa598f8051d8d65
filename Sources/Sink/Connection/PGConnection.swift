internal import CLibPQ
import Loop

#if canImport(Glibc)
import Glibc
#endif

/// One PostgreSQL connection, driven by the engine's loop: libpq in non-blocking mode, its socket watched by
/// `uv_poll`, so the loop never waits on the database. The thin adapter around libpq: what to send and what
/// a failure means is decided elsewhere (``FlushPlanner``, ``Sink``).
///
/// Why libpq and not a Swift client (PostgresNIO): libpq is the reference implementation (every `sslmode`,
/// `DATABASE_URL` in both URI and keyword/value form, `.pgpass`, service files), its non-blocking API maps
/// one-to-one onto our loop, and PostgresNIO would bring SwiftNIO's event loops beside ours.
///
/// Calls must not overlap: one statement (or COPY) at a time, as on any PostgreSQL connection.
@LoopActor
public final class PGConnection {
    private var conn: OpaquePointer?
    private var poll: UVPoll?
    private var pollFD: Int32 = -1
    /// Socket errors the poll reported in a row (see ``wait(_:)``).
    private var pollErrors = 0
    private let timer = UVTimer()
    /// Ends the wait in progress, if any (``close()`` ends it with an error).
    private var waiting: (@LoopActor (Result<UVPoll.Events, PGError>) -> Void)?
    /// Longest wait for the server during one call; past it the connection is closed as lost.
    private let timeoutMilliseconds: UInt64

    private init(conn: OpaquePointer, timeoutMilliseconds: UInt64) {
        self.conn = conn
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// Connects with a `postgres://` URL or a keyword/value string (libpq parses both).
    public static func connect(_ conninfo: String, timeoutMilliseconds: UInt64 = 30_000) async throws(PGError)
        -> PGConnection
    {
        guard let raw = PQconnectStart(conninfo) else {
            throw PGError(kind: .connection, message: "libpq could not allocate a connection")
        }
        let connection = PGConnection(conn: raw, timeoutMilliseconds: timeoutMilliseconds)
        if PQstatus(raw) == CONNECTION_BAD {
            let message = connection.libpqMessage()
            connection.close()
            throw PGError(kind: PGError.looksLikeBadSetting(message) ? .setting : .connection, message: message)
        }
        // Notices ("relation already exists, skipping") would go to stderr by default.
        PQsetNoticeProcessor(raw, { _, _ in }, nil)
        do throws(PGError) {
            var state = PGRES_POLLING_WRITING
            while true {
                switch state {
                case PGRES_POLLING_OK:
                    if PQsetnonblocking(raw, 1) != 0 {
                        throw PGError(kind: .connection, message: connection.libpqMessage())
                    }
                    return connection
                case PGRES_POLLING_FAILED:
                    throw PGError(kind: .connection, message: connection.libpqMessage())
                case PGRES_POLLING_READING:
                    try await connection.wait(.readable)
                default:
                    try await connection.wait(.writable)
                }
                state = PQconnectPoll(raw)
                // libpq may have closed its socket and opened another (the next address, a retry without TLS
                // or GSSAPI), and the new one usually gets the same descriptor number: a poll kept on that
                // number would still watch the closed socket (epoll answers EBADF, "poll error -9"). While
                // connecting, each wait watches the socket afresh.
                connection.forgetSocket()
            }
        } catch {
            connection.close()
            throw error
        }
    }

    /// Whether the connection is usable (not closed, not broken).
    public var isOpen: Bool { conn.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// The server's version number (e.g. 150018), for `/startup-status`.
    public var serverVersion: Int { conn.map { Int(PQserverVersion($0)) } ?? 0 }

    /// Closes the connection (a transaction in progress is rolled back by the server).
    public func close() {
        // A wait in progress ends with an error: closing its poll and timer would drop their callbacks, and
        // with them the waiting task's continuation (it would never resume: a shutdown that closes a
        // connection while it connects or reads would hang).
        if let waiting {
            self.waiting = nil
            waiting(.failure(PGError(kind: .connection, message: "the connection was closed")))
        }
        poll?.close()
        poll = nil
        pollFD = -1
        timer.close()
        if let conn { PQfinish(conn) }
        conn = nil
    }

    // MARK: Statements

    /// Runs one or more statements with the simple query protocol; returns each statement's result. The first
    /// error stops the rest (the server skips them) and is thrown.
    @discardableResult
    public func simpleQuery(_ sql: String) async throws(PGError) -> [PGResult] {
        let conn = try live()
        guard PQsendQuery(conn, sql) == 1 else { throw lost() }
        try await flush()
        return try await results()
    }

    /// Runs one statement with text parameters (`$1`, `$2`… ; `nil` is NULL); returns its result.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) async throws(PGError) -> PGResult {
        let conn = try live()
        // libpq copies the parameters into its output buffer during the call.
        let cStrings = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { cStrings.forEach { free($0) } }
        let sent = cStrings.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
            PQsendQueryParams(conn, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, 0)
        }
        guard sent == 1 else { throw lost() }
        try await flush()
        let all = try await results()
        guard let last = all.last else { throw PGError(kind: .protocolViolation, message: "no result for a query") }
        return last
    }

    /// Runs `COPY … FROM STDIN` and streams `data` (already in the COPY format the statement names) in pieces
    /// as the socket takes them; returns the command's result (rows copied).
    @discardableResult
    public func copyIn(_ sql: String, _ data: [UInt8]) async throws(PGError) -> PGResult {
        let conn = try live()
        guard PQsendQuery(conn, sql) == 1 else { throw lost() }
        try await flush()
        // Wait for the server to enter COPY IN (or refuse the statement).
        while true {
            try await consume()
            guard let res = PQgetResult(conn) else {
                throw PGError(kind: .protocolViolation, message: "COPY ended before it started")
            }
            let status = PQresultStatus(res)
            if status == PGRES_COPY_IN {
                PQclear(res)
                break
            }
            let error = PGError(result: res, connection: conn)
            PQclear(res)
            _ = try? await results()
            throw error
        }
        let chunk = 256 << 10
        var offset = 0
        while offset < data.count {
            let end = min(offset + chunk, data.count)
            let put = data.withUnsafeBytes { raw in
                PQputCopyData(conn, raw.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self),
                              Int32(end - offset))
            }
            switch put {
            case 1: offset = end
            case 0: try await flush(force: true)
            default: throw lost()
            }
            if PQflush(conn) == 1 { try await flush(force: true) }
        }
        while true {
            let ended = PQputCopyEnd(conn, nil)
            if ended == 1 { break }
            if ended < 0 { throw lost() }
            try await flush(force: true)
        }
        try await flush()
        let all = try await results()
        guard let last = all.last else { throw PGError(kind: .protocolViolation, message: "no result for COPY") }
        return last
    }

    // MARK: libpq plumbing

    private func live() throws(PGError) -> OpaquePointer {
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            throw PGError(kind: .connection, message: "the connection is closed")
        }
        return conn
    }

    private func libpqMessage() -> String {
        guard let conn, let text = PQerrorMessage(conn) else { return "unknown libpq error" }
        return String(cString: text).trimmingTrailingNewlines()
    }

    /// The connection broke (or libpq refused to send): closed here, reported as lost.
    private func lost() -> PGError {
        let error = PGError(kind: .connection, message: libpqMessage())
        close()
        return error
    }

    /// Sends what libpq has buffered, waiting for the socket as needed (reading meanwhile, as libpq asks, so
    /// a server that is itself blocked on sending cannot deadlock us).
    private func flush(force: Bool = false) async throws(PGError) {
        while let conn {
            switch PQflush(conn) {
            case 0: return
            case 1:
                let ready = try await wait([.readable, .writable])
                if ready.contains(.readable), PQconsumeInput(conn) == 0 { throw lost() }
            default: throw lost()
            }
        }
        throw PGError(kind: .connection, message: "the connection is closed")
    }

    /// Reads until libpq has a whole result.
    private func consume() async throws(PGError) {
        guard let conn else { throw PGError(kind: .connection, message: "the connection is closed") }
        while PQisBusy(conn) == 1 {
            try await wait(.readable)
            guard let c = self.conn, PQconsumeInput(c) == 1 else { throw lost() }
        }
    }

    /// Collects every result of the statement(s) sent; throws the first error after all have arrived (the
    /// connection is then ready for the next statement).
    private func results() async throws(PGError) -> [PGResult] {
        var collected: [PGResult] = []
        var firstError: PGError?
        while true {
            try await consume()
            guard let conn else { throw PGError(kind: .connection, message: "the connection is closed") }
            guard let res = PQgetResult(conn) else { break }
            switch PQresultStatus(res) {
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
                collected.append(PGResult(res))
            case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
                PQclear(res)
                let error = PGError(kind: .protocolViolation, message: "unexpected COPY in a query")
                close()
                throw error
            default:
                if firstError == nil { firstError = PGError(result: res, connection: conn) }
            }
            PQclear(res)
        }
        if let conn, PQstatus(conn) != CONNECTION_OK {
            let error = firstError ?? PGError(kind: .connection, message: libpqMessage())
            close()
            throw PGError(kind: .connection, message: error.message, sqlState: error.sqlState)
        }
        if let firstError { throw firstError }
        return collected
    }

    /// Drops the poll on the current socket: the next wait makes one for whatever socket libpq has then.
    private func forgetSocket() {
        poll?.close()
        poll = nil
        pollFD = -1
    }

    /// Waits until the socket is ready for `events` (or the call's time limit passes: the connection is then
    /// closed as lost).
    @discardableResult
    private func wait(_ events: UVPoll.Events) async throws(PGError) -> UVPoll.Events {
        guard let conn else { throw PGError(kind: .connection, message: "the connection is closed") }
        let fd = PQsocket(conn)
        guard fd >= 0 else { throw PGError(kind: .connection, message: libpqMessage()) }
        if fd != pollFD {
            // The socket changes while connecting (another address, or a retry without TLS).
            poll?.close()
            do {
                poll = try UVPoll(fd: fd)
            } catch {
                throw PGError(kind: .connection, message: "uv_poll_init: \(error)")
            }
            pollFD = fd
        }
        guard let poll else { throw PGError(kind: .connection, message: "the connection is closed") }
        let outcome: Result<UVPoll.Events, PGError> = await withCheckedContinuation(isolation: LoopActor.shared) {
            continuation in
            var done = false
            let finish: @LoopActor (Result<UVPoll.Events, PGError>) -> Void = { [timer, unowned self] result in
                guard !done else { return }
                done = true
                waiting = nil
                poll.stop()
                timer.cancel()
                continuation.resume(returning: result)
            }
            waiting = finish
            timer.schedule(after: timeoutMilliseconds) {
                finish(.failure(PGError(kind: .connection,
                                        message: "no answer from the server within \(self.timeoutMilliseconds) ms")))
            }
            poll.start(events) { [unowned self] status, ready in
                if status < 0 {
                    // libuv reports a socket error (POLLERR: refused, reset) as EBADF. libpq reads the error
                    // from the socket itself and says what it was ("too many clients", a reset): hand it the
                    // socket as ready, and give up here only if errors keep coming without libpq ending it.
                    pollErrors += 1
                    finish(pollErrors > 3 ? .failure(PGError(kind: .connection, message: "poll error \(status)"))
                                          : .success(events))
                } else {
                    pollErrors = 0
                    finish(.success(ready))
                }
            }
        }
        switch outcome {
        case .success(let ready): return ready
        case .failure(let error):
            close()
            throw error
        }
    }
}

/// A statement's result: its rows as text (NULL as `nil`) and its command tag.
public struct PGResult: Sendable, Equatable {
    public var rows: [[String?]]
    /// `INSERT 0 5`, `COPY 100`, …
    public var commandTag: String
    /// Rows affected, from the tag (`PQcmdTuples`); 0 when it names none.
    public var affectedRows: Int

    init(_ res: OpaquePointer) {
        let n = Int(PQntuples(res))
        let fields = Int(PQnfields(res))
        var rows: [[String?]] = []
        rows.reserveCapacity(n)
        for r in 0..<n {
            var row: [String?] = []
            row.reserveCapacity(fields)
            for c in 0..<fields {
                if PQgetisnull(res, Int32(r), Int32(c)) == 1 {
                    row.append(nil)
                } else {
                    row.append(String(cString: PQgetvalue(res, Int32(r), Int32(c))))
                }
            }
            rows.append(row)
        }
        self.rows = rows
        commandTag = PQcmdStatus(res).map { String(cString: $0) } ?? ""
        affectedRows = PQcmdTuples(res).flatMap { Int(String(cString: $0)) } ?? 0
    }

    /// The first column of the first row.
    public var scalar: String? { rows.first?.first ?? nil }
}

/// What went wrong talking to PostgreSQL.
public struct PGError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// No connection, or it broke: reconnect and replay.
        case connection
        /// The connection string itself is wrong (unknown option, bad URL): retrying will not help.
        case setting
        /// The server refused a statement (see ``sqlState``).
        case server
        /// libpq and the server disagreed about the protocol.
        case protocolViolation = "protocol"
    }

    public var kind: Kind
    public var message: String
    /// The SQLSTATE code (`23505`, `22P05`, `57P01`…), for server errors.
    public var sqlState: String?
    public var detail: String?

    public init(kind: Kind, message: String, sqlState: String? = nil, detail: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
    }

    init(result res: OpaquePointer, connection conn: OpaquePointer) {
        func field(_ code: UInt8) -> String? {
            PQresultErrorField(res, Int32(code)).map { String(cString: $0) }
        }
        let message = field(UInt8(ascii: "M")) ?? PQresultErrorMessage(res).map { String(cString: $0) } ?? "error"
        self.init(kind: PQstatus(conn) == CONNECTION_OK ? .server : .connection,
                  message: message.trimmingTrailingNewlines(), sqlState: field(UInt8(ascii: "C")),
                  detail: field(UInt8(ascii: "D")))
    }

    /// The error says the connection went away (broken socket, or the server shutting down or restarting).
    public var isConnectionLoss: Bool {
        if kind == .connection { return true }
        guard let state = sqlState else { return false }
        // 08: connection exception; 57P01..03: admin shutdown, crash shutdown, cannot connect now.
        return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
    }

    /// The error is about the rows sent (bad data, a constraint): the batch is bisected to find them.
    public var isRowError: Bool {
        guard kind == .server, let state = sqlState else { return false }
        // 22: data exception (bad encoding, bad JSON, value too long); 23: integrity constraint; 54000:
        // program limit exceeded (a value over 1 GB, an index row too large).
        return state.hasPrefix("22") || state.hasPrefix("23") || state == "54000"
    }

    static func looksLikeBadSetting(_ message: String) -> Bool {
        message.contains("invalid connection option") || message.contains("invalid URI")
            || message.contains("missing \"=\"") || message.contains("invalid sslmode")
            || message.contains("invalid integer value")
    }

    public var description: String {
        var text = sqlState.map { "\($0): \(message)" } ?? message
        if let detail { text += " (\(detail))" }
        return text
    }
}

extension String {
    fileprivate func trimmingTrailingNewlines() -> String {
        var s = self
        while s.last == "\n" || s.last == "\r" { s.removeLast() }
        return s
    }
}
