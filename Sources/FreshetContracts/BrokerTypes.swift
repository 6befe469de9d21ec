/// A record header: a string key and a byte value (Kafka allows duplicate keys).
public struct RecordHeader: Sendable, Hashable {
    public var key: String
    public var value: [UInt8]
    public init(key: String, value: [UInt8]) {
        self.key = key
        self.value = value
    }
}

/// A record to append.
public struct ProducerRecord: Sendable, Hashable {
    /// Partitioning key; `nil` means keyless (sticky partitioning).
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [RecordHeader]
    /// Milliseconds since the Unix epoch; `nil` means "now" at append time.
    public var timestamp: Int64?
    /// An explicit partition; `nil` lets the partitioner choose (murmur2 of the key).
    public var partition: Int32?

    public init(
        key: [UInt8]? = nil, value: [UInt8], headers: [RecordHeader] = [], timestamp: Int64? = nil,
        partition: Int32? = nil
    ) {
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.partition = partition
    }
}

/// Where a produced record landed.
public struct RecordMetadata: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var timestamp: Int64

    public init(topic: String, partition: Int32, offset: Int64, timestamp: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
    }
}

/// A record read back from a partition.
///
/// Offsets: a record handed out by a `BrokerConsumer` or a `fetch` — of the embedded log or
/// of `KafkaBroker` — has `0 <= offset < Int64.max`, so `offset + 1` (the position after it,
/// what a consumer commits) never overflows, and one partition's records come in strictly
/// increasing offset order. Both brokers check this on what they read (the embedded log on
/// disk, the Kafka client on the wire) and report a violation as an error naming the field
/// (`CORRUPT_MESSAGE`, `KafkaRecordsError`, `KafkaProtocolError`) instead of handing the
/// record out.
public struct ConsumerRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    /// `0 <= offset < Int64.max` (see above).
    public var offset: Int64
    public var timestamp: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [RecordHeader]

    public init(topic: String, partition: Int32, offset: Int64, timestamp: Int64, key: [UInt8]?, value: [UInt8], headers: [RecordHeader]) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// A topic and a partition number.
public struct TopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }
    public static func < (a: TopicPartition, b: TopicPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }
    public var description: String { "\(topic)/\(partition)" }
}

/// Per-topic settings.
public struct TopicConfig: Sendable, Hashable, Codable {
    /// Number of partitions, 1...10,000. Defaults to 3.
    public var partitions: Int32 = 3
    /// A segment file rolls when the next batch would take it past this size; 1 KiB...2 GiB
    /// (positions in a segment are u32). Defaults to 64 MiB.
    public var segmentBytes: Int64 = 64 << 20
    /// Delete the oldest whole segments while the partition is larger than this; `nil` keeps
    /// everything (Kafka's `retention.bytes = -1`); not negative. Defaults to `nil`.
    public var retentionBytes: Int64? = nil
    /// Delete whole segments whose newest record is older than this many milliseconds; `nil`
    /// keeps everything; not negative. Defaults to 7 days (Kafka's `retention.ms`).
    public var retentionMs: Int64? = 7 * 24 * 3600 * 1000
    /// Largest record (key + value + headers) accepted; 1 byte...1 GiB. Defaults to 1 MiB.
    public var maxRecordBytes: Int = 1 << 20

    public init(
        partitions: Int32 = 3, segmentBytes: Int64 = 64 << 20, retentionBytes: Int64? = nil,
        retentionMs: Int64? = 7 * 24 * 3600 * 1000, maxRecordBytes: Int = 1 << 20
    ) {
        self.partitions = partitions
        self.segmentBytes = segmentBytes
        self.retentionBytes = retentionBytes
        self.retentionMs = retentionMs
        self.maxRecordBytes = maxRecordBytes
    }

    /// The first setting out of range, with its field name: partitions 1...10000,
    /// segmentBytes 1 KiB...2 GiB (positions in a segment are u32), retention ≥ 0,
    /// maxRecordBytes 1 byte...1 GiB. Checked on create and on every open (`topic.json`).
    public var problem: (field: String, message: String)? {
        if !(1...10_000).contains(partitions) { return ("partitions", "partitions must be 1...10000, got \(partitions)") }
        if !(1024...Int64(Int32.max)).contains(segmentBytes) {
            return ("segmentBytes", "segmentBytes must be 1 KiB...2 GiB, got \(segmentBytes)")
        }
        if let retentionBytes, retentionBytes < 0 { return ("retentionBytes", "retentionBytes must not be negative, got \(retentionBytes)") }
        if let retentionMs, retentionMs < 0 { return ("retentionMs", "retentionMs must not be negative, got \(retentionMs)") }
        if !(1...(1 << 30)).contains(maxRecordBytes) {
            return ("maxRecordBytes", "maxRecordBytes must be 1 byte...1 GiB, got \(maxRecordBytes)")
        }
        return nil
    }
}

/// One partition of a described topic.
public struct PartitionDescription: Sendable, Hashable {
    public var partition: Int32
    /// First offset still stored (Kafka's log start offset).
    public var earliestOffset: Int64
    /// Offset the next record will get and the end of what consumers can read (high watermark).
    public var latestOffset: Int64
    /// Bytes on disk.
    public var sizeBytes: Int64
    public var segmentCount: Int

    public init(partition: Int32, earliestOffset: Int64, latestOffset: Int64, sizeBytes: Int64, segmentCount: Int) {
        self.partition = partition
        self.earliestOffset = earliestOffset
        self.latestOffset = latestOffset
        self.sizeBytes = sizeBytes
        self.segmentCount = segmentCount
    }
}

/// A described topic.
public struct TopicDescription: Sendable, Hashable {
    public var name: String
    public var config: TopicConfig
    public var partitions: [PartitionDescription]

    public init(name: String, config: TopicConfig, partitions: [PartitionDescription]) {
        self.name = name
        self.config = config
        self.partitions = partitions
    }
}

/// The result of a raw partition fetch.
public struct FetchResult: Sendable, Hashable {
    public var records: [ConsumerRecord]
    /// End of readable data when the fetch ran.
    public var highWatermark: Int64
    /// First offset still stored.
    public var logStartOffset: Int64
    /// The offset to fetch next.
    public var nextOffset: Int64

    public init(records: [ConsumerRecord], highWatermark: Int64, logStartOffset: Int64, nextOffset: Int64) {
        self.records = records
        self.highWatermark = highWatermark
        self.logStartOffset = logStartOffset
        self.nextOffset = nextOffset
    }
}

/// Where a consumer starts when its group has no committed offset for a partition
/// (or the committed offset was removed by retention).
public enum OffsetResetPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    case earliest, latest
    /// Throw `OFFSET_OUT_OF_RANGE`/`NO_OFFSET_RESET_POLICY` instead of resetting.
    case none
}

/// Where to move a group's committed offsets, or where a consumer should seek.
public enum OffsetSpec: Sendable, Hashable {
    case earliest, latest
    case offset(Int64)
}

/// Settings for a group consumer.
public struct ConsumerConfig: Sendable {
    /// The consumer group. Consumers of one group split the partitions (range assignment).
    public var groupID: String
    /// Topics to subscribe to.
    public var topics: [String]
    /// Where to start without a committed offset. Defaults to `.earliest`.
    public var resetPolicy: OffsetResetPolicy = .earliest
    /// Most records one `poll` returns. Defaults to 500 (Kafka's `max.poll.records`).
    public var maxPollRecords: Int = 500
    /// Most value+key bytes one `poll` returns (at least one record is always returned).
    /// Defaults to 1 MiB.
    public var maxPollBytes: Int = 1 << 20
    /// How long `poll` waits for data when none is available. Defaults to 500 ms.
    public var maxWait: Duration = .milliseconds(500)
    /// When a rebalance takes partitions away, commit this consumer's position (the offset after
    /// the last record `poll` returned) for them before releasing them, as Kafka's consumer does
    /// in `onPartitionsRevoked`. Because the next `poll` is what learns of the revocation, the
    /// records returned by the previous `poll` count as processed. Defaults to `true`.
    public var commitOnRevoke: Bool = true
    /// How long the group waits for an owner to release a revoked partition (by polling or
    /// closing) before moving it anyway (Kafka's `max.poll.interval.ms`). Defaults to 30 s.
    public var rebalanceTimeout: Duration = .seconds(30)
    /// A readable prefix for the member id. Defaults to `"consumer"`.
    public var clientID: String = "consumer"

    public init(groupID: String, topics: [String], resetPolicy: OffsetResetPolicy = .earliest) {
        self.groupID = groupID
        self.topics = topics
        self.resetPolicy = resetPolicy
    }
}

/// A group's committed offset and lag for one partition.
public struct GroupPartitionOffset: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var committedOffset: Int64?
    public var latestOffset: Int64
    /// `latestOffset - committedOffset`; `nil` without a committed offset.
    public var lag: Int64?
    /// Member currently owning the partition, if any.
    public var owner: String?

    public init(topic: String, partition: Int32, committedOffset: Int64?, latestOffset: Int64, lag: Int64?, owner: String?) {
        self.topic = topic
        self.partition = partition
        self.committedOffset = committedOffset
        self.latestOffset = latestOffset
        self.lag = lag
        self.owner = owner
    }
}

/// A described consumer group.
public struct GroupDescription: Sendable, Hashable {
    public struct Member: Sendable, Hashable {
        public var memberID: String
        public var topics: [String]
        public var assignment: [TopicPartition]

        public init(memberID: String, topics: [String], assignment: [TopicPartition]) {
            self.memberID = memberID
            self.topics = topics
            self.assignment = assignment
        }
    }
    public var groupID: String
    /// `"Stable"`, `"PreparingRebalance"` (a handover is pending) or `"Empty"`.
    public var state: String
    public var generation: Int
    public var members: [Member]
    public var offsets: [GroupPartitionOffset]

    public init(groupID: String, state: String, generation: Int, members: [Member], offsets: [GroupPartitionOffset]) {
        self.groupID = groupID
        self.state = state
        self.generation = generation
        self.members = members
        self.offsets = offsets
    }
}
