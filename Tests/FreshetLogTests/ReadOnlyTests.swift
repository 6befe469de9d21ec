import Foundation
import FreshetContracts
import Testing

@testable import FreshetLog

@Suite("Read-only open (inspecting a running pipeline's log)")
struct ReadOnlyTests {
    @Test func readsASnapshotWhileTheWriterHoldsTheDirectory() async throws {
        try await withTempDirectory { dir in
            let writer = try EmbeddedBroker(makeConfig(dir))
            try await writer.createTopic("t", config: TopicConfig(partitions: 2))
            _ = try await writer.produce(topic: "t", records: (0..<50).map { record("v\($0)", partition: Int32($0 % 2)) })

            // A second normal open is refused …
            #expect(throws: LogError.self) { try EmbeddedBroker(makeConfig(dir)) }
            // … a read-only one works alongside the writer.
            var config = makeConfig(dir)
            config.readOnly = true
            let reader = try EmbeddedBroker(config)
            #expect(try await reader.listTopics() == ["t"])
            #expect(try await reader.describeTopic("t").partitions.map(\.latestOffset) == [25, 25])
            #expect(try await readAll(reader, "t", 1).map(\.valueString) == stride(from: 1, to: 50, by: 2).map { "v\($0)" })

            // Anything that writes names the read-only directory.
            for attempt in [
                { _ = try await reader.produce(topic: "t", records: [record("x")]) },
                { try await reader.createTopic("u", config: TopicConfig()) },
                { try await reader.commitOffsets(group: "g", offsets: [TopicPartition("t", 0): 1]) },
                { _ = try await reader.makeConsumer(ConsumerConfig(groupID: "g", topics: ["t"])) },
            ] as [@Sendable () async throws -> Void] {
                do {
                    try await attempt()
                    Issue.record("a write through a read-only broker succeeded")
                } catch let error as LogError {
                    #expect(error.code == .readOnly)
                    #expect(error.message.contains(dir))
                }
            }
            try await reader.close()
            try await writer.close()
        }
    }

    @Test func aTornTailIsSkippedNotTruncated() async throws {
        try await withTempDirectory { dir in
            let writer = try EmbeddedBroker(makeConfig(dir))
            try await writer.createTopic("t", config: TopicConfig(partitions: 1))
            _ = try await writer.produce(topic: "t", records: [record("a")])
            _ = try await writer.produce(topic: "t", records: [record("b")])
            try await writer.close()
            // Simulate a batch being appended right now: cut the last batch in half.
            let segment = dir + "/topics/t/0/" + (try FileManager.default.contentsOfDirectory(atPath: dir + "/topics/t/0").first { $0.hasSuffix(".log") }!)
            let layout = try batchLayout(segment)
            let cut = layout[1].position + layout[1].size / 2
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: segment))
            try handle.truncate(atOffset: UInt64(cut))
            try handle.close()

            var config = makeConfig(dir)
            config.readOnly = true
            let values = try await EmbeddedBroker.withBroker(config) { reader in
                try await readAll(reader, "t", 0).map(\.valueString)
            }
            #expect(values == ["a"])
            // The file is untouched: the writer, not a reader, decides what to truncate.
            let size = try FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int
            #expect(size == cut)
        }
    }

    @Test func aMissingDirectoryIsAClearError() async throws {
        var config = makeConfig("/tmp/freshet-no-such-dir-\(UUID().uuidString)")
        config.readOnly = true
        #expect(throws: LogError.self) { try EmbeddedBroker(config) }
    }
}
