import FreshetContracts

/// How a group leader splits partitions among members (the JoinGroup protocol name).
/// Pure functions: the consumer calls `assign` when it leads the group.
public enum KafkaPartitionAssignor: String, Sendable, Hashable, CaseIterable {
    /// Kafka's `RangeAssignor`: per topic, members sorted by id get consecutive ranges; the
    /// first `partitions % members` get one extra.
    case range
    /// Kafka's `RoundRobinAssignor`: all partitions sorted by topic and number are dealt to
    /// members sorted by id, skipping members not subscribed to the topic.
    case roundRobin = "roundrobin"

    /// The assignor name on the wire.
    public var protocolName: String { rawValue }

    /// Assignment of every member in `subscriptions` (member id → topics) over the topics'
    /// partition counts. Topics without a count (unknown to the cluster) are skipped; every
    /// member appears in the result, possibly with nothing.
    public func assign(
        subscriptions: [String: [String]], partitionCounts: [String: Int32]
    ) -> [String: [TopicPartition]] {
        var result: [String: [TopicPartition]] = [:]
        for member in subscriptions.keys { result[member] = [] }
        let members = subscriptions.keys.sorted()
        switch self {
        case .range:
            let topics = Set(subscriptions.values.flatMap { $0 }).sorted()
            for topic in topics {
                guard let n = partitionCounts[topic], n > 0 else { continue }
                let subscribers = members.filter { subscriptions[$0]!.contains(topic) }
                guard !subscribers.isEmpty else { continue }
                let per = Int(n) / subscribers.count
                let extra = Int(n) % subscribers.count
                var next: Int32 = 0
                for (i, member) in subscribers.enumerated() {
                    let count = per + (i < extra ? 1 : 0)
                    for _ in 0..<count {
                        result[member]!.append(TopicPartition(topic, next))
                        next += 1
                    }
                }
            }
        case .roundRobin:
            let topics = Set(subscriptions.values.flatMap { $0 }).sorted()
            var cursor = 0
            for topic in topics {
                guard let n = partitionCounts[topic], n > 0 else { continue }
                for p in 0..<n {
                    // The next member (circularly) subscribed to this topic.
                    for step in 0..<members.count {
                        let member = members[(cursor + step) % members.count]
                        if subscriptions[member]!.contains(topic) {
                            result[member]!.append(TopicPartition(topic, p))
                            cursor = (cursor + step + 1) % members.count
                            break
                        }
                    }
                }
            }
        }
        return result.mapValues { $0.sorted() }
    }
}
