import ArgumentParser
import Foundation
import FreshetApp
import FreshetContracts
import FreshetCore
import FreshetLog

/// `freshet bench kafka`: Freshet's Kafka client against librdkafka, same broker, same run.
struct BenchKafka: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Produce and consume records/s through a Kafka broker: Freshet vs confluent-kafka (librdkafka).",
        discussion: """
            Produces --records keyed records (a 36-byte key, a --value-bytes value) to a fresh \
            topic with Freshet's Kafka client (acks=all, idempotent, as the pipeline does), then \
            consumes them as a new consumer group; then runs scripts/tools/kafka_bench.py, which \
            does the same with confluent-kafka (librdkafka 2.x) against the same broker. Prints \
            records/s for both and Freshet's ratio. The consume time starts at the first record \
            (the group join is excluded on both sides). Build with -c release for real numbers.

            Example:
              .build/release/freshet bench kafka --broker kafka://127.0.0.1:9092 --records 200000
            """
    )

    @Option(help: ArgumentHelp("The Kafka cluster, kafka://host:port.", valueName: "URL"))
    var broker: String

    @Option(help: "Records to produce and consume per client.")
    var records = 200_000

    @Option(help: "Bytes per record value.")
    var valueBytes = 1000

    @Option(help: "Partitions of the benchmark topics.")
    var partitions: Int32 = 3

    @Option(help: "Records per produce call (Freshet's side).")
    var batch = 5000

    @Flag(help: "Only Freshet's side (no Python reference).")
    var freshetOnly = false

    @Option(help: ArgumentHelp("The reference script.", valueName: "path"))
    var script = "scripts/tools/kafka_bench.py"

    func validate() throws {
        guard broker.hasPrefix("kafka://") else { throw ValidationError("--broker: expected kafka://host:port; got '\(redact(broker))'") }
        try validateKafkaURL(broker)
        guard records >= 1 else { throw ValidationError("--records must be at least 1") }
        guard valueBytes >= 40 else { throw ValidationError("--value-bytes must be at least 40") }
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() async throws {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let freshet = try await runFreshet(topic: "bench-freshet-\(suffix)")
        var lines = [
            "freshet bench kafka — \(records) records of \(valueBytes) B, \(partitions) partitions, broker \(redact(broker))",
            row("Freshet", produce: freshet.produce, consume: freshet.consume),
        ]
        if !freshetOnly {
            let reference = try runReference(topic: "bench-librdkafka-\(suffix)")
            lines.append(row("confluent-kafka (librdkafka)", produce: reference.produce, consume: reference.consume))
            lines.append(
                String(
                    format: "Freshet / librdkafka: produce %.2f×, consume %.2f× (issue #15 goal: produce ≥ 1.2×)",
                    freshet.produce / reference.produce, freshet.consume / reference.consume))
        }
        print(lines.joined(separator: "\n"))
    }

    func row(_ name: String, produce: Double, consume: Double) -> String {
        name.padding(toLength: 30, withPad: " ", startingAt: 0)
            + "produce \(Int(produce).formatted()) records/s   consume \(Int(consume).formatted()) records/s"
    }

    /// Freshet's side, through the same `Broker` interface the pipeline uses.
    func runFreshet(topic: String) async throws -> (produce: Double, consume: Double) {
        try await BrokerConnection.withBroker(url: broker) { client in
            try await client.createTopic(topic, config: TopicConfig(partitions: partitions))
            let filler = [UInt8](repeating: UInt8(ascii: "x"), count: valueBytes - 40)
            // The keys are made before the clock starts, as the Python side does; the values inside.
            let keys = (0..<records).map { Array(UUIDText.make(UInt64($0 + 1)).utf8) }
            func record(_ i: Int) -> ProducerRecord {
                var value: [UInt8] = []
                value.reserveCapacity(valueBytes)
                value += "{\"n\":\(i),\"f\":\"".utf8
                value += filler
                value += "\"}".utf8
                return ProducerRecord(key: keys[i], value: value)
            }
            let clock = ContinuousClock()
            // Several produce calls in flight, as the ingest stage keeps them.
            let produceStart = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                var next = 0
                var inFlight = 0
                while next < records || inFlight > 0 {
                    while inFlight < 8 && next < records {
                        let range = next..<min(records, next + batch)
                        next = range.upperBound
                        inFlight += 1
                        group.addTask { _ = try await client.produce(topic: topic, records: range.map(record)) }
                    }
                    try await group.next()
                    inFlight -= 1
                }
            }
            let produceSeconds = (clock.now - produceStart).seconds

            var config = ConsumerConfig(groupID: "bench-\(topic)", topics: [topic])
            config.maxPollRecords = 10_000
            config.maxPollBytes = 16 << 20
            config.maxWait = .milliseconds(500)
            let consumer = try await client.makeConsumer(config)
            var received = 0
            var first: ContinuousClock.Instant?
            let deadline = clock.now + .seconds(300)
            while received < records && clock.now < deadline {
                let batch = try await consumer.poll()
                if !batch.isEmpty && first == nil { first = clock.now }
                received += batch.count
            }
            let consumeSeconds = first.map { (clock.now - $0).seconds } ?? 0
            try await consumer.close()
            try? await client.deleteTopic(topic)
            guard received >= records else { throw RuntimeFailure("Freshet consumed \(received) of \(records) records") }
            return (Double(records) / produceSeconds, consumeSeconds > 0 ? Double(records) / consumeSeconds : 0)
        }
    }

    /// confluent-kafka's side: the Python script, same broker and shape.
    func runReference(topic: String) throws -> (produce: Double, consume: Double) {
        guard FileManager.default.fileExists(atPath: script) else {
            throw RuntimeFailure("reference script \(script) not found (run from the repository root, or pass --script, or --freshet-only)")
        }
        let bootstrap = String(broker.dropFirst("kafka://".count).prefix { $0 != "?" && $0 != "/" })
        let process = Foundation.Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", script, "--bootstrap", bootstrap, "--topic", topic, "--records", String(records),
            "--value-bytes", String(valueBytes), "--partitions", String(partitions),
        ]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let produce = json["produce_records_per_second"] as? Double,
            let consume = json["consume_records_per_second"] as? Double
        else {
            throw RuntimeFailure(
                "the confluent-kafka reference failed (exit \(process.terminationStatus)): \(String(decoding: data, as: UTF8.self)) — is confluent-kafka installed? (python3 -m pip install confluent-kafka)"
            )
        }
        return (produce, consume)
    }
}

/// Deterministic UUID-shaped keys (36 bytes), as the Python side makes with `uuid.UUID(int=n)`.
enum UUIDText {
    static func make(_ n: UInt64) -> String {
        let hex = String(n, radix: 16)
        let digits = String(repeating: "0", count: 32 - hex.count) + hex
        let d = Array(digits)
        return String(d[0..<8]) + "-" + String(d[8..<12]) + "-" + String(d[12..<16]) + "-" + String(d[16..<20]) + "-" + String(d[20..<32])
    }
}
