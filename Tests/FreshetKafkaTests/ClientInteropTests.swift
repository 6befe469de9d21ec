import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetTesting
import Testing

@testable import FreshetKafka

/// The Freshet Kafka client against Tansu with confluent-kafka (librdkafka) as the other
/// side. Each test starts its own broker; a missing broker or peer fails the test.
@Suite(.serialized) struct ClientInteropTests {
    /// 100k keyed records with headers through `KafkaProducer` (idempotent, acks=all):
    /// confluent-kafka reads every one byte-identical, in order per partition, on the
    /// partition murmur2 picks.
    @Test func producer100kKeyedRecordsReadByConfluent() async throws {
        try await TansuBroker.with { tansu in
            try await KafkaBroker.withBroker(ClientTest.configuration(tansu), logger: ClientTest.logger) { broker in
                let topic = ClientTest.topicName("p100k")
                try await broker.createTopic(topic, config: TopicConfig(partitions: 3))
                let total = 100_000
                func record(_ i: Int) -> ProducerRecord {
                    ProducerRecord(
                        key: Array("user-\(i % 7919)".utf8), value: Array("{\"i\":\(i),\"pad\":\"\(String(repeating: "z", count: i % 40))\"}".utf8),
                        headers: [RecordHeader(key: "i", value: Array(String(i).utf8)), RecordHeader(key: "bin", value: [0, 255, UInt8(i % 256)])])
                }
                // Several produce calls in flight at once, as a pipeline would issue them.
                var metadata = [RecordMetadata?](repeating: nil, count: total)
                try await withThrowingTaskGroup(of: (Int, [RecordMetadata]).self) { group in
                    let chunk = 5000
                    for start in stride(from: 0, to: total, by: chunk) {
                        group.addTask {
                            (start, try await broker.producer.produce(topic: topic, records: (start..<min(start + chunk, total)).map(record)))
                        }
                    }
                    for try await (start, result) in group {
                        for (k, m) in result.enumerated() { metadata[start + k] = m }
                    }
                }
                var expectedByPartition: [Int32: [(offset: Int64, index: Int)]] = [:]
                for i in 0..<total {
                    let m = try #require(metadata[i])
                    #expect(m.partition == kafkaPartition(forKey: Array("user-\(i % 7919)".utf8), partitionCount: 3))
                    expectedByPartition[m.partition, default: []].append((m.offset, i))
                }
                // Offsets are dense per partition; within one produce call (chunk), input order is
                // offset order (concurrent calls may interleave with each other).
                for (partition, list) in expectedByPartition {
                    let sorted = list.sorted { $0.offset < $1.offset }
                    expectedByPartition[partition] = sorted
                    let dense = sorted.indices.allSatisfy { sorted[$0].offset == Int64($0) }
                    #expect(dense, "partition \(partition): offsets are not dense from 0")
                    let inOrder = list.indices.dropFirst().allSatisfy { k in
                        list[k].index / 5000 != list[k - 1].index / 5000 || list[k].offset > list[k - 1].offset
                    }
                    #expect(inOrder, "partition \(partition): a produce call's records are out of input order")
                }
                try await broker.close()

                let lines = try await ClientTest.pythonAsync(["consume", tansu.bootstrap, topic, "3", String(total)])
                #expect(lines.count == total)
                let decoder = JSONDecoder()
                var seen: [Int: [PeerRecord]] = [:]
                for line in lines {
                    let r = try decoder.decode(PeerRecord.self, from: Data(line.utf8))
                    seen[r.p, default: []].append(r)
                }
                var mismatches = 0
                for (partition, list) in expectedByPartition {
                    let got = seen[Int(partition)] ?? []
                    #expect(got.count == list.count)
                    for (g, want) in zip(got, list) {
                        let r = record(want.index)
                        let same =
                            g.o == want.offset && g.k == ClientTest.hex(r.key!) && g.v == ClientTest.hex(r.value)
                            && (g.h ?? []) == r.headers.map { [$0.key, ClientTest.hex($0.value)] }
                        if !same { mismatches += 1 }
                    }
                }
                #expect(mismatches == 0)
            }
        }
    }

    /// Records produced by confluent-kafka with every codec are read identical by
    /// `KafkaConsumer` (a group member, from the earliest offset).
    @Test func confluentCompressedRecordsReadByKafkaConsumer() async throws {
        try await TansuBroker.with { tansu in
            try await KafkaBroker.withBroker(ClientTest.configuration(tansu), logger: ClientTest.logger) { broker in
                let count = 2000
                for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
                    let topic = ClientTest.topicName("codec-\(codec)")
                    try await broker.createTopic(topic, config: TopicConfig(partitions: 2))
                    _ = try await ClientTest.pythonAsync(["produce", tansu.bootstrap, topic, "2", String(count), codec])
                    let consumer = try await broker.makeConsumer(ClientTest.consumerConfig(group: "codec-\(codec)", topic: topic))
                    let records = try await ClientTest.pollAll(consumer, count: count)
                    try await consumer.close()
                    #expect(records.count == count, "codec \(codec)")
                    var byIndex: [Int: ConsumerRecord] = [:]
                    for r in records {
                        let i = Int(String(decoding: r.headers.first { $0.key == "i" }?.value ?? [], as: UTF8.self)) ?? -1
                        byIndex[i] = r
                    }
                    var wrong = 0
                    for i in 0..<count {
                        guard let r = byIndex[i] else {
                            wrong += 1
                            continue
                        }
                        let ok =
                            r.partition == Int32(i % 2) && r.offset == Int64(i / 2) && r.key == Array("key-\(i)".utf8)
                            && r.value == Array(("value-\(i)-" + String(repeating: "x", count: i % 50)).utf8)
                            && r.headers == [RecordHeader(key: "i", value: Array(String(i).utf8)), RecordHeader(key: "codec", value: Array(codec.utf8))]
                        if !ok { wrong += 1 }
                    }
                    #expect(wrong == 0, "codec \(codec): \(wrong) records differ")
                    // Poll hands partitions out fairly: both appear among the first records.
                    #expect(Set(records.prefix(50).map(\.partition)) == [0, 1], "codec \(codec)")
                }
                try await broker.close()
            }
        }
    }

    /// A Freshet consumer group and a confluent-kafka consumer group on the same topic both
    /// get every record.
    @Test func freshetAndConfluentGroupsCoexist() async throws {
        try await TansuBroker.with { tansu in
            try await KafkaBroker.withBroker(ClientTest.configuration(tansu), logger: ClientTest.logger) { broker in
                let topic = ClientTest.topicName("coexist")
                try await broker.createTopic(topic, config: TopicConfig(partitions: 3))
                let count = 3000
                _ = try await broker.produce(topic: topic, records: (0..<count).map { ProducerRecord(key: Array("k\($0)".utf8), value: Array("v\($0)".utf8)) })
                async let confluent = ClientTest.pythonAsync(["group-consume", tansu.bootstrap, topic, "confluent-group", String(count)])
                let consumer = try await broker.makeConsumer(ClientTest.consumerConfig(group: "freshet-group", topic: topic))
                let ours = try await ClientTest.pollAll(consumer, count: count)
                try await consumer.commit()
                try await consumer.close()
                let theirs = try await confluent
                #expect(Set(ours.map { "\($0.partition)/\($0.offset)" }).count == count)
                #expect(ours.count == count)
                let decoded = try theirs.map { try JSONDecoder().decode(PeerRecord.self, from: Data($0.utf8)) }
                #expect(Set(decoded.map { "\($0.p)/\($0.o)" }) == Set(ours.map { "\($0.partition)/\($0.offset)" }))
                let committed = try await broker.committedOffsets(group: "freshet-group")
                #expect(committed.values.reduce(0, +) == Int64(count))
                try await broker.close()
            }
        }
    }

    /// Two Freshet consumers in one group split the partitions; when one leaves, the other
    /// takes over from the committed offsets. With commit-on-revoke and a commit before
    /// close, every record is read exactly once across the handovers.
    @Test func twoConsumersSplitAndHandOverWithoutLossOrDuplicates() async throws {
        try await TansuBroker.with { tansu in
            try await KafkaBroker.withBroker(ClientTest.configuration(tansu), logger: ClientTest.logger) { broker in
                let topic = ClientTest.topicName("handover")
                try await broker.createTopic(topic, config: TopicConfig(partitions: 4))
                let group = "handover-group"
                func produce(_ range: Range<Int>) async throws {
                    _ = try await broker.produce(topic: topic, records: range.map { ProducerRecord(key: Array("k\($0)".utf8), value: Array("\($0)".utf8)) })
                }
                try await produce(0..<2000)
                var config = ClientTest.consumerConfig(group: group, topic: topic)
                config.maxPollRecords = 100
                let a = try await broker.makeConsumer(config)
                #expect(await a.assignment().count == 4)
                var readByA = try await a.poll(maxRecords: 100, maxBytes: nil, maxWait: .seconds(1))
                #expect(!readByA.isEmpty)

                // B joins while A keeps polling (A must rejoin for B's join to complete).
                let joining = Task { try await broker.makeConsumer(config) }
                let polling = Task { () -> [ConsumerRecord] in
                    var got: [ConsumerRecord] = []
                    let deadline = ContinuousClock.now + .seconds(30)
                    while ContinuousClock.now < deadline {
                        got += try await a.poll(maxRecords: 20, maxBytes: nil, maxWait: .milliseconds(100))
                        if await a.assignment().count == 2 { break }
                    }
                    return got
                }
                let b = try await joining.value
                readByA += try await polling.value
                #expect(await a.assignment().count == 2)
                #expect(await b.assignment().count == 2)
                #expect(Set(await a.assignment()).isDisjoint(with: Set(await b.assignment())))

                try await produce(2000..<4000)
                // Both read part of the rest; B commits what it read and leaves.
                var readByB: [ConsumerRecord] = []
                for _ in 0..<5 {
                    readByA += try await a.poll(maxRecords: 100, maxBytes: nil, maxWait: .milliseconds(200))
                    readByB += try await b.poll(maxRecords: 100, maxBytes: nil, maxWait: .milliseconds(200))
                }
                #expect(!readByB.isEmpty)
                try await b.commit()
                try await b.close()

                // A takes over B's partitions from B's commits and reads to the end.
                let deadline = ContinuousClock.now + .seconds(40)
                while readByA.count + readByB.count < 4000, ContinuousClock.now < deadline {
                    readByA += try await a.poll(maxRecords: 500, maxBytes: nil, maxWait: .milliseconds(200))
                }
                #expect(await a.assignment().count == 4)
                let all = (readByA + readByB).map { "\($0.partition)/\($0.offset)" }
                #expect(all.count == 4000, "read \(all.count) records (A \(readByA.count), B \(readByB.count))")
                #expect(Set(all).count == all.count, "duplicates across the handover")
                #expect(Set((readByA + readByB).map { String(decoding: $0.value, as: UTF8.self) }) == Set((0..<4000).map(String.init)))
                try await a.commit()
                try await a.close()
                let committed = try await broker.committedOffsets(group: group)
                #expect(committed.values.reduce(0, +) == 4000)
                try await broker.close()
            }
        }
    }
}
