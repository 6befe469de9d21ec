import ArgumentParser
import Foundation
import FreshetContracts
import FreshetLog
import FreshetStream

/// `freshet consume TOPIC`: a kcat for Freshet.
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Write a topic's records to stdout (values, or --json) and commit for the group.",
        discussion: """
            With --group, offsets are committed after each batch is written and the group resumes \
            there next time; --from earliest|latest is where to start without a committed offset, \
            --from OFFSET seeks every partition. Without --group nothing is committed.

            A Confluent-framed Avro value (--format avro) is printed as JSON, decoded with its \
            writer's schema from the schema registry; one that cannot be decoded is printed raw, \
            with the reason on stderr (with --json: schema_id and value_error).

            Examples:
              freshet consume users_created --group demo --max 10
              freshet consume users_created --from earliest --json --max 100
              freshet consume users_created.dlq --group triage --follow
            """)

    @OptionGroup var log: LogOptions

    @Argument(help: "Topic to read.")
    var topic: String

    @Option(help: "Consumer group to join and commit for.")
    var group: String?

    @Option(help: "earliest, latest or an offset (applied to every partition).")
    var from: OffsetArgument?

    @Option(help: "Stop after this many records.")
    var max: Int?

    @Flag(help: "Keep waiting for new records.")
    var follow = false

    @Flag(help: "One JSON object per record: topic, partition, offset, timestamp, key, value, headers.")
    var json = false

    func validate() throws {
        if let max, max < 1 { throw ValidationError("--max must be at least 1, got \(max)") }
    }

    func run() async throws {
        let out = StdoutWriter()
        let count = try await log.withBroker { broker in
            let view = log.recordView(broker: broker)
            return try await consumeTopic(broker: broker, topic: topic, group: group, from: from, max: max, follow: follow) { records in
                for (r, shown) in zip(records, await view.show(records.map(\.value))) { out.write(formatRecord(r, json: json, shown: shown)) }
                out.flush()
            }
        }
        out.flush()
        if group != nil { logCLIPrintError("consumed \(count) records from '\(topic)', committed for group '\(group!)'") }
    }
}

/// Polls `topic` and hands batches to `emit`; commits after each when a group is given.
func consumeTopic(
    broker: any Broker, topic: String, group: String?, from: OffsetArgument?, max: Int?, follow: Bool,
    emit: ([ConsumerRecord]) async throws -> Void
) async throws -> Int {
    _ = try await broker.describeTopic(topic)
    let groupID = group ?? "freshet-consume-\(getpid())"
    var config = ConsumerConfig(groupID: groupID, topics: [topic], resetPolicy: from == .latest ? .latest : .earliest)
    config.maxPollRecords = 5000
    config.maxPollBytes = 4 << 20
    let consumer = try await broker.makeConsumer(config)
    if group == nil || from?.isOffset == true {
        for tp in await consumer.assignment() { try await consumer.seek(tp, to: from?.spec ?? .earliest) }
    }
    var count = 0
    // The embedded log answers a poll from its files at once; a Kafka poll is a network round
    // trip that may come back empty while a fetch is still under way, so without --follow the
    // loop ends when every assigned partition has reached the end of the log (or after a few
    // empty polls in a row, if the broker's high watermark does not move).
    let wait: Duration = follow ? .seconds(1) : (broker is EmbeddedBroker ? .zero : .milliseconds(500))
    var emptyPolls = 0
    while true {
        let remaining = max.map { $0 - count } ?? Int.max
        if remaining <= 0 { break }
        let records = try await consumer.poll(maxRecords: Swift.min(remaining, 5000), maxBytes: nil, maxWait: wait)
        if records.isEmpty {
            if follow { continue }
            emptyPolls += 1
            if broker is EmbeddedBroker || emptyPolls >= 6 { break }
            let latest = Dictionary(uniqueKeysWithValues: try await broker.describeTopic(topic).partitions.map { ($0.partition, $0.latestOffset) })
            var caughtUp = true
            for tp in await consumer.assignment() where (await consumer.position(tp) ?? 0) < (latest[tp.partition] ?? 0) {
                caughtUp = false
            }
            if caughtUp { break }
            continue
        }
        emptyPolls = 0
        try await emit(records)
        count += records.count
        if group != nil {
            var offsets: [TopicPartition: Int64] = [:]
            for r in records { offsets[TopicPartition(r.topic, r.partition)] = r.offset + 1 }
            try await consumer.commit(offsets)
        }
    }
    try await consumer.close()
    return count
}

extension OffsetArgument {
    var isOffset: Bool {
        if case .offset = self { return true }
        return false
    }
}

/// One record as the log commands print it: its value (a Confluent-framed Avro value decoded,
/// as JSON), or with `json` an object with the record's fields; an Avro value adds
/// `schema_id`, and `value_error` when it could not be decoded (`value` is then the raw bytes).
func formatRecord(_ r: ConsumerRecord, json: Bool, shown: AvroRecordView.Shown = .raw) -> [UInt8] {
    var value = r.value
    var schemaID: UInt32?
    var valueError: String?
    switch shown {
    case .raw: break
    case .avro(let id, let decoded):
        value = decoded
        schemaID = id
    case .undecodable(let id, let reason):
        schemaID = id
        valueError = reason
    }
    guard json else {
        if let valueError { logCLIPrintError("offset \(r.offset) of partition \(r.partition): \(valueError)") }
        return value + [0x0A]
    }
    var out: [UInt8] = []
    out.reserveCapacity(r.value.count + 160)
    out += Array("{\"topic\":".utf8)
    appendJSONString(Array(r.topic.utf8), to: &out)
    out += Array(",\"partition\":\(r.partition),\"offset\":\(r.offset),\"timestamp\":\(r.timestamp),\"key\":".utf8)
    if let key = r.key { appendJSONString(key, to: &out) } else { out += Array("null".utf8) }
    out += Array(",\"value\":".utf8)
    appendJSONString(value, to: &out)
    if let schemaID { out += Array(",\"schema_id\":\(schemaID)".utf8) }
    if let valueError {
        out += Array(",\"value_error\":".utf8)
        appendJSONString(Array(valueError.utf8), to: &out)
    }
    out += Array(",\"headers\":{".utf8)
    for (i, h) in r.headers.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        appendJSONString(Array(h.key.utf8), to: &out)
        out.append(UInt8(ascii: ":"))
        appendJSONString(h.value, to: &out)
    }
    out += Array("}}\n".utf8)
    return out
}

/// Appends `bytes` as a JSON string literal; invalid UTF-8 is replaced by U+FFFD.
func appendJSONString(_ bytes: [UInt8], to out: inout [UInt8]) {
    let valid = String(validating: bytes, as: UTF8.self) != nil
    let source = valid ? bytes : Array(String(decoding: bytes, as: UTF8.self).utf8)
    let hex = Array("0123456789abcdef".utf8)
    out.append(UInt8(ascii: "\""))
    for b in source {
        switch b {
        case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
        case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
        case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
        case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
        case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
        case 0..<0x20:
            out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)], hex[Int(b & 15)]]
        default: out.append(b)
        }
    }
    out.append(UInt8(ascii: "\""))
}
