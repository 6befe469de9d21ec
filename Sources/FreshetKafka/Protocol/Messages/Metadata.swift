import NIOCore

/// Metadata (key 3), v1–v12 (flexible from v9): brokers, topics, partitions and leaders.
public struct MetadataRequest: KafkaRequest {
    public typealias Response = MetadataResponse
    public static let apiKey = ApiKey.metadata
    public static let supportedVersions: ClosedRange<Int16> = 1...12
    public static let firstFlexibleVersion: Int16? = 9

    public struct Topic: KafkaWireStruct {
        /// v10+.
        public var topicID = KafkaUUID.zero
        /// Nullable from v10 (when asking by id).
        public var name: String? = ""
        public init() {}
        public init(name: String) { self.name = name }
        public mutating func code(_ c: inout KafkaCodec) throws {
            if c.version >= 10 { try c.uuid(&topicID, "TopicId") }
            if c.version >= 10 {
                try c.nullableString(&name, "Name")
            } else {
                var n = name ?? ""
                try c.string(&n, "Name")
                name = n
            }
            try c.emptyTaggedFields()
        }
    }

    /// `nil` asks for every topic; `[]` for none (brokers only).
    public var topics: [Topic]? = []
    /// v4+. Defaults to true.
    public var allowAutoTopicCreation = true
    /// v8–v10.
    public var includeClusterAuthorizedOperations = false
    /// v8+.
    public var includeTopicAuthorizedOperations = false

    public init() {}

    public init(topics: [String]?, allowAutoTopicCreation: Bool = false) {
        self.topics = topics.map { $0.map(Topic.init(name:)) }
        self.allowAutoTopicCreation = allowAutoTopicCreation
    }

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.nullableArray(&topics, "Topics")
        if c.version >= 4 { try c.bool(&allowAutoTopicCreation, "AllowAutoTopicCreation") }
        if (8...10).contains(c.version) {
            try c.bool(&includeClusterAuthorizedOperations, "IncludeClusterAuthorizedOperations")
        }
        if c.version >= 8 { try c.bool(&includeTopicAuthorizedOperations, "IncludeTopicAuthorizedOperations") }
        try c.emptyTaggedFields()
    }
}

public struct MetadataResponse: KafkaWireStruct {
    public struct Broker: KafkaWireStruct {
        public var nodeID: Int32 = 0
        public var host = ""
        public var port: Int32 = 0
        public var rack: String? = nil
        public init() {}
        public init(nodeID: Int32, host: String, port: Int32, rack: String? = nil) {
            self.nodeID = nodeID
            self.host = host
            self.port = port
            self.rack = rack
        }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.int32(&nodeID, "NodeId")
            try c.string(&host, "Host")
            try c.int32(&port, "Port")
            try c.nullableString(&rack, "Rack")
            try c.emptyTaggedFields()
        }
    }

    public struct Partition: KafkaWireStruct {
        public var errorCode = KafkaErrorCode.noError
        public var partitionIndex: Int32 = 0
        public var leaderID: Int32 = 0
        /// v7+. Defaults to -1.
        public var leaderEpoch: Int32 = -1
        public var replicaNodes: [Int32] = []
        public var isrNodes: [Int32] = []
        /// v5+.
        public var offlineReplicas: [Int32] = []
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.errorCode(&errorCode, "ErrorCode")
            try c.int32(&partitionIndex, "PartitionIndex")
            try c.int32(&leaderID, "LeaderId")
            if c.version >= 7 { try c.int32(&leaderEpoch, "LeaderEpoch") }
            try c.int32Array(&replicaNodes, "ReplicaNodes")
            try c.int32Array(&isrNodes, "IsrNodes")
            if c.version >= 5 { try c.int32Array(&offlineReplicas, "OfflineReplicas") }
            try c.emptyTaggedFields()
        }
    }

    public struct Topic: KafkaWireStruct {
        public var errorCode = KafkaErrorCode.noError
        /// Nullable from v12.
        public var name: String? = ""
        /// v10+.
        public var topicID = KafkaUUID.zero
        public var isInternal = false
        public var partitions: [Partition] = []
        /// v8+. Defaults to Int32.min (not requested).
        public var topicAuthorizedOperations: Int32 = .min
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.errorCode(&errorCode, "ErrorCode")
            if c.version >= 12 {
                try c.nullableString(&name, "Name")
            } else {
                var n = name ?? ""
                try c.string(&n, "Name")
                name = n
            }
            if c.version >= 10 { try c.uuid(&topicID, "TopicId") }
            try c.bool(&isInternal, "IsInternal")
            try c.array(&partitions, "Partitions")
            if c.version >= 8 { try c.int32(&topicAuthorizedOperations, "TopicAuthorizedOperations") }
            try c.emptyTaggedFields()
        }
    }

    /// v3+.
    public var throttleTimeMs: Int32 = 0
    public var brokers: [Broker] = []
    /// v2+.
    public var clusterID: String? = nil
    /// Defaults to -1.
    public var controllerID: Int32 = -1
    public var topics: [Topic] = []
    /// v8–v10. Defaults to Int32.min.
    public var clusterAuthorizedOperations: Int32 = .min

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version >= 3 { try c.int32(&throttleTimeMs, "ThrottleTimeMs") }
        try c.array(&brokers, "Brokers")
        if c.version >= 2 { try c.nullableString(&clusterID, "ClusterId") }
        try c.int32(&controllerID, "ControllerId")
        try c.array(&topics, "Topics")
        if (8...10).contains(c.version) { try c.int32(&clusterAuthorizedOperations, "ClusterAuthorizedOperations") }
        try c.emptyTaggedFields()
    }
}

extension MetadataResponse {
    /// Checks what the client builds on: every broker has a node id ≥ 0, a host and a TCP
    /// port; every topic without an error numbers its partitions 0..<n, once each, and names a
    /// leader ≥ 0 or -1 (none). Throws a `KafkaProtocolError` naming the field otherwise.
    public func validate() throws {
        func bad(_ message: String, _ field: String) -> KafkaProtocolError {
            KafkaProtocolError(code: .invalidValue, message: message, api: .metadata, field: field)
        }
        for b in brokers {
            guard b.nodeID >= 0 else { throw bad("broker node id \(b.nodeID) is negative", "Brokers.NodeId") }
            guard !b.host.isEmpty else { throw bad("broker \(b.nodeID) has an empty host", "Brokers.Host") }
            guard (1...65535).contains(b.port) else {
                throw bad("broker \(b.nodeID) has port \(b.port), not in 1...65535", "Brokers.Port")
            }
        }
        for t in topics where t.errorCode == .noError {
            let name = t.name ?? "(null)"
            var seen = [Bool](repeating: false, count: t.partitions.count)
            for p in t.partitions {
                guard p.partitionIndex >= 0, Int(p.partitionIndex) < t.partitions.count, !seen[Int(p.partitionIndex)] else {
                    throw bad(
                        "topic '\(name)' lists partition \(p.partitionIndex) among \(t.partitions.count) (partitions must be 0..<count, once each)",
                        "Topics.Partitions.PartitionIndex")
                }
                seen[Int(p.partitionIndex)] = true
                guard p.leaderID >= -1 else {
                    throw bad("partition \(p.partitionIndex) of topic '\(name)' has leader \(p.leaderID)", "Topics.Partitions.LeaderId")
                }
            }
        }
    }
}
