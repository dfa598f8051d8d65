import Synchronization

/// libmagic cookies for pool threads: each is used by one thread at a time.
final class SnifferPool: Sendable {
    private let idle = Mutex<[ContentSniffer]>([])

    func mimeType(ofFile path: String) throws -> String {
        let sniffer = try idle.withLock { $0.popLast() } ?? ContentSniffer()
        defer { idle.withLock { $0.append(sniffer) } }
        return try sniffer.mimeType(ofFile: path)
    }
}
