import FreshetCore

/// Avro values shown as plain JSON, for people reading a topic (`freshet consume`, `topics tail`,
/// the Topics page): records are objects with their fields in schema order, a union's value is
/// written bare (not wrapped in `{"type": value}` as Avro's JSON encoding does), enums are their
/// symbol, bytes and fixed are strings of code points 0–255, maps are objects. A source record of
/// `UserCreatedAvro.schema` is thus, byte for byte, the JSON message of the same person.
/// NaN and infinities, which JSON lacks, are the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
public enum AvroJSONRendering {
    /// `value`, a datum of `schema`, as compact JSON. A value that does not match the schema
    /// (not what a decoder returns) is written as well as it can be, never trapped on.
    public static func json(_ value: AvroValue, schema: AvroSchema) -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        write(value, type: schema.root, schema: schema, into: &writer, depth: 0)
        return writer.bytes
    }

    static func write(_ value: AvroValue, type: AvroType?, schema: AvroSchema, into w: inout JSONWriter, depth: Int) {
        // Decoded values are at most `AvroDecodingLimits.maxDepth` deep; this bound is for others.
        guard depth <= 256 else {
            w.raw("null")
            return
        }
        let resolved = type.map { schema.resolve($0) }
        switch value {
        case .null: w.raw("null")
        case .boolean(let b): w.bool(b)
        case .int(let v): w.int(Int(v))
        case .long(let v): w.int(Int(v))
        case .float(let v): number(Double(v), into: &w)
        case .double(let v): number(v, into: &w)
        case .bytes(let b), .fixed(let b): w.string(latin1(b))
        case .string(let s): w.string(s)
        case .enumSymbol(let index):
            if case .enumeration(let e)? = resolved, index >= 0, index < e.symbols.count {
                w.string(e.symbols[index])
            } else {
                w.int(index)
            }
        case .record(let fields):
            var fieldTypes: [AvroType] = []
            if case .record(let r)? = resolved, r.fields.count == fields.count { fieldTypes = r.fields.map(\.type) }
            w.byte(UInt8(ascii: "{"))
            for (i, field) in fields.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(field.name)
                w.byte(UInt8(ascii: ":"))
                write(field.value, type: fieldTypes.isEmpty ? nil : fieldTypes[i], schema: schema, into: &w, depth: depth + 1)
            }
            w.byte(UInt8(ascii: "}"))
        case .array(let items):
            var itemType: AvroType?
            if case .array(let t)? = resolved { itemType = t }
            w.byte(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                write(item, type: itemType, schema: schema, into: &w, depth: depth + 1)
            }
            w.byte(UInt8(ascii: "]"))
        case .map(let entries):
            var valueType: AvroType?
            if case .map(let t)? = resolved { valueType = t }
            w.byte(UInt8(ascii: "{"))
            for (i, entry) in entries.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(entry.key)
                w.byte(UInt8(ascii: ":"))
                write(entry.value, type: valueType, schema: schema, into: &w, depth: depth + 1)
            }
            w.byte(UInt8(ascii: "}"))
        case .union(let branch, let inner):
            var branchType: AvroType?
            if case .union(let branches)? = resolved, branch >= 0, branch < branches.count { branchType = branches[branch] }
            write(inner, type: branchType, schema: schema, into: &w, depth: depth + 1)
        }
    }

    static func number(_ v: Double, into w: inout JSONWriter) {
        if v.isNaN {
            w.raw("\"NaN\"")
        } else if v.isInfinite {
            if v < 0 { w.raw("\"-Infinity\"") } else { w.raw("\"Infinity\"") }
        } else {
            w.bytes.append(contentsOf: "\(v)".utf8)
        }
    }

    static func latin1(_ bytes: [UInt8]) -> String {
        var s = ""
        s.unicodeScalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return s
    }
}
