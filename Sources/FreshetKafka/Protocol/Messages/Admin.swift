import NIOCore

/// CreateTopics (key 19), v2–v7 (flexible from v5).
public struct CreateTopicsRequest: KafkaRequest {
    public typealias Response = CreateTopicsResponse
    public static let apiKey = ApiKey.createTopics
    public static let supportedVersions: ClosedRange<Int16> = 2...7
    public static let firstFlexibleVersion: Int16? = 5

    public struct Assignment: KafkaWireStruct {
        public var partitionIndex: Int32 = 0
        public var brokerIDs: [Int32] = []
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.int32(&partitionIndex, "PartitionIndex")
            try c.int32Array(&brokerIDs, "BrokerIds")
            try c.emptyTaggedFields()
        }
    }

    public struct Config: KafkaWireStruct {
        public var name = ""
        public var value: String? = nil
        public init() {}
        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&name, "Name")
            try c.nullableString(&value, "Value")
            try c.emptyTaggedFields()
        }
    }

    public struct Topic: KafkaWireStruct {
        public var name = ""
        /// -1 uses the broker default.
        public var numPartitions: Int32 = -1
        /// -1 uses the broker default.
        public var replicationFactor: Int16 = -1
        public var assignments: [Assignment] = []
        public var configs: [Config] = []
        public init() {}
        public init(name: String, numPartitions: Int32, replicationFactor: Int16, configs: [Config] = []) {
            self.name = name
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.configs = configs
        }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&name, "Name")
            try c.int32(&numPartitions, "NumPartitions")
            try c.int16(&replicationFactor, "ReplicationFactor")
            try c.array(&assignments, "Assignments")
            try c.array(&configs, "Configs")
            try c.emptyTaggedFields()
        }
    }

    public var topics: [Topic] = []
    /// Defaults to 60000.
    public var timeoutMs: Int32 = 60_000
    public var validateOnly = false

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.array(&topics, "Topics")
        try c.int32(&timeoutMs, "timeoutMs")
        try c.bool(&validateOnly, "validateOnly")
        try c.emptyTaggedFields()
    }
}

public struct CreateTopicsResponse: KafkaWireStruct {
    public struct Config: KafkaWireStruct {
        public var name = ""
        public var value: String? = nil
        public var readOnly = false
        public var configSource: Int8 = -1
        public var isSensitive = false
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&name, "Name")
            try c.nullableString(&value, "Value")
            try c.bool(&readOnly, "ReadOnly")
            try c.int8(&configSource, "ConfigSource")
            try c.bool(&isSensitive, "IsSensitive")
            try c.emptyTaggedFields()
        }
    }

    public struct Topic: KafkaWireStruct {
        public var name = ""
        /// v7+.
        public var topicID = KafkaUUID.zero
        public var errorCode = KafkaErrorCode.noError
        public var errorMessage: String? = nil
        /// v5+, tag 0.
        public var topicConfigErrorCode: KafkaErrorCode? = nil
        /// v5+. Defaults to -1.
        public var numPartitions: Int32 = -1
        /// v5+. Defaults to -1.
        public var replicationFactor: Int16 = -1
        /// v5+.
        public var configs: [Config]? = nil
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&name, "Name")
            if c.version >= 7 { try c.uuid(&topicID, "TopicId") }
            try c.errorCode(&errorCode, "ErrorCode")
            try c.nullableString(&errorMessage, "ErrorMessage")
            guard c.version >= 5 else { return }
            try c.int32(&numPartitions, "NumPartitions")
            try c.int16(&replicationFactor, "ReplicationFactor")
            try c.nullableArray(&configs, "Configs")
            if c.isDecoding {
                try c.readTaggedFields { c, tag in
                    guard tag == 0 else { return false }
                    var code = KafkaErrorCode.noError
                    try c.errorCode(&code, "TopicConfigErrorCode")
                    topicConfigErrorCode = code
                    return true
                }
            } else {
                c.writeTaggedFieldCount(topicConfigErrorCode == nil ? 0 : 1)
                if var code = topicConfigErrorCode {
                    try c.writeTaggedField(0) { try $0.errorCode(&code, "TopicConfigErrorCode") }
                }
            }
        }
    }

    public var throttleTimeMs: Int32 = 0
    public var topics: [Topic] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.int32(&throttleTimeMs, "ThrottleTimeMs")
        try c.array(&topics, "Topics")
        try c.emptyTaggedFields()
    }
}

/// InitProducerId (key 22), v0–v4 (flexible from v2): a producer id for idempotence.
public struct InitProducerIdRequest: KafkaRequest {
    public typealias Response = InitProducerIdResponse
    public static let apiKey = ApiKey.initProducerId
    public static let supportedVersions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16? = 2

    public var transactionalID: String? = nil
    public var transactionTimeoutMs: Int32 = -1
    /// v3+. Defaults to -1.
    public var producerID: Int64 = -1
    /// v3+. Defaults to -1.
    public var producerEpoch: Int16 = -1

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.nullableString(&transactionalID, "TransactionalId")
        try c.int32(&transactionTimeoutMs, "TransactionTimeoutMs")
        if c.version >= 3 {
            try c.int64(&producerID, "ProducerId")
            try c.int16(&producerEpoch, "ProducerEpoch")
        }
        try c.emptyTaggedFields()
    }
}

public struct InitProducerIdResponse: KafkaWireStruct {
    public var throttleTimeMs: Int32 = 0
    public var errorCode = KafkaErrorCode.noError
    public var producerID: Int64 = -1
    public var producerEpoch: Int16 = 0

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.int32(&throttleTimeMs, "ThrottleTimeMs")
        try c.errorCode(&errorCode, "ErrorCode")
        try c.int64(&producerID, "ProducerId")
        try c.int16(&producerEpoch, "ProducerEpoch")
        try c.emptyTaggedFields()
    }
}

/// SaslHandshake (key 17), v0–v1 (never flexible).
public struct SaslHandshakeRequest: KafkaRequest {
    public typealias Response = SaslHandshakeResponse
    public static let apiKey = ApiKey.saslHandshake
    public static let supportedVersions: ClosedRange<Int16> = 0...1
    public static let firstFlexibleVersion: Int16? = nil

    /// "PLAIN", "SCRAM-SHA-256", ...
    public var mechanism = ""

    public init() {}
    public init(mechanism: String) { self.mechanism = mechanism }

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.string(&mechanism, "Mechanism")
    }
}

public struct SaslHandshakeResponse: KafkaWireStruct {
    public var errorCode = KafkaErrorCode.noError
    public var mechanisms: [String] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.errorCode(&errorCode, "ErrorCode")
        try c.stringArray(&mechanisms, "Mechanisms")
    }
}

/// SaslAuthenticate (key 36), v0–v2 (flexible from v2).
public struct SaslAuthenticateRequest: KafkaRequest {
    public typealias Response = SaslAuthenticateResponse
    public static let apiKey = ApiKey.saslAuthenticate
    public static let supportedVersions: ClosedRange<Int16> = 0...2
    public static let firstFlexibleVersion: Int16? = 2

    public var authBytes = ByteBuffer()

    public init() {}
    public init(authBytes: ByteBuffer) { self.authBytes = authBytes }

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.bytes(&authBytes, "AuthBytes")
        try c.emptyTaggedFields()
    }
}

public struct SaslAuthenticateResponse: KafkaWireStruct {
    public var errorCode = KafkaErrorCode.noError
    public var errorMessage: String? = nil
    public var authBytes = ByteBuffer()
    /// v1+.
    public var sessionLifetimeMs: Int64 = 0

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.errorCode(&errorCode, "ErrorCode")
        try c.nullableString(&errorMessage, "ErrorMessage")
        try c.bytes(&authBytes, "AuthBytes")
        if c.version >= 1 { try c.int64(&sessionLifetimeMs, "SessionLifetimeMs") }
        try c.emptyTaggedFields()
    }
}

/// DeleteTopics (key 20), v1–v6 (flexible from v4; v6 names topics by name or id).
public struct DeleteTopicsRequest: KafkaRequest {
    public typealias Response = DeleteTopicsResponse
    public static let apiKey = ApiKey.deleteTopics
    public static let supportedVersions: ClosedRange<Int16> = 1...6
    public static let firstFlexibleVersion: Int16? = 4

    public struct Topic: KafkaWireStruct {
        public var name: String? = nil
        public var topicID = KafkaUUID.zero
        public init() {}
        public init(name: String) { self.name = name }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.nullableString(&name, "Name")
            try c.uuid(&topicID, "TopicId")
            try c.emptyTaggedFields()
        }
    }

    /// v6+.
    public var topics: [Topic] = []
    /// v0–v5.
    public var topicNames: [String] = []
    /// Defaults to 30000.
    public var timeoutMs: Int32 = 30_000

    public init() {}

    /// Deletes `names`, filling both the v6 and the older field.
    public init(names: [String], timeoutMs: Int32 = 30_000) {
        self.topics = names.map(Topic.init(name:))
        self.topicNames = names
        self.timeoutMs = timeoutMs
    }

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version >= 6 { try c.array(&topics, "Topics") } else { try c.stringArray(&topicNames, "TopicNames") }
        try c.int32(&timeoutMs, "TimeoutMs")
        try c.emptyTaggedFields()
    }
}

public struct DeleteTopicsResponse: KafkaWireStruct {
    public struct Result: KafkaWireStruct {
        /// Nullable from v6.
        public var name: String? = ""
        /// v6+.
        public var topicID = KafkaUUID.zero
        public var errorCode = KafkaErrorCode.noError
        /// v5+.
        public var errorMessage: String? = nil
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            if c.version >= 6 {
                try c.nullableString(&name, "Name")
            } else {
                var n = name ?? ""
                try c.string(&n, "Name")
                name = n
            }
            if c.version >= 6 { try c.uuid(&topicID, "TopicId") }
            try c.errorCode(&errorCode, "ErrorCode")
            if c.version >= 5 { try c.nullableString(&errorMessage, "ErrorMessage") }
            try c.emptyTaggedFields()
        }
    }

    /// v1+.
    public var throttleTimeMs: Int32 = 0
    public var responses: [Result] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.int32(&throttleTimeMs, "ThrottleTimeMs")
        try c.array(&responses, "Responses")
        try c.emptyTaggedFields()
    }
}
