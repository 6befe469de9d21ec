import NIOCore

/// ListGroups (key 16), v0–v5 (flexible from v3): the groups a broker coordinates.
public struct ListGroupsRequest: KafkaRequest {
    public typealias Response = ListGroupsResponse
    public static let apiKey = ApiKey.listGroups
    public static let supportedVersions: ClosedRange<Int16> = 0...5
    public static let firstFlexibleVersion: Int16? = 3

    /// v4+. Empty lists groups in every state.
    public var statesFilter: [String] = []
    /// v5+. Empty lists groups of every type.
    public var typesFilter: [String] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version >= 4 { try c.stringArray(&statesFilter, "StatesFilter") }
        if c.version >= 5 { try c.stringArray(&typesFilter, "TypesFilter") }
        try c.emptyTaggedFields()
    }
}

public struct ListGroupsResponse: KafkaWireStruct {
    public struct Group: KafkaWireStruct {
        public var groupID = ""
        public var protocolType = ""
        /// v4+.
        public var groupState = ""
        /// v5+.
        public var groupType = ""
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&groupID, "GroupId")
            try c.string(&protocolType, "ProtocolType")
            if c.version >= 4 { try c.string(&groupState, "GroupState") }
            if c.version >= 5 { try c.string(&groupType, "GroupType") }
            try c.emptyTaggedFields()
        }
    }

    /// v1+.
    public var throttleTimeMs: Int32 = 0
    public var errorCode = KafkaErrorCode.noError
    public var groups: [Group] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version >= 1 { try c.int32(&throttleTimeMs, "ThrottleTimeMs") }
        try c.errorCode(&errorCode, "ErrorCode")
        try c.array(&groups, "Groups")
        try c.emptyTaggedFields()
    }
}

/// DescribeGroups (key 15), v0–v5 (flexible from v5): members and state of groups.
public struct DescribeGroupsRequest: KafkaRequest {
    public typealias Response = DescribeGroupsResponse
    public static let apiKey = ApiKey.describeGroups
    public static let supportedVersions: ClosedRange<Int16> = 0...5
    public static let firstFlexibleVersion: Int16? = 5

    public var groups: [String] = []
    /// v3+.
    public var includeAuthorizedOperations = false

    public init() {}
    public init(groups: [String]) { self.groups = groups }

    public mutating func code(_ c: inout KafkaCodec) throws {
        try c.stringArray(&groups, "Groups")
        if c.version >= 3 { try c.bool(&includeAuthorizedOperations, "IncludeAuthorizedOperations") }
        try c.emptyTaggedFields()
    }
}

public struct DescribeGroupsResponse: KafkaWireStruct {
    public struct Member: KafkaWireStruct {
        public var memberID = ""
        /// v4+.
        public var groupInstanceID: String? = nil
        public var clientID = ""
        public var clientHost = ""
        /// A `ConsumerProtocolSubscription` for consumer groups.
        public var memberMetadata = ByteBuffer()
        /// A `ConsumerProtocolAssignment` for consumer groups.
        public var memberAssignment = ByteBuffer()
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.string(&memberID, "MemberId")
            if c.version >= 4 { try c.nullableString(&groupInstanceID, "GroupInstanceId") }
            try c.string(&clientID, "ClientId")
            try c.string(&clientHost, "ClientHost")
            try c.bytes(&memberMetadata, "MemberMetadata")
            try c.bytes(&memberAssignment, "MemberAssignment")
            try c.emptyTaggedFields()
        }
    }

    public struct Group: KafkaWireStruct {
        public var errorCode = KafkaErrorCode.noError
        public var groupID = ""
        /// "Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead", or "".
        public var groupState = ""
        public var protocolType = ""
        /// The assignor name for consumer groups.
        public var protocolData = ""
        public var members: [Member] = []
        /// v3+. Defaults to Int32.min (not requested).
        public var authorizedOperations: Int32 = .min
        public init() {}
        public mutating func code(_ c: inout KafkaCodec) throws {
            try c.errorCode(&errorCode, "ErrorCode")
            try c.string(&groupID, "GroupId")
            try c.string(&groupState, "GroupState")
            try c.string(&protocolType, "ProtocolType")
            try c.string(&protocolData, "ProtocolData")
            try c.array(&members, "Members")
            if c.version >= 3 { try c.int32(&authorizedOperations, "AuthorizedOperations") }
            try c.emptyTaggedFields()
        }
    }

    /// v1+.
    public var throttleTimeMs: Int32 = 0
    public var groups: [Group] = []

    public init() {}

    public mutating func code(_ c: inout KafkaCodec) throws {
        if c.version >= 1 { try c.int32(&throttleTimeMs, "ThrottleTimeMs") }
        try c.array(&groups, "Groups")
        try c.emptyTaggedFields()
    }
}
