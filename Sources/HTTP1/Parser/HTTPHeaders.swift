/// An ordered list of header fields, names kept as sent.
///
/// Lookups compare names ASCII-case-insensitively. The parser stores each field line as one entry; values
/// have their surrounding whitespace removed and are never combined.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    /// One field line.
    package struct Field: Sendable, Equatable {
        package var name: String
        package var value: String
    }

    private var fields: [Field]

    /// Creates an empty list.
    public init() {
        self.fields = []
    }

    /// Creates a list holding `fields` in order.
    public init(_ fields: [(name: String, value: String)]) {
        self.fields = fields.map { Field(name: $0.name, value: $0.value) }
    }

    /// Creates a list from a literal, keeping the literal's order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { Field(name: $0.0, value: $0.1) }
    }

    /// The number of field lines.
    public var count: Int { fields.count }

    /// Whether there is no field.
    public var isEmpty: Bool { fields.isEmpty }

    /// Appends a field line.
    public mutating func append(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    package mutating func reserveCapacity(_ capacity: Int) {
        fields.reserveCapacity(capacity)
    }

    /// All values of the fields named `name` (ASCII-case-insensitive), in order.
    public subscript(_ name: String) -> [String] {
        fields.compactMap { HTTPHeaders.namesEqual($0.name, name) ? $0.value : nil }
    }

    /// The value of the first field named `name` (ASCII-case-insensitive).
    public func first(_ name: String) -> String? {
        fields.first { HTTPHeaders.namesEqual($0.name, name) }?.value
    }

    /// Whether a field named `name` (ASCII-case-insensitive) is present.
    public func contains(_ name: String) -> Bool {
        fields.contains { HTTPHeaders.namesEqual($0.name, name) }
    }

    /// Iterates `(name, value)` pairs in the order they were sent.
    public struct Iterator: IteratorProtocol {
        fileprivate var base: IndexingIterator<[Field]>

        /// The next field line, or `nil` at the end.
        public mutating func next() -> (name: String, value: String)? {
            base.next().map { ($0.name, $0.value) }
        }
    }

    /// Iterates `(name, value)` pairs in the order they were sent.
    public func makeIterator() -> Iterator {
        Iterator(base: fields.makeIterator())
    }

    /// ASCII-case-insensitive comparison of two field names.
    package static func namesEqual(_ lhs: String, _ rhs: String) -> Bool {
        var left = lhs.utf8.makeIterator()
        var right = rhs.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil):
                return true
            case let (l?, r?):
                if HTTPSyntax.lowercased(l) != HTTPSyntax.lowercased(r) { return false }
            default:
                return false
            }
        }
    }
}
