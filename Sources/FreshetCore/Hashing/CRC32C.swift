internal import CFreshetCRC32C

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the SSE 4.2 `crc32` instruction
/// where the CPU has it (through the C target CFreshetCRC32C), slicing-by-8 tables otherwise.
///
/// Used to checksum every record batch on disk and on the Kafka wire. Known vectors:
/// `"123456789"` → `0xE3069283`, 32 zero bytes → `0x8A9136AA`.
public enum CRC32C {
    /// Whether ``checksum(_:continuing:)`` uses the `crc32` instruction (checked once).
    public static let usesHardware: Bool = cfreshet_crc32c_hardware_available() != 0

    /// Eight 256-entry tables: `tables[k][b]` is the CRC of byte `b` followed by `k` zero bytes.
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 {
                let prev = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        if let r = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0)) }) { return r }
        return Array(bytes).withUnsafeBytes { checksum($0) }
    }

    /// The CRC-32C of the bytes in `buffer`, continuing from `crc` (the result of a previous call).
    public static func checksum(_ buffer: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard usesHardware else { return softwareChecksum(buffer, continuing: crc) }
        guard buffer.count > 0, let base = buffer.baseAddress else { return crc }
        return cfreshet_crc32c_hardware(crc, base, buffer.count)
    }

    /// The table implementation (slicing-by-8), on every CPU; ``checksum(_:continuing:)``
    /// uses it where the `crc32` instruction is missing. Public for the equality tests.
    public static func softwareChecksum(_ buffer: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        var c = ~crc
        let count = buffer.count
        guard count > 0, let base = buffer.baseAddress else { return crc }
        tables.withUnsafeBufferPointer { t in
            var i = 0
            while i + 8 <= count {
                let lo = base.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian ^ c
                let hi = base.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
                c =
                    t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < count {
                c = (c >> 8) ^ t[Int((c ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)]
                i += 1
            }
        }
        return ~c
    }
}
