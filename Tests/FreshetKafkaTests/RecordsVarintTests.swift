import FreshetKafka
import Testing

@Suite("Kafka varints")
struct RecordsVarintTests {
    static let int32Cases: [(Int32, [UInt8])] = [
        (0, [0x00]), (-1, [0x01]), (1, [0x02]), (-64, [0x7F]), (64, [0x80, 0x01]), (63, [0x7E]),
        (150, [0xAC, 0x02]), (Int32.max, [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]), (Int32.min, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
    ]

    @Test("zigzag varint encodes to Kafka's bytes and back", arguments: int32Cases)
    func varint(value: Int32, bytes: [UInt8]) throws {
        var out: [UInt8] = []
        KafkaVarint.write(value, to: &out)
        #expect(out == bytes)
        let (decoded, length) = try KafkaVarint.decodeVarint(bytes)
        #expect(decoded == value && length == bytes.count)
    }

    @Test("zigzag varlong round trips at the edges", arguments: [Int64.min, Int64.min + 1, -1, 0, 1, Int64(Int32.max) + 1, Int64.max])
    func varlong(value: Int64) throws {
        var out: [UInt8] = []
        KafkaVarint.write(value, to: &out)
        #expect(out.count == KafkaVarint.size(value))
        #expect(out.count <= 10)
        let (decoded, length) = try KafkaVarint.decodeVarlong(out)
        #expect(decoded == value && length == out.count)
    }

    @Test("Int64 extremes take exactly 10 bytes")
    func varlongLength() {
        var out: [UInt8] = []
        KafkaVarint.write(Int64.max, to: &out)
        #expect(out == [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
    }

    @Test(
        "overlong or overflowing varints are rejected",
        arguments: [
            [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] as [UInt8],  // 6 bytes
            [0xFF, 0xFF, 0xFF, 0xFF, 0x1F],  // 33 bits
            [0x80, 0x80, 0x80, 0x80, 0x80],  // continuation on the 5th byte
        ])
    func malformedVarint(bytes: [UInt8]) {
        let error = #expect(throws: KafkaRecordsError.self) { try KafkaVarint.decodeVarint(bytes) }
        #expect(error?.code == .malformedVarint)
    }

    @Test("varlong longer than 10 bytes is rejected")
    func malformedVarlong() {
        let bytes = [UInt8](repeating: 0xFF, count: 10) + [0x01]
        #expect(throws: KafkaRecordsError.self) { try KafkaVarint.decodeVarlong(bytes) }
        #expect(throws: KafkaRecordsError.self) { try KafkaVarint.decodeVarlong([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x03]) }
    }

    @Test("truncated varint is a truncation error", arguments: [[] as [UInt8], [0x80], [0xFF, 0xFF]])
    func truncated(bytes: [UInt8]) {
        let error = #expect(throws: KafkaRecordsError.self) { try KafkaVarint.decodeVarint(bytes) }
        #expect(error?.code == .truncated)
    }

    @Test("unsigned varint")
    func unsigned() {
        var out: [UInt8] = []
        KafkaVarint.writeUnsigned(300, to: &out)
        #expect(out == [0xAC, 0x02])
        out = []
        KafkaVarint.writeUnsigned(UInt32.max, to: &out)
        #expect(out == [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
    }
}
