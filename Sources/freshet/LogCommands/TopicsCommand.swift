import ArgumentParser
import Foundation
import FreshetContracts
import FreshetLog
import FreshetStream

/// `freshet topics list|describe|create|delete|tail`.
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "List, describe, create, delete and tail topics of the embedded log.",
        discussion: """
            Examples:
              freshet topics list
              freshet topics describe users_created --json
              freshet topics create audit --partitions 6
              freshet topics tail users_created.dlq -n 5
              freshet topics tail users_created --follow
              freshet topics delete audit
            """,
        subcommands: [List.self, Describe.self, Create.self, Delete.self, Tail.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List topics with partitions and record counts.")
        @OptionGroup var log: LogOptions
        @Flag(help: "Output JSON.") var json = false

        func run() async throws {
            let described = try await log.withReadingBroker { broker in
                var all: [TopicDescription] = []
                for t in try await broker.listTopics() { all.append(try await broker.describeTopic(t)) }
                return all
            }
            if json {
                print(logCLIJSON(described.map(CLIJSON.TopicSummary.init)))
                return
            }
            if described.isEmpty {
                print("no topics in \(log.dataDir)")
                return
            }
            print(
                logCLITable(
                    ["TOPIC", "PARTITIONS", "RECORDS", "BYTES"],
                    described.map { d in
                        [
                            d.name, "\(d.partitions.count)",
                            "\(d.partitions.reduce(Int64(0)) { $0 + $1.latestOffset - $1.earliestOffset })",
                            "\(d.partitions.reduce(Int64(0)) { $0 + $1.sizeBytes })",
                        ]
                    }))
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Partitions with earliest/latest offsets and sizes.")
        @OptionGroup var log: LogOptions
        @Argument(help: "Topic.") var topic: String
        @Flag(help: "Output JSON.") var json = false

        func run() async throws {
            let d = try await log.withReadingBroker { try await $0.describeTopic(topic) }
            if json {
                print(logCLIJSON(CLIJSON.TopicDetail(d)))
                return
            }
            print(
                "topic \(d.name): \(d.partitions.count) partitions, segment \(d.config.segmentBytes) bytes, "
                    + "retention \(d.config.retentionBytes.map { "\($0) bytes" } ?? "unlimited bytes") / "
                    + "\(d.config.retentionMs.map { "\($0) ms" } ?? "unlimited time")")
            print(
                logCLITable(
                    ["PARTITION", "EARLIEST", "LATEST", "RECORDS", "BYTES", "SEGMENTS"],
                    d.partitions.map {
                        [
                            "\($0.partition)", "\($0.earliestOffset)", "\($0.latestOffset)", "\($0.latestOffset - $0.earliestOffset)",
                            "\($0.sizeBytes)", "\($0.segmentCount)",
                        ]
                    }))
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a topic.")
        @OptionGroup var log: LogOptions
        @Argument(help: "Topic.") var topic: String
        @Option(help: "Number of partitions.") var partitions: Int32 = 3
        @Option(name: .customLong("segment-bytes"), help: "Segment size before rolling.") var segmentBytes: Int64 = 64 << 20
        @Option(name: .customLong("retention-bytes"), help: "Per-partition size limit (default unlimited).")
        var retentionBytes: Int64?
        @Option(name: .customLong("retention-ms"), help: "Age limit in ms (default 7 days).")
        var retentionMs: Int64 = 7 * 24 * 3600 * 1000

        func validate() throws {
            guard partitions >= 1 && partitions <= 10_000 else {
                throw ValidationError("--partitions must be 1...10000, got \(partitions)")
            }
            guard segmentBytes >= 1024 && segmentBytes <= Int64(Int32.max) else {
                throw ValidationError("--segment-bytes must be 1024...\(Int32.max), got \(segmentBytes)")
            }
        }

        func run() async throws {
            let config = TopicConfig(
                partitions: partitions, segmentBytes: segmentBytes, retentionBytes: retentionBytes, retentionMs: retentionMs)
            try await log.withBroker { try await $0.createTopic(topic, config: config) }
            print("created topic \(topic) with \(partitions) partitions")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a topic and its data.")
        @OptionGroup var log: LogOptions
        @Argument(help: "Topic.") var topic: String

        func run() async throws {
            try await log.withBroker { try await $0.deleteTopic(topic) }
            print("deleted topic \(topic)")
        }
    }

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the last records of a topic (all partitions).")
        @OptionGroup var log: LogOptions
        @Argument(help: "Topic.") var topic: String
        @Option(name: .short, help: "Number of records.") var n: Int = 20
        @Flag(help: "Keep printing new records.") var follow = false
        @Flag(help: "One JSON object per record.") var json = false

        func validate() throws {
            guard n >= 0 else { throw ValidationError("-n must be at least 0, got \(n)") }
        }

        func run() async throws {
            // Following needs the live log; a one-off tail also works next to a running pipeline.
            if follow {
                try await log.withBroker { try await tail($0) }
            } else {
                try await log.withReadingBroker { try await tail($0) }
            }
        }

        func tail(_ broker: any Broker) async throws {
            let out = StdoutWriter()
            let view = log.recordView(broker: broker)
            do {
                let d = try await broker.describeTopic(topic)
                var last: [ConsumerRecord] = []
                for p in d.partitions where p.latestOffset > p.earliestOffset {
                    let start = Swift.max(p.earliestOffset, p.latestOffset - Int64(n))
                    var offset = start
                    while offset < p.latestOffset {
                        let r = try await broker.fetch(
                            topic: topic, partition: p.partition, offset: offset, maxRecords: n, maxBytes: 8 << 20, maxWait: .zero)
                        if r.records.isEmpty { break }
                        last += r.records
                        offset = r.nextOffset
                    }
                }
                last.sort { ($0.timestamp, $0.partition, $0.offset) < ($1.timestamp, $1.partition, $1.offset) }
                let tail = Array(last.suffix(n))
                for (r, shown) in zip(tail, await view.show(tail.map(\.value))) { out.write(formatRecord(r, json: json, shown: shown)) }
                out.flush()
                guard follow else { return }
                var positions = Dictionary(uniqueKeysWithValues: d.partitions.map { ($0.partition, $0.latestOffset) })
                while !Task.isCancelled {
                    var any = false
                    for p in d.partitions {
                        let r = try await broker.fetch(
                            topic: topic, partition: p.partition, offset: positions[p.partition]!, maxRecords: 5000,
                            maxBytes: 4 << 20, maxWait: .zero)
                        for (rec, shown) in zip(r.records, await view.show(r.records.map(\.value))) {
                            out.write(formatRecord(rec, json: json, shown: shown))
                        }
                        positions[p.partition] = r.nextOffset
                        any = any || !r.records.isEmpty
                    }
                    out.flush()
                    if !any {
                        // Long-poll one partition; any append anywhere wakes it (broker-wide signal).
                        _ = try await broker.fetch(
                            topic: topic, partition: 0, offset: positions[0]!, maxRecords: 0, maxBytes: 0, maxWait: .seconds(1))
                    }
                }
            }
        }
    }
}
