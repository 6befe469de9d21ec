import Foundation
import FreshetKafka
import NIOCore
import Testing

/// Batches captured from confluent-kafka 2.16.1 (librdkafka 2.16.0) producing to Tansu 0.6.0;
/// see RecordsGolden/README.md and RecordsGolden/capture.py.
@Suite("Golden record batches from librdkafka")
struct RecordsGoldenTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("RecordsGolden")

    static func golden(_ name: String) throws -> [UInt8] {
        let text = try String(contentsOf: directory.appendingPathComponent("\(name).hex"), encoding: .utf8)
        let hex = Array(text.utf8.filter { !($0 == 10 || $0 == 13 || $0 == 32) })
        try #require(hex.count % 2 == 0 && !hex.isEmpty)
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            default: throw KafkaRecordsError(.corruptBatch, "bad hex in \(name).hex")
            }
        }
        return try stride(from: 0, to: hex.count, by: 2).map { try nibble(hex[$0]) << 4 | nibble(hex[$0 + 1]) }
    }

    /// What capture.py produced: the same 50 records for every codec.
    static let expected: [KafkaRecord] = (0..<50).map { i in
        KafkaRecord(
            key: Array("key-\(i)".utf8),
            value: Array(#"{"id":\#(i),"name":"user-\#(i)","email":"user-\#(i)@example.com"}"#.utf8),
            headers: [
                KafkaRecordHeader(key: "source", value: Array("freshet-golden".utf8)),
                KafkaRecordHeader(key: "seq", value: Array("\(i)".utf8)),
            ],
            timestamp: 1_700_000_000_000 + Int64(i), offset: Int64(i))
    }

    @Test(
        "librdkafka batches decode to exactly the produced records",
        arguments: [
            ("none", KafkaCompression.none), ("gzip", .gzip), ("snappy", .snappy), ("lz4", .lz4), ("zstd", .zstd),
        ])
    func decodesGolden(name: String, codec: KafkaCompression) throws {
        let bytes = try Self.golden(name)
        let decoded = try RecordBatch.decodeAll(bytes)
        #expect(decoded.trailingPartialBytes == 0)
        let batch = try #require(decoded.batches.first)
        #expect(decoded.batches.count == 1)
        #expect(batch.attributes.compression == codec)
        #expect(batch.attributes.timestampType == .createTime)
        #expect(batch.baseOffset == 0 && batch.lastOffsetDelta == 49)
        #expect(batch.baseTimestamp == 1_700_000_000_000 && batch.maxTimestamp == 1_700_000_000_049)
        #expect(batch.records.count == 50)
        for (got, want) in zip(batch.records, Self.expected) {
            #expect(got == want)
        }
    }

    @Test("re-encoding the golden records with our encoder gives librdkafka's uncompressed bytes")
    func reencodeMatchesNone() throws {
        let bytes = try Self.golden("none")
        let batch = try RecordBatch.decode(bytes)
        #expect(try batch.encode() == bytes)
    }

    @Test("the producer's direct encoder gives librdkafka's uncompressed records, after a buffer's other bytes")
    func encodeProducingMatchesNone() throws {
        let bytes = try Self.golden("none")
        let batch = try RecordBatch.decode(bytes)
        var buffer = ByteBuffer(bytes: [9, 9, 9])
        buffer.moveReaderIndex(forwardBy: 2)
        try RecordBatch.encodeProducing(
            batch.records, producerId: batch.producerId, producerEpoch: batch.producerEpoch,
            baseSequence: batch.baseSequence, into: &buffer)
        let encoded = Array(buffer.readableBytesView.dropFirst())
        #expect(buffer.readableBytesView.first == 9)
        // librdkafka writes partition leader epoch 0 where a producer's batch has -1 (Java, Freshet):
        // the same batch with -1 is byte for byte ours, and the records section is librdkafka's.
        var withEpoch = batch
        withEpoch.partitionLeaderEpoch = -1
        #expect(encoded == (try withEpoch.encode()))
        #expect(encoded[RecordBatch.headerSize...] == bytes[RecordBatch.headerSize...])
        #expect(encoded[..<12] == bytes[..<12])
    }

    @Test("re-encoded golden batches survive our own codecs", arguments: [KafkaCompression.gzip, .snappy, .lz4, .zstd])
    func reencodeCompressed(codec: KafkaCompression) throws {
        var batch = try RecordBatch.decode(try Self.golden(codec == .gzip ? "gzip" : "none"))
        batch.attributes.compression = codec
        #expect(try RecordBatch.decode(try batch.encode()).records == Self.expected)
    }

    @Test(
        "frames from the reference lz4 CLI 1.9.4 (content checksum; dependent blocks + content size) decode",
        arguments: ["lz4cli-default", "lz4cli-dependent"])
    func lz4ReferenceFrames(name: String) throws {
        let records = Array(try Self.golden("none")[RecordBatch.headerSize...])
        let frame = try Self.golden(name)
        #expect(try KafkaCodecs.decompress(frame, codec: .lz4) == records)
        var bad = frame
        bad[bad.count - 1] ^= 0x01  // content checksum
        #expect(throws: KafkaRecordsError.self) { try KafkaCodecs.decompress(bad, codec: .lz4) }
    }

    @Test("a streamed zstd frame without content size (zstd CLI 1.5.4 from stdin) decodes")
    func zstdStreamFrame() throws {
        let records = Array(try Self.golden("none")[RecordBatch.headerSize...])
        let frame = try Self.golden("zstdcli-stream")
        #expect(frame[4] & 0xC0 == 0)  // frame header: no content size field
        #expect(try KafkaCodecs.decompress(frame, codec: .zstd) == records)
        #expect(throws: KafkaRecordsError.self) { try KafkaCodecs.decompress(Array(frame.dropLast(5)), codec: .zstd) }
        // Two concatenated frames decode to both contents.
        #expect(try KafkaCodecs.decompress(frame + frame, codec: .zstd) == records + records)
    }

    @Test("golden batches concatenated with a truncated tail: complete ones decode")
    func goldenStream() throws {
        var blob: [UInt8] = []
        for name in ["none", "gzip", "snappy", "lz4", "zstd"] { blob += try Self.golden(name) }
        let tail = try Self.golden("lz4")
        blob += tail[..<(tail.count / 2)]
        let decoded = try RecordBatch.decodeAll(blob)
        #expect(decoded.batches.count == 5)
        #expect(decoded.trailingPartialBytes == tail.count / 2)
        #expect(decoded.records.count == 250)
    }

    @Test("drip-fed golden bytes: every prefix decodes its complete batches and never throws")
    func dripFed() throws {
        let one = try Self.golden("snappy")
        let blob = one + one
        for cut in stride(from: 0, through: blob.count, by: 7) {
            let decoded = try RecordBatch.decodeAll(Array(blob[..<cut]))
            #expect(decoded.batches.count == (cut >= 2 * one.count ? 2 : cut >= one.count ? 1 : 0))
        }
    }
}
