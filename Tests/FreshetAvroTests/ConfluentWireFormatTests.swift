import FreshetAvro
import Testing

@Suite("Confluent wire format")
struct ConfluentWireFormatTests {
    @Test func framesAndUnframes() throws {
        let framed = ConfluentWireFormat.frame(schemaID: 0x0102_0304, payload: [0x36, 0x06])
        #expect(framed == [0x00, 0x01, 0x02, 0x03, 0x04, 0x36, 0x06])
        let (id, payload) = try ConfluentWireFormat.unframe(framed)
        #expect(id == 0x0102_0304)
        #expect(Array(payload) == [0x36, 0x06])
        // An empty datum (a null, an empty record) is a valid payload.
        #expect(try ConfluentWireFormat.unframe([0, 0, 0, 0, 7]).payload.isEmpty)
        // A slice that does not start at index 0.
        let slice = ([0xFF] + framed)[1...]
        #expect(try ConfluentWireFormat.unframe(slice).schemaID == 0x0102_0304)
    }

    @Test func badMagicByte() {
        #expect { try ConfluentWireFormat.unframe([1, 0, 0, 0, 1, 2]) } throws: { ($0 as? ConfluentWireFormatError)?.code == .badMagicByte }
        // A JSON record on a topic that was expected to be Avro.
        #expect { try ConfluentWireFormat.unframe(Array(#"{"id":1}"#.utf8)) } throws: { ($0 as? ConfluentWireFormatError)?.code == .badMagicByte }
    }

    @Test(arguments: [0, 1, 4])
    func tooShort(length: Int) {
        #expect { try ConfluentWireFormat.unframe([UInt8](repeating: 0, count: length)) } throws: { ($0 as? ConfluentWireFormatError)?.code == .tooShort }
    }

    @Test func endToEnd() throws {
        let s = try schema(#"{"type":"record","name":"test","fields":[{"name":"a","type":"long"},{"name":"b","type":"string"}]}"#)
        let value = AvroValue.record([.init("a", .long(27)), .init("b", .string("foo"))])
        let framed = ConfluentWireFormat.frame(schemaID: 42, payload: try AvroEncoder().encode(value, as: s))
        let (id, payload) = try ConfluentWireFormat.unframe(framed)
        #expect(id == 42)
        #expect(try AvroDecoder(schema: s).decode(payload) == value)
    }
}
