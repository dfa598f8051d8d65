import Foundation
import Loop

#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 server on a loopback socket whose answers a test scripts: well, slow, garbage, or a closed
/// connection. It reads each request whole (head and `Content-Length` body) before it acts, like a server that
/// spools uploads.
@LoopActor
final class ScriptedServer {
    enum Behaviour {
        /// `202` with a small JSON body naming a batch.
        case accept
        /// Answers after `milliseconds`.
        case slow(milliseconds: UInt64)
        /// Bytes that are not HTTP.
        case garbage
        /// Closes the connection without answering.
        case close
        /// `503` with the engine's error shape.
        case refuse
    }

    private var listener: TCPListener?
    private var connections: [ObjectIdentifier: Connection] = [:]
    let behaviour: Behaviour
    private(set) var requests = 0
    private(set) var bodyBytes = 0
    /// Every request head seen, in order (the first 64 kept).
    private(set) var heads: [String] = []
    /// Polls per batch path.
    private(set) var polls: [String: Int] = [:]

    init(_ behaviour: Behaviour) throws {
        self.behaviour = behaviour
        listener = try TCPListener(host: "127.0.0.1", port: 0, onAccept: { [unowned self] stream in
            let connection = Connection(stream: stream, server: self)
            connections[ObjectIdentifier(connection)] = connection
            stream.delegate = connection
            stream.startReading()
        }, onError: { _ in })
    }

    var port: Int { listener?.port ?? 0 }

    func stop() {
        listener?.close()
        listener = nil
        for connection in connections.values { connection.stream.close() }
        connections.removeAll()
    }

    fileprivate func finished(_ connection: Connection) { connections[ObjectIdentifier(connection)] = nil }

    fileprivate func received(head: String, body: Int, on connection: Connection) {
        requests += 1
        bodyBytes += body
        if heads.count < 64 { heads.append(head) }
        let ok = Array("HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 52\r\n\r\n{\"batch_id\":\"00000000-0000-4000-8000-000000000001\"}\n".utf8)
        if head.hasPrefix("GET /api/v1/batches/") {
            // A batch poll: completed from its second poll on.
            let path = String(head.split(separator: " ")[1])
            polls[path, default: 0] += 1
            let body = polls[path]! >= 2 ? "{\"completed\":true,\"counts\":{\"parsed\":1,\"failed\":0}}"
                : "{\"completed\":false,\"counts\":{\"parsed\":0,\"failed\":0}}"
            connection.stream.write(Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
            return
        }
        switch behaviour {
        case .accept:
            connection.stream.write(ok)
        case .slow(let ms):
            let timer = UVTimer()
            timer.schedule(after: ms) {
                connection.stream.write(ok)
                timer.close()
            }
        case .garbage:
            connection.stream.write(Array("HELLO THERE\r\n\r\n".utf8))
        case .close:
            connection.stream.close()
            finished(connection)
        case .refuse:
            let body = "{\"error\":{\"code\":\"spool_full\",\"message\":\"try later\"}}"
            connection.stream.write(Array("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
        }
    }

    @LoopActor
    fileprivate final class Connection: TCPStreamDelegate {
        let stream: TCPStream
        unowned let server: ScriptedServer
        private var buffer: [UInt8] = []
        private var head: String?
        private var need = 0

        init(stream: TCPStream, server: ScriptedServer) {
            self.stream = stream
            self.server = server
        }

        func stream(_ stream: TCPStream, didRead bytes: UnsafeRawBufferPointer) {
            buffer.append(contentsOf: bytes)
            while true {
                if head == nil {
                    guard let end = ByteSearch.firstIndex(of: Array("\r\n\r\n".utf8), in: buffer) else { return }
                    let text = String(decoding: buffer[..<end], as: UTF8.self)
                    head = text
                    buffer.removeFirst(end + 4)
                    need = text.split(separator: "\r\n").compactMap { line -> Int? in
                        let parts = line.split(separator: ":", maxSplits: 1)
                        guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                        return Int(parts[1].trimmingCharacters(in: .whitespaces))
                    }.first ?? 0
                }
                guard buffer.count >= need, let text = head else { return }
                buffer.removeFirst(need)
                head = nil
                server.received(head: text, body: need, on: self)
            }
        }

        func streamDidEnd(_ stream: TCPStream, error: UVError?) {
            stream.close()
            server.finished(self)
        }
    }
}
