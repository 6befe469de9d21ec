import NIOCore

/// OffsetCommit (key 8), v2–v8 (flexible from v8).
public struct OffsetCommitRequest: KafkaRequest {
    public typealias Response = OffsetCommitResponse
    public static let apiKey = ApiKey.offsetCommit
    public static let supportedVersions: ClosedRange<Int16> = 2...8
    public static let firstFlexibleVersion: Int16? = 8

    public struct Partition: KafkaWireStruct {
        public var partitionIndex: Int32 = 0
        /// The next offset to consume.
        public var committedOffset: Int64 = 0
        /// v6+. Defaults to -1.
        public var committedLeaderEpoch: Int32 = -1
        public var committedMetadata: String? = nil
        public init() {}
        public init(partitionIndex: Int32, committedOffset: Int64, committedMetadata: String? = nil) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedMetadata = committedMetadata
        }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.int32(&partitionIndex, "PartitionIndex")
            try c.int64(&committedOffset, "CommittedOffset")
            if c.version >= 6 { try c.int32(&committedLeaderEpoch, "CommittedLeaderEpoch") }
            try c.nullableString(&committedMetadata, "CommittedMetadata")
            try c.emptyTaggedFields()
        }
    }

    public struct Topic: KafkaWireStruct {
        public var name = ""
        public var partitions: [Partition] = []
        public init() {}
        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&name, "Name")
            try c.array(&partitions, "Partitions")
            try c.emptyTaggedFields()
        }
    }

    public var groupID = ""
    /// Defaults to -1 (commit outside a group generation).
    public var generationID: Int32 = -1
    public var memberID = ""
    /// v7+.
    public var groupInstanceID: String? = nil
    /// v2–v4. Defaults to -1 (broker default retention).
    public var retentionTimeMs: Int64 = -1
    public var topics: [Topic] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.string(&groupID, "GroupId")
        try c.int32(&generationID, "GenerationIdOrMemberEpoch")
        try c.string(&memberID, "MemberId")
        if c.version >= 7 { try c.nullableString(&groupInstanceID, "GroupInstanceId") }
        if c.version <= 4 { try c.int64(&retentionTimeMs, "RetentionTimeMs") }
        try c.array(&topics, "Topics")
        try c.emptyTaggedFields()
    }
}

public struct OffsetCommitResponse: KafkaWireStruct {
    public struct Partition: KafkaWireStruct {
        public var partitionIndex: Int32 = 0
        public var errorCode = KafkaErrorCode.noError
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.int32(&partitionIndex, "PartitionIndex")
            try c.errorCode(&errorCode, "ErrorCode")
            try c.emptyTaggedFields()
        }
    }

    public struct Topic: KafkaWireStruct {
        public var name = ""
        public var partitions: [Partition] = []
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&name, "Name")
            try c.array(&partitions, "Partitions")
            try c.emptyTaggedFields()
        }
    }

    /// v3+.
    public var throttleTimeMs: Int32 = 0
    public var topics: [Topic] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version >= 3 { try c.int32(&throttleTimeMs, "ThrottleTimeMs") }
        try c.array(&topics, "Topics")
        try c.emptyTaggedFields()
    }
}

/// OffsetFetch (key 9), v1–v8 (flexible from v6; v8 asks for several groups at once).
public struct OffsetFetchRequest: KafkaRequest {
    public typealias Response = OffsetFetchResponse
    public static let apiKey = ApiKey.offsetFetch
    public static let supportedVersions: ClosedRange<Int16> = 1...8
    public static let firstFlexibleVersion: Int16? = 6

    public struct Topic: KafkaWireStruct {
        public var name = ""
        public var partitionIndexes: [Int32] = []
        public init() {}
        public init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&name, "Name")
            try c.int32Array(&partitionIndexes, "PartitionIndexes")
            try c.emptyTaggedFields()
        }
    }

    public struct Group: KafkaWireStruct {
        public var groupID = ""
        /// `nil` asks for every committed partition.
        public var topics: [Topic]? = nil
        public init() {}
        public init(groupID: String, topics: [Topic]?) {
            self.groupID = groupID
            self.topics = topics
        }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&groupID, "GroupId")
            try c.nullableArray(&topics, "Topics")
            try c.emptyTaggedFields()
        }
    }

    /// v1–v7.
    public var groupID = ""
    /// v1–v7; `nil` (v2+) asks for every committed partition.
    public var topics: [Topic]? = []
    /// v8+.
    public var groups: [Group] = []
    /// v7+.
    public var requireStable = false

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version <= 7 {
            try c.string(&groupID, "GroupId")
            if c.version >= 2 {
                try c.nullableArray(&topics, "Topics")
            } else {
                var t = topics ?? []
                try c.array(&t, "Topics")
                topics = t
            }
        } else {
            try c.array(&groups, "Groups")
        }
        if c.version >= 7 { try c.bool(&requireStable, "RequireStable") }
        try c.emptyTaggedFields()
    }
}

public struct OffsetFetchResponse: KafkaWireStruct {
    public struct Partition: KafkaWireStruct {
        public var partitionIndex: Int32 = 0
        /// -1 when nothing is committed.
        public var committedOffset: Int64 = -1
        /// v5+. Defaults to -1.
        public var committedLeaderEpoch: Int32 = -1
        public var metadata: String? = nil
        public var errorCode = KafkaErrorCode.noError
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.int32(&partitionIndex, "PartitionIndex")
            try c.int64(&committedOffset, "CommittedOffset")
            if c.version >= 5 { try c.int32(&committedLeaderEpoch, "CommittedLeaderEpoch") }
            try c.nullableString(&metadata, "Metadata")
            try c.errorCode(&errorCode, "ErrorCode")
            try c.emptyTaggedFields()
        }
    }

    public struct Topic: KafkaWireStruct {
        public var name = ""
        public var partitions: [Partition] = []
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&name, "Name")
            try c.array(&partitions, "Partitions")
            try c.emptyTaggedFields()
        }
    }

    public struct Group: KafkaWireStruct {
        public var groupID = ""
        public var topics: [Topic] = []
        public var errorCode = KafkaErrorCode.noError
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&groupID, "GroupId")
            try c.array(&topics, "Topics")
            try c.errorCode(&errorCode, "ErrorCode")
            try c.emptyTaggedFields()
        }
    }

    /// v3+.
    public var throttleTimeMs: Int32 = 0
    /// v1–v7.
    public var topics: [Topic] = []
    /// v2–v7.
    public var errorCode = KafkaErrorCode.noError
    /// v8+.
    public var groups: [Group] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version >= 3 { try c.int32(&throttleTimeMs, "ThrottleTimeMs") }
        if c.version <= 7 {
            try c.array(&topics, "Topics")
            if c.version >= 2 { try c.errorCode(&errorCode, "ErrorCode") }
        } else {
            try c.array(&groups, "Groups")
        }
        try c.emptyTaggedFields()
    }
}

/// ListOffsets (key 2), v1–v7 (flexible from v6): offsets by timestamp (-2 earliest, -1 latest).
public struct ListOffsetsRequest: KafkaRequest {
    public typealias Response = ListOffsetsResponse
    public static let apiKey = ApiKey.listOffsets
    public static let supportedVersions: ClosedRange<Int16> = 1...7
    public static let firstFlexibleVersion: Int16? = 6

    /// Timestamp asking for the earliest offset.
    public static let earliestTimestamp: Int64 = -2
    /// Timestamp asking for the latest offset (the high watermark).
    public static let latestTimestamp: Int64 = -1

    public struct Partition: KafkaWireStruct {
        public var partitionIndex: Int32 = 0
        /// v4+. Defaults to -1.
        public var currentLeaderEpoch: Int32 = -1
        public var timestamp: Int64 = -1
        public init() {}
        public init(partitionIndex: Int32, timestamp: Int64) {
            self.partitionIndex = partitionIndex
            self.timestamp = timestamp
        }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.int32(&partitionIndex, "PartitionIndex")
            if c.version >= 4 { try c.int32(&currentLeaderEpoch, "CurrentLeaderEpoch") }
            try c.int64(&timestamp, "Timestamp")
            try c.emptyTaggedFields()
        }
    }

    public struct Topic: KafkaWireStruct {
        public var name = ""
        public var partitions: [Partition] = []
        public init() {}
        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&name, "Name")
            try c.array(&partitions, "Partitions")
            try c.emptyTaggedFields()
        }
    }

    /// Defaults to -1 (a consumer).
    public var replicaID: Int32 = -1
    /// v2+. 0 read uncommitted, 1 read committed.
    public var isolationLevel: Int8 = 0
    public var topics: [Topic] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.int32(&replicaID, "ReplicaId")
        if c.version >= 2 { try c.int8(&isolationLevel, "IsolationLevel") }
        try c.array(&topics, "Topics")
        try c.emptyTaggedFields()
    }
}

public struct ListOffsetsResponse: KafkaWireStruct {
    public struct Partition: KafkaWireStruct {
        public var partitionIndex: Int32 = 0
        public var errorCode = KafkaErrorCode.noError
        public var timestamp: Int64 = -1
        public var offset: Int64 = -1
        /// v4+. Defaults to -1.
        public var leaderEpoch: Int32 = -1
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.int32(&partitionIndex, "PartitionIndex")
            try c.errorCode(&errorCode, "ErrorCode")
            try c.int64(&timestamp, "Timestamp")
            try c.int64(&offset, "Offset")
            if c.version >= 4 { try c.int32(&leaderEpoch, "LeaderEpoch") }
            try c.emptyTaggedFields()
        }
    }

    public struct Topic: KafkaWireStruct {
        public var name = ""
        public var partitions: [Partition] = []
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&name, "Name")
            try c.array(&partitions, "Partitions")
            try c.emptyTaggedFields()
        }
    }

    /// v2+.
    public var throttleTimeMs: Int32 = 0
    public var topics: [Topic] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version >= 2 { try c.int32(&throttleTimeMs, "ThrottleTimeMs") }
        try c.array(&topics, "Topics")
        try c.emptyTaggedFields()
    }
}
