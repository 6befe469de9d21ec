import FreshetContracts
import Logging
import NIOCore

/// A Kafka cluster as seen by one client: bootstrap, one lazily opened connection per broker
/// node (reconnecting with exponential backoff), a metadata cache (brokers, topics,
/// partitions, leaders) and group-coordinator lookups.
///
/// Group requests go over a connection of their own (keyed `Int32.max - coordinator id`, as
/// Kafka's Java client does), so a JoinGroup that blocks for a rebalance never holds up a
/// Fetch or a Produce on the same broker. Each consumer uses its own `KafkaCluster`: brokers
/// answer requests on one connection in order, and one member's JoinGroup must not wait
/// behind another member's.
public actor KafkaCluster {
    /// A partition's leader, as of the last metadata refresh.
    public struct PartitionInfo: Sendable, Hashable {
        public var partition: Int32
        /// -1 when there is no leader right now.
        public var leader: Int32
        public var errorCode: KafkaErrorCode
    }

    /// A topic's partitions, as of the last metadata refresh.
    public struct TopicInfo: Sendable, Hashable {
        public var name: String
        /// Sorted by partition number, 0..<count.
        public var partitions: [PartitionInfo]
        public var partitionCount: Int32 { Int32(clamping: partitions.count) }
    }

    private struct Node {
        var address: KafkaClientConfiguration.Server
        var connection: KafkaConnection?
        /// Callers waiting for the connect that another caller is making.
        var connectWaiters: [CheckedContinuation<KafkaConnection, any Error>]?
        var failures = 0
        var retryAt: Duration?
    }

    public nonisolated let configuration: KafkaClientConfiguration
    nonisolated let logger: Logger
    /// Reconnect backoff and retry waits.
    nonisolated let clock: KafkaClock
    private var nodes: [Int32: Node] = [:]
    /// Node ids of the bootstrap servers (negative, as Kafka's clients number them).
    private let bootstrapIDs: [Int32]
    private var brokerIDs: Set<Int32> = []
    private var controllerID: Int32 = -1
    private var topics: [String: TopicInfo] = [:]
    private var coordinators: [String: Int32] = [:]
    private var closed = false

    /// A client of the cluster `configuration` names; `clock` times reconnect backoffs and
    /// retries (`ContinuousClock` by default).
    public init(
        configuration: KafkaClientConfiguration, logger: Logger = Logger(label: "freshet.kafka"),
        clock: some Clock<Duration> = ContinuousClock()
    ) {
        self.init(configuration: configuration, logger: logger, kafkaClock: KafkaClock(clock))
    }

    init(configuration: KafkaClientConfiguration, logger: Logger, kafkaClock: KafkaClock) {
        self.configuration = configuration
        self.logger = logger
        self.clock = kafkaClock
        var ids: [Int32] = []
        for (i, server) in configuration.bootstrapServers.enumerated() {
            let id = Int32(-1 - i)
            ids.append(id)
            nodes[id] = Node(address: server)
        }
        bootstrapIDs = ids
    }

    // MARK: Connections

    private func checkOpen() throws {
        if closed { throw KafkaClientError(.closed, "the Kafka client is closed") }
    }

    /// The connection to `node`, opening it if needed. A node that failed recently is retried
    /// only after its backoff (doubling from `reconnectBackoff` up to `reconnectBackoffMax`).
    public func connection(to node: Int32) async throws -> KafkaConnection {
        try checkOpen()
        guard let state = nodes[node] else {
            throw KafkaClientError(.noBrokerAvailable, "broker node \(node) is not in the cluster metadata")
        }
        if let c = state.connection { return c }
        if state.connectWaiters != nil {
            return try await withCheckedThrowingContinuation { nodes[node]?.connectWaiters?.append($0) }
        }
        nodes[node]?.connectWaiters = []
        let address = state.address
        let connectionConfiguration = configuration.connection
        let result: Result<KafkaConnection, any Error>
        do {
            if let retryAt = state.retryAt, retryAt > clock.now { try await clock.sleep(until: retryAt) }
            result = .success(try await KafkaConnection.connect(host: address.host, port: address.port, configuration: connectionConfiguration))
        } catch {
            result = .failure(error)
        }
        let waiters = nodes[node]?.connectWaiters ?? []
        nodes[node]?.connectWaiters = nil
        switch result {
        case .success(let c):
            if closed {
                try? await c.close()
                let error = KafkaClientError(.closed, "the Kafka client is closed")
                for w in waiters { w.resume(throwing: error) }
                throw error
            }
            nodes[node]?.connection = c
            nodes[node]?.failures = 0
            nodes[node]?.retryAt = nil
            for w in waiters { w.resume(returning: c) }
            return c
        case .failure(let error as CancellationError):
            // The caller that was connecting went away; not the broker's failure.
            for w in waiters { w.resume(throwing: error) }
            throw error
        case .failure(let error):
            let failures = (nodes[node]?.failures ?? 0) + 1
            nodes[node]?.failures = failures
            nodes[node]?.retryAt =
                clock.now + Self.backoff(failures: failures, base: configuration.reconnectBackoff, max: configuration.reconnectBackoffMax)
            logger.debug("cannot connect to Kafka broker", metadata: ["broker": "\(address)", "error": "\(error)"])
            for w in waiters { w.resume(throwing: error) }
            throw error
        }
    }

    /// A node at a new address. Callers waiting for a connect in progress keep waiting for it
    /// (they get what it gives, as the ones who started it do).
    private func replaceNode(_ id: Int32, address: KafkaClientConfiguration.Server) {
        var fresh = Node(address: address)
        fresh.connectWaiters = nodes[id]?.connectWaiters
        nodes[id] = fresh
    }

    /// `base * 2^(failures-1)`, at most `max`.
    static func backoff(failures: Int, base: Duration, max: Duration) -> Duration {
        let factor = 1 << Swift.min(Swift.max(failures - 1, 0), 20)
        let d = base * factor
        return d > max ? max : d
    }

    /// Forgets `connection` (after a connection error) so the next request reconnects.
    func dropConnection(_ node: Int32, _ connection: KafkaConnection) async {
        guard nodes[node]?.connection === connection else { return }
        nodes[node]?.connection = nil
        try? await connection.close()
    }

    /// `host:port` of a node, for error messages.
    public func address(of node: Int32) -> String? { nodes[node]?.address.description }

    /// Sends `request` to `node` and returns its response. A connection error drops the
    /// connection (the next request reconnects) and, for partition leaders, the cached
    /// metadata; an API the broker lacks becomes `KafkaClientError.unsupportedByBroker`.
    public nonisolated func send<R: KafkaRequest>(_ request: R, to node: Int32, timeout: TimeAmount? = nil) async throws -> R.Response {
        let connection = try await self.connection(to: node)
        return try await response(connection.write(request, timeout: timeout), from: node, on: connection)
    }

    /// Waits for the response of a request written on `connection` (to `node`), handling its
    /// errors as `send` does.
    public nonisolated func response<R: KafkaRequest>(
        _ pending: KafkaPendingResponse<R>, from node: Int32, on connection: KafkaConnection
    ) async throws -> R.Response {
        do {
            return try await pending.response()
        } catch let error as KafkaConnectionError {
            if error.code == .noCommonVersion {
                throw KafkaClientError(
                    .unsupportedByBroker,
                    "the broker \(connection.broker) does not support \(R.apiKey) at a version Freshet implements (v\(R.supportedVersions.lowerBound)-\(R.supportedVersions.upperBound))",
                    broker: connection.broker)
            }
            if error.code == .connectionClosed || error.code == .requestTimedOut || error.code == .unexpectedCorrelationID
                || error.code == .protocolError
            {
                await dropConnection(node, connection)
                await invalidateAllTopics()
            }
            throw error
        }
    }

    /// Sends to any reachable node: connected ones first, then known brokers, then the
    /// bootstrap servers. Throws `noBrokerAvailable` listing what was tried.
    public nonisolated func sendToAny<R: KafkaRequest>(_ request: R, timeout: TimeAmount? = nil) async throws -> R.Response {
        var failures: [String] = []
        for node in await candidateNodes() {
            do {
                return try await send(request, to: node, timeout: timeout)
            } catch let error as KafkaConnectionError where error.code != .noCommonVersion {
                failures.append("\(await address(of: node) ?? "node \(node)"): \(error.message)")
            }
        }
        throw KafkaClientError(
            .noBrokerAvailable,
            "no Kafka broker reachable for \(R.apiKey) (tried \(failures.joined(separator: "; "))); check the bootstrap servers \(configuration.bootstrapServers.map(\.description).joined(separator: ","))"
        )
    }

    private func candidateNodes() -> [Int32] {
        let connected = nodes.filter { $0.value.connection != nil && $0.key > -1_000_000 }.map(\.key).sorted()
        let known = brokerIDs.sorted().filter { !connected.contains($0) }
        let boot = bootstrapIDs.filter { !connected.contains($0) }
        return connected + known + boot
    }

    /// Node ids of the brokers in the last metadata answer.
    public func brokers() -> [Int32] { brokerIDs.sorted() }

    /// Closes every connection; later calls throw `KafkaClientError.closed`.
    public func close() async {
        closed = true
        let all = nodes.values.compactMap(\.connection)
        for id in nodes.keys { nodes[id]?.connection = nil }
        for c in all { try? await c.close() }
    }

    // MARK: Metadata

    /// Asks for metadata of `topics` (`nil`: all) and updates the cache.
    @discardableResult
    public func refreshMetadata(_ topicNames: [String]?) async throws -> MetadataResponse {
        let response = try await sendToAny(MetadataRequest(topics: topicNames, allowAutoTopicCreation: false))
        try response.validate()
        await apply(response)
        return response
    }

    /// Takes a validated (`MetadataResponse.validate()`) answer into the cache.
    private func apply(_ response: MetadataResponse) async {
        var moved: [KafkaConnection] = []
        for b in response.brokers {
            let address = KafkaClientConfiguration.Server(host: b.host, port: Int(b.port))
            if let existing = nodes[b.nodeID] {
                if existing.address != address {
                    replaceNode(b.nodeID, address: address)
                    if let c = existing.connection { moved.append(c) }
                }
            } else {
                nodes[b.nodeID] = Node(address: address)
            }
        }
        brokerIDs = Set(response.brokers.map(\.nodeID))
        controllerID = response.controllerID
        for t in response.topics {
            guard let name = t.name else { continue }
            if t.errorCode == .noError {
                let parts = t.partitions.map { PartitionInfo(partition: $0.partitionIndex, leader: $0.leaderID, errorCode: $0.errorCode) }
                    .sorted { $0.partition < $1.partition }
                topics[name] = TopicInfo(name: name, partitions: parts)
            } else {
                topics[name] = nil
            }
        }
        for c in moved { try? await c.close() }
    }

    /// The topic's partitions and leaders: from the cache, or asked for (and waited for while
    /// a new topic has no leaders yet). Throws `LogError` `UNKNOWN_TOPIC_OR_PARTITION`.
    public func topic(_ name: String, refresh: Bool = false) async throws -> TopicInfo {
        try checkOpen()
        if !refresh, let cached = topics[name], cached.partitions.allSatisfy({ $0.leader >= 0 }) { return cached }
        var attempt = 0
        while true {
            let response = try await refreshMetadata([name])
            let entry = response.topics.first { $0.name == name }
            let code = entry?.errorCode ?? .unknownTopicOrPartition
            if code == .unknownTopicOrPartition { throw LogError.kafkaUnknownTopic(name) }
            if code == .invalidTopicException {
                throw LogError(.invalidTopic, "invalid topic name '\(name)'", context: ["topic": name])
            }
            if code == .noError, let info = topics[name], !info.partitions.isEmpty, info.partitions.allSatisfy({ $0.leader >= 0 }) {
                return info
            }
            attempt += 1
            guard code.isRetriable || code == .noError, attempt < configuration.retries * 3 else {
                throw KafkaClientError(
                    .brokerError, "metadata for topic '\(name)' is not available: \(code.name)", topic: name, kafkaError: code)
            }
            try await clock.sleep(for: configuration.consumer.retryBackoff)
        }
    }

    /// Topic names the cluster has (internal topics excluded), sorted.
    public func topicNames() async throws -> [String] {
        let response = try await refreshMetadata(nil)
        return response.topics.filter { !$0.isInternal && $0.errorCode == .noError }.compactMap(\.name).sorted()
    }

    /// The leader of a partition. Throws `UNKNOWN_TOPIC_OR_PARTITION` for a partition number
    /// the topic does not have.
    public func leader(_ tp: TopicPartition) async throws -> Int32 {
        var info = try await topic(tp.topic)
        if tp.partition < 0 || tp.partition >= info.partitionCount {
            info = try await topic(tp.topic, refresh: true)
        }
        guard tp.partition >= 0, tp.partition < info.partitionCount else {
            throw LogError.kafkaUnknownPartition(tp.topic, tp.partition, count: Int(info.partitionCount))
        }
        return info.partitions[Int(tp.partition)].leader
    }

    /// Drops a topic from the cache (after NOT_LEADER_OR_FOLLOWER and friends).
    public func invalidate(topic: String) { topics[topic] = nil }

    func invalidateAllTopics() { topics.removeAll() }

    // MARK: Group coordinator

    /// The node (a connection key reserved for group traffic) of `group`'s coordinator.
    public func coordinator(group: String) async throws -> Int32 {
        try checkOpen()
        if let cached = coordinators[group] { return cached }
        var attempt = 0
        while true {
            var request = FindCoordinatorRequest()
            request.key = group
            request.keyType = 0
            request.coordinatorKeys = [group]
            let response = try await sendToAny(request)
            // Node id, host and port are checked (node id ≥ 0), so the key cannot overflow.
            let answer = try response.answer(for: group)
            let code = answer.errorCode
            let message = answer.errorMessage
            if code == .noError {
                let key = Int32.max - answer.nodeID
                let address = KafkaClientConfiguration.Server(host: answer.host, port: Int(answer.port))
                if nodes[key]?.address != address { replaceNode(key, address: address) }
                coordinators[group] = key
                return key
            }
            attempt += 1
            guard code.isRetriable, attempt < configuration.retries * 3 else {
                throw KafkaClientError(
                    .brokerError, "cannot find the coordinator of group '\(group)': \(code.name) \(message ?? "")",
                    group: group, kafkaError: code)
            }
            try await clock.sleep(for: configuration.consumer.retryBackoff)
        }
    }

    /// Forgets the coordinator of `group` (after NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE).
    public func invalidateCoordinator(group: String) async {
        if let key = coordinators.removeValue(forKey: group), let c = nodes[key]?.connection,
            !coordinators.values.contains(key)
        {
            nodes[key]?.connection = nil
            try? await c.close()
        }
    }

    /// Sends a group request to `group`'s coordinator, looking it up again (and retrying)
    /// when the answer or the connection says it moved. `errorCode` reads the response's
    /// top-level error.
    public nonisolated func sendToCoordinator<R: KafkaRequest>(
        group: String, _ request: R, timeout: TimeAmount? = nil, errorCode: (R.Response) -> KafkaErrorCode
    ) async throws -> R.Response {
        var attempt = 0
        while true {
            let node = try await coordinator(group: group)
            do {
                let response = try await send(request, to: node, timeout: timeout)
                let code = errorCode(response)
                if code.invalidatesCoordinator || code == .coordinatorLoadInProgress {
                    if code.invalidatesCoordinator { await invalidateCoordinator(group: group) }
                    attempt += 1
                    if attempt < configuration.retries {
                        try await clock.sleep(for: configuration.consumer.retryBackoff)
                        continue
                    }
                }
                return response
            } catch let error as KafkaConnectionError where error.code != .noCommonVersion {
                await invalidateCoordinator(group: group)
                attempt += 1
                if attempt >= configuration.retries { throw error }
                try await clock.sleep(for: configuration.consumer.retryBackoff)
            }
        }
    }

    // MARK: Topics

    /// Admin requests go to the controller when the metadata names one, else anywhere.
    private func sendToController<R: KafkaRequest>(_ request: R) async throws -> R.Response {
        if controllerID >= 0, nodes[controllerID] != nil {
            do { return try await send(request, to: controllerID) } catch let e as KafkaConnectionError where e.code != .noCommonVersion {}
        }
        return try await sendToAny(request)
    }

    /// Creates a topic. Throws `LogError` `TOPIC_ALREADY_EXISTS`, `INVALID_TOPIC_EXCEPTION`,
    /// `INVALID_PARTITIONS` or `INVALID_CONFIG` as the embedded broker does, and returns once
    /// the topic's partitions have leaders.
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int16, configs: [String: String] = [:]) async throws {
        var request = CreateTopicsRequest()
        request.topics = [
            .init(
                name: name, numPartitions: partitions, replicationFactor: replicationFactor,
                configs: configs.keys.sorted().map { .init(name: $0, value: configs[$0]) })
        ]
        request.timeoutMs = configuration.connection.requestTimeout.kafkaMillisecondsClamped
        let response = try await sendToController(request)
        guard let result = response.topics.first(where: { $0.name == name }) ?? response.topics.first else {
            throw KafkaClientError(.brokerError, "CreateTopics answered without the topic '\(name)'", topic: name)
        }
        let detail = result.errorMessage.map { " (\($0))" } ?? ""
        switch result.errorCode {
        case .noError: break
        case .topicAlreadyExists:
            throw LogError(.topicAlreadyExists, "topic '\(name)' already exists", context: ["topic": name])
        case .invalidTopicException:
            throw LogError(.invalidTopic, "invalid topic name '\(name)'\(detail)", context: ["topic": name])
        case .invalidPartitions:
            throw LogError(.invalidPartitions, "topic '\(name)': invalid partition count \(partitions)\(detail)", context: ["topic": name])
        case .invalidConfig, .invalidReplicationFactor, .policyViolation:
            throw LogError(.invalidConfig, "topic '\(name)': \(result.errorCode.name)\(detail)", context: ["topic": name])
        default:
            throw KafkaClientError(
                .brokerError, "cannot create topic '\(name)': \(result.errorCode.name)\(detail)", topic: name,
                kafkaError: result.errorCode)
        }
        _ = try await topic(name, refresh: true)
    }

    /// Deletes a topic. Throws `LogError` `UNKNOWN_TOPIC_OR_PARTITION` when it does not exist.
    public func deleteTopic(_ name: String) async throws {
        let request = DeleteTopicsRequest(names: [name], timeoutMs: configuration.connection.requestTimeout.kafkaMillisecondsClamped)
        let response = try await sendToController(request)
        topics[name] = nil
        let code = response.responses.first?.errorCode ?? .noError
        switch code {
        case .noError: return
        case .unknownTopicOrPartition, .unknownTopicId: throw LogError.kafkaUnknownTopic(name)
        default:
            let detail = response.responses.first?.errorMessage.map { " (\($0))" } ?? ""
            throw KafkaClientError(.brokerError, "cannot delete topic '\(name)': \(code.name)\(detail)", topic: name, kafkaError: code)
        }
    }
}

extension TimeAmount {
    var kafkaMillisecondsClamped: Int32 { Int32(clamping: nanoseconds / 1_000_000) }
}
