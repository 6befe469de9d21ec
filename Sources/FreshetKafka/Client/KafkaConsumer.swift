import FreshetContracts
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A member of a Kafka consumer group (classic protocol, eager rebalancing), implementing
/// Freshet's `BrokerConsumer`.
///
/// Membership is `KafkaGroupStateMachine`; this actor performs its actions: JoinGroup (with
/// the MEMBER_ID_REQUIRED retry), SyncGroup (computing the assignment with
/// `KafkaPartitionAssignor` when it leads), Heartbeat every `heartbeatInterval` from
/// `run()`, LeaveGroup on `close`. A rebalance noticed by the heartbeat is handled by the next `poll`: positions of
/// the owned partitions are committed (`ConsumerConfig.commitOnRevoke`), the partitions
/// released, the group rejoined, and new partitions start at their committed offset or the
/// reset policy.
///
/// Fetching: one Fetch per partition leader; records are buffered per partition and `poll`
/// hands them out round robin, so no partition waits for another to be drained. When `poll`
/// returns records, the next Fetch for the partitions it emptied starts in the background
/// (one round ahead, so memory stays bounded) and its batches are decoded off the actor, so
/// the network round trip and the decoding overlap with the caller's processing.
///
/// Background work — heartbeats and the prefetch — runs in the task group of `run()` (a
/// ServiceLifecycle `Service`, which `KafkaBroker.run()` runs for the consumers it makes);
/// `close()` ends it. Without `run()` running a consumer still polls and commits (no
/// prefetch), but sends no heartbeats, so the group drops it after its session timeout.
/// Timers use the injected clock.
///
/// Offsets: every record `poll` returns has an offset in `0..<Int64.max` (so `offset + 1`,
/// the position after it, never overflows), and a partition's records come in strictly
/// increasing offset order. A broker answer that would break this — a batch whose base offset
/// is negative or reaches `Int64.max`, record offset deltas that go backwards or leave the
/// batch, batches that go backwards — fails `poll` with a `KafkaRecordsError` or
/// `KafkaProtocolError` naming the field instead of being handed out.
public actor KafkaConsumer: BrokerConsumer, Service {
    struct PartitionState {
        /// Next offset `poll` returns.
        var position: Int64
        /// Next offset to fetch (ahead of `position` while records are buffered).
        var fetchOffset: Int64
        var buffer: [ConsumerRecord] = []
        var bufferIndex = 0
        var buffered: Int { buffer.count - bufferIndex }
        /// The partition's high watermark in the last Fetch answer with records; -1 until then.
        var highWatermark: Int64 = -1
    }

    public nonisolated let groupID: String
    public nonisolated var memberID: String { memberIDBox.withLock { $0 } }
    private nonisolated let memberIDBox = Mutex("")
    nonisolated let cluster: KafkaCluster
    nonisolated let config: ConsumerConfig
    nonisolated let settings: KafkaClientConfiguration.Consumer
    nonisolated let logger: Logger
    private var machine = KafkaGroupStateMachine()
    private var partitions: [TopicPartition: PartitionState] = [:]
    private var order: [TopicPartition] = []
    private var cursor = 0
    nonisolated let clock: KafkaClock
    typealias Job = @Sendable () async -> Void
    /// Prefetches for `run()`'s task group (one at a time).
    private nonisolated let jobs: AsyncStream<Job>
    private nonisolated let jobSink: AsyncStream<Job>.Continuation
    private var running = false
    /// The background Fetch started when the last `poll` returned records: out (no result
    /// yet), or answered.
    private var prefetch: Prefetch?
    private var prefetchWaiter: CheckedContinuation<Result<[FetchedPartition], any Error>, Never>?
    private var closed = false

    private enum Prefetch {
        case out
        case answered(Result<[FetchedPartition], any Error>)
    }
    private var fatal: (any Error)?

    init(
        cluster: KafkaCluster, config: ConsumerConfig, settings: KafkaClientConfiguration.Consumer, logger: Logger,
        clock: KafkaClock = .continuous
    ) {
        self.cluster = cluster
        self.clock = clock
        (jobs, jobSink) = AsyncStream.makeStream(of: Job.self)
        self.groupID = config.groupID
        self.config = config
        self.settings = settings
        self.logger = logger
    }

    /// Joins `config.groupID` over `cluster` (which this consumer then owns and closes) and
    /// returns the member once its first assignment is known; run its `run()` for heartbeats.
    /// `clock` times heartbeats, waits and retries (`ContinuousClock` by default).
    public static func join(
        cluster: KafkaCluster, config: ConsumerConfig, settings: KafkaClientConfiguration.Consumer, logger: Logger,
        clock: some Clock<Duration> = ContinuousClock()
    ) async throws -> KafkaConsumer {
        try await join(cluster: cluster, config: config, settings: settings, logger: logger, kafkaClock: KafkaClock(clock))
    }

    static func join(
        cluster: KafkaCluster, config: ConsumerConfig, settings: KafkaClientConfiguration.Consumer, logger: Logger, kafkaClock: KafkaClock
    ) async throws -> KafkaConsumer {
        for topic in config.topics { _ = try await cluster.topic(topic) }
        let consumer = KafkaConsumer(cluster: cluster, config: config, settings: settings, logger: logger, clock: kafkaClock)
        do {
            try await consumer.ensureJoined()
        } catch {
            await cluster.close()
            throw error
        }
        return consumer
    }

    private func closedError() -> LogError {
        LogError(.brokerClosed, "consumer '\(memberID)' of group '\(groupID)' is closed", context: ["group": groupID])
    }

    // MARK: Membership

    /// Sends heartbeats every `heartbeatInterval` and runs the prefetches, until `close()`
    /// or cancellation. Runs once.
    public nonisolated func run() async throws {
        guard await begin() else { return }
        let interval = settings.heartbeatInterval
        let clock = self.clock
        await withDiscardingTaskGroup { group in
            group.addTask { [weak self] in
                var next = clock.now + interval
                while true {
                    do { try await clock.sleep(until: next) } catch { return }
                    guard let self else { return }
                    await self.heartbeat()
                    // Beats keep their rhythm however long one took, without bunching up.
                    next = max(next + interval, clock.now)
                }
            }
            for await job in jobs { group.addTask { await job() } }
            await ended()
            group.cancelAll()
        }
    }

    private func begin() -> Bool {
        guard !running, !closed else { return false }
        running = true
        return true
    }

    /// `run()` ended: a prefetch it would have run fails the poll waiting for it.
    private func ended() {
        running = false
        jobSink.finish()
        if case .out = prefetch {
            prefetchAnswered(.failure(closed ? closedError() : KafkaClientError(.closed, "the consumer's run() ended", group: groupID)))
        }
    }

    private func heartbeat() async {
        guard !closed else { return }
        for action in machine.heartbeatDue() {
            guard case .sendHeartbeat(let g) = action else { continue }
            var request = HeartbeatRequest()
            request.groupID = groupID
            request.generationID = g.generationID
            request.memberID = g.memberID
            do {
                let response = try await cluster.send(request, to: try await cluster.coordinator(group: groupID))
                for next in machine.heartbeatCompleted(error: response.errorCode, generation: g) {
                    switch next {
                    case .refreshCoordinator: await cluster.invalidateCoordinator(group: groupID)
                    case .fail(let code): fatal = groupFailure(code)
                    case .rejoinNeeded:
                        logger.debug("group is rebalancing", metadata: ["group": "\(groupID)", "reason": "\(response.errorCode.name)"])
                    default: break
                    }
                }
            } catch {
                logger.debug("heartbeat failed", metadata: ["group": "\(groupID)", "error": "\(error)"])
                await cluster.invalidateCoordinator(group: groupID)
            }
        }
    }

    private func groupFailure(_ code: KafkaErrorCode) -> KafkaClientError {
        KafkaClientError(
            .groupMembershipFailed, "consumer cannot stay in group '\(groupID)': \(code.name)", group: groupID, kafkaError: code)
    }

    /// Runs join → sync → assignment until the member is stable (revoking first when
    /// rejoining).
    private func ensureJoined() async throws {
        guard machine.needsJoin else { return }
        let deadline = clock.now + config.rebalanceTimeout + settings.sessionTimeout
        var actions = machine.join()
        while !actions.isEmpty {
            let action = actions.removeFirst()
            if clock.now > deadline {
                throw KafkaClientError(
                    .timedOut, "consumer could not join group '\(groupID)' within \(config.rebalanceTimeout + settings.sessionTimeout)",
                    group: groupID)
            }
            switch action {
            case .revoke(let owned, let commit, let generation):
                if commit, config.commitOnRevoke, let generation {
                    var offsets: [TopicPartition: Int64] = [:]
                    for tp in owned { if let p = partitions[tp] { offsets[tp] = p.position } }
                    do {
                        try await sendCommit(offsets, generation: generation)
                    } catch {
                        logger.warning(
                            "commit of revoked partitions failed; their records may be read again",
                            metadata: ["group": "\(groupID)", "error": "\(error)"])
                    }
                }
                logger.debug("releasing partitions", metadata: ["group": "\(groupID)", "partitions": "\(owned)"])
                for tp in owned { partitions[tp] = nil }
                order = []
            case .sendJoin(let id):
                actions += try await sendJoin(memberID: id)
            case .retryJoin(let id, let refresh):
                if refresh { await cluster.invalidateCoordinator(group: groupID) }
                try await clock.sleep(for: settings.retryBackoff)
                actions += try await sendJoin(memberID: id)
            case .sendSync(let g, let members):
                actions += try await sendSync(g, members: members)
            case .assigned(let tps):
                try await install(tps)
            case .fail(let code):
                throw groupFailure(code)
            case .sendHeartbeat, .refreshCoordinator, .rejoinNeeded, .sendLeave:
                break
            }
        }
        memberIDBox.withLock { $0 = machine.memberID }
    }

    private func sendJoin(memberID: String) async throws -> [KafkaGroupStateMachine.Action] {
        var request = JoinGroupRequest()
        request.groupID = groupID
        request.sessionTimeoutMs = settings.sessionTimeout.kafkaMilliseconds
        request.rebalanceTimeoutMs = config.rebalanceTimeout.kafkaMilliseconds
        request.memberID = memberID
        request.protocolType = "consumer"
        let metadata = try ConsumerProtocolSubscription(topics: config.topics.sorted()).encoded(version: 0)
        let preferred = [settings.assignor] + KafkaPartitionAssignor.allCases.filter { $0 != settings.assignor }
        request.protocols = preferred.map { .init(name: $0.protocolName, metadata: metadata) }
        // JoinGroup is answered only when the rebalance completes.
        let timeout = (config.rebalanceTimeout + settings.sessionTimeout + .seconds(5)).timeAmount
        let response = try await cluster.sendToCoordinator(group: groupID, request, timeout: timeout) { $0.errorCode }
        var members: [String: [String]] = [:]
        for m in response.members {
            members[m.memberID] = (try? ConsumerProtocolSubscription.decode(m.metadata).0.topics) ?? []
        }
        logger.debug(
            "JoinGroup answered",
            metadata: [
                "group": "\(groupID)", "error": "\(response.errorCode.name)", "generation": "\(response.generationID)",
                "member": "\(response.memberID)", "leader": "\(response.leader)",
            ])
        return machine.joinCompleted(
            error: response.errorCode, generationID: response.generationID, memberID: response.memberID,
            leaderID: response.leader, protocolName: response.protocolName, members: members)
    }

    private func sendSync(_ g: KafkaGroupStateMachine.Generation, members: [String: [String]]?) async throws -> [KafkaGroupStateMachine.Action] {
        var request = SyncGroupRequest()
        request.groupID = groupID
        request.generationID = g.generationID
        request.memberID = g.memberID
        request.protocolType = "consumer"
        request.protocolName = g.protocolName
        if let members {
            let assignor = KafkaPartitionAssignor(rawValue: g.protocolName ?? "") ?? settings.assignor
            var counts: [String: Int32] = [:]
            for topic in Set(members.values.flatMap { $0 }) {
                if let info = try? await cluster.topic(topic) { counts[topic] = info.partitionCount }
            }
            let plan = assignor.assign(subscriptions: members, partitionCounts: counts)
            request.assignments = try plan.keys.sorted().map { member in
                let byTopic = Dictionary(grouping: plan[member]!, by: \.topic)
                let assignment = ConsumerProtocolAssignment(
                    assignedPartitions: byTopic.keys.sorted().map { .init(topic: $0, partitions: byTopic[$0]!.map(\.partition).sorted()) })
                return .init(memberID: member, assignment: try assignment.encoded(version: 0))
            }
            logger.debug("leading group", metadata: ["group": "\(groupID)", "assignment": "\(plan)"])
        }
        let timeout = (config.rebalanceTimeout + .seconds(5)).timeAmount
        let response = try await cluster.sendToCoordinator(group: groupID, request, timeout: timeout) { $0.errorCode }
        var assigned: [TopicPartition] = []
        if response.errorCode == .noError {
            let (assignment, _) = try ConsumerProtocolAssignment.decode(response.assignment)
            for t in assignment.assignedPartitions { for p in t.partitions { assigned.append(TopicPartition(t.topic, p)) } }
        }
        return machine.syncCompleted(error: response.errorCode, assignment: assigned)
    }

    /// Starting positions of newly assigned partitions: the committed offset, else the reset
    /// policy.
    private func install(_ tps: [TopicPartition]) async throws {
        let committed = try await cluster.committedOffsets(group: groupID, partitions: tps)
        var missing: [TopicPartition] = []
        for tp in tps {
            if let c = committed[tp] {
                partitions[tp] = PartitionState(position: c, fetchOffset: c)
            } else {
                missing.append(tp)
            }
        }
        if !missing.isEmpty {
            let reset = try await resetPositions(missing, reason: "no committed offset")
            for (tp, o) in reset { partitions[tp] = PartitionState(position: o, fetchOffset: o) }
        }
        order = tps.sorted()
        cursor = 0
        logger.info(
            "consumer assigned partitions",
            metadata: ["group": "\(groupID)", "member": "\(machine.memberID)", "partitions": "\(order.map(\.description).joined(separator: ","))"])
    }

    private func resetPositions(_ tps: [TopicPartition], reason: String) async throws -> [TopicPartition: Int64] {
        switch config.resetPolicy {
        case .none:
            let tp = tps[0]
            throw LogError(
                .noResetPolicy, "\(reason) for \(tp) in group '\(groupID)' and the reset policy is none",
                context: ["group": groupID, "topic": tp.topic, "partition": "\(tp.partition)"])
        case .earliest, .latest:
            let bounds = try await cluster.partitionBounds(tps)
            var result: [TopicPartition: Int64] = [:]
            for tp in tps {
                guard let b = bounds[tp] else { continue }
                result[tp] = config.resetPolicy == .earliest ? b.logStartOffset : b.highWatermark
            }
            logger.debug(
                "consumer positions reset",
                metadata: ["group": "\(groupID)", "reason": "\(reason)", "policy": "\(config.resetPolicy.rawValue)", "offsets": "\(result)"])
            return result
        }
    }

    // MARK: Poll

    public func poll(maxRecords: Int?, maxBytes: Int?, maxWait: Duration?) async throws -> [ConsumerRecord] {
        let maxRecords = max(1, maxRecords ?? config.maxPollRecords)
        let maxBytes = maxBytes ?? config.maxPollBytes
        let deadline = clock.now + (maxWait ?? config.maxWait)
        while true {
            if closed { throw closedError() }
            if let fatal { throw fatal }
            if machine.needsJoin { try await ensureJoined() }
            let records = drain(maxRecords: maxRecords, maxBytes: maxBytes)
            if !records.isEmpty {
                try await startPrefetch()
                return records
            }
            let remaining = deadline - clock.now
            if remaining <= .zero { return [] }
            if order.isEmpty {
                // Nothing assigned: wait (a rebalance may bring partitions).
                try await clock.sleep(for: min(remaining, settings.maxWait))
                continue
            }
            try await fetch(maxWait: min(remaining, settings.maxWait))
        }
    }

    /// Hands out buffered records round robin across partitions, starting one partition
    /// further each poll.
    private func drain(maxRecords: Int, maxBytes: Int) -> [ConsumerRecord] {
        guard !order.isEmpty else { return [] }
        var out: [ConsumerRecord] = []
        var bytes = 0
        let start = cursor % order.count
        cursor = (cursor + 1) % order.count
        var progress = true
        while progress, out.count < maxRecords, out.isEmpty || bytes < maxBytes {
            progress = false
            for k in 0..<order.count {
                guard out.count < maxRecords, out.isEmpty || bytes < maxBytes else { break }
                let tp = order[(start + k) % order.count]
                guard var state = partitions[tp], state.buffered > 0 else { continue }
                let record = state.buffer[state.bufferIndex]
                state.bufferIndex += 1
                state.position = record.offset + 1
                if state.bufferIndex == state.buffer.count {
                    state.buffer = []
                    state.bufferIndex = 0
                }
                partitions[tp] = state
                out.append(record)
                bytes += record.value.count + (record.key?.count ?? 0)
                progress = true
            }
        }
        return out
    }

    /// A partition's answer to a Fetch, decoded (off the actor) against the offset asked for.
    package struct FetchedPartition: Sendable {
        package var tp: TopicPartition
        package var requestedOffset: Int64
        package var errorCode: KafkaErrorCode
        /// Records at or after `requestedOffset` (control batches skipped), offsets strictly
        /// increasing and below `Int64.max`.
        package var records: [ConsumerRecord] = []
        /// The offset after the last batch returned.
        package var next: Int64
        /// The partition's high watermark as the broker answered it (-1 if it gave none).
        package var highWatermark: Int64 = -1
    }

    /// Leaders and offsets of every owned partition whose buffer is empty.
    private func fetchTargets() async throws -> [Int32: [(TopicPartition, Int64)]] {
        let start = cursor % max(order.count, 1)
        let rotated = Array(order[start...] + order[..<start])
        var byLeader: [Int32: [(TopicPartition, Int64)]] = [:]
        for tp in rotated {
            guard let state = partitions[tp], state.buffered == 0 else { continue }
            byLeader[try await cluster.leader(tp), default: []].append((tp, state.fetchOffset))
        }
        return byLeader
    }

    /// Starts the next Fetch in the background (one round ahead; a short broker wait, so an
    /// idle topic does not hold the next `poll` beyond its own `maxWait`).
    private func startPrefetch() async throws {
        guard running, prefetch == nil, !closed, fatal == nil, !machine.needsJoin else { return }
        let byLeader = try await fetchTargets()
        guard running, !byLeader.isEmpty, prefetch == nil else { return }
        let cluster = self.cluster
        let settings = self.settings
        let clock = self.clock
        prefetch = .out
        jobSink.yield { [weak self] in
            let result: Result<[FetchedPartition], any Error>
            do {
                result = .success(
                    try await Self.fetch(byLeader, cluster: cluster, settings: settings, clock: clock, waitMs: KafkaCluster.minimumFetchWaitMs))
            } catch {
                result = .failure(error)
            }
            await self?.prefetchAnswered(result)
        }
    }

    private func prefetchAnswered(_ result: Result<[FetchedPartition], any Error>) {
        guard case .out = prefetch else { return }
        if let waiter = prefetchWaiter {
            prefetchWaiter = nil
            prefetch = nil
            waiter.resume(returning: result)
        } else {
            prefetch = .answered(result)
        }
    }

    /// The background Fetch's answer, waiting for it if it is still out.
    private func takePrefetch() async -> Result<[FetchedPartition], any Error>? {
        switch prefetch {
        case nil: return nil
        case .answered(let result)?:
            prefetch = nil
            return result
        case .out?:
            return await withCheckedContinuation { prefetchWaiter = $0 }
        }
    }

    /// One Fetch per leader for every owned partition whose buffer is empty — or the answer
    /// of the background Fetch, when one is out.
    private func fetch(maxWait: Duration) async throws {
        let fetched: [FetchedPartition]
        if let pending = await takePrefetch() {
            fetched = try pending.get()
        } else {
            let byLeader = try await fetchTargets()
            guard !byLeader.isEmpty else { return }
            let waitMs = max(KafkaCluster.minimumFetchWaitMs, maxWait.kafkaMilliseconds)
            fetched = try await Self.fetch(byLeader, cluster: cluster, settings: settings, clock: clock, waitMs: waitMs)
        }
        for partition in fetched { try await apply(partition) }
    }

    /// Sends the Fetches (concurrently, one per leader) and decodes the answers. A failed
    /// connection leaves its partitions out (they are fetched again after the retry backoff).
    private static func fetch(
        _ byLeader: [Int32: [(TopicPartition, Int64)]], cluster: KafkaCluster, settings: KafkaClientConfiguration.Consumer,
        clock: KafkaClock, waitMs: Int32
    ) async throws -> [FetchedPartition] {
        let results = try await withThrowingTaskGroup(of: (FetchResponse?, [(TopicPartition, Int64)]).self) { group in
            for (leader, items) in byLeader {
                group.addTask {
                    var request = FetchRequest()
                    request.maxWaitMs = waitMs
                    request.minBytes = settings.fetchMinBytes
                    request.maxBytes = settings.fetchMaxBytes
                    // Keep the rotated order, grouping consecutive partitions of one topic.
                    var topics: [FetchRequest.Topic] = []
                    for (tp, offset) in items {
                        let p = FetchRequest.Partition(partition: tp.partition, fetchOffset: offset, partitionMaxBytes: settings.partitionMaxBytes)
                        if topics.last?.topic == tp.topic {
                            topics[topics.count - 1].partitions.append(p)
                        } else {
                            topics.append(.init(topic: tp.topic, partitions: [p]))
                        }
                    }
                    request.topics = topics
                    let timeout = TimeAmount.milliseconds(Int64(waitMs) + 30_000)
                    do {
                        return (try await cluster.send(request, to: leader, timeout: timeout), items)
                    } catch let e as KafkaConnectionError {
                        _ = e
                        return (nil, items)
                    }
                }
            }
            var all: [(FetchResponse?, [(TopicPartition, Int64)])] = []
            for try await r in group { all.append(r) }
            return all
        }
        var fetched: [FetchedPartition] = []
        var failedConnection = false
        for (response, items) in results {
            guard let response else {
                failedConnection = true
                continue
            }
            for (tp, offset) in items {
                guard let data = response.responses.first(where: { $0.topic == tp.topic })?.partitions.first(where: { $0.partitionIndex == tp.partition })
                else { continue }
                fetched.append(try decode(tp, requestedOffset: offset, data, options: settings.decodingOptions))
            }
        }
        if failedConnection { try await clock.sleep(for: settings.retryBackoff) }
        return fetched
    }

    /// Decodes one partition's Fetch answer: the records at or after `requestedOffset`, in
    /// order, and the offset to fetch next. Throws `KafkaRecordsError` for a malformed batch and
    /// `KafkaProtocolError` when record offsets do not increase.
    package static func decode(
        _ tp: TopicPartition, requestedOffset: Int64, _ data: FetchResponse.Partition, options: RecordBatchDecodingOptions
    ) throws -> FetchedPartition {
        var code = data.errorCode
        // Tansu 0.6 answers a position past the high watermark with no error (Kafka: OFFSET_OUT_OF_RANGE).
        if code == .noError, data.highWatermark >= 0, requestedOffset > data.highWatermark { code = .offsetOutOfRange }
        var fetched = FetchedPartition(tp: tp, requestedOffset: requestedOffset, errorCode: code, next: requestedOffset)
        fetched.highWatermark = max(-1, data.highWatermark)
        guard code == .noError, let bytes = data.records, bytes.readableBytes > 0 else { return fetched }
        let decoded = try RecordBatch.decodeAll(bytes, options: options)
        var order = KafkaRecordOrder(tp: tp)
        for batch in decoded.batches {
            // A decoded batch guarantees lastOffset < Int64.max.
            defer { fetched.next = max(fetched.next, batch.lastOffset + 1) }
            if batch.attributes.isControl { continue }
            for r in batch.records where r.offset >= requestedOffset {
                try order.check(r.offset)
                fetched.records.append(
                    ConsumerRecord(
                        topic: tp.topic, partition: tp.partition, offset: r.offset, timestamp: r.timestamp, key: r.key,
                        value: r.value ?? [], headers: r.headers.map { RecordHeader(key: $0.key, value: $0.value ?? []) }))
            }
        }
        return fetched
    }

    private func apply(_ fetched: FetchedPartition) async throws {
        let tp = fetched.tp
        // Seeked or revoked while the Fetch was out: drop the answer.
        guard let state = partitions[tp], state.fetchOffset == fetched.requestedOffset, state.buffered == 0 else { return }
        switch fetched.errorCode {
        case .noError:
            guard fetched.next > fetched.requestedOffset else { return }
            var updated = state
            updated.fetchOffset = fetched.next
            updated.buffer = fetched.records
            updated.bufferIndex = 0
            updated.highWatermark = fetched.highWatermark
            if fetched.records.isEmpty { updated.position = max(updated.position, fetched.next) }
            partitions[tp] = updated
        case .offsetOutOfRange:
            let reset = try await resetPositions([tp], reason: "position \(fetched.requestedOffset) is out of range")
            if let o = reset[tp], partitions[tp] != nil { partitions[tp] = PartitionState(position: o, fetchOffset: o) }
        default:
            let code = fetched.errorCode
            if code.invalidatesMetadata {
                await cluster.invalidate(topic: tp.topic)
            } else if !code.isRetriable {
                throw KafkaClientError(
                    .brokerError, "fetch of \(tp) failed: \(code.name)", topic: tp.topic, partition: tp.partition,
                    group: groupID, kafkaError: code)
            }
        }
    }

    // MARK: Offsets

    public func commit() async throws {
        if closed { throw closedError() }
        var offsets: [TopicPartition: Int64] = [:]
        for (tp, state) in partitions { offsets[tp] = state.position }
        try await commitOwned(offsets)
    }

    public func commit(_ offsets: [TopicPartition: Int64]) async throws {
        if closed { throw closedError() }
        for tp in offsets.keys where partitions[tp] == nil {
            throw LogError(
                .illegalGeneration, "cannot commit \(tp) for group '\(groupID)': it is not assigned to consumer '\(memberID)'",
                context: ["group": groupID, "member": memberID, "topic": tp.topic, "partition": "\(tp.partition)"])
        }
        try await commitOwned(offsets)
    }

    private func commitOwned(_ offsets: [TopicPartition: Int64]) async throws {
        guard !offsets.isEmpty else { return }
        guard let generation = machine.commitGeneration else {
            throw LogError(
                .illegalGeneration, "consumer '\(memberID)' of group '\(groupID)' is rejoining the group; poll again, then commit",
                context: ["group": groupID, "member": memberID])
        }
        try await sendCommit(offsets, generation: generation)
    }

    private func sendCommit(_ offsets: [TopicPartition: Int64], generation: KafkaGroupStateMachine.Generation) async throws {
        let errors = try await cluster.commitOffsets(
            group: groupID, offsets: offsets, generationID: generation.generationID, memberID: generation.memberID)
        guard let (tp, code) = errors.first else { return }
        if code == .illegalGeneration || code == .unknownMemberId || code == .rebalanceInProgress {
            _ = machine.commitRejected(error: code)
            throw LogError(
                .illegalGeneration,
                "commit of \(tp) for group '\(groupID)' was rejected (\(code.name)): the group rebalanced; the next poll rejoins",
                context: ["group": groupID, "member": generation.memberID, "topic": tp.topic, "partition": "\(tp.partition)"])
        }
        throw KafkaClientError(
            .brokerError, "commit of \(tp) for group '\(groupID)' failed: \(code.name)", topic: tp.topic, partition: tp.partition,
            group: groupID, kafkaError: code)
    }

    public func seek(_ tp: TopicPartition, to spec: OffsetSpec) async throws {
        guard partitions[tp] != nil else {
            throw LogError(
                .illegalGeneration, "cannot seek \(tp): it is not assigned to consumer '\(memberID)'",
                context: ["group": groupID, "topic": tp.topic, "partition": "\(tp.partition)"])
        }
        let bounds = try await cluster.partitionBounds([tp])
        guard let b = bounds[tp] else { throw LogError.kafkaUnknownTopic(tp.topic) }
        let o: Int64
        switch spec {
        case .earliest: o = b.logStartOffset
        case .latest: o = b.highWatermark
        case .offset(let x):
            guard x >= b.logStartOffset && x <= b.highWatermark else {
                throw LogError(
                    .offsetOutOfRange, "offset \(x) is out of range for \(tp) (valid: \(b.logStartOffset)...\(b.highWatermark))",
                    context: ["topic": tp.topic, "partition": "\(tp.partition)", "offset": "\(x)"])
            }
            o = x
        }
        if partitions[tp] != nil { partitions[tp] = PartitionState(position: o, fetchOffset: o) }
    }

    public func assignment() async -> [TopicPartition] { order }

    public func position(_ tp: TopicPartition) async -> Int64? { partitions[tp]?.position }

    /// The records between each owned partition's position and the high watermark of its last
    /// Fetch answer with records (saturating: a hostile broker's watermark cannot trap), or nil
    /// when no owned partition has had one.
    public func backlog() async -> Int64? {
        Self.backlog(partitions.values.map { (position: $0.position, highWatermark: $0.highWatermark) })
    }

    /// `backlog()` of partitions at `position` with a known `highWatermark` (≥ 0; others are
    /// skipped): the sum of what lies between, saturating at `Int64.max`.
    package static func backlog(_ partitions: [(position: Int64, highWatermark: Int64)]) -> Int64? {
        var total: Int64?
        for partition in partitions where partition.highWatermark >= 0 {
            let (waiting, overflow) = partition.highWatermark.subtractingReportingOverflow(partition.position)
            let (sum, overflowed) = (total ?? 0).addingReportingOverflow(overflow ? Int64.max : max(0, waiting))
            total = overflowed ? Int64.max : sum
        }
        return total
    }

    public func close() async throws {
        if closed { return }
        closed = true
        jobSink.finish()
        if case .out = prefetch { prefetchAnswered(.failure(closedError())) }
        prefetch = nil
        for action in machine.leave() {
            guard case .sendLeave(let id) = action else { continue }
            var request = LeaveGroupRequest()
            request.groupID = groupID
            request.memberID = id
            var member = LeaveGroupRequest.Member()
            member.memberID = id
            request.members = [member]
            do {
                _ = try await cluster.sendToCoordinator(group: groupID, request) { $0.errorCode }
            } catch {
                logger.debug("LeaveGroup failed", metadata: ["group": "\(groupID)", "error": "\(error)"])
            }
        }
        partitions = [:]
        order = []
        await cluster.close()
    }

    deinit {
        jobSink.finish()
    }
}

/// Checks that the records of one partition's Fetch answer go forward: a broker never sends
/// an offset twice or out of order, and consumers compute their position as `offset + 1`.
struct KafkaRecordOrder {
    let tp: TopicPartition
    private var last: Int64?

    init(tp: TopicPartition) { self.tp = tp }

    mutating func check(_ offset: Int64) throws {
        if let last, offset <= last {
            throw KafkaProtocolError(
                code: .invalidValue,
                message: "Fetch answer for \(tp) has record offset \(offset) after \(last) (offsets must increase)",
                api: .fetch, field: "Responses.Partitions.Records")
        }
        last = offset
    }
}
