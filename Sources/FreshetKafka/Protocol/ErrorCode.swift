/// A Kafka error code as carried in responses (`ErrorCode` fields).
///
/// A struct rather than an enum so that codes newer than this table still round-trip.
/// `name` is Kafka's own name (`UNKNOWN_TOPIC_OR_PARTITION`); `isRetriable` follows the Java
/// client (the exception is a `RetriableException`).
public struct KafkaErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    public static let noError = KafkaErrorCode(rawValue: 0)

    public static let unknownServerError = KafkaErrorCode(rawValue: -1)
    public static let offsetOutOfRange = KafkaErrorCode(rawValue: 1)
    public static let corruptMessage = KafkaErrorCode(rawValue: 2)
    public static let unknownTopicOrPartition = KafkaErrorCode(rawValue: 3)
    public static let invalidFetchSize = KafkaErrorCode(rawValue: 4)
    public static let leaderNotAvailable = KafkaErrorCode(rawValue: 5)
    public static let notLeaderOrFollower = KafkaErrorCode(rawValue: 6)
    public static let requestTimedOut = KafkaErrorCode(rawValue: 7)
    public static let brokerNotAvailable = KafkaErrorCode(rawValue: 8)
    public static let replicaNotAvailable = KafkaErrorCode(rawValue: 9)
    public static let messageTooLarge = KafkaErrorCode(rawValue: 10)
    public static let staleControllerEpoch = KafkaErrorCode(rawValue: 11)
    public static let offsetMetadataTooLarge = KafkaErrorCode(rawValue: 12)
    public static let networkException = KafkaErrorCode(rawValue: 13)
    public static let coordinatorLoadInProgress = KafkaErrorCode(rawValue: 14)
    public static let coordinatorNotAvailable = KafkaErrorCode(rawValue: 15)
    public static let notCoordinator = KafkaErrorCode(rawValue: 16)
    public static let invalidTopicException = KafkaErrorCode(rawValue: 17)
    public static let recordListTooLarge = KafkaErrorCode(rawValue: 18)
    public static let notEnoughReplicas = KafkaErrorCode(rawValue: 19)
    public static let notEnoughReplicasAfterAppend = KafkaErrorCode(rawValue: 20)
    public static let invalidRequiredAcks = KafkaErrorCode(rawValue: 21)
    public static let illegalGeneration = KafkaErrorCode(rawValue: 22)
    public static let inconsistentGroupProtocol = KafkaErrorCode(rawValue: 23)
    public static let invalidGroupId = KafkaErrorCode(rawValue: 24)
    public static let unknownMemberId = KafkaErrorCode(rawValue: 25)
    public static let invalidSessionTimeout = KafkaErrorCode(rawValue: 26)
    public static let rebalanceInProgress = KafkaErrorCode(rawValue: 27)
    public static let invalidCommitOffsetSize = KafkaErrorCode(rawValue: 28)
    public static let topicAuthorizationFailed = KafkaErrorCode(rawValue: 29)
    public static let groupAuthorizationFailed = KafkaErrorCode(rawValue: 30)
    public static let clusterAuthorizationFailed = KafkaErrorCode(rawValue: 31)
    public static let invalidTimestamp = KafkaErrorCode(rawValue: 32)
    public static let unsupportedSaslMechanism = KafkaErrorCode(rawValue: 33)
    public static let illegalSaslState = KafkaErrorCode(rawValue: 34)
    public static let unsupportedVersion = KafkaErrorCode(rawValue: 35)
    public static let topicAlreadyExists = KafkaErrorCode(rawValue: 36)
    public static let invalidPartitions = KafkaErrorCode(rawValue: 37)
    public static let invalidReplicationFactor = KafkaErrorCode(rawValue: 38)
    public static let invalidReplicaAssignment = KafkaErrorCode(rawValue: 39)
    public static let invalidConfig = KafkaErrorCode(rawValue: 40)
    public static let notController = KafkaErrorCode(rawValue: 41)
    public static let invalidRequest = KafkaErrorCode(rawValue: 42)
    public static let unsupportedForMessageFormat = KafkaErrorCode(rawValue: 43)
    public static let policyViolation = KafkaErrorCode(rawValue: 44)
    public static let outOfOrderSequenceNumber = KafkaErrorCode(rawValue: 45)
    public static let duplicateSequenceNumber = KafkaErrorCode(rawValue: 46)
    public static let invalidProducerEpoch = KafkaErrorCode(rawValue: 47)
    public static let invalidTxnState = KafkaErrorCode(rawValue: 48)
    public static let invalidProducerIdMapping = KafkaErrorCode(rawValue: 49)
    public static let invalidTransactionTimeout = KafkaErrorCode(rawValue: 50)
    public static let concurrentTransactions = KafkaErrorCode(rawValue: 51)
    public static let transactionCoordinatorFenced = KafkaErrorCode(rawValue: 52)
    public static let transactionalIdAuthorizationFailed = KafkaErrorCode(rawValue: 53)
    public static let securityDisabled = KafkaErrorCode(rawValue: 54)
    public static let operationNotAttempted = KafkaErrorCode(rawValue: 55)
    public static let kafkaStorageError = KafkaErrorCode(rawValue: 56)
    public static let logDirNotFound = KafkaErrorCode(rawValue: 57)
    public static let saslAuthenticationFailed = KafkaErrorCode(rawValue: 58)
    public static let unknownProducerId = KafkaErrorCode(rawValue: 59)
    public static let reassignmentInProgress = KafkaErrorCode(rawValue: 60)
    public static let delegationTokenAuthDisabled = KafkaErrorCode(rawValue: 61)
    public static let delegationTokenNotFound = KafkaErrorCode(rawValue: 62)
    public static let delegationTokenOwnerMismatch = KafkaErrorCode(rawValue: 63)
    public static let delegationTokenRequestNotAllowed = KafkaErrorCode(rawValue: 64)
    public static let delegationTokenAuthorizationFailed = KafkaErrorCode(rawValue: 65)
    public static let delegationTokenExpired = KafkaErrorCode(rawValue: 66)
    public static let invalidPrincipalType = KafkaErrorCode(rawValue: 67)
    public static let nonEmptyGroup = KafkaErrorCode(rawValue: 68)
    public static let groupIdNotFound = KafkaErrorCode(rawValue: 69)
    public static let fetchSessionIdNotFound = KafkaErrorCode(rawValue: 70)
    public static let invalidFetchSessionEpoch = KafkaErrorCode(rawValue: 71)
    public static let listenerNotFound = KafkaErrorCode(rawValue: 72)
    public static let topicDeletionDisabled = KafkaErrorCode(rawValue: 73)
    public static let fencedLeaderEpoch = KafkaErrorCode(rawValue: 74)
    public static let unknownLeaderEpoch = KafkaErrorCode(rawValue: 75)
    public static let unsupportedCompressionType = KafkaErrorCode(rawValue: 76)
    public static let staleBrokerEpoch = KafkaErrorCode(rawValue: 77)
    public static let offsetNotAvailable = KafkaErrorCode(rawValue: 78)
    public static let memberIdRequired = KafkaErrorCode(rawValue: 79)
    public static let preferredLeaderNotAvailable = KafkaErrorCode(rawValue: 80)
    public static let groupMaxSizeReached = KafkaErrorCode(rawValue: 81)
    public static let fencedInstanceId = KafkaErrorCode(rawValue: 82)
    public static let eligibleLeadersNotAvailable = KafkaErrorCode(rawValue: 83)
    public static let electionNotNeeded = KafkaErrorCode(rawValue: 84)
    public static let noReassignmentInProgress = KafkaErrorCode(rawValue: 85)
    public static let groupSubscribedToTopic = KafkaErrorCode(rawValue: 86)
    public static let invalidRecord = KafkaErrorCode(rawValue: 87)
    public static let unstableOffsetCommit = KafkaErrorCode(rawValue: 88)
    public static let throttlingQuotaExceeded = KafkaErrorCode(rawValue: 89)
    public static let producerFenced = KafkaErrorCode(rawValue: 90)
    public static let resourceNotFound = KafkaErrorCode(rawValue: 91)
    public static let duplicateResource = KafkaErrorCode(rawValue: 92)
    public static let unacceptableCredential = KafkaErrorCode(rawValue: 93)
    public static let inconsistentVoterSet = KafkaErrorCode(rawValue: 94)
    public static let invalidUpdateVersion = KafkaErrorCode(rawValue: 95)
    public static let featureUpdateFailed = KafkaErrorCode(rawValue: 96)
    public static let principalDeserializationFailure = KafkaErrorCode(rawValue: 97)
    public static let snapshotNotFound = KafkaErrorCode(rawValue: 98)
    public static let unknownTopicId = KafkaErrorCode(rawValue: 100)
    public static let duplicateBrokerRegistration = KafkaErrorCode(rawValue: 101)
    public static let brokerIdNotRegistered = KafkaErrorCode(rawValue: 102)
    public static let inconsistentTopicId = KafkaErrorCode(rawValue: 103)
    public static let inconsistentClusterId = KafkaErrorCode(rawValue: 104)
    public static let transactionalIdNotFound = KafkaErrorCode(rawValue: 105)
    public static let fetchSessionTopicIdError = KafkaErrorCode(rawValue: 106)
    public static let ineligibleReplica = KafkaErrorCode(rawValue: 107)
    public static let newLeaderElected = KafkaErrorCode(rawValue: 108)
    public static let offsetMovedToTieredStorage = KafkaErrorCode(rawValue: 109)
    public static let fencedMemberEpoch = KafkaErrorCode(rawValue: 110)
    public static let unreleasedInstanceId = KafkaErrorCode(rawValue: 111)
    public static let unsupportedAssignor = KafkaErrorCode(rawValue: 112)
    public static let staleMemberEpoch = KafkaErrorCode(rawValue: 113)
    public static let mismatchedEndpointType = KafkaErrorCode(rawValue: 114)
    public static let unsupportedEndpointType = KafkaErrorCode(rawValue: 115)
    public static let unknownControllerId = KafkaErrorCode(rawValue: 116)
    public static let unknownSubscriptionId = KafkaErrorCode(rawValue: 117)
    public static let telemetryTooLarge = KafkaErrorCode(rawValue: 118)
    public static let invalidRegistration = KafkaErrorCode(rawValue: 119)
    public static let transactionAbortable = KafkaErrorCode(rawValue: 120)
    public static let invalidRecordState = KafkaErrorCode(rawValue: 121)
    public static let shareSessionNotFound = KafkaErrorCode(rawValue: 122)
    public static let invalidShareSessionEpoch = KafkaErrorCode(rawValue: 123)
    public static let fencedStateEpoch = KafkaErrorCode(rawValue: 124)
    public static let invalidVoterKey = KafkaErrorCode(rawValue: 125)
    public static let duplicateVoter = KafkaErrorCode(rawValue: 126)
    public static let voterNotFound = KafkaErrorCode(rawValue: 127)
    public static let invalidRegularExpression = KafkaErrorCode(rawValue: 128)

    struct Info: Sendable {
        let name: String
        let retriable: Bool
    }

    static let table: [Int16: Info] = [
        0: Info(name: "NONE", retriable: false),
        -1: Info(name: "UNKNOWN_SERVER_ERROR", retriable: false),
        1: Info(name: "OFFSET_OUT_OF_RANGE", retriable: false),
        2: Info(name: "CORRUPT_MESSAGE", retriable: true),
        3: Info(name: "UNKNOWN_TOPIC_OR_PARTITION", retriable: true),
        4: Info(name: "INVALID_FETCH_SIZE", retriable: false),
        5: Info(name: "LEADER_NOT_AVAILABLE", retriable: true),
        6: Info(name: "NOT_LEADER_OR_FOLLOWER", retriable: true),
        7: Info(name: "REQUEST_TIMED_OUT", retriable: true),
        8: Info(name: "BROKER_NOT_AVAILABLE", retriable: false),
        9: Info(name: "REPLICA_NOT_AVAILABLE", retriable: true),
        10: Info(name: "MESSAGE_TOO_LARGE", retriable: false),
        11: Info(name: "STALE_CONTROLLER_EPOCH", retriable: false),
        12: Info(name: "OFFSET_METADATA_TOO_LARGE", retriable: false),
        13: Info(name: "NETWORK_EXCEPTION", retriable: true),
        14: Info(name: "COORDINATOR_LOAD_IN_PROGRESS", retriable: true),
        15: Info(name: "COORDINATOR_NOT_AVAILABLE", retriable: true),
        16: Info(name: "NOT_COORDINATOR", retriable: true),
        17: Info(name: "INVALID_TOPIC_EXCEPTION", retriable: false),
        18: Info(name: "RECORD_LIST_TOO_LARGE", retriable: false),
        19: Info(name: "NOT_ENOUGH_REPLICAS", retriable: true),
        20: Info(name: "NOT_ENOUGH_REPLICAS_AFTER_APPEND", retriable: true),
        21: Info(name: "INVALID_REQUIRED_ACKS", retriable: false),
        22: Info(name: "ILLEGAL_GENERATION", retriable: false),
        23: Info(name: "INCONSISTENT_GROUP_PROTOCOL", retriable: false),
        24: Info(name: "INVALID_GROUP_ID", retriable: false),
        25: Info(name: "UNKNOWN_MEMBER_ID", retriable: false),
        26: Info(name: "INVALID_SESSION_TIMEOUT", retriable: false),
        27: Info(name: "REBALANCE_IN_PROGRESS", retriable: false),
        28: Info(name: "INVALID_COMMIT_OFFSET_SIZE", retriable: false),
        29: Info(name: "TOPIC_AUTHORIZATION_FAILED", retriable: false),
        30: Info(name: "GROUP_AUTHORIZATION_FAILED", retriable: false),
        31: Info(name: "CLUSTER_AUTHORIZATION_FAILED", retriable: false),
        32: Info(name: "INVALID_TIMESTAMP", retriable: false),
        33: Info(name: "UNSUPPORTED_SASL_MECHANISM", retriable: false),
        34: Info(name: "ILLEGAL_SASL_STATE", retriable: false),
        35: Info(name: "UNSUPPORTED_VERSION", retriable: false),
        36: Info(name: "TOPIC_ALREADY_EXISTS", retriable: false),
        37: Info(name: "INVALID_PARTITIONS", retriable: false),
        38: Info(name: "INVALID_REPLICATION_FACTOR", retriable: false),
        39: Info(name: "INVALID_REPLICA_ASSIGNMENT", retriable: false),
        40: Info(name: "INVALID_CONFIG", retriable: false),
        41: Info(name: "NOT_CONTROLLER", retriable: true),
        42: Info(name: "INVALID_REQUEST", retriable: false),
        43: Info(name: "UNSUPPORTED_FOR_MESSAGE_FORMAT", retriable: false),
        44: Info(name: "POLICY_VIOLATION", retriable: false),
        45: Info(name: "OUT_OF_ORDER_SEQUENCE_NUMBER", retriable: false),
        46: Info(name: "DUPLICATE_SEQUENCE_NUMBER", retriable: false),
        47: Info(name: "INVALID_PRODUCER_EPOCH", retriable: false),
        48: Info(name: "INVALID_TXN_STATE", retriable: false),
        49: Info(name: "INVALID_PRODUCER_ID_MAPPING", retriable: false),
        50: Info(name: "INVALID_TRANSACTION_TIMEOUT", retriable: false),
        51: Info(name: "CONCURRENT_TRANSACTIONS", retriable: true),
        52: Info(name: "TRANSACTION_COORDINATOR_FENCED", retriable: false),
        53: Info(name: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", retriable: false),
        54: Info(name: "SECURITY_DISABLED", retriable: false),
        55: Info(name: "OPERATION_NOT_ATTEMPTED", retriable: false),
        56: Info(name: "KAFKA_STORAGE_ERROR", retriable: true),
        57: Info(name: "LOG_DIR_NOT_FOUND", retriable: false),
        58: Info(name: "SASL_AUTHENTICATION_FAILED", retriable: false),
        59: Info(name: "UNKNOWN_PRODUCER_ID", retriable: false),
        60: Info(name: "REASSIGNMENT_IN_PROGRESS", retriable: false),
        61: Info(name: "DELEGATION_TOKEN_AUTH_DISABLED", retriable: false),
        62: Info(name: "DELEGATION_TOKEN_NOT_FOUND", retriable: false),
        63: Info(name: "DELEGATION_TOKEN_OWNER_MISMATCH", retriable: false),
        64: Info(name: "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", retriable: false),
        65: Info(name: "DELEGATION_TOKEN_AUTHORIZATION_FAILED", retriable: false),
        66: Info(name: "DELEGATION_TOKEN_EXPIRED", retriable: false),
        67: Info(name: "INVALID_PRINCIPAL_TYPE", retriable: false),
        68: Info(name: "NON_EMPTY_GROUP", retriable: false),
        69: Info(name: "GROUP_ID_NOT_FOUND", retriable: false),
        70: Info(name: "FETCH_SESSION_ID_NOT_FOUND", retriable: true),
        71: Info(name: "INVALID_FETCH_SESSION_EPOCH", retriable: true),
        72: Info(name: "LISTENER_NOT_FOUND", retriable: true),
        73: Info(name: "TOPIC_DELETION_DISABLED", retriable: false),
        74: Info(name: "FENCED_LEADER_EPOCH", retriable: true),
        75: Info(name: "UNKNOWN_LEADER_EPOCH", retriable: true),
        76: Info(name: "UNSUPPORTED_COMPRESSION_TYPE", retriable: false),
        77: Info(name: "STALE_BROKER_EPOCH", retriable: false),
        78: Info(name: "OFFSET_NOT_AVAILABLE", retriable: true),
        79: Info(name: "MEMBER_ID_REQUIRED", retriable: false),
        80: Info(name: "PREFERRED_LEADER_NOT_AVAILABLE", retriable: true),
        81: Info(name: "GROUP_MAX_SIZE_REACHED", retriable: false),
        82: Info(name: "FENCED_INSTANCE_ID", retriable: false),
        83: Info(name: "ELIGIBLE_LEADERS_NOT_AVAILABLE", retriable: true),
        84: Info(name: "ELECTION_NOT_NEEDED", retriable: true),
        85: Info(name: "NO_REASSIGNMENT_IN_PROGRESS", retriable: false),
        86: Info(name: "GROUP_SUBSCRIBED_TO_TOPIC", retriable: false),
        87: Info(name: "INVALID_RECORD", retriable: false),
        88: Info(name: "UNSTABLE_OFFSET_COMMIT", retriable: true),
        89: Info(name: "THROTTLING_QUOTA_EXCEEDED", retriable: true),
        90: Info(name: "PRODUCER_FENCED", retriable: false),
        91: Info(name: "RESOURCE_NOT_FOUND", retriable: false),
        92: Info(name: "DUPLICATE_RESOURCE", retriable: false),
        93: Info(name: "UNACCEPTABLE_CREDENTIAL", retriable: false),
        94: Info(name: "INCONSISTENT_VOTER_SET", retriable: false),
        95: Info(name: "INVALID_UPDATE_VERSION", retriable: false),
        96: Info(name: "FEATURE_UPDATE_FAILED", retriable: false),
        97: Info(name: "PRINCIPAL_DESERIALIZATION_FAILURE", retriable: false),
        98: Info(name: "SNAPSHOT_NOT_FOUND", retriable: false),
        100: Info(name: "UNKNOWN_TOPIC_ID", retriable: true),
        101: Info(name: "DUPLICATE_BROKER_REGISTRATION", retriable: false),
        102: Info(name: "BROKER_ID_NOT_REGISTERED", retriable: false),
        103: Info(name: "INCONSISTENT_TOPIC_ID", retriable: true),
        104: Info(name: "INCONSISTENT_CLUSTER_ID", retriable: false),
        105: Info(name: "TRANSACTIONAL_ID_NOT_FOUND", retriable: false),
        106: Info(name: "FETCH_SESSION_TOPIC_ID_ERROR", retriable: true),
        107: Info(name: "INELIGIBLE_REPLICA", retriable: false),
        108: Info(name: "NEW_LEADER_ELECTED", retriable: false),
        109: Info(name: "OFFSET_MOVED_TO_TIERED_STORAGE", retriable: false),
        110: Info(name: "FENCED_MEMBER_EPOCH", retriable: false),
        111: Info(name: "UNRELEASED_INSTANCE_ID", retriable: false),
        112: Info(name: "UNSUPPORTED_ASSIGNOR", retriable: false),
        113: Info(name: "STALE_MEMBER_EPOCH", retriable: false),
        114: Info(name: "MISMATCHED_ENDPOINT_TYPE", retriable: false),
        115: Info(name: "UNSUPPORTED_ENDPOINT_TYPE", retriable: false),
        116: Info(name: "UNKNOWN_CONTROLLER_ID", retriable: false),
        117: Info(name: "UNKNOWN_SUBSCRIPTION_ID", retriable: false),
        118: Info(name: "TELEMETRY_TOO_LARGE", retriable: false),
        119: Info(name: "INVALID_REGISTRATION", retriable: false),
        120: Info(name: "TRANSACTION_ABORTABLE", retriable: false),
        121: Info(name: "INVALID_RECORD_STATE", retriable: false),
        122: Info(name: "SHARE_SESSION_NOT_FOUND", retriable: true),
        123: Info(name: "INVALID_SHARE_SESSION_EPOCH", retriable: true),
        124: Info(name: "FENCED_STATE_EPOCH", retriable: false),
        125: Info(name: "INVALID_VOTER_KEY", retriable: false),
        126: Info(name: "DUPLICATE_VOTER", retriable: false),
        127: Info(name: "VOTER_NOT_FOUND", retriable: false),
        128: Info(name: "INVALID_REGULAR_EXPRESSION", retriable: false),
    ]

    /// Kafka's name for the code, or `UNKNOWN_CODE(n)`.
    public var name: String { Self.table[rawValue]?.name ?? "UNKNOWN_CODE(\(rawValue))" }
    /// Whether the same request may succeed when retried (after a metadata refresh or backoff).
    public var isRetriable: Bool { Self.table[rawValue]?.retriable ?? false }
    /// Whether this is a known code in Kafka's table.
    public var isKnown: Bool { Self.table[rawValue] != nil }
    /// `true` for `NONE`.
    public var isSuccess: Bool { rawValue == 0 }
    public var description: String { name }
}
