import FreshetAvro
import FreshetCore
import Testing

@Suite("Avro schema parsing")
struct AvroSchemaTests {
    @Test(
        "primitives, as names and as objects",
        arguments: [
            ("\"null\"", AvroType.null), ("\"boolean\"", .boolean), ("\"int\"", .int(nil)), ("\"long\"", .long(nil)),
            ("\"float\"", .float), ("\"double\"", .double), ("\"bytes\"", .bytes(nil)), ("\"string\"", .string(nil)),
            ("{\"type\":\"long\"}", .long(nil)),
        ])
    func primitives(json: String, type: AvroType) throws {
        #expect(try AvroSchema(parsing: json).root == type)
    }

    @Test func recordWithEverything() throws {
        let schema = try AvroSchema(
            parsing: """
                {"type":"record","name":"User","namespace":"com.example","doc":"a person","aliases":["Person","old.Human"],
                 "fields":[
                   {"name":"id","type":{"type":"string","logicalType":"uuid"},"doc":"key"},
                   {"name":"age","type":"int","default":18,"aliases":["years"],"order":"descending"},
                   {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B"],"default":"B"}},
                   {"name":"tags","type":{"type":"array","items":"string"},"default":[]},
                   {"name":"attrs","type":{"type":"map","values":"long"},"default":{"x":1}},
                   {"name":"hash","type":{"type":"fixed","name":"Hash","namespace":"h","size":16}},
                   {"name":"again","type":"Kind"},
                   {"name":"hash2","type":"h.Hash"},
                   {"name":"nat","type":["null","string"],"default":null},
                   {"name":"born","type":{"type":"int","logicalType":"date"}},
                   {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
                   {"name":"atMicros","type":{"type":"long","logicalType":"timestamp-micros"}},
                   {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}
                 ]}
                """)
        guard case .record(let record) = schema.root else {
            Issue.record("not a record")
            return
        }
        #expect(record.name == AvroName(name: "User", namespace: "com.example"))
        #expect(record.aliases == ["com.example.Person", "old.Human"])
        #expect(record.doc == "a person")
        #expect(record.fields.map(\.name) == ["id", "age", "kind", "tags", "attrs", "hash", "again", "hash2", "nat", "born", "at", "atMicros", "amount"])
        #expect(record.fields[0].type == .string(.uuid))
        #expect(record.fields[1].defaultValue == .number("18"))
        #expect(record.fields[1].aliases == ["years"])
        #expect(record.fields[1].order == "descending")
        guard case .enumeration(let kind) = record.fields[2].type else {
            Issue.record("kind is not an enum")
            return
        }
        #expect(kind.name.fullName == "com.example.Kind")
        #expect(kind.defaultSymbol == "B")
        #expect(record.fields[5].type == .fixed(AvroFixedSchema(name: AvroName(name: "Hash", namespace: "h"), size: 16)))
        #expect(record.fields[6].type == .reference("com.example.Kind"))
        #expect(record.fields[7].type == .reference("h.Hash"))
        #expect(record.fields[8].type == .union([.null, .string(nil)]))
        #expect(record.fields[9].type == .int(.date))
        #expect(record.fields[10].type == .long(.timestampMillis))
        #expect(record.fields[11].type == .long(.timestampMicros))
        #expect(record.fields[12].type == .bytes(.decimal(precision: 10, scale: 2)))
        #expect(Set(schema.namedTypes.keys) == ["com.example.User", "com.example.Kind", "h.Hash"])
    }

    @Test(
        "invalid logical types are ignored, as the specification asks",
        arguments: [
            #"{"type":"string","logicalType":"date"}"#,
            #"{"type":"bytes","logicalType":"decimal","precision":2,"scale":3}"#,
            #"{"type":"long","logicalType":"no-such-type"}"#,
        ])
    func invalidLogicalTypesIgnored(json: String) throws {
        let root = try AvroSchema(parsing: json).root
        #expect(root == .string(nil) || root == .bytes(nil) || root == .long(nil))
    }

    @Test("decimal on fixed is bounded by what the size holds; duration needs 12 bytes")
    func fixedLogicalTypes() throws {
        func logical(_ json: String) throws -> AvroLogicalType? {
            guard case .fixed(let f) = try AvroSchema(parsing: json).root else { return nil }
            return f.logicalType
        }
        // 4 bytes hold 2^31 − 1: 9 decimal digits, not 10.
        #expect(try logical(#"{"type":"fixed","name":"D","size":4,"logicalType":"decimal","precision":9,"scale":2}"#) == .decimal(precision: 9, scale: 2))
        #expect(try logical(#"{"type":"fixed","name":"D","size":4,"logicalType":"decimal","precision":10}"#) == nil)
        #expect(try logical(#"{"type":"fixed","name":"D","size":12,"logicalType":"duration"}"#) == .duration)
        #expect(try logical(#"{"type":"fixed","name":"D","size":8,"logicalType":"duration"}"#) == nil)
    }

    @Test func recursiveRecord() throws {
        let schema = try AvroSchema(parsing: #"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}"#)
        guard case .record(let r) = schema.root else {
            Issue.record("not a record")
            return
        }
        #expect(r.fields[1].type == .union([.null, .reference("Node")]))
        #expect(schema.resolve(.reference("Node")) == schema.root)
    }

    @Test(
        "errors name where in the JSON",
        arguments: [
            (
                #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"int"},{"name":"c","type":"int"},{"name":"d","type":"nope"}]}"#,
                AvroSchemaError.Code.unknownType, "fields[3].type"
            ),
            (#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array"}}]}"#, .missingAttribute, "fields[0].type"),
            (#"{"type":"record","name":"R","fields":[{"name":"a","type":["int","int"]}]}"#, .invalidUnion, "fields[0].type[1]"),
            (#"["null",["int"]]"#, .invalidUnion, "[1]"),
            (#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#, .invalidDefault, "fields[0].default"),
            (#"{"type":"record","name":"R","fields":[{"name":"a","type":["null","int"],"default":1}]}"#, .invalidDefault, "fields[0].default"),
            (#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]}"#, .duplicateName, "fields[1].name"),
            (#"{"type":"record","name":"1R","fields":[]}"#, .invalidName, "name"),
            (#"{"type":"record","name":"R","fields":[{"name":"x","type":{"type":"record","name":"R","fields":[]}}]}"#, .duplicateName, "fields[0].type.name"),
            (#"{"type":"enum","name":"E","symbols":["A","A"]}"#, .duplicateName, "symbols[1]"),
            (#"{"type":"enum","name":"E","symbols":["A"],"default":"B"}"#, .invalidDefault, "default"),
            (#"{"type":"fixed","name":"F","size":-1}"#, .invalidAttribute, "size"),
            (#"{"type":"fixed","name":"F"}"#, .invalidAttribute, "size"),
            (#"{"type":"record","name":"int","fields":[]}"#, .invalidName, "name"),
            (#"{"type":"record","name":"R"}"#, .missingAttribute, ""),
            (#"{"name":"R"}"#, .missingAttribute, ""),
            (#"42"#, .invalidAttribute, ""),
            (#"{"type":"map","values":{"type":"map","values":"Later"}}"#, .unknownType, "values.values"),
            (#"{"type":"#, .invalidJSON, ""),
        ])
    func errorsNameThePath(json: String, code: AvroSchemaError.Code, path: String) {
        #expect {
            _ = try AvroSchema(parsing: json)
        } throws: { error in
            guard let e = error as? AvroSchemaError else { return false }
            return e.code == code && e.path == path
        }
    }

    @Test func namespacesAndReferences() throws {
        let schema = try AvroSchema(
            parsing: """
                {"type":"record","name":"Outer","namespace":"p","fields":[
                  {"name":"a","type":{"type":"record","name":"Mid","namespace":"q","fields":[
                    {"name":"b","type":{"type":"enum","name":"E","symbols":["X"]}},
                    {"name":"c","type":"E"}]}},
                  {"name":"d","type":"q.E"},
                  {"name":"e","type":{"type":"fixed","name":"r.G","size":2}},
                  {"name":"f","type":{"type":"enum","name":"Top","namespace":"","symbols":["Y"]}},
                  {"name":"g","type":"Top"}]}
                """)
        #expect(Set(schema.namedTypes.keys) == ["p.Outer", "q.Mid", "q.E", "r.G", "Top"])
        guard case .record(let outer) = schema.root, case .record(let mid) = outer.fields[0].type else {
            Issue.record("unexpected shape")
            return
        }
        #expect(mid.fields[1].type == .reference("q.E"))
        #expect(outer.fields[1].type == .reference("q.E"))
        #expect(outer.fields[4].type == .reference("Top"))
    }

    @Test func limits() throws {
        let deep = String(repeating: #"{"type":"array","items":"#, count: 10) + #""int""# + String(repeating: "}", count: 10)
        #expect(throws: AvroSchemaError.self) { try AvroSchema(parsing: deep, limits: AvroSchemaLimits(maxDepth: 5)) }
        #expect(try AvroSchema(parsing: deep, limits: AvroSchemaLimits(maxDepth: 10)).root != .null)
        let union = "[" + (0..<20).map { #"{"type":"fixed","name":"F\#($0)","size":1}"# }.joined(separator: ",") + "]"
        #expect { try AvroSchema(parsing: union, limits: AvroSchemaLimits(maxUnionBranches: 10)) } throws: {
            ($0 as? AvroSchemaError)?.code == .tooManyBranches
        }
        #expect { try AvroSchema(parsing: union, limits: AvroSchemaLimits(maxBytes: 100)) } throws: { ($0 as? AvroSchemaError)?.code == .tooLarge }
        #expect { try AvroSchema(parsing: union, limits: AvroSchemaLimits(maxNodes: 5)) } throws: { ($0 as? AvroSchemaError)?.code == .tooManyNodes }
        // 10,000 nested arrays: the JSON reader stops it at 64 levels; an error, never a trap.
        let hostile = String(repeating: #"{"type":"array","items":"#, count: 10_000) + #""int""# + String(repeating: "}", count: 10_000)
        #expect(throws: AvroSchemaError.self) { try AvroSchema(parsing: hostile) }
        let brackets = String(repeating: "[", count: 100_000)
        #expect(throws: AvroSchemaError.self) { try AvroSchema(parsing: brackets) }
    }

    @Test("a recursive default that never ends is an error, not a trap")
    func recursiveDefault() {
        #expect {
            try AvroSchema(parsing: #"{"type":"record","name":"N","fields":[{"name":"n","type":"N","default":{}}]}"#)
        } throws: { ($0 as? AvroSchemaError)?.code == .invalidDefault }
    }

    @Test("Parsing Canonical Form strips doc, aliases, defaults and logical types")
    func canonicalForm() throws {
        let schema = try AvroSchema(
            parsing: """
                {"namespace":"n","type":"record","name":"R","doc":"x","aliases":["Q"],"fields":[
                  {"type":{"type":"long","logicalType":"timestamp-millis"},"name":"t","default":0,"doc":"d"},
                  {"name":"e","type":{"symbols":["A"],"type":"enum","name":"E","default":"A"}},
                  {"name":"e2","type":"E"},
                  {"name":"f","type":{"size":4,"type":"fixed","name":"F"}},
                  {"name":"m","type":{"values":{"type":"array","items":"F"},"type":"map"}},
                  {"name":"u","type":["null",{"type":"string"}]}]}
                """)
        #expect(
            schema.parsingCanonicalForm
                == #"{"name":"n.R","type":"record","fields":[{"name":"t","type":"long"},{"name":"e","type":{"name":"n.E","type":"enum","symbols":["A"]}},{"name":"e2","type":"n.E"},{"name":"f","type":{"name":"n.F","type":"fixed","size":4}},{"name":"m","type":{"type":"map","values":{"type":"array","items":"n.F"}}},{"name":"u","type":["null","string"]}]}"#
        )
    }

    @Test("CRC-64-AVRO of known strings")
    func fingerprints() throws {
        #expect(AvroFingerprint.crc64Avro([]) == AvroFingerprint.empty)
        // The spec's single-object example schema "int" (fastavro: 8f5c393f1ad57572).
        let int = try AvroSchema(parsing: #"{"type":"int"}"#)
        #expect(int.fingerprint == 0x7275_D51A_3F39_5C8F)
        #expect(AvroFingerprint.littleEndianHex(int.fingerprint) == "8f5c393f1ad57572")
    }
}
