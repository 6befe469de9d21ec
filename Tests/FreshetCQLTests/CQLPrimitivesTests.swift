import NIOCore
import Testing

@testable import FreshetCQL

/// A primitive write and read, for the truncation table.
struct CQLPrimitiveCase: Sendable, CustomTestStringConvertible {
    let name: String
    let write: @Sendable (inout ByteBuffer) throws -> Void
    let read: @Sendable (inout ByteBuffer) throws -> Void
    var testDescription: String { name }
}

@Suite("CQL notations (spec section 3)")
struct CQLPrimitivesTests {
    @Test("[byte] [short] [int] [long] are big-endian")
    func integers() throws {
        var b = ByteBuffer()
        b.writeCQLByte(0xAB)
        b.writeCQLShort(0xFFFE)
        b.writeCQLInt(-2)
        b.writeCQLLong(0x0102_0304_0506_0708)
        #expect(
            CQLWire.bytes(b) == [0xAB, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFE, 1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try b.readCQLByte("b") == 0xAB)
        #expect(try b.readCQLShort("s") == 0xFFFE)  // [short] is unsigned
        #expect(try b.readCQLInt("i") == -2)
        #expect(try b.readCQLLong("l") == 0x0102_0304_0506_0708)
    }

    @Test("[string] is a [short] byte count and UTF-8")
    func string() throws {
        let (bytes, back) = try CQLWire.roundTrip({ try $0.writeCQLString("Zoë", "s") }, { try $0.readCQLString("s") })
        #expect(bytes == [0, 4, 0x5A, 0x6F, 0xC3, 0xAB])
        #expect(back == "Zoë")
    }

    @Test("[string] longer than 65535 bytes is refused when writing")
    func stringTooLong() {
        var b = ByteBuffer()
        let error = #expect(throws: CQLProtocolError.self) {
            try b.writeCQLString(String(repeating: "x", count: 65536), "query")
        }
        #expect(error?.code == .invalidValue)
        #expect(error?.field == "query")
        #expect(throws: Never.self) { try b.writeCQLString(String(repeating: "x", count: 65535), "query") }
    }

    @Test("invalid UTF-8 in a [string] is an error, not a replacement character")
    func invalidUTF8() {
        var b = ByteBuffer(bytes: [0, 2, 0xC3, 0x28])
        let error = #expect(throws: CQLProtocolError.self) { try b.readCQLString("s") }
        #expect(error?.code == .invalidValue)
    }

    @Test("[long string] is an [int] byte count; negative is refused")
    func longString() throws {
        let (bytes, back) = try CQLWire.roundTrip({ try $0.writeCQLLongString("ab", "q") }, { try $0.readCQLLongString("q") })
        #expect(bytes == [0, 0, 0, 2, 0x61, 0x62])
        #expect(back == "ab")
        var negative = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: CQLProtocolError.self) { try negative.readCQLLongString("q") }
    }

    @Test("[string list], [string map] in wire order, [string multimap]")
    func lists() throws {
        let (listBytes, list) = try CQLWire.roundTrip(
            { try $0.writeCQLStringList(["a", ""], "l") }, { try $0.readCQLStringList("l") })
        #expect(listBytes == [0, 2, 0, 1, 0x61, 0, 0])
        #expect(list == ["a", ""])

        let map: CQLOrderedMap<String> = ["z": "1", "a": "2"]
        let (mapBytes, mapBack) = try CQLWire.roundTrip({ try $0.writeCQLStringMap(map, "m") }, { try $0.readCQLStringMap("m") })
        #expect(mapBytes == [0, 2, 0, 1, 0x7A, 0, 1, 0x31, 0, 1, 0x61, 0, 1, 0x32])
        #expect(mapBack == map)
        #expect(mapBack.keys == ["z", "a"])

        let multi: CQLOrderedMap<[String]> = ["COMPRESSION": ["lz4", "snappy"], "X": []]
        let (_, multiBack) = try CQLWire.roundTrip(
            { try $0.writeCQLStringMultimap(multi, "m") }, { try $0.readCQLStringMultimap("m") })
        #expect(multiBack == multi)
        #expect(multiBack["COMPRESSION"] == ["lz4", "snappy"])
    }

    @Test("[bytes]: -1 and any other negative length are null; empty is not null")
    func bytes() throws {
        let (nullBytes, null) = try CQLWire.roundTrip({ try $0.writeCQLBytes(nil, "b") }, { try $0.readCQLBytes("b") })
        #expect(nullBytes == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(null == nil)
        var minusFive = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFB])
        #expect(try minusFive.readCQLBytes("b") == nil)
        let (emptyBytes, empty) = try CQLWire.roundTrip({ try $0.writeCQLBytes(ByteBuffer(), "b") }, { try $0.readCQLBytes("b") })
        #expect(emptyBytes == [0, 0, 0, 0])
        #expect(empty == ByteBuffer())
        let (_, some) = try CQLWire.roundTrip({ try $0.writeCQLBytes(ByteBuffer(bytes: [9, 8]), "b") }, { try $0.readCQLBytes("b") })
        #expect(some == ByteBuffer(bytes: [9, 8]))
    }

    @Test("[value]: -1 null, -2 not set, below -2 refused")
    func value() throws {
        for (value, wire) in [
            (CQLBindValue.null, [UInt8]([0xFF, 0xFF, 0xFF, 0xFF])), (.unset, [0xFF, 0xFF, 0xFF, 0xFE]),
            (.bytes(ByteBuffer(bytes: [7])), [0, 0, 0, 1, 7]),
        ] {
            let (bytes, back) = try CQLWire.roundTrip({ try $0.writeCQLValue(value, "v") }, { try $0.readCQLValue("v") })
            #expect(bytes == wire)
            #expect(back == value)
        }
        var minusThree = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFD])
        let error = #expect(throws: CQLProtocolError.self) { try minusThree.readCQLValue("v") }
        #expect(error?.code == .invalidLength)
        #expect(CQLBindValue(CQLValue.int(1)) == .bytes(ByteBuffer(bytes: [0, 0, 0, 1])))
        #expect(CQLBindValue(nil) == .null)
    }

    @Test("[short bytes] and [bytes map] with a null value")
    func shortBytesAndBytesMap() throws {
        let (sb, back) = try CQLWire.roundTrip(
            { try $0.writeCQLShortBytes(ByteBuffer(bytes: [1, 2, 3]), "id") }, { try $0.readCQLShortBytes("id") })
        #expect(sb == [0, 3, 1, 2, 3])
        #expect(back == ByteBuffer(bytes: [1, 2, 3]))
        let map: CQLOrderedMap<ByteBuffer?> = ["k": ByteBuffer(bytes: [1]), "n": nil]
        let (mapBytes, mapBack) = try CQLWire.roundTrip({ try $0.writeCQLBytesMap(map, "p") }, { try $0.readCQLBytesMap("p") })
        #expect(mapBytes == [0, 2, 0, 1, 0x6B, 0, 0, 0, 1, 1, 0, 1, 0x6E, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(mapBack == map)
    }

    @Test("[inet] and [inetaddr]: size byte, address, port")
    func inet() throws {
        let v4 = CQLInet(address: try #require(CQLInetAddress("10.0.0.7")), port: 9042)
        let (bytes, back) = try CQLWire.roundTrip({ $0.writeCQLInet(v4) }, { try $0.readCQLInet("a") })
        #expect(bytes == [4, 10, 0, 0, 7, 0, 0, 0x23, 0x52])
        #expect(back == v4)
        #expect(back.description == "10.0.0.7:9042")
        let v6 = CQLInet(address: try #require(CQLInetAddress("::1")), port: 1)
        let (bytes6, back6) = try CQLWire.roundTrip({ $0.writeCQLInet(v6) }, { try $0.readCQLInet("a") })
        #expect(bytes6.count == 1 + 16 + 4)
        #expect(back6.description == "[::1]:1")
        let (_, addr) = try CQLWire.roundTrip({ $0.writeCQLInetAddress(v4.address) }, { try $0.readCQLInetAddress("a") })
        #expect(addr == v4.address)
        var five = ByteBuffer(bytes: [5, 1, 2, 3, 4, 5, 0, 0, 0, 1])
        let error = #expect(throws: CQLProtocolError.self) { try five.readCQLInet("a") }
        #expect(error?.code == .invalidLength)
    }

    @Test(
        "inet addresses parse and print",
        arguments: [
            ("127.0.0.1", "127.0.0.1"), ("::", "::"), ("::1", "::1"), ("fe80::1:2", "fe80::1:2"),
            ("2001:DB8:0:0:0:0:2:1", "2001:db8::2:1"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("::ffff:1.2.3.4", "::ffff:102:304"), ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
        ])
    func inetText(input: String, printed: String) throws {
        let address = try #require(CQLInetAddress(input))
        #expect(address.description == printed)
        #expect(CQLInetAddress(printed) == address)
    }

    @Test(
        "malformed inet addresses are refused",
        arguments: [
            "", "1.2.3", "1.2.3.256", "1.2.3.4.5", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "g::1", ":::", "1.2.3.-4",
        ])
    func inetBad(input: String) {
        #expect(CQLInetAddress(input) == nil)
    }

    @Test("[uuid]: 16 bytes; text form both ways")
    func uuid() throws {
        let u = try #require(CQLUUID("550E8400-e29b-41d4-a716-446655440000"))
        #expect(u.description == "550e8400-e29b-41d4-a716-446655440000")
        #expect(CQLUUID("550e8400e29b41d4a716446655440000") == u)
        #expect(CQLUUID(bytes: u.bytes) == u)
        let (bytes, back) = try CQLWire.roundTrip({ $0.writeCQLUUID(u) }, { try $0.readCQLUUID("u") })
        #expect(CQLWire.hex(bytes) == "550e8400e29b41d4a716446655440000")
        #expect(back == u)
        #expect(CQLUUID("550e8400-e29b-41d4-a716-44665544000") == nil)
        #expect(CQLUUID("550e8400xe29b-41d4-a716-446655440000") == nil)
        #expect(CQLUUID("550e8400-e29b-41d4-a716-44665544000g") == nil)
    }

    @Test("[consistency] codes and names")
    func consistency() throws {
        #expect(CQLConsistency.localOne.rawValue == 0x000A)
        #expect(CQLConsistency.localQuorum.description == "LOCAL_QUORUM")
        #expect(CQLConsistency(rawValue: 0x20).description == "0x20")
        let (bytes, back) = try CQLWire.roundTrip({ $0.writeCQLConsistency(.eachQuorum) }, { try $0.readCQLConsistency("c") })
        #expect(bytes == [0, 7])
        #expect(back == .eachQuorum)
    }

    @Test("ordered map: literal order, subscript set/replace/remove")
    func orderedMap() {
        var m: CQLOrderedMap<String> = ["b": "1", "a": "2"]
        m["c"] = "3"
        m["b"] = "9"
        #expect(m.keys == ["b", "a", "c"])
        #expect(m["b"] == "9")
        m["a"] = nil
        #expect(m.keys == ["b", "c"])
        #expect(m.count == 2)
    }

    static let cases: [CQLPrimitiveCase] = [
        .init(name: "int", write: { $0.writeCQLInt(1) }, read: { _ = try $0.readCQLInt("f") }),
        .init(name: "long", write: { $0.writeCQLLong(1) }, read: { _ = try $0.readCQLLong("f") }),
        .init(name: "string", write: { try $0.writeCQLString("abc", "f") }, read: { _ = try $0.readCQLString("f") }),
        .init(name: "long string", write: { try $0.writeCQLLongString("abc", "f") }, read: { _ = try $0.readCQLLongString("f") }),
        .init(name: "uuid", write: { $0.writeCQLUUID(CQLUUID(high: 1, low: 2)) }, read: { _ = try $0.readCQLUUID("f") }),
        .init(name: "string list", write: { try $0.writeCQLStringList(["a", "b"], "f") }, read: { _ = try $0.readCQLStringList("f") }),
        .init(name: "bytes", write: { try $0.writeCQLBytes(ByteBuffer(bytes: [1, 2]), "f") }, read: { _ = try $0.readCQLBytes("f") }),
        .init(name: "value", write: { try $0.writeCQLValue(.bytes(ByteBuffer(bytes: [1])), "f") }, read: { _ = try $0.readCQLValue("f") }),
        .init(name: "short bytes", write: { try $0.writeCQLShortBytes(ByteBuffer(bytes: [1]), "f") }, read: { _ = try $0.readCQLShortBytes("f") }),
        .init(name: "string map", write: { try $0.writeCQLStringMap(["k": "v"], "f") }, read: { _ = try $0.readCQLStringMap("f") }),
        .init(name: "string multimap", write: { try $0.writeCQLStringMultimap(["k": ["v"]], "f") }, read: { _ = try $0.readCQLStringMultimap("f") }),
        .init(name: "bytes map", write: { try $0.writeCQLBytesMap(["k": ByteBuffer(bytes: [1])], "f") }, read: { _ = try $0.readCQLBytesMap("f") }),
        .init(
            name: "inet", write: { $0.writeCQLInet(CQLInet(address: CQLInetAddress(bytes: [1, 2, 3, 4])!, port: 5)) }, read: { _ = try $0.readCQLInet("f") }),
        .init(name: "consistency", write: { $0.writeCQLConsistency(.one) }, read: { _ = try $0.readCQLConsistency("f") }),
    ]

    @Test("every proper prefix of a primitive throws .truncated, naming the field", arguments: cases)
    func truncated(_ c: CQLPrimitiveCase) throws {
        var whole = ByteBuffer()
        try c.write(&whole)
        var copy = whole
        try c.read(&copy)
        #expect(copy.readableBytes == 0)
        for length in 0..<whole.readableBytes {
            var prefix = whole.getSlice(at: whole.readerIndex, length: length)!
            let error = #expect(throws: CQLProtocolError.self, "prefix of \(length) bytes") { try c.read(&prefix) }
            #expect(error?.code == .truncated)
            #expect(error?.field == "f")
        }
    }

    @Test("a huge element count is refused before anything is allocated")
    func hugeCount() {
        var b = ByteBuffer(bytes: [0xFF, 0xFF, 0, 1, 0x61])
        let error = #expect(throws: CQLProtocolError.self) { try b.readCQLStringList("l") }
        #expect(error?.code == .truncated)
    }
}
