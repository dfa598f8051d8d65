import Foundation

/// A parsed JSON value with convenient, failable accessors for assertions (parsed by Foundation).
public enum JSON: Equatable, Sendable {
    case object([String: JSON])
    case array([JSON])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    /// Parses `bytes`; throws if they are not JSON.
    public static func parse(_ bytes: [UInt8]) throws -> JSON {
        let value = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        return convert(value)
    }

    private static func convert(_ value: Any) -> JSON {
        switch value {
        case let d as [String: Any]: return .object(d.mapValues(convert))
        case let a as [Any]: return .array(a.map(convert))
        case let s as String: return .string(s)
        case let b as Bool where type(of: value) == type(of: NSNumber(value: true)) && (value as? NSNumber).map({ String(cString: $0.objCType) == "c" }) == true:
            return .bool(b)
        case let n as NSNumber:
            return .number(n.doubleValue)
        default: return .null
        }
    }

    public subscript(key: String) -> JSON? {
        if case .object(let d) = self { return d[key] }
        return nil
    }

    public var array: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var int: Int? {
        if case .number(let n) = self { return Int(n) }
        return nil
    }

    public var isNull: Bool { self == .null }
}
