import FreshetContracts
import Logging
import Synchronization

/// In-memory state of one consumer group (committed offsets are also on disk).
struct GroupState {
    struct Member {
        var topics: [String]
        var rebalanceTimeout: Duration
    }
    var members: [String: Member] = [:]
    /// Who owns each partition now (may lag `target` until the old owner releases it).
    var owners: [TopicPartition: String] = [:]
    /// Range assignment for the current members.
    var target: [TopicPartition: String] = [:]
    var revokeRequested: [TopicPartition: ContinuousClock.Instant] = [:]
    var generation = 0
    var committed: [TopicPartition: Int64] = [:]

    /// Kafka's range assignor: per topic, members sorted by id get consecutive partition ranges,
    /// the first `partitions % members` one extra.
    mutating func rebalance(partitionCounts: [String: Int32]) {
        generation += 1
        var newTarget: [TopicPartition: String] = [:]
        let topics = Set(members.values.flatMap(\.topics))
        for topic in topics.sorted() {
            guard let n = partitionCounts[topic] else { continue }
            let subscribers = members.filter { $0.value.topics.contains(topic) }.keys.sorted()
            guard !subscribers.isEmpty else { continue }
            let per = Int(n) / subscribers.count
            let extra = Int(n) % subscribers.count
            var p: Int32 = 0
            for (i, m) in subscribers.enumerated() {
                for _ in 0..<(per + (i < extra ? 1 : 0)) {
                    newTarget[TopicPartition(topic, p)] = m
                    p += 1
                }
            }
        }
        target = newTarget
        owners = owners.filter { members[$0.value] != nil }
        let now = ContinuousClock.now
        revokeRequested = revokeRequested.filter { owners[$0.key] != nil && target[$0.key] != owners[$0.key] }
        for (tp, owner) in owners where target[tp] != owner && revokeRequested[tp] == nil {
            revokeRequested[tp] = now
        }
    }
}

extension EmbeddedBroker {
    static func isValidGroupID(_ group: String) -> Bool { isValidName(group) }

    func validateGroup(_ group: String) throws {
        guard Self.isValidGroupID(group) else {
            throw LogError(
                .invalidGroupID, "invalid group id '\(group)': use 1-249 characters of [A-Za-z0-9._-]",
                context: ["group": group])
        }
    }

    /// Runs `body` on the group's state, loading committed offsets from disk on first use.
    func withGroup<R>(_ group: String, _ body: (inout GroupState) throws -> R) throws -> R {
        let needsLoad = groups.withLock { $0[group] == nil }
        let loaded = needsLoad ? try loadGroupFile(group) : nil
        return try groups.withLock { g -> R in
            if g[group] == nil { g[group] = GroupState(committed: loaded ?? [:]) }
            return try body(&g[group]!)
        }
    }

    public func makeConsumer(_ config: ConsumerConfig) async throws -> any BrokerConsumer {
        try checkWritable("join group '\(config.groupID)'")
        try checkOpen()
        try validateGroup(config.groupID)
        for t in config.topics { _ = try topic(t) }
        let memberID = "\(config.clientID)-\(String(nextMemberNumber()).leftPad(4))"
        let counts = partitionCounts(Set(config.topics).union(groupTopics(config.groupID)))
        try withGroup(config.groupID) { g in
            g.members[memberID] = GroupState.Member(
                topics: config.topics, rebalanceTimeout: config.rebalanceTimeout)
            g.rebalance(partitionCounts: counts)
        }
        signal.notify()
        logger.debug("consumer joined group", metadata: ["group": "\(config.groupID)", "member": "\(memberID)"])
        return EmbeddedConsumer(broker: self, config: config, memberID: memberID)
    }

    func groupTopics(_ group: String) -> Set<String> {
        groups.withLock { g in Set(g[group]?.members.values.flatMap(\.topics) ?? []) }
    }

    func leaveGroup(_ group: String, member: String) {
        let counts = partitionCounts(groupTopics(group))
        groups.withLock { g in
            guard g[group]?.members.removeValue(forKey: member) != nil else { return }
            g[group]!.rebalance(partitionCounts: counts)
        }
        signal.notify()
    }

    struct SyncResult {
        var owned: Set<TopicPartition>
        var acquired: [TopicPartition: Int64?]
        var toRevoke: [TopicPartition]
        var generation: Int
    }

    /// Releases `release`, takes free partitions targeted at `member` (or ones whose owner
    /// missed the rebalance timeout), and reports what is owned and what to revoke next.
    func syncMember(_ group: String, member: String, release: [TopicPartition]) throws -> SyncResult {
        let result = try withGroup(group) { g -> SyncResult in
            guard let me = g.members[member] else {
                throw LogError(
                    .illegalGeneration, "consumer '\(member)' is no longer a member of group '\(group)'",
                    context: ["group": group, "member": member])
            }
            _ = me
            for tp in release where g.owners[tp] == member {
                g.owners[tp] = nil
                g.revokeRequested[tp] = nil
            }
            let now = ContinuousClock.now
            var acquired: [TopicPartition: Int64?] = [:]
            for (tp, m) in g.target where m == member && g.owners[tp] != member {
                if let owner = g.owners[tp] {
                    let timeout = g.members[owner]?.rebalanceTimeout ?? .zero
                    guard let asked = g.revokeRequested[tp], now - asked >= timeout else { continue }
                    logger.warning(
                        "moving partition after rebalance timeout",
                        metadata: ["group": "\(group)", "partition": "\(tp)", "from": "\(owner)", "to": "\(member)"])
                }
                g.owners[tp] = member
                g.revokeRequested[tp] = nil
                acquired[tp] = .some(g.committed[tp])
            }
            let owned = Set(g.owners.filter { $0.value == member }.keys)
            let toRevoke = owned.filter { g.target[$0] != member }.sorted()
            return SyncResult(owned: owned, acquired: acquired, toRevoke: toRevoke, generation: g.generation)
        }
        if !release.isEmpty || !result.acquired.isEmpty { signal.notify() }
        return result
    }

    func commit(group: String, member: String?, offsets: [TopicPartition: Int64]) throws {
        guard !offsets.isEmpty else { return }
        try withGroup(group) { g in
            if let member {
                for tp in offsets.keys where g.owners[tp] != member {
                    throw LogError(
                        .illegalGeneration,
                        "cannot commit \(tp) for group '\(group)': it is not assigned to consumer '\(member)'",
                        context: ["group": group, "member": member, "topic": tp.topic, "partition": "\(tp.partition)"])
                }
            }
            for (tp, o) in offsets { g.committed[tp] = o }
        }
        try writeGroupFile(group)
    }

    public func committedOffsets(group: String) async throws -> [TopicPartition: Int64] {
        try checkOpen()
        try validateGroup(group)
        return try withGroup(group) { $0.committed }
    }

    public func commitOffsets(group: String, offsets: [TopicPartition: Int64]) async throws {
        try checkWritable("commit offsets of group '\(group)'")
        try checkOpen()
        try validateGroup(group)
        for tp in offsets.keys { _ = try topic(tp.topic).partition(tp.partition) }
        try commit(group: group, member: nil, offsets: offsets)
    }

    public func resetOffsets(group: String, topic: String?, to spec: OffsetSpec) async throws -> [TopicPartition: Int64] {
        try checkWritable("reset offsets of group '\(group)'")
        try checkOpen()
        try validateGroup(group)
        let (members, committed) = try withGroup(group) { g in (g.members.count, g.committed) }
        if members > 0 {
            throw LogError(
                .invalidConfig, "group '\(group)' has \(members) active consumer(s); stop them before resetting offsets",
                context: ["group": group])
        }
        let topicNames: [String]
        if let topic {
            _ = try self.topic(topic)
            topicNames = [topic]
        } else {
            topicNames = Set(committed.keys.map(\.topic)).sorted()
            if topicNames.isEmpty {
                throw LogError(
                    .groupIDNotFound, "group '\(group)' has no committed offsets; name a topic with --topic",
                    context: ["group": group])
            }
        }
        var offsets: [TopicPartition: Int64] = [:]
        for name in topicNames {
            guard let t = try? self.topic(name) else { continue }
            for p in t.partitions {
                let d = p.describe()
                let o: Int64
                switch spec {
                case .earliest: o = d.earliestOffset
                case .latest: o = d.latestOffset
                case .offset(let x): o = min(max(x, d.earliestOffset), d.latestOffset)
                }
                offsets[TopicPartition(name, p.partition)] = o
            }
        }
        try commit(group: group, member: nil, offsets: offsets)
        return offsets
    }

    public func listGroups() async throws -> [String] {
        try checkOpen()
        var names = Set(
            try FS.list(groupsDirectory).filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) })
        groups.withLock { g in
            for (k, v) in g where !v.members.isEmpty || !v.committed.isEmpty { names.insert(k) }
        }
        return names.sorted()
    }

    public func describeGroup(_ group: String) async throws -> GroupDescription {
        try checkOpen()
        try validateGroup(group)
        let onDisk = FS.exists(groupsDirectory + "/\(group).json")
        let state = try withGroup(group) { $0 }
        if !onDisk && state.members.isEmpty && state.committed.isEmpty {
            groups.withLock { _ = $0.removeValue(forKey: group) }
            throw LogError(.groupIDNotFound, "unknown consumer group '\(group)'", context: ["group": group])
        }
        let topicNames = Set(state.committed.keys.map(\.topic)).union(state.members.values.flatMap(\.topics))
        var offsets: [GroupPartitionOffset] = []
        for name in topicNames.sorted() {
            guard let t = try? topic(name) else { continue }
            for p in t.partitions {
                let tp = TopicPartition(name, p.partition)
                let latest = p.highWatermark
                let c = state.committed[tp]
                offsets.append(
                    GroupPartitionOffset(
                        topic: name, partition: p.partition, committedOffset: c, latestOffset: latest,
                        lag: c.map { max(0, latest - $0) }, owner: state.owners[tp]))
            }
        }
        let members = state.members.keys.sorted().map { id in
            GroupDescription.Member(
                memberID: id, topics: state.members[id]!.topics,
                assignment: state.owners.filter { $0.value == id }.keys.sorted())
        }
        let pending =
            state.owners.contains { state.target[$0.key] != $0.value }
            || state.target.contains { state.owners[$0.key] == nil }
        return GroupDescription(
            groupID: group, state: members.isEmpty ? "Empty" : (pending ? "PreparingRebalance" : "Stable"),
            generation: state.generation, members: members, offsets: offsets)
    }
}

/// A consumer of the embedded broker; see `BrokerConsumer`.
final class EmbeddedConsumer: BrokerConsumer {
    let broker: EmbeddedBroker
    let config: ConsumerConfig
    let memberID: String
    var groupID: String { config.groupID }

    private struct State {
        var positions: [TopicPartition: Int64] = [:]
        var order: [TopicPartition] = []
        var cursor = 0
        var closed = false
    }
    private let state = Mutex(State())

    init(broker: EmbeddedBroker, config: ConsumerConfig, memberID: String) {
        self.broker = broker
        self.config = config
        self.memberID = memberID
    }

    private func closedError() -> LogError {
        LogError(.brokerClosed, "consumer '\(memberID)' of group '\(groupID)' is closed", context: ["group": groupID])
    }

    /// Handles a pending rebalance: commit and release revoked partitions, adopt new ones.
    private func rebalanceStep() throws {
        var result = try broker.syncMember(groupID, member: memberID, release: [])
        if !result.toRevoke.isEmpty {
            if config.commitOnRevoke {
                let positions = state.withLock { s in s.positions }
                var offsets: [TopicPartition: Int64] = [:]
                for tp in result.toRevoke { if let p = positions[tp] { offsets[tp] = p } }
                try broker.commit(group: groupID, member: memberID, offsets: offsets)
            }
            broker.logger.debug(
                "releasing revoked partitions",
                metadata: ["group": "\(groupID)", "member": "\(memberID)", "partitions": "\(result.toRevoke)"])
            result = try broker.syncMember(groupID, member: memberID, release: result.toRevoke)
        }
        var newPositions: [TopicPartition: Int64] = [:]
        for (tp, committed) in result.acquired {
            newPositions[tp] = try startPosition(tp, committed: committed)
        }
        state.withLock { s in
            s.positions = s.positions.filter { result.owned.contains($0.key) }
            for (tp, o) in newPositions { s.positions[tp] = o }
            s.order = result.owned.sorted()
        }
    }

    private func partitionLog(_ tp: TopicPartition) throws -> PartitionLog {
        try broker.topic(tp.topic).partition(tp.partition)
    }

    private func startPosition(_ tp: TopicPartition, committed: Int64?) throws -> Int64 {
        let p = try partitionLog(tp)
        let d = p.describe()
        if let committed, committed >= d.earliestOffset && committed <= d.latestOffset { return committed }
        return try reset(tp, p, reason: committed == nil ? "no committed offset" : "committed offset \(committed!) is out of range")
    }

    private func reset(_ tp: TopicPartition, _ p: PartitionLog, reason: String) throws -> Int64 {
        let d = p.describe()
        let o: Int64
        switch config.resetPolicy {
        case .earliest: o = d.earliestOffset
        case .latest: o = d.latestOffset
        case .none:
            throw LogError(
                .noResetPolicy, "\(reason) for \(tp) in group '\(groupID)' and the reset policy is none",
                context: ["group": groupID, "topic": tp.topic, "partition": "\(tp.partition)"])
        }
        broker.logger.info(
            "consumer position reset",
            metadata: [
                "group": "\(groupID)", "partition": "\(tp)", "reason": "\(reason)",
                "policy": "\(config.resetPolicy.rawValue)", "offset": "\(o)",
            ])
        return o
    }

    func poll(maxRecords: Int?, maxBytes: Int?, maxWait: Duration?) async throws -> [ConsumerRecord] {
        let maxRecords = maxRecords ?? config.maxPollRecords
        let maxBytes = maxBytes ?? config.maxPollBytes
        let deadline = ContinuousClock.now + (maxWait ?? config.maxWait)
        while true {
            if state.withLock({ $0.closed }) { throw closedError() }
            try broker.checkOpen()
            let seen = broker.signal.version
            try rebalanceStep()
            let (order, start) = state.withLock { s in (s.order, s.cursor) }
            var records: [ConsumerRecord] = []
            var bytes = 0
            // Fair share first: each partition may fill only its part of the budget, so a
            // backlog on one partition cannot starve the others within a poll; a second pass
            // hands what is left to whichever partitions still have records.
            let share = order.isEmpty ? maxRecords : max(1, (maxRecords + order.count - 1) / order.count)
            let byteShare = order.isEmpty ? maxBytes : max(1, (maxBytes + order.count - 1) / order.count)
            for pass in 0..<2 {
                for k in 0..<order.count {
                    let tp = order[(start + k) % order.count]
                    guard records.count < maxRecords, records.isEmpty || bytes < maxBytes else { break }
                    guard let position = state.withLock({ $0.positions[tp] }) else { continue }
                    var recordLimit = maxRecords - records.count
                    var byteLimit = records.isEmpty ? maxBytes : maxBytes - bytes
                    if pass == 0 {
                        recordLimit = min(recordLimit, share)
                        byteLimit = min(byteLimit, byteShare)
                    }
                    let p = try partitionLog(tp)
                    var result: FetchResult
                    do {
                        result = try p.read(from: position, maxRecords: recordLimit, maxBytes: byteLimit)
                    } catch let e as LogError where e.code == .offsetOutOfRange {
                        let newPosition = try reset(tp, p, reason: "position \(position) is out of range (\(e.message))")
                        state.withLock { $0.positions[tp] = newPosition }
                        result = try p.read(from: newPosition, maxRecords: recordLimit, maxBytes: byteLimit)
                    }
                    for r in result.records { bytes += r.value.count + (r.key?.count ?? 0) }
                    records.append(contentsOf: result.records)
                    let next = result.nextOffset
                    state.withLock { $0.positions[tp] = next }
                }
                if order.count <= 1 { break }
            }
            state.withLock { s in s.cursor = s.order.isEmpty ? 0 : (s.cursor + 1) % s.order.count }
            if !records.isEmpty || ContinuousClock.now >= deadline { return records }
            await broker.signal.wait(seen: seen, timeout: deadline - ContinuousClock.now)
            if Task.isCancelled { return [] }
        }
    }

    func commit() async throws {
        if state.withLock({ $0.closed }) { throw closedError() }
        let positions = state.withLock { $0.positions }
        try broker.commit(group: groupID, member: memberID, offsets: positions)
    }

    func commit(_ offsets: [TopicPartition: Int64]) async throws {
        if state.withLock({ $0.closed }) { throw closedError() }
        try broker.commit(group: groupID, member: memberID, offsets: offsets)
    }

    func seek(_ tp: TopicPartition, to spec: OffsetSpec) async throws {
        let owned = state.withLock { $0.positions[tp] != nil }
        guard owned else {
            throw LogError(
                .illegalGeneration, "cannot seek \(tp): it is not assigned to consumer '\(memberID)'",
                context: ["group": groupID, "topic": tp.topic, "partition": "\(tp.partition)"])
        }
        let d = try partitionLog(tp).describe()
        let o: Int64
        switch spec {
        case .earliest: o = d.earliestOffset
        case .latest: o = d.latestOffset
        case .offset(let x):
            guard x >= d.earliestOffset && x <= d.latestOffset else {
                throw LogError(
                    .offsetOutOfRange,
                    "offset \(x) is out of range for \(tp) (valid: \(d.earliestOffset)...\(d.latestOffset))",
                    context: ["topic": tp.topic, "partition": "\(tp.partition)", "offset": "\(x)"])
            }
            o = x
        }
        state.withLock { $0.positions[tp] = o }
    }

    func assignment() async -> [TopicPartition] {
        if (try? rebalanceStep()) == nil { return [] }
        return state.withLock { $0.order }
    }

    func position(_ tp: TopicPartition) async -> Int64? { state.withLock { $0.positions[tp] } }

    func close() async throws {
        let wasClosed = state.withLock { s in
            defer { s.closed = true }
            return s.closed
        }
        if wasClosed { return }
        broker.leaveGroup(groupID, member: memberID)
    }

    deinit {
        if !state.withLock({ $0.closed }) { broker.leaveGroup(groupID, member: memberID) }
    }
}

extension String {
    func leftPad(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
