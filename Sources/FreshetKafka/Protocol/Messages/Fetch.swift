import NIOCore

/// Fetch (key 1), v4–v12 (flexible from v12). Records are opaque RecordBatch bytes.
public struct FetchRequest: KafkaRequest {
    public typealias Response = FetchResponse
    public static let apiKey = ApiKey.fetch
    public static let supportedVersions: ClosedRange<Int16> = 4...12
    public static let firstFlexibleVersion: Int16? = 12

    public struct Partition: KafkaWireStruct {
        public var partition: Int32 = 0
        /// v9+. Defaults to -1.
        public var currentLeaderEpoch: Int32 = -1
        public var fetchOffset: Int64 = 0
        /// v12+. Defaults to -1.
        public var lastFetchedEpoch: Int32 = -1
        /// v5+. Defaults to -1.
        public var logStartOffset: Int64 = -1
        public var partitionMaxBytes: Int32 = 1 << 20
        public init() {}
        public init(partition: Int32, fetchOffset: Int64, partitionMaxBytes: Int32) {
            self.partition = partition
            self.fetchOffset = fetchOffset
            self.partitionMaxBytes = partitionMaxBytes
        }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.int32(&partition, "Partition")
            if c.version >= 9 { try c.int32(&currentLeaderEpoch, "CurrentLeaderEpoch") }
            try c.int64(&fetchOffset, "FetchOffset")
            if c.version >= 12 { try c.int32(&lastFetchedEpoch, "LastFetchedEpoch") }
            if c.version >= 5 { try c.int64(&logStartOffset, "LogStartOffset") }
            try c.int32(&partitionMaxBytes, "PartitionMaxBytes")
            try c.emptyTaggedFields()
        }
    }

    public struct Topic: KafkaWireStruct {
        public var topic = ""
        public var partitions: [Partition] = []
        public init() {}
        public init(topic: String, partitions: [Partition]) {
            self.topic = topic
            self.partitions = partitions
        }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&topic, "Topic")
            try c.array(&partitions, "Partitions")
            try c.emptyTaggedFields()
        }
    }

    public struct ForgottenTopic: KafkaWireStruct {
        public var topic = ""
        public var partitions: [Int32] = []
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&topic, "Topic")
            try c.int32Array(&partitions, "Partitions")
            try c.emptyTaggedFields()
        }
    }

    /// v12+, tag 0.
    public var clusterID: String? = nil
    /// Defaults to -1 (a consumer).
    public var replicaID: Int32 = -1
    public var maxWaitMs: Int32 = 500
    public var minBytes: Int32 = 1
    public var maxBytes: Int32 = .max
    /// 0 read uncommitted, 1 read committed.
    public var isolationLevel: Int8 = 0
    /// v7+. 0 for a full (sessionless) fetch.
    public var sessionID: Int32 = 0
    /// v7+. -1 for a full (sessionless) fetch.
    public var sessionEpoch: Int32 = -1
    public var topics: [Topic] = []
    /// v7+.
    public var forgottenTopicsData: [ForgottenTopic] = []
    /// v11+.
    public var rackID = ""

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.int32(&replicaID, "ReplicaId")
        try c.int32(&maxWaitMs, "MaxWaitMs")
        try c.int32(&minBytes, "MinBytes")
        try c.int32(&maxBytes, "MaxBytes")
        try c.int8(&isolationLevel, "IsolationLevel")
        if c.version >= 7 {
            try c.int32(&sessionID, "SessionId")
            try c.int32(&sessionEpoch, "SessionEpoch")
        }
        try c.array(&topics, "Topics")
        if c.version >= 7 { try c.array(&forgottenTopicsData, "ForgottenTopicsData") }
        if c.version >= 11 { try c.string(&rackID, "RackId") }
        guard c.flexible else { return }
        if c.isDecoding {
            try c.readTaggedFields { c, tag in
                guard tag == 0 else { return false }
                try c.nullableString(&clusterID, "ClusterId")
                return true
            }
        } else {
            c.writeTaggedFieldCount(clusterID == nil ? 0 : 1)
            if clusterID != nil { try c.writeTaggedField(0) { try $0.nullableString(&clusterID, "ClusterId") } }
        }
    }
}

public struct FetchResponse: KafkaWireStruct {
    public struct AbortedTransaction: KafkaWireStruct {
        public var producerID: Int64 = 0
        public var firstOffset: Int64 = 0
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.int64(&producerID, "ProducerId")
            try c.int64(&firstOffset, "FirstOffset")
            try c.emptyTaggedFields()
        }
    }

    /// An epoch and the end offset of it (diverging epoch, snapshot id).
    public struct EpochEndOffset: Sendable, Hashable {
        public var epoch: Int32 = -1
        public var endOffset: Int64 = -1
        public init(epoch: Int32 = -1, endOffset: Int64 = -1) {
            self.epoch = epoch
            self.endOffset = endOffset
        }
    }

    public struct LeaderIDAndEpoch: Sendable, Hashable {
        public var leaderID: Int32 = -1
        public var leaderEpoch: Int32 = -1
        public init(leaderID: Int32 = -1, leaderEpoch: Int32 = -1) {
            self.leaderID = leaderID
            self.leaderEpoch = leaderEpoch
        }
    }

    public struct Partition: KafkaWireStruct {
        public var partitionIndex: Int32 = 0
        public var errorCode = KafkaErrorCode.noError
        public var highWatermark: Int64 = 0
        public var lastStableOffset: Int64 = -1
        /// v5+. Defaults to -1.
        public var logStartOffset: Int64 = -1
        /// v12+, tag 0.
        public var divergingEpoch: EpochEndOffset? = nil
        /// v12+, tag 1.
        public var currentLeader: LeaderIDAndEpoch? = nil
        /// v12+, tag 2.
        public var snapshotID: EpochEndOffset? = nil
        public var abortedTransactions: [AbortedTransaction]? = nil
        /// v11+. Defaults to -1.
        public var preferredReadReplica: Int32 = -1
        /// Record batches (see `Records`); may end with a partial batch, which clients drop.
        public var records: ByteBuffer? = nil
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.int32(&partitionIndex, "PartitionIndex")
            try c.errorCode(&errorCode, "ErrorCode")
            try c.int64(&highWatermark, "HighWatermark")
            try c.int64(&lastStableOffset, "LastStableOffset")
            if c.version >= 5 { try c.int64(&logStartOffset, "LogStartOffset") }
            try c.nullableArray(&abortedTransactions, "AbortedTransactions")
            if c.version >= 11 { try c.int32(&preferredReadReplica, "PreferredReadReplica") }
            try c.nullableBytes(&records, "Records")
            guard c.flexible else { return }
            if c.isDecoding {
                try c.readTaggedFields { c, tag in
                    switch tag {
                    case 0:
                        var v = EpochEndOffset()
                        try c.int32(&v.epoch, "DivergingEpoch.Epoch")
                        try c.int64(&v.endOffset, "DivergingEpoch.EndOffset")
                        try c.emptyTaggedFields()
                        divergingEpoch = v
                    case 1:
                        var v = LeaderIDAndEpoch()
                        try c.int32(&v.leaderID, "CurrentLeader.LeaderId")
                        try c.int32(&v.leaderEpoch, "CurrentLeader.LeaderEpoch")
                        try c.emptyTaggedFields()
                        currentLeader = v
                    case 2:
                        var v = EpochEndOffset()
                        try c.int64(&v.endOffset, "SnapshotId.EndOffset")
                        try c.int32(&v.epoch, "SnapshotId.Epoch")
                        try c.emptyTaggedFields()
                        snapshotID = v
                    default: return false
                    }
                    return true
                }
            } else {
                c.writeTaggedFieldCount([divergingEpoch != nil, currentLeader != nil, snapshotID != nil].filter { $0 }.count)
                if var v = divergingEpoch {
                    try c.writeTaggedField(0) { c in
                        try c.int32(&v.epoch, "DivergingEpoch.Epoch")
                        try c.int64(&v.endOffset, "DivergingEpoch.EndOffset")
                        try c.emptyTaggedFields()
                    }
                }
                if var v = currentLeader {
                    try c.writeTaggedField(1) { c in
                        try c.int32(&v.leaderID, "CurrentLeader.LeaderId")
                        try c.int32(&v.leaderEpoch, "CurrentLeader.LeaderEpoch")
                        try c.emptyTaggedFields()
                    }
                }
                if var v = snapshotID {
                    try c.writeTaggedField(2) { c in
                        try c.int64(&v.endOffset, "SnapshotId.EndOffset")
                        try c.int32(&v.epoch, "SnapshotId.Epoch")
                        try c.emptyTaggedFields()
                    }
                }
            }
        }
    }

    public struct Topic: KafkaWireStruct {
        public var topic = ""
        public var partitions: [Partition] = []
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&topic, "Topic")
            try c.array(&partitions, "Partitions")
            try c.emptyTaggedFields()
        }
    }

    public var throttleTimeMs: Int32 = 0
    /// v7+. Top-level error (fetch sessions).
    public var errorCode = KafkaErrorCode.noError
    /// v7+.
    public var sessionID: Int32 = 0
    public var responses: [Topic] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.int32(&throttleTimeMs, "ThrottleTimeMs")
        if c.version >= 7 {
            try c.errorCode(&errorCode, "ErrorCode")
            try c.int32(&sessionID, "SessionId")
        }
        try c.array(&responses, "Responses")
        try c.emptyTaggedFields()
    }
}
