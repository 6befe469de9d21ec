import FreshetContracts
import FreshetCore

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
package enum BatchFormat {
    package static let headerSize = 40
    package static let magic: UInt8 = 1
    /// Largest batch accepted when scanning or appending; anything larger is treated as garbage.
    package static let maxBatchSize = 1 << 30
    /// Smallest encoded record: bodyLength u32, timestamp i64, keyLength i32, valueLength u32,
    /// headerCount u16.
    package static let minimumRecordSize = 22
    /// Most headers a record can carry (the count is a u16), and the longest header key.
    package static let maximumHeaderCount = Int(UInt16.max)

    package struct Header: Equatable {
        package var baseOffset: Int64
        package var length: UInt32
        package var crc: UInt32
        package var magic: UInt8
        package var attributes: UInt8
        package var reserved: UInt16
        package var recordCount: UInt32
        package var firstTimestamp: Int64
        package var maxTimestamp: Int64
        package var totalSize: Int { Int(length) + 12 }
        /// Offset after the last record. Below `Int64.max` + 1 for a plausible header; wraps
        /// (never traps) for any other.
        package var nextOffset: Int64 { baseOffset &+ Int64(recordCount) }
        /// Offset of the last record: below `Int64.max` for a plausible header.
        package var lastOffset: Int64 { nextOffset &- 1 }

        /// Why the header cannot start a batch (the CRC is checked separately), or `nil`. Checks
        /// what the CRC does not cover too: the base offset is ≥ 0 and leaves room for every
        /// record's offset below `Int64.max`.
        package var problem: String? {
            if magic != BatchFormat.magic { return "magic is \(magic), expected \(BatchFormat.magic)" }
            if attributes != 0 || reserved != 0 { return "attributes \(attributes) / reserved \(reserved) are not 0" }
            if totalSize < BatchFormat.headerSize || totalSize > BatchFormat.maxBatchSize {
                return "length \(length) is outside \(BatchFormat.headerSize - 12)...\(BatchFormat.maxBatchSize - 12)"
            }
            if recordCount == 0 { return "recordCount is 0" }
            if Int(recordCount) > (totalSize - BatchFormat.headerSize) / BatchFormat.minimumRecordSize {
                return "recordCount \(recordCount) cannot fit in \(totalSize) bytes"
            }
            if baseOffset < 0 { return "baseOffset \(baseOffset) is negative" }
            if baseOffset > Int64.max - Int64(recordCount) {
                return "baseOffset \(baseOffset) + recordCount \(recordCount) passes the largest offset"
            }
            if firstTimestamp > maxTimestamp {
                return "firstTimestamp \(firstTimestamp) is after maxTimestamp \(maxTimestamp)"
            }
            return nil
        }

        /// Fields are plausible (the CRC is checked separately).
        package var isPlausible: Bool { problem == nil }
    }

    /// The header at the start of `p`, or `nil` when `p` is shorter than a header.
    package static func parseHeader(_ p: UnsafeRawBufferPointer) -> Header? {
        guard p.count >= headerSize else { return nil }
        return Header(
            baseOffset: Int64(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: Int64.self)),
            length: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
            crc: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)),
            magic: p[16],
            attributes: p[17],
            reserved: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 18, as: UInt16.self)),
            recordCount: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 20, as: UInt32.self)),
            firstTimestamp: Int64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: Int64.self)),
            maxTimestamp: Int64(littleEndian: p.loadUnaligned(fromByteOffset: 32, as: Int64.self))
        )
    }

    /// Whether the CRC of a complete batch (`p.count >= header.totalSize`) matches.
    package static func crcMatches(_ p: UnsafeRawBufferPointer, _ header: Header) -> Bool {
        guard p.count >= header.totalSize, header.totalSize >= headerSize else { return false }
        return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: p[16..<header.totalSize])) == header.crc
    }

    /// Walks the records of a complete batch with a plausible header and checks their
    /// structure against it: `recordCount` records, each inside its `bodyLength` and the
    /// batch, key length ≥ -1, the first record's timestamp equal to `firstTimestamp` and
    /// none after `maxTimestamp`, nothing after the last. Returns what is wrong, or `nil`.
    package static func recordsProblem(_ p: UnsafeRawBufferPointer, _ header: Header) -> String? {
        let end = header.totalSize
        guard p.count >= end else { return "batch is cut short" }
        var pos = headerSize
        func u32(_ at: Int) -> Int { Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
        func u16(_ at: Int) -> Int { Int(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt16.self))) }
        for i in 0..<Int(header.recordCount) {
            guard end - pos >= 4 else { return "record \(i) of \(header.recordCount) starts past the batch's end" }
            let bodyLength = u32(pos)
            pos += 4
            guard bodyLength >= minimumRecordSize - 4, bodyLength <= end - pos else {
                return "record \(i)'s bodyLength \(bodyLength) does not fit the batch"
            }
            let recordEnd = pos + bodyLength
            let ts = Int64(littleEndian: p.loadUnaligned(fromByteOffset: pos, as: Int64.self))
            if i == 0 && ts != header.firstTimestamp { return "record 0's timestamp \(ts) is not firstTimestamp \(header.firstTimestamp)" }
            if ts > header.maxTimestamp { return "record \(i)'s timestamp \(ts) is after maxTimestamp \(header.maxTimestamp)" }
            pos += 8
            let keyLength = Int(Int32(littleEndian: p.loadUnaligned(fromByteOffset: pos, as: Int32.self)))
            pos += 4
            guard keyLength >= -1, max(keyLength, 0) <= recordEnd - pos - 6 else {
                return "record \(i)'s keyLength \(keyLength) does not fit the record"
            }
            pos += max(keyLength, 0)
            let valueLength = u32(pos)
            pos += 4
            guard valueLength <= recordEnd - pos - 2 else { return "record \(i)'s valueLength \(valueLength) does not fit the record" }
            pos += valueLength
            let headerCount = u16(pos)
            pos += 2
            for h in 0..<headerCount {
                guard recordEnd - pos >= 2 else { return "record \(i)'s header \(h) does not fit the record" }
                let k = u16(pos)
                pos += 2
                guard k <= recordEnd - pos - 4 else { return "record \(i)'s header \(h) key length \(k) does not fit the record" }
                pos += k
                let v = u32(pos)
                pos += 4
                guard v <= recordEnd - pos else { return "record \(i)'s header \(h) value length \(v) does not fit the record" }
                pos += v
            }
            guard pos == recordEnd else { return "record \(i) has \(recordEnd - pos) bytes left over" }
        }
        guard pos == end else { return "\(end - pos) bytes follow the last of \(header.recordCount) records" }
        return nil
    }

    /// Size of one encoded record.
    package static func encodedSize(_ r: ProducerRecord) -> Int {
        var n = 4 + 8 + 4 + (r.key?.count ?? 0) + 4 + r.value.count + 2
        for h in r.headers { n += 2 + h.key.utf8.count + 4 + h.value.count }
        return n
    }

    /// Encodes records (with resolved timestamps) into one batch with base offset 0; the
    /// partition writes the real base offset in place with `setBaseOffset`.
    package static func encode(_ records: [ProducerRecord], indices: [Int], timestamps: [Int64]) -> [UInt8] {
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

    package static func setBaseOffset(_ batch: inout [UInt8], _ offset: Int64) {
        batch.withUnsafeMutableBytes { $0.storeBytes(of: offset.littleEndian, toByteOffset: 0, as: Int64.self) }
    }

    /// A batch whose records do not match their own lengths.
    package struct DecodeFailure: Error {
        package var reason: String
    }

    /// Decodes the records of a verified batch with offset ≥ `from`, appending to `out` until
    /// `maxRecords`/`maxBytes` (at least one record when `out` is empty). Returns the next offset
    /// to read, or `nil` if the batch was consumed to its end. Every length is checked against
    /// the record it belongs to before it is used; a plausible header guarantees every offset
    /// is below `Int64.max`.
    package static func decode(
        _ p: UnsafeRawBufferPointer, header: Header, topic: String, partition: Int32, from: Int64,
        maxRecords: Int, maxBytes: Int, bytes: inout Int, into out: inout [ConsumerRecord]
    ) throws(DecodeFailure) -> Int64? {
        guard header.isPlausible, p.count >= header.totalSize else {
            throw DecodeFailure(reason: header.problem ?? "batch is cut short")
        }
        var pos = headerSize
        var limit = header.totalSize
        func need(_ n: Int, _ what: String) throws(DecodeFailure) {
            if n < 0 || n > limit - pos { throw DecodeFailure(reason: "\(what) \(n) does not fit") }
        }
        func get<T: FixedWidthInteger>(_: T.Type, _ what: String) throws(DecodeFailure) -> T {
            try need(MemoryLayout<T>.size, what)
            let v = T(littleEndian: p.loadUnaligned(fromByteOffset: pos, as: T.self))
            pos += MemoryLayout<T>.size
            return v
        }
        func getBytes(_ n: Int, _ what: String) throws(DecodeFailure) -> [UInt8] {
            try need(n, what)
            let b = [UInt8](UnsafeRawBufferPointer(rebasing: p[pos..<(pos + n)]))
            pos += n
            return b
        }
        for i in 0..<Int(header.recordCount) {
            let offset = header.baseOffset + Int64(i)
            limit = header.totalSize
            let bodyLength = Int(try get(UInt32.self, "bodyLength"))
            try need(bodyLength, "bodyLength")
            if offset < from {
                pos += bodyLength
                continue
            }
            if out.count >= maxRecords { return offset }
            let recordEnd = pos + bodyLength
            limit = recordEnd
            let ts = try get(Int64.self, "timestamp")
            let keyLength = Int(try get(Int32.self, "keyLength"))
            guard keyLength >= -1 else { throw DecodeFailure(reason: "keyLength \(keyLength) is negative") }
            let key: [UInt8]? = keyLength < 0 ? nil : try getBytes(keyLength, "keyLength")
            let value = try getBytes(Int(try get(UInt32.self, "valueLength")), "valueLength")
            let headerCount = Int(try get(UInt16.self, "headerCount"))
            var headers: [RecordHeader] = []
            if headerCount > 0 {
                // A header takes at least six bytes.
                guard headerCount <= (recordEnd - pos) / 6 else {
                    throw DecodeFailure(reason: "headerCount \(headerCount) does not fit the record")
                }
                headers.reserveCapacity(headerCount)
                for _ in 0..<headerCount {
                    let k = try getBytes(Int(try get(UInt16.self, "header keyLength")), "header keyLength")
                    let v = try getBytes(Int(try get(UInt32.self, "header valueLength")), "header valueLength")
                    headers.append(RecordHeader(key: String(decoding: k, as: UTF8.self), value: v))
                }
            }
            if pos != recordEnd { throw DecodeFailure(reason: "record \(i) has \(recordEnd - pos) bytes left over") }
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
