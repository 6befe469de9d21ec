/// One header of a Kafka record. Keys may repeat; order is preserved.
public struct KafkaRecordHeader: Sendable, Hashable {
    /// The header key (UTF-8 on the wire).
    public var key: String
    /// The header value; `nil` is Kafka's null (length -1), distinct from empty.
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// One Kafka record, as produced or as read back from a batch.
public struct KafkaRecord: Sendable, Hashable {
    /// The absolute offset. Set on decode; the producer encoder ignores it and numbers
    /// records 0, 1, 2, … relative to the batch (the broker assigns real offsets).
    public var offset: Int64
    /// Milliseconds since the Unix epoch (create time, or the broker's log-append time).
    public var timestamp: Int64
    /// The key; `nil` is Kafka's null key.
    public var key: [UInt8]?
    /// The value; `nil` is Kafka's null value (a tombstone), distinct from empty.
    public var value: [UInt8]?
    /// Headers in wire order; keys may repeat.
    public var headers: [KafkaRecordHeader]

    public init(
        key: [UInt8]?, value: [UInt8]?, headers: [KafkaRecordHeader] = [], timestamp: Int64, offset: Int64 = 0
    ) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// A record batch's compression codec (attributes bits 0–2).
public enum KafkaCompression: Int8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4

    public var description: String {
        switch self {
        case .none: "none (0)"
        case .gzip: "gzip (1)"
        case .snappy: "snappy (2)"
        case .lz4: "lz4 (3)"
        case .zstd: "zstd (4)"
        }
    }
}

/// How a batch's timestamps were assigned (attributes bit 3).
public enum KafkaTimestampType: Sendable, Hashable {
    /// The producer's clock (`CreateTime`).
    case createTime
    /// The broker's clock at append (`LogAppendTime`); every record's timestamp is the batch's `maxTimestamp`.
    case logAppendTime
}
