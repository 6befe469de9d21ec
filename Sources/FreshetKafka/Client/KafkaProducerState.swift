import FreshetContracts
import FreshetCore

/// Kafka's default partitioner, as pure bookkeeping: an explicit partition is honoured, a
/// keyed record goes to `murmur2(key) & 0x7fffffff % partitions` (FreshetLog's
/// `kafkaPartition`), and the keyless records of one `produce` call stick to one partition,
/// the next call moving to the next partition (round robin across calls, sticky within one,
/// as the embedded broker does).
public struct KafkaPartitioner: Sendable {
    private var sticky: [String: Int32] = [:]

    public init() {}

    /// The sticky partition for keyless records of the next call to `topic`.
    public mutating func nextStickyPartition(topic: String, partitionCount: Int32) -> Int32 {
        let next = ((sticky[topic] ?? -1) + 1) % partitionCount
        sticky[topic] = next
        return next
    }

    /// The partition of `record`. Throws `UNKNOWN_TOPIC_OR_PARTITION` for an explicit
    /// partition the topic does not have.
    public static func partition(
        of record: ProducerRecord, topic: String, partitionCount: Int32, sticky: Int32
    ) throws -> Int32 {
        if let explicit = record.partition {
            guard explicit >= 0, explicit < partitionCount else {
                throw LogError.kafkaUnknownPartition(topic, explicit, count: Int(partitionCount))
            }
            return explicit
        }
        if let key = record.key { return kafkaPartition(forKey: key, partitionCount: partitionCount) }
        return sticky
    }
}

/// The idempotent producer's per-partition sequence numbers (pure bookkeeping).
///
/// A batch takes `count` sequence numbers when it is first sent and keeps them for every
/// retry; sequences wrap from `Int32.max` to 0 as Kafka's do. After an epoch bump every
/// partition starts again at 0.
public struct KafkaProducerSequences: Sendable, Hashable {
    public private(set) var producerID: Int64 = -1
    public private(set) var epoch: Int16 = -1
    private var next: [TopicPartition: Int32] = [:]

    public init() {}

    /// A new producer id or epoch: sequences restart at 0 everywhere.
    public mutating func reset(producerID: Int64, epoch: Int16) {
        self.producerID = producerID
        self.epoch = epoch
        next.removeAll()
    }

    /// The base sequence for a batch of `count` records to `tp`, advancing the next one.
    public mutating func assign(_ tp: TopicPartition, count: Int) -> Int32 {
        let base = next[tp] ?? 0
        next[tp] = Self.add(base, count)
        return base
    }

    /// The sequence the next batch to `tp` will get.
    public func nextSequence(_ tp: TopicPartition) -> Int32 { next[tp] ?? 0 }

    /// `a + n`, wrapping past `Int32.max` to 0.
    public static func add(_ a: Int32, _ n: Int) -> Int32 {
        Int32((Int64(a) + Int64(n)) % (Int64(Int32.max) + 1))
    }
}

/// What the producer does with a partition's answer to a batch (pure decision, from the
/// Java producer's handling).
public enum KafkaProduceOutcome: Sendable, Hashable {
    /// Written (or already written: DUPLICATE_SEQUENCE_NUMBER).
    case success
    /// Retry the same batch (same sequence) after the backoff, refreshing metadata first
    /// when `refreshMetadata`.
    case retry(refreshMetadata: Bool)
    /// The broker lost this producer's state (UNKNOWN_PRODUCER_ID): bump the epoch and retry
    /// the batch with fresh sequence numbers; it was not written.
    case bumpEpochAndRetry
    /// The sequence was rejected (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH): fail
    /// the batch clearly and bump the epoch so later batches start a fresh sequence.
    case bumpEpochAndFail
    /// Fail the batch.
    case fail

    public static func of(_ code: KafkaErrorCode) -> KafkaProduceOutcome {
        switch code {
        case .noError, .duplicateSequenceNumber: .success
        case .unknownProducerId: .bumpEpochAndRetry
        case .outOfOrderSequenceNumber, .invalidProducerEpoch: .bumpEpochAndFail
        default:
            if code.invalidatesMetadata { .retry(refreshMetadata: true) } else if code.isRetriable { .retry(refreshMetadata: false) } else { .fail }
        }
    }
}
