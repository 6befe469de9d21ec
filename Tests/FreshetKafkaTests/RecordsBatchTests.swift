import FreshetContracts
import FreshetCore
import FreshetKafka
import FreshetLog
import NIOCore
import Testing

/// Records with the awkward cases: null key, null value, empty value, empty key,
/// duplicate header keys, null header value, non-ASCII header key, out-of-order timestamps.
func sampleRecords(count: Int = 8) -> [KafkaRecord] {
    (0..<count).map { i in
        let key: [UInt8]? = i % 4 == 0 ? nil : (i % 4 == 1 ? [] : Array("key-\(i)".utf8))
        let value: [UInt8]? = i % 5 == 0 ? nil : (i % 5 == 1 ? [] : Array(#"{"id":\#(i),"name":"user-\#(i)"}"#.utf8))
        var headers = [KafkaRecordHeader(key: "trace", value: Array("a\(i)".utf8)), KafkaRecordHeader(key: "trace", value: nil)]
        if i % 3 == 0 { headers.append(KafkaRecordHeader(key: "clé-ü", value: [])) }
        if i % 7 == 6 { headers = [] }
        return KafkaRecord(key: key, value: value, headers: headers, timestamp: 1_700_000_000_000 + Int64(i % 3 == 2 ? -i : i))
    }
}

let encodedCodecs: [KafkaCompression] = [.none, .gzip, .snappy, .lz4, .zstd]

@Suite("Record batch v2")
struct RecordsBatchTests {
    @Test("round trip keeps every field and record", arguments: encodedCodecs)
    func roundTrip(codec: KafkaCompression) throws {
        let records = sampleRecords(count: 40)
        let batch = RecordBatch.producing(records, compression: codec, producerId: 4711, producerEpoch: 3, baseSequence: 120)
        let bytes = try batch.encode()
        #expect(bytes[16] == 2)
        #expect(Int(bytes[22] & 7) == Int(codec.rawValue))
        let decoded = try RecordBatch.decode(bytes)
        #expect(decoded == batch)
        #expect(decoded.producerId == 4711 && decoded.producerEpoch == 3 && decoded.baseSequence == 120)
        #expect(decoded.lastOffsetDelta == 39)
        #expect(decoded.baseTimestamp == records[0].timestamp)
        #expect(decoded.maxTimestamp == records.map(\.timestamp).max())
        #expect(decoded.records.map(\.offset) == Array(0..<40))
        for (got, want) in zip(decoded.records, records) {
            #expect(got.key == want.key && got.value == want.value && got.headers == want.headers && got.timestamp == want.timestamp)
        }
        #expect(decoded.records[0].key == nil && decoded.records[1].key == [])
        #expect(decoded.records[0].value == nil && decoded.records[1].value == [])
    }

    @Test("encoding into a ByteBuffer gives the bytes of the plain array encoder", arguments: encodedCodecs)
    func directEncodingMatchesReference(codec: KafkaCompression) throws {
        for count in [0, 1, 8, 40, 300] {
            let records = sampleRecords(count: count)
            let batch = RecordBatch.producing(records, compression: codec, producerId: 77, producerEpoch: 2, baseSequence: 9)
            let expected = try referenceEncode(batch)
            #expect(try batch.encode() == expected, "\(count) records")
            // Appended after other bytes, with a moved reader index: only the new bytes are the batch.
            var buffer = ByteBuffer(bytes: [1, 2, 3, 4])
            buffer.moveReaderIndex(forwardBy: 3)
            try RecordBatch.encodeProducing(
                records, compression: codec, producerId: 77, producerEpoch: 2, baseSequence: 9, into: &buffer)
            #expect(Array(buffer.readableBytesView) == [4] + expected, "\(count) records")
        }
        // A batch not starting at offset 0 keeps its deltas relative to its base offset.
        var moved = RecordBatch.producing(sampleRecords(count: 12), compression: codec)
        moved.baseOffset = 1_000
        for i in moved.records.indices { moved.records[i].offset += 1_000 }
        #expect(try moved.encode() == referenceEncode(moved))
    }

    @Test("a failed direct encoding leaves the buffer as it was")
    func failedEncodingLeavesBuffer() throws {
        var batch = RecordBatch.producing(sampleRecords(count: 3))
        batch.records[2].offset = Int64(Int32.max) + 1
        var buffer = ByteBuffer(bytes: [7, 7])
        #expect(throws: KafkaRecordsError.self) { try batch.encode(into: &buffer) }
        #expect(Array(buffer.readableBytesView) == [7, 7])
        batch.records[2].offset = Int64.min  // offset - baseOffset must not trap either
        batch.baseOffset = 5
        #expect(throws: KafkaRecordsError.self) { try batch.encode(into: &buffer) }
        #expect(Array(buffer.readableBytesView) == [7, 7])
    }

    @Test("10k records round trip", arguments: encodedCodecs)
    func tenThousand(codec: KafkaCompression) throws {
        let records = (0..<10_000).map { i in
            KafkaRecord(
                key: Array("user-\(i % 997)".utf8), value: Array(#"{"id":\#(i),"email":"u\#(i)@example.com","n":\#(i * 31)}"#.utf8),
                headers: [KafkaRecordHeader(key: "src", value: Array("gen".utf8))], timestamp: 1_700_000_000_000 + Int64(i))
        }
        let bytes = try RecordBatch.producing(records, compression: codec).encode()
        if codec != .none { #expect(bytes.count < 400_000) }  // compressed well below the ~600 KB raw size
        let decoded = try RecordBatch.decode(bytes)
        #expect(decoded.records == RecordBatch.producing(records).records)
    }

    @Test("large incompressible values round trip", arguments: encodedCodecs)
    func incompressible(codec: KafkaCompression) throws {
        var rng = SplitMix(seed: 42)
        let records = (0..<5).map { i in
            KafkaRecord(key: nil, value: (0..<(70_000 * (i + 1))).map { _ in UInt8.random(in: 0...255, using: &rng) }, timestamp: Int64(i))
        }
        let decoded = try RecordBatch.decode(try RecordBatch.producing(records, compression: codec).encode())
        #expect(decoded.records.map(\.value) == records.map(\.value))
    }

    @Test("empty batch round trips")
    func emptyBatch() throws {
        let decoded = try RecordBatch.decode(try RecordBatch.producing([]).encode())
        #expect(decoded.records.isEmpty)
        #expect(decoded.lastOffsetDelta == -1)
    }

    @Test("header fields and attributes bits land where Kafka puts them")
    func headerLayout() throws {
        var batch = RecordBatch.producing(
            sampleRecords(count: 2), compression: .gzip, producerId: 0x0102_0304_0506_0708,
            producerEpoch: 0x0A0B, baseSequence: 0x1122_3344, isTransactional: true)
        batch.baseOffset = 1000
        batch.records = batch.records.map {
            var r = $0
            r.offset += 1000
            return r
        }
        batch.partitionLeaderEpoch = 7
        let b = try batch.encode()
        #expect(Array(b[0..<8]) == [0, 0, 0, 0, 0, 0, 0x03, 0xE8])
        #expect(Int(b[8]) << 24 | Int(b[9]) << 16 | Int(b[10]) << 8 | Int(b[11]) == b.count - 12)
        #expect(Array(b[12..<16]) == [0, 0, 0, 7])
        #expect(Array(b[21..<23]) == [0, 0x11])  // gzip | transactional
        #expect(Array(b[43..<51]) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Array(b[51..<53]) == [0x0A, 0x0B])
        #expect(Array(b[53..<57]) == [0x11, 0x22, 0x33, 0x44])
        #expect(Array(b[57..<61]) == [0, 0, 0, 2])
        let crc = UInt32(b[17]) << 24 | UInt32(b[18]) << 16 | UInt32(b[19]) << 8 | UInt32(b[20])
        #expect(crc == CRC32C.checksum(b[21...]))
        let decoded = try RecordBatch.decode(b)
        #expect(decoded.attributes.isTransactional && !decoded.attributes.isControl)
        #expect(decoded.records.map(\.offset) == [1000, 1001])
        #expect(decoded == batch)
    }

    @Test("attributes parse every bit")
    func attributesBits() throws {
        let a = try RecordBatch.Attributes(rawValue: 0b0111_1011)
        #expect(a.compression == .lz4 && a.timestampType == .logAppendTime && a.isTransactional && a.isControl && a.hasDeleteHorizon)
        #expect(a.rawValue == 0b0111_1011)
        #expect(throws: KafkaRecordsError.self) { try RecordBatch.Attributes(rawValue: 5) }
    }

    @Test("log-append-time batches give every record the max timestamp")
    func logAppendTime() throws {
        var batch = RecordBatch.producing(sampleRecords(count: 3))
        batch.attributes.timestampType = .logAppendTime
        batch.maxTimestamp = 1_800_000_000_000
        let decoded = try RecordBatch.decode(try batch.encode())
        #expect(decoded.records.allSatisfy { $0.timestamp == 1_800_000_000_000 })
    }

    @Test("a flipped byte anywhere after the CRC is caught and names the base offset", arguments: [21, 30, 61, 70, -1])
    func crcMismatch(position: Int) throws {
        var batch = RecordBatch.producing(sampleRecords())
        batch.baseOffset = 4242
        var bytes = try batch.encode()
        let i = position < 0 ? bytes.count + position : position
        bytes[i] ^= 0x20
        let error = #expect(throws: KafkaRecordsError.self) { try RecordBatch.decodeAll(bytes) }
        #expect(error?.code == .crcMismatch)
        #expect(error?.baseOffset == 4242)
        #expect(error?.description.contains("base offset 4242") == true)
    }

    @Test("a corrupted CRC field itself is caught")
    func crcFieldFlip() throws {
        var bytes = try RecordBatch.producing(sampleRecords()).encode()
        bytes[18] ^= 1
        #expect(throws: KafkaRecordsError.self) { try RecordBatch.decodeAll(bytes) }
        let lenient = try RecordBatch.decodeAll(bytes, options: .init(verifyCRC: false))
        #expect(lenient.batches.count == 1)
    }

    @Test("several batches then a partial one: all complete batches, partial ignored", arguments: [1, 17, 60, 61, 100])
    func multipleBatchesAndPartial(keep: Int) throws {
        var blob: [UInt8] = []
        var expected: [RecordBatch] = []
        for (n, codec) in [KafkaCompression.none, .gzip, .snappy, .lz4, .zstd].enumerated() {
            var batch = RecordBatch.producing(sampleRecords(count: 5 + n), compression: codec)
            batch.baseOffset = Int64(100 * n)
            batch.records = batch.records.map {
                var r = $0
                r.offset += Int64(100 * n)
                return r
            }
            expected.append(batch)
            blob += try batch.encode()
        }
        let extra = try RecordBatch.producing(sampleRecords(count: 30)).encode()
        #expect(keep < extra.count)
        blob += extra[0..<keep]
        let decoded = try RecordBatch.decodeAll(blob)
        #expect(decoded.batches == expected)
        #expect(decoded.trailingPartialBytes == keep)
        #expect(decoded.records.count == 5 + 6 + 7 + 8 + 9)
        #expect(try RecordBatch.decodeAll(blob[..<(blob.count - keep)].map { $0 }).trailingPartialBytes == 0)
    }

    @Test("empty blob decodes to nothing")
    func emptyBlob() throws {
        let d = try RecordBatch.decodeAll([])
        #expect(d.batches.isEmpty && d.trailingPartialBytes == 0)
    }

    @Test("decode from a ByteBuffer-shaped input matches the array path")
    func unsafeBytesPath() throws {
        let bytes = try RecordBatch.producing(sampleRecords(), compression: .lz4).encode()
        let viaRaw = try bytes.withUnsafeBytes { try RecordBatch.decodeAll($0) }
        #expect(viaRaw == (try RecordBatch.decodeAll(bytes)))
    }

    @Test("ByteBuffer input: readable bytes only, reader index untouched")
    func byteBuffer() throws {
        let bytes = try RecordBatch.producing(sampleRecords(), compression: .snappy).encode()
        var buffer = ByteBuffer(bytes: [9, 9, 9] + bytes + bytes.prefix(20))
        buffer.moveReaderIndex(forwardBy: 3)
        let decoded = try RecordBatch.decodeAll(buffer)
        #expect(decoded.batches == [try RecordBatch.decode(bytes)])
        #expect(decoded.trailingPartialBytes == 20)
        #expect(buffer.readerIndex == 3)
    }

    @Test("legacy magic 0/1 message sets: rejected by default with the offset, skippable on request", arguments: [UInt8(0), 1])
    func legacy(magic: UInt8) throws {
        // offset 77, message size 14: crc(4) magic(1) attributes(1) key -1 (4) value -1 (4) [v0 layout]
        var legacy: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 77, 0, 0, 0, 14, 0xDE, 0xAD, 0xBE, 0xEF, magic, 0]
        legacy += [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        let v2 = try RecordBatch.producing(sampleRecords(count: 2)).encode()
        let error = #expect(throws: KafkaRecordsError.self) { try RecordBatch.decodeAll(legacy + v2) }
        #expect(error?.code == .legacyMessageFormat && error?.baseOffset == 77)
        let skipped = try RecordBatch.decodeAll(legacy + v2, options: .init(legacyMessageSets: .skip))
        #expect(skipped.skippedLegacyOffsets == [77])
        #expect(skipped.batches.count == 1 && skipped.records.count == 2)
    }

    @Test("unknown magic is a clear error")
    func unknownMagic() throws {
        var bytes = try RecordBatch.producing(sampleRecords(count: 1)).encode()
        bytes[16] = 3
        let error = #expect(throws: KafkaRecordsError.self) { try RecordBatch.decodeAll(bytes) }
        #expect(error?.code == .unsupportedMagic)
    }

    @Test("codec ids 5–7 are rejected as unknown")
    func unknownCodec() throws {
        var bytes = try RecordBatch.producing(sampleRecords()).encode()
        bytes[22] = 6
        let error = #expect(throws: KafkaRecordsError.self) { try RecordBatch.decodeAll(recrc(bytes)) }
        #expect(error?.code == .unsupportedCompression)
        #expect(error?.message.contains("codec id 6") == true && error?.baseOffset == 0)
    }

    @Test("record count disagreeing with the records is rejected", arguments: [Int32(7), 9, -1])
    func wrongCount(count: Int32) throws {
        var bytes = try RecordBatch.producing(sampleRecords(count: 8)).encode()
        withUnsafeBytes(of: count.bigEndian) { for k in 0..<4 { bytes[57 + k] = $0[k] } }
        #expect(throws: KafkaRecordsError.self) { try RecordBatch.decodeAll(recrc(bytes)) }
    }

    @Test("truncated compressed payload is a corrupt-data error naming the codec", arguments: [KafkaCompression.gzip, .snappy, .lz4, .zstd])
    func corruptCompressed(codec: KafkaCompression) throws {
        let full = try RecordBatch.producing(sampleRecords(count: 30), compression: codec).encode()
        var cut = Array(full[..<(full.count - 9)])
        let length = Int32(cut.count - 12)
        withUnsafeBytes(of: length.bigEndian) { for k in 0..<4 { cut[8 + k] = $0[k] } }
        let error = #expect(throws: KafkaRecordsError.self) { try RecordBatch.decodeAll(recrc(cut)) }
        #expect(error?.codec == codec || error?.code == .invalidRecord || error?.code == .truncated)
        #expect(error?.baseOffset == 0)
    }

    @Test("a batch shorter than the v2 header is rejected")
    func shortBatch() throws {
        let bytes: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 10, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0]
        let error = #expect(throws: KafkaRecordsError.self) { try RecordBatch.decodeAll(bytes) }
        #expect(error?.code == .corruptBatch && error?.baseOffset == 1)
    }
}

/// Recomputes the CRC of a batch after a test edits it.
func recrc(_ bytes: [UInt8]) -> [UInt8] {
    var b = bytes
    let crc = CRC32C.checksum(b[21...])
    b[17] = UInt8(crc >> 24)
    b[18] = UInt8((crc >> 16) & 0xFF)
    b[19] = UInt8((crc >> 8) & 0xFF)
    b[20] = UInt8(crc & 0xFF)
    return b
}

/// Deterministic generator for test data.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The record batch encoder as it was before it wrote into a ByteBuffer: arrays, each record's
/// body built apart and copied after its length. The oracle for the direct encoder.
func referenceEncode(_ batch: RecordBatch) throws -> [UInt8] {
    func bytesField(_ bytes: [UInt8]?, _ out: inout [UInt8]) {
        guard let bytes else { return KafkaVarint.write(Int32(-1), to: &out) }
        KafkaVarint.write(Int32(bytes.count), to: &out)
        out += bytes
    }
    func be<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) { withUnsafeBytes(of: v.bigEndian) { out += $0 } }
    var payload: [UInt8] = []
    for r in batch.records {
        var body: [UInt8] = [0]
        KafkaVarint.write(r.timestamp - batch.baseTimestamp, to: &body)
        KafkaVarint.write(Int32(r.offset - batch.baseOffset), to: &body)
        bytesField(r.key, &body)
        bytesField(r.value, &body)
        KafkaVarint.write(Int32(r.headers.count), to: &body)
        for h in r.headers {
            bytesField(Array(h.key.utf8), &body)
            bytesField(h.value, &body)
        }
        KafkaVarint.write(Int32(body.count), to: &payload)
        payload += body
    }
    if batch.attributes.compression != .none {
        payload = try KafkaCodecs.compress(payload, codec: batch.attributes.compression)
    }
    var out: [UInt8] = []
    be(batch.baseOffset, &out)
    be(Int32(RecordBatch.headerSize - 12 + payload.count), &out)
    be(batch.partitionLeaderEpoch, &out)
    out.append(RecordBatch.magic)
    be(UInt32(0), &out)
    be(batch.attributes.rawValue, &out)
    be(batch.lastOffsetDelta, &out)
    be(batch.baseTimestamp, &out)
    be(batch.maxTimestamp, &out)
    be(batch.producerId, &out)
    be(batch.producerEpoch, &out)
    be(batch.baseSequence, &out)
    be(Int32(batch.records.count), &out)
    out += payload
    // The CRC with the bit-by-bit definition, not the library's.
    var c: UInt32 = 0xFFFF_FFFF
    for b in out[21...] {
        c ^= UInt32(b)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
    }
    let crc = ~c
    out[17] = UInt8(truncatingIfNeeded: crc >> 24)
    out[18] = UInt8(truncatingIfNeeded: crc >> 16)
    out[19] = UInt8(truncatingIfNeeded: crc >> 8)
    out[20] = UInt8(truncatingIfNeeded: crc)
    return out
}
