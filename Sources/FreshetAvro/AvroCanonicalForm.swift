import FreshetCore

extension AvroSchema {
    /// The schema's Parsing Canonical Form (Avro 1.11 "Parsing Canonical Form for Schemas"):
    /// primitives as bare names, full names everywhere, only the attributes that matter to
    /// reading data (`name`, `type`, `fields`, `symbols`, `items`, `values`, `size`) in that
    /// order, no whitespace. Two schemas that read data the same way have the same form.
    public var parsingCanonicalForm: String {
        var writer = JSONWriter(capacity: 256)
        Self.writeCanonical(root, to: &writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The CRC-64-AVRO (Rabin) fingerprint of the Parsing Canonical Form, as Avro's single-object
    /// encoding and its libraries compute it.
    public var fingerprint: UInt64 {
        AvroFingerprint.crc64Avro(Array(parsingCanonicalForm.utf8))
    }

    private static func writeCanonical(_ type: AvroType, to w: inout JSONWriter) {
        switch type {
        case .null: w.raw("\"null\"")
        case .boolean: w.raw("\"boolean\"")
        case .int: w.raw("\"int\"")
        case .long: w.raw("\"long\"")
        case .float: w.raw("\"float\"")
        case .double: w.raw("\"double\"")
        case .bytes: w.raw("\"bytes\"")
        case .string: w.raw("\"string\"")
        case .reference(let name): w.string(name)
        case .record(let r):
            w.raw("{\"name\":")
            w.string(r.name.fullName)
            w.raw(",\"type\":\"record\",\"fields\":[")
            for (i, field) in r.fields.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.raw("{\"name\":")
                w.string(field.name)
                w.raw(",\"type\":")
                writeCanonical(field.type, to: &w)
                w.byte(UInt8(ascii: "}"))
            }
            w.raw("]}")
        case .enumeration(let e):
            w.raw("{\"name\":")
            w.string(e.name.fullName)
            w.raw(",\"type\":\"enum\",\"symbols\":[")
            for (i, symbol) in e.symbols.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(symbol)
            }
            w.raw("]}")
        case .array(let items):
            w.raw("{\"type\":\"array\",\"items\":")
            writeCanonical(items, to: &w)
            w.byte(UInt8(ascii: "}"))
        case .map(let values):
            w.raw("{\"type\":\"map\",\"values\":")
            writeCanonical(values, to: &w)
            w.byte(UInt8(ascii: "}"))
        case .fixed(let f):
            w.raw("{\"name\":")
            w.string(f.name.fullName)
            w.raw(",\"type\":\"fixed\",\"size\":")
            w.int(f.size)
            w.byte(UInt8(ascii: "}"))
        case .union(let branches):
            w.byte(UInt8(ascii: "["))
            for (i, branch) in branches.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                writeCanonical(branch, to: &w)
            }
            w.byte(UInt8(ascii: "]"))
        }
    }
}

/// Avro's 64-bit Rabin fingerprint (Avro 1.11 "Schema Fingerprints").
public enum AvroFingerprint {
    /// The fingerprint of the empty string, and the polynomial's seed.
    public static let empty: UInt64 = 0xC15D_213A_A4D7_A795

    private static let table: [UInt64] = (0..<256).map { i in
        var fp = UInt64(i)
        for _ in 0..<8 {
            fp = (fp >> 1) ^ (empty & (0 &- (fp & 1)))
        }
        return fp
    }

    /// CRC-64-AVRO of `bytes` (the UTF-8 of a Parsing Canonical Form).
    public static func crc64Avro(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var fp = empty
        for byte in bytes {
            fp = (fp >> 8) ^ table[Int((fp ^ UInt64(byte)) & 0xFF)]
        }
        return fp
    }

    /// The fingerprint's 8 bytes little-endian, as Avro's single-object header and fastavro's
    /// `fingerprint(…, "CRC-64-AVRO")` write it, in lowercase hex.
    public static func littleEndianHex(_ fingerprint: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for i in 0..<8 {
            let byte = UInt8(truncatingIfNeeded: fingerprint >> (8 * UInt64(i)))
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
