/// Confluent's framing of a Kafka record value (or key) written with a registered schema:
/// a magic byte 0, the schema's id as a 4-byte big-endian integer, then the Avro binary datum.
public enum ConfluentWireFormat {
    public static let magicByte: UInt8 = 0
    /// Magic byte and schema id.
    public static let headerLength = 5

    /// `payload` framed with `schemaID`.
    public static func frame(schemaID: UInt32, payload: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerLength + payload.count)
        out.append(magicByte)
        for shift in stride(from: 24, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: schemaID >> UInt32(shift)))
        }
        out.append(contentsOf: payload)
        return out
    }

    /// The schema id and the Avro datum of a framed value.
    public static func unframe(_ bytes: ArraySlice<UInt8>) throws(ConfluentWireFormatError) -> (schemaID: UInt32, payload: ArraySlice<UInt8>) {
        guard bytes.count >= headerLength else {
            throw ConfluentWireFormatError(.tooShort, "a framed value has at least \(headerLength) bytes (magic byte and schema id), got \(bytes.count)")
        }
        let start = bytes.startIndex
        guard bytes[start] == magicByte else {
            throw ConfluentWireFormatError(.badMagicByte, "the first byte is \(bytes[start]), not the magic byte 0: not a Schema Registry framed value")
        }
        var id: UInt32 = 0
        for i in 1...4 { id = id << 8 | UInt32(bytes[start + i]) }
        return (id, bytes[(start + headerLength)...])
    }

    public static func unframe(_ bytes: [UInt8]) throws(ConfluentWireFormatError) -> (schemaID: UInt32, payload: ArraySlice<UInt8>) {
        try unframe(bytes[...])
    }
}

public struct ConfluentWireFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case tooShort = "too_short"
        case badMagicByte = "bad_magic_byte"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "invalid Confluent wire format (\(code.rawValue)): \(message)" }
}
