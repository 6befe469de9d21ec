import FreshetKafka
import Testing

@Suite("Compression codecs")
struct RecordsCodecTests {
    @Test(
        "xxHash32 known vectors",
        arguments: [
            ("", UInt32(0), UInt32(0x02CC_5D05)), ("a", 0, 0x550D_7456), ("abc", 0, 0x32D1_53FF),
            ("Nobody inspects the spammish repetition", 0, 0xE229_3B2F),
        ])
    func xxhash(input: String, seed: UInt32, want: UInt32) {
        #expect(XXHash32.hash(Array(input.utf8), seed: seed) == want)
    }

    static let payloads: [[UInt8]] = {
        var rng = SplitMix(seed: 7)
        return [
            [], [42], Array("hello".utf8), Array(repeating: 0, count: 100_000),
            Array(String(repeating: "kafka record batch ", count: 5000).utf8),
            (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &rng) },
            (0..<150_000).map { i in UInt8(truncatingIfNeeded: i % 251 ^ (i >> 9)) },
        ]
    }()

    @Test("round trip of each codec over edge payloads", arguments: [KafkaCompression.none, .gzip, .snappy, .lz4, .zstd], [0, 1, 2, 3, 4, 5, 6])
    func roundTrip(codec: KafkaCompression, index: Int) throws {
        let input = Self.payloads[index]
        let compressed = try KafkaCodecs.compress(input, codec: codec)
        #expect(try KafkaCodecs.decompress(compressed, codec: codec) == input)
    }

    @Test("snappy: raw stream (librdkafka's) and xerial framing (Java's) both decode")
    func snappyFramings() throws {
        let input = Array(String(repeating: "user-data ", count: 10_000).utf8)
        let raw = Snappy.compressRaw(input)
        let xerial = Snappy.compressXerial(input)
        #expect(Array(xerial[0..<16]) == [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(raw.first != 0x82)
        #expect(try KafkaCodecs.decompress(raw, codec: .snappy) == input)
        #expect(try KafkaCodecs.decompress(xerial, codec: .snappy) == input)
        #expect(xerial.count < input.count / 10)
    }

    @Test("snappy: hand-assembled stream with every element kind")
    func snappyHandMade() throws {
        // length 20; literal "abcd"; copy-1 (len 4, off 4); copy-2 (len 8, off 8); literal 60+ form ("xyzw")
        let stream: [UInt8] = [20, 3 << 2, 97, 98, 99, 100, 1 | (0 << 2), 4, 2 | (7 << 2), 8, 0, 60 << 2, 3, 120, 121, 122, 119]
        #expect(try decodeRaw(stream) == Array("abcdabcdabcdabcdxyzw".utf8))
        // copy-4 form, overlapping run
        let run: [UInt8] = [10, 0 << 2, 90, 3 | (8 << 2), 1, 0, 0, 0]
        #expect(try decodeRaw(run) == [UInt8](repeating: 90, count: 10))
    }

    @Test(
        "snappy: corrupt streams are errors",
        arguments: [
            [5, 0 << 2, 1],  // output shorter than the declared length
            [4, 1, 4],  // copy before any output
            [2, 2 << 2, 1, 2, 3],  // literal longer than the declared length
            [9, 0 << 2, 1, 2 | (7 << 2), 2, 0],  // offset beyond output
            [0xFF, 0xFF, 0xFF, 0x7F, 0],  // claims 268 MB from 5 bytes
        ] as [[UInt8]])
    func snappyCorrupt(stream: [UInt8]) {
        let error = #expect(throws: KafkaRecordsError.self) { try decodeRaw(stream) }
        #expect(error?.code == .corruptCompressedData)
    }

    @Test("snappy: xerial block length past the end is an error")
    func xerialTruncated() throws {
        var x = Snappy.compressXerial(Array(repeating: 7, count: 1000))
        x.removeLast(3)
        #expect(throws: KafkaRecordsError.self) { try KafkaCodecs.decompress(x, codec: .snappy) }
    }

    @Test("lz4: frame header is Kafka's and its checksum is xxHash32")
    func lz4Header() throws {
        let frame = LZ4.compressFrame(Array("x".utf8))
        #expect(Array(frame[0..<4]) == [0x04, 0x22, 0x4D, 0x18])
        #expect(frame[6] == UInt8((XXHash32.hash([frame[4], frame[5]]) >> 8) & 0xFF))
        var bad = frame
        bad[6] ^= 1
        let error = #expect(throws: KafkaRecordsError.self) { try KafkaCodecs.decompress(bad, codec: .lz4) }
        #expect(error?.message.contains("header checksum") == true)
    }

    @Test("lz4: hand-made frame with content size, block + content checksums, dependent blocks")
    func lz4Options() throws {
        let block1 = Array("hello world ".utf8)  // stored
        // lit 0, match 6 at offset 12 (reaches into block 1), then last literals "again"
        let block2: [UInt8] = [0x02, 12, 0, 0x50] + Array("again".utf8)
        let content = Array("hello world hello again".utf8)
        var frame: [UInt8] = [0x04, 0x22, 0x4D, 0x18]
        let descriptor: [UInt8] = [0x40 | 0x10 | 0x08 | 0x04, 0x40] + le64(UInt64(content.count))
        frame += descriptor + [UInt8((XXHash32.hash(descriptor) >> 8) & 0xFF)]
        frame += le32(UInt32(block1.count) | 0x8000_0000) + block1 + le32(XXHash32.hash(block1))
        frame += le32(UInt32(block2.count)) + block2 + le32(XXHash32.hash(block2))
        frame += le32(0) + le32(XXHash32.hash(content))
        #expect(try KafkaCodecs.decompress(frame, codec: .lz4) == content)

        var badContent = frame
        badContent[badContent.count - 1] ^= 1
        #expect(throws: KafkaRecordsError.self) { try KafkaCodecs.decompress(badContent, codec: .lz4) }
        var badBlock = frame
        badBlock[15 + 4 + block1.count] ^= 1  // block 1 checksum
        #expect(throws: KafkaRecordsError.self) { try KafkaCodecs.decompress(badBlock, codec: .lz4) }
    }

    @Test("lz4: long literal and match lengths (255-continuations)")
    func lz4Lengths() throws {
        var rng = SplitMix(seed: 3)
        let noise = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let input = noise + Array(repeating: 1, count: 5000) + noise + noise
        let frame = LZ4.compressFrame(input)
        #expect(frame.count < input.count)
        #expect(try KafkaCodecs.decompress(frame, codec: .lz4) == input)
    }

    @Test("lz4: truncated or wrong-magic frames are errors", arguments: [0, 3, 7, 12])
    func lz4Corrupt(cut: Int) throws {
        let frame = LZ4.compressFrame(Array(String(repeating: "abc", count: 100).utf8))
        let error = #expect(throws: KafkaRecordsError.self) { try KafkaCodecs.decompress(Array(frame.dropLast(frame.count - cut)), codec: .lz4) }
        #expect(error?.code == .corruptCompressedData && error?.codec == .lz4)
    }

    @Test("gzip output is a standard gzip member")
    func gzipHeader() throws {
        let gz = try KafkaCodecs.compress(Array("hello".utf8), codec: .gzip)
        #expect(Array(gz[0..<3]) == [0x1F, 0x8B, 0x08])
        var bad = gz
        bad[12] ^= 0xFF
        #expect(throws: KafkaRecordsError.self) { try KafkaCodecs.decompress(bad, codec: .gzip) }
    }

    @Test("zstd output is a standard zstd frame; garbage is an error naming the codec")
    func zstdFrame() throws {
        let z = try KafkaCodecs.compress(Array(repeating: 9, count: 10_000), codec: .zstd)
        #expect(Array(z[0..<4]) == [0x28, 0xB5, 0x2F, 0xFD])
        let error = #expect(throws: KafkaRecordsError.self) { try KafkaCodecs.decompress([0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3], codec: .zstd) }
        #expect(error?.codec == .zstd && error?.code == .corruptCompressedData)
    }

    @Test("decompression limit is enforced", arguments: [KafkaCompression.gzip, .snappy, .lz4, .zstd])
    func limit(codec: KafkaCompression) throws {
        let big = try KafkaCodecs.compress(Array(repeating: 0, count: 1 << 20), codec: codec)
        #expect(throws: KafkaRecordsError.self) { try KafkaCodecs.decompress(big, codec: codec, maxBytes: 1000) }
    }
}

func decodeRaw(_ stream: [UInt8]) throws -> [UInt8] {
    try stream.withUnsafeBytes { try Snappy.decompressRaw($0) }
}
func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
func le64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
