import FreshetAvro
import Testing

func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8.filter { $0 != 32 })
    return stride(from: 0, to: digits.count, by: 2).map { i in
        func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : c - 87 }
        return nibble(digits[i]) << 4 | nibble(digits[i + 1])
    }
}

func schema(_ json: String) throws -> AvroSchema { try AvroSchema(parsing: json) }

func roundTrip(_ value: AvroValue, _ schema: AvroSchema) throws -> (bytes: [UInt8], decoded: AvroValue) {
    let bytes = try AvroEncoder().encode(value, as: schema)
    return (bytes, try AvroDecoder(schema: schema).decode(bytes))
}

func decodeError(_ bytes: [UInt8], _ schema: AvroSchema, limits: AvroDecodingLimits = AvroDecodingLimits()) -> AvroDecodeError? {
    do {
        _ = try AvroDecoder(schema: schema, limits: limits).decode(bytes)
        return nil
    } catch {
        return error
    }
}

@Suite("Avro binary encoding")
struct AvroBinaryTests {
    /// The specification's zig-zag table (Binary Encoding, Primitive Types), and the extremes.
    @Test(
        "zig-zag varints",
        arguments: [
            (Int64(0), "00"), (-1, "01"), (1, "02"), (-2, "03"), (2, "04"), (-64, "7f"), (64, "8001"),
            (8192, "808001"), (-8193, "818001"),
            (Int64.max, "feffffffffffffffff01"), (Int64.min, "ffffffffffffffffff01"),
        ])
    func zigzag(value: Int64, encoded: String) throws {
        var out: [UInt8] = []
        AvroBinary.writeLong(value, to: &out)
        #expect(out == hex(encoded))
        #expect(try AvroDecoder(schema: schema(#""long""#)).decode(hex(encoded)) == .long(value))
    }

    @Test("the specification's examples")
    func specExamples() throws {
        // Strings: "foo" is 06 66 6f 6f.
        #expect(try AvroEncoder().encode(.string("foo"), as: schema(#""string""#)) == hex("06666f6f"))
        // Records: {"a": 27, "b": "foo"} is 36 06 66 6f 6f.
        let record = try schema(#"{"type":"record","name":"test","fields":[{"name":"a","type":"long"},{"name":"b","type":"string"}]}"#)
        let value = AvroValue.record([.init("a", .long(27)), .init("b", .string("foo"))])
        #expect(try AvroEncoder().encode(value, as: record) == hex("36 06 666f6f"))
        #expect(try AvroDecoder(schema: record).decode(hex("3606666f6f")) == value)
        // Arrays: [3, 27] of longs is 04 06 36 00.
        let longs = try schema(#"{"type":"array","items":"long"}"#)
        #expect(try AvroEncoder().encode(.array([.long(3), .long(27)]), as: longs) == hex("04063600"))
        // Unions: null is 00, the string "a" is 02 02 61.
        let union = try schema(#"["null","string"]"#)
        #expect(try AvroEncoder().encode(.union(branch: 0, .null), as: union) == hex("00"))
        #expect(try AvroEncoder().encode(.union(branch: 1, .string("a")), as: union) == hex("020261"))
        #expect(try AvroDecoder(schema: union).decode(hex("020261")) == .union(branch: 1, .string("a")))
    }

    @Test(
        "every type round-trips",
        arguments: [
            (#""null""#, AvroValue.null),
            (#""boolean""#, .boolean(true)),
            (#""boolean""#, .boolean(false)),
            (#""int""#, .int(Int32.min)),
            (#""int""#, .int(Int32.max)),
            (#""long""#, .long(-1)),
            (#""float""#, .float(-3.25)),
            (#""double""#, .double(1e300)),
            (#""bytes""#, .bytes([0, 255, 7])),
            (#""bytes""#, .bytes([])),
            (#""string""#, .string("žluťoučký 🐎")),
            (#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#, .enumSymbol(2)),
            (#"{"type":"fixed","name":"F","size":3}"#, .fixed([1, 2, 3])),
            (#"{"type":"fixed","name":"Z","size":0}"#, .fixed([])),
            (#"{"type":"array","items":"string"}"#, .array([.string("a"), .string(""), .string("c")])),
            (#"{"type":"array","items":"null"}"#, .array([])),
            (#"{"type":"map","values":"int"}"#, .map([.init("x", .int(1)), .init("y", .int(-1))])),
            (#"["null","int",{"type":"array","items":"int"}]"#, .union(branch: 2, .array([.int(5)]))),
            (
                #"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"map","values":["null","R"]}}]}"#,
                .record([.init("a", .map([.init("k", .union(branch: 1, .record([.init("a", .map([]))]))), .init("n", .union(branch: 0, .null))]))])
            ),
            (#"{"type":"long","logicalType":"timestamp-micros"}"#, .long(1_700_000_000_123_456)),
        ])
    func roundTrips(schemaJSON: String, value: AvroValue) throws {
        let result = try roundTrip(value, schema(schemaJSON))
        #expect(result.decoded == value)
    }

    @Test("blocks with negative counts and byte sizes, and several blocks")
    func blocks() throws {
        let longs = try schema(#"{"type":"array","items":"long"}"#)
        // -2 items in 2 bytes: 03 04 | 06 36 ; then 1 item: 02 08 ; end 00.
        #expect(try AvroDecoder(schema: longs).decode(hex("0304 0636 0208 00")) == .array([.long(3), .long(27), .long(4)]))
        let map = try schema(#"{"type":"map","values":"boolean"}"#)
        #expect(try AvroDecoder(schema: map).decode(hex("01 06 02 6b 01 00")) == .map([.init("k", .boolean(true))]))
        // A block whose byte size runs past the end.
        #expect(decodeError(hex("03 7f 0636 00"), longs)?.code == .invalidBlock)
        // Int64.min items cannot be negated.
        #expect(decodeError(hex("ffffffffffffffffff01 00"), longs)?.code == .invalidBlock)
    }

    @Test("errors name the field")
    func errorsNameTheField() throws {
        let s = try schema(
            #"{"type":"record","name":"R","fields":[{"name":"id","type":"long"},{"name":"address","type":{"type":"record","name":"A","fields":[{"name":"lines","type":{"type":"array","items":"string"}}]}}]}"#
        )
        // id=1, lines: 2 items, "a", then a string claiming 5 bytes with 1 left.
        let error = try #require(decodeError(hex("02 04 0261 0a 62"), s))
        #expect(error.code == .lengthPastEnd)
        #expect(error.path == "address.lines[1]")
        #expect(error.offset == 4)
        #expect(AvroDecodeError(error.code, path: error.path, offset: error.offset, error.message).description.contains("address.lines[1]"))
        let encodeError = #expect(throws: AvroEncodeError.self) {
            try AvroEncoder().encode(.record([.init("id", .long(1)), .init("address", .record([.init("lines", .array([.int(1)]))]))]), as: s)
        }
        #expect(encodeError?.path == "address.lines[0]")
    }

    @Test(
        "hostile input is an error, never a trap",
        arguments: [
            (#""long""#, "", AvroDecodeError.Code.truncated),
            (#""long""#, "8080808080808080808001", .varintTooLong),  // 11 bytes
            (#""long""#, "ffffffffffffffffff7f", .varintTooLong),  // 10th byte past 64 bits
            (#""int""#, "8080808010", .intOutOfRange),
            (#""int""#, "808080808001", .varintTooLong),
            (#""string""#, "feffffffffffffffff01", .lengthPastEnd),  // Int64.max bytes
            (#""bytes""#, "01", .negativeLength),
            (#""string""#, "04c328", .invalidUTF8),
            (#""boolean""#, "02", .invalidBoolean),
            (#""double""#, "00000000", .truncated),
            (#"{"type":"fixed","name":"F","size":2147483647}"#, "00", .truncated),
            (#"["null","int"]"#, "04", .invalidUnionBranch),
            (#"["null","int"]"#, "01", .invalidUnionBranch),
            (#"{"type":"enum","name":"E","symbols":["A"]}"#, "02", .invalidEnumIndex),
            (#""null""#, "00", .trailingBytes),
            (#"{"type":"array","items":"null"}"#, "feffffffffffffffff01", .invalidBlock),
            (#"{"type":"array","items":"null"}"#, "feffffff0f00", .tooManyItems),  // Int32.max nulls from 6 bytes
            (#"{"type":"map","values":"null"}"#, "02", .truncated),
        ])
    func hostile(schemaJSON: String, bytes: String, code: AvroDecodeError.Code) throws {
        #expect(decodeError(hex(bytes), try schema(schemaJSON))?.code == code)
    }

    @Test("deep nesting stops at maxDepth")
    func deepNesting() throws {
        let s = try schema(#"{"type":"record","name":"N","fields":[{"name":"next","type":["null","N"]}]}"#)
        // 10,000 times "branch 1" then null: a linked list 10,000 deep.
        let bytes = [UInt8](repeating: 0x02, count: 10_000) + [0x00]
        let error = try #require(decodeError(bytes, s))
        #expect(error.code == .tooDeep)
        #expect(decodeError([UInt8](repeating: 0x02, count: 10) + [0x00], s) == nil)
    }

    @Test("the allocation budget counts strings and values")
    func budget() throws {
        let strings = try schema(#"{"type":"array","items":"string"}"#)
        var bytes: [UInt8] = []
        AvroBinary.writeLong(100, to: &bytes)
        for _ in 0..<100 { bytes += [0x14] + [UInt8](repeating: 0x61, count: 10) }
        bytes.append(0)
        #expect(decodeError(bytes, strings, limits: AvroDecodingLimits(maxAllocatedBytes: 1000))?.code == .tooLarge)
        #expect(decodeError(bytes, strings, limits: AvroDecodingLimits(maxAllocatedBytes: 10_000)) == nil)
        #expect(decodeError(bytes, strings, limits: AvroDecodingLimits(maxItems: 99))?.code == .tooManyItems)
    }
}
