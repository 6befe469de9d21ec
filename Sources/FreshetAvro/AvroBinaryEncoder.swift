/// Writes values in Avro's binary encoding (Avro 1.11 "Binary Encoding").
public struct AvroEncoder: Sendable {
    /// Nesting of values written (records, arrays, maps, unions). Defaults to 64, like the decoder's.
    public var maxDepth: Int

    public init(maxDepth: Int = 64) {
        self.maxDepth = maxDepth
    }

    /// The binary encoding of `value` as a datum of `schema`; an error names the field whose
    /// value does not fit its type.
    public func encode(_ value: AvroValue, as schema: AvroSchema) throws(AvroEncodeError) -> [UInt8] {
        var out: [UInt8] = []
        do { try write(value, as: schema.root, in: schema, to: &out, depth: 0) } catch {
            throw AvroEncodeError(path: error.pathText, message: error.message)
        }
        return out
    }

    private func write(_ value: AvroValue, as type: AvroType, in schema: AvroSchema, to out: inout [UInt8], depth: Int) throws(AvroPathError) {
        guard depth <= maxDepth else { throw AvroPathError("value nested more than \(maxDepth) deep") }
        let resolved = schema.resolve(type)
        func mismatch() -> AvroPathError { AvroPathError("expected a value of type \(resolved.displayName), got \(value.kindName)") }
        switch (resolved, value) {
        case (.null, .null): break
        case (.boolean, .boolean(let b)): out.append(b ? 1 : 0)
        case (.int, .int(let v)): AvroBinary.writeLong(Int64(v), to: &out)
        case (.long, .long(let v)): AvroBinary.writeLong(v, to: &out)
        case (.float, .float(let v)): AvroBinary.writeLittleEndian(UInt64(v.bitPattern), bytes: 4, to: &out)
        case (.double, .double(let v)): AvroBinary.writeLittleEndian(v.bitPattern, bytes: 8, to: &out)
        case (.bytes, .bytes(let b)):
            AvroBinary.writeLong(Int64(b.count), to: &out)
            out.append(contentsOf: b)
        case (.string, .string(let s)):
            AvroBinary.writeLong(Int64(s.utf8.count), to: &out)
            out.append(contentsOf: s.utf8)
        case (.fixed(let f), .fixed(let b)):
            guard b.count == f.size else { throw AvroPathError("fixed \(f.name.fullName) takes \(f.size) bytes, got \(b.count)") }
            out.append(contentsOf: b)
        case (.enumeration(let e), .enumSymbol(let index)):
            guard index >= 0, index < e.symbols.count else {
                throw AvroPathError("enum \(e.name.fullName) has \(e.symbols.count) symbols, got index \(index)")
            }
            AvroBinary.writeLong(Int64(index), to: &out)
        case (.record(let r), .record(let fields)):
            guard fields.count == r.fields.count else {
                throw AvroPathError("record \(r.name.fullName) has \(r.fields.count) fields, the value \(fields.count)")
            }
            for (field, given) in zip(r.fields, fields) {
                guard field.name == given.name else {
                    throw AvroPathError("expected field '\(field.name)' of \(r.name.fullName), got '\(given.name)'")
                }
                do { try write(given.value, as: field.type, in: schema, to: &out, depth: depth + 1) } catch { throw error.within(field.name) }
            }
        case (.array(let items), .array(let elements)):
            if !elements.isEmpty {
                AvroBinary.writeLong(Int64(elements.count), to: &out)
                for (i, element) in elements.enumerated() {
                    do { try write(element, as: items, in: schema, to: &out, depth: depth + 1) } catch { throw error.within("[\(i)]") }
                }
            }
            out.append(0)
        case (.map(let valuesType), .map(let entries)):
            if !entries.isEmpty {
                AvroBinary.writeLong(Int64(entries.count), to: &out)
                for entry in entries {
                    AvroBinary.writeLong(Int64(entry.key.utf8.count), to: &out)
                    out.append(contentsOf: entry.key.utf8)
                    do { try write(entry.value, as: valuesType, in: schema, to: &out, depth: depth + 1) } catch { throw error.within("[\"\(entry.key)\"]") }
                }
            }
            out.append(0)
        case (.union(let branches), .union(let branch, let inner)):
            guard branch >= 0, branch < branches.count else {
                throw AvroPathError("the union has \(branches.count) branches, got branch \(branch)")
            }
            AvroBinary.writeLong(Int64(branch), to: &out)
            do { try write(inner, as: branches[branch], in: schema, to: &out, depth: depth + 1) } catch { throw error.within("[branch \(branch)]") }
        default:
            throw mismatch()
        }
    }
}

/// A value that does not fit the schema it is encoded as.
public struct AvroEncodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field, like `address.lines[2]`; empty for the top-level value.
    public var path: String
    public var message: String

    public var description: String {
        "cannot encode Avro value at \(path.isEmpty ? "the top level" : path): \(message)"
    }
}

extension AvroValue {
    /// The kind of value, for messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .boolean: "boolean"
        case .int: "int"
        case .long: "long"
        case .float: "float"
        case .double: "double"
        case .bytes: "bytes"
        case .string: "string"
        case .record: "record"
        case .enumSymbol: "enum"
        case .array: "array"
        case .map: "map"
        case .fixed: "fixed"
        case .union: "union"
        }
    }
}

/// The primitives of the binary encoding.
public enum AvroBinary {
    /// Appends `value` zig-zag encoded as a variable-length integer (1 to 10 bytes).
    public static func writeLong(_ value: Int64, to out: inout [UInt8]) {
        var n = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while n >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: n) | 0x80)
            n >>= 7
        }
        out.append(UInt8(n))
    }

    static func writeLittleEndian(_ value: UInt64, bytes: Int, to out: inout [UInt8]) {
        for i in 0..<bytes {
            out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))))
        }
    }
}
