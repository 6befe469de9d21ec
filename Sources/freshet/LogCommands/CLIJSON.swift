import FreshetContracts
import FreshetCore

/// The `--json` answers of the log, group and dead-letter commands, as Codable types (keys
/// sorted; an absent value is `null`).
enum CLIJSON {
    /// `freshet topics list --json`, one per topic.
    struct TopicSummary: Encodable {
        var topic: String
        var partitions: Int
        var records: Int64
        var bytes: Int64

        init(_ d: TopicDescription) {
            topic = d.name
            partitions = d.partitions.count
            records = d.partitions.reduce(Int64(0)) { $0 + $1.latestOffset - $1.earliestOffset }
            bytes = d.partitions.reduce(Int64(0)) { $0 + $1.sizeBytes }
        }
    }

    /// `freshet topics describe --json`.
    struct TopicDetail: Encodable {
        struct Config: Encodable {
            var partitions: Int32
            var segmentBytes: Int64
            @NullEncoded var retentionBytes: Int64?
            @NullEncoded var retentionMs: Int64?
            var maxRecordBytes: Int
        }

        struct Partition: Encodable {
            var partition: Int32
            var earliestOffset: Int64
            var latestOffset: Int64
            var bytes: Int64
            var segments: Int
        }

        var topic: String
        var config: Config
        var partitions: [Partition]

        init(_ d: TopicDescription) {
            topic = d.name
            config = Config(
                partitions: d.config.partitions, segmentBytes: d.config.segmentBytes, retentionBytes: d.config.retentionBytes,
                retentionMs: d.config.retentionMs, maxRecordBytes: d.config.maxRecordBytes)
            partitions = d.partitions.map {
                Partition(
                    partition: $0.partition, earliestOffset: $0.earliestOffset, latestOffset: $0.latestOffset, bytes: $0.sizeBytes, segments: $0.segmentCount)
            }
        }
    }

    /// `freshet groups list --json`, one per group.
    struct GroupSummary: Encodable {
        var group: String
        var topics: String
        var lag: Int64
    }

    /// `freshet groups describe|reset-offsets --json`.
    struct GroupDetail: Encodable {
        struct Offset: Encodable {
            var topic: String
            var partition: Int32
            @NullEncoded var committed: Int64?
            var latest: Int64
            @NullEncoded var lag: Int64?
        }

        var group: String
        var state: String
        var offsets: [Offset]

        init(_ d: GroupDescription) {
            group = d.groupID
            state = d.state
            offsets = d.offsets.map {
                Offset(topic: $0.topic, partition: $0.partition, committed: $0.committedOffset, latest: $0.latestOffset, lag: $0.lag)
            }
        }
    }

    /// `freshet dlq list --json`, one line per dead letter.
    struct DeadLetterLine: Encodable {
        var code: String
        var reason: String
        var sourceTopic: String
        var sourcePartition: Int
        var sourceOffset: Int
        var timestamp: Int
        var value: String

        enum CodingKeys: String, CodingKey {
            case code, reason, sourceTopic = "source_topic", sourcePartition = "source_partition", sourceOffset = "source_offset", timestamp, value
        }
    }
}
