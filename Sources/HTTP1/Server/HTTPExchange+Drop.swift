import Loop
#if canImport(Glibc)
import Glibc
#endif

extension HTTPExchange {
    /// Fault injection: writes the status line, the headers (with the full `Content-Length`) and only the first
    /// `bodyBytes` bytes of `response`, then closes the connection — a server that dies mid-response. The
    /// client sees a short body and EOF. For simulators (`llm-sim`) and failure tests; never for real answers.
    package func respondThenDrop(_ response: HTTPResponse, afterBodyBytes bodyBytes: Int) {
        guard !responded, bodyComplete, let connection else { return }
        let head = response.encode(keepAlive: false, date: HTTPResponse.httpDate(SystemClock.shared.unixSeconds()), includeBody: false)
        let cut = max(0, min(bodyBytes, response.body.count - 1))
        connection.stream.write(head + response.body[..<cut]) { _ in
            connection.close()
        }
    }
}
