import FreshetCore

/// One Avro datum, shaped by a schema: what the binary decoder returns and the encoder takes.
public indirect enum AvroValue: Sendable, Equatable {
    case null
    case boolean(Bool)
    case int(Int32)
    case long(Int64)
    case float(Float)
    case double(Double)
    case bytes([UInt8])
    case string(String)
    /// The record's fields in schema order.
    case record([Field])
    /// The index of the symbol in the enum's `symbols`.
    case enumSymbol(Int)
    case array([AvroValue])
    /// Entries in the order they were written (Avro allows any order).
    case map([MapEntry])
    case fixed([UInt8])
    /// The index of the union branch, and the value of that branch's type.
    case union(branch: Int, AvroValue)

    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: AvroValue
        public init(_ name: String, _ value: AvroValue) {
            self.name = name
            self.value = value
        }
    }

    public struct MapEntry: Sendable, Equatable {
        public var key: String
        public var value: AvroValue
        public init(_ key: String, _ value: AvroValue) {
            self.key = key
            self.value = value
        }
    }

    /// The value of the field named `name`, when this is a record.
    public subscript(field name: String) -> AvroValue? {
        guard case .record(let fields) = self else { return nil }
        return fields.first { $0.name == name }?.value
    }
}

/// Where in a value (or a default) something went wrong, and what.
struct AvroPathError: Error {
    var path: [String]
    var message: String

    init(_ message: String) {
        self.path = []
        self.message = message
    }

    /// Adds an enclosing component; components are prepended as the error travels up.
    func within(_ component: String) -> AvroPathError {
        var copy = self
        copy.path.append(component)
        return copy
    }

    var pathText: String { AvroPath.text(path.reversed()) }
}

enum AvroPath {
    /// `address.lines[2]`: components `address`, `[2]` (indices and keys start with `[`).
    static func text(_ components: some Sequence<String>) -> String {
        var text = ""
        for component in components {
            if !text.isEmpty, !component.hasPrefix("[") { text += "." }
            text += component
        }
        return text
    }
}

/// Field defaults from schema JSON (Avro 1.11 "Complex Types: Records", the table of default
/// values): converted to values of the field's type.
enum AvroDefaults {
    static let maxDepth = 64

    static func value(_ json: JSONValue, of type: AvroType, in schema: AvroSchema, depth: Int = 0) throws(AvroPathError) -> AvroValue {
        guard depth < maxDepth else { throw AvroPathError("default nested more than \(maxDepth) deep") }
        func mismatch() -> AvroPathError {
            AvroPathError("default \(json.typeName) is not a valid \(type.displayName)")
        }
        switch schema.resolve(type) {
        case .null:
            guard json.isNull else { throw mismatch() }
            return .null
        case .boolean:
            guard case .bool(let b) = json else { throw mismatch() }
            return .boolean(b)
        case .int:
            guard case .number(let text) = json, let v = Int32(text) else { throw mismatch() }
            return .int(v)
        case .long:
            guard case .number(let text) = json, let v = Int64(text) else { throw mismatch() }
            return .long(v)
        case .float:
            guard case .number(let text) = json, let v = Float(text) else { throw mismatch() }
            return .float(v)
        case .double:
            guard case .number(let text) = json, let v = Double(text) else { throw mismatch() }
            return .double(v)
        case .bytes:
            guard case .string(let s) = json, let bytes = latin1(s) else { throw mismatch() }
            return .bytes(bytes)
        case .string:
            guard case .string(let s) = json else { throw mismatch() }
            return .string(s)
        case .fixed(let f):
            guard case .string(let s) = json, let bytes = latin1(s), bytes.count == f.size else {
                throw AvroPathError("default of fixed \(f.name.fullName) must be a string of \(f.size) characters U+0000…U+00FF")
            }
            return .fixed(bytes)
        case .enumeration(let e):
            guard case .string(let s) = json, let index = e.symbols.firstIndex(of: s) else {
                throw AvroPathError("default is not a symbol of enum \(e.name.fullName)")
            }
            return .enumSymbol(index)
        case .array(let items):
            guard case .array(let elements) = json else { throw mismatch() }
            var values: [AvroValue] = []
            values.reserveCapacity(elements.count)
            for (i, element) in elements.enumerated() {
                do { values.append(try value(element, of: items, in: schema, depth: depth + 1)) } catch { throw error.within("[\(i)]") }
            }
            return .array(values)
        case .map(let valuesType):
            guard case .object(let object) = json else { throw mismatch() }
            var entries: [AvroValue.MapEntry] = []
            entries.reserveCapacity(object.members.count)
            for member in object.members {
                do {
                    entries.append(.init(member.key, try value(member.value, of: valuesType, in: schema, depth: depth + 1)))
                } catch { throw error.within("[\"\(member.key)\"]") }
            }
            return .map(entries)
        case .record(let r):
            guard case .object(let object) = json else { throw mismatch() }
            var members: [String: JSONValue] = [:]
            for member in object.members where members[member.key] == nil { members[member.key] = member.value }
            var fields: [AvroValue.Field] = []
            fields.reserveCapacity(r.fields.count)
            for field in r.fields {
                guard let given = members[field.name] ?? field.defaultValue else {
                    throw AvroPathError("default of record \(r.name.fullName) has no value for field '\(field.name)', which has no default")
                }
                do { fields.append(.init(field.name, try value(given, of: field.type, in: schema, depth: depth + 1))) } catch { throw error.within(field.name) }
            }
            return .record(fields)
        case .union(let branches):
            // Avro 1.11: a union's default is a value of its first branch.
            guard let first = branches.first else { throw AvroPathError("an empty union has no default") }
            do { return .union(branch: 0, try value(json, of: first, in: schema, depth: depth + 1)) } catch {
                throw AvroPathError("default of a union must be a value of its first branch (\(first.displayName)): \(error.message)")
            }
        case .reference(let name):
            throw AvroPathError("unknown named type \(name)")
        }
    }

    /// Bytes and fixed defaults are strings whose code points 0…255 are the bytes.
    static func latin1(_ s: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            guard scalar.value <= 0xFF else { return nil }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }
}
