import NIOCore

/// Produce (key 0), v3–v9 (flexible from v9). Records are opaque RecordBatch bytes.
public struct ProduceRequest: KafkaRequest {
    public typealias Response = ProduceResponse
    public static let apiKey = ApiKey.produce
    public static let supportedVersions: ClosedRange<Int16> = 3...9
    public static let firstFlexibleVersion: Int16? = 9

    public struct PartitionData: KafkaWireStruct {
        public var index: Int32 = 0
        /// Encoded record batches (see `Records`); `nil` is a null records field.
        public var records: ByteBuffer? = nil
        public init() {}
        public init(index: Int32, records: ByteBuffer?) {
            self.index = index
            self.records = records
        }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.int32(&index, "Index")
            try c.nullableBytes(&records, "Records")
            try c.emptyTaggedFields()
        }
    }

    public struct TopicData: KafkaWireStruct {
        public var name = ""
        public var partitionData: [PartitionData] = []
        public init() {}
        public init(name: String, partitionData: [PartitionData]) {
            self.name = name
            self.partitionData = partitionData
        }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&name, "Name")
            try c.array(&partitionData, "PartitionData")
            try c.emptyTaggedFields()
        }
    }

    public var transactionalID: String? = nil
    /// 0 (none), 1 (leader) or -1 (all in-sync replicas).
    public var acks: Int16 = -1
    public var timeoutMs: Int32 = 30_000
    public var topicData: [TopicData] = []

    public init() {}

    public init(acks: Int16, timeoutMs: Int32, topicData: [TopicData], transactionalID: String? = nil) {
        self.acks = acks
        self.timeoutMs = timeoutMs
        self.topicData = topicData
        self.transactionalID = transactionalID
    }

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.nullableString(&transactionalID, "TransactionalId")
        try c.int16(&acks, "Acks")
        try c.int32(&timeoutMs, "TimeoutMs")
        try c.array(&topicData, "TopicData")
        try c.emptyTaggedFields()
    }
}

public struct ProduceResponse: KafkaWireStruct {
    public struct RecordError: KafkaWireStruct {
        public var batchIndex: Int32 = 0
        public var batchIndexErrorMessage: String? = nil
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.int32(&batchIndex, "BatchIndex")
            try c.nullableString(&batchIndexErrorMessage, "BatchIndexErrorMessage")
            try c.emptyTaggedFields()
        }
    }

    public struct PartitionResponse: KafkaWireStruct {
        public var index: Int32 = 0
        public var errorCode = KafkaErrorCode.noError
        public var baseOffset: Int64 = 0
        /// Defaults to -1 (CreateTime topics).
        public var logAppendTimeMs: Int64 = -1
        /// v5+. Defaults to -1.
        public var logStartOffset: Int64 = -1
        /// v8+.
        public var recordErrors: [RecordError] = []
        /// v8+.
        public var errorMessage: String? = nil
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.int32(&index, "Index")
            try c.errorCode(&errorCode, "ErrorCode")
            try c.int64(&baseOffset, "BaseOffset")
            try c.int64(&logAppendTimeMs, "LogAppendTimeMs")
            if c.version >= 5 { try c.int64(&logStartOffset, "LogStartOffset") }
            if c.version >= 8 {
                try c.array(&recordErrors, "RecordErrors")
                try c.nullableString(&errorMessage, "ErrorMessage")
            }
            try c.emptyTaggedFields()
        }
    }

    public struct TopicResponse: KafkaWireStruct {
        public var name = ""
        public var partitionResponses: [PartitionResponse] = []
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&name, "Name")
            try c.array(&partitionResponses, "PartitionResponses")
            try c.emptyTaggedFields()
        }
    }

    public var responses: [TopicResponse] = []
    public var throttleTimeMs: Int32 = 0

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.array(&responses, "Responses")
        try c.int32(&throttleTimeMs, "ThrottleTimeMs")
        try c.emptyTaggedFields()
    }
}
