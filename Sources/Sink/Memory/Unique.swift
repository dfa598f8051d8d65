/// A byte buffer handed between the loop and a pool thread without copying: whoever holds it takes the array
/// out (leaving the box empty), so the array's storage stays uniquely referenced and appends never copy it.
final class Unique: @unchecked Sendable {
    // @unchecked: taken and given back in turn, on one side of an Offload at a time (libuv orders the two).
    private(set) var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func take() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }

    func give(_ value: [UInt8]) { bytes = value }
}
