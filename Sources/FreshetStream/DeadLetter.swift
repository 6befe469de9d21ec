import FreshetCore
import FreshetLog

/// The dead-letter topic's record format: the original key and bytes, unchanged, with
/// headers that say where the record came from and why it was refused (Kafka Connect's
/// convention of error headers).
public enum DeadLetter {
    public static let codeHeader = "freshet.error.code"
    public static let reasonHeader = "freshet.error.reason"
    public static let topicHeader = "freshet.source.topic"
    public static let partitionHeader = "freshet.source.partition"
    public static let offsetHeader = "freshet.source.offset"
    public static let timestampHeader = "freshet.source.timestamp"

    public static func record(for record: ConsumerRecord, rejection: Rejection) -> ProducerRecord {
        ProducerRecord(
            key: record.key,
            value: record.value,
            headers: [
                RecordHeader(key: codeHeader, value: Array(rejection.code.rawValue.utf8)),
                RecordHeader(key: reasonHeader, value: Array(rejection.reason.utf8)),
                RecordHeader(key: topicHeader, value: Array(record.topic.utf8)),
                RecordHeader(key: partitionHeader, value: Array(String(record.partition).utf8)),
                RecordHeader(key: offsetHeader, value: Array(String(record.offset).utf8)),
                RecordHeader(key: timestampHeader, value: Array(String(record.timestamp).utf8)),
            ]
        )
    }

    /// A dead letter read back from the topic.
    public struct Entry: Sendable, Equatable {
        public var code: String
        public var reason: String
        public var sourceTopic: String
        public var sourcePartition: Int32
        public var sourceOffset: Int64
        /// The dead-letter record's own position and time.
        public var partition: Int32
        public var offset: Int64
        public var timestamp: Int64
        public var value: [UInt8]
    }

    public static func entry(from record: ConsumerRecord) -> Entry {
        func header(_ key: String) -> String {
            record.headers.first { $0.key == key }.map { String(decoding: $0.value, as: UTF8.self) } ?? ""
        }
        return Entry(
            code: header(codeHeader), reason: header(reasonHeader), sourceTopic: header(topicHeader),
            sourcePartition: Int32(header(partitionHeader)) ?? -1, sourceOffset: Int64(header(offsetHeader)) ?? -1,
            partition: record.partition, offset: record.offset, timestamp: record.timestamp, value: record.value
        )
    }
}
