import NIOCore
import Testing

@testable import FreshetKafka

/// Helpers shared by the protocol tests.
enum ProtocolWire {
    static func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    static func encode(flexible: Bool = false, _ body: (inout KafkaCodec) throws -> Void) rethrows -> [UInt8] {
        var c = KafkaCodec(encodingInto: ByteBuffer(), version: 0, flexible: flexible)
        try body(&c)
        return bytes(c.buffer)
    }

    static func decoder(_ bytes: [UInt8], flexible: Bool = false) -> KafkaCodec {
        KafkaCodec(decoding: ByteBuffer(bytes: bytes), version: 0, flexible: flexible)
    }
}

struct ProtocolVarintVector: Sendable, CustomTestStringConvertible {
    let value: Int64
    let bytes: [UInt8]
    var testDescription: String { "\(value)" }
}

@Suite("Kafka wire primitives")
struct ProtocolPrimitivesTests {
    /// Zigzag varints as the Kafka protocol guide specifies them (and as the Java client's
    /// ByteUtils writes them).
    static let varintVectors: [ProtocolVarintVector] = [
        ProtocolVarintVector(value: 0, bytes: [0x00]),
        ProtocolVarintVector(value: -1, bytes: [0x01]),
        ProtocolVarintVector(value: 1, bytes: [0x02]),
        ProtocolVarintVector(value: 63, bytes: [0x7E]),
        ProtocolVarintVector(value: -64, bytes: [0x7F]),
        ProtocolVarintVector(value: 64, bytes: [0x80, 0x01]),
        ProtocolVarintVector(value: 300, bytes: [0xD8, 0x04]),
        ProtocolVarintVector(value: Int64(Int32.max), bytes: [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]),
        ProtocolVarintVector(value: Int64(Int32.min), bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
    ]

    @Test("zigzag varint matches the Kafka encoding", arguments: varintVectors)
    func varint(vector: ProtocolVarintVector) throws {
        let encoded = try ProtocolWire.encode { c in
            var v = Int32(vector.value)
            try c.varint(&v, "v")
        }
        #expect(encoded == vector.bytes)
        var d = ProtocolWire.decoder(vector.bytes)
        var back: Int32 = 12345
        try d.varint(&back, "v")
        #expect(Int64(back) == vector.value)
        #expect(d.buffer.readableBytes == 0)
    }

    static let varlongVectors: [ProtocolVarintVector] =
        varintVectors + [
            ProtocolVarintVector(value: .max, bytes: [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
            ProtocolVarintVector(value: .min, bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
            ProtocolVarintVector(value: 1 << 40, bytes: [0x80, 0x80, 0x80, 0x80, 0x80, 0x40]),
        ]

    @Test("zigzag varlong matches the Kafka encoding", arguments: varlongVectors)
    func varlong(vector: ProtocolVarintVector) throws {
        let encoded = try ProtocolWire.encode { c in
            var v = vector.value
            try c.varlong(&v, "v")
        }
        #expect(encoded == vector.bytes)
        var d = ProtocolWire.decoder(vector.bytes)
        var back: Int64 = 12345
        try d.varlong(&back, "v")
        #expect(back == vector.value)
    }

    static let unsignedVectors: [(UInt32, [UInt8])] = [
        (0, [0x00]), (127, [0x7F]), (128, [0x80, 0x01]), (300, [0xAC, 0x02]),
        (UInt32.max, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
    ]

    @Test("unsigned varint", arguments: unsignedVectors)
    func unsignedVarint(value: UInt32, bytes: [UInt8]) throws {
        #expect(
            try ProtocolWire.encode { c in
                var v = value
                try c.unsignedVarint(&v, "v")
            } == bytes)
        var d = ProtocolWire.decoder(bytes)
        var back: UInt32 = 1
        try d.unsignedVarint(&back, "v")
        #expect(back == value)
    }

    @Test("overlong and truncated varints throw")
    func badVarints() {
        var overlong = ProtocolWire.decoder([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        var v: Int32 = 0
        #expect(throws: KafkaProtocolError.self) { try overlong.varint(&v, "v") }
        var truncated = ProtocolWire.decoder([0x80, 0x80])
        let error = #expect(throws: KafkaProtocolError.self) { try truncated.varint(&v, "Len") }
        #expect(error?.code == .truncated)
        #expect(error?.field == "Len")
        var longlong = ProtocolWire.decoder([UInt8](repeating: 0xFF, count: 10) + [0x01])
        var l: Int64 = 0
        #expect(throws: KafkaProtocolError.self) { try longlong.varlong(&l, "v") }
    }

    @Test("fixed-width integers are big-endian")
    func fixedWidth() throws {
        let bytes = try ProtocolWire.encode { c in
            var a: Int8 = -2
            var b: Int16 = 0x0102
            var d: Int32 = -1
            var e: Int64 = 0x0102_0304_0506_0708
            var u: UInt32 = 0xA0B0_C0D0
            try c.int8(&a, "a")
            try c.int16(&b, "b")
            try c.int32(&d, "d")
            try c.int64(&e, "e")
            try c.uint32(&u, "u")
        }
        #expect(bytes == [0xFE, 0x01, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8, 0xA0, 0xB0, 0xC0, 0xD0])
        var d = ProtocolWire.decoder(bytes)
        var a: Int8 = 0
        var b: Int16 = 0
        var i: Int32 = 0
        var e: Int64 = 0
        var u: UInt32 = 0
        try d.int8(&a, "a")
        try d.int16(&b, "b")
        try d.int32(&i, "d")
        try d.int64(&e, "e")
        try d.uint32(&u, "u")
        #expect((a, b, i, e, u) == (-2, 0x0102, -1, 0x0102_0304_0506_0708, 0xA0B0_C0D0))
    }

    @Test("classic and compact strings")
    func strings() throws {
        #expect(
            try ProtocolWire.encode { c in
                var s = "abc"
                try c.string(&s, "s")
            } == [0, 3, 0x61, 0x62, 0x63])
        #expect(
            try ProtocolWire.encode(flexible: true) { c in
                var s = "abc"
                try c.string(&s, "s")
            } == [4, 0x61, 0x62, 0x63])
        #expect(
            try ProtocolWire.encode { c in
                var s: String? = nil
                try c.nullableString(&s, "s")
            } == [0xFF, 0xFF])
        #expect(
            try ProtocolWire.encode(flexible: true) { c in
                var s: String? = nil
                try c.nullableString(&s, "s")
            } == [0])
        #expect(
            try ProtocolWire.encode(flexible: true) { c in
                var s = ""
                try c.string(&s, "s")
            } == [1])

        var d = ProtocolWire.decoder([0, 2, 0x68, 0x69, 0xFF, 0xFF])
        var s = ""
        var n: String? = "x"
        try d.string(&s, "s")
        try d.nullableString(&n, "n")
        #expect(s == "hi" && n == nil)

        var compact = ProtocolWire.decoder([3, 0x68, 0x69, 0], flexible: true)
        try compact.string(&s, "s")
        try compact.nullableString(&n, "n")
        #expect(s == "hi" && n == nil)
    }

    @Test("null where the schema forbids it is an error")
    func nullNotAllowed() {
        var d = ProtocolWire.decoder([0xFF, 0xFF])
        var s = ""
        let error = #expect(throws: KafkaProtocolError.self) { try d.string(&s, "Name") }
        #expect(error?.code == .invalidLength)
        var compact = ProtocolWire.decoder([0], flexible: true)
        var arr: [Int32] = []
        #expect(throws: KafkaProtocolError.self) { try compact.int32Array(&arr, "Ids") }
    }

    @Test("bytes, nullable bytes and compact bytes")
    func bytes() throws {
        let payload = ByteBuffer(bytes: [9, 8, 7])
        #expect(
            try ProtocolWire.encode { c in
                var b = payload
                try c.bytes(&b, "b")
            } == [0, 0, 0, 3, 9, 8, 7])
        #expect(
            try ProtocolWire.encode(flexible: true) { c in
                var b = payload
                try c.bytes(&b, "b")
            } == [4, 9, 8, 7])
        #expect(
            try ProtocolWire.encode { c in
                var b: ByteBuffer? = nil
                try c.nullableBytes(&b, "b")
            } == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(
            try ProtocolWire.encode(flexible: true) { c in
                var b: ByteBuffer? = nil
                try c.nullableBytes(&b, "b")
            } == [0])
        var d = ProtocolWire.decoder([0, 0, 0, 2, 1, 2, 0xFF, 0xFF, 0xFF, 0xFF])
        var b = ByteBuffer()
        var n: ByteBuffer? = ByteBuffer()
        try d.bytes(&b, "b")
        try d.nullableBytes(&n, "n")
        #expect(ProtocolWire.bytes(b) == [1, 2] && n == nil)
    }

    @Test("arrays and compact arrays, nullable")
    func arrays() throws {
        #expect(
            try ProtocolWire.encode { c in
                var a: [Int32] = [1, 2]
                try c.int32Array(&a, "a")
            } == [0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2])
        #expect(
            try ProtocolWire.encode(flexible: true) { c in
                var a: [Int32] = [1]
                try c.int32Array(&a, "a")
            } == [2, 0, 0, 0, 1])
        let nullTopics = try ProtocolWire.encode { c in
            var a: [OffsetFetchRequest.Topic]? = nil
            try c.nullableArray(&a, "Topics")
        }
        #expect(nullTopics == [0xFF, 0xFF, 0xFF, 0xFF])
        var d = ProtocolWire.decoder([0xFF, 0xFF, 0xFF, 0xFF])
        var topics: [OffsetFetchRequest.Topic]? = []
        try d.nullableArray(&topics, "Topics")
        #expect(topics == nil)
        var strings = ProtocolWire.decoder([3, 2, 0x61, 1], flexible: true)
        var s: [String] = []
        try strings.stringArray(&s, "s")
        #expect(s == ["a", ""])
    }

    @Test("an array count larger than the input throws before allocating")
    func hugeArrayCount() {
        var d = ProtocolWire.decoder([0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1])
        var a: [Int32] = []
        let error = #expect(throws: KafkaProtocolError.self) { try d.int32Array(&a, "Partitions") }
        #expect(error?.code == .truncated)
        #expect(error?.field == "Partitions")
    }

    @Test("uuid is 16 big-endian bytes")
    func uuid() throws {
        let id = KafkaUUID(high: 0x0011_2233_4455_6677, low: 0x8899_AABB_CCDD_EEFF)
        let bytes = try ProtocolWire.encode { c in
            var u = id
            try c.uuid(&u, "u")
        }
        #expect(bytes == [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF])
        var d = ProtocolWire.decoder(bytes)
        var back = KafkaUUID.zero
        try d.uuid(&back, "u")
        #expect(back == id)
        #expect(id.description == "00112233445566778899aabbccddeeff")
    }

    @Test("empty tagged fields write one zero byte, and only when flexible")
    func emptyTags() throws {
        #expect(try ProtocolWire.encode(flexible: true) { c in try c.emptyTaggedFields() } == [0])
        #expect(try ProtocolWire.encode(flexible: false) { c in try c.emptyTaggedFields() } == [])
    }

    @Test("unknown tagged fields are skipped")
    func unknownTagsSkipped() throws {
        // Two unknown tags (5: three bytes, 9: one byte), then an int16 that must still be read.
        var d = ProtocolWire.decoder([2, 5, 3, 0xAA, 0xBB, 0xCC, 9, 1, 0x01, 0x12, 0x34], flexible: true)
        try d.emptyTaggedFields()
        var after: Int16 = 0
        try d.int16(&after, "after")
        #expect(after == 0x1234)
    }

    @Test("tagged fields out of order or past the input throw")
    func badTags() {
        var unordered = ProtocolWire.decoder([2, 5, 0, 3, 0], flexible: true)
        #expect(throws: KafkaProtocolError.self) { try unordered.emptyTaggedFields() }
        var short = ProtocolWire.decoder([1, 5, 10, 0xAA], flexible: true)
        let error = #expect(throws: KafkaProtocolError.self) { try short.emptyTaggedFields() }
        #expect(error?.code == .truncated)
    }

    @Test("the error carries code, message and context")
    func errorContext() {
        var d = KafkaCodec(decoding: ByteBuffer(bytes: [0]), version: 7, flexible: false, api: .fetch)
        var v: Int32 = 0
        let error = #expect(throws: KafkaProtocolError.self) { try d.int32(&v, "MaxWaitMs") }
        #expect(error?.code == .truncated)
        #expect(error?.api == .fetch)
        #expect(error?.version == 7)
        #expect(error?.field == "MaxWaitMs")
        #expect(error?.description.contains("Fetch") == true)
    }
}
