import Foundation
@testable import Loop
import Testing
import TestSupport

@testable import Ingest

/// What a part costs in memory while it is written, and when a request's socket is paused for it.
@Suite("Spool files and upload backpressure")
struct SpoolFileTests {
    @Test("a tiny part reserves about what arrived, not a write threshold's worth")
    @LoopActor
    func tinyPartReservesLittle() async throws {
        let dir = try TemporaryDirectory.make(prefix: "spoolfile")
        let file = SpoolFile(id: DocumentID(), temporaryDirectory: dir, metrics: IngestMetrics())
        [UInt8(0x41)].withUnsafeBytes { file.append($0) }
        #expect(file.bufferedBytes == 1)
        #expect(file.reservedBytes < 1024, "one byte reserved \(file.reservedBytes) bytes")
        // Growing follows what arrives (at most doubling), below the write threshold.
        let read = [UInt8](repeating: 0x42, count: 64 * 1024)
        read.withUnsafeBytes { file.append($0) }
        #expect(file.bufferedBytes == 64 * 1024 + 1)
        #expect(file.reservedBytes >= file.bufferedBytes)
        #expect(file.reservedBytes < 2 * file.bufferedBytes, "\(file.reservedBytes) reserved")
        file.discard()
    }

    @Test("the socket pauses on reserved memory or too many files finishing, and resumes on unwritten bytes")
    func pauseDecisions() {
        let above = BulkUploadHandler.pauseAbove, below = BulkUploadHandler.resumeBelow
        let most = BulkUploadHandler.maxFinishing
        #expect(!BulkUploadHandler.shouldPause(reserved: above, unwritten: above, finishing: 0, paused: false))
        #expect(BulkUploadHandler.shouldPause(reserved: above + 1, unwritten: 10, finishing: 0, paused: false))
        #expect(BulkUploadHandler.shouldPause(reserved: 0, unwritten: 0, finishing: most, paused: false))
        #expect(BulkUploadHandler.shouldPause(reserved: 0, unwritten: 0, finishing: most, paused: true))
        #expect(!BulkUploadHandler.shouldPause(reserved: 0, unwritten: 0, finishing: most - 1, paused: true))
        // A buffer below the write threshold is never written: its reservation must not keep the socket paused.
        #expect(!BulkUploadHandler.shouldPause(reserved: above * 2, unwritten: below - 1, finishing: 0, paused: true))
        #expect(BulkUploadHandler.shouldPause(reserved: above * 2, unwritten: below, finishing: 0, paused: true))
    }
}
