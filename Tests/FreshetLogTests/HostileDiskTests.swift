import Foundation
import FreshetContracts
import FreshetCore
import Logging
import Synchronization
import Testing

@testable import FreshetLog

/// What the log reads back from disk — segments, indexes, topic.json, group files — may be
/// damaged or written by someone else: opening and reading must end in data or a `LogError`,
/// never a trap.
@Suite struct HostileDiskTests {
    /// Ten batches of four records in partition 0 of "t".
    static func tenBatches(_ dir: String, config: TopicConfig = TopicConfig(partitions: 1), count: Int = 10) async throws {
        try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
            try await broker.createTopic("t", config: config)
            for b in 0..<count {
                _ = try await broker.produce(topic: "t", records: (0..<4).map { record("batch\(b)-value\($0)", partition: 0) })
            }
        }
    }

    static func patch(_ path: String, at position: Int, _ value: some FixedWidthInteger) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (i, b) in raw.enumerated() { bytes[position + i] = b }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The base offset is not covered by the CRC. Before, recovery kept such a batch and the
    /// next read (or `freshet up`) trapped computing its last offset.
    @Test(
        "a corrupt baseOffset in a middle batch: recovery truncates there, earlier records read back, appends continue",
        arguments: [Int64.max, Int64.max - 2, -1, Int64.min, 19, 21, 1_000_000])
    func corruptBaseOffsetInAMiddleBatch(_ base: Int64) async throws {
        try await withTempDirectory { dir in
            try await Self.tenBatches(dir)
            let segment = dir + "/topics/t/0/" + paddedOffset(0) + ".log"
            let layout = try batchLayout(segment)
            try Self.patch(segment, at: layout[5].position, base)

            let capture = LogCapture()
            try await EmbeddedBroker.withBroker(makeConfig(dir, logger: capture.logger)) { broker in
                #expect(capture.contains("corrupt record batch", level: .error))
                #expect(
                    capture.messages.withLock { m in
                        m.contains { ($0.2["reason"]?.description ?? "").contains("baseOffset") }
                    })
                let records = try await readAll(broker, "t", 0)
                #expect(records.map(\.offset) == Array(0..<20))
                #expect(records.last?.valueString == "batch4-value3")
                #expect(try await broker.describeTopic("t").partitions[0].latestOffset == 20)
                let meta = try await broker.produce(topic: "t", records: [record("new", partition: 0)])
                #expect(meta[0].offset == 20)
                #expect(try await readAll(broker, "t", 0).last?.valueString == "new")
            }
        }
    }

    /// Rewritten with a matching CRC, as a buggy writer would: only the structure check can
    /// tell.
    @Test(
        "a wrong recordCount or firstTimestamp in a middle batch is truncated there too",
        arguments: [
            ("recordCount", 20, UInt32(0xFFFF_FFFF)), ("recordCount", 20, UInt32(3)), ("firstTimestamp", 24, UInt32(7)),
        ])
    func otherFieldsTheCRCCovers(_ what: String, _ offset: Int, _ value: UInt32) async throws {
        try await withTempDirectory { dir in
            try await Self.tenBatches(dir)
            let segment = dir + "/topics/t/0/" + paddedOffset(0) + ".log"
            let victim = try batchLayout(segment)[5]
            try Self.patch(segment, at: victim.position + offset, value)
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: segment)))
            let crc = bytes.withUnsafeBytes {
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(victim.position + 16)..<(victim.position + victim.size)]))
            }
            withUnsafeBytes(of: crc.littleEndian) { for (i, b) in $0.enumerated() { bytes[victim.position + 12 + i] = b } }
            try Data(bytes).write(to: URL(fileURLWithPath: segment))

            let capture = LogCapture()
            try await EmbeddedBroker.withBroker(makeConfig(dir, logger: capture.logger)) { broker in
                let reported = capture.contains("corrupt record batch", level: .error)
                #expect(reported)
                let records = try await readAll(broker, "t", 0)
                #expect(records.count == 20)
                let meta = try await broker.produce(topic: "t", records: [record("x", partition: 0)])
                #expect(meta[0].offset == 20)
            }
        }
    }

    @Test("a sealed segment with a corrupt baseOffset: reads of it fail with CORRUPT_MESSAGE, the next segment reads")
    func corruptBaseOffsetInASealedSegment() async throws {
        try await withTempDirectory { dir in
            // 1 KiB segments: the batches spread over several files.
            try await Self.tenBatches(dir, config: TopicConfig(partitions: 1, segmentBytes: 1024), count: 40)
            let files = try FS.list(dir + "/topics/t/0").filter { $0.hasSuffix(".log") }
            #expect(files.count >= 3)
            let sealed = dir + "/topics/t/0/" + files[0]
            let layout = try batchLayout(sealed)
            #expect(layout.count >= 2)
            try Self.patch(sealed, at: layout[1].position, Int64.max)

            let capture = LogCapture()
            try await EmbeddedBroker.withBroker(makeConfig(dir, logger: capture.logger)) { broker in
                #expect(capture.contains("inconsistent sealed log segment", level: .error))
                let error = await #expect(throws: LogError.self) {
                    _ = try await broker.fetch(topic: "t", partition: 0, offset: 4, maxRecords: 100, maxBytes: 1 << 20, maxWait: .zero)
                }
                #expect(error?.code == .corruptMessage)
                #expect(error?.message.contains(files[0]) == true)
                // The first batch and the later segments still read.
                let first = try await broker.fetch(topic: "t", partition: 0, offset: 0, maxRecords: 100, maxBytes: 1 << 20, maxWait: .zero)
                #expect(first.records.map(\.offset) == [0, 1, 2, 3])
                let secondBase = try #require(Int64(files[1].dropLast(4)))
                let later = try await broker.fetch(
                    topic: "t", partition: 0, offset: secondBase, maxRecords: 100, maxBytes: 1 << 20, maxWait: .zero)
                #expect(later.records.first?.offset == secondBase)
            }
        }
    }

    @Test("a garbage index is ignored: recovery and reads fall back to scanning")
    func garbageIndex() async throws {
        try await withTempDirectory { dir in
            var config = makeConfig(dir)
            config.indexIntervalBytes = 64  // an entry for nearly every batch
            try await EmbeddedBroker.withBroker(config) { broker in
                try await broker.createTopic("t", config: TopicConfig(partitions: 1))
                for b in 0..<10 {
                    _ = try await broker.produce(topic: "t", records: (0..<4).map { record("batch\(b)-value\($0)", partition: 0) })
                }
            }
            let index = dir + "/topics/t/0/" + paddedOffset(0) + ".index"
            var garbage: [UInt8] = []
            // Relative offsets and positions that point into the middle of batches, past the
            // end, or at the maximum.
            for (rel, pos) in [(UInt32(1), UInt32(7)), (3, 100), (0xFFFF_FFFF, 200), (40, 0xFFFF_FFF0)] {
                withUnsafeBytes(of: rel.littleEndian) { garbage += $0 }
                withUnsafeBytes(of: pos.littleEndian) { garbage += $0 }
            }
            try Data(garbage).write(to: URL(fileURLWithPath: index))
            try await EmbeddedBroker.withBroker(config) { broker in
                let records = try await readAll(broker, "t", 0)
                #expect(records.map(\.offset) == Array(0..<40))
                for start in [Int64(0), 1, 13, 39] {
                    let r = try await broker.fetch(topic: "t", partition: 0, offset: start, maxRecords: 1, maxBytes: 1 << 20, maxWait: .zero)
                    #expect(r.records.first?.offset == start)
                }
            }
        }
    }

    @Test("segment files not named as the log names them are ignored")
    func strangeSegmentNames() async throws {
        try await withTempDirectory { dir in
            try await Self.tenBatches(dir)
            let partition = dir + "/topics/t/0/"
            for name in ["-5.log", "5.log", "9223372036854775807.log", "99999999999999999999.log", "+0000000000000000001.log"] {
                try Data([1, 2, 3]).write(to: URL(fileURLWithPath: partition + name))
            }
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                let records = try await readAll(broker, "t", 0)
                #expect(records.count == 40)
                let description = try await broker.describeTopic("t")
                #expect(description.partitions[0].segmentCount == 1)
            }
        }
    }

    @Test(
        "an invalid topic.json is a KAFKA_STORAGE_ERROR naming the field",
        arguments: [
            (#"{"partitions":-3,"segmentBytes":1048576,"maxRecordBytes":1024}"#, "partitions"),
            (#"{"partitions":2000000000,"segmentBytes":1048576,"maxRecordBytes":1024}"#, "partitions"),
            (#"{"partitions":1,"segmentBytes":-1,"maxRecordBytes":1024}"#, "segmentBytes"),
            (#"{"partitions":1,"segmentBytes":1048576,"maxRecordBytes":1024,"retentionMs":-9223372036854775808}"#, "retentionMs"),
            (#"{"partitions":1,"segmentBytes":1048576,"maxRecordBytes":0}"#, "maxRecordBytes"),
        ])
    func invalidTopicConfig(_ json: String, _ field: String) async throws {
        try await withTempDirectory { dir in
            try await Self.tenBatches(dir)
            try Data(json.utf8).write(to: URL(fileURLWithPath: dir + "/topics/t/topic.json"))
            let error = #expect(throws: LogError.self) { _ = try EmbeddedBroker(makeConfig(dir)) }
            #expect(error?.code == .storageError)
            #expect(error?.context["field"] == field)
            #expect(error?.message.contains("topic.json") == true)
        }
    }

    @Test(
        "an invalid committed offset in a group file is a KAFKA_STORAGE_ERROR naming the field",
        arguments: [
            (#"{"group":"g","offsets":[{"topic":"t","partition":0,"offset":-9223372036854775808}]}"#, "offset"),
            (#"{"group":"g","offsets":[{"topic":"t","partition":-1,"offset":3}]}"#, "partition"),
            (#"{"group":"g","offsets":[{"topic":"../x","partition":0,"offset":3}]}"#, "topic"),
        ])
    func invalidGroupFile(_ json: String, _ field: String) async throws {
        try await withTempDirectory { dir in
            try await Self.tenBatches(dir)
            try Data(json.utf8).write(to: URL(fileURLWithPath: dir + "/groups/g.json"))
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                let error = await #expect(throws: LogError.self) { _ = try await broker.committedOffsets(group: "g") }
                #expect(error?.code == .storageError)
                #expect(error?.context["field"] == field)
                // describeGroup used to compute the lag as `end - offset`: no trap either.
                await #expect(throws: LogError.self) { _ = try await broker.describeGroup("g") }
            }
        }
    }

    @Test("records the on-disk format cannot hold are refused before anything is written")
    func unrepresentableRecords() async throws {
        try await withTempDirectory { dir in
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                try await broker.createTopic("t", config: TopicConfig(partitions: 1))
                let manyHeaders = ProducerRecord(value: [1], headers: Array(repeating: RecordHeader(key: "", value: []), count: 65_536))
                let longKey = ProducerRecord(value: [1], headers: [RecordHeader(key: String(repeating: "k", count: 65_536), value: [])])
                for r in [manyHeaders, longKey] {
                    let error = await #expect(throws: LogError.self) { _ = try await broker.produce(topic: "t", records: [r]) }
                    #expect(error?.code == .messageTooLarge)
                }
                #expect(try await broker.describeTopic("t").partitions[0].latestOffset == 0)
            }
        }
    }

    @Test("a fetch with maxBytes Int.max does not overflow")
    func hugeMaxBytes() async throws {
        try await withTempDirectory { dir in
            try await Self.tenBatches(dir)
            try await EmbeddedBroker.withBroker(makeConfig(dir)) { broker in
                let r = try await broker.fetch(topic: "t", partition: 0, offset: 0, maxRecords: .max, maxBytes: .max, maxWait: .zero)
                #expect(r.records.count == 40)
            }
        }
    }

    @Test("a batch header whose offsets or counts cannot be right is implausible")
    func headerPlausibility() {
        let good = BatchFormat.Header(
            baseOffset: 10, length: 28 + 22 * 2, crc: 0, magic: 1, attributes: 0, reserved: 0, recordCount: 2,
            firstTimestamp: 1, maxTimestamp: 2)
        #expect(good.problem == nil)
        #expect(good.lastOffset == 11)
        var h = good
        h.baseOffset = .max - 1
        #expect(h.problem?.contains("baseOffset") == true)
        #expect(h.lastOffset == .max)  // computed without trapping
        h = good
        h.baseOffset = -1
        #expect(h.problem?.contains("negative") == true)
        h = good
        h.recordCount = 3
        #expect(h.problem?.contains("recordCount") == true)
        h = good
        h.recordCount = .max
        #expect(h.problem != nil)
        h = good
        h.firstTimestamp = 3
        #expect(h.problem?.contains("Timestamp") == true)
        h = good
        h.length = .max
        #expect(h.problem?.contains("length") == true)
    }
}
