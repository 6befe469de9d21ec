/// The on-disk record batch (all integers little-endian); see docs/log.md.
///
/// ```
/// 0   i64 baseOffset      offset of the first record (not covered by the CRC, like Kafka)
/// 8   u32 length          bytes after this field (total batch size - 12)
/// 12  u32 crc             CRC-32C of bytes 16..<end
/// 16  u8  magic           1
/// 17  u8  attributes      0 (reserved for compression)
/// 18  u16 reserved        0
/// 20  u32 recordCount     > 0
/// 24  i64 firstTimestamp
/// 32  i64 maxTimestamp
/// 40  records...          recordCount × record
/// ```
/// Record: `u32 bodyLength, i64 timestamp, i32 keyLength (-1 = null), key, u32 valueLength,
/// value, u16 headerCount, headerCount × (u16 keyLength, key UTF-8, u32 valueLength, value)`.
enum BatchFormat {
    static let headerSize = 40
    static let magic: UInt8 = 1
    /// Largest batch accepted when scanning; anything larger is treated as garbage.
    static let maxBatchSize = 1 << 30

    struct Header: Equatable {
        var baseOffset: Int64
        var length: UInt32
        var crc: UInt32
        var magic: UInt8
        var recordCount: UInt32
        var firstTimestamp: Int64
        var maxTimestamp: Int64
        var totalSize: Int { Int(length) + 12 }
        var lastOffset: Int64 { baseOffset + Int64(recordCount) - 1 }
        /// Fields are plausible (the CRC is checked separately).
        var isPlausible: Bool {
            magic == BatchFormat.magic && recordCount > 0 && totalSize >= BatchFormat.headerSize
                && totalSize <= BatchFormat.maxBatchSize
        }
    }

    static func parseHeader(_ p: UnsafeRawBufferPointer) -> Header {
        precondition(p.count >= headerSize)
        return Header(
            baseOffset: Int64(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: Int64.self)),
            length: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
            crc: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)),
            magic: p[16],
            recordCount: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 20, as: UInt32.self)),
            firstTimestamp: Int64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: Int64.self)),
            maxTimestamp: Int64(littleEndian: p.loadUnaligned(fromByteOffset: 32, as: Int64.self))
        )
    }

    /// Whether the CRC of a complete batch (`p.count == header.totalSize`) matches.
    static func crcMatches(_ p: UnsafeRawBufferPointer, _ header: Header) -> Bool {
        CRC32C.checksum(UnsafeRawBufferPointer(rebasing: p[16..<header.totalSize])) == header.crc
    }

    /// Size of one encoded record.
    static func encodedSize(_ r: ProducerRecord) -> Int {
        var n = 4 + 8 + 4 + (r.key?.count ?? 0) + 4 + r.value.count + 2
        for h in r.headers { n += 2 + h.key.utf8.count + 4 + h.value.count }
        return n
    }

    /// Encodes records (with resolved timestamps) into one batch with base offset 0; the
    /// partition writes the real base offset in place with `setBaseOffset`.
    static func encode(_ records: [ProducerRecord], indices: [Int], timestamps: [Int64]) -> [UInt8] {
        var total = headerSize
        for i in indices { total += encodedSize(records[i]) }
        var firstTs = Int64.max
        var maxTs = Int64.min
        var out = [UInt8](repeating: 0, count: total)
        out.withUnsafeMutableBytes { p in
            var pos = headerSize
            func put<T: FixedWidthInteger>(_ v: T) {
                p.storeBytes(of: v.littleEndian, toByteOffset: pos, as: T.self)
                pos += MemoryLayout<T>.size
            }
            func putBytes(_ b: [UInt8]) {
                b.withUnsafeBytes { src in
                    if src.count > 0 { (p.baseAddress! + pos).copyMemory(from: src.baseAddress!, byteCount: src.count) }
                }
                pos += b.count
            }
            for (n, i) in indices.enumerated() {
                let r = records[i]
                let ts = timestamps[n]
                if n == 0 { firstTs = ts }
                maxTs = max(maxTs, ts)
                put(UInt32(encodedSize(r) - 4))
                put(ts)
                if let key = r.key {
                    put(Int32(key.count))
                    putBytes(key)
                } else {
                    put(Int32(-1))
                }
                put(UInt32(r.value.count))
                putBytes(r.value)
                put(UInt16(r.headers.count))
                for h in r.headers {
                    let k = Array(h.key.utf8)
                    put(UInt16(k.count))
                    putBytes(k)
                    put(UInt32(h.value.count))
                    putBytes(h.value)
                }
            }
            pos = 8
            put(UInt32(total - 12))
            pos = 16
            put(magic)
            pos = 20
            put(UInt32(indices.count))
            put(firstTs)
            put(maxTs)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: p[16..<total]))
            pos = 12
            put(crc)
        }
        return out
    }

    static func setBaseOffset(_ batch: inout [UInt8], _ offset: Int64) {
        batch.withUnsafeMutableBytes { $0.storeBytes(of: offset.littleEndian, toByteOffset: 0, as: Int64.self) }
    }

    struct DecodeFailure: Error {}

    /// Decodes the records of a verified batch with offset ≥ `from`, appending to `out` until
    /// `maxRecords`/`maxBytes` (at least one record when `out` is empty). Returns the next offset
    /// to read, or `nil` if the batch was consumed to its end.
    static func decode(
        _ p: UnsafeRawBufferPointer, header: Header, topic: String, partition: Int32, from: Int64,
        maxRecords: Int, maxBytes: Int, bytes: inout Int, into out: inout [ConsumerRecord]
    ) throws -> Int64? {
        var pos = headerSize
        let end = header.totalSize
        func need(_ n: Int) throws { if pos + n > end { throw DecodeFailure() } }
        func get<T: FixedWidthInteger>(_: T.Type) throws -> T {
            try need(MemoryLayout<T>.size)
            let v = T(littleEndian: p.loadUnaligned(fromByteOffset: pos, as: T.self))
            pos += MemoryLayout<T>.size
            return v
        }
        func getBytes(_ n: Int) throws -> [UInt8] {
            try need(n)
            let b = [UInt8](UnsafeRawBufferPointer(rebasing: p[pos..<(pos + n)]))
            pos += n
            return b
        }
        for i in 0..<Int(header.recordCount) {
            let offset = header.baseOffset + Int64(i)
            let bodyLength = Int(try get(UInt32.self))
            if offset < from {
                try need(bodyLength)
                pos += bodyLength
                continue
            }
            if out.count >= maxRecords { return offset }
            let recordEnd = pos + bodyLength
            let ts = try get(Int64.self)
            let keyLength = Int(try get(Int32.self))
            let key: [UInt8]? = keyLength < 0 ? nil : try getBytes(keyLength)
            let value = try getBytes(Int(try get(UInt32.self)))
            let headerCount = Int(try get(UInt16.self))
            var headers: [RecordHeader] = []
            if headerCount > 0 {
                headers.reserveCapacity(headerCount)
                for _ in 0..<headerCount {
                    let k = try getBytes(Int(try get(UInt16.self)))
                    let v = try getBytes(Int(try get(UInt32.self)))
                    headers.append(RecordHeader(key: String(decoding: k, as: UTF8.self), value: v))
                }
            }
            if pos != recordEnd { throw DecodeFailure() }
            // maxBytes counts key + value bytes, at least one record per fetch.
            let size = value.count + (key?.count ?? 0)
            if !out.isEmpty && bytes + size > maxBytes { return offset }
            bytes += size
            out.append(
                ConsumerRecord(
                    topic: topic, partition: partition, offset: offset, timestamp: ts, key: key, value: value,
                    headers: headers))
        }
        return nil
    }
}
