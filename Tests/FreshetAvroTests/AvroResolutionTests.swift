import FreshetAvro
import Testing

@Suite("Avro schema resolution and compatibility")
struct AvroResolutionTests {
    static let v1 = #"{"type":"record","name":"User","namespace":"freshet","fields":[{"name":"id","type":"string"},{"name":"email","type":"string"}]}"#
    /// v1 plus a field with a default.
    static let v2WithDefault =
        #"{"type":"record","name":"User","namespace":"freshet","fields":[{"name":"id","type":"string"},{"name":"email","type":"string"},{"name":"nat","type":["null","string"],"default":null}]}"#
    /// v1 plus a field without a default.
    static let v2NoDefault =
        #"{"type":"record","name":"User","namespace":"freshet","fields":[{"name":"id","type":"string"},{"name":"email","type":"string"},{"name":"age","type":"int"}]}"#
    /// v1 without email.
    static let v2Removed = #"{"type":"record","name":"User","namespace":"freshet","fields":[{"name":"id","type":"string"}]}"#
    /// v1 with email given a default.
    static let v1EmailDefault =
        #"{"type":"record","name":"User","namespace":"freshet","fields":[{"name":"id","type":"string"},{"name":"email","type":"string","default":""}]}"#

    func read(_ value: AvroValue, written writerJSON: String, as readerJSON: String) throws -> AvroValue {
        let writer = try schema(writerJSON)
        let bytes = try AvroEncoder().encode(value, as: writer)
        return try AvroDecoder(writer: writer, reader: try schema(readerJSON)).decode(bytes)
    }

    @Test func defaultsFillMissingFieldsAndWriterOnlyFieldsAreSkipped() throws {
        let old = AvroValue.record([.init("id", .string("1")), .init("email", .string("a@b"))])
        #expect(
            try read(old, written: Self.v1, as: Self.v2WithDefault)
                == .record([.init("id", .string("1")), .init("email", .string("a@b")), .init("nat", .union(branch: 0, .null))]))
        #expect(try read(old, written: Self.v1, as: Self.v2Removed) == .record([.init("id", .string("1"))]))
    }

    @Test func missingFieldWithoutDefaultDoesNotResolve() throws {
        let error = #expect(throws: AvroResolutionError.self) {
            try AvroDecoder(writer: schema(Self.v1), reader: schema(Self.v2NoDefault))
        }
        #expect(error?.path == "age")
    }

    @Test func skippingWriterOnlyComplexFields() throws {
        let writer =
            #"{"type":"record","name":"R","fields":[{"name":"junk","type":{"type":"array","items":{"type":"map","values":["null",{"type":"record","name":"J","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},{"name":"f","type":{"type":"fixed","name":"F","size":2}}]}]}}},{"name":"keep","type":"long"}]}"#
        let reader = #"{"type":"record","name":"R","fields":[{"name":"keep","type":"long"}]}"#
        let junk = AvroValue.array([
            .map([.init("x", .union(branch: 1, .record([.init("e", .enumSymbol(1)), .init("f", .fixed([1, 2]))]))), .init("y", .union(branch: 0, .null))])
        ])
        let value = AvroValue.record([.init("junk", junk), .init("keep", .long(99))])
        #expect(try read(value, written: writer, as: reader) == .record([.init("keep", .long(99))]))
        // The same with blocks that give their byte size (skipped without reading the items).
        var bytes: [UInt8] = [0x01]  // -1 item…
        let item: [UInt8] = [0x00]  // an empty map
        AvroBinary.writeLong(Int64(item.count), to: &bytes)
        bytes += item + [0x00]  // end of array
        AvroBinary.writeLong(5, to: &bytes)  // keep = 5
        #expect(try AvroDecoder(writer: schema(writer), reader: schema(reader)).decode(bytes) == .record([.init("keep", .long(5))]))
    }

    @Test(
        "promotions",
        arguments: [
            (#""int""#, AvroValue.int(-3), #""long""#, AvroValue.long(-3)),
            (#""int""#, .int(7), #""float""#, .float(7)),
            (#""int""#, .int(7), #""double""#, .double(7)),
            (#""long""#, .long(1 << 40), #""float""#, .float(Float(1 << 40))),
            (#""long""#, .long(-9), #""double""#, .double(-9)),
            (#""float""#, .float(0.5), #""double""#, .double(0.5)),
            (#""string""#, .string("é"), #""bytes""#, .bytes([0xC3, 0xA9])),
            (#""bytes""#, .bytes([0x61]), #""string""#, .string("a")),
        ])
    func promotions(writer: String, value: AvroValue, reader: String, expected: AvroValue) throws {
        #expect(try read(value, written: writer, as: reader) == expected)
        #expect(AvroCompatibility.check(reader: try schema(reader), writer: try schema(writer)) == [])
    }

    @Test func noDemotions() throws {
        #expect(throws: AvroResolutionError.self) { try AvroDecoder(writer: schema(#""long""#), reader: schema(#""int""#)) }
        #expect(!AvroCompatibility.check(reader: try schema(#""int""#), writer: try schema(#""long""#)).isEmpty)
        #expect(!AvroCompatibility.check(reader: try schema(#""float""#), writer: try schema(#""double""#)).isEmpty)
    }

    @Test func fieldAliasesAndRecordAliases() throws {
        let writer = #"{"type":"record","name":"Old","fields":[{"name":"nat","type":"string"}]}"#
        let reader = #"{"type":"record","name":"New","aliases":["Old"],"fields":[{"name":"nationality","type":"string","aliases":["nat"]}]}"#
        #expect(try read(.record([.init("nat", .string("FR"))]), written: writer, as: reader) == .record([.init("nationality", .string("FR"))]))
        #expect(AvroCompatibility.check(reader: try schema(reader), writer: try schema(writer)) == [])
    }

    @Test func enumSymbolsMapAndUseTheReaderDefault() throws {
        let writer = #"{"type":"enum","name":"E","symbols":["A","B","C"]}"#
        let withDefault = #"{"type":"enum","name":"E","symbols":["C","A","Z"],"default":"Z"}"#
        let noDefault = #"{"type":"enum","name":"E","symbols":["C","A"]}"#
        #expect(try read(.enumSymbol(0), written: writer, as: withDefault) == .enumSymbol(1))
        #expect(try read(.enumSymbol(1), written: writer, as: withDefault) == .enumSymbol(2))
        #expect(try read(.enumSymbol(2), written: writer, as: noDefault) == .enumSymbol(0))
        // B is not in the reader and it has no default: an error for data holding B only.
        #expect { try read(.enumSymbol(1), written: writer, as: noDefault) } throws: { ($0 as? AvroDecodeError)?.code == .unresolvable }
        #expect(AvroCompatibility.check(reader: try schema(withDefault), writer: try schema(writer)) == [])
        #expect(AvroCompatibility.check(reader: try schema(noDefault), writer: try schema(writer)).count == 1)
    }

    @Test func unionsOnBothSides() throws {
        // Writer union → reader union: each branch finds its own.
        #expect(try read(.union(branch: 1, .int(4)), written: #"["null","int"]"#, as: #"["string","long","null"]"#) == .union(branch: 1, .long(4)))
        #expect(try read(.union(branch: 0, .null), written: #"["null","int"]"#, as: #"["string","long","null"]"#) == .union(branch: 2, .null))
        // Writer union → reader non-union: works for the branch that matches, fails for the other.
        #expect(try read(.union(branch: 1, .int(4)), written: #"["null","int"]"#, as: #""long""#) == .long(4))
        #expect { try read(.union(branch: 0, .null), written: #"["null","int"]"#, as: #""long""#) } throws: { ($0 as? AvroDecodeError)?.code == .unresolvable }
        #expect(AvroCompatibility.check(reader: try schema(#""long""#), writer: try schema(#"["null","int"]"#)).count == 1)
        // Non-union writer → reader union: exact branch first, then a promotion.
        #expect(try read(.int(1), written: #""int""#, as: #"["null","long","int"]"#) == .union(branch: 2, .int(1)))
        #expect(try read(.int(1), written: #""int""#, as: #"["null","double"]"#) == .union(branch: 1, .double(1)))
        #expect(throws: AvroResolutionError.self) { try AvroDecoder(writer: schema(#""int""#), reader: schema(#"["null","string"]"#)) }
        // Named branches match by name.
        let named = #"[{"type":"record","name":"A","fields":[]},{"type":"record","name":"B","fields":[{"name":"x","type":"int","default":1}]}]"#
        #expect(try read(.record([]), written: #"{"type":"record","name":"B","fields":[]}"#, as: named) == .union(branch: 1, .record([.init("x", .int(1))])))
    }

    @Test("a union of records with the same name in two namespaces keeps each branch")
    func sameNameInTwoNamespaces() throws {
        let s = #"[{"type":"record","name":"a.R","fields":[{"name":"x","type":"int"}]},{"type":"record","name":"b.R","fields":[{"name":"y","type":"string"}]}]"#
        let value = AvroValue.union(branch: 1, .record([.init("y", .string("z"))]))
        #expect(try roundTrip(value, schema(s)).decoded == value)
        #expect(try read(value, written: s, as: s) == value)
        #expect(AvroCompatibility.check(reader: try schema(s), writer: try schema(s)) == [])
    }

    @Test("an alias does not take a writer field away from the reader field of that name")
    func aliasesYieldToNames() throws {
        let writer = #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#
        let reader = #"{"type":"record","name":"R","fields":[{"name":"b","type":"string","aliases":["a"]},{"name":"c","type":"int","aliases":["a"]}]}"#
        #expect(
            try read(.record([.init("a", .int(1)), .init("b", .string("x"))]), written: writer, as: reader)
                == .record([.init("b", .string("x")), .init("c", .int(1))]))
        #expect(AvroCompatibility.check(reader: try schema(reader), writer: try schema(writer)) == [])
    }

    @Test func recursiveSchemasResolve() throws {
        let writer = #"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}"#
        let reader =
            #"{"type":"record","name":"Node","fields":[{"name":"v","type":"long"},{"name":"next","type":["null","Node"]},{"name":"w","type":"int","default":0}]}"#
        let list = AvroValue.record([
            .init("v", .int(1)), .init("next", .union(branch: 1, .record([.init("v", .int(2)), .init("next", .union(branch: 0, .null))]))),
        ])
        let expected = AvroValue.record([
            .init("v", .long(1)),
            .init("next", .union(branch: 1, .record([.init("v", .long(2)), .init("next", .union(branch: 0, .null)), .init("w", .int(0))]))),
            .init("w", .int(0)),
        ])
        #expect(try read(list, written: writer, as: reader) == expected)
        #expect(AvroCompatibility.check(reader: try schema(reader), writer: try schema(writer)) == [])
    }

    @Test func fixedMustMatchNameAndSize() throws {
        #expect(
            !AvroCompatibility.check(reader: try schema(#"{"type":"fixed","name":"F","size":3}"#), writer: try schema(#"{"type":"fixed","name":"F","size":4}"#))
                .isEmpty)
        #expect(
            !AvroCompatibility.check(reader: try schema(#"{"type":"fixed","name":"G","size":4}"#), writer: try schema(#"{"type":"fixed","name":"F","size":4}"#))
                .isEmpty)
    }

    // MARK: Confluent's levels

    @Test("adding a field with a default is BACKWARD (and FULL) compatible")
    func addWithDefault() throws {
        let new = try schema(Self.v2WithDefault)
        let old = try schema(Self.v1)
        #expect(AvroCompatibility.check(new, against: [old], level: .backward) == [])
        #expect(AvroCompatibility.check(new, against: [old], level: .forward) == [])
        #expect(AvroCompatibility.check(new, against: [old], level: .full) == [])
    }

    @Test("adding a field without a default is FORWARD but not BACKWARD compatible")
    func addWithoutDefault() throws {
        let new = try schema(Self.v2NoDefault)
        let old = try schema(Self.v1)
        let problems = AvroCompatibility.check(new, against: [old], level: .backward)
        #expect(problems.count == 1)
        #expect(problems.first?.contains("age") == true)
        #expect(AvroCompatibility.check(new, against: [old], level: .forward) == [])
        #expect(!AvroCompatibility.check(new, against: [old], level: .full).isEmpty)
        #expect(AvroCompatibility.check(new, against: [old], level: .none) == [])
    }

    @Test("removing a field is BACKWARD compatible; FORWARD only when the old schema gave it a default")
    func removeField() throws {
        let new = try schema(Self.v2Removed)
        #expect(AvroCompatibility.check(new, against: [try schema(Self.v1)], level: .backward) == [])
        #expect(AvroCompatibility.check(new, against: [try schema(Self.v1)], level: .forward).count == 1)
        #expect(AvroCompatibility.check(new, against: [try schema(Self.v1EmailDefault)], level: .forward) == [])
        #expect(AvroCompatibility.check(new, against: [try schema(Self.v1EmailDefault)], level: .full) == [])
    }

    @Test("transitive levels check every previous version, the others only the latest")
    func transitive() throws {
        // v0 has age without a default; v1 dropped it; v2 (new) is v1 plus a defaulted field.
        let v0 = try schema(Self.v2NoDefault)
        let v1 = try schema(Self.v1)
        let new = try schema(Self.v2WithDefault)
        #expect(AvroCompatibility.check(new, against: [v0, v1], level: .forward) == [])
        let problems = AvroCompatibility.check(new, against: [v0, v1], level: .forwardTransitive)
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("previous[0] cannot read the new schema: age:") == true)
        #expect(AvroCompatibility.check(new, against: [v0, v1], level: .backwardTransitive) == [])
        #expect(!AvroCompatibility.check(new, against: [v0, v1], level: .fullTransitive).isEmpty)
        #expect(AvroCompatibility.check(new, against: [], level: .fullTransitive) == [])
    }
}
