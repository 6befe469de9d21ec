import FreshetCore

/// What the rest of Freshet uses to produce and consume: Kafka-shaped, async.
///
/// `EmbeddedBroker` (the durable in-process log) implements it; a native Kafka client
/// implements the same protocol, so switching changes configuration, not code.
public protocol Broker: Sendable {
    /// Creates a topic; throws `TOPIC_ALREADY_EXISTS` or `INVALID_TOPIC_EXCEPTION`.
    func createTopic(_ name: String, config: TopicConfig) async throws
    /// Deletes a topic and its data; throws `UNKNOWN_TOPIC_OR_PARTITION`.
    func deleteTopic(_ name: String) async throws
    /// Names of all topics, sorted.
    func listTopics() async throws -> [String]
    /// Partitions with earliest/latest offsets.
    func describeTopic(_ name: String) async throws -> TopicDescription

    /// Appends records to `topic` and returns, in input order, where each landed, once the
    /// batch is durable under the broker's durability policy. Keyed records go to
    /// `murmur2(key) % partitions` (Kafka's default partitioner).
    func produce(topic: String, records: [ProducerRecord]) async throws -> [RecordMetadata]

    /// Reads records of one partition from `offset`, waiting up to `maxWait` when none are
    /// available yet. Throws `OFFSET_OUT_OF_RANGE` when `offset` is before the log start or
    /// past the high watermark.
    func fetch(
        topic: String, partition: Int32, offset: Int64, maxRecords: Int, maxBytes: Int, maxWait: Duration
    ) async throws -> FetchResult

    /// Joins `config.groupID` and returns a consumer over `config.topics`.
    func makeConsumer(_ config: ConsumerConfig) async throws -> any BrokerConsumer

    /// Committed offsets of a group (only partitions with a commit).
    func committedOffsets(group: String) async throws -> [TopicPartition: Int64]
    /// Commits offsets for a group outside a consumer (admin use).
    func commitOffsets(group: String, offsets: [TopicPartition: Int64]) async throws
    /// Moves a group's committed offsets for `topic` (or every topic it has committed) to `to`.
    /// Returns the new offsets.
    func resetOffsets(group: String, topic: String?, to: OffsetSpec) async throws -> [TopicPartition: Int64]
    /// Groups with committed offsets or live members, sorted.
    func listGroups() async throws -> [String]
    /// Members, assignment, committed offsets and lag.
    func describeGroup(_ group: String) async throws -> GroupDescription

    /// Flushes and closes; later calls throw `BROKER_CLOSED`.
    func close() async throws
}

/// A member of a consumer group.
public protocol BrokerConsumer: AnyObject, Sendable {
    var groupID: String { get }
    var memberID: String { get }

    /// Returns the next records of the assigned partitions (at most `maxRecords`/`maxBytes`,
    /// waiting up to `maxWait` for data; `nil` uses the consumer config). A rebalance is learnt
    /// here: revoked partitions are committed (see `ConsumerConfig.commitOnRevoke`) and
    /// released, newly assigned ones start at the committed offset or the reset policy.
    func poll(maxRecords: Int?, maxBytes: Int?, maxWait: Duration?) async throws -> [ConsumerRecord]
    /// Commits the position (offset after the last polled record) of every owned partition.
    func commit() async throws
    /// Commits explicit next-offsets for owned partitions.
    func commit(_ offsets: [TopicPartition: Int64]) async throws
    /// Moves the position of an owned partition.
    func seek(_ partition: TopicPartition, to: OffsetSpec) async throws
    /// Partitions this consumer owns now.
    func assignment() async -> [TopicPartition]
    /// Next offset to be returned for an owned partition.
    func position(_ partition: TopicPartition) async -> Int64?
    /// Records known to be waiting in the owned partitions past their positions (as of the
    /// consumer's last look at the log ends: a Kafka consumer learns each partition's high
    /// watermark from its fetches), or nil when it does not know. The processor keeps a store
    /// transaction open while a full poll more is waiting, even when a poll came back less
    /// than full.
    func backlog() async -> Int64?
    /// Leaves the group; its partitions go to the remaining members. Does not commit.
    func close() async throws
}

extension BrokerConsumer {
    /// Unknown by default.
    public func backlog() async -> Int64? { nil }

    public func poll() async throws -> [ConsumerRecord] {
        try await poll(maxRecords: nil, maxBytes: nil, maxWait: nil)
    }
}
