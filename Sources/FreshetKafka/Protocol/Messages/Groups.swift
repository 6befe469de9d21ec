import NIOCore

/// FindCoordinator (key 10), v0–v4 (flexible from v3; v4 asks for several keys at once).
public struct FindCoordinatorRequest: KafkaRequest {
    public typealias Response = FindCoordinatorResponse
    public static let apiKey = ApiKey.findCoordinator
    public static let supportedVersions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16? = 3

    /// v0–v3: the group id (or transactional id).
    public var key = ""
    /// v1+: 0 group, 1 transaction.
    public var keyType: Int8 = 0
    /// v4+.
    public var coordinatorKeys: [String] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version <= 3 { try c.string(&key, "Key") }
        if c.version >= 1 { try c.int8(&keyType, "KeyType") }
        if c.version >= 4 { try c.stringArray(&coordinatorKeys, "CoordinatorKeys") }
        try c.emptyTaggedFields()
    }
}

public struct FindCoordinatorResponse: KafkaWireStruct {
    public struct Coordinator: KafkaWireStruct {
        public var key = ""
        public var nodeID: Int32 = 0
        public var host = ""
        public var port: Int32 = 0
        public var errorCode = KafkaErrorCode.noError
        public var errorMessage: String? = nil
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&key, "Key")
            try c.int32(&nodeID, "NodeId")
            try c.string(&host, "Host")
            try c.int32(&port, "Port")
            try c.errorCode(&errorCode, "ErrorCode")
            try c.nullableString(&errorMessage, "ErrorMessage")
            try c.emptyTaggedFields()
        }
    }

    /// v1+.
    public var throttleTimeMs: Int32 = 0
    /// v0–v3.
    public var errorCode = KafkaErrorCode.noError
    /// v1–v3.
    public var errorMessage: String? = nil
    /// v0–v3.
    public var nodeID: Int32 = 0
    /// v0–v3.
    public var host = ""
    /// v0–v3.
    public var port: Int32 = 0
    /// v4+.
    public var coordinators: [Coordinator] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version >= 1 { try c.int32(&throttleTimeMs, "ThrottleTimeMs") }
        if c.version <= 3 {
            try c.errorCode(&errorCode, "ErrorCode")
            if c.version >= 1 { try c.nullableString(&errorMessage, "ErrorMessage") }
            try c.int32(&nodeID, "NodeId")
            try c.string(&host, "Host")
            try c.int32(&port, "Port")
        } else {
            try c.array(&coordinators, "Coordinators")
        }
        try c.emptyTaggedFields()
    }
}

extension FindCoordinatorResponse {
    /// What a FindCoordinator answer says about one key, the same for every version.
    public struct Answer: Sendable, Hashable {
        public var errorCode: KafkaErrorCode
        public var errorMessage: String?
        /// The coordinator's node id: at least 0 when `errorCode` is NONE.
        public var nodeID: Int32
        /// Not empty when `errorCode` is NONE.
        public var host: String
        /// In 1...65535 when `errorCode` is NONE.
        public var port: Int32
    }

    /// The answer for `key` (v4+: the entry naming it, else the first), checked: with no error
    /// the node id must be a broker's (≥ 0), the host not empty and the port a TCP port, or a
    /// `KafkaProtocolError` names the field. (A coordinator that is not available comes with
    /// an error code and node id -1, which is not checked.)
    public func answer(for key: String) throws -> Answer {
        var answer = Answer(errorCode: errorCode, errorMessage: errorMessage, nodeID: nodeID, host: host, port: port)
        var prefix = ""
        if let c = coordinators.first(where: { $0.key == key }) ?? coordinators.first {
            answer = Answer(errorCode: c.errorCode, errorMessage: c.errorMessage, nodeID: c.nodeID, host: c.host, port: c.port)
            prefix = "Coordinators."
        }
        guard answer.errorCode == .noError else { return answer }
        func bad(_ message: String, _ field: String) -> KafkaProtocolError {
            KafkaProtocolError(
                code: .invalidValue, message: "FindCoordinator for '\(key)': \(message)", api: .findCoordinator,
                field: prefix + field)
        }
        guard answer.nodeID >= 0 else { throw bad("coordinator node id \(answer.nodeID) is negative", "NodeId") }
        guard !answer.host.isEmpty else { throw bad("coordinator host is empty", "Host") }
        guard (1...65535).contains(answer.port) else { throw bad("coordinator port \(answer.port) is not in 1...65535", "Port") }
        return answer
    }
}

/// JoinGroup (key 11), v0–v9 (flexible from v6).
public struct JoinGroupRequest: KafkaRequest {
    public typealias Response = JoinGroupResponse
    public static let apiKey = ApiKey.joinGroup
    public static let supportedVersions: ClosedRange<Int16> = 0...9
    public static let firstFlexibleVersion: Int16? = 6

    public struct GroupProtocol: KafkaWireStruct {
        /// The assignor name ("range", "roundrobin", "cooperative-sticky").
        public var name = ""
        /// A `ConsumerProtocolSubscription` for consumer groups.
        public var metadata = ByteBuffer()
        public init() {}
        public init(name: String, metadata: ByteBuffer) {
            self.name = name
            self.metadata = metadata
        }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&name, "Name")
            try c.bytes(&metadata, "Metadata")
            try c.emptyTaggedFields()
        }
    }

    public var groupID = ""
    public var sessionTimeoutMs: Int32 = 45_000
    /// v1+. Defaults to -1.
    public var rebalanceTimeoutMs: Int32 = -1
    /// "" on the first join.
    public var memberID = ""
    /// v5+ (static membership).
    public var groupInstanceID: String? = nil
    /// "consumer" for consumer groups.
    public var protocolType = "consumer"
    public var protocols: [GroupProtocol] = []
    /// v8+.
    public var reason: String? = nil

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.string(&groupID, "GroupId")
        try c.int32(&sessionTimeoutMs, "SessionTimeoutMs")
        if c.version >= 1 { try c.int32(&rebalanceTimeoutMs, "RebalanceTimeoutMs") }
        try c.string(&memberID, "MemberId")
        if c.version >= 5 { try c.nullableString(&groupInstanceID, "GroupInstanceId") }
        try c.string(&protocolType, "ProtocolType")
        try c.array(&protocols, "Protocols")
        if c.version >= 8 { try c.nullableString(&reason, "Reason") }
        try c.emptyTaggedFields()
    }
}

public struct JoinGroupResponse: KafkaWireStruct {
    public struct Member: KafkaWireStruct {
        public var memberID = ""
        /// v5+.
        public var groupInstanceID: String? = nil
        public var metadata = ByteBuffer()
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&memberID, "MemberId")
            if c.version >= 5 { try c.nullableString(&groupInstanceID, "GroupInstanceId") }
            try c.bytes(&metadata, "Metadata")
            try c.emptyTaggedFields()
        }
    }

    /// v2+.
    public var throttleTimeMs: Int32 = 0
    public var errorCode = KafkaErrorCode.noError
    public var generationID: Int32 = -1
    /// v7+.
    public var protocolType: String? = nil
    /// Nullable from v7.
    public var protocolName: String? = ""
    public var leader = ""
    /// v9+.
    public var skipAssignment = false
    public var memberID = ""
    /// Filled only for the leader.
    public var members: [Member] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version >= 2 { try c.int32(&throttleTimeMs, "ThrottleTimeMs") }
        try c.errorCode(&errorCode, "ErrorCode")
        try c.int32(&generationID, "GenerationId")
        if c.version >= 7 {
            try c.nullableString(&protocolType, "ProtocolType")
            try c.nullableString(&protocolName, "ProtocolName")
        } else {
            var name = protocolName ?? ""
            try c.string(&name, "ProtocolName")
            protocolName = name
        }
        try c.string(&leader, "Leader")
        if c.version >= 9 { try c.bool(&skipAssignment, "SkipAssignment") }
        try c.string(&memberID, "MemberId")
        try c.array(&members, "Members")
        try c.emptyTaggedFields()
    }
}

/// SyncGroup (key 14), v0–v5 (flexible from v4).
public struct SyncGroupRequest: KafkaRequest {
    public typealias Response = SyncGroupResponse
    public static let apiKey = ApiKey.syncGroup
    public static let supportedVersions: ClosedRange<Int16> = 0...5
    public static let firstFlexibleVersion: Int16? = 4

    public struct Assignment: KafkaWireStruct {
        public var memberID = ""
        /// A `ConsumerProtocolAssignment` for consumer groups.
        public var assignment = ByteBuffer()
        public init() {}
        public init(memberID: String, assignment: ByteBuffer) {
            self.memberID = memberID
            self.assignment = assignment
        }
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&memberID, "MemberId")
            try c.bytes(&assignment, "Assignment")
            try c.emptyTaggedFields()
        }
    }

    public var groupID = ""
    public var generationID: Int32 = 0
    public var memberID = ""
    /// v3+.
    public var groupInstanceID: String? = nil
    /// v5+.
    public var protocolType: String? = nil
    /// v5+.
    public var protocolName: String? = nil
    /// The leader's assignments; empty for followers.
    public var assignments: [Assignment] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.string(&groupID, "GroupId")
        try c.int32(&generationID, "GenerationId")
        try c.string(&memberID, "MemberId")
        if c.version >= 3 { try c.nullableString(&groupInstanceID, "GroupInstanceId") }
        if c.version >= 5 {
            try c.nullableString(&protocolType, "ProtocolType")
            try c.nullableString(&protocolName, "ProtocolName")
        }
        try c.array(&assignments, "Assignments")
        try c.emptyTaggedFields()
    }
}

public struct SyncGroupResponse: KafkaWireStruct {
    /// v1+.
    public var throttleTimeMs: Int32 = 0
    public var errorCode = KafkaErrorCode.noError
    /// v5+.
    public var protocolType: String? = nil
    /// v5+.
    public var protocolName: String? = nil
    /// This member's `ConsumerProtocolAssignment`.
    public var assignment = ByteBuffer()

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version >= 1 { try c.int32(&throttleTimeMs, "ThrottleTimeMs") }
        try c.errorCode(&errorCode, "ErrorCode")
        if c.version >= 5 {
            try c.nullableString(&protocolType, "ProtocolType")
            try c.nullableString(&protocolName, "ProtocolName")
        }
        try c.bytes(&assignment, "Assignment")
        try c.emptyTaggedFields()
    }
}

/// Heartbeat (key 12), v0–v4 (flexible from v4).
public struct HeartbeatRequest: KafkaRequest {
    public typealias Response = HeartbeatResponse
    public static let apiKey = ApiKey.heartbeat
    public static let supportedVersions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16? = 4

    public var groupID = ""
    public var generationID: Int32 = 0
    public var memberID = ""
    /// v3+.
    public var groupInstanceID: String? = nil

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.string(&groupID, "GroupId")
        try c.int32(&generationID, "GenerationId")
        try c.string(&memberID, "MemberId")
        if c.version >= 3 { try c.nullableString(&groupInstanceID, "GroupInstanceId") }
        try c.emptyTaggedFields()
    }
}

public struct HeartbeatResponse: KafkaWireStruct {
    /// v1+.
    public var throttleTimeMs: Int32 = 0
    public var errorCode = KafkaErrorCode.noError

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version >= 1 { try c.int32(&throttleTimeMs, "ThrottleTimeMs") }
        try c.errorCode(&errorCode, "ErrorCode")
        try c.emptyTaggedFields()
    }
}

/// LeaveGroup (key 13), v0–v5 (flexible from v4; v3+ leaves several members at once).
public struct LeaveGroupRequest: KafkaRequest {
    public typealias Response = LeaveGroupResponse
    public static let apiKey = ApiKey.leaveGroup
    public static let supportedVersions: ClosedRange<Int16> = 0...5
    public static let firstFlexibleVersion: Int16? = 4

    public struct Member: KafkaWireStruct {
        public var memberID = ""
        public var groupInstanceID: String? = nil
        /// v5+.
        public var reason: String? = nil
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&memberID, "MemberId")
            try c.nullableString(&groupInstanceID, "GroupInstanceId")
            if c.version >= 5 { try c.nullableString(&reason, "Reason") }
            try c.emptyTaggedFields()
        }
    }

    public var groupID = ""
    /// v0–v2.
    public var memberID = ""
    /// v3+.
    public var members: [Member] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.string(&groupID, "GroupId")
        if c.version <= 2 { try c.string(&memberID, "MemberId") } else { try c.array(&members, "Members") }
        try c.emptyTaggedFields()
    }
}

public struct LeaveGroupResponse: KafkaWireStruct {
    public struct Member: KafkaWireStruct {
        public var memberID = ""
        public var groupInstanceID: String? = nil
        public var errorCode = KafkaErrorCode.noError
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&memberID, "MemberId")
            try c.nullableString(&groupInstanceID, "GroupInstanceId")
            try c.errorCode(&errorCode, "ErrorCode")
            try c.emptyTaggedFields()
        }
    }

    /// v1+.
    public var throttleTimeMs: Int32 = 0
    public var errorCode = KafkaErrorCode.noError
    /// v3+.
    public var members: [Member] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version >= 1 { try c.int32(&throttleTimeMs, "ThrottleTimeMs") }
        try c.errorCode(&errorCode, "ErrorCode")
        if c.version >= 3 { try c.array(&members, "Members") }
        try c.emptyTaggedFields()
    }
}
