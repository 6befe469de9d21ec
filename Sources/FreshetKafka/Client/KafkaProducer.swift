import FreshetContracts
import FreshetCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Produces records to a Kafka cluster: one RecordBatch v2 per partition (headers kept,
/// codec configurable), `linger` and `maxBatchBytes` batching, `acks=all` and the idempotent
/// producer by default, results in input order.
///
/// `run()` (a ServiceLifecycle `Service`) owns the background work — the linger/retry timer,
/// the requests in flight, connects and metadata refreshes — in one task group; `produce`
/// needs it running. `close()` flushes and ends `run()`; cancelling `run()` fails every
/// pending batch with `KafkaClientError.closed`. Timers use the injected clock.
///
/// Ordering: with idempotence a partition has up to `maxInFlight` batches in flight (Kafka's
/// `max.in.flight.requests.per.connection`, at most 5). Requests to one broker are written
/// on its connection by this actor in sequence order, so they reach the broker in order. A
/// batch keeps the sequence numbers it got at its first send for every retry; when one fails
/// retriably, the later ones the broker then refuses (OUT_OF_ORDER_SEQUENCE_NUMBER while an
/// earlier batch is unacknowledged) are retried too, and the partition resends its failed
/// batches one at a time, oldest first, before anything new (DUPLICATE_SEQUENCE_NUMBER counts
/// as written). Without idempotence a partition keeps one batch in flight, so a retry can
/// never overtake a later batch.
///
/// Backpressure: `produce` waits while more than `maxBufferedBytes` of records are
/// accepted but not yet acknowledged.
public actor KafkaProducer: Service {
    /// Only touched on the producer's actor; a job hands its batches back there unread.
    final class Batch: @unchecked Sendable {
        let tp: TopicPartition
        var records: [KafkaRecord] = []
        var bytes = 0
        /// On the producer's clock.
        let createdAt: Duration
        /// No more records once sent (or full).
        var sealed = false
        var baseSequence: Int32 = -1
        var epoch: Int16 = -1
        var producerID: Int64 = -1
        var encoded: ByteBuffer?
        var attempts = 0
        var inFlight = false
        var retryAt: Duration?
        var lastError: (any Error)?
        var result: Result<(baseOffset: Int64, logAppendTime: Int64), any Error>?
        var waiters: [CheckedContinuation<Void, Never>] = []

        init(tp: TopicPartition, createdAt: Duration) {
            self.tp = tp
            self.createdAt = createdAt
        }
    }

    typealias Job = @Sendable () async -> Void

    private enum Phase {
        case idle, running, stopped
    }

    nonisolated let cluster: KafkaCluster
    nonisolated let configuration: KafkaClientConfiguration.Producer
    nonisolated let logger: Logger
    nonisolated let clock: KafkaClock
    /// Background work for `run()`'s task group. Its size is bounded by what can be pending:
    /// one timer, a request per partition and in-flight slot, a connect per broker, a
    /// metadata refresh per topic.
    private nonisolated let jobs: AsyncStream<Job>
    private nonisolated let jobSink: AsyncStream<Job>.Continuation
    private var phase = Phase.idle
    private var partitioner = KafkaPartitioner()
    private var sequences = KafkaProducerSequences()
    private var queues: [TopicPartition: [Batch]] = [:]
    private var inFlight: [TopicPartition: Int] = [:]
    private var leaders: [TopicPartition: Int32] = [:]
    private var connections: [Int32: KafkaConnection] = [:]
    private var connecting: Set<Int32> = []
    private var refreshing: Set<String> = []
    private var bufferedBytes = 0
    private var spaceWaiters: [CheckedContinuation<Void, Never>] = []
    /// Opened when `run()` starts (or the producer stops): produces called before wait on it.
    private nonisolated let runStarted = OpenOnce()
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var flushing = 0
    private var bumpingEpoch = false
    private var timerDeadline: Duration?
    private var timerGeneration = 0
    private var closed = false
    /// Most batches of one partition in flight at once so far (for tests and benchmarks).
    private(set) var peakInFlight = 0

    /// A producer on `cluster`. With idempotence on, call `start()` (or use `make`) before
    /// producing so that the producer id is known; run `run()` while producing. `clock`
    /// times linger, retry backoff and the delivery timeout (`ContinuousClock` by default).
    public init(
        cluster: KafkaCluster, configuration: KafkaClientConfiguration.Producer, logger: Logger,
        clock: some Clock<Duration> = ContinuousClock()
    ) {
        self.cluster = cluster
        self.configuration = configuration
        self.logger = logger
        self.clock = KafkaClock(clock)
        (jobs, jobSink) = AsyncStream.makeStream(of: Job.self)
    }

    /// A started producer (its `run()` still has to be run).
    public static func make(
        cluster: KafkaCluster, configuration: KafkaClientConfiguration.Producer, logger: Logger,
        clock: some Clock<Duration> = ContinuousClock()
    ) async throws -> KafkaProducer {
        let producer = KafkaProducer(cluster: cluster, configuration: configuration, logger: logger, clock: clock)
        try await producer.start()
        return producer
    }

    /// Gets a producer id (InitProducerId) when idempotence is on.
    public func start() async throws {
        guard configuration.idempotence, sequences.producerID < 0 else { return }
        try await initProducerID(bump: false)
    }

    /// Runs the producer's background work until `close()` (returns) or cancellation (fails
    /// every pending batch with `KafkaClientError.closed`, then returns). Runs once.
    public nonisolated func run() async throws {
        guard await begin() else {
            throw KafkaClientError(.closed, "the producer's run() was already called (or the producer is closed)")
        }
        await withDiscardingTaskGroup { group in
            for await job in jobs { group.addTask { await job() } }
            // Before the jobs see their cancellation: nothing they report is sent again.
            await stop()
            group.cancelAll()
        }
    }

    private func begin() -> Bool {
        guard phase == .idle, !closed else { return false }
        phase = .running
        runStarted.open()
        return true
    }

    /// A produce needs `run()`: called before it started, it waits for it, up to the delivery
    /// timeout on the injected clock, then fails saying so — instead of waiting forever when
    /// nobody runs the producer (or the `KafkaBroker` that owns it). Like the rest of a produce,
    /// the wait is not cut short by the caller's cancellation (cancelling `run()` fails it).
    private func awaitRun(topic: String) async throws {
        logger.debug("produce before the producer's run() started; records wait for it", metadata: ["topic": "\(topic)"])
        let timeout = configuration.deliveryTimeout
        let clock = clock
        let runStarted = runStarted
        // Awaited right here (not left running): a task of its own, so that the caller's
        // cancellation does not reach the race.
        let race = Task {
            await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await runStarted.wait()
                    return true
                }
                group.addTask {
                    // Cancelled only once the other child has won.
                    try? await clock.sleep(for: timeout)
                    return false
                }
                defer { group.cancelAll() }
                return await group.next() ?? false
            }
        }
        let started = await race.value
        if !started {
            throw KafkaClientError(
                .timedOut,
                "the producer's run() did not start within \(timeout) (delivery timeout): run the KafkaBroker or KafkaProducer as a service beside the code that produces (KafkaBroker.running)",
                topic: topic)
        }
        if closed { throw KafkaClientError(.closed, "the producer is closed", topic: topic) }
    }

    /// `run()` ended: nothing more is sent; whatever is pending fails.
    private func stop() {
        phase = .stopped
        closed = true
        jobSink.finish()
        let error = KafkaClientError(.closed, "the producer stopped before these records were acknowledged")
        for queue in queues.values {
            for b in queue where b.result == nil { complete(b, .failure(error)) }
        }
        queues.removeAll()
        inFlight.removeAll()
        resumeAll(&spaceWaiters)
        resumeAll(&idleWaiters)
        runStarted.open()
    }

    private func resumeAll(_ waiters: inout [CheckedContinuation<Void, Never>]) {
        let all = waiters
        waiters.removeAll()
        for w in all { w.resume() }
    }

    private func enqueue(_ job: @escaping Job) {
        jobSink.yield(job)
    }

    /// Batches a partition may have in flight: `maxInFlight` with idempotence, else 1.
    private var maxInFlight: Int { configuration.idempotence ? max(1, min(configuration.maxInFlight, 5)) : 1 }

    /// The producer id and epoch in use (-1 without idempotence).
    public var producerIdentity: (id: Int64, epoch: Int16) { (sequences.producerID, sequences.epoch) }

    private func initProducerID(bump: Bool) async throws {
        var request = InitProducerIdRequest()
        request.transactionTimeoutMs = -1
        if bump {
            request.producerID = sequences.producerID
            request.producerEpoch = sequences.epoch
        }
        var response = try await cluster.sendToAny(request)
        if bump, response.errorCode != .noError {
            // A broker that cannot bump (old version, unknown id) hands out a new id instead.
            response = try await cluster.sendToAny(InitProducerIdRequest())
        }
        guard response.errorCode == .noError else {
            throw KafkaClientError(
                .brokerError,
                "InitProducerId failed: \(response.errorCode.name); the idempotent producer needs it (set idempotence=false to produce without)",
                kafkaError: response.errorCode)
        }
        sequences.reset(producerID: response.producerID, epoch: response.producerEpoch)
        logger.debug("idempotent producer id", metadata: ["id": "\(response.producerID)", "epoch": "\(response.producerEpoch)"])
    }

    // MARK: Produce

    /// Appends `records` to `topic` and returns, in input order, where each landed once every
    /// batch holding them is acknowledged (`acks`). Keyed records go to
    /// `murmur2(key) % partitions`; keyless ones of one call stick to one partition.
    /// Throws `LogError` `UNKNOWN_TOPIC_OR_PARTITION` / `MESSAGE_TOO_LARGE` or a
    /// `KafkaClientError` (the first failed batch's).
    public func produce(topic: String, records: [ProducerRecord]) async throws -> [RecordMetadata] {
        if closed { throw KafkaClientError(.closed, "the producer is closed", topic: topic) }
        guard !records.isEmpty else { return [] }
        if phase == .idle { try await awaitRun(topic: topic) }
        if configuration.idempotence, sequences.producerID < 0 { try await start() }
        let info = try await cluster.topic(topic)
        for p in info.partitions { leaders[TopicPartition(topic, p.partition)] = p.leader }
        let count = info.partitionCount
        let sticky = partitioner.nextStickyPartition(topic: topic, partitionCount: count)
        let wallNow = Self.wallClockMillis()
        var partitions: [Int32] = []
        partitions.reserveCapacity(records.count)
        var sizes: [Int] = []
        sizes.reserveCapacity(records.count)
        var total = 0
        for r in records {
            partitions.append(try KafkaPartitioner.partition(of: r, topic: topic, partitionCount: count, sticky: sticky))
            let size = Self.size(of: r)
            sizes.append(size)
            total += size
        }
        // Backpressure: wait for room, unless nothing is pending (a call larger than the
        // whole buffer still goes through alone).
        while bufferedBytes > 0, bufferedBytes + total > configuration.maxBufferedBytes {
            await withCheckedContinuation { spaceWaiters.append($0) }
            if closed { throw KafkaClientError(.closed, "the producer is closed", topic: topic) }
        }
        bufferedBytes += total
        let created = clock.now
        var placed: [(Batch, Int)] = []
        placed.reserveCapacity(records.count)
        // Each partition's open batch for this call, so a record costs no dictionary lookup
        // (nothing else runs on the actor until the loop ends).
        var open: [Int32: Batch] = [:]
        for (i, r) in records.enumerated() {
            let partition = partitions[i]
            let size = sizes[i]
            let last = open[partition] ?? queues[TopicPartition(topic, partition)]?.last
            let batch: Batch
            if let last, !last.sealed, last.bytes + size <= configuration.maxBatchBytes || last.records.isEmpty {
                batch = last
            } else {
                last?.sealed = true
                let tp = TopicPartition(topic, partition)
                batch = Batch(tp: tp, createdAt: created)
                batch.records.reserveCapacity(min(records.count - i, configuration.maxBatchBytes / max(size, 1) + 1))
                queues[tp, default: []].append(batch)
            }
            open[partition] = batch
            batch.records.append(
                KafkaRecord(
                    key: r.key, value: r.value,
                    headers: r.headers.isEmpty ? [] : r.headers.map { KafkaRecordHeader(key: $0.key, value: $0.value) },
                    timestamp: r.timestamp ?? wallNow))
            batch.bytes += size
            if batch.bytes >= configuration.maxBatchBytes { batch.sealed = true }
            placed.append((batch, batch.records.count - 1))
        }
        schedule()
        var metadata: [RecordMetadata] = []
        metadata.reserveCapacity(records.count)
        var seen = Set<ObjectIdentifier>()
        for (batch, _) in placed where seen.insert(ObjectIdentifier(batch)).inserted {
            if batch.result == nil { await withCheckedContinuation { batch.waiters.append($0) } }
        }
        for (i, (batch, index)) in placed.enumerated() {
            switch batch.result! {
            case .failure(let error): throw error
            case .success(let (base, appendTime)):
                metadata.append(
                    RecordMetadata(
                        topic: topic, partition: partitions[i], offset: base < 0 ? -1 : base + Int64(index),
                        timestamp: appendTime >= 0 ? appendTime : batch.records[index].timestamp))
            }
        }
        return metadata
    }

    /// Sends every pending batch now and returns once all are acknowledged or failed.
    public func flush() async {
        flushing += 1
        defer { flushing -= 1 }
        schedule()
        while phase != .stopped, queues.values.contains(where: { !$0.isEmpty }) {
            await withCheckedContinuation { idleWaiters.append($0) }
        }
    }

    /// Flushes, then refuses further records and ends `run()`.
    public func close() async {
        await flush()
        closed = true
        jobSink.finish()
        resumeAll(&spaceWaiters)
        runStarted.open()
    }

    // MARK: Sending

    static func wallClockMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Approximate bytes a record takes in a batch.
    static func size(of r: ProducerRecord) -> Int {
        var n = 21 + (r.key?.count ?? 0) + r.value.count
        for h in r.headers { n += h.key.utf8.count + h.value.count + 4 }
        return n
    }

    /// Sends every ready batch a partition has room for (in queue order), connects to
    /// leaders not connected yet, refreshes missing leaders, and arms the timer for the next
    /// linger end or retry.
    private func schedule() {
        guard !bumpingEpoch, phase != .stopped else { return }
        let now = clock.now
        var byNode: [Int32: [[Batch]]] = [:]
        var next: Duration?
        var missingLeaders: Set<String> = []
        var unconnected: Set<Int32> = []
        for (tp, queue) in queues where !queue.isEmpty {
            var slots = maxInFlight - (inFlight[tp] ?? 0)
            // A batch that failed waits for every earlier one and goes alone: retries keep
            // their order, and nothing new is sent until they are through.
            let recovering = queue.contains { !$0.inFlight && $0.attempts > 0 }
            var round = 0
            for (i, b) in queue.enumerated() where !b.inFlight {
                if slots <= 0 { break }
                if recovering, i > 0 || (inFlight[tp] ?? 0) > 0 { break }
                if let retryAt = b.retryAt, retryAt > now {
                    next = min(next ?? retryAt, retryAt)
                    break
                }
                let lingerEnd = b.createdAt + configuration.linger
                let ready = b.sealed || i < queue.count - 1 || flushing > 0 || b.attempts > 0 || now >= lingerEnd
                if !ready {
                    next = min(next ?? lingerEnd, lingerEnd)
                    break
                }
                guard let leader = leaders[tp], leader >= 0 else {
                    missingLeaders.insert(tp.topic)
                    break
                }
                guard connections[leader] != nil else {
                    unconnected.insert(leader)
                    break
                }
                var rounds = byNode[leader] ?? []
                if rounds.count <= round { rounds.append([]) }
                rounds[round].append(b)
                byNode[leader] = rounds
                round += 1
                slots -= 1
                if recovering { break }
            }
        }
        for (node, rounds) in byNode {
            // Round k holds the k-th batch of each partition: written in order on the one
            // connection, they reach the broker in sequence order.
            for batches in rounds { dispatch(batches, to: node) }
        }
        for topic in missingLeaders { refreshLeaders(topic) }
        for node in unconnected { connect(node) }
        if let next { arm(next) }
    }

    private func arm(_ deadline: Duration) {
        if let current = timerDeadline, current <= deadline { return }
        timerDeadline = deadline
        timerGeneration += 1
        let generation = timerGeneration
        let clock = self.clock
        enqueue { [weak self] in
            do { try await clock.sleep(until: deadline) } catch { return }
            await self?.timerFired(generation)
        }
    }

    private func timerFired(_ generation: Int) {
        guard generation == timerGeneration else { return }
        timerDeadline = nil
        schedule()
    }

    private func refreshLeaders(_ topic: String) {
        guard refreshing.insert(topic).inserted else { return }
        let cluster = self.cluster
        enqueue { [weak self] in
            do {
                let info = try await cluster.topic(topic, refresh: true)
                await self?.updateLeaders(topic, info, error: nil)
            } catch {
                await self?.updateLeaders(topic, nil, error: error)
            }
        }
    }

    private func updateLeaders(_ topic: String, _ info: KafkaCluster.TopicInfo?, error: (any Error)?) {
        refreshing.remove(topic)
        if let info {
            for p in info.partitions { leaders[TopicPartition(topic, p.partition)] = p.leader }
        } else if let error {
            // The topic vanished or the cluster is unreachable: count it as an attempt of
            // every waiting batch so the delivery timeout still applies.
            failFirstWaiting({ $0.topic == topic }, error: error)
        }
        schedule()
    }

    /// Counts a failed attempt for the first unsent batch of each partition `which` picks.
    private func failFirstWaiting(_ which: (TopicPartition) -> Bool, error: any Error) {
        for (tp, queue) in queues where which(tp) && (inFlight[tp] ?? 0) == 0 {
            if let b = queue.first, !b.inFlight { retryOrFail(b, error) }
        }
    }

    private func connect(_ node: Int32) {
        guard connecting.insert(node).inserted else { return }
        let cluster = self.cluster
        enqueue { [weak self] in
            do {
                let c = try await cluster.connection(to: node)
                await self?.connected(node, .success(c))
            } catch {
                await self?.connected(node, .failure(error))
            }
        }
    }

    private func connected(_ node: Int32, _ result: Result<KafkaConnection, any Error>) {
        connecting.remove(node)
        switch result {
        case .success(let c):
            connections[node] = c
        case .failure(let error):
            // Find the leaders again (the broker may have moved) and count the attempt.
            let led = Set(leaders.filter { $0.value == node }.map(\.key))
            for tp in led { leaders[tp] = -1 }
            failFirstWaiting({ led.contains($0) }, error: error)
        }
        schedule()
    }

    /// Writes one Produce request (at most one batch per partition) to `node`'s connection
    /// now, and hands the wait for its answer to `run()`.
    private func dispatch(_ batches: [Batch], to node: Int32) {
        guard let connection = connections[node] else { return }
        var byTopic: [String: [ProduceRequest.PartitionData]] = [:]
        var sent: [Batch] = []
        for b in batches {
            b.sealed = true
            if configuration.idempotence, b.producerID != sequences.producerID || b.epoch != sequences.epoch {
                b.producerID = sequences.producerID
                b.epoch = sequences.epoch
                b.baseSequence = sequences.assign(b.tp, count: b.records.count)
                b.encoded = nil
            }
            if b.encoded == nil {
                // Encoded once, straight into the buffer the request copies from (and a retry reuses).
                var encoded = ByteBuffer()
                do {
                    try RecordBatch.encodeProducing(
                        b.records, compression: configuration.compression, producerId: b.producerID,
                        producerEpoch: b.epoch, baseSequence: b.baseSequence, into: &encoded)
                    b.encoded = encoded
                } catch {
                    complete(b, .failure(error))
                    continue
                }
            }
            b.inFlight = true
            inFlight[b.tp, default: 0] += 1
            peakInFlight = max(peakInFlight, inFlight[b.tp] ?? 0)
            sent.append(b)
            byTopic[b.tp.topic, default: []].append(.init(index: b.tp.partition, records: b.encoded))
        }
        guard !sent.isEmpty else { return }
        let request = ProduceRequest(
            acks: configuration.acks, timeoutMs: configuration.requestTimeout.kafkaMilliseconds,
            topicData: byTopic.keys.sorted().map { .init(name: $0, partitionData: byTopic[$0]!) })
        // The connection must not time out before the broker's own replication timeout.
        let timeout = TimeAmount.milliseconds(Int64(configuration.requestTimeout.kafkaMilliseconds) + 5000)
        let pending = connection.write(request, timeout: timeout)
        let cluster = self.cluster
        let batches = sent
        enqueue { [weak self] in
            let result: Result<ProduceResponse, any Error>
            do {
                result = .success(try await cluster.response(pending, from: node, on: connection))
            } catch {
                result = .failure(error)
            }
            await self?.completed(batches, result, node: node, connection: connection)
        }
    }

    private func completed(_ batches: [Batch], _ result: Result<ProduceResponse, any Error>, node: Int32, connection: KafkaConnection) async {
        if case .failure(let error) = result, error is KafkaConnectionError, connections[node] === connection {
            // `cluster.response` dropped a broken connection; connect again for the retry.
            connections[node] = nil
        }
        var bump = false
        for b in batches {
            guard b.inFlight else { continue }
            b.inFlight = false
            inFlight[b.tp, default: 1] -= 1
            if inFlight[b.tp] == 0 { inFlight[b.tp] = nil }
            guard b.result == nil else { continue }
            switch result {
            case .failure(let error):
                if let e = error as? KafkaClientError, e.code == .unsupportedByBroker || e.code == .closed {
                    complete(b, .failure(error))
                } else {
                    retryOrFail(b, error)
                }
            case .success(let response):
                let answer = response.responses.first { $0.name == b.tp.topic }?.partitionResponses.first { $0.index == b.tp.partition }
                guard let answer else {
                    complete(
                        b,
                        .failure(KafkaClientError(.brokerError, "the Produce response has no answer for \(b.tp)", topic: b.tp.topic, partition: b.tp.partition))
                    )
                    continue
                }
                let code = answer.errorCode
                let detail = answer.errorMessage.map { ": \($0)" } ?? ""
                var outcome = KafkaProduceOutcome.of(code)
                if configuration.idempotence,
                    code == .outOfOrderSequenceNumber || code == .invalidProducerEpoch || code == .unknownProducerId
                {
                    if b.epoch != sequences.epoch || b.producerID != sequences.producerID {
                        // Sent under an epoch that has since been replaced: not written;
                        // retry with sequence numbers of the new epoch, in queue order.
                        b.producerID = -2
                        outcome = .retry(refreshMetadata: false)
                    } else if code == .outOfOrderSequenceNumber, let first = queues[b.tp]?.first, first !== b {
                        // An earlier batch of the partition is not written yet (it failed
                        // or is still in flight): retry after it, with the same sequence.
                        outcome = .retry(refreshMetadata: false)
                    }
                }
                switch outcome {
                case .success:
                    let base = code == .duplicateSequenceNumber ? -1 : answer.baseOffset
                    // Each record's offset is `base + index`: it must stay below Int64.max.
                    guard base < 0 || base < Int64.max - Int64(b.records.count) else {
                        complete(
                            b,
                            .failure(
                                KafkaProtocolError(
                                    code: .invalidValue,
                                    message:
                                        "the broker assigned base offset \(base) to a batch of \(b.records.count) records to \(b.tp), past the largest offset",
                                    api: .produce, field: "Responses.PartitionResponses.BaseOffset")))
                        continue
                    }
                    complete(b, .success((base, answer.logAppendTimeMs)))
                case .retry(let refresh):
                    if refresh { leaders[b.tp] = -1 }
                    retryOrFail(b, KafkaClientError(.brokerError, "\(code.name)\(detail)", topic: b.tp.topic, partition: b.tp.partition, kafkaError: code))
                case .bumpEpochAndRetry:
                    bump = true
                    b.producerID = -2  // re-sequenced under the new epoch
                    retryOrFail(b, KafkaClientError(.sequenceError, "\(code.name)\(detail)", topic: b.tp.topic, partition: b.tp.partition, kafkaError: code))
                case .bumpEpochAndFail:
                    bump = true
                    complete(
                        b,
                        .failure(
                            KafkaClientError(
                                .sequenceError,
                                "the broker rejected batch sequence \(b.baseSequence) (producer \(b.producerID) epoch \(b.epoch)): \(code.name)\(detail); the batch was not written and the producer starts a new epoch",
                                topic: b.tp.topic, partition: b.tp.partition, kafkaError: code)))
                case .fail:
                    if code == .messageTooLarge || code == .recordListTooLarge {
                        complete(
                            b,
                            .failure(
                                LogError(
                                    .messageTooLarge,
                                    "a batch of \(b.records.count) records (\(b.bytes) bytes) to \(b.tp) is too large for the broker\(detail)",
                                    context: ["topic": b.tp.topic, "partition": "\(b.tp.partition)"])))
                    } else {
                        complete(
                            b,
                            .failure(
                                KafkaClientError(
                                    .brokerError, "produce to \(b.tp) failed: \(code.name)\(detail)", topic: b.tp.topic,
                                    partition: b.tp.partition, kafkaError: code)))
                    }
                }
            }
        }
        if bump, configuration.idempotence, !bumpingEpoch {
            bumpingEpoch = true
            do {
                try await initProducerID(bump: true)
            } catch {
                logger.error("cannot start a new producer epoch", metadata: ["error": "\(error)"])
            }
            bumpingEpoch = false
        }
        schedule()
    }

    private func retryOrFail(_ b: Batch, _ error: any Error) {
        let now = clock.now
        b.lastError = error
        if now - b.createdAt >= configuration.deliveryTimeout || closed {
            complete(
                b,
                .failure(
                    KafkaClientError(
                        .timedOut,
                        "batch of \(b.records.count) records to \(b.tp) not acknowledged within the delivery timeout \(configuration.deliveryTimeout) after \(b.attempts + 1) attempts; last error: \(error)",
                        topic: b.tp.topic, partition: b.tp.partition)))
            return
        }
        b.attempts += 1
        b.retryAt = now + configuration.retryBackoff
        logger.debug("retrying produce", metadata: ["partition": "\(b.tp)", "attempt": "\(b.attempts)", "error": "\(error)"])
    }

    private func complete(_ b: Batch, _ result: Result<(baseOffset: Int64, logAppendTime: Int64), any Error>) {
        b.result = result
        if var queue = queues[b.tp], let i = queue.firstIndex(where: { $0 === b }) {
            queue.remove(at: i)
            queues[b.tp] = queue.isEmpty ? nil : queue
        }
        bufferedBytes -= b.records.reduce(0) { $0 + Self.size(of: $1) }
        for w in b.waiters { w.resume() }
        b.waiters.removeAll()
        if !spaceWaiters.isEmpty {
            let waiters = spaceWaiters
            spaceWaiters.removeAll()
            for w in waiters { w.resume() }
        }
        if queues.isEmpty { resumeAll(&idleWaiters) }
    }

    static func size(of r: KafkaRecord) -> Int {
        var n = 21 + (r.key?.count ?? 0) + (r.value?.count ?? 0)
        for h in r.headers { n += h.key.utf8.count + (h.value?.count ?? 0) + 4 }
        return n
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A gate that opens once: `wait()` returns when it is open (at once if it already is), or when
/// the waiting task is cancelled.
final class OpenOnce: Sendable {
    private struct State {
        var open = false
        var next = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    func wait() async {
        let ticket = state.withLock { state -> Int in
            defer { state.next += 1 }
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if state.open || Task.isCancelled { return true }
                    state.waiters[ticket] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: ticket) }?.resume()
        }
    }
}
