import Foundation
import FreshetContracts
import FreshetCore
import Logging
import Synchronization
import Testing

@testable import FreshetLog

@Suite struct StorageTests {
    @Test(arguments: [Durability.none, .everyBatch, .interval(.milliseconds(5))])
    func produceConsumeRoundTripAcrossRestarts(_ durability: Durability) async throws {
        try await withTempDirectory { dir in
            let headers = [RecordHeader(key: "source", value: Array("test".utf8))]
            try await EmbeddedBroker.withBroker(makeConfig(dir, durability: durability)) { broker in
                try await broker.createTopic("users", config: TopicConfig(partitions: 3))
                for batch in 0..<5 {
                    let records = (0..<20).map { i in
                        ProducerRecord(
                            key: Array("user-\(i)".utf8), value: Array("b\(batch)-r\(i)".utf8), headers: headers,
                            timestamp: 1_700_000_000_000 + Int64(i))
                    }
                    let meta = try await broker.produce(topic: "users", records: records)
                    #expect(meta.count == 20)
                }
            }
            // Reopen: everything is there, in order, with keys, headers and timestamps.
            try await EmbeddedBroker.withBroker(makeConfig(dir, durability: durability)) { broker in
                #expect(try await broker.listTopics() == ["users"])
                var all: [ConsumerRecord] = []
                for p in 0..<3 { all += try await readAll(broker, "users", Int32(p)) }
                #expect(all.count == 100)
                for r in all {
                    let key = String(decoding: r.key ?? [], as: UTF8.self)
                    #expect(r.partition == kafkaPartition(forKey: r.key!, partitionCount: 3))
                    #expect(r.valueString.hasSuffix("-r" + key.dropFirst(5)))
                    #expect(r.headers == headers)
                    #expect(r.timestamp >= 1_700_000_000_000)
                }
                for p in 0..<3 {
                    let offsets = all.filter { $0.partition == p }.map(\.offset)
                    #expect(offsets == Array(0..<Int64(offsets.count)))
                }
                // Appending after a restart continues the offsets.
                let meta = try await broker.produce(topic: "users", records: [record("late", partition: 1)])
                #expect(meta[0].offset == Int64(all.filter { $0.partition == 1 }.count))
            }
        }
    }

    @Test func groupOffsetsSurviveRestart() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                try await broker.createTopic("t", config: TopicConfig(partitions: 2))
                _ = try await broker.produce(topic: "t", records: (0..<10).map { record("v\($0)", partition: Int32($0 % 2)) })
                let c = try await broker.makeConsumer(ConsumerConfig(groupID: "g", topics: ["t"]))
                let got = try await c.poll(maxRecords: 6, maxBytes: nil, maxWait: .zero)
                #expect(got.count == 6)
                try await c.commit()
                try await c.close()
            }
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                let committed = try await broker.committedOffsets(group: "g")
                #expect(committed.values.reduce(0, +) == 6)
                let c = try await broker.makeConsumer(ConsumerConfig(groupID: "g", topics: ["t"]))
                var rest: [ConsumerRecord] = []
                while true {
                    let r = try await c.poll(maxRecords: nil, maxBytes: nil, maxWait: .zero)
                    if r.isEmpty { break }
                    rest += r
                }
                #expect(rest.count == 4)
                let d = try await broker.describeGroup("g")
                #expect(d.offsets.compactMap(\.lag).reduce(0, +) == 4)
                try await c.close()
            }
        }
    }

    @Test func tornTailAtEveryBytePositionOfTheLastBatch() async throws {
        try await withTempDirectory { dir in
            let batches = 6
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                try await broker.createTopic("t", config: TopicConfig(partitions: 1))
                for b in 0..<batches {
                    _ = try await broker.produce(topic: "t", records: (0..<3).map { record("batch\(b)-\($0)", key: "k\($0)") })
                }
            }
            let segment = dir + "/topics/t/0/" + paddedOffset(0) + ".log"
            let original = try Data(contentsOf: URL(fileURLWithPath: segment))
            let layout = try batchLayout(segment)
            #expect(layout.count == batches)
            let last = layout[layout.count - 1]
            #expect(last.position + last.size == original.count)
            for cut in last.position..<(last.position + last.size) {
                try original.prefix(cut).write(to: URL(fileURLWithPath: segment))
                let capture = LogCapture()
                try await EmbeddedBroker.withBroker(makeConfig(dir, logger: capture.logger)) { broker in
                    let records = try await readAll(broker, "t", 0)
                    #expect(records.count == (batches - 1) * 3, "cut at \(cut)")
                    #expect(records.last?.valueString == "batch\(batches - 2)-2", "cut at \(cut)")
                    if cut > last.position {
                        #expect(capture.contains("torn tail", level: .warning), "cut at \(cut) not reported")
                    }
                    // The partition is writable again at the right offset.
                    let meta = try await broker.produce(topic: "t", records: [record("again")])
                    #expect(meta[0].offset == Int64((batches - 1) * 3))
                }
            }
        }
    }

    @Test func flippedByteInAMiddleBatchTruncatesTheSegmentThere() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                try await broker.createTopic("t", config: TopicConfig(partitions: 1))
                for b in 0..<10 {
                    _ = try await broker.produce(topic: "t", records: (0..<4).map { record("batch\(b)-value\($0)", partition: 0) })
                }
            }
            let segment = dir + "/topics/t/0/" + paddedOffset(0) + ".log"
            let layout = try batchLayout(segment)
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: segment)))
            let victim = layout[5]
            bytes[victim.position + victim.size - 10] ^= 0x40  // inside a record value
            try Data(bytes).write(to: URL(fileURLWithPath: segment))

            let capture = LogCapture()
            try await EmbeddedBroker.withBroker(makeConfig(dir, logger: capture.logger)) { broker in
                // As Kafka's log recovery does: the bad batch and everything after it are
                // dropped, and the drop is reported with where and why.
                #expect(capture.contains("corrupt record batch", level: .error))
                #expect(
                    capture.messages.withLock { m in
                        m.contains { $0.2["reason"]?.description == "CRC-32C mismatch" && $0.2["position"]?.description == "\(victim.position)" }
                    })
                let first = try await broker.fetch(
                    topic: "t", partition: 0, offset: 0, maxRecords: 1000, maxBytes: 1 << 20, maxWait: .zero)
                #expect(first.records.count == 20)
                #expect(first.records.allSatisfy { !$0.valueString.hasPrefix("batch5") })
                #expect(try await broker.describeTopic("t").partitions[0].latestOffset == 20)
                #expect(try Data(contentsOf: URL(fileURLWithPath: segment)).count == victim.position)
                // New records continue at the cut.
                let meta = try await broker.produce(topic: "t", records: [record("after", partition: 0)])
                #expect(meta[0].offset == 20)
            }
            let again = LogCapture()
            try await EmbeddedBroker.withBroker(makeConfig(dir, logger: again.logger)) { broker in
                #expect(!again.contains("corrupt"))
                let records = try await readAll(broker, "t", 0)
                #expect(records.map(\.valueString).last == "after")
            }
        }
    }

    @Test func concurrentProducersKeepPerPartitionOrder() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir, durability: .interval(.milliseconds(2)))) { broker in
                try await broker.createTopic("t", config: TopicConfig(partitions: 4, segmentBytes: 16 << 10))
                let producers = 6
                let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                    for p in 0..<producers {
                        group.addTask {
                            var rng = SystemRandomNumberGenerator()
                            var seq = 0
                            for _ in 0..<Int.random(in: 20...40, using: &rng) {
                                let n = Int.random(in: 1...15, using: &rng)
                                let records = (0..<n).map { _ -> ProducerRecord in
                                    defer { seq += 1 }
                                    let key = "p\(p)-k\(Int.random(in: 0..<7, using: &rng))"
                                    return record("\(p):\(seq)", key: key)
                                }
                                let meta = try await broker.produce(topic: "t", records: records)
                                #expect(meta.count == n)
                            }
                            return seq
                        }
                    }
                    var total = 0
                    for try await c in group { total += c }
                    return total
                }
                var seen = 0
                for partition in Int32(0)..<4 {
                    let records = try await readAll(broker, "t", partition)
                    seen += records.count
                    var lastSeq: [String: Int] = [:]  // per producer and per key
                    for r in records {
                        #expect(r.partition == kafkaPartition(forKey: r.key!, partitionCount: 4))
                        let parts = r.valueString.split(separator: ":")
                        let producer = String(parts[0])
                        let seq = Int(parts[1])!
                        let key = String(decoding: r.key!, as: UTF8.self)
                        #expect(seq > (lastSeq[producer] ?? -1), "producer \(producer) out of order in partition \(partition)")
                        #expect(seq > (lastSeq[key] ?? -1), "key \(key) out of order")
                        lastSeq[producer] = seq
                        lastSeq[key] = seq
                    }
                }
                #expect(seen == counts)
            }
        }
    }

    @Test func retentionDeletesOldSegmentsAndLaggingConsumerResets() async throws {
        try await withTempDirectory { dir in
            let capture = LogCapture()
            try await EmbeddedBroker.withBroker(makeConfig(dir, logger: capture.logger)) { broker in
                let config = TopicConfig(partitions: 1, segmentBytes: 2048, retentionBytes: 4096, retentionMs: nil)
                try await broker.createTopic("t", config: config)
                _ = try await broker.produce(topic: "t", records: (0..<10).map { record("early-\($0)") })
                let behind = try await broker.makeConsumer(ConsumerConfig(groupID: "slow", topics: ["t"]))
                let firstPoll = try await behind.poll(maxRecords: 3, maxBytes: nil, maxWait: .zero)
                #expect(firstPoll.map(\.offset) == [0, 1, 2])
                try await behind.commit()
                try await behind.close()
                // A live consumer (other group) whose in-memory position retention will remove.
                let live = try await broker.makeConsumer(ConsumerConfig(groupID: "live", topics: ["t"]))
                #expect(try await live.poll(maxRecords: 2, maxBytes: nil, maxWait: .zero).map(\.offset) == [0, 1])

                let payload = String(repeating: "x", count: 200)
                for i in 0..<100 { _ = try await broker.produce(topic: "t", records: [record("\(i)-\(payload)")]) }
                let d = try await broker.describeTopic("t").partitions[0]
                #expect(d.earliestOffset > 3)
                #expect(d.sizeBytes < 4096 + 2048 + 512)
                let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/topics/t/0")
                #expect(!files.contains(paddedOffset(0) + ".log"))
                #expect(capture.contains("retention deleted segment"))

                let resumed = try await live.poll(maxRecords: 1, maxBytes: nil, maxWait: .zero)
                #expect(resumed.first?.offset == d.earliestOffset)
                #expect(capture.contains("consumer position reset"))
                #expect(capture.messages.withLock { $0.contains { "\($0.2["reason"] ?? "")".contains("position 2 is out of range") } })
                try await live.close()

                // A raw fetch of a removed offset throws the typed error.
                let error = await #expect(throws: LogError.self) {
                    _ = try await broker.fetch(topic: "t", partition: 0, offset: 3, maxRecords: 1, maxBytes: 1 << 20, maxWait: .zero)
                }
                #expect(error?.code == .offsetOutOfRange)
                #expect(error?.message.contains("offset 3") == true)

                // The group's consumer resets per its policy (earliest) and says so.
                let again = try await broker.makeConsumer(ConsumerConfig(groupID: "slow", topics: ["t"]))
                let next = try await again.poll(maxRecords: 1, maxBytes: nil, maxWait: .zero)
                #expect(next.first?.offset == d.earliestOffset)
                #expect(capture.contains("consumer position reset"))
                try await again.close()

                let latest = try await broker.makeConsumer(
                    {
                        var c = ConsumerConfig(groupID: "slow", topics: ["t"], resetPolicy: .latest)
                        c.maxWait = .zero
                        return c
                    }())
                #expect(try await latest.poll().isEmpty)
                try await latest.close()
            }
        }
    }

    @Test func retentionByAgeUsesTheInjectedClock() async throws {
        try await withTempDirectory { dir in
            let clock = Mutex<Int64>(1_000_000)
            var config = makeConfig(dir)
            config.now = { clock.withLock { $0 } }
            try await EmbeddedBroker.withBroker(config) { broker in
                try await broker.createTopic("t", config: TopicConfig(partitions: 1, segmentBytes: 1024, retentionMs: 60_000))
                for _ in 0..<20 { _ = try await broker.produce(topic: "t", records: [record(String(repeating: "a", count: 200))]) }
                let before = try await broker.describeTopic("t").partitions[0]
                #expect(before.segmentCount > 2)
                try broker.enforceRetention()
                #expect(try await broker.describeTopic("t").partitions[0].segmentCount == before.segmentCount)
                clock.withLock { $0 += 61_000 }
                try broker.enforceRetention()
                let after = try await broker.describeTopic("t").partitions[0]
                #expect(after.segmentCount == 1)  // only the active segment survives
                #expect(after.latestOffset == 20)
            }
        }
    }
}
