import FreshetContracts
import FreshetCore
import Logging

/// The dead-letter topic's record format: the original key and bytes with headers that say
/// where the record came from and why it was refused (Kafka Connect's convention of error
/// headers).
///
/// A dead letter always fits the broker: the whole record (key, value, headers) is at most
/// `maxRecordBytes`, below the embedded log's 1 MiB record limit and Kafka's default
/// `message.max.bytes` (1,048,588 bytes for a whole batch). An original too large for that
/// keeps a prefix of its value (and of its key), and says so in `freshet.truncated` and
/// `freshet.original.value.bytes` / `freshet.original.key.bytes`.
public enum DeadLetter {
    public static let codeHeader = "freshet.error.code"
    public static let reasonHeader = "freshet.error.reason"
    public static let topicHeader = "freshet.source.topic"
    public static let partitionHeader = "freshet.source.partition"
    public static let offsetHeader = "freshet.source.offset"
    public static let timestampHeader = "freshet.source.timestamp"
    /// `true` when the value or key is a prefix of the original.
    public static let truncatedHeader = "freshet.truncated"
    /// The original value's size in bytes (with `truncatedHeader`).
    public static let originalValueBytesHeader = "freshet.original.value.bytes"
    /// The original key's size in bytes (with `truncatedHeader`).
    public static let originalKeyBytesHeader = "freshet.original.key.bytes"

    /// The largest dead letter, everything included: 1 MiB − 64 KiB (983,040 bytes), leaving
    /// room for the record and batch framing of both brokers.
    public static let maxRecordBytes = (1 << 20) - (64 << 10)
    /// A key longer than this is cut: 1 KiB.
    public static let maxKeyBytes = 1024
    /// A reason longer than this is cut: 1 KiB.
    public static let maxReasonBytes = 1024
    /// Framing of one record (varints, attributes) beyond its bytes, generously: 64 bytes, and
    /// 16 more per header.
    static let recordOverhead = 64
    static let headerOverhead = 16

    public static func record(for record: ConsumerRecord, rejection: Rejection, maxBytes: Int = maxRecordBytes) -> ProducerRecord {
        letter(
            key: record.key, value: record.value, rejection: rejection, topic: record.topic,
            partition: String(record.partition), offset: String(record.offset), timestamp: String(record.timestamp), maxBytes: maxBytes)
    }

    /// A dead letter for bytes that never reached the log (a source's person too large for it).
    public static func record(
        forUnproduced key: [UInt8]?, value: [UInt8], topic: String, rejection: Rejection, maxBytes: Int = maxRecordBytes
    ) -> ProducerRecord {
        letter(key: key, value: value, rejection: rejection, topic: topic, partition: "-1", offset: "-1", timestamp: "-1", maxBytes: maxBytes)
    }

    static func letter(
        key: [UInt8]?, value: [UInt8], rejection: Rejection, topic: String, partition: String, offset: String, timestamp: String, maxBytes: Int
    ) -> ProducerRecord {
        var headers = [
            RecordHeader(key: codeHeader, value: Array(rejection.code.rawValue.utf8)),
            RecordHeader(key: reasonHeader, value: prefix(Array(rejection.reason.utf8), maxReasonBytes)),
            RecordHeader(key: topicHeader, value: prefix(Array(topic.utf8), 256)),
            RecordHeader(key: partitionHeader, value: Array(partition.utf8)),
            RecordHeader(key: offsetHeader, value: Array(offset.utf8)),
            RecordHeader(key: timestampHeader, value: Array(timestamp.utf8)),
        ]
        var letter = ProducerRecord(key: key, value: value, headers: headers)
        guard size(of: letter) > maxBytes else { return letter }
        // Too large: say so, then keep as much of the original as fits.
        headers.append(RecordHeader(key: truncatedHeader, value: Array("true".utf8)))
        headers.append(RecordHeader(key: originalValueBytesHeader, value: Array(String(value.count).utf8)))
        headers.append(RecordHeader(key: originalKeyBytesHeader, value: Array(String(key?.count ?? 0).utf8)))
        let cutKey = key.map { prefix($0, maxKeyBytes) }
        letter = ProducerRecord(key: cutKey, value: [], headers: headers)
        let room = max(0, maxBytes - size(of: letter))
        letter.value = prefix(value, room)
        return letter
    }

    /// The same dead letter without its key and value (the last try when the broker refuses it).
    public static func headersOnly(_ letter: ProducerRecord) -> ProducerRecord {
        var headers = letter.headers
        if !headers.contains(where: { $0.key == truncatedHeader }) {
            headers.append(RecordHeader(key: truncatedHeader, value: Array("true".utf8)))
            headers.append(RecordHeader(key: originalValueBytesHeader, value: Array(String(letter.value.count).utf8)))
            headers.append(RecordHeader(key: originalKeyBytesHeader, value: Array(String(letter.key?.count ?? 0).utf8)))
        }
        return ProducerRecord(key: nil, value: [], headers: headers)
    }

    /// An upper bound of the record's encoded size.
    public static func size(of record: ProducerRecord) -> Int {
        recordOverhead + (record.key?.count ?? 0) + record.value.count
            + record.headers.reduce(0) { $0 + headerOverhead + $1.key.utf8.count + $1.value.count }
    }

    static func prefix(_ bytes: [UInt8], _ n: Int) -> [UInt8] {
        bytes.count <= n ? bytes : Array(bytes.prefix(n))
    }

    /// Produces `letters` to `topic`. When the broker refuses a batch as too large (a broker
    /// whose limit is below `maxRecordBytes`), the letters go one at a time, and one still
    /// refused goes as its headers only; one refused even then is dropped — counted in the
    /// returned number and logged — so a record that cannot be dead-lettered never stops the
    /// pipeline. Other errors (the broker is unavailable) are thrown.
    public static func produce(_ letters: [ProducerRecord], to topic: String, broker: any Broker, logger: Logger) async throws -> Int {
        guard !letters.isEmpty else { return 0 }
        do {
            _ = try await broker.produce(topic: topic, records: letters)
            return 0
        } catch let error as LogError where error.code == .messageTooLarge {
            logger.warning("the broker refused dead letters as too large; sending them one at a time", metadata: ["error": "\(error)"])
        }
        var dropped = 0
        for letter in letters {
            do {
                _ = try await broker.produce(topic: topic, records: [letter])
                continue
            } catch let error as LogError where error.code == .messageTooLarge {}
            do {
                _ = try await broker.produce(topic: topic, records: [headersOnly(letter)])
            } catch let error as LogError where error.code == .messageTooLarge {
                dropped += 1
                let header = { (k: String) in letter.headers.first { $0.key == k }.map { String(decoding: $0.value, as: UTF8.self) } ?? "?" }
                logger.error(
                    "dropped a record: the broker refuses even its dead letter's headers",
                    metadata: [
                        "topic": "\(header(topicHeader))", "partition": "\(header(partitionHeader))", "offset": "\(header(offsetHeader))",
                        "code": "\(header(codeHeader))", "error": "\(error)",
                    ])
            }
        }
        return dropped
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
        /// Whether `value` is a prefix of the original, whose size is `originalValueBytes`.
        public var truncated: Bool = false
        public var originalValueBytes: Int?
    }

    public static func entry(from record: ConsumerRecord) -> Entry {
        func header(_ key: String) -> String {
            record.headers.first { $0.key == key }.map { String(decoding: $0.value, as: UTF8.self) } ?? ""
        }
        return Entry(
            code: header(codeHeader), reason: header(reasonHeader), sourceTopic: header(topicHeader),
            sourcePartition: Int32(header(partitionHeader)) ?? -1, sourceOffset: Int64(header(offsetHeader)) ?? -1,
            partition: record.partition, offset: record.offset, timestamp: record.timestamp, value: record.value,
            truncated: header(truncatedHeader) == "true", originalValueBytes: Int(header(originalValueBytesHeader))
        )
    }
}
