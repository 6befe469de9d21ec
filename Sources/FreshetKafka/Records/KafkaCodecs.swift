/// Compression of a batch's records section, by codec.
///
/// gzip goes through zlib (compress-nio), zstd through libzstd; snappy, LZ4 and xxHash32 are
/// pure Swift here (see docs/kafka-compression.md).
public enum KafkaCodecs {
    /// Compresses `bytes` as Kafka producers do for `codec`.
    public static func compress(_ bytes: [UInt8], codec: KafkaCompression) throws -> [UInt8] {
        switch codec {
        case .none: return bytes
        case .gzip: return try Gzip.compress(bytes)
        case .snappy: return Snappy.compressXerial(bytes)
        case .lz4: return LZ4.compressFrame(bytes)
        case .zstd: return try Zstd.compress(bytes)
        }
    }

    /// Decompresses a batch's records section.
    /// - Throws: `.corruptCompressedData` (naming the codec) for malformed or oversized data.
    public static func decompress(
        _ bytes: UnsafeRawBufferPointer, codec: KafkaCompression, maxBytes: Int = RecordBatchDecodingOptions.defaultMaxDecompressedBytes
    ) throws -> [UInt8] {
        switch codec {
        case .none: return [UInt8](bytes)
        case .gzip: return try Gzip.decompress(bytes, maxBytes: maxBytes)
        case .snappy: return try Snappy.decompressKafka(bytes, maxBytes: maxBytes)
        case .lz4: return try LZ4.decompressFrame(bytes, maxBytes: maxBytes)
        case .zstd: return try Zstd.decompress(bytes, maxBytes: maxBytes)
        }
    }

    /// Convenience for arrays.
    public static func decompress(
        _ bytes: [UInt8], codec: KafkaCompression, maxBytes: Int = RecordBatchDecodingOptions.defaultMaxDecompressedBytes
    ) throws -> [UInt8] {
        try bytes.withUnsafeBytes { (raw) in try decompress(raw, codec: codec, maxBytes: maxBytes) }
    }

    static func corrupt(_ codec: KafkaCompression, _ message: String, position: Int? = nil) -> KafkaRecordsError {
        KafkaRecordsError(.corruptCompressedData, message, codec: codec, position: position)
    }
}
