import CZstd
import Loop

#if canImport(Glibc)
import Glibc
#endif

/// One upload ready to send: the whole request, head and multipart body, as the bytes written to the socket.
/// Built once (on the corpus thread) and shared by every send of it.
package final class PreparedRequest: Sendable {
    package let bytes: [UInt8]
    /// Files in the body.
    package let files: Int

    init(bytes: [UInt8], files: Int) {
        self.bytes = bytes
        self.files = files
    }
}

/// Turns corpus files into `multipart/form-data` requests the way a browser form posts them: one part per
/// file under `field` with its file name and a type from its extension, the extra form fields first, the
/// user's headers (auth) in the head, and the body optionally zstd-compressed (`Content-Encoding: zstd`).
package struct RequestBuilder: Sendable {
    package var target: LoadTarget
    package var field: String
    package var formFields: [(name: String, value: String)]
    package var headers: [(name: String, value: String)]
    package var zstd: Bool
    /// The boundary: random per run, and checked against every file (a file that holds it gets another).
    package let boundary: String

    package init(target: LoadTarget, field: String = "files", formFields: [(name: String, value: String)] = [],
                headers: [(name: String, value: String)] = [], zstd: Bool = false) {
        self.target = target
        self.field = field
        self.formFields = formFields
        self.headers = headers
        self.zstd = zstd
        boundary = Self.randomBoundary()
    }

    static func randomBoundary() -> String {
        var random = SystemRandomNumberGenerator()
        return "----loadgen" + Hex.encode((0..<12).map { _ in UInt8.random(in: 0...255, using: &random) })
    }

    /// The request for `files`.
    package func build(_ files: [Corpus.File]) -> PreparedRequest {
        var boundary = self.boundary
        while files.contains(where: { ByteSearch.contains($0.bytes, Array("--\(boundary)".utf8)) }) {
            boundary = Self.randomBoundary()
        }
        // The parts' heads first, so the body's length is known and the request is written into one buffer
        // of its final size (a corpus of 2 MiB files must not cost three copies of each).
        var pieces: [(head: [UInt8], file: [UInt8]?)] = []
        for (name, value) in formFields {
            pieces.append((Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"\r\n\r\n\(value)\r\n".utf8), nil))
        }
        for file in files {
            pieces.append((Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(field))\"; filename=\"\(Self.quoted(file.name))\"\r\nContent-Type: \(Self.contentType(file.name))\r\n\r\n".utf8), file.bytes))
        }
        let tail = Array("--\(boundary)--\r\n".utf8)
        var compressed: [UInt8]?
        var bodyLength = tail.count + pieces.reduce(0) { $0 + $1.head.count + ($1.file.map { $0.count + 2 } ?? 0) }
        if zstd {
            var body: [UInt8] = []
            body.reserveCapacity(bodyLength)
            for piece in pieces {
                body += piece.head
                if let file = piece.file { body += file + [0x0D, 0x0A] }
            }
            body += tail
            compressed = Self.compress(body)
            bodyLength = compressed!.count
        }
        var head = "POST \(target.path) HTTP/1.1\r\nHost: \(target.authority)\r\nUser-Agent: resume-ingest-loadgen\r\n"
        head += "Content-Type: multipart/form-data; boundary=\(boundary)\r\nContent-Length: \(bodyLength)\r\n"
        if zstd { head += "Content-Encoding: zstd\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        var request: [UInt8] = []
        request.reserveCapacity(head.utf8.count + bodyLength)
        request += head.utf8
        if let compressed {
            request += compressed
        } else {
            for piece in pieces {
                request += piece.head
                if let file = piece.file {
                    request += file
                    request += [0x0D, 0x0A]
                }
            }
            request += tail
        }
        return PreparedRequest(bytes: request, files: files.count)
    }

    /// A `GET` on the same server with the user's headers (the batch follower's polls).
    package func get(_ path: String) -> [UInt8] {
        var head = "GET \(path) HTTP/1.1\r\nHost: \(target.authority)\r\nUser-Agent: resume-ingest-loadgen\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        return Array((head + "\r\n").utf8)
    }

    /// A name inside a quoted `Content-Disposition` parameter: quotes, backslashes and line breaks become `_`
    /// (what browsers do is percent-encode; servers differ on decoding it, so keep to bytes all of them read).
    static func quoted(_ name: String) -> String {
        String(name.map { $0 == "\"" || $0 == "\\" || $0 == "\r" || $0 == "\n" ? "_" : $0 })
    }

    static func contentType(_ name: String) -> String {
        let ext = name.split(separator: ".").last.map { $0.lowercased() } ?? ""
        switch ext {
        case "pdf": return "application/pdf"
        case "docx": return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        case "doc": return "application/msword"
        case "odt": return "application/vnd.oasis.opendocument.text"
        case "rtf": return "application/rtf"
        case "html", "htm": return "text/html"
        case "txt": return "text/plain"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "tif", "tiff": return "image/tiff"
        default: return "application/octet-stream"
        }
    }

    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        var out = [UInt8](repeating: 0, count: bound)
        let written = out.withUnsafeMutableBytes { o in
            bytes.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, bound, i.baseAddress, i.count, 3) }
        }
        precondition(ZSTD_isError(written) == 0, "ZSTD_compress failed")
        out.removeLast(bound - written)
        return out
    }
}
