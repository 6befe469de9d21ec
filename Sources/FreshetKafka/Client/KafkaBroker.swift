import FreshetContracts
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Freshet's `Broker` over a real Kafka cluster: the same calls as `EmbeddedBroker`, so
/// the pipeline runs unchanged through Kafka (`freshet up --broker kafka://…`).
///
/// Errors the `Broker` contract names are `LogError`s with the same codes as the embedded
/// broker (`UNKNOWN_TOPIC_OR_PARTITION`, `TOPIC_ALREADY_EXISTS`, `OFFSET_OUT_OF_RANGE`,
/// `BROKER_CLOSED`…); the rest are `KafkaClientError`s naming the broker, API and partition.
///
/// `run()` (a ServiceLifecycle `Service`) owns the client's background work: the producer's
/// timers and requests in flight, and the heartbeats and prefetches of every consumer
/// `makeConsumer` returns. Produce needs it running; run it beside the code that uses the
/// broker (a service group, or `withBroker`). `close()` ends it; cancelling it fails pending
/// produces with `KafkaClientError.closed`.
public final class KafkaBroker: Broker, Service {
    public let configuration: KafkaClientConfiguration
    /// Admin, fetch and produce traffic. Consumers get clusters of their own.
    public let cluster: KafkaCluster
    public let producer: KafkaProducer
    let logger: Logger
    let clock: KafkaClock
    private let closed = Mutex(false)
    private let started = Mutex(false)
    /// Consumers whose `run()` the broker's `run()` takes over.
    private let consumers: AsyncStream<KafkaConsumer>
    private let consumerSink: AsyncStream<KafkaConsumer>.Continuation

    private init(
        configuration: KafkaClientConfiguration, cluster: KafkaCluster, producer: KafkaProducer, logger: Logger, clock: KafkaClock
    ) {
        self.configuration = configuration
        self.cluster = cluster
        self.producer = producer
        self.logger = logger
        self.clock = clock
        (consumers, consumerSink) = AsyncStream.makeStream(of: KafkaConsumer.self)
    }

    /// Connects to the cluster (metadata from a bootstrap server) and, with idempotence on,
    /// obtains a producer id. Throws `KafkaClientError.noBrokerAvailable` naming the
    /// servers when none answers. `clock` times the client's timers (`ContinuousClock` by
    /// default). Run `run()` while using the broker (see `withBroker`).
    public static func connect(
        _ configuration: KafkaClientConfiguration, logger: Logger = Logger(label: "freshet.kafka"),
        clock: some Clock<Duration> = ContinuousClock()
    ) async throws -> KafkaBroker {
        try configuration.validate()
        let cluster = KafkaCluster(configuration: configuration, logger: logger, clock: clock)
        do {
            try await cluster.refreshMetadata([])
            let producer = try await KafkaProducer.make(cluster: cluster, configuration: configuration.producer, logger: logger, clock: clock)
            logger.info("connected to Kafka", metadata: ["bootstrap": "\(configuration.bootstrapServers.map(\.description).joined(separator: ","))"])
            return KafkaBroker(configuration: configuration, cluster: cluster, producer: producer, logger: logger, clock: KafkaClock(clock))
        } catch {
            await cluster.close()
            throw error
        }
    }

    /// Connects, runs `body` with `run()` beside it, then closes the broker (also when `body`
    /// throws) and ends `run()`.
    public static func withBroker<R: Sendable>(
        _ configuration: KafkaClientConfiguration, logger: Logger = Logger(label: "freshet.kafka"),
        clock: some Clock<Duration> = ContinuousClock(), _ body: (KafkaBroker) async throws -> R
    ) async throws -> R {
        let broker = try await connect(configuration, logger: logger, clock: clock)
        return try await broker.running(body)
    }

    /// Runs `body` with `run()` beside it, then closes the broker (also when `body` throws).
    public func running<R: Sendable>(_ body: (KafkaBroker) async throws -> R) async throws -> R {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            let result: Result<R, any Error>
            do {
                result = .success(try await body(self))
            } catch {
                result = .failure(error)
            }
            try? await close()
            group.cancelAll()
            try? await group.waitForAll()
            return try result.get()
        }
    }

    /// Runs the producer's background work and that of every consumer `makeConsumer`
    /// returns, until `close()`, graceful shutdown (pending records are flushed first) or
    /// cancellation (pending produces fail with `KafkaClientError.closed`).
    public func run() async throws {
        let first = started.withLock { s in
            defer { s = true }
            return !s
        }
        guard first else { throw KafkaClientError(.closed, "the Kafka broker's run() was already called") }
        await withDiscardingTaskGroup { group in
            group.addTask { try? await self.producer.run() }
            for await consumer in consumers.cancelOnGracefulShutdown() { group.addTask { try? await consumer.run() } }
            // Graceful shutdown (or close): what was accepted is sent and acknowledged first.
            if !Task.isCancelled { await producer.close() }
            group.cancelAll()
        }
    }

    /// `connect(KafkaClientConfiguration(url:))`.
    public static func connect(url: String, logger: Logger = Logger(label: "freshet.kafka")) async throws -> KafkaBroker {
        try await connect(KafkaClientConfiguration(url: url), logger: logger)
    }

    private func checkOpen() throws {
        if closed.withLock({ $0 }) { throw LogError(.brokerClosed, "the broker is closed") }
    }

    static func validateName(_ name: String, what: String) throws {
        let ok =
            !name.isEmpty && name.utf8.count <= 249 && name != "." && name != ".."
            && name.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x5F || c == 0x2D
            }
        guard ok else {
            if what == "topic" {
                throw LogError(.invalidTopic, "invalid topic name '\(name)': use 1-249 characters of [A-Za-z0-9._-]", context: ["topic": name])
            }
            throw LogError(.invalidGroupID, "invalid group id '\(name)': use 1-249 characters of [A-Za-z0-9._-]", context: ["group": name])
        }
    }

    // MARK: Topics

    /// Creates the topic with `config.partitions` (the URL's `partitions` when the config
    /// keeps the default of 3) and the configured replication factor; retention and the
    /// largest record size become `retention.ms`, `retention.bytes` and `max.message.bytes`.
    public func createTopic(_ name: String, config: TopicConfig) async throws {
        try checkOpen()
        try Self.validateName(name, what: "topic")
        let partitions = config.partitions == TopicConfig().partitions ? configuration.topicDefaults.partitions : config.partitions
        guard partitions >= 1 else {
            throw LogError(.invalidPartitions, "topic '\(name)': partitions must be at least 1, got \(partitions)", context: ["topic": name])
        }
        var configs: [String: String] = ["retention.ms": String(config.retentionMs ?? -1)]
        configs["retention.bytes"] = String(config.retentionBytes ?? -1)
        configs["max.message.bytes"] = String(config.maxRecordBytes)
        try await cluster.createTopic(name, partitions: partitions, replicationFactor: configuration.topicDefaults.replicationFactor, configs: configs)
    }

    public func deleteTopic(_ name: String) async throws {
        try checkOpen()
        try await cluster.deleteTopic(name)
    }

    public func listTopics() async throws -> [String] {
        try checkOpen()
        return try await cluster.topicNames()
    }

    /// Partitions with their log start offset and high watermark (from Fetch answers; see
    /// `KafkaCluster.partitionBounds`). Sizes and segment counts are not known over the
    /// protocol and are 0; `config` carries the partition count only.
    public func describeTopic(_ name: String) async throws -> TopicDescription {
        try checkOpen()
        let info = try await cluster.topic(name, refresh: true)
        let tps = info.partitions.map { TopicPartition(name, $0.partition) }
        let bounds = try await cluster.partitionBounds(tps)
        var config = TopicConfig()
        config.partitions = info.partitionCount
        return TopicDescription(
            name: name, config: config,
            partitions: tps.map { tp in
                let b = bounds[tp] ?? KafkaCluster.PartitionBounds(logStartOffset: 0, highWatermark: 0)
                return PartitionDescription(
                    partition: tp.partition, earliestOffset: b.logStartOffset, latestOffset: b.highWatermark, sizeBytes: 0, segmentCount: 0)
            })
    }

    // MARK: Produce / fetch

    public func produce(topic: String, records: [ProducerRecord]) async throws -> [RecordMetadata] {
        try checkOpen()
        return try await producer.produce(topic: topic, records: records)
    }

    public func fetch(
        topic: String, partition: Int32, offset: Int64, maxRecords: Int, maxBytes: Int, maxWait: Duration
    ) async throws -> FetchResult {
        try checkOpen()
        let tp = TopicPartition(topic, partition)
        var attempt = 0
        while true {
            let leader = try await cluster.leader(tp)
            var request = FetchRequest()
            request.maxWaitMs = max(KafkaCluster.minimumFetchWaitMs, maxWait.kafkaMilliseconds)
            request.minBytes = 1
            request.maxBytes = Int32(clamping: max(maxBytes, 1))
            request.topics = [
                .init(topic: topic, partitions: [.init(partition: partition, fetchOffset: offset, partitionMaxBytes: Int32(clamping: max(maxBytes, 1)))])
            ]
            let response: FetchResponse
            do {
                response = try await cluster.send(request, to: leader, timeout: .milliseconds(Int64(request.maxWaitMs) + 30_000))
            } catch let e as KafkaConnectionError where attempt < configuration.retries {
                attempt += 1
                logger.debug("fetch retry", metadata: ["partition": "\(tp)", "error": "\(e)"])
                try await clock.sleep(for: configuration.consumer.retryBackoff)
                continue
            }
            guard let data = response.responses.first?.partitions.first else {
                throw KafkaClientError(.brokerError, "the Fetch response has no answer for \(tp)", topic: topic, partition: partition)
            }
            var code = data.errorCode
            // Tansu 0.6 answers a Fetch past the high watermark with no error and no records;
            // Kafka answers OFFSET_OUT_OF_RANGE, which the Broker contract promises.
            if code == .noError, data.highWatermark >= 0, offset > data.highWatermark || (data.logStartOffset > 0 && offset < data.logStartOffset) {
                code = .offsetOutOfRange
            }
            switch code {
            case .noError:
                var records: [ConsumerRecord] = []
                var next = offset
                var bytes = 0
                if let buffer = data.records, buffer.readableBytes > 0 {
                    var order = KafkaRecordOrder(tp: tp)
                    // Decoded batches guarantee lastOffset < Int64.max and record offsets below it.
                    outer: for batch in try RecordBatch.decodeAll(buffer, options: configuration.consumer.decodingOptions).batches {
                        if batch.attributes.isControl {
                            next = max(next, batch.lastOffset + 1)
                            continue
                        }
                        for r in batch.records where r.offset >= offset {
                            try order.check(r.offset)
                            let size = (r.value?.count ?? 0) + (r.key?.count ?? 0)
                            if records.count >= maxRecords || (!records.isEmpty && bytes + size > maxBytes) { break outer }
                            records.append(
                                ConsumerRecord(
                                    topic: topic, partition: partition, offset: r.offset, timestamp: r.timestamp, key: r.key,
                                    value: r.value ?? [], headers: r.headers.map { RecordHeader(key: $0.key, value: $0.value ?? []) }))
                            bytes += size
                            next = r.offset + 1
                        }
                        if records.count < maxRecords { next = max(next, batch.lastOffset + 1) }
                    }
                }
                // Offsets handed on are never negative (callers compute lags from them).
                return FetchResult(
                    records: records, highWatermark: max(0, data.highWatermark), logStartOffset: max(0, data.logStartOffset),
                    nextOffset: next)
            case .offsetOutOfRange:
                throw LogError(
                    .offsetOutOfRange,
                    "offset \(offset) is out of range for \(tp) (log start \(data.logStartOffset), high watermark \(data.highWatermark))",
                    context: ["topic": topic, "partition": "\(partition)", "offset": "\(offset)"])
            case .unknownTopicOrPartition where attempt >= 1:
                throw LogError.kafkaUnknownTopic(topic)
            default:
                if (code.invalidatesMetadata || code.isRetriable) && attempt < configuration.retries {
                    attempt += 1
                    await cluster.invalidate(topic: topic)
                    try await clock.sleep(for: configuration.consumer.retryBackoff)
                    continue
                }
                throw KafkaClientError(
                    .brokerError, "fetch of \(tp) failed: \(code.name)", topic: topic, partition: partition, kafkaError: code)
            }
        }
    }

    // MARK: Groups

    /// Joins the group over a cluster connection of its own (see `KafkaCluster`) and returns
    /// once the first assignment is known. A second member of a group that is being polled
    /// joins when that member next polls.
    public func makeConsumer(_ config: ConsumerConfig) async throws -> any BrokerConsumer {
        try checkOpen()
        try Self.validateName(config.groupID, what: "group")
        let cluster = KafkaCluster(configuration: configuration, logger: logger, kafkaClock: clock)
        let consumer = try await KafkaConsumer.join(cluster: cluster, config: config, settings: configuration.consumer, logger: logger, kafkaClock: clock)
        consumerSink.yield(consumer)
        return consumer
    }

    public func committedOffsets(group: String) async throws -> [TopicPartition: Int64] {
        try checkOpen()
        try Self.validateName(group, what: "group")
        return try await cluster.committedOffsets(group: group, partitions: nil)
    }

    public func commitOffsets(group: String, offsets: [TopicPartition: Int64]) async throws {
        try checkOpen()
        try Self.validateName(group, what: "group")
        for tp in offsets.keys { _ = try await cluster.leader(tp) }
        let errors = try await cluster.commitOffsets(group: group, offsets: offsets)
        if let (tp, code) = errors.first { throw commitError(group, tp, code) }
    }

    private func commitError(_ group: String, _ tp: TopicPartition, _ code: KafkaErrorCode) -> any Error {
        if code == .unknownMemberId || code == .illegalGeneration || code == .rebalanceInProgress {
            return LogError(
                .invalidConfig, "group '\(group)' has active consumers (\(code.name)); stop them before changing its offsets",
                context: ["group": group])
        }
        return KafkaClientError(
            .brokerError, "commit of \(tp) for group '\(group)' failed: \(code.name)", topic: tp.topic, partition: tp.partition, group: group, kafkaError: code)
    }

    public func resetOffsets(group: String, topic: String?, to spec: OffsetSpec) async throws -> [TopicPartition: Int64] {
        try checkOpen()
        try Self.validateName(group, what: "group")
        if let members = try? await describeGroupRaw(group), !members.members.isEmpty {
            throw LogError(
                .invalidConfig, "group '\(group)' has \(members.members.count) active consumer(s); stop them before resetting offsets",
                context: ["group": group])
        }
        let topicNames: [String]
        if let topic {
            _ = try await cluster.topic(topic)
            topicNames = [topic]
        } else {
            let committed = try await cluster.committedOffsets(group: group, partitions: nil)
            topicNames = Set(committed.keys.map(\.topic)).sorted()
            if topicNames.isEmpty {
                throw LogError(.groupIDNotFound, "group '\(group)' has no committed offsets; name a topic with --topic", context: ["group": group])
            }
        }
        var offsets: [TopicPartition: Int64] = [:]
        for name in topicNames {
            guard let info = try? await cluster.topic(name) else { continue }
            let tps = info.partitions.map { TopicPartition(name, $0.partition) }
            let bounds = try await cluster.partitionBounds(tps)
            for tp in tps {
                guard let b = bounds[tp] else { continue }
                switch spec {
                case .earliest: offsets[tp] = b.logStartOffset
                case .latest: offsets[tp] = b.highWatermark
                case .offset(let x): offsets[tp] = min(max(x, b.logStartOffset), b.highWatermark)
                }
            }
        }
        let errors = try await cluster.commitOffsets(group: group, offsets: offsets)
        if let (tp, code) = errors.first { throw commitError(group, tp, code) }
        return offsets
    }

    /// Groups known to any broker (ListGroups), sorted.
    public func listGroups() async throws -> [String] {
        try checkOpen()
        var names = Set<String>()
        var brokers = await cluster.brokers()
        if brokers.isEmpty {
            try await cluster.refreshMetadata([])
            brokers = await cluster.brokers()
        }
        for node in brokers {
            let response = try await cluster.send(ListGroupsRequest(), to: node)
            guard response.errorCode == .noError else {
                throw KafkaClientError(
                    .brokerError, "ListGroups failed: \(response.errorCode.name)", broker: await cluster.address(of: node), kafkaError: response.errorCode)
            }
            for g in response.groups { names.insert(g.groupID) }
        }
        return names.sorted()
    }

    private func describeGroupRaw(_ group: String) async throws -> DescribeGroupsResponse.Group {
        let response = try await cluster.sendToCoordinator(group: group, DescribeGroupsRequest(groups: [group])) {
            $0.groups.first?.errorCode ?? .noError
        }
        guard let g = response.groups.first(where: { $0.groupID == group }) ?? response.groups.first else {
            throw KafkaClientError(.brokerError, "DescribeGroups answered without group '\(group)'", group: group)
        }
        guard g.errorCode == .noError else {
            if g.errorCode == .groupIdNotFound { throw LogError(.groupIDNotFound, "unknown consumer group '\(group)'", context: ["group": group]) }
            throw KafkaClientError(.brokerError, "DescribeGroups for '\(group)' failed: \(g.errorCode.name)", group: group, kafkaError: g.errorCode)
        }
        return g
    }

    /// Members (DescribeGroups), committed offsets (OffsetFetch) and lag against the high
    /// watermarks. DescribeGroups does not carry the generation: `generation` is -1.
    /// "CompletingRebalance" is reported as "PreparingRebalance", "Dead" as "Empty".
    public func describeGroup(_ group: String) async throws -> GroupDescription {
        try checkOpen()
        try Self.validateName(group, what: "group")
        let g = try await describeGroupRaw(group)
        let committed = try await cluster.committedOffsets(group: group, partitions: nil)
        if g.members.isEmpty && committed.isEmpty && (g.groupState == "Dead" || g.groupState.isEmpty || g.groupState == "Empty") {
            throw LogError(.groupIDNotFound, "unknown consumer group '\(group)'", context: ["group": group])
        }
        var owners: [TopicPartition: String] = [:]
        var members: [GroupDescription.Member] = []
        for m in g.members.sorted(by: { $0.memberID < $1.memberID }) {
            let topics = (try? ConsumerProtocolSubscription.decode(m.memberMetadata).0.topics) ?? []
            var assignment: [TopicPartition] = []
            if let (a, _) = try? ConsumerProtocolAssignment.decode(m.memberAssignment) {
                for t in a.assignedPartitions { for p in t.partitions { assignment.append(TopicPartition(t.topic, p)) } }
            }
            for tp in assignment { owners[tp] = m.memberID }
            members.append(GroupDescription.Member(memberID: m.memberID, topics: topics, assignment: assignment.sorted()))
        }
        let topicNames = Set(committed.keys.map(\.topic)).union(members.flatMap(\.topics))
        var offsets: [GroupPartitionOffset] = []
        for name in topicNames.sorted() {
            guard let info = try? await cluster.topic(name) else { continue }
            let tps = info.partitions.map { TopicPartition(name, $0.partition) }
            let bounds = try await cluster.partitionBounds(tps)
            for tp in tps {
                let latest = bounds[tp]?.highWatermark ?? 0
                let c = committed[tp]
                offsets.append(
                    GroupPartitionOffset(
                        topic: name, partition: tp.partition, committedOffset: c, latestOffset: latest, lag: c.map { max(0, latest - $0) },
                        owner: owners[tp]))
            }
        }
        let state: String
        switch g.groupState {
        case "Stable": state = "Stable"
        case "PreparingRebalance", "CompletingRebalance": state = "PreparingRebalance"
        default: state = members.isEmpty ? "Empty" : g.groupState
        }
        return GroupDescription(groupID: group, state: state, generation: -1, members: members, offsets: offsets)
    }

    // MARK: Lifecycle

    /// Flushes the producer and closes every connection; later calls throw `BROKER_CLOSED`.
    /// Consumers made by `makeConsumer` are closed by their owners.
    public func close() async throws {
        let wasClosed = closed.withLock { c in
            defer { c = true }
            return c
        }
        if wasClosed { return }
        await producer.close()
        consumerSink.finish()
        await cluster.close()
    }
}
