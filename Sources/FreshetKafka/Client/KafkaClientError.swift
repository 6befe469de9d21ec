import FreshetContracts

/// A failure of the Kafka client layer (cluster, producer, consumer, admin) that has no
/// `LogError` equivalent in the `Broker` contract.
///
/// Carries the context a user needs to act: the broker, the topic/partition or group, and
/// the Kafka error code the broker answered with, when there is one.
public struct KafkaClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable, Hashable {
            case invalidConfiguration
            case noBrokerAvailable
            case brokerError
            case unsupportedByBroker
            case timedOut
            case sequenceError
            case groupMembershipFailed
            case closed
        }

        let base: Base

        /// A configuration value or URL is malformed or inconsistent.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// No bootstrap server or cluster node could be reached.
        public static let noBrokerAvailable = Code(base: .noBrokerAvailable)
        /// The broker answered with an error code that the client cannot recover from.
        public static let brokerError = Code(base: .brokerError)
        /// The broker does not implement an API (or version) that the operation needs.
        public static let unsupportedByBroker = Code(base: .unsupportedByBroker)
        /// An operation did not complete in time (delivery timeout, join timeout).
        public static let timedOut = Code(base: .timedOut)
        /// The idempotent producer's sequence was rejected (OUT_OF_ORDER_SEQUENCE_NUMBER,
        /// UNKNOWN_PRODUCER_ID, INVALID_PRODUCER_EPOCH); the batch was not written.
        public static let sequenceError = Code(base: .sequenceError)
        /// The consumer could not join or stay in its group (e.g. FENCED_INSTANCE_ID).
        public static let groupMembershipFailed = Code(base: .groupMembershipFailed)
        /// The producer, consumer or cluster was closed.
        public static let closed = Code(base: .closed)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// A message a user can act on.
    public var message: String
    /// The broker involved, as `host:port`, when known.
    public var broker: String?
    public var topic: String?
    public var partition: Int32?
    public var group: String?
    /// The error code the broker answered with, when there is one.
    public var kafkaError: KafkaErrorCode?

    public init(
        _ code: Code, _ message: String, broker: String? = nil, topic: String? = nil, partition: Int32? = nil,
        group: String? = nil, kafkaError: KafkaErrorCode? = nil
    ) {
        self.code = code
        self.message = message
        self.broker = broker
        self.topic = topic
        self.partition = partition
        self.group = group
        self.kafkaError = kafkaError
    }

    public var description: String {
        var context: [String] = []
        if let broker { context.append("broker \(broker)") }
        if let topic { context.append(partition.map { "partition \(topic)/\($0)" } ?? "topic \(topic)") }
        if let group { context.append("group \(group)") }
        if let kafkaError { context.append("kafka error \(kafkaError)") }
        let suffix = context.isEmpty ? "" : " (\(context.joined(separator: ", ")))"
        return "KafkaClientError.\(code): \(message)\(suffix)"
    }
}

extension KafkaErrorCode {
    /// Errors after which the partition leader (cached metadata) may have moved.
    var invalidatesMetadata: Bool {
        self == .notLeaderOrFollower || self == .unknownTopicOrPartition || self == .leaderNotAvailable
            || self == .fencedLeaderEpoch || self == .unknownLeaderEpoch || self == .kafkaStorageError
            || self == .notEnoughReplicas || self == .brokerNotAvailable || self == .replicaNotAvailable
    }

    /// Errors after which the group coordinator must be looked up again.
    var invalidatesCoordinator: Bool {
        self == .notCoordinator || self == .coordinatorNotAvailable
    }
}

extension LogError {
    static func kafkaUnknownTopic(_ topic: String) -> LogError {
        LogError(.unknownTopicOrPartition, "unknown topic '\(topic)'", context: ["topic": topic])
    }

    static func kafkaUnknownPartition(_ topic: String, _ partition: Int32, count: Int) -> LogError {
        LogError(
            .unknownTopicOrPartition,
            "partition \(partition) of topic '\(topic)' does not exist (topic has \(count) partitions: 0...\(count - 1))",
            context: ["topic": topic, "partition": "\(partition)"])
    }
}
