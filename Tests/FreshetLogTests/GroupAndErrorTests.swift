import Foundation
import FreshetContracts
import Logging
import Testing

@testable import FreshetLog

@Suite struct ConsumerGroupTests {
    @Test func oneConsumerPollSharesItsBudgetAcrossPartitionsWithABacklog() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                try await broker.createTopic("t", config: TopicConfig(partitions: 3))
                for p in Int32(0)..<3 {
                    _ = try await broker.produce(topic: "t", records: (0..<1000).map { record("p\(p)-\($0)", partition: p) })
                }
                let c = try await broker.makeConsumer(ConsumerConfig(groupID: "g", topics: ["t"]))
                var perPartition: [Int32: Int] = [:]
                for r in try await c.poll(maxRecords: 300, maxBytes: nil, maxWait: nil) { perPartition[r.partition, default: 0] += 1 }
                // A backlog of 1,000 on every partition: each gets its third of the poll, not
                // 300 from one partition while the others wait.
                #expect(perPartition == [0: 100, 1: 100, 2: 100])
                // A partition without backlog leaves its share to the others (second pass).
                var second: [Int32: Int] = [:]
                for r in try await c.poll(maxRecords: 2000, maxBytes: nil, maxWait: nil) { second[r.partition, default: 0] += 1 }
                #expect(second.values.reduce(0, +) == 2000)
                #expect(second.count == 3 && second.values.allSatisfy { $0 >= 600 })
                try await c.close()
                // Shares a partition cannot use go to the others (second pass).
                try await broker.createTopic("u", config: TopicConfig(partitions: 3))
                _ = try await broker.produce(topic: "u", records: (0..<1000).map { record("big-\($0)", partition: 0) })
                for p in Int32(1)..<3 { _ = try await broker.produce(topic: "u", records: (0..<10).map { record("small-\($0)", partition: p) }) }
                let d = try await broker.makeConsumer(ConsumerConfig(groupID: "g2", topics: ["u"]))
                var third: [Int32: Int] = [:]
                for r in try await d.poll(maxRecords: 300, maxBytes: nil, maxWait: nil) { third[r.partition, default: 0] += 1 }
                #expect(third == [0: 280, 1: 10, 2: 10])
                try await d.close()
            }
        }
    }

    @Test func twoConsumersSplitPartitionsAndHandOverWithoutLossOrDuplicates() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                try await broker.createTopic("t", config: TopicConfig(partitions: 4))
                let total = 400
                _ = try await broker.produce(topic: "t", records: (0..<total).map { record("v\($0)", key: "key-\($0)") })
                var delivered: [TopicPartition: [Int64]] = [:]
                func take(_ records: [ConsumerRecord]) {
                    for r in records { delivered[TopicPartition(r.topic, r.partition), default: []].append(r.offset) }
                }
                var config = ConsumerConfig(groupID: "g", topics: ["t"])
                config.maxWait = .milliseconds(50)
                config.clientID = "a"
                let a = try await broker.makeConsumer(config)
                take(try await a.poll(maxRecords: 20, maxBytes: nil, maxWait: nil))
                try await a.commit()
                #expect(await a.assignment().count == 4)
                // Processed but not committed yet when b joins: a must commit these before it
                // hands partitions over (commitOnRevoke), or b would see them again.
                // (four polls: each starts at the next partition, so every partition has some)
                for _ in 0..<4 { take(try await a.poll(maxRecords: 5, maxBytes: nil, maxWait: nil)) }

                config.clientID = "b"
                let b = try await broker.makeConsumer(config)
                // b gets nothing until a learns of the rebalance on its next poll and releases.
                #expect(await b.assignment().isEmpty)
                #expect(try await b.poll(maxRecords: 20, maxBytes: nil, maxWait: .zero).isEmpty)
                for _ in 0..<3 {
                    take(try await a.poll(maxRecords: 20, maxBytes: nil, maxWait: nil))
                    take(try await b.poll(maxRecords: 20, maxBytes: nil, maxWait: nil))
                    try await a.commit()
                    try await b.commit()
                }
                let aParts = await a.assignment()
                let bParts = await b.assignment()
                #expect(aParts.count == 2 && bParts.count == 2)
                #expect(Set(aParts).isDisjoint(with: bParts))
                let described = try await broker.describeGroup("g")
                #expect(described.members.count == 2)
                #expect(described.state == "Stable")

                // a commits, then leaves: b takes over all four partitions.
                take(try await a.poll(maxRecords: 20, maxBytes: nil, maxWait: nil))
                try await a.commit()
                try await a.close()
                var idle = 0
                while delivered.values.map(\.count).reduce(0, +) < total && idle < 5 {
                    let r = try await b.poll(maxRecords: 50, maxBytes: nil, maxWait: nil)
                    if r.isEmpty { idle += 1 }
                    take(r)
                    try await b.commit()
                }
                #expect(await b.assignment().count == 4)
                for (tp, offsets) in delivered {
                    #expect(offsets == Array(0..<Int64(offsets.count)), "\(tp): lost or duplicated records")
                }
                #expect(delivered.values.map(\.count).reduce(0, +) == total)
                let lag = try await broker.describeGroup("g").offsets.compactMap(\.lag).reduce(0, +)
                #expect(lag == 0)
                try await b.close()
                #expect(try await broker.describeGroup("g").state == "Empty")
            }
        }
    }

    @Test func pollWaitsForNewDataWithoutBusyPolling() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir, durability: .interval(.milliseconds(5)))) { broker in
                try await broker.createTopic("t", config: TopicConfig(partitions: 2))
                let c = try await broker.makeConsumer(ConsumerConfig(groupID: "g", topics: ["t"], resetPolicy: .latest))
                let start = ContinuousClock.now
                // A long max wait: returning well before it shows the append woke the poll
                // (a margin no machine load can eat, unlike a tight timing bound).
                async let polled = c.poll(maxRecords: nil, maxBytes: nil, maxWait: .seconds(120))
                try await Task.sleep(for: .milliseconds(100))
                _ = try await broker.produce(topic: "t", records: [record("hello", key: "k")])
                let records = try await polled
                #expect(records.map(\.valueString) == ["hello"])
                #expect(ContinuousClock.now - start < .seconds(60))
                // With nothing new, poll returns empty after max wait.
                let t0 = ContinuousClock.now
                #expect(try await c.poll(maxRecords: nil, maxBytes: nil, maxWait: .milliseconds(200)).isEmpty)
                #expect(ContinuousClock.now - t0 >= .milliseconds(190))
                try await c.close()
            }
        }
    }

    @Test func pollRespectsMaxRecordsAndMaxBytes() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                try await broker.createTopic("t", config: TopicConfig(partitions: 1))
                _ = try await broker.produce(topic: "t", records: (0..<100).map { _ in record(String(repeating: "z", count: 100)) })
                let c = try await broker.makeConsumer(ConsumerConfig(groupID: "g", topics: ["t"]))
                #expect(try await c.poll(maxRecords: 7, maxBytes: nil, maxWait: .zero).count == 7)
                #expect(try await c.poll(maxRecords: 100, maxBytes: 1000, maxWait: .zero).count == 10)
                #expect(try await c.poll(maxRecords: 100, maxBytes: 1, maxWait: .zero).count == 1)
                try await c.close()
            }
        }
    }

    @Test func resetOffsetsMovesCommittedOffsets() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                try await broker.createTopic("t", config: TopicConfig(partitions: 2))
                _ = try await broker.produce(topic: "t", records: (0..<10).map { record("v", partition: Int32($0 % 2)) })
                let latest = try await broker.resetOffsets(group: "g", topic: "t", to: .latest)
                #expect(latest == [TopicPartition("t", 0): 5, TopicPartition("t", 1): 5])
                let earliest = try await broker.resetOffsets(group: "g", topic: nil, to: .earliest)
                #expect(earliest.values.allSatisfy { $0 == 0 })
                #expect(try await broker.listGroups() == ["g"])
            }
        }
    }
}

@Suite struct BadInputTests {
    @Test func unknownTopic() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                for op in ["produce", "fetch", "describe", "delete", "consume"] {
                    let error = await #expect(throws: LogError.self, "\(op)") {
                        switch op {
                        case "produce": _ = try await broker.produce(topic: "nope", records: [record("x")])
                        case "fetch": _ = try await broker.fetch(topic: "nope", partition: 0, offset: 0, maxRecords: 1, maxBytes: 1, maxWait: .zero)
                        case "describe": _ = try await broker.describeTopic("nope")
                        case "delete": try await broker.deleteTopic("nope")
                        default: _ = try await broker.makeConsumer(ConsumerConfig(groupID: "g", topics: ["nope"]))
                        }
                    }
                    #expect(error?.code == .unknownTopicOrPartition, "\(op)")
                    #expect(error?.description.contains("'nope'") == true, "\(op)")
                }
            }
        }
    }

    @Test func partitionAndOffsetOutOfRange() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                try await broker.createTopic("t", config: TopicConfig(partitions: 3))
                let fetchError = await #expect(throws: LogError.self) {
                    _ = try await broker.fetch(topic: "t", partition: 7, offset: 0, maxRecords: 1, maxBytes: 1, maxWait: .zero)
                }
                #expect(fetchError?.code == .unknownTopicOrPartition)
                #expect(fetchError?.message.contains("partition 7 of topic 't'") == true)
                let produceError = await #expect(throws: LogError.self) {
                    _ = try await broker.produce(topic: "t", records: [record("x", partition: -1)])
                }
                #expect(produceError?.message.contains("partition -1") == true)
                let offsetError = await #expect(throws: LogError.self) {
                    _ = try await broker.fetch(topic: "t", partition: 0, offset: 5, maxRecords: 1, maxBytes: 1, maxWait: .zero)
                }
                #expect(offsetError?.code == .offsetOutOfRange)
                #expect(offsetError?.message.contains("offset 5") == true)
                // Nothing was written by the failed calls.
                #expect(try await broker.describeTopic("t").partitions.allSatisfy { $0.latestOffset == 0 })
            }
        }
    }

    @Test func oversizedRecordIsRejectedAndNothingIsWritten() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                try await broker.createTopic("t", config: TopicConfig(partitions: 1, maxRecordBytes: 1000))
                let error = await #expect(throws: LogError.self) {
                    _ = try await broker.produce(
                        topic: "t", records: [record("ok"), ProducerRecord(value: [UInt8](repeating: 1, count: 2000))])
                }
                #expect(error?.code == .messageTooLarge)
                #expect(error?.message.contains("record 1") == true)
                #expect(error?.message.contains("1000") == true)
                #expect(try await broker.describeTopic("t").partitions[0].latestOffset == 0)
                // The default limit is 1 MiB.
                try await broker.createTopic("d", config: TopicConfig())
                await #expect(throws: LogError.self) {
                    _ = try await broker.produce(topic: "d", records: [ProducerRecord(value: [UInt8](repeating: 1, count: (1 << 20) + 1))])
                }
                _ = try await broker.produce(topic: "d", records: [ProducerRecord(value: [UInt8](repeating: 1, count: 1 << 19))])
            }
        }
    }

    @Test func unusableDataDirectoryNamesThePath() async throws {
        try await withTempDirectory { dir in
            // chmod does not stop root, so use a path below a regular file.
            let file = dir + "/plain-file"
            try Data("x".utf8).write(to: URL(fileURLWithPath: file))
            let error = #expect(throws: LogError.self) { _ = try EmbeddedBroker(makeConfig(file + "/data")) }
            #expect(error?.code == .storageError)
            #expect(error?.message.contains(file) == true)
        }
    }

    @Test func invalidNamesAndDuplicates() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                for bad in ["", "a/b", "..", "with space"] {
                    let e = await #expect(throws: LogError.self) { try await broker.createTopic(bad, config: TopicConfig()) }
                    #expect(e?.code == .invalidTopic)
                }
                let p = await #expect(throws: LogError.self) { try await broker.createTopic("z", config: TopicConfig(partitions: 0)) }
                #expect(p?.code == .invalidPartitions)
                try await broker.createTopic("t", config: TopicConfig())
                let dup = await #expect(throws: LogError.self) { try await broker.createTopic("t", config: TopicConfig()) }
                #expect(dup?.code == .topicAlreadyExists)
                let g = await #expect(throws: LogError.self) { _ = try await broker.describeGroup("nobody") }
                #expect(g?.code == .groupIDNotFound)
                #expect(g?.message.contains("'nobody'") == true)
            }
        }
    }

    @Test func secondOpenOfTheSameDirectoryIsRefused() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { _ in
                // flock is per open file description, so a second open in-process conflicts too.
                let e = #expect(throws: LogError.self) { _ = try EmbeddedBroker(makeConfig(dir)) }
                #expect(e?.code == .dataDirLocked)
            }
        }
    }

    @Test func deletedTopicIsGone() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                try await broker.createTopic("t", config: TopicConfig())
                _ = try await broker.produce(topic: "t", records: [record("x")])
                try await broker.deleteTopic("t")
                #expect(try await broker.listTopics().isEmpty)
                #expect(!FileManager.default.fileExists(atPath: dir + "/topics/t"))
                try await broker.createTopic("t", config: TopicConfig(partitions: 1))
                #expect(try await broker.describeTopic("t").partitions[0].latestOffset == 0)
            }
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                let d = try await broker.describeTopic("t")
                #expect(d.partitions.count == 1)
            }
        }
    }
}
