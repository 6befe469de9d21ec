import Foundation
import FreshetContracts
import Logging
import Synchronization

@testable import FreshetLog

/// A fresh directory under the system temp dir, removed when `body` returns.
func withTempDirectory<R>(_ body: (String) async throws -> R) async throws -> R {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-log-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try await body(dir)
}

/// Collects log messages so tests can check what was reported.
final class LogCapture: Sendable {
    let messages = Mutex<[(Logger.Level, String, Logger.Metadata)]>([])

    var logger: Logger {
        Logger(label: "test") { _ in CapturingHandler(capture: self) }
    }

    func contains(_ text: String, level: Logger.Level? = nil) -> Bool {
        messages.withLock { $0.contains { ($0.1.contains(text)) && (level == nil || $0.0 == level) } }
    }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.messages.withLock { $0.append((event.level, "\(event.message)", event.metadata ?? [:])) }
        }
    }
}

func makeConfig(_ dir: String, durability: Durability = .none, logger: Logger? = nil) -> EmbeddedBrokerConfig {
    var c = EmbeddedBrokerConfig(dataDirectory: dir, durability: durability)
    c.logger = logger ?? LogCapture().logger
    return c
}

func record(_ value: String, key: String? = nil, partition: Int32? = nil) -> ProducerRecord {
    ProducerRecord(key: key.map { Array($0.utf8) }, value: Array(value.utf8), partition: partition)
}

extension ConsumerRecord {
    var valueString: String { String(decoding: value, as: UTF8.self) }
}

/// Reads every record of a partition from the log start.
func readAll(_ broker: EmbeddedBroker, _ topic: String, _ partition: Int32) async throws -> [ConsumerRecord] {
    let d = try await broker.describeTopic(topic)
    var offset = d.partitions[Int(partition)].earliestOffset
    var out: [ConsumerRecord] = []
    while true {
        let r = try await broker.fetch(
            topic: topic, partition: partition, offset: offset, maxRecords: 10_000, maxBytes: 8 << 20, maxWait: .zero)
        if r.records.isEmpty { return out }
        out += r.records
        offset = r.nextOffset
    }
}

/// Byte positions and sizes of the batches in a segment file (walking the length fields).
func batchLayout(_ path: String) throws -> [(position: Int, size: Int)] {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    var out: [(Int, Int)] = []
    var pos = 0
    while pos + 12 <= bytes.count {
        let length = Int(bytes[pos + 8]) | Int(bytes[pos + 9]) << 8 | Int(bytes[pos + 10]) << 16 | Int(bytes[pos + 11]) << 24
        out.append((pos, length + 12))
        pos += length + 12
    }
    return out
}
