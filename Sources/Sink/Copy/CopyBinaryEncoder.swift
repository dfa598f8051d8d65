/// Writes rows in PostgreSQL's binary `COPY … FROM STDIN (FORMAT binary)` format.
///
/// Layout (PostgreSQL docs, "COPY — Binary Format"): an 11-byte signature `PGCOPY\n\377\r\n\0`, a 32-bit
/// flags field (0: no OIDs), a 32-bit header-extension length (0); then per row a 16-bit field count and,
/// per field, a 32-bit byte length (-1 for NULL) followed by the value in the type's binary send format;
/// finally a 16-bit -1 trailer. All integers are big-endian. A pure encoder: it appends to a byte buffer
/// that the Sink's connection adapter hands to `PQputCopyData` in pieces, so a batch is never held twice.
public struct CopyBinaryEncoder: Sendable {
    /// The encoded bytes so far.
    public private(set) var buffer: [UInt8] = []
    /// Rows begun so far.
    public private(set) var rowCount = 0
    private var fieldsLeft = 0

    /// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 00:00:00 UTC).
    static let postgresEpochOffsetMicroseconds: Int64 = 946_684_800_000_000

    /// Starts a stream: writes the header.
    public init() {
        self.init(reusing: [])
    }

    /// Starts a stream in `storage`'s memory (emptied, its capacity kept): a caller that encodes batch after
    /// batch reuses one allocation instead of growing a new one each time.
    public init(reusing storage: consuming [UInt8]) {
        buffer = storage
        buffer.removeAll(keepingCapacity: true)
        buffer += [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]
        appendInt32(0)
        appendInt32(0)
    }

    /// Begins a row of `fields` values; exactly that many value calls must follow.
    public mutating func beginRow(fields: Int) {
        precondition(fieldsLeft == 0, "the previous row is missing \(fieldsLeft) field(s)")
        precondition(fields > 0 && fields <= Int(Int16.max))
        appendInt16(Int16(fields))
        fieldsLeft = fields
        rowCount += 1
    }

    /// A NULL.
    public mutating func null() {
        field()
        appendInt32(-1)
    }

    /// `boolean`.
    public mutating func bool(_ value: Bool) {
        field()
        appendInt32(1)
        buffer.append(value ? 1 : 0)
    }

    /// `smallint`.
    public mutating func int16(_ value: Int16) {
        field()
        appendInt32(2)
        appendInt16(value)
    }

    /// `integer`.
    public mutating func int32(_ value: Int32) {
        field()
        appendInt32(4)
        appendInt32(value)
    }

    /// `bigint`.
    public mutating func int64(_ value: Int64) {
        field()
        appendInt32(8)
        appendInt64(value)
    }

    /// `double precision`: the IEEE 754 bits, big-endian.
    public mutating func float64(_ value: Double) {
        field()
        appendInt32(8)
        appendInt64(Int64(bitPattern: value.bitPattern))
    }

    /// `text` / `varchar`: the UTF-8 bytes. The caller sanitises (PostgreSQL refuses NUL in text).
    public mutating func text(_ value: String) {
        field()
        var value = value
        value.withUTF8 { utf8 in
            appendInt32(Int32(utf8.count))
            buffer.append(contentsOf: utf8)
        }
    }

    /// `bytea`.
    public mutating func bytea(_ value: some Collection<UInt8>) {
        field()
        appendInt32(Int32(value.count))
        buffer.append(contentsOf: value)
    }

    /// `uuid`: its 16 bytes.
    public mutating func uuid(_ bytes: [UInt8]) {
        precondition(bytes.count == 16, "a uuid is 16 bytes")
        field()
        appendInt32(16)
        buffer += bytes
    }

    /// `timestamptz` from milliseconds since the Unix epoch (sent as microseconds since 2000-01-01 UTC).
    public mutating func timestamp(unixMilliseconds: Int64) {
        field()
        appendInt32(8)
        appendInt64(unixMilliseconds * 1000 - Self.postgresEpochOffsetMicroseconds)
    }

    /// `jsonb`: format version 1, then the JSON text.
    public mutating func jsonb(_ json: [UInt8]) {
        field()
        appendInt32(Int32(json.count + 1))
        buffer.append(1)
        buffer += json
    }

    /// Ends the stream: writes the trailer. Returns the whole encoding.
    public mutating func finish() -> [UInt8] {
        precondition(fieldsLeft == 0, "the last row is missing \(fieldsLeft) field(s)")
        appendInt16(-1)
        return buffer
    }

    /// Hands over the bytes encoded so far and empties the buffer (for streaming a large batch in pieces).
    public mutating func takeBytes() -> [UInt8] {
        defer { buffer.removeAll(keepingCapacity: true) }
        return buffer
    }

    private mutating func field() {
        precondition(fieldsLeft > 0, "more fields than the row declared")
        fieldsLeft -= 1
    }

    private mutating func appendInt16(_ v: Int16) {
        let u = UInt16(bitPattern: v)
        buffer += [UInt8(u >> 8), UInt8(u & 0xFF)]
    }

    private mutating func appendInt32(_ v: Int32) {
        let u = UInt32(bitPattern: v)
        buffer += [UInt8(u >> 24), UInt8((u >> 16) & 0xFF), UInt8((u >> 8) & 0xFF), UInt8(u & 0xFF)]
    }

    private mutating func appendInt64(_ v: Int64) {
        let u = UInt64(bitPattern: v)
        for shift in stride(from: 56, through: 0, by: -8) { buffer.append(UInt8((u >> UInt64(shift)) & 0xFF)) }
    }
}
