import Foundation
import FreshetTesting
import NIOCore
import Testing

@testable import FreshetKafka

/// `KafkaConnection` against a real broker (Tansu) and a real client (confluent-kafka).
/// Each test starts its own broker; a missing broker fails the test (see `TansuBroker`).
@Suite struct ConnectionInteropTests {
    static func connect(_ broker: TansuBroker) async throws -> KafkaConnection {
        try await KafkaConnection.connect(
            host: "127.0.0.1", port: broker.port,
            configuration: .init(connectTimeout: .seconds(10), requestTimeout: .seconds(20)))
    }

    @Test func connectNegotiatesVersionsWithinOurRanges() async throws {
        try await TansuBroker.with { broker in
            let connection = try await Self.connect(broker)
            let produce = try #require(connection.negotiatedVersions[.produce])
            let fetch = try #require(connection.negotiatedVersions[.fetch])
            let metadata = try #require(connection.negotiatedVersions[.metadata])
            #expect(ProduceRequest.supportedVersions.contains(produce))
            #expect(FetchRequest.supportedVersions.contains(fetch))
            #expect(MetadataRequest.supportedVersions.contains(metadata))
            #expect(connection.brokerVersions.versions(of: .produce)?.contains(produce) == true)
            #expect(connection.brokerVersions.versions(of: .fetch)?.contains(fetch) == true)
            try await connection.close()
        }
    }

    @Test func metadataListsTheBroker() async throws {
        try await TansuBroker.with { broker in
            let connection = try await Self.connect(broker)
            let metadata = try await connection.send(MetadataRequest(topics: nil))
            #expect(metadata.brokers.contains { $0.host == "127.0.0.1" && Int($0.port) == broker.port })
            try await connection.close()
        }
    }

    @Test func pipelinedRequestsAllSucceed() async throws {
        try await TansuBroker.with { broker in
            let connection = try await KafkaConnection.connect(
                host: "127.0.0.1", port: broker.port, configuration: .init(maximumInFlightRequests: 2))
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await connection.send(MetadataRequest(topics: nil)).brokers.count }
                }
                for try await count in group { #expect(count == 1) }
            }
            try await connection.close()
        }
    }

    @Test func sendAfterCloseFailsClearly() async throws {
        try await TansuBroker.with { broker in
            let connection = try await Self.connect(broker)
            try await connection.close()
            let error = await #expect(throws: KafkaConnectionError.self) {
                _ = try await connection.send(MetadataRequest(topics: nil))
            }
            #expect(error?.code == .connectionClosed)
        }
    }

    @Test func brokerStoppingFailsRequestsInFlight() async throws {
        let broker = try await TansuBroker.start()
        let connection = try await Self.connect(broker)
        broker.stop()
        let error = await #expect(throws: KafkaConnectionError.self) {
            // Whichever request is in flight or sent after the close must fail, not hang.
            for _ in 0..<50 { _ = try await connection.send(MetadataRequest(topics: nil)) }
        }
        #expect(error?.code == .connectionClosed)
    }

    @Test func connectToAClosedPortFails() async throws {
        let broker = try await TansuBroker.start()
        let port = broker.port
        broker.stop()
        let error = await #expect(throws: KafkaConnectionError.self) {
            _ = try await KafkaConnection.connect(host: "127.0.0.1", port: port)
        }
        #expect(error?.code == .connectFailed)
    }

    /// TLS to Tansu's plaintext listener: the handshake fails and says so (Tansu 0.6 cannot
    /// serve TLS: its `--cert` and `--key` options exclude each other).
    @Test func tlsToTansuPlaintextListenerFailsClearly() async throws {
        try await TansuBroker.with { broker in
            let error = await #expect(throws: KafkaConnectionError.self) {
                _ = try await KafkaConnection.connect(
                    host: "127.0.0.1", port: broker.port,
                    configuration: .init(connectTimeout: .seconds(2), tls: .init(verification: .none)))
            }
            #expect(error?.code == .tlsFailed)
            #expect(error?.message.contains("TLS") == true)
        }
    }

    /// CreateTopics, Produce (acks=-1) 100 keyed records with headers to each of 3 partitions,
    /// Fetch them back record for record, then confluent-kafka reads exactly the same.
    @Test func produceFetchAndConfluentConsumerAgree() async throws {
        try await TansuBroker.with { broker in
            let connection = try await Self.connect(broker)
            let topic = "freshet-interop-\(UUID().uuidString.lowercased())"
            let partitions: Int32 = 3

            var create = CreateTopicsRequest()
            create.topics = [.init(name: topic, numPartitions: partitions, replicationFactor: 1)]
            create.timeoutMs = 10_000
            let created = try await connection.send(create)
            let createdTopic = try #require(created.topics.first)
            #expect(createdTopic.name == topic)
            #expect(createdTopic.errorCode == .noError, "CreateTopics: \(createdTopic.errorCode) \(createdTopic.errorMessage ?? "")")

            let metadata = try await connection.send(MetadataRequest(topics: [topic]))
            let described = try #require(metadata.topics.first { $0.name == topic })
            #expect(described.partitions.count == Int(partitions))

            var expected: [Int32: [KafkaRecord]] = [:]
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            for partition in 0..<partitions {
                expected[partition] = (0..<100).map { i in
                    KafkaRecord(
                        key: Array("p\(partition)-key-\(i)".utf8),
                        value: Array("{\"partition\":\(partition),\"i\":\(i),\"pad\":\"\(String(repeating: "x", count: i))\"}".utf8),
                        headers: [
                            .init(key: "source", value: Array("freshet".utf8)),
                            .init(key: "index", value: Array(String(i).utf8)),
                            .init(key: "null-header", value: nil),
                        ],
                        timestamp: now + Int64(i))
                }
            }

            for partition in 0..<partitions {
                let batch = RecordBatch.producing(expected[partition]!)
                let produce = ProduceRequest(
                    acks: -1, timeoutMs: 10_000,
                    topicData: [.init(name: topic, partitionData: [.init(index: partition, records: ByteBuffer(bytes: try batch.encode()))])])
                let response = try await connection.send(produce)
                let result = try #require(response.responses.first?.partitionResponses.first)
                #expect(result.index == partition)
                #expect(result.errorCode == .noError, "Produce to \(partition): \(result.errorCode) \(result.errorMessage ?? "")")
                #expect(result.baseOffset == 0)
            }

            for partition in 0..<partitions {
                var fetched: [KafkaRecord] = []
                var offset: Int64 = 0
                var attempts = 0
                while fetched.count < 100, attempts < 20 {
                    attempts += 1
                    var fetch = FetchRequest()
                    fetch.maxWaitMs = 200
                    fetch.topics = [.init(topic: topic, partitions: [.init(partition: partition, fetchOffset: offset, partitionMaxBytes: 1 << 20)])]
                    let response = try await connection.send(fetch)
                    let data = try #require(response.responses.first?.partitions.first)
                    #expect(data.errorCode == .noError)
                    guard let bytes = data.records, bytes.readableBytes > 0 else { continue }
                    let records = try RecordBatch.decodeAll(bytes).records.filter { $0.offset >= offset }
                    fetched += records
                    offset = (records.last?.offset ?? offset - 1) + 1
                }
                let want = expected[partition]!
                #expect(fetched.count == want.count)
                for (i, (got, sent)) in zip(fetched, want).enumerated() {
                    #expect(got.offset == Int64(i))
                    #expect(got.key == sent.key)
                    #expect(got.value == sent.value)
                    #expect(got.headers == sent.headers)
                    #expect(got.timestamp == sent.timestamp)
                }
            }
            try await connection.close()

            // confluent-kafka (librdkafka), assigned to every partition from offset 0: no group join.
            let output = try Self.confluentConsume(bootstrap: broker.bootstrap, topic: topic, partitions: Int(partitions), expected: 300)
            let consumed = try JSONDecoder().decode([ConsumedRecord].self, from: Data(output.utf8))
            #expect(consumed.count == 300)
            for partition in 0..<partitions {
                let got = consumed.filter { $0.partition == Int(partition) }
                let want = expected[partition]!
                #expect(got.count == want.count)
                for (i, (record, sent)) in zip(got, want).enumerated() {
                    #expect(record.offset == i)
                    #expect(record.key == sent.key.map(Self.hex))
                    #expect(record.value == sent.value.map(Self.hex))
                    #expect(record.headers.map(\.key) == sent.headers.map(\.key))
                    #expect(record.headers.map(\.value) == sent.headers.map { $0.value.map(Self.hex) })
                }
            }
        }
    }

    struct ConsumedRecord: Decodable {
        struct Header: Decodable {
            var key: String
            var value: String?
        }
        var partition: Int
        var offset: Int
        var key: String?
        var value: String?
        var headers: [Header]
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static let consumerScript = """
        import json, sys, time
        from confluent_kafka import Consumer, TopicPartition
        bootstrap, topic, partitions, expected = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "freshet-interop", "enable.auto.commit": False,
                      "auto.offset.reset": "earliest", "session.timeout.ms": 6000})
        c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        out, deadline = [], time.time() + 60
        while len(out) < expected and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                print("consumer error:", m.error(), file=sys.stderr)
                continue
            out.append({"partition": m.partition(), "offset": m.offset(),
                        "key": None if m.key() is None else m.key().hex(),
                        "value": None if m.value() is None else m.value().hex(),
                        "headers": [{"key": k, "value": None if v is None else v.hex()} for k, v in (m.headers() or [])]})
        c.close()
        print(json.dumps(out))
        """

    /// Runs the confluent-kafka consumer as a child process; returns its JSON output.
    static func confluentConsume(bootstrap: String, topic: String, partitions: Int, expected: Int) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", consumerScript, bootstrap, topic, String(partitions), String(expected)]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TansuBroker.Missing(
                description:
                    "confluent-kafka consumer failed (\(process.terminationStatus)); run scripts/test, which installs confluent-kafka: \(String(decoding: errors, as: UTF8.self))"
            )
        }
        return String(decoding: data, as: UTF8.self)
    }
}
