import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetTesting
import Testing

@testable import FreshetKafka

/// The whole `Broker` surface of `KafkaBroker` against a real Tansu broker.
@Suite(.serialized) struct ClientBrokerTansuTests {
    @Test func brokerSurfaceAgainstTansu() async throws {
        try await TansuBroker.with { tansu in
            try await KafkaBroker.withBroker(ClientTest.configuration(tansu), logger: ClientTest.logger) { broker in
                let topic = ClientTest.topicName("surface")

                // Topics: create, duplicate, list, describe (empty).
                try await broker.createTopic(topic, config: TopicConfig(partitions: 3))
                let duplicate = await #expect(throws: LogError.self) { try await broker.createTopic(topic, config: TopicConfig(partitions: 3)) }
                #expect(duplicate?.code == .topicAlreadyExists)
                #expect(try await broker.listTopics().contains(topic))
                let unknown = await #expect(throws: LogError.self) { _ = try await broker.describeTopic("no-such-topic") }
                #expect(unknown?.code == .unknownTopicOrPartition)
                var described = try await broker.describeTopic(topic)
                #expect(described.partitions.map(\.partition) == [0, 1, 2])
                #expect(described.partitions.allSatisfy { $0.earliestOffset == 0 && $0.latestOffset == 0 })

                // Produce keyed (murmur2), explicit and keyless records; results in input order.
                let records =
                    (0..<30).map { i in
                        ProducerRecord(
                            key: Array("user-\(i)".utf8), value: Array("value-\(i)".utf8),
                            headers: [RecordHeader(key: "n", value: Array(String(i).utf8))], timestamp: 1_700_000_000_000 + Int64(i))
                    } + [ProducerRecord(value: Array("explicit".utf8), partition: 2), ProducerRecord(value: Array("keyless".utf8))]
                let metadata = try await broker.produce(topic: topic, records: records)
                #expect(metadata.count == records.count)
                for (i, m) in metadata.prefix(30).enumerated() {
                    #expect(m.partition == kafkaPartition(forKey: Array("user-\(i)".utf8), partitionCount: 3))
                    #expect(m.timestamp == 1_700_000_000_000 + Int64(i))
                }
                #expect(metadata[30].partition == 2)
                let bad = await #expect(throws: LogError.self) {
                    _ = try await broker.produce(topic: topic, records: [ProducerRecord(value: [1], partition: 7)])
                }
                #expect(bad?.code == .unknownTopicOrPartition)

                // Offsets are dense per partition, and describe sees them.
                var perPartition: [Int32: [Int64]] = [:]
                for m in metadata { perPartition[m.partition, default: []].append(m.offset) }
                for (_, offsets) in perPartition { #expect(offsets == Array(0..<Int64(offsets.count))) }
                described = try await broker.describeTopic(topic)
                #expect(described.partitions.map(\.latestOffset).reduce(0, +) == Int64(records.count))
                for p in described.partitions { #expect(p.latestOffset == Int64(perPartition[p.partition]?.count ?? 0)) }

                // Fetch: from 0, from the middle, maxRecords, past the end.
                let p0 = metadata[0].partition
                let all = try await broker.fetch(topic: topic, partition: p0, offset: 0, maxRecords: 1000, maxBytes: 1 << 20, maxWait: .milliseconds(100))
                #expect(all.records.count == perPartition[p0]!.count)
                #expect(all.records.first?.key == Array("user-0".utf8))
                #expect(all.records.first?.headers == [RecordHeader(key: "n", value: Array("0".utf8))])
                #expect(all.highWatermark == Int64(perPartition[p0]!.count))
                let middle = try await broker.fetch(topic: topic, partition: p0, offset: 2, maxRecords: 2, maxBytes: 1 << 20, maxWait: .zero)
                #expect(middle.records.map(\.offset) == [2, 3])
                #expect(middle.nextOffset == 4)
                let atEnd = try await broker.fetch(
                    topic: topic, partition: p0, offset: all.highWatermark, maxRecords: 10, maxBytes: 1 << 20, maxWait: .milliseconds(50))
                #expect(atEnd.records.isEmpty)
                let past = await #expect(throws: LogError.self) {
                    _ = try await broker.fetch(topic: topic, partition: p0, offset: all.highWatermark + 100, maxRecords: 10, maxBytes: 1 << 20, maxWait: .zero)
                }
                #expect(past?.code == .offsetOutOfRange)

                // Groups: commit, read back, reset to earliest/latest, describe with lag.
                let group = ClientTest.topicName("admin-group")
                try await broker.commitOffsets(group: group, offsets: [TopicPartition(topic, 0): 1, TopicPartition(topic, 1): 0])
                #expect(try await broker.committedOffsets(group: group) == [TopicPartition(topic, 0): 1, TopicPartition(topic, 1): 0])
                let latest = try await broker.resetOffsets(group: group, topic: topic, to: .latest)
                for p in described.partitions { #expect(latest[TopicPartition(topic, p.partition)] == p.latestOffset) }
                #expect(try await broker.committedOffsets(group: group) == latest)
                let earliest = try await broker.resetOffsets(group: group, topic: nil, to: .earliest)
                #expect(earliest.values.allSatisfy { $0 == 0 })
                #expect(earliest.count == 3)
                let description = try await broker.describeGroup(group)
                #expect(description.members.isEmpty)
                #expect(description.offsets.count == 3)
                #expect(description.offsets.map { $0.lag ?? -1 }.reduce(0, +) == Int64(records.count))
                #expect(try await broker.listGroups().contains(group))

                // A consumer in the group sees the committed positions and shows up in describeGroup.
                let consumer = try await broker.makeConsumer(ClientTest.consumerConfig(group: group, topic: topic))
                #expect(await consumer.assignment().count == 3)
                // What waits past the position is known once a fetch has answered.
                let first = try await consumer.poll(maxRecords: 1, maxBytes: nil, maxWait: .seconds(10))
                #expect(first.count == 1)
                let waiting = await consumer.backlog()
                #expect(waiting.map { (1...Int64(records.count - 1)).contains($0) } == true, "backlog \(String(describing: waiting))")
                let polled = try await first + ClientTest.pollAll(consumer, count: records.count - 1)
                #expect(polled.count == records.count)
                #expect(await consumer.backlog() == 0)
                let live = try await broker.describeGroup(group)
                #expect(live.members.map(\.memberID) == [consumer.memberID])
                // Tansu 0.6 answers DescribeGroups with empty member metadata and assignments, so
                // `topics`, `assignment` and `owner` are only filled by brokers that report them.
                try await consumer.commit()
                try await consumer.close()
                let after = try await broker.describeGroup(group)
                #expect(after.offsets.allSatisfy { $0.lag == 0 })

                try await broker.deleteTopic(topic)
                #expect(try await !broker.listTopics().contains(topic))
                try await broker.close()
                let closed = await #expect(throws: LogError.self) { _ = try await broker.listTopics() }
                #expect(closed?.code == .brokerClosed)
            }
        }
    }
}

/// Up to five batches of a partition in flight with idempotence (issue #15), against Tansu.
@Suite(.serialized) struct ClientInFlightTansuTests {
    /// Many small batches from concurrent calls: every record lands once, at the offset the
    /// producer reported, and each call's records of a partition in input order.
    @Test func manyBatchesInFlightKeepTheirOrder() async throws {
        try await TansuBroker.with { tansu in
            var config = ClientTest.configuration(tansu)
            config.producer.maxBatchBytes = 4096
            config.producer.maxInFlight = 5
            try await KafkaBroker.withBroker(config, logger: ClientTest.logger) { broker in
                let topic = ClientTest.topicName("inflight")
                try await broker.createTopic(topic, config: TopicConfig(partitions: 2))
                let calls = 8
                let perCall = 2500
                let pad = [UInt8](repeating: UInt8(ascii: "p"), count: 90)
                let results = try await withThrowingTaskGroup(of: (Int, [RecordMetadata]).self) { group in
                    for c in 0..<calls {
                        group.addTask {
                            let records = (0..<perCall).map { i in
                                ProducerRecord(value: Array("\(c)-\(i)|".utf8) + pad, partition: Int32(i % 2))
                            }
                            return (c, try await broker.produce(topic: topic, records: records))
                        }
                    }
                    var all: [Int: [RecordMetadata]] = [:]
                    for try await (c, metadata) in group { all[c] = metadata }
                    return all
                }
                let peak = await broker.producer.peakInFlight
                #expect(peak > 1 && peak <= 5, "peak batches of one partition in flight: \(peak)")
                var expected: [String: TopicPartitionOffset] = [:]
                for (c, metadata) in results {
                    #expect(metadata.count == perCall)
                    for (i, m) in metadata.enumerated() { expected["\(c)-\(i)"] = TopicPartitionOffset(partition: m.partition, offset: m.offset) }
                    for p in [Int32(0), 1] {
                        let offsets = metadata.filter { $0.partition == p }.map(\.offset)
                        #expect(offsets == offsets.sorted(), "call \(c), partition \(p): records out of input order")
                    }
                }
                let consumer = try await broker.makeConsumer(ClientTest.consumerConfig(group: "inflight", topic: topic))
                let read = try await ClientTest.pollAll(consumer, count: calls * perCall)
                try await consumer.close()
                #expect(read.count == calls * perCall)
                var names = Set<String>()
                var misplaced = 0
                for r in read {
                    let name = String(decoding: r.value.prefix { $0 != UInt8(ascii: "|") }, as: UTF8.self)
                    names.insert(name)
                    if expected[name] != TopicPartitionOffset(partition: r.partition, offset: r.offset) { misplaced += 1 }
                }
                #expect(names.count == calls * perCall, "a record was read twice")
                #expect(misplaced == 0, "records not where the producer said they landed")
            }
        }
    }

    struct TopicPartitionOffset: Hashable {
        var partition: Int32
        var offset: Int64
    }
}

/// The cluster reconnects (with backoff) when its broker goes away and comes back.
@Suite(.serialized) struct ClientReconnectTansuTests {
    @Test func producesAgainAfterTheBrokerRestartsAtTheSameAddress() async throws {
        var tansu = try await TansuBroker.start()
        defer { tansu.stop() }
        try await KafkaBroker.withBroker(ClientTest.configuration(tansu), logger: ClientTest.logger) { broker in
            let topic = ClientTest.topicName("restart")
            try await broker.createTopic(topic, config: TopicConfig(partitions: 2))
            let before = try await broker.produce(topic: topic, records: [ProducerRecord(key: [1], value: Array("before".utf8))])
            #expect(before.count == 1)

            // The broker dies (in-memory storage: its topics die with it) and a new one starts
            // at the same address; the client must reconnect rather than keep a dead channel.
            let port = tansu.port
            tansu.stop()
            tansu = try await TansuBroker.start(port: port)
            var recreated = false
            for _ in 0..<50 where !recreated {
                do {
                    try await broker.createTopic(topic, config: TopicConfig(partitions: 2))
                    recreated = true
                } catch {
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            #expect(recreated, "the client never reached the restarted broker")
            let after = try await broker.produce(topic: topic, records: [ProducerRecord(key: [1], value: Array("after".utf8))])
            #expect(after.count == 1)
            let fetched = try await broker.fetch(
                topic: topic, partition: after[0].partition, offset: 0, maxRecords: 10, maxBytes: 1 << 20, maxWait: .seconds(1))
            #expect(fetched.records.map { String(decoding: $0.value, as: UTF8.self) } == ["after"])
            try await broker.close()
        }
    }
}
