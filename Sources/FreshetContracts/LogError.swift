/// An error from the log or broker: a Kafka-style `code`, a message a user can act on,
/// and the context it happened in (topic, partition, offset, file, group).
public struct LogError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Error codes, named after Kafka's protocol error codes where one exists.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let unknownTopicOrPartition = Code("UNKNOWN_TOPIC_OR_PARTITION")
        public static let topicAlreadyExists = Code("TOPIC_ALREADY_EXISTS")
        public static let invalidTopic = Code("INVALID_TOPIC_EXCEPTION")
        public static let invalidPartitions = Code("INVALID_PARTITIONS")
        public static let invalidConfig = Code("INVALID_CONFIG")
        public static let offsetOutOfRange = Code("OFFSET_OUT_OF_RANGE")
        public static let messageTooLarge = Code("MESSAGE_TOO_LARGE")
        public static let corruptMessage = Code("CORRUPT_MESSAGE")
        public static let storageError = Code("KAFKA_STORAGE_ERROR")
        public static let groupIDNotFound = Code("GROUP_ID_NOT_FOUND")
        public static let invalidGroupID = Code("INVALID_GROUP_ID")
        public static let illegalGeneration = Code("ILLEGAL_GENERATION")
        public static let noResetPolicy = Code("NO_OFFSET_RESET_POLICY")
        public static let brokerClosed = Code("BROKER_CLOSED")
        public static let dataDirLocked = Code("DATA_DIR_LOCKED")
        public static let readOnly = Code("READ_ONLY")
    }

    public var code: Code
    public var message: String
    /// Where it happened: keys such as `topic`, `partition`, `offset`, `file`, `group`, `path`, `errno`.
    public var context: [String: String]

    public init(_ code: Code, _ message: String, context: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.context = context
    }

    /// One line: `CODE: message`.
    public var description: String { "\(code): \(message)" }
}
