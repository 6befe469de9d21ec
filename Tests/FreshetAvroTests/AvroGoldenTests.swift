import Foundation
import FreshetAvro
import FreshetCore
import Testing

/// Vectors from fastavro (Python/golden.py → Golden/golden.json): canonical forms, fingerprints,
/// encodings and schema resolution by an independent implementation.
@Suite("Avro golden vectors from fastavro")
struct AvroGoldenTests {
    static let golden: JSONObject = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/golden.json")
        guard let data = try? Data(contentsOf: url), case .object(let object)? = try? JSONParser.parse(Array(data)) else {
            return JSONObject()
        }
        return object
    }()

    static func cases(_ key: String) -> [JSONObject] {
        (golden[key]?.arrayValue ?? []).compactMap(\.objectValue)
    }

    static var schemaNames: [String] { cases("schemas").compactMap { $0["name"]?.stringValue } }
    static var resolutionNames: [String] { cases("resolution").compactMap { $0["name"]?.stringValue } }

    static func find(_ key: String, _ name: String) throws -> JSONObject {
        try #require(cases(key).first { $0["name"]?.stringValue == name }, "no \(name) in Golden/golden.json")
    }

    @Test func goldenFileHasTheSeedSchema() {
        #expect(Self.schemaNames.contains("users_created"))
        #expect(Self.schemaNames.count >= 9)
        #expect(Self.resolutionNames.count >= 4)
    }

    @Test("canonical form and CRC-64-AVRO fingerprint match fastavro", arguments: schemaNames)
    func canonicalAndFingerprint(name: String) throws {
        let entry = try Self.find("schemas", name)
        let schema = try AvroSchema(parsing: try #require(entry["schema"]?.stringValue))
        #expect(schema.parsingCanonicalForm == entry["canonical"]?.stringValue)
        #expect(AvroFingerprint.littleEndianHex(schema.fingerprint) == entry["fingerprint"]?.stringValue)
        // The canonical form is itself a schema with the same canonical form.
        #expect(try AvroSchema(parsing: schema.parsingCanonicalForm).parsingCanonicalForm == schema.parsingCanonicalForm)
    }

    @Test("fastavro's encodings decode to its datums and re-encode byte for byte", arguments: ["users_created", "kitchen_sink"])
    func encodings(name: String) throws {
        let entry = try Self.find("schemas", name)
        let schema = try AvroSchema(parsing: try #require(entry["schema"]?.stringValue))
        let bytes = hex(try #require(entry["encoding"]?.stringValue))
        let value = try AvroDecoder(schema: schema).decode(bytes)
        let datum = try #require(entry["datum"])
        #expect(JSONComparison.mismatch(value, datum, type: schema.root, schema: schema) == nil)
        #expect(try AvroEncoder().encode(value, as: schema) == bytes)
        // Drip-fed: every proper prefix is an error, never a value or a trap.
        for cut in 0..<bytes.count {
            #expect(throws: AvroDecodeError.self) { try AvroDecoder(schema: schema).decode(bytes[..<cut]) }
        }
    }

    @Test func usersCreatedFields() throws {
        let entry = try Self.find("schemas", "users_created")
        let schema = try AvroSchema(parsing: try #require(entry["schema"]?.stringValue))
        let value = try AvroDecoder(schema: schema).decode(hex(try #require(entry["encoding"]?.stringValue)))
        #expect(value[field: "first_name"] == .string("Zoé"))
        #expect(value[field: "nat"] == .union(branch: 1, .string("FR")))
        guard case .record(let fields) = value else {
            Issue.record("not a record")
            return
        }
        #expect(
            fields.map(\.name) == [
                "id", "first_name", "last_name", "gender", "address", "post_code", "email", "username",
                "dob", "registered_date", "phone", "picture", "nat",
            ])
    }

    @Test("schema resolution reads what fastavro reads", arguments: resolutionNames)
    func resolution(name: String) throws {
        let entry = try Self.find("resolution", name)
        let writer = try AvroSchema(parsing: try #require(entry["writer"]?.stringValue))
        let reader = try AvroSchema(parsing: try #require(entry["reader"]?.stringValue))
        let value = try AvroDecoder(writer: writer, reader: reader).decode(hex(try #require(entry["encoding"]?.stringValue)))
        #expect(JSONComparison.mismatch(value, try #require(entry["read"]), type: reader.root, schema: reader) == nil)
        #expect(AvroCompatibility.check(reader: reader, writer: writer) == [])
    }
}

/// Compares a decoded value with fastavro's datum as JSON (bytes as code points 0…255, enums by
/// symbol, unions as the bare value, record fields by name).
enum JSONComparison {
    static func mismatch(_ value: AvroValue, _ json: JSONValue, type: AvroType, schema: AvroSchema, path: String = "") -> String? {
        let type = schema.resolve(type)
        func fail() -> String { "\(path.isEmpty ? "top level" : path): \(value) vs \(json)" }
        switch (type, value, json) {
        case (.null, .null, .null): return nil
        case (.boolean, .boolean(let b), .bool(let j)): return b == j ? nil : fail()
        case (.int, .int(let v), .number(let n)): return Int64(n) == Int64(v) ? nil : fail()
        case (.long, .long(let v), .number(let n)): return Int64(n) == v ? nil : fail()
        case (.float, .float(let v), .number(let n)): return Double(n) == Double(v) ? nil : fail()
        case (.double, .double(let v), .number(let n)): return Double(n) == v ? nil : fail()
        case (.bytes, .bytes(let b), .string(let s)), (.fixed, .fixed(let b), .string(let s)):
            return s.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) } == b && s.unicodeScalars.allSatisfy({ $0.value < 256 }) ? nil : fail()
        case (.string, .string(let v), .string(let s)): return v == s ? nil : fail()
        case (.enumeration(let e), .enumSymbol(let i), .string(let s)): return e.symbols.indices.contains(i) && e.symbols[i] == s ? nil : fail()
        case (.array(let items), .array(let values), .array(let elements)):
            guard values.count == elements.count else { return fail() }
            for (i, (v, j)) in zip(values, elements).enumerated() {
                if let m = mismatch(v, j, type: items, schema: schema, path: path + "[\(i)]") { return m }
            }
            return nil
        case (.map(let valuesType), .map(let entries), .object(let object)):
            guard entries.count == object.members.count else { return fail() }
            for entry in entries {
                guard let j = object[entry.key] else { return fail() }
                if let m = mismatch(entry.value, j, type: valuesType, schema: schema, path: path + "[\(entry.key)]") { return m }
            }
            return nil
        case (.record(let r), .record(let fields), .object(let object)):
            guard fields.count == r.fields.count, object.members.count == r.fields.count else { return fail() }
            for (field, v) in zip(r.fields, fields) {
                guard v.name == field.name, let j = object[field.name] else { return "\(path).\(field.name): missing" }
                if let m = mismatch(v.value, j, type: field.type, schema: schema, path: path + "." + field.name) { return m }
            }
            return nil
        case (.union(let branches), .union(let branch, let inner), _):
            guard branches.indices.contains(branch) else { return fail() }
            return mismatch(inner, json, type: branches[branch], schema: schema, path: path)
        default:
            return fail()
        }
    }
}
