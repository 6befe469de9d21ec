import FreshetContracts
import NIOCore

extension KafkaCluster {
    /// A partition's log start offset and high watermark.
    public struct PartitionBounds: Sendable, Hashable {
        public var logStartOffset: Int64
        public var highWatermark: Int64
    }

    /// Log start offsets and high watermarks, asked of each partition's leader.
    ///
    /// Tansu 0.6 answers ListOffsets for "latest" (-1) and by timestamp wrongly (it answered
    /// 1 for partitions holding 2, 3 and 5 records), so the high watermark (and the log start
    /// offset, when the broker sends one) come from a Fetch answer instead: ListOffsets
    /// "earliest" (-2) gives a valid offset, and a Fetch there with a 1-byte limit reports
    /// every partition's `HighWatermark` and `LogStartOffset`. Kafka brokers answer both the
    /// same way, so this works everywhere.
    public nonisolated func partitionBounds(_ tps: [TopicPartition]) async throws -> [TopicPartition: PartitionBounds] {
        var byLeader: [Int32: [TopicPartition]] = [:]
        for tp in tps { byLeader[try await leader(tp), default: []].append(tp) }
        var result: [TopicPartition: PartitionBounds] = [:]
        for (node, items) in byLeader {
            let grouped = Dictionary(grouping: items, by: \.topic)
            var list = ListOffsetsRequest()
            list.topics = grouped.keys.sorted().map { topic in
                .init(name: topic, partitions: grouped[topic]!.map { .init(partitionIndex: $0.partition, timestamp: ListOffsetsRequest.earliestTimestamp) })
            }
            let listed = try await send(list, to: node)
            var earliest: [TopicPartition: Int64] = [:]
            for t in listed.topics {
                for p in t.partitions {
                    let tp = TopicPartition(t.name, p.partitionIndex)
                    if p.errorCode == .noError {
                        earliest[tp] = max(0, p.offset)
                    } else if p.errorCode.invalidatesMetadata {
                        await invalidate(topic: tp.topic)
                        if p.errorCode == .unknownTopicOrPartition { throw LogError.kafkaUnknownTopic(tp.topic) }
                        throw KafkaClientError(
                            .brokerError, "ListOffsets for \(tp): \(p.errorCode.name)", topic: tp.topic, partition: tp.partition, kafkaError: p.errorCode)
                    }
                }
            }
            var fetch = FetchRequest()
            fetch.maxWaitMs = KafkaCluster.minimumFetchWaitMs
            fetch.minBytes = 0
            fetch.maxBytes = 1
            fetch.topics = grouped.keys.sorted().map { topic in
                .init(topic: topic, partitions: grouped[topic]!.map { .init(partition: $0.partition, fetchOffset: earliest[$0] ?? 0, partitionMaxBytes: 1) })
            }
            let fetched = try await send(fetch, to: node)
            for t in fetched.responses {
                for p in t.partitions {
                    let tp = TopicPartition(t.topic, p.partitionIndex)
                    guard p.errorCode == .noError || p.errorCode == .offsetOutOfRange, p.highWatermark >= 0 else {
                        if p.errorCode.invalidatesMetadata { await invalidate(topic: tp.topic) }
                        throw KafkaClientError(
                            .brokerError, "cannot read the offsets of \(tp): \(p.errorCode.name)", topic: tp.topic,
                            partition: tp.partition, kafkaError: p.errorCode)
                    }
                    let start = p.logStartOffset >= 0 ? p.logStartOffset : (earliest[tp] ?? 0)
                    result[tp] = PartitionBounds(logStartOffset: start, highWatermark: p.highWatermark)
                }
            }
        }
        return result
    }

    /// Tansu 0.6 answers a Fetch with `MaxWaitMs` 0 with no partitions at all, so every Fetch
    /// waits at least this long (with `MinBytes` 0 or data available it returns at once).
    public static let minimumFetchWaitMs: Int32 = 5

    /// Committed offsets of `group` for `partitions` (`nil`: every committed partition).
    /// Partitions without a commit are left out.
    public nonisolated func committedOffsets(group: String, partitions: [TopicPartition]?) async throws -> [TopicPartition: Int64] {
        var request = OffsetFetchRequest()
        request.groupID = group
        let topics: [OffsetFetchRequest.Topic]? = partitions.map { tps in
            let grouped = Dictionary(grouping: tps, by: \.topic)
            return grouped.keys.sorted().map { .init(name: $0, partitionIndexes: grouped[$0]!.map(\.partition).sorted()) }
        }
        request.topics = topics
        request.groups = [.init(groupID: group, topics: topics)]
        var attempt = 0
        while true {
            let response = try await sendToCoordinator(group: group, request) { r in
                r.groups.first?.errorCode ?? r.errorCode
            }
            let code = response.groups.first?.errorCode ?? response.errorCode
            let topicsAnswer = response.groups.first?.topics ?? response.topics
            var retry = code == .unstableOffsetCommit || code == .coordinatorLoadInProgress
            var result: [TopicPartition: Int64] = [:]
            if code == .noError || code == .groupIdNotFound {
                for t in topicsAnswer {
                    for p in t.partitions {
                        if p.errorCode == .unstableOffsetCommit { retry = true }
                        if p.errorCode == .noError, p.committedOffset >= 0 { result[TopicPartition(t.name, p.partitionIndex)] = p.committedOffset }
                    }
                }
                if !retry { return result }
            }
            attempt += 1
            guard retry, attempt < configuration.retries else {
                throw KafkaClientError(.brokerError, "cannot fetch the committed offsets of group '\(group)': \(code.name)", group: group, kafkaError: code)
            }
            try await clock.sleep(for: configuration.consumer.retryBackoff)
        }
    }

    /// Commits `offsets` for `group` (generation -1 and no member: an admin commit outside
    /// the group's generations). Returns the partitions the broker refused, with the error.
    public nonisolated func commitOffsets(
        group: String, offsets: [TopicPartition: Int64], generationID: Int32 = -1, memberID: String = ""
    ) async throws -> [(TopicPartition, KafkaErrorCode)] {
        var request = OffsetCommitRequest()
        request.groupID = group
        request.generationID = generationID
        request.memberID = memberID
        let grouped = Dictionary(grouping: offsets.keys, by: \.topic)
        request.topics = grouped.keys.sorted().map { topic in
            .init(name: topic, partitions: grouped[topic]!.sorted().map { .init(partitionIndex: $0.partition, committedOffset: offsets[$0]!) })
        }
        let response = try await sendToCoordinator(group: group, request) { r in
            r.topics.lazy.flatMap(\.partitions).first { $0.errorCode != .noError }?.errorCode ?? .noError
        }
        var errors: [(TopicPartition, KafkaErrorCode)] = []
        for t in response.topics {
            for p in t.partitions where p.errorCode != .noError { errors.append((TopicPartition(t.name, p.partitionIndex), p.errorCode)) }
        }
        return errors.sorted { $0.0 < $1.0 }
    }
}
