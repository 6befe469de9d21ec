import NIOCore
import Testing

@testable import FreshetCQL

@Suite("CQL types and values (spec sections 4.2.5.2, 6, 7)")
struct CQLTypeValueTests {
    static let address = CQLGoldenMessages.address

    static let types: [CQLType] = [
        .custom("org.example.Type"), .ascii, .bigint, .blob, .boolean, .counter, .decimal, .double, .float, .int, .timestamp,
        .uuid, .varchar, .varint, .timeuuid, .inet, .date, .time, .smallint, .tinyint, .duration,
        .list(.text), .set(.int), .map(key: .text, value: .list(.int)), .tuple([.int, .text, .tuple([])]), .udt(address),
        .map(key: .udt(address), value: .set(.tuple([.uuid, .map(key: .inet, value: .blob)]))),
    ]

    @Test("every type option tree round-trips", arguments: types)
    func typeRoundTrip(_ type: CQLType) throws {
        var b = ByteBuffer()
        try type.encode(into: &b)
        #expect(b.getInteger(at: 0, as: UInt16.self) == type.optionID)
        #expect(try CQLType.read(from: &b) == type)
        #expect(b.readableBytes == 0)
    }

    @Test("option ids are the spec's")
    func optionIDs() {
        #expect(
            Self.types.map(\.optionID) == [
                0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13,
                0x14, 0x15, 0x20, 0x22, 0x21, 0x31, 0x30, 0x21,
            ])
    }

    @Test("option bytes: map<text, list<int>>, a UDT, custom")
    func optionBytes() throws {
        var map = ByteBuffer()
        try CQLType.map(key: .text, value: .list(.int)).encode(into: &map)
        #expect(CQLWire.bytes(map) == [0, 0x21, 0, 0x0D, 0, 0x20, 0, 0x09])
        var udt = ByteBuffer()
        try CQLType.udt(CQLUserDefinedType(keyspace: "k", name: "u", fields: [.init(name: "f", type: .int)])).encode(into: &udt)
        #expect(CQLWire.bytes(udt) == [0, 0x30, 0, 1, 0x6B, 0, 1, 0x75, 0, 1, 0, 1, 0x66, 0, 9])
        var custom = ByteBuffer()
        try CQLType.custom("X").encode(into: &custom)
        #expect(CQLWire.bytes(custom) == [0, 0, 0, 1, 0x58])
    }

    @Test("type names read like CQL")
    func descriptions() {
        #expect(CQLType.map(key: .text, value: .list(.int)).description == "map<text, list<int>>")
        #expect(CQLType.udt(Self.address).description == "freshet.address")
        #expect(CQLType.tuple([.int, .uuid]).description == "tuple<int, uuid>")
    }

    static let unknownIDs: [UInt16] = [UInt16(0x000A), 0x0016, 0x0023, 0x0032, 0xFFFF]

    @Test("unknown option ids (and v1's 0x000A) are refused", arguments: unknownIDs)
    func unknownOption(id: UInt16) {
        var b = ByteBuffer()
        b.writeInteger(id)
        let error = #expect(throws: CQLProtocolError.self) { try CQLType.read(from: &b) }
        #expect(error?.code == .invalidValue)
    }

    @Test("a type nested past the limit is refused, not a stack overflow")
    func deepType() throws {
        var b = ByteBuffer()
        for _ in 0..<100_000 { b.writeInteger(UInt16(0x0020)) }
        b.writeInteger(UInt16(0x0009))
        let error = #expect(throws: CQLProtocolError.self) { try CQLType.read(from: &b) }
        #expect(error?.code == .nestingTooDeep)
        var ok = ByteBuffer()
        for _ in 0..<(CQLType.maximumDepth - 1) { ok.writeInteger(UInt16(0x0020)) }
        ok.writeInteger(UInt16(0x0009))
        #expect(throws: Never.self) { try CQLType.read(from: &ok) }
    }

    /// The Swift side of Golden/values.txt.
    static let expected: [String: (CQLType, CQLValue)] = [
        "ascii": (.ascii, .ascii("freshet")),
        "bigint": (.bigint, .bigint(-9_000_000_000_000_000_000)),
        "blob": (.blob, .blob([0x00, 0xFF, 0x10])),
        "boolean-true": (.boolean, .boolean(true)),
        "boolean-false": (.boolean, .boolean(false)),
        "counter": (.counter, .counter(12345)),
        "decimal": (.decimal, .decimal(CQLDecimal(unscaled: CQLVarint(-1_234_500), scale: 4))),
        "double": (.double, .double(-0.1)),
        "float": (.float, .float(1.5)),
        "int": (.int, .int(.min)),
        "timestamp": (.timestamp, .timestamp(1_000_000_000_005)),
        "timestamp-before-epoch": (.timestamp, .timestamp(-14_182_940_000)),
        "uuid": (.uuid, .uuid(CQLUUID("550e8400-e29b-41d4-a716-446655440000")!)),
        "text": (.text, .text("Zoë Ωmega ✓")),
        "text-empty": (.text, .text("")),
        "varint-0": (.varint, .varint(CQLVarint(0))),
        "varint-128": (.varint, .varint(CQLVarint(128))),
        "varint--129": (.varint, .varint(CQLVarint(-129))),
        "varint-big": (.varint, .varint(CQLVarint(bytes: [0x40, 0, 0, 0, 0, 0, 0, 0, 0x05]))),
        "timeuuid": (.timeuuid, .timeuuid(CQLUUID("e6bd4a30-8e0c-11ee-b9d1-0242ac120002")!)),
        "inet-v4": (.inet, .inet(CQLInetAddress("192.168.1.20")!)),
        "inet-v6": (.inet, .inet(CQLInetAddress("2001:db8::ff00:42:8329")!)),
        "date": (.date, .date(CQLDate(daysSinceEpoch: 19782))),
        "date-before-epoch": (.date, .date(CQLDate(daysSinceEpoch: -25567))),
        "time": (.time, .time(86_399_999_999_999)),
        "smallint": (.smallint, .smallint(.min)),
        "tinyint": (.tinyint, .tinyint(.min)),
        "duration": (.duration, .duration(CQLDuration(months: 14, days: -3, nanoseconds: 86_400_000_000_001))),
        "duration-zero": (.duration, .duration(CQLDuration(months: 0, days: 0, nanoseconds: 0))),
        "duration-extremes": (.duration, .duration(CQLDuration(months: .min, days: .max, nanoseconds: .min))),
        "list-text": (.list(.text), .list([.text("NZ"), .text(""), .text("ü")])),
        "list-empty": (.list(.text), .list([])),
        "set-int": (.set(.int), .set([.int(1), .int(2), .int(3)])),
        "map-text-int": (
            .map(key: .text, value: .int),
            .map([CQLMapEntry(key: .text("a"), value: .int(1)), CQLMapEntry(key: .text("b"), value: .int(-1))])
        ),
        "tuple-int-text": (.tuple([.int, .text]), .tuple([.int(7), nil])),
        "udt-address": (.udt(address), .udt([.text("Main St"), nil])),
    ]

    @Test("the driver's serialization of every value: Swift decodes it and encodes the same bytes", arguments: CQLGoldenValue.all)
    func goldenValue(_ golden: CQLGoldenValue) throws {
        let (type, value) = try #require(Self.expected[golden.name], "no Swift value for \(golden.name)")
        #expect(try CQLValue(decoding: ByteBuffer(bytes: golden.bytes), as: type) == value)
        #expect(CQLWire.bytes(value.serialized()) == golden.bytes)
    }

    @Test("values.txt has every expected value")
    func goldenCoverage() {
        #expect(Set(CQLGoldenValue.all.map(\.name)) == Set(Self.expected.keys))
    }

    @Test("duration from Cassandra's v4 custom type decodes as a duration")
    func durationAsCustom() throws {
        let value = CQLValue.duration(CQLDuration(months: 1, days: 2, nanoseconds: 3))
        #expect(try CQLValue(decoding: value.serialized(), as: .custom(CQLType.durationClassName)) == value)
        #expect(try CQLValue(decoding: ByteBuffer(bytes: [1, 2]), as: .custom("x.Y")) == .custom([1, 2]))
    }

    static let vintCases: [Int64] = [
        Int64(0), 1, -1, 63, -64, 64, 8191, -8192, 8192, 1 << 20, -(1 << 27), 1 << 34, 1 << 41, -(1 << 48), 1 << 55, 1 << 62, .max, .min,
    ]

    @Test("vints round-trip at every size boundary", arguments: vintCases)
    func vint(_ value: Int64) throws {
        var b = ByteBuffer()
        b.writeCQLVInt(value)
        let zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        let bits = 64 - zigzag.leadingZeroBitCount
        #expect(b.readableBytes == (bits <= 7 ? 1 : min(9, (bits - 1) / 7 + 1)))
        #expect(try b.readCQLVInt("v") == value)
        #expect(b.readableBytes == 0)
    }

    static let varintCases: [(Int64, [UInt8])] = [
        (Int64(0), [UInt8(0x00)]), (1, [0x01]), (127, [0x7F]), (128, [0x00, 0x80]), (129, [0x00, 0x81]),
        (-1, [0xFF]), (-128, [0x80]), (-129, [0xFF, 0x7F]), (.max, [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
        (.min, [0x80, 0, 0, 0, 0, 0, 0, 0]),
    ]

    @Test("varint: the spec's examples, and back to Int64", arguments: varintCases)
    func varint(value: Int64, bytes: [UInt8]) {
        #expect(CQLVarint(value).bytes == bytes)
        #expect(CQLVarint(bytes: bytes).int64Value == value)
    }

    @Test("varints wider than 64 bits have no Int64 value; sign-padded ones do")
    func wideVarint() {
        #expect(CQLVarint(bytes: [0x40, 0, 0, 0, 0, 0, 0, 0, 5]).int64Value == nil)
        #expect(CQLVarint(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]).int64Value == -129)
        #expect(CQLVarint(bytes: [0x00, 0x80, 0, 0, 0, 0, 0, 0, 0]).int64Value == nil)
    }

    @Test("date: epoch at 2^31")
    func date() {
        #expect(CQLDate(daysSinceEpoch: 0).rawValue == 1 << 31)
        #expect(CQLDate(rawValue: 0).daysSinceEpoch == .min)
        #expect(CQLDate(daysSinceEpoch: -1).rawValue == (1 << 31) - 1)
    }

    static let malformedCases: [(CQLType, [UInt8])] = [
        (CQLType.int, [UInt8]([0, 0, 1])), (.bigint, []), (.boolean, [1, 1]), (.uuid, [1]), (.text, [0xC3, 0x28]),
        (.ascii, [0x80]), (.inet, [1, 2, 3, 4, 5]), (.varint, []), (.decimal, [0, 0, 0, 1]), (.time, [0x80, 0, 0, 0, 0, 0, 0, 0]),
        (.list(.int), [0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF]), (.list(.int), [0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1, 9]),
        (.map(key: .int, value: .int), [0x7F, 0xFF, 0xFF, 0xFF]), (.tuple([.int]), [0, 0, 0, 4, 0, 0, 0]),
        (.duration, [0x01, 0x02]), (.duration, [0xF8, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0]),
    ]

    @Test("malformed cells are errors", arguments: malformedCases)
    func malformed(type: CQLType, bytes: [UInt8]) {
        #expect(throws: CQLProtocolError.self) { try CQLValue(decoding: ByteBuffer(bytes: bytes), as: type) }
    }

    @Test("a UDT value may have fewer values than the type has fields")
    func shortUDT() throws {
        let value = CQLValue.udt([.text("only street")])
        #expect(try CQLValue(decoding: value.serialized(), as: .udt(Self.address)) == value)
    }

    @Test("null cells are nil")
    func nullCell() throws {
        #expect(try CQLValue.decode(nil, as: .int) == nil)
        #expect(try CQLValue.decode(ByteBuffer(bytes: [0, 0, 0, 5]), as: .int) == .int(5))
    }
}
