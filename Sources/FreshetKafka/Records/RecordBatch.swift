import FreshetContracts
import FreshetCore
import NIOCore

/// A Kafka record batch, magic 2 (Kafka ≥ 0.11): the unit producers send, brokers store and
/// consumers fetch. Encode with ``encode()``; decode a Fetch/Produce `records` blob with
/// `decodeAll(_:options:)`.
///
/// Wire layout (big-endian): baseOffset i64, batchLength i32, partitionLeaderEpoch i32,
/// magic i8 = 2, crc u32 (CRC-32C of everything after it), attributes i16, lastOffsetDelta i32,
/// baseTimestamp i64, maxTimestamp i64, producerId i64, producerEpoch i16, baseSequence i32,
/// record count i32, then the records — compressed as one block when the codec isn't `none`.
public struct RecordBatch: Sendable, Hashable {
    /// The batch header's `attributes` field.
    public struct Attributes: Sendable, Hashable {
        /// Bits 0–2.
        public var compression: KafkaCompression
        /// Bit 3.
        public var timestampType: KafkaTimestampType
        /// Bit 4: part of a transaction.
        public var isTransactional: Bool
        /// Bit 5: holds control records (transaction markers), not user data.
        public var isControl: Bool
        /// Bit 6: `baseTimestamp` is the delete horizon of a compacted batch.
        public var hasDeleteHorizon: Bool

        public init(
            compression: KafkaCompression = .none, timestampType: KafkaTimestampType = .createTime,
            isTransactional: Bool = false, isControl: Bool = false, hasDeleteHorizon: Bool = false
        ) {
            self.compression = compression
            self.timestampType = timestampType
            self.isTransactional = isTransactional
            self.isControl = isControl
            self.hasDeleteHorizon = hasDeleteHorizon
        }

        /// The 16-bit wire value.
        public var rawValue: Int16 {
            var v = Int16(compression.rawValue)
            if timestampType == .logAppendTime { v |= 1 << 3 }
            if isTransactional { v |= 1 << 4 }
            if isControl { v |= 1 << 5 }
            if hasDeleteHorizon { v |= 1 << 6 }
            return v
        }

        /// Parses the wire value; throws for a codec id other than 0–4.
        public init(rawValue: Int16, baseOffset: Int64? = nil) throws {
            let id = Int8(rawValue & 0x7)
            guard let codec = KafkaCompression(rawValue: id) else {
                throw KafkaRecordsError(
                    .unsupportedCompression, "compression codec id \(id) is unknown (Kafka defines 0–4)",
                    baseOffset: baseOffset)
            }
            self.init(
                compression: codec, timestampType: rawValue & (1 << 3) != 0 ? .logAppendTime : .createTime,
                isTransactional: rawValue & (1 << 4) != 0, isControl: rawValue & (1 << 5) != 0,
                hasDeleteHorizon: rawValue & (1 << 6) != 0)
        }
    }

    /// Offset of the first record. Producers send 0; the broker assigns the real one.
    public var baseOffset: Int64
    /// Leader epoch stamped by the broker; producers send -1.
    public var partitionLeaderEpoch: Int32
    public var attributes: Attributes
    /// `lastOffset - baseOffset`; may exceed `records.count - 1` after compaction.
    public var lastOffsetDelta: Int32
    /// Timestamp of the first record (or the delete horizon, see ``Attributes/hasDeleteHorizon``).
    public var baseTimestamp: Int64
    /// Largest record timestamp (or the log-append time).
    public var maxTimestamp: Int64
    /// Idempotent/transactional producer id; -1 when none.
    public var producerId: Int64
    /// Producer epoch; -1 when none.
    public var producerEpoch: Int16
    /// Sequence number of the first record for the idempotent producer; -1 when none.
    public var baseSequence: Int32
    /// The records, with absolute offsets and timestamps.
    public var records: [KafkaRecord]

    public init(
        baseOffset: Int64, partitionLeaderEpoch: Int32 = -1, attributes: Attributes, lastOffsetDelta: Int32,
        baseTimestamp: Int64, maxTimestamp: Int64, producerId: Int64 = -1, producerEpoch: Int16 = -1,
        baseSequence: Int32 = -1, records: [KafkaRecord]
    ) {
        self.baseOffset = baseOffset
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.records = records
    }

    /// The offset of the batch's last record. A decoded batch guarantees
    /// `lastOffset < Int64.max`, so `lastOffset + 1` (the offset to fetch next) never overflows;
    /// for a batch built by hand the sum saturates at `Int64.max` instead of trapping.
    public var lastOffset: Int64 {
        let (sum, overflow) = baseOffset.addingReportingOverflow(Int64(lastOffsetDelta))
        return overflow ? (lastOffsetDelta < 0 ? .min : .max) : sum
    }

    /// Size of the fixed header before the records.
    public static let headerSize = 61
    /// The magic byte this type encodes and decodes.
    public static let magic: UInt8 = 2

    /// A batch as a producer sends it: base offset 0, records numbered 0, 1, 2, …, base
    /// timestamp of the first record, max timestamp of all.
    ///
    /// - Parameters:
    ///   - producerId, producerEpoch, baseSequence: from InitProducerId and the producer's
    ///     per-partition sequence (idempotent producer); -1 each when not idempotent.
    public static func producing(
        _ records: [KafkaRecord], compression: KafkaCompression = .none, producerId: Int64 = -1,
        producerEpoch: Int16 = -1, baseSequence: Int32 = -1, isTransactional: Bool = false
    ) -> RecordBatch {
        var numbered = records
        for i in numbered.indices { numbered[i].offset = Int64(i) }
        let base = records.first?.timestamp ?? -1
        let maxTimestamp = records.lazy.map(\.timestamp).max() ?? -1
        return RecordBatch(
            baseOffset: 0, partitionLeaderEpoch: -1,
            attributes: Attributes(compression: compression, isTransactional: isTransactional),
            lastOffsetDelta: Int32(clamping: records.count - 1), baseTimestamp: base, maxTimestamp: maxTimestamp,
            producerId: producerId, producerEpoch: producerEpoch, baseSequence: baseSequence, records: numbered)
    }
}

// MARK: - Encoding

extension RecordBatch {
    /// The batch's wire bytes, compressed with ``Attributes/compression`` and CRC'd.
    ///
    /// Each record's offset delta is `record.offset - baseOffset` and its timestamp delta
    /// `record.timestamp - baseTimestamp`.
    /// - Throws: ``KafkaRecordsError`` for values beyond Int32 limits.
    public func encode() throws -> [UInt8] {
        var buffer = ByteBuffer()
        try encode(into: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// Appends the batch's wire bytes (as ``encode()`` returns them) to `buffer`: the header,
    /// then each record with its varints written in place, then the CRC-32C patched in. On a
    /// thrown error `buffer` is left as it was.
    public func encode(into buffer: inout ByteBuffer) throws {
        try Self.encode(
            records, offsets: .relative(to: baseOffset), baseOffset: baseOffset,
            partitionLeaderEpoch: partitionLeaderEpoch, attributes: attributes, lastOffsetDelta: lastOffsetDelta,
            baseTimestamp: baseTimestamp, maxTimestamp: maxTimestamp, producerId: producerId,
            producerEpoch: producerEpoch, baseSequence: baseSequence, into: &buffer)
    }

    /// Appends the bytes of ``producing(_:compression:producerId:producerEpoch:baseSequence:isTransactional:)``'s
    /// batch to `buffer` without building it: the records are numbered 0, 1, 2, … as they are
    /// written (no copy of the array to renumber them). On a thrown error `buffer` is left as it was.
    public static func encodeProducing(
        _ records: [KafkaRecord], compression: KafkaCompression = .none, producerId: Int64 = -1,
        producerEpoch: Int16 = -1, baseSequence: Int32 = -1, isTransactional: Bool = false,
        into buffer: inout ByteBuffer
    ) throws {
        var maxTimestamp = Int64.min
        for r in records where r.timestamp > maxTimestamp { maxTimestamp = r.timestamp }
        try encode(
            records, offsets: .sequential, baseOffset: 0, partitionLeaderEpoch: -1,
            attributes: Attributes(compression: compression, isTransactional: isTransactional),
            lastOffsetDelta: Int32(clamping: records.count - 1), baseTimestamp: records.first?.timestamp ?? -1,
            maxTimestamp: records.isEmpty ? -1 : maxTimestamp, producerId: producerId, producerEpoch: producerEpoch,
            baseSequence: baseSequence, into: &buffer)
    }

    /// Where each record's offset delta comes from.
    private enum OffsetDeltas {
        /// `record.offset - base`.
        case relative(to: Int64)
        /// The record's index in the batch (a producer's batch).
        case sequential
    }

    private static func encode(
        _ records: [KafkaRecord], offsets: OffsetDeltas, baseOffset: Int64, partitionLeaderEpoch: Int32,
        attributes: Attributes, lastOffsetDelta: Int32, baseTimestamp: Int64, maxTimestamp: Int64, producerId: Int64,
        producerEpoch: Int16, baseSequence: Int32, into buffer: inout ByteBuffer
    ) throws {
        let start = buffer.writerIndex
        do {
            guard records.count <= Int32.max else {
                throw KafkaRecordsError(.encodingLimit, "the batch is larger than 2 GiB", baseOffset: baseOffset)
            }
            let codec = attributes.compression
            if codec == .none {
                var estimate = headerSize
                for r in records { estimate &+= 24 &+ (r.key?.count ?? 0) &+ (r.value?.count ?? 0) }
                buffer.reserveCapacity(minimumWritableBytes: estimate)
            }
            buffer.writeInteger(baseOffset)
            buffer.writeInteger(Int32(0))  // batch length, set below
            buffer.writeInteger(partitionLeaderEpoch)
            buffer.writeInteger(magic)
            buffer.writeInteger(UInt32(0))  // CRC, set below
            buffer.writeInteger(attributes.rawValue)
            buffer.writeInteger(lastOffsetDelta)
            buffer.writeInteger(baseTimestamp)
            buffer.writeInteger(maxTimestamp)
            buffer.writeInteger(producerId)
            buffer.writeInteger(producerEpoch)
            buffer.writeInteger(baseSequence)
            buffer.writeInteger(Int32(records.count))
            if codec == .none {
                try encodeRecords(records, offsets: offsets, baseOffset: baseOffset, baseTimestamp: baseTimestamp, into: &buffer)
            } else {
                var plain = ByteBuffer()
                try encodeRecords(records, offsets: offsets, baseOffset: baseOffset, baseTimestamp: baseTimestamp, into: &plain)
                buffer.writeBytes(try KafkaCodecs.compress(Array(plain.readableBytesView), codec: codec))
            }
            let payload = buffer.writerIndex - start - headerSize
            guard payload <= Int(Int32.max) - headerSize else {
                throw KafkaRecordsError(.encodingLimit, "the batch is larger than 2 GiB", baseOffset: baseOffset)
            }
            buffer.setInteger(Int32(headerSize - 12 + payload), at: start + 8)
            let from = start - buffer.readerIndex + 21
            let crc = buffer.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[from...])) }
            buffer.setInteger(crc, at: start + 17)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    private static func encodeRecords(
        _ records: [KafkaRecord], offsets: OffsetDeltas, baseOffset: Int64, baseTimestamp: Int64,
        into out: inout ByteBuffer
    ) throws {
        for (index, r) in records.enumerated() {
            let delta: Int32
            switch offsets {
            case .sequential:
                delta = Int32(truncatingIfNeeded: index)  // count ≤ Int32.max, checked by the caller
            case .relative(let base):
                let (offsetDelta, overflow) = r.offset.subtractingReportingOverflow(base)
                guard !overflow, let d = Int32(exactly: offsetDelta) else {
                    throw KafkaRecordsError(
                        .encodingLimit, "record offset \(r.offset) is too far from the base offset", baseOffset: baseOffset)
                }
                delta = d
            }
            let timestampDelta = r.timestamp &- baseTimestamp
            // The body's length first (a varint before it), computed, not measured from a copy.
            var body = 1 + KafkaVarint.size(timestampDelta) + KafkaVarint.size(Int64(delta))
            body += try bytesFieldSize(r.key?.count, baseOffset: baseOffset)
            body += try bytesFieldSize(r.value?.count, baseOffset: baseOffset)
            body += KafkaVarint.size(Int64(r.headers.count))
            for h in r.headers {
                body += try bytesFieldSize(h.key.utf8.count, baseOffset: baseOffset)
                body += try bytesFieldSize(h.value?.count, baseOffset: baseOffset)
            }
            guard body <= Int32.max else {
                throw KafkaRecordsError(.encodingLimit, "a record is larger than 2 GiB", baseOffset: baseOffset)
            }
            out.writeVarlong(Int64(body))
            out.writeInteger(UInt8(0))  // record attributes: unused
            out.writeVarlong(timestampDelta)
            out.writeVarlong(Int64(delta))
            out.writeBytesField(r.key)
            out.writeBytesField(r.value)
            out.writeVarlong(Int64(r.headers.count))
            for h in r.headers {
                out.writeVarlong(Int64(h.key.utf8.count))
                out.writeString(h.key)
                out.writeBytesField(h.value)
            }
        }
    }

    /// The bytes a length-prefixed field of `count` bytes takes (`nil`: the 1-byte null).
    @inline(__always)
    private static func bytesFieldSize(_ count: Int?, baseOffset: Int64) throws -> Int {
        guard let count else { return 1 }
        guard count <= Int32.max else {
            throw KafkaRecordsError(.encodingLimit, "a key, value or header is larger than 2 GiB", baseOffset: baseOffset)
        }
        return KafkaVarint.size(Int64(count)) + count
    }
}

extension ByteBuffer {
    /// Writes `value` zigzag-encoded in place (Kafka's varlong; for values in Int32's range the
    /// same bytes as its varint).
    @inline(__always)
    fileprivate mutating func writeVarlong(_ value: Int64) {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        writeWithUnsafeMutableBytes(minimumWritableBytes: 10) { p in
            var n = 0
            while v >= 0x80 {
                p[n] = UInt8(truncatingIfNeeded: v) | 0x80
                v >>= 7
                n += 1
            }
            p[n] = UInt8(v)
            return n + 1
        }
    }

    /// A length-prefixed byte field (`nil`: length -1); lengths are checked by the caller.
    @inline(__always)
    fileprivate mutating func writeBytesField(_ bytes: [UInt8]?) {
        guard let bytes else {
            writeVarlong(-1)
            return
        }
        writeVarlong(Int64(bytes.count))
        writeBytes(bytes)
    }
}

// MARK: - Decoding

/// Options for decoding a records blob.
public struct RecordBatchDecodingOptions: Sendable, Hashable {
    /// What to do with legacy message sets (magic 0 or 1, Kafka < 0.11).
    public enum LegacyMessageSets: Sendable, Hashable {
        /// Throw ``KafkaRecordsError/Code/legacyMessageFormat`` naming the offset.
        case reject
        /// Skip them and report their offsets in ``DecodedRecordBatches/skippedLegacyOffsets``.
        case skip
    }

    /// Defaults to `.reject`: silently skipping would lose data.
    public var legacyMessageSets: LegacyMessageSets
    /// Whether to check each batch's CRC-32C. Defaults to `true`.
    public var verifyCRC: Bool
    /// Upper bound on the decompressed records of all compressed batches of one `decodeAll`
    /// call (one partition's records in a Fetch answer), against decompression bombs: a batch
    /// that would take the total past it fails with `corruptCompressedData` naming the codec.
    /// Defaults to ``defaultMaxDecompressedBytes`` (64 MiB).
    public var maxDecompressedBytes: Int

    /// 64 MiB: sixty-four times Kafka's default `max.partition.fetch.bytes`, so a partition's
    /// worth of batches compressed 64:1 still decodes.
    public static let defaultMaxDecompressedBytes = 64 << 20

    public init(
        legacyMessageSets: LegacyMessageSets = .reject, verifyCRC: Bool = true,
        maxDecompressedBytes: Int = RecordBatchDecodingOptions.defaultMaxDecompressedBytes
    ) {
        self.legacyMessageSets = legacyMessageSets
        self.verifyCRC = verifyCRC
        self.maxDecompressedBytes = maxDecompressedBytes
    }
}

/// The result of decoding a Fetch response's `records` blob.
public struct DecodedRecordBatches: Sendable, Hashable {
    /// Every complete batch, in order.
    public var batches: [RecordBatch]
    /// Bytes at the end that form an incomplete batch (the broker truncated at max bytes);
    /// fetch again from the offset after the last complete batch.
    public var trailingPartialBytes: Int
    /// Base offsets of skipped legacy (magic 0/1) entries, with `.skip`.
    public var skippedLegacyOffsets: [Int64]

    /// All records of all batches, in offset order.
    public var records: [KafkaRecord] { batches.flatMap(\.records) }
}

extension RecordBatch {
    /// Decodes every complete batch in `bytes` (e.g. a Fetch response's `records` field) and
    /// ignores a trailing partial batch.
    /// - Throws: ``KafkaRecordsError`` for a bad CRC (naming the base offset), an unknown
    ///   codec id (5–7), a legacy message set (unless skipped), or a malformed batch.
    public static func decodeAll(
        _ bytes: [UInt8], options: RecordBatchDecodingOptions = .init()
    ) throws -> DecodedRecordBatches {
        try bytes.withUnsafeBytes { (raw) in try decodeAll(raw, options: options) }
    }

    /// `decodeAll(_:options:)` for the readable bytes of a `ByteBuffer` (not consumed).
    public static func decodeAll(
        _ buffer: ByteBuffer, options: RecordBatchDecodingOptions = .init()
    ) throws -> DecodedRecordBatches {
        try buffer.withUnsafeReadableBytes { raw in try decodeAll(raw, options: options) }
    }

    /// Decodes every complete batch in `raw`; see `decodeAll(_:options:)`.
    public static func decodeAll(
        _ raw: UnsafeRawBufferPointer, options: RecordBatchDecodingOptions = .init()
    ) throws -> DecodedRecordBatches {
        var result = DecodedRecordBatches(batches: [], trailingPartialBytes: 0, skippedLegacyOffsets: [])
        var decompressedBudget = max(0, options.maxDecompressedBytes)
        var pos = 0
        while pos < raw.count {
            // baseOffset/offset (8) + length (4) + epoch-or-crc (4) + magic (1): the same
            // positions in v2 batches and legacy messages.
            guard raw.count - pos >= 17 else { break }
            let baseOffset = raw.beInt64(at: pos)
            let length = Int(raw.beInt32(at: pos + 8))
            let magic = raw[pos + 16]
            guard length >= 0 else {
                throw KafkaRecordsError(.corruptBatch, "negative batch length \(length)", baseOffset: baseOffset, position: pos)
            }
            let total = 12 + length
            guard raw.count - pos >= total else { break }  // trailing partial batch
            switch magic {
            case 2:
                let slice = UnsafeRawBufferPointer(rebasing: raw[pos..<(pos + total)])
                do {
                    result.batches.append(try decodeOne(slice, options: options, decompressedBudget: &decompressedBudget))
                } catch var e as KafkaRecordsError {
                    if let position = e.position { e.position = position + pos }
                    throw e
                }
            case 0, 1:
                switch options.legacyMessageSets {
                case .reject:
                    throw KafkaRecordsError(
                        .legacyMessageFormat,
                        "legacy message set (magic \(magic), Kafka < 0.11) is not supported by Freshet; "
                            + "upgrade the topic's message format or decode with legacyMessageSets: .skip",
                        baseOffset: baseOffset, position: pos)
                case .skip:
                    result.skippedLegacyOffsets.append(baseOffset)
                }
            default:
                throw KafkaRecordsError(
                    .unsupportedMagic, "record batch magic \(magic) is unknown (expected 2)", baseOffset: baseOffset,
                    position: pos)
            }
            pos += total
        }
        result.trailingPartialBytes = raw.count - pos
        return result
    }

    /// Decodes exactly one complete magic-2 batch occupying all of `bytes`.
    public static func decode(
        _ bytes: [UInt8], options: RecordBatchDecodingOptions = .init()
    ) throws -> RecordBatch {
        let decoded = try decodeAll(bytes, options: options)
        guard decoded.batches.count == 1, decoded.trailingPartialBytes == 0 else {
            throw KafkaRecordsError(
                .corruptBatch,
                "expected exactly one complete batch, found \(decoded.batches.count) and "
                    + "\(decoded.trailingPartialBytes) trailing bytes")
        }
        return decoded.batches[0]
    }

    static func decodeOne(
        _ b: UnsafeRawBufferPointer, options: RecordBatchDecodingOptions, decompressedBudget: inout Int
    ) throws -> RecordBatch {
        guard b.count >= headerSize else {
            throw KafkaRecordsError(
                .corruptBatch, "batch length \(b.count - 12) is shorter than the \(headerSize - 12)-byte v2 header",
                baseOffset: b.count >= 8 ? b.beInt64(at: 0) : nil, position: 8, field: "BatchLength")
        }
        let baseOffset = b.beInt64(at: 0)
        if options.verifyCRC {
            let stored = b.beUInt32(at: 17)
            let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[21...]))
            guard stored == computed else {
                throw KafkaRecordsError(
                    .crcMismatch,
                    "record batch at base offset \(baseOffset) is corrupt: CRC-32C is 0x\(String(computed, radix: 16)), "
                        + "the batch says 0x\(String(stored, radix: 16))",
                    baseOffset: baseOffset, position: 17, field: "CRC")
            }
        }
        let attributes = try Attributes(rawValue: b.beInt16(at: 21), baseOffset: baseOffset)
        let lastOffsetDelta = b.beInt32(at: 23)
        let count = Int(b.beInt32(at: 57))
        // The CRC does not cover the base offset, and a broker (or a proxy, or a bug) may send
        // anything: every offset a consumer derives from the batch must stay in 0..<Int64.max so
        // that `offset + 1` is always the next one.
        guard baseOffset >= 0 else {
            throw KafkaRecordsError(
                .corruptBatch, "base offset \(baseOffset) is negative", baseOffset: baseOffset, position: 0,
                field: "BaseOffset")
        }
        guard lastOffsetDelta >= -1 else {
            throw KafkaRecordsError(
                .corruptBatch, "last offset delta \(lastOffsetDelta) is negative", baseOffset: baseOffset, position: 23,
                field: "LastOffsetDelta")
        }
        let (lastOffset, overflow) = baseOffset.addingReportingOverflow(Int64(max(lastOffsetDelta, 0)))
        guard !overflow, lastOffset < Int64.max else {
            throw KafkaRecordsError(
                .corruptBatch,
                "base offset \(baseOffset) with last offset delta \(lastOffsetDelta) reaches past the largest offset "
                    + "(\(Int64.max - 1))",
                baseOffset: baseOffset, position: 0, field: "BaseOffset")
        }
        guard count >= 0 else {
            throw KafkaRecordsError(
                .corruptBatch, "negative record count \(count)", baseOffset: baseOffset, position: 57, field: "RecordCount")
        }
        guard count <= Int(lastOffsetDelta) + 1 else {
            throw KafkaRecordsError(
                .corruptBatch,
                "record count \(count) is more than the \(Int(lastOffsetDelta) + 1) offsets the batch spans (last offset delta \(lastOffsetDelta))",
                baseOffset: baseOffset, position: 57, field: "RecordCount")
        }
        var batch = RecordBatch(
            baseOffset: baseOffset, partitionLeaderEpoch: b.beInt32(at: 12), attributes: attributes,
            lastOffsetDelta: lastOffsetDelta, baseTimestamp: b.beInt64(at: 27), maxTimestamp: b.beInt64(at: 35),
            producerId: b.beInt64(at: 43), producerEpoch: b.beInt16(at: 51), baseSequence: b.beInt32(at: 53),
            records: [])
        let payload = UnsafeRawBufferPointer(rebasing: b[headerSize...])
        do {
            if attributes.compression == .none {
                batch.records = try decodeRecords(payload, count: count, batch: batch)
            } else {
                let plain = try KafkaCodecs.decompress(
                    payload, codec: attributes.compression, maxBytes: decompressedBudget)
                decompressedBudget -= plain.count
                batch.records = try plain.withUnsafeBytes { (p) in
                    try decodeRecords(p, count: count, batch: batch)
                }
            }
        } catch var e as KafkaRecordsError {
            e.baseOffset = baseOffset
            if e.code == .corruptCompressedData || e.code == .unsupportedCompression { e.codec = attributes.compression }
            // Positions inside decompressed data don't map to the input.
            if attributes.compression != .none { e.position = nil } else if let p = e.position { e.position = p + headerSize }
            throw e
        }
        return batch
    }

    private static func decodeRecords(
        _ p: UnsafeRawBufferPointer, count: Int, batch: RecordBatch
    ) throws -> [KafkaRecord] {
        var records: [KafkaRecord] = []
        // Every record takes at least 7 bytes, so `p` bounds what can really be there.
        records.reserveCapacity(min(count, p.count / 7))
        let logAppend = batch.attributes.timestampType == .logAppendTime
        var previousDelta: Int32 = -1
        var i = 0
        for n in 0..<count {
            let length = Int(try KafkaVarint.readVarint(p, &i))
            guard length > 0, length <= p.count - i else {
                throw KafkaRecordsError(
                    length <= 0 ? .invalidRecord : .truncated,
                    "record \(n) of \(count) claims \(length) bytes but \(p.count - i) remain", position: i, field: "Length")
            }
            let end = i + length
            let body = UnsafeRawBufferPointer(rebasing: p[..<end])
            i += 1  // attributes: unused
            let timestampDelta = try KafkaVarint.readVarlong(body, &i)
            let offsetDelta = try KafkaVarint.readVarint(body, &i)
            guard offsetDelta > previousDelta, offsetDelta <= batch.lastOffsetDelta else {
                throw KafkaRecordsError(
                    .invalidRecord,
                    "record \(n) has offset delta \(offsetDelta); expected more than \(previousDelta) and at most the "
                        + "batch's last offset delta \(batch.lastOffsetDelta)",
                    position: i, field: "OffsetDelta")
            }
            previousDelta = offsetDelta
            let timestamp: Int64
            if logAppend {
                timestamp = batch.maxTimestamp
            } else {
                let (sum, overflow) = batch.baseTimestamp.addingReportingOverflow(timestampDelta)
                guard !overflow else {
                    throw KafkaRecordsError(
                        .invalidRecord,
                        "record \(n)'s timestamp delta \(timestampDelta) overflows the base timestamp \(batch.baseTimestamp)",
                        position: i, field: "TimestampDelta")
                }
                timestamp = sum
            }
            let key = try readBytes(body, &i, what: "key", record: n)
            let value = try readBytes(body, &i, what: "value", record: n)
            let headerCount = Int(try KafkaVarint.readVarint(body, &i))
            guard headerCount >= 0 else {
                throw KafkaRecordsError(.invalidRecord, "record \(n) has a negative header count", position: i, field: "HeaderCount")
            }
            var headers: [KafkaRecordHeader] = []
            if headerCount > 0 {
                // A header takes at least two bytes (two lengths).
                guard headerCount <= (end - i) / 2 else {
                    throw KafkaRecordsError(
                        .invalidRecord, "record \(n) claims \(headerCount) headers in \(end - i) bytes", position: i,
                        field: "HeaderCount")
                }
                headers.reserveCapacity(headerCount)
                for _ in 0..<headerCount {
                    guard let keyBytes = try readBytes(body, &i, what: "header key", record: n) else {
                        throw KafkaRecordsError(.invalidRecord, "record \(n) has a null header key", position: i, field: "HeaderKey")
                    }
                    guard let key = String(validating: keyBytes, as: UTF8.self) else {
                        throw KafkaRecordsError(
                            .invalidRecord, "record \(n) has a header key that is not UTF-8", position: i, field: "HeaderKey")
                    }
                    headers.append(KafkaRecordHeader(key: key, value: try readBytes(body, &i, what: "header value", record: n)))
                }
            }
            guard i == end else {
                throw KafkaRecordsError(
                    .invalidRecord, "record \(n) has \(end - i) bytes left over after its headers", position: i, field: "Length")
            }
            records.append(
                KafkaRecord(
                    key: key, value: value, headers: headers, timestamp: timestamp,
                    offset: batch.baseOffset + Int64(offsetDelta)))
        }
        guard i == p.count else {
            throw KafkaRecordsError(
                .corruptBatch, "\(p.count - i) bytes follow the batch's \(count) records", position: i, field: "RecordCount")
        }
        return records
    }

    @inline(__always)
    private static func readBytes(
        _ p: UnsafeRawBufferPointer, _ i: inout Int, what: StaticString, record: Int
    ) throws -> [UInt8]? {
        let n = Int(try KafkaVarint.readVarint(p, &i))
        if n == -1 { return nil }
        guard n >= 0, n <= p.count - i else {
            throw KafkaRecordsError(
                .invalidRecord, "record \(record)'s \(what) length \(n) is out of bounds", position: i, field: "\(what) length")
        }
        let bytes = [UInt8](UnsafeRawBufferPointer(rebasing: p[i..<(i + n)]))
        i += n
        return bytes
    }
}
