internal import CCurl
import Loop

/// One outbound HTTP request.
public struct HTTPClientRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Whole-transfer limit.
    public var timeoutMilliseconds: Int
    public var connectTimeoutMilliseconds: Int
    /// A larger answer is cut off and fails as ``HTTPClientError/Kind/tooLarge``.
    public var maxResponseBytes: Int
    /// Addresses to use instead of resolving, as libcurl's `CURLOPT_RESOLVE` entries `host:port:address[,…]`
    /// (IPv6 addresses in brackets). A caller that checked where a name points pins what it checked, so a
    /// second lookup by libcurl cannot land elsewhere (DNS rebinding). Empty: libcurl resolves.
    public var resolve: [String]
    /// Whether a 3xx is followed (`CURLOPT_FOLLOWLOCATION`); when not, it is the response.
    public var followRedirects: Bool

    public init(method: String = "POST", url: String, headers: [(String, String)] = [], body: [UInt8] = [],
                timeoutMilliseconds: Int = 120_000, connectTimeoutMilliseconds: Int = 10_000,
                maxResponseBytes: Int = 32 << 20, resolve: [String] = [], followRedirects: Bool = false) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.maxResponseBytes = maxResponseBytes
        self.resolve = resolve
        self.followRedirects = followRedirects
    }
}

/// A complete response (any status).
public struct HTTPClientResponse: Sendable {
    public var status: Int
    /// Header fields of the final response, names lower-cased, in order.
    public var headers: [(String, String)]
    public var body: [UInt8]

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0 == lower }?.1
    }
}

/// A request that got no complete response.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// No connection (refused, DNS, unreachable).
        case connect
        /// Over the connect or transfer time limit.
        case timeout
        /// TLS handshake or certificate failure.
        case tls
        /// The connection broke before the response was complete.
        case dropped
        /// The response was larger than allowed.
        case tooLarge = "too_large"
        /// Anything else libcurl reports.
        case other
    }

    public var kind: Kind
    public var message: String
    public var description: String { "\(kind.rawValue): \(message)" }
}

/// An HTTP/1.1 and HTTP/2 client on the engine's libuv loop: libcurl's multi interface in its
/// `multi_socket` mode, with libcurl's sockets watched by `uv_poll` and its timeout by a `uv_timer`.
///
/// Why libcurl: TLS, proxies, HTTP/2, connection reuse and a battle-tested state machine; its multi_socket
/// API lets the loop drive it without a thread, which async-http-client (SwiftNIO's own event loops,
/// beside ours) would not. Connections are kept alive and reused across requests to the same host.
@LoopActor
public final class HTTPClient {
    private let multi: UnsafeMutableRawPointer // CURLM (void in curl 7.88's headers)
    private var polls: [Int32: UVPoll] = [:]
    private let timer = UVTimer()
    private var transfers: [UnsafeMutableRawPointer: Transfer] = [:]
    private var closed = false

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// Requests in flight.
    public var inFlight: Int { transfers.count }

    public init(maxConnectionsPerHost: Int = 32) {
        _ = Self.globalInit
        multi = curl_multi_init()
        let me = Unmanaged.passUnretained(self).toOpaque()
        ccurl_multi_callbacks(multi, { _, socket, what, user, _ in
            LoopActor.assumeIsolated {
                Unmanaged<HTTPClient>.fromOpaque(user!).takeUnretainedValue().watch(socket, what)
            }
            return 0
        }, { _, timeout, user in
            LoopActor.assumeIsolated {
                Unmanaged<HTTPClient>.fromOpaque(user!).takeUnretainedValue().scheduleTimeout(timeout)
            }
            return 0
        }, me)
        ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxConnectionsPerHost * 2)
    }

    /// Sends `request` and waits for the whole response.
    public func send(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        guard !closed else { throw HTTPClientError(kind: .other, message: "the client is closed") }
        guard let easy = curl_easy_init() else { throw HTTPClientError(kind: .other, message: "curl_easy_init failed") }
        let transfer = Transfer(easy: easy, limit: request.maxResponseBytes)
        transfer.configure(request)
        let key = easy
        transfers[key] = transfer
        let result: Result<HTTPClientResponse, HTTPClientError> = await withCheckedContinuation(isolation: LoopActor.shared) {
            transfer.continuation = $0
            let rc = curl_multi_add_handle(multi, easy)
            if rc != CURLM_OK {
                finish(key, .failure(HTTPClientError(kind: .other, message: String(cString: curl_multi_strerror(rc)))))
            }
        }
        return try result.get()
    }

    /// Fails every request in flight and releases the sockets, timer and libcurl state.
    public func close() {
        guard !closed else { return }
        closed = true
        for key in Array(transfers.keys) {
            finish(key, .failure(HTTPClientError(kind: .other, message: "the client was closed")))
        }
        for (_, poll) in polls { poll.close() }
        polls = [:]
        timer.close()
        curl_multi_cleanup(multi)
    }

    // MARK: libcurl's callbacks

    private func watch(_ socket: curl_socket_t, _ what: Int32) {
        if what == ccurl_poll_remove() {
            polls.removeValue(forKey: socket)?.close()
            return
        }
        var events: UVPoll.Events = []
        if what & ccurl_poll_in() != 0 { events.insert(.readable) }
        if what & ccurl_poll_out() != 0 { events.insert(.writable) }
        let poll: UVPoll
        if let existing = polls[socket] {
            poll = existing
        } else {
            do {
                poll = try UVPoll(fd: socket)
            } catch {
                // libcurl will time the transfer out; nothing better can be done from a callback.
                return
            }
            polls[socket] = poll
        }
        poll.start(events) { [unowned self] status, ready in
            var flags: Int32 = 0
            if status < 0 { flags |= ccurl_cselect_err() }
            if ready.contains(.readable) { flags |= ccurl_cselect_in() }
            if ready.contains(.writable) { flags |= ccurl_cselect_out() }
            act(socket, flags)
        }
    }

    private func scheduleTimeout(_ milliseconds: Int) {
        guard !closed else { return }
        if milliseconds < 0 {
            timer.cancel()
        } else {
            timer.schedule(after: UInt64(milliseconds)) { [unowned self] in act(ccurl_socket_timeout(), 0) }
        }
    }

    private func act(_ socket: curl_socket_t, _ flags: Int32) {
        guard !closed else { return }
        var running: Int32 = 0
        curl_multi_socket_action(multi, socket, flags, &running)
        var easy: UnsafeMutableRawPointer?
        var code = CURLE_OK
        while ccurl_info_read(multi, &easy, &code) != 0, let done = easy {
            let key = done
            guard let transfer = transfers[key] else { continue }
            finish(key, transfer.outcome(code))
        }
    }

    private func finish(_ key: UnsafeMutableRawPointer, _ result: Result<HTTPClientResponse, HTTPClientError>) {
        guard let transfer = transfers.removeValue(forKey: key) else { return }
        curl_multi_remove_handle(multi, transfer.easy)
        transfer.release()
        transfer.continuation?.resume(returning: result)
        transfer.continuation = nil
    }
}

/// One request's libcurl state and the response it accumulates.
@LoopActor
private final class Transfer {
    let easy: UnsafeMutableRawPointer // CURL
    let limit: Int
    var headerList: UnsafeMutablePointer<curl_slist>?
    var resolveList: UnsafeMutablePointer<curl_slist>?
    var body: [UInt8] = []
    var headers: [(String, String)] = []
    var overflowed = false
    var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    var continuation: CheckedContinuation<Result<HTTPClientResponse, HTTPClientError>, Never>?

    init(easy: UnsafeMutableRawPointer, limit: Int) {
        self.easy = easy
        self.limit = limit
    }

    func configure(_ request: HTTPClientRequest) {
        let me = Unmanaged.passUnretained(self).toOpaque()
        ccurl_setopt_ptr(easy, CURLOPT_URL, request.url)
        ccurl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_long(easy, CURLOPT_TIMEOUT_MS, request.timeoutMilliseconds)
        ccurl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeoutMilliseconds)
        ccurl_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        ccurl_setopt_ptr(easy, CURLOPT_ACCEPT_ENCODING, "")
        errorBuffer.withUnsafeMutableBufferPointer { _ = ccurl_setopt_ptr(easy, CURLOPT_ERRORBUFFER, $0.baseAddress) }
        // Without this libcurl sends `Expect: 100-continue` on larger bodies and waits up to a second.
        var list = curl_slist_append(nil, "Expect:")
        for (name, value) in request.headers { list = curl_slist_append(list, "\(name): \(value)") }
        headerList = list
        ccurl_setopt_ptr(easy, CURLOPT_HTTPHEADER, list)
        if !request.resolve.isEmpty {
            var pins: UnsafeMutablePointer<curl_slist>?
            for entry in request.resolve { pins = curl_slist_append(pins, entry) }
            resolveList = pins
            ccurl_setopt_ptr(easy, CURLOPT_RESOLVE, pins)
            // A proxy (http_proxy and the like in the environment) would resolve the name itself and make the
            // pin moot: pinned requests go direct.
            ccurl_setopt_ptr(easy, CURLOPT_NOPROXY, "*")
        }
        ccurl_setopt_long(easy, CURLOPT_FOLLOWLOCATION, request.followRedirects ? 1 : 0)
        switch request.method {
        case "GET":
            ccurl_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case "POST":
            ccurl_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            request.body.withUnsafeBytes { _ = ccurl_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)) }
        default:
            ccurl_setopt_ptr(easy, CURLOPT_CUSTOMREQUEST, request.method)
            if !request.body.isEmpty {
                ccurl_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
                request.body.withUnsafeBytes { _ = ccurl_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) }
            }
        }
        ccurl_setopt_write(easy, { data, size, count, user in
            LoopActor.assumeIsolated {
                Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue()
                    .received(UnsafeRawBufferPointer(start: data, count: size * count))
            }
        }, me)
        ccurl_setopt_header(easy, { data, size, count, user in
            LoopActor.assumeIsolated {
                Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue()
                    .headerLine(UnsafeRawBufferPointer(start: data, count: size * count))
            }
        }, me)
    }

    /// Body bytes; returning less than given makes libcurl abort the transfer.
    func received(_ bytes: UnsafeRawBufferPointer) -> Int {
        if body.count + bytes.count > limit {
            overflowed = true
            return 0
        }
        body.append(contentsOf: bytes)
        return bytes.count
    }

    func headerLine(_ bytes: UnsafeRawBufferPointer) -> Int {
        let line = String(decoding: bytes, as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers = [] // a new response (after 100 Continue or a redirect) starts over
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            headers.append((name, value))
        }
        return bytes.count
    }

    func outcome(_ code: CURLcode) -> Result<HTTPClientResponse, HTTPClientError> {
        guard code == CURLE_OK else {
            let detail = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            let kind: HTTPClientError.Kind
            switch code {
            case CURLE_WRITE_ERROR where overflowed: kind = .tooLarge
            case CURLE_OPERATION_TIMEDOUT: kind = .timeout
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .connect
            case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
                 CURLE_SSL_CACERT_BADFILE:
                kind = .tls
            case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2,
                 CURLE_HTTP2_STREAM:
                kind = .dropped
            default: kind = .other
            }
            return .failure(HTTPClientError(kind: kind, message: message))
        }
        var status = 0
        ccurl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPClientResponse(status: status, headers: headers, body: body))
    }

    func release() {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        headerList = nil
        curl_slist_free_all(resolveList)
        resolveList = nil
    }
}
