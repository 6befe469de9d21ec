import NIOCore

@testable import FreshetKafka

/// Request/response values with every field away from its default, for round-trip tests.
enum ProtocolSamples {
    static let records = ByteBuffer(bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    static let topicID = KafkaUUID(high: 0xDEAD_BEEF, low: 42)

    static func pair(_ type: any KafkaRequest.Type) -> (any KafkaRequest, any KafkaWireStruct) {
        switch type.apiKey {
        case .apiVersions: return (apiVersionsRequest, apiVersionsResponse)
        case .metadata: return (metadataRequest, metadataResponse)
        case .produce: return (produceRequest, produceResponse)
        case .fetch: return (fetchRequest, fetchResponse)
        case .listOffsets: return (listOffsetsRequest, listOffsetsResponse)
        case .createTopics: return (createTopicsRequest, createTopicsResponse)
        case .initProducerId: return (initProducerIdRequest, initProducerIdResponse)
        case .findCoordinator: return (findCoordinatorRequest, findCoordinatorResponse)
        case .joinGroup: return (joinGroupRequest, joinGroupResponse)
        case .syncGroup: return (syncGroupRequest, syncGroupResponse)
        case .heartbeat: return (heartbeatRequest, heartbeatResponse)
        case .leaveGroup: return (leaveGroupRequest, leaveGroupResponse)
        case .offsetCommit: return (offsetCommitRequest, offsetCommitResponse)
        case .offsetFetch: return (offsetFetchRequest, offsetFetchResponse)
        case .saslHandshake: return (SaslHandshakeRequest(mechanism: "PLAIN"), saslHandshakeResponse)
        case .saslAuthenticate: return (SaslAuthenticateRequest(authBytes: ByteBuffer(bytes: [0, 0x75, 0, 0x70])), saslAuthenticateResponse)
        case .deleteTopics: return (DeleteTopicsRequest(names: ["users", "dlq"], timeoutMs: 5000), deleteTopicsResponse)
        case .listGroups: return (listGroupsRequest, listGroupsResponse)
        case .describeGroups: return (describeGroupsRequest, describeGroupsResponse)
        default: fatalError("no sample for \(type.apiKey)")
        }
    }

    static var apiVersionsRequest: ApiVersionsRequest {
        ApiVersionsRequest(clientSoftwareName: "freshet", clientSoftwareVersion: "0.1.0")
    }

    static var apiVersionsResponse: ApiVersionsResponse {
        var r = ApiVersionsResponse()
        r.errorCode = .unsupportedVersion
        r.apiKeys = [
            .init(apiKey: .produce, minVersion: 3, maxVersion: 11),
            .init(apiKey: .apiVersions, minVersion: 0, maxVersion: 4),
        ]
        r.throttleTimeMs = 5
        var feature = ApiVersionsResponse.SupportedFeature()
        feature.name = "metadata.version"
        feature.minVersion = 1
        feature.maxVersion = 21
        r.supportedFeatures = [feature]
        r.finalizedFeaturesEpoch = 77
        var finalized = ApiVersionsResponse.FinalizedFeature()
        finalized.name = "metadata.version"
        finalized.maxVersionLevel = 21
        finalized.minVersionLevel = 21
        r.finalizedFeatures = [finalized]
        r.zkMigrationReady = true
        return r
    }

    static var metadataRequest: MetadataRequest {
        var r = MetadataRequest(topics: ["users", "orders"], allowAutoTopicCreation: false)
        r.topics?[0].topicID = topicID
        r.includeClusterAuthorizedOperations = true
        r.includeTopicAuthorizedOperations = true
        return r
    }

    static var metadataResponse: MetadataResponse {
        var r = MetadataResponse()
        r.throttleTimeMs = 3
        r.brokers = [.init(nodeID: 1, host: "127.0.0.1", port: 9092, rack: "r1"), .init(nodeID: 2, host: "h2", port: 9093)]
        r.clusterID = "cluster-a"
        r.controllerID = 1
        var p = MetadataResponse.Partition()
        p.errorCode = .leaderNotAvailable
        p.partitionIndex = 2
        p.leaderID = 1
        p.leaderEpoch = 4
        p.replicaNodes = [101, 102, 103]
        p.isrNodes = [101, 102]
        p.offlineReplicas = [103]
        var t = MetadataResponse.Topic()
        t.name = "users"
        t.topicID = topicID
        t.isInternal = true
        t.partitions = [p]
        t.topicAuthorizedOperations = 0x0F
        r.topics = [t]
        r.clusterAuthorizedOperations = 0x10
        return r
    }

    static var produceRequest: ProduceRequest {
        ProduceRequest(
            acks: -1, timeoutMs: 1500,
            topicData: [.init(name: "users", partitionData: [.init(index: 0, records: records), .init(index: 1, records: nil)])],
            transactionalID: "tx")
    }

    static var produceResponse: ProduceResponse {
        var p = ProduceResponse.PartitionResponse()
        p.index = 1
        p.errorCode = .notLeaderOrFollower
        p.baseOffset = 1000
        p.logAppendTimeMs = 1_700_000_000_000
        p.logStartOffset = 10
        var e = ProduceResponse.RecordError()
        e.batchIndex = 3
        e.batchIndexErrorMessage = "bad"
        p.recordErrors = [e]
        p.errorMessage = "boom"
        var t = ProduceResponse.TopicResponse()
        t.name = "users"
        t.partitionResponses = [p]
        var r = ProduceResponse()
        r.responses = [t]
        r.throttleTimeMs = 9
        return r
    }

    static var fetchRequest: FetchRequest {
        var r = FetchRequest()
        r.clusterID = "cluster-a"
        r.maxWaitMs = 100
        r.minBytes = 10
        r.maxBytes = 1 << 20
        r.isolationLevel = 1
        r.sessionID = 5
        r.sessionEpoch = 6
        var p = FetchRequest.Partition(partition: 3, fetchOffset: 42, partitionMaxBytes: 65536)
        p.currentLeaderEpoch = 2
        p.lastFetchedEpoch = 1
        p.logStartOffset = 7
        r.topics = [.init(topic: "users", partitions: [p])]
        var forgotten = FetchRequest.ForgottenTopic()
        forgotten.topic = "old"
        forgotten.partitions = [1, 2]
        r.forgottenTopicsData = [forgotten]
        r.rackID = "rack-1"
        return r
    }

    static var fetchResponse: FetchResponse {
        var p = FetchResponse.Partition()
        p.partitionIndex = 3
        p.errorCode = .offsetOutOfRange
        p.highWatermark = 100
        p.lastStableOffset = 90
        p.logStartOffset = 1
        p.divergingEpoch = .init(epoch: 2, endOffset: 50)
        p.currentLeader = .init(leaderID: 1, leaderEpoch: 3)
        p.snapshotID = .init(epoch: 1, endOffset: 20)
        var a = FetchResponse.AbortedTransaction()
        a.producerID = 11
        a.firstOffset = 12
        p.abortedTransactions = [a]
        p.preferredReadReplica = 2
        p.records = records
        var t = FetchResponse.Topic()
        t.topic = "users"
        t.partitions = [p]
        var r = FetchResponse()
        r.throttleTimeMs = 1
        r.errorCode = .fetchSessionIdNotFound
        r.sessionID = 99
        r.responses = [t]
        return r
    }

    static var listOffsetsRequest: ListOffsetsRequest {
        var r = ListOffsetsRequest()
        r.isolationLevel = 1
        var p = ListOffsetsRequest.Partition(partitionIndex: 0, timestamp: ListOffsetsRequest.earliestTimestamp)
        p.currentLeaderEpoch = 3
        r.topics = [.init(name: "users", partitions: [p])]
        return r
    }

    static var listOffsetsResponse: ListOffsetsResponse {
        var p = ListOffsetsResponse.Partition()
        p.partitionIndex = 0
        p.errorCode = .noError
        p.timestamp = 123
        p.offset = 456
        p.leaderEpoch = 3
        var t = ListOffsetsResponse.Topic()
        t.name = "users"
        t.partitions = [p]
        var r = ListOffsetsResponse()
        r.throttleTimeMs = 2
        r.topics = [t]
        return r
    }

    static var createTopicsRequest: CreateTopicsRequest {
        var t = CreateTopicsRequest.Topic(
            name: "users", numPartitions: 3, replicationFactor: 1, configs: [.init(name: "retention.ms", value: "1000"), .init(name: "x", value: nil)])
        var a = CreateTopicsRequest.Assignment()
        a.partitionIndex = 0
        a.brokerIDs = [1]
        t.assignments = [a]
        var r = CreateTopicsRequest()
        r.topics = [t]
        r.timeoutMs = 5000
        r.validateOnly = true
        return r
    }

    static var createTopicsResponse: CreateTopicsResponse {
        var c = CreateTopicsResponse.Config()
        c.name = "retention.ms"
        c.value = "1000"
        c.readOnly = true
        c.configSource = 5
        c.isSensitive = true
        var t = CreateTopicsResponse.Topic()
        t.name = "users"
        t.topicID = topicID
        t.errorCode = .topicAlreadyExists
        t.errorMessage = "exists"
        t.topicConfigErrorCode = .clusterAuthorizationFailed
        t.numPartitions = 3
        t.replicationFactor = 1
        t.configs = [c]
        var r = CreateTopicsResponse()
        r.throttleTimeMs = 4
        r.topics = [t]
        return r
    }

    static var initProducerIdRequest: InitProducerIdRequest {
        var r = InitProducerIdRequest()
        r.transactionalID = "tx"
        r.transactionTimeoutMs = 60000
        r.producerID = 5
        r.producerEpoch = 2
        return r
    }

    static var initProducerIdResponse: InitProducerIdResponse {
        var r = InitProducerIdResponse()
        r.throttleTimeMs = 1
        r.errorCode = .coordinatorLoadInProgress
        r.producerID = 1000
        r.producerEpoch = 3
        return r
    }

    static var findCoordinatorRequest: FindCoordinatorRequest {
        var r = FindCoordinatorRequest()
        r.key = "group-a"
        r.keyType = 0
        r.coordinatorKeys = ["group-a", "group-b"]
        return r
    }

    static var findCoordinatorResponse: FindCoordinatorResponse {
        var r = FindCoordinatorResponse()
        r.throttleTimeMs = 1
        r.errorCode = .coordinatorNotAvailable
        r.errorMessage = "later"
        r.nodeID = 1
        r.host = "h"
        r.port = 9092
        var c = FindCoordinatorResponse.Coordinator()
        c.key = "group-a"
        c.nodeID = 1
        c.host = "h"
        c.port = 9092
        c.errorCode = .noError
        c.errorMessage = nil
        r.coordinators = [c]
        return r
    }

    static var subscription: ByteBuffer {
        try! ConsumerProtocolSubscription(topics: ["users"], userData: nil).encoded(version: 1)
    }

    static var joinGroupRequest: JoinGroupRequest {
        var r = JoinGroupRequest()
        r.groupID = "group-a"
        r.sessionTimeoutMs = 6000
        r.rebalanceTimeoutMs = 30000
        r.memberID = "m-1"
        r.groupInstanceID = "static-1"
        r.protocols = [.init(name: "range", metadata: subscription), .init(name: "roundrobin", metadata: subscription)]
        r.reason = "rejoin"
        return r
    }

    static var joinGroupResponse: JoinGroupResponse {
        var m = JoinGroupResponse.Member()
        m.memberID = "m-1"
        m.groupInstanceID = "static-1"
        m.metadata = subscription
        var r = JoinGroupResponse()
        r.throttleTimeMs = 1
        r.errorCode = .noError
        r.generationID = 4
        r.protocolType = "consumer"
        r.protocolName = "range"
        r.leader = "m-1"
        r.skipAssignment = true
        r.memberID = "m-1"
        r.members = [m]
        return r
    }

    static var assignment: ByteBuffer {
        try! ConsumerProtocolAssignment(assignedPartitions: [.init(topic: "users", partitions: [0, 1])]).encoded(version: 0)
    }

    static var syncGroupRequest: SyncGroupRequest {
        var r = SyncGroupRequest()
        r.groupID = "group-a"
        r.generationID = 4
        r.memberID = "m-1"
        r.groupInstanceID = "static-1"
        r.protocolType = "consumer"
        r.protocolName = "range"
        r.assignments = [.init(memberID: "m-1", assignment: assignment)]
        return r
    }

    static var syncGroupResponse: SyncGroupResponse {
        var r = SyncGroupResponse()
        r.throttleTimeMs = 1
        r.errorCode = .rebalanceInProgress
        r.protocolType = "consumer"
        r.protocolName = "range"
        r.assignment = assignment
        return r
    }

    static var heartbeatRequest: HeartbeatRequest {
        var r = HeartbeatRequest()
        r.groupID = "group-a"
        r.generationID = 4
        r.memberID = "m-1"
        r.groupInstanceID = "static-1"
        return r
    }

    static var heartbeatResponse: HeartbeatResponse {
        var r = HeartbeatResponse()
        r.throttleTimeMs = 1
        r.errorCode = .rebalanceInProgress
        return r
    }

    static var leaveGroupRequest: LeaveGroupRequest {
        var m = LeaveGroupRequest.Member()
        m.memberID = "m-1"
        m.groupInstanceID = "static-1"
        m.reason = "shutdown"
        var r = LeaveGroupRequest()
        r.groupID = "group-a"
        r.memberID = "m-1"
        r.members = [m]
        return r
    }

    static var leaveGroupResponse: LeaveGroupResponse {
        var m = LeaveGroupResponse.Member()
        m.memberID = "m-1"
        m.groupInstanceID = "static-1"
        m.errorCode = .unknownMemberId
        var r = LeaveGroupResponse()
        r.throttleTimeMs = 1
        r.errorCode = .noError
        r.members = [m]
        return r
    }

    static var offsetCommitRequest: OffsetCommitRequest {
        var p = OffsetCommitRequest.Partition(partitionIndex: 0, committedOffset: 42, committedMetadata: "meta")
        p.committedLeaderEpoch = 3
        var r = OffsetCommitRequest()
        r.groupID = "group-a"
        r.generationID = 4
        r.memberID = "m-1"
        r.groupInstanceID = "static-1"
        r.retentionTimeMs = 1000
        r.topics = [.init(name: "users", partitions: [p])]
        return r
    }

    static var offsetCommitResponse: OffsetCommitResponse {
        var p = OffsetCommitResponse.Partition()
        p.partitionIndex = 0
        p.errorCode = .illegalGeneration
        var t = OffsetCommitResponse.Topic()
        t.name = "users"
        t.partitions = [p]
        var r = OffsetCommitResponse()
        r.throttleTimeMs = 1
        r.topics = [t]
        return r
    }

    static var offsetFetchRequest: OffsetFetchRequest {
        var r = OffsetFetchRequest()
        r.groupID = "group-a"
        r.topics = [.init(name: "users", partitionIndexes: [0, 1])]
        r.groups = [.init(groupID: "group-a", topics: [.init(name: "users", partitionIndexes: [0])]), .init(groupID: "group-b", topics: nil)]
        r.requireStable = true
        return r
    }

    static var offsetFetchResponse: OffsetFetchResponse {
        var p = OffsetFetchResponse.Partition()
        p.partitionIndex = 0
        p.committedOffset = 42
        p.committedLeaderEpoch = 3
        p.metadata = "meta"
        p.errorCode = .noError
        var t = OffsetFetchResponse.Topic()
        t.name = "users"
        t.partitions = [p]
        var g = OffsetFetchResponse.Group()
        g.groupID = "group-a"
        g.topics = [t]
        g.errorCode = .groupAuthorizationFailed
        var r = OffsetFetchResponse()
        r.throttleTimeMs = 1
        r.topics = [t]
        r.errorCode = .notCoordinator
        r.groups = [g]
        return r
    }

    static var saslHandshakeResponse: SaslHandshakeResponse {
        var r = SaslHandshakeResponse()
        r.errorCode = .unsupportedSaslMechanism
        r.mechanisms = ["PLAIN", "SCRAM-SHA-256"]
        return r
    }

    static var saslAuthenticateResponse: SaslAuthenticateResponse {
        var r = SaslAuthenticateResponse()
        r.errorCode = .saslAuthenticationFailed
        r.errorMessage = "no"
        r.authBytes = ByteBuffer(bytes: [1, 2])
        r.sessionLifetimeMs = 3600
        return r
    }

    static var deleteTopicsResponse: DeleteTopicsResponse {
        var a = DeleteTopicsResponse.Result()
        a.name = "users"
        a.topicID = topicID
        var b = DeleteTopicsResponse.Result()
        b.name = "dlq"
        b.errorCode = .unknownTopicOrPartition
        b.errorMessage = "no such topic"
        var r = DeleteTopicsResponse()
        r.throttleTimeMs = 3
        r.responses = [a, b]
        return r
    }

    static var listGroupsRequest: ListGroupsRequest {
        var r = ListGroupsRequest()
        r.statesFilter = ["Stable"]
        r.typesFilter = ["classic"]
        return r
    }

    static var listGroupsResponse: ListGroupsResponse {
        var g = ListGroupsResponse.Group()
        g.groupID = "freshet-processor"
        g.protocolType = "consumer"
        g.groupState = "Stable"
        g.groupType = "classic"
        var r = ListGroupsResponse()
        r.throttleTimeMs = 2
        r.errorCode = .coordinatorLoadInProgress
        r.groups = [g]
        return r
    }

    static var describeGroupsRequest: DescribeGroupsRequest {
        var r = DescribeGroupsRequest(groups: ["group-a", "group-b"])
        r.includeAuthorizedOperations = true
        return r
    }

    static var describeGroupsResponse: DescribeGroupsResponse {
        var m = DescribeGroupsResponse.Member()
        m.memberID = "consumer-1-abc"
        m.groupInstanceID = "instance-1"
        m.clientID = "freshet"
        m.clientHost = "/127.0.0.1"
        m.memberMetadata = ByteBuffer(bytes: [0, 0, 0, 0, 0, 1, 0, 5, 117, 115, 101, 114, 115, 255, 255, 255, 255])
        m.memberAssignment = ByteBuffer(bytes: [0, 0, 0, 0, 0, 0, 255, 255, 255, 255])
        var g = DescribeGroupsResponse.Group()
        g.errorCode = .groupAuthorizationFailed
        g.groupID = "group-a"
        g.groupState = "Stable"
        g.protocolType = "consumer"
        g.protocolData = "range"
        g.members = [m]
        g.authorizedOperations = 0x0F
        var r = DescribeGroupsResponse()
        r.throttleTimeMs = 1
        r.groups = [g]
        return r
    }
}
