import FreshetContracts

/// A consumer's membership of a classic (eager) Kafka group, sans IO: events in, actions
/// out. `KafkaConsumer` sends the requests the actions name and feeds the answers back.
///
/// States and their transitions:
/// - `unjoined` → `joining` on `join()` (action `.sendJoin`).
/// - `joining` → `joining` on MEMBER_ID_REQUIRED (join again with the id the broker gave),
///   UNKNOWN_MEMBER_ID (join again without an id) or a retriable error (`.retryJoin`);
///   → `syncing` on success (`.sendSync`, with the members to assign when leader);
///   → `failed` on a fatal error.
/// - `syncing` → `stable` on success (`.assigned`); → `joining` on REBALANCE_IN_PROGRESS,
///   ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID or a retriable error.
/// - `stable` → `rejoinNeeded` when a heartbeat answers REBALANCE_IN_PROGRESS (the
///   generation is still valid: revoked partitions may be committed), ILLEGAL_GENERATION or
///   UNKNOWN_MEMBER_ID (it is not: they may not); → `failed` on FENCED_INSTANCE_ID.
/// - `rejoinNeeded` → `joining` on `join()`, whose first action `.revoke` tells the consumer
///   to (maybe commit and) release what it owns.
/// - any → `left` on `leave()` (`.sendLeave` when the broker knows the member).
public struct KafkaGroupStateMachine: Sendable, Hashable {
    /// A joined generation.
    public struct Generation: Sendable, Hashable {
        public var generationID: Int32
        public var memberID: String
        public var protocolName: String?
        public var leaderID: String
        public var isLeader: Bool { leaderID == memberID }
    }

    public enum State: Sendable, Hashable {
        case unjoined
        case joining
        case syncing(Generation)
        case stable(Generation, assignment: [TopicPartition])
        case rejoinNeeded(owned: [TopicPartition], generation: Generation?, reason: KafkaErrorCode)
        case failed(KafkaErrorCode)
        case left
    }

    public enum Action: Sendable, Hashable {
        /// Send JoinGroup with this member id ("" on a first join).
        case sendJoin(memberID: String)
        /// Look the coordinator up again (if `refreshCoordinator`), wait the backoff, then
        /// send JoinGroup with this member id.
        case retryJoin(memberID: String, refreshCoordinator: Bool)
        /// Send SyncGroup for `generation`; `members` (id → subscription metadata) is set
        /// when this member leads and must compute the assignment.
        case sendSync(Generation, members: [String: [String]]?)
        /// The generation is stable; these partitions are this member's now.
        case assigned([TopicPartition])
        /// Release `partitions` before joining; commit their positions first when `commit`
        /// and the consumer is configured to (the generation is still valid).
        case revoke([TopicPartition], commit: Bool, generation: Generation?)
        /// Send Heartbeat for the generation.
        case sendHeartbeat(Generation)
        /// Look the coordinator up again (heartbeat answered NOT_COORDINATOR...).
        case refreshCoordinator
        /// Tell the consumer that `poll` must rejoin.
        case rejoinNeeded
        /// Send LeaveGroup for this member.
        case sendLeave(memberID: String)
        /// Membership failed for good.
        case fail(KafkaErrorCode)
    }

    public private(set) var state: State = .unjoined
    /// The member id the coordinator gave ("" before the first join).
    public private(set) var memberID = ""

    public init() {}

    /// Whether `poll` has to (re)join before fetching.
    public var needsJoin: Bool {
        switch state {
        case .unjoined, .rejoinNeeded: true
        default: false
        }
    }

    /// The current generation when stable.
    public var generation: Generation? {
        if case .stable(let g, _) = state { return g }
        return nil
    }

    /// The generation to commit under: stable, or awaiting a rejoin with a valid generation.
    public var commitGeneration: Generation? {
        switch state {
        case .stable(let g, _): return g
        case .rejoinNeeded(_, let g, _): return g
        default: return nil
        }
    }

    /// Starts a join (first, or after a rebalance was detected).
    public mutating func join() -> [Action] {
        switch state {
        case .unjoined:
            state = .joining
            return [.sendJoin(memberID: memberID)]
        case .rejoinNeeded(let owned, let generation, _):
            state = .joining
            var actions: [Action] = []
            if !owned.isEmpty { actions.append(.revoke(owned, commit: generation != nil, generation: generation)) }
            actions.append(.sendJoin(memberID: memberID))
            return actions
        case .stable(let g, let owned):
            // Asked to rejoin while stable (e.g. subscription change): revoke with commit.
            state = .joining
            return [.revoke(owned, commit: true, generation: g), .sendJoin(memberID: memberID)]
        case .joining, .syncing, .failed, .left:
            return []
        }
    }

    /// The JoinGroup answer.
    public mutating func joinCompleted(
        error: KafkaErrorCode, generationID: Int32, memberID newMemberID: String, leaderID: String, protocolName: String?,
        members: [String: [String]]
    ) -> [Action] {
        guard case .joining = state else { return [] }
        switch error {
        case .noError:
            memberID = newMemberID
            let g = Generation(generationID: generationID, memberID: newMemberID, protocolName: protocolName, leaderID: leaderID)
            state = .syncing(g)
            return [.sendSync(g, members: g.isLeader ? members : nil)]
        case .memberIdRequired:
            memberID = newMemberID
            return [.sendJoin(memberID: memberID)]
        case .unknownMemberId:
            memberID = ""
            return [.retryJoin(memberID: "", refreshCoordinator: false)]
        case .illegalGeneration, .rebalanceInProgress:
            return [.retryJoin(memberID: memberID, refreshCoordinator: false)]
        case .notCoordinator, .coordinatorNotAvailable:
            return [.retryJoin(memberID: memberID, refreshCoordinator: true)]
        case .coordinatorLoadInProgress:
            return [.retryJoin(memberID: memberID, refreshCoordinator: false)]
        default:
            state = .failed(error)
            return [.fail(error)]
        }
    }

    /// The SyncGroup answer.
    public mutating func syncCompleted(error: KafkaErrorCode, assignment: [TopicPartition]) -> [Action] {
        guard case .syncing(let g) = state else { return [] }
        switch error {
        case .noError:
            let sorted = assignment.sorted()
            state = .stable(g, assignment: sorted)
            return [.assigned(sorted)]
        case .unknownMemberId:
            memberID = ""
            state = .joining
            return [.retryJoin(memberID: "", refreshCoordinator: false)]
        case .rebalanceInProgress, .illegalGeneration, .coordinatorLoadInProgress:
            state = .joining
            return [.retryJoin(memberID: memberID, refreshCoordinator: false)]
        case .notCoordinator, .coordinatorNotAvailable:
            state = .joining
            return [.retryJoin(memberID: memberID, refreshCoordinator: true)]
        default:
            state = .failed(error)
            return [.fail(error)]
        }
    }

    /// The heartbeat interval elapsed.
    public func heartbeatDue() -> [Action] {
        if case .stable(let g, _) = state { return [.sendHeartbeat(g)] }
        return []
    }

    /// The Heartbeat answer for `generation` (ignored when the state moved on meanwhile).
    public mutating func heartbeatCompleted(error: KafkaErrorCode, generation: Generation) -> [Action] {
        guard case .stable(let g, let owned) = state, g == generation else { return [] }
        switch error {
        case .noError:
            return []
        case .rebalanceInProgress:
            state = .rejoinNeeded(owned: owned, generation: g, reason: error)
            return [.rejoinNeeded]
        case .illegalGeneration:
            state = .rejoinNeeded(owned: owned, generation: nil, reason: error)
            return [.rejoinNeeded]
        case .unknownMemberId:
            memberID = ""
            state = .rejoinNeeded(owned: owned, generation: nil, reason: error)
            return [.rejoinNeeded]
        case .notCoordinator, .coordinatorNotAvailable:
            return [.refreshCoordinator]
        case .fencedInstanceId:
            state = .failed(error)
            return [.fail(error)]
        default:
            return []
        }
    }

    /// A commit answered ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID or REBALANCE_IN_PROGRESS: the
    /// group moved on; rejoin.
    public mutating func commitRejected(error: KafkaErrorCode) -> [Action] {
        guard case .stable(let g, let owned) = state else { return [] }
        if error == .unknownMemberId { memberID = "" }
        state = .rejoinNeeded(owned: owned, generation: error == .rebalanceInProgress ? g : nil, reason: error)
        return [.rejoinNeeded]
    }

    /// Leaves the group.
    public mutating func leave() -> [Action] {
        let id = memberID
        let wasMember: Bool
        switch state {
        case .left: return []
        case .unjoined, .failed: wasMember = false
        default: wasMember = true
        }
        state = .left
        return wasMember && !id.isEmpty ? [.sendLeave(memberID: id)] : []
    }
}
