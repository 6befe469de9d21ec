import FreshetContracts
import FreshetCore
import Logging
import NIOCore

/// Produces records to a Kafka cluster: one RecordBatch v2 per partition (headers kept,
/// codec configurable), `linger` and `maxBatchBytes` batching, `acks=all` and the idempotent
/// producer by default, results in input order.
///
/// Ordering: a partition has at most one batch in flight (Kafka allows up to five with
/// idempotence). `KafkaConnection.send` gives no wire order between concurrent callers, so
/// pipelining batches of one partition could reorder them on a broker that does not check
/// sequences; with one in flight a retry can never overtake a later batch. Different
/// partitions (and brokers) are sent concurrently, and a batch holds everything that
/// accumulated while the previous one was in flight, up to `maxBatchBytes`.
///
/// Backpressure: `produce` waits while more than `maxBufferedBytes` of records are
/// accepted but not yet acknowledged.
public actor KafkaProducer {
    final class Batch {
        let tp: TopicPartition
        var records: [KafkaRecord] = []
        var bytes = 0
        let createdAt: ContinuousClock.Instant
        /// No more records once sent (or full).
        var sealed = false
        var baseSequence: Int32 = -1
        var epoch: Int16 = -1
        var producerID: Int64 = -1
        var encoded: ByteBuffer?
        var attempts = 0
        var retryAt: ContinuousClock.Instant?
        var lastError: (any Error)?
        var result: Result<(baseOffset: Int64, logAppendTime: Int64), any Error>?
        var waiters: [CheckedContinuation<Void, Never>] = []

        init(tp: TopicPartition, createdAt: ContinuousClock.Instant) {
            self.tp = tp
            self.createdAt = createdAt
        }
    }

    nonisolated let cluster: KafkaCluster
    nonisolated let configuration: KafkaClientConfiguration.Producer
    nonisolated let logger: Logger
    private var partitioner = KafkaPartitioner()
    private var sequences = KafkaProducerSequences()
    private var queues: [TopicPartition: [Batch]] = [:]
    private var inFlight: Set<TopicPartition> = []
    private var leaders: [TopicPartition: Int32] = [:]
    private var refreshing: Set<String> = []
    private var bufferedBytes = 0
    private var spaceWaiters: [CheckedContinuation<Void, Never>] = []
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var flushing = 0
    private var bumpingEpoch = false
    private var timerDeadline: ContinuousClock.Instant?
    private var timerTask: Task<Void, Never>?
    private var closed = false

    /// A producer on `cluster`. With idempotence on, call `start()` (or use `make`) before
    /// producing so that the producer id is known.
    public init(cluster: KafkaCluster, configuration: KafkaClientConfiguration.Producer, logger: Logger) {
        self.cluster = cluster
        self.configuration = configuration
        self.logger = logger
    }

    /// A started producer.
    public static func make(cluster: KafkaCluster, configuration: KafkaClientConfiguration.Producer, logger: Logger) async throws -> KafkaProducer {
        let producer = KafkaProducer(cluster: cluster, configuration: configuration, logger: logger)
        try await producer.start()
        return producer
    }

    /// Gets a producer id (InitProducerId) when idempotence is on.
    public func start() async throws {
        guard configuration.idempotence, sequences.producerID < 0 else { return }
        try await initProducerID(bump: false)
    }

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
        if configuration.idempotence, sequences.producerID < 0 { try await start() }
        let info = try await cluster.topic(topic)
        for p in info.partitions { leaders[TopicPartition(topic, p.partition)] = p.leader }
        let count = info.partitionCount
        let sticky = partitioner.nextStickyPartition(topic: topic, partitionCount: count)
        let wallNow = Self.wallClockMillis()
        var partitions: [Int32] = []
        partitions.reserveCapacity(records.count)
        var total = 0
        for r in records {
            partitions.append(try KafkaPartitioner.partition(of: r, topic: topic, partitionCount: count, sticky: sticky))
            total += Self.size(of: r)
        }
        // Backpressure: wait for room, unless nothing is pending (a call larger than the
        // whole buffer still goes through alone).
        while bufferedBytes > 0, bufferedBytes + total > configuration.maxBufferedBytes {
            await withCheckedContinuation { spaceWaiters.append($0) }
            if closed { throw KafkaClientError(.closed, "the producer is closed", topic: topic) }
        }
        bufferedBytes += total
        let created = ContinuousClock.now
        var placed: [(Batch, Int)] = []
        placed.reserveCapacity(records.count)
        for (i, r) in records.enumerated() {
            let tp = TopicPartition(topic, partitions[i])
            let size = Self.size(of: r)
            var queue = queues[tp] ?? []
            let batch: Batch
            if let last = queue.last, !last.sealed, last.bytes + size <= configuration.maxBatchBytes || last.records.isEmpty {
                batch = last
            } else {
                queue.last?.sealed = true
                batch = Batch(tp: tp, createdAt: created)
                queue.append(batch)
            }
            batch.records.append(
                KafkaRecord(
                    key: r.key, value: r.value, headers: r.headers.map { KafkaRecordHeader(key: $0.key, value: $0.value) },
                    timestamp: r.timestamp ?? wallNow))
            batch.bytes += size
            if batch.bytes >= configuration.maxBatchBytes { batch.sealed = true }
            queues[tp] = queue
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
        while queues.values.contains(where: { !$0.isEmpty }) {
            await withCheckedContinuation { idleWaiters.append($0) }
        }
    }

    /// Flushes, then refuses further records.
    public func close() async {
        await flush()
        closed = true
        timerTask?.cancel()
        for w in spaceWaiters { w.resume() }
        spaceWaiters.removeAll()
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

    /// Sends every ready batch whose partition has none in flight and arms the linger timer
    /// for the rest.
    private func schedule() {
        guard !bumpingEpoch else { return }
        let now = ContinuousClock.now
        var byNode: [Int32: [Batch]] = [:]
        var next: ContinuousClock.Instant?
        var missingLeaders: Set<String> = []
        for (tp, queue) in queues where !queue.isEmpty && !inFlight.contains(tp) {
            let b = queue[0]
            if let retryAt = b.retryAt, retryAt > now {
                next = min(next ?? retryAt, retryAt)
                continue
            }
            let lingerEnd = b.createdAt + configuration.linger
            let ready = b.sealed || queue.count > 1 || flushing > 0 || b.attempts > 0 || now >= lingerEnd
            if !ready {
                next = min(next ?? lingerEnd, lingerEnd)
                continue
            }
            guard let leader = leaders[tp], leader >= 0 else {
                missingLeaders.insert(tp.topic)
                continue
            }
            byNode[leader, default: []].append(b)
        }
        for (node, batches) in byNode { dispatch(batches, to: node) }
        for topic in missingLeaders { refreshLeaders(topic) }
        if let next { arm(next) }
    }

    private func arm(_ deadline: ContinuousClock.Instant) {
        if let current = timerDeadline, current <= deadline { return }
        timerTask?.cancel()
        timerDeadline = deadline
        timerTask = Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            if Task.isCancelled { return }
            await self?.timerFired()
        }
    }

    private func timerFired() {
        timerDeadline = nil
        schedule()
    }

    private func refreshLeaders(_ topic: String) {
        guard refreshing.insert(topic).inserted else { return }
        Task {
            do {
                let info = try await cluster.topic(topic, refresh: true)
                self.updateLeaders(topic, info, error: nil)
            } catch {
                self.updateLeaders(topic, nil, error: error)
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
            for (tp, queue) in queues where tp.topic == topic && !inFlight.contains(tp) {
                if let b = queue.first { retryOrFail(b, error) }
            }
        }
        schedule()
    }

    private func dispatch(_ batches: [Batch], to node: Int32) {
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
                let batch = RecordBatch.producing(
                    b.records, compression: configuration.compression, producerId: b.producerID, producerEpoch: b.epoch,
                    baseSequence: b.baseSequence)
                do {
                    b.encoded = ByteBuffer(bytes: try batch.encode())
                } catch {
                    complete(b, .failure(error))
                    continue
                }
            }
            inFlight.insert(b.tp)
            sent.append(b)
            byTopic[b.tp.topic, default: []].append(.init(index: b.tp.partition, records: b.encoded))
        }
        guard !sent.isEmpty else { return }
        let request = ProduceRequest(
            acks: configuration.acks, timeoutMs: configuration.requestTimeout.kafkaMilliseconds,
            topicData: byTopic.keys.sorted().map { .init(name: $0, partitionData: byTopic[$0]!) })
        let cluster = self.cluster
        // The connection must not time out before the broker's own replication timeout.
        let timeout = TimeAmount.milliseconds(Int64(configuration.requestTimeout.kafkaMilliseconds) + 5000)
        Task {
            let result: Result<ProduceResponse, any Error>
            do {
                result = .success(try await cluster.send(request, to: node, timeout: timeout))
            } catch {
                result = .failure(error)
            }
            await self.completed(sent, result)
        }
    }

    private func completed(_ batches: [Batch], _ result: Result<ProduceResponse, any Error>) async {
        var bump = false
        for b in batches {
            inFlight.remove(b.tp)
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
                switch KafkaProduceOutcome.of(code) {
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
        let now = ContinuousClock.now
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
        if queues.isEmpty {
            let waiters = idleWaiters
            idleWaiters.removeAll()
            for w in waiters { w.resume() }
        }
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
