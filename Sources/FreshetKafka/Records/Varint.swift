/// Kafka's variable-length integers: unsigned LEB128 ("unsigned varint") and the zigzag
/// signed forms used inside records ("varint" for Int32, "varlong" for Int64).
public enum KafkaVarint {
    /// Appends `value` as an unsigned LEB128 varint (1–5 bytes).
    public static func writeUnsigned(_ value: UInt32, to out: inout [UInt8]) {
        writeUnsigned64(UInt64(value), to: &out)
    }

    /// Appends `value` as an unsigned LEB128 varint (1–10 bytes).
    public static func writeUnsigned64(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    /// Appends `value` zigzag-encoded (Kafka's signed varint, 1–5 bytes).
    public static func write(_ value: Int32, to out: inout [UInt8]) {
        writeUnsigned(UInt32(bitPattern: (value << 1) ^ (value >> 31)), to: &out)
    }

    /// Appends `value` zigzag-encoded (Kafka's varlong, 1–10 bytes).
    public static func write(_ value: Int64, to out: inout [UInt8]) {
        writeUnsigned64(UInt64(bitPattern: (value << 1) ^ (value >> 63)), to: &out)
    }

    /// The number of bytes `write(value)` appends.
    public static func size(_ value: Int64) -> Int {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        var n = 1
        while v >= 0x80 {
            v >>= 7
            n += 1
        }
        return n
    }

    /// Reads an unsigned varint of at most `maxBytes` bytes at `index`, advancing it.
    /// Rejects encodings longer than `maxBytes` and bits beyond `bitWidth`.
    static func readUnsigned(
        _ bytes: UnsafeRawBufferPointer, _ index: inout Int, maxBytes: Int, bitWidth: Int
    ) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = index
        for n in 0..<maxBytes {
            guard index < bytes.count else {
                throw KafkaRecordsError(.truncated, "input ends inside a varint", position: start)
            }
            let byte = bytes[index]
            index += 1
            let payload = UInt64(byte & 0x7F)
            if n == maxBytes - 1 {
                // The last allowed byte may carry only the bits that remain.
                let remaining = bitWidth - 7 * (maxBytes - 1)
                guard byte & 0x80 == 0, payload >> remaining == 0 else {
                    throw KafkaRecordsError(
                        .malformedVarint, "varint is longer than \(maxBytes) bytes or overflows \(bitWidth) bits",
                        position: start)
                }
            }
            result |= payload << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw KafkaRecordsError(.malformedVarint, "varint is longer than \(maxBytes) bytes", position: start)
    }

    /// Decodes a zigzag varint (Int32) from `bytes` at `index`, advancing it.
    public static func readVarint(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) throws -> Int32 {
        let u = UInt32(truncatingIfNeeded: try readUnsigned(bytes, &index, maxBytes: 5, bitWidth: 32))
        return Int32(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// Decodes a zigzag varlong (Int64) from `bytes` at `index`, advancing it.
    public static func readVarlong(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) throws -> Int64 {
        let u = try readUnsigned(bytes, &index, maxBytes: 10, bitWidth: 64)
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// Decodes an unsigned varint (UInt32) from `bytes` at `index`, advancing it.
    public static func readUnsignedVarint(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) throws -> UInt32 {
        UInt32(truncatingIfNeeded: try readUnsigned(bytes, &index, maxBytes: 5, bitWidth: 32))
    }

    /// Convenience: decodes one zigzag varint from the start of `bytes`; returns value and length.
    public static func decodeVarint(_ bytes: [UInt8]) throws -> (value: Int32, length: Int) {
        var i = 0
        let v = try bytes.withUnsafeBytes { (b) throws -> Int32 in try readVarint(b, &i) }
        return (v, i)
    }

    /// Convenience: decodes one zigzag varlong from the start of `bytes`; returns value and length.
    public static func decodeVarlong(_ bytes: [UInt8]) throws -> (value: Int64, length: Int) {
        var i = 0
        let v = try bytes.withUnsafeBytes { (b) throws -> Int64 in try readVarlong(b, &i) }
        return (v, i)
    }
}
