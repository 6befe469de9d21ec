import Foundation
import FreshetContracts
import FreshetLog
import FreshetTesting
import Logging
import NIOCore
import Testing

@testable import FreshetKafka

/// Shared pieces of the client tests against Tansu.
enum ClientTest {
    /// Client settings for tests: short session timeout (Tansu completes a join after half
    /// of it), frequent heartbeats, short linger.
    static func configuration(_ broker: TansuBroker) -> KafkaClientConfiguration {
        var c = try! KafkaClientConfiguration(url: "kafka://\(broker.bootstrap)?client_id=freshet-test&session_timeout_ms=6000&heartbeat_interval_ms=500")
        c.connection.requestTimeout = .seconds(30)
        c.consumer.maxWait = .milliseconds(200)
        return c
    }

    static var logger: Logger {
        var l = Logger(label: "freshet.kafka.test")
        l.logLevel = ProcessInfo.processInfo.environment["FRESHET_KAFKA_TEST_DEBUG"] != nil ? .debug : .warning
        return l
    }

    static func topicName(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    static func consumerConfig(group: String, topic: String) -> ConsumerConfig {
        var c = ConsumerConfig(groupID: group, topics: [topic], resetPolicy: .earliest)
        c.rebalanceTimeout = .seconds(20)
        c.maxWait = .milliseconds(200)
        return c
    }

    static let pythonHelper = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Python/kafka_peer.py").path

    /// Runs `kafka_peer.py` with confluent-kafka (python3 from PATH, as the other interop
    /// tests find it) and returns its stdout lines. Fails loudly when it fails.
    static func python(_ arguments: [String]) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", pythonHelper] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read stderr concurrently so a chatty peer cannot block on a full pipe.
        let errData = Mutex2<Data>(Data())
        let errThread = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        errThread.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.done { usleep(1000) }
        guard process.terminationStatus == 0 else {
            throw TansuBroker.Missing(
                description:
                    "confluent-kafka peer `\(arguments.prefix(1).joined())` failed (\(process.terminationStatus)); scripts/test installs confluent-kafka: \(String(decoding: errData.value, as: UTF8.self).suffix(2000))"
            )
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Runs `python` off the cooperative pool (it blocks a thread for its whole run).
    static func pythonAsync(_ arguments: [String]) async throws -> [String] {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try python(arguments) }) }.start()
        }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// Polls until `count` records arrived or `timeout` passed.
    static func pollAll(_ consumer: any BrokerConsumer, count: Int, timeout: Duration = .seconds(60)) async throws -> [ConsumerRecord] {
        var out: [ConsumerRecord] = []
        let deadline = ContinuousClock.now + timeout
        while out.count < count, ContinuousClock.now < deadline {
            out += try await consumer.poll(maxRecords: 5000, maxBytes: nil, maxWait: .milliseconds(200))
        }
        return out
    }
}

/// A tiny thread-safe cell for the helper threads above.
final class Mutex2<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    private var isSet = false
    init(_ value: T) { stored = value }
    func set(_ value: T) {
        lock.lock()
        stored = value
        isSet = true
        lock.unlock()
    }
    var value: T {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
    var done: Bool {
        lock.lock()
        defer { lock.unlock() }
        return isSet
    }
}

/// One record as printed by `kafka_peer.py consume`.
struct PeerRecord: Decodable {
    var p: Int
    var o: Int64
    var k: String?
    var v: String?
    var h: [[String?]]?
}
