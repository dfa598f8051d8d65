/// Rows the Sink writes in one transaction.
struct SinkBatch: Equatable {
    /// Identifies the batch (a stream encoded ahead names the batch it is for).
    let serial: Int
    let rows: [DocumentRow]
    /// A single row already rewritten as a failure record.
    let reduced: Bool
    /// The rows' ``DocumentRow/approximateBytes``, summed.
    let bytes: Int

    init(serial: Int, rows: [DocumentRow], reduced: Bool = false, bytes: Int? = nil) {
        self.serial = serial
        self.rows = rows
        self.reduced = reduced
        self.bytes = bytes ?? rows.reduce(0) { $0 + $1.approximateBytes }
    }
}
