@testable import HTTP1
import Testing

@Suite("HTTP responses")
struct HTTPResponseTests {
    @Test("error bodies are an error object with code and message, the message escaped")
    func errorBody() {
        let error = HTTPResponse.error(400, code: "x", message: "bad \"thing\"")
        #expect(String(decoding: error.body, as: UTF8.self) == #"{"error":{"code":"x","message":"bad \"thing\""}}"# + "\n")
    }

    @Test("HTTP dates are IMF-fixdate")
    func httpDate() {
        #expect(HTTPResponse.httpDate(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPResponse.httpDate(1_795_000_000) == "Wed, 18 Nov 2026 11:06:40 GMT")
    }
}
