import ArgumentParser
import Foundation
import FreshetApp
import FreshetContracts
import FreshetCore
import FreshetKafka
import FreshetLog
import FreshetStream
import Logging

/// Options every log command takes.
struct LogOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Directory of the embedded log.")
    var dataDir: String = LogOptions.defaultDataDir

    static let defaultDataDir = "./freshet-data"

    @Option(
        help: ArgumentHelp(
            "embedded (the log in --data-dir, default) or a Kafka cluster, kafka://host:port[,host:port] (or FRESHET_BROKER_URL).",
            valueName: "embedded|URL"))
    var broker: String?

    @Option(
        help: ArgumentHelp(
            "When a write counts as durable: group-commit (fsync every interval, default), fsync (every batch) or none.",
            valueName: "policy"))
    var durability: DurabilityChoice = .groupCommit

    @Option(name: .customLong("commit-interval-ms"), help: "Group-commit interval in milliseconds.")
    var commitIntervalMs: Int = 5

    func validate() throws {
        guard commitIntervalMs >= 0 && commitIntervalMs <= 10_000 else {
            throw ValidationError("--commit-interval-ms must be 0...10000, got \(commitIntervalMs)")
        }
        let url = brokerURL
        guard url == "embedded" || url.hasPrefix("kafka://") else {
            throw ValidationError("--broker: expected 'embedded' or 'kafka://host:port'; got '\(redact(url))'")
        }
        if url != "embedded" { try validateKafkaURL(url) }
    }

    /// `--broker`, else `FRESHET_BROKER_URL`, else `embedded`.
    var brokerURL: String {
        broker ?? ProcessInfo.processInfo.environment["FRESHET_BROKER_URL"] ?? "embedded"
    }

    var isKafka: Bool { brokerURL.hasPrefix("kafka://") }

    /// How `consume` and `topics tail` show the values of `broker`: Confluent-framed Avro as
    /// JSON, with the writer schemas of the log's `_schemas` topic (`Application.logRecordView`).
    func recordView(broker: any Broker) -> AvroRecordView {
        Application.logRecordView(broker: broker)
    }

    var durabilityPolicy: Durability {
        switch durability {
        case .groupCommit: .interval(.milliseconds(commitIntervalMs))
        case .fsync: .everyBatch
        case .none: .none
        }
    }

    func brokerConfig(autoCreate: Bool = false) -> EmbeddedBrokerConfig {
        var config = EmbeddedBrokerConfig(dataDirectory: dataDir, durability: durabilityPolicy)
        config.autoCreateTopics = autoCreate
        var logger = Logger(label: "freshet.log")
        logger.logLevel = .warning
        config.logger = logger
        return config
    }

    /// Opens the broker (the embedded log, or a Kafka client), runs `body`, closes it.
    func withBroker<R: Sendable>(autoCreate: Bool = false, _ body: (any Broker) async throws -> R) async throws -> R {
        if isKafka { return try await withKafka(body) }
        return try await EmbeddedBroker.withBroker(brokerConfig(autoCreate: autoCreate), body)
    }

    private func withKafka<R: Sendable>(_ body: (any Broker) async throws -> R) async throws -> R {
        try await BrokerConnection.withBroker(url: brokerURL, body)
    }

    /// For commands that only read: when a running pipeline holds the data directory, opens it
    /// read-only (a snapshot) instead of failing. (A Kafka cluster is shared anyway.)
    func withReadingBroker<R: Sendable>(_ body: (any Broker) async throws -> R) async throws -> R {
        if isKafka { return try await withKafka(body) }
        do {
            return try await EmbeddedBroker.withBroker(brokerConfig(), body)
        } catch let error as LogError where error.code == .dataDirLocked {
            var config = brokerConfig()
            config.readOnly = true
            return try await EmbeddedBroker.withBroker(config, body)
        }
    }
}

enum DurabilityChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case groupCommit = "group-commit"
    case fsync
    case none
}

/// `earliest`, `latest` or an offset.
enum OffsetArgument: ExpressibleByArgument, Sendable, Equatable {
    case earliest, latest
    case offset(Int64)

    init?(argument: String) {
        switch argument {
        case "earliest": self = .earliest
        case "latest": self = .latest
        default:
            guard let o = Int64(argument), o >= 0 else { return nil }
            self = .offset(o)
        }
    }

    var spec: OffsetSpec {
        switch self {
        case .earliest: .earliest
        case .latest: .latest
        case .offset(let o): .offset(o)
        }
    }
}

/// Buffered writes to stdout (much faster than `print` per record).
final class StdoutWriter {
    private var buffer: [UInt8] = []
    init() { buffer.reserveCapacity(1 << 16) }

    func write(_ bytes: some Collection<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    func write(_ s: String) { write(s.utf8) }

    func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { p in
            var done = 0
            while done < p.count {
                let n = Foundation.write(1, p.baseAddress! + done, p.count - done)
                if n <= 0 {
                    if errno == EINTR { continue }
                    break
                }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}

func logCLIPrintError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Left-aligned columns separated by two spaces.
func logCLITable(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for row in rows { for (i, c) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in
            i == cells.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.count)
        }.joined(separator: "  ")
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
}

/// Compact JSON text for scripts (sorted keys) of a Codable answer (`CLIJSON`).
func logCLIJSON(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    guard let data = try? encoder.encode(value) else { return "null" }
    return String(decoding: data, as: UTF8.self)
}

/// A Kafka URL the client cannot use is a usage error naming `--broker` (exit 2).
func validateKafkaURL(_ url: String) throws {
    do {
        _ = try KafkaClientConfiguration(url: url)
    } catch let error as KafkaClientError {
        throw ValidationError("--broker: \(error.message)")
    }
}
