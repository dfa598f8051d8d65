import Loop
#if canImport(Glibc)
import Glibc
#endif

/// A complete response: status, headers and a body that is small enough to hold (JSON, metrics text).
///
/// Upload bodies stream to disk; response bodies never carry file contents, so holding them is fine.
public struct HTTPResponse: Sendable {
    /// The status code, e.g. 202.
    public var status: Int
    /// Extra headers; `Content-Length`, `Connection` and `Date` are added when encoding.
    public var headers: [(name: String, value: String)]
    /// The body bytes.
    public var body: [UInt8]

    /// A response with the given parts.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A `text/plain` response.
    public static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8")
        -> HTTPResponse
    {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    /// A JSON response from already encoded bytes.
    public static func json(_ status: Int, _ body: [UInt8], headers: [(name: String, value: String)] = [])
        -> HTTPResponse
    {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
    }

    /// The engine's error shape: `{"error":{"code":…,"message":…}}`.
    public static func error(_ status: Int, code: String, message: String,
                             headers: [(name: String, value: String)] = []) -> HTTPResponse
    {
        var body = Array(#"{"error":{"code":"#.utf8)
        JSONText.appendString(code, to: &body)
        body += Array(#","message":"#.utf8)
        JSONText.appendString(message, to: &body)
        body += Array("}}\n".utf8)
        return .json(status, body, headers: headers)
    }

    /// The wire form of the status line, headers and body.
    package func encode(keepAlive: Bool, date: String, includeBody: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + body.count)
        out += Array("HTTP/1.1 \(status) \(HTTPResponse.reason(status))\r\n".utf8)
        for (name, value) in headers {
            out += Array(name.utf8)
            out += [0x3A, 0x20]
            out += Array(value.utf8)
            out += [0x0D, 0x0A]
        }
        out += Array("Content-Length: \(body.count)\r\nDate: \(date)\r\n".utf8)
        out += Array((keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n").utf8)
        if includeBody { out += body }
        return out
    }

    /// The reason phrase for the statuses the engine sends.
    package static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 202: "Accepted"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 402: "Payment Required"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }

    /// IMF-fixdate (RFC 9110 §5.6.7) for `seconds` since the epoch.
    package static func httpDate(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var tm = tm()
        gmtime_r(&t, &tm)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(tm.tm_year + 1900) "
            + "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
    }
}
