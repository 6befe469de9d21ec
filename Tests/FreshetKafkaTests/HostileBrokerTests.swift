import FreshetContracts
import FreshetCore
import FreshetLog
import NIOCore
import Testing

@testable import FreshetKafka

/// What a broker you do not control (or a proxy, or a bug) may answer: every value the client
/// builds on is checked, and a bad one is an error naming the field — never a trap.
@Suite("Hostile broker answers")
struct HostileBrokerTests {
    // MARK: Helpers

    static func configuration(_ broker: TestKafkaBroker) -> KafkaClientConfiguration {
        var c = KafkaClientConfiguration(bootstrapServers: [.init(host: "127.0.0.1", port: broker.port)])
        c.producer.idempotence = false
        c.producer.deliveryTimeout = .seconds(5)
        c.retries = 1
        c.consumer.retryBackoff = .milliseconds(1)
        return c
    }

    static var plaintext: TestKafkaBroker.Options {
        var options = TestKafkaBroker.Options()
        options.mechanisms = []
        return options
    }

    /// A FindCoordinator answer in the shape of `version` (v4 lists coordinators).
    static func coordinator(
        version: Int16, nodeID: Int32, host: String = "127.0.0.1", port: Int32 = 9092,
        error: KafkaErrorCode = .noError
    ) -> FindCoordinatorResponse {
        var r = FindCoordinatorResponse()
        if version >= 4 {
            var c = FindCoordinatorResponse.Coordinator()
            c.key = "g"
            c.nodeID = nodeID
            c.host = host
            c.port = port
            c.errorCode = error
            r.coordinators = [c]
        } else {
            r.nodeID = nodeID
            r.host = host
            r.port = port
            r.errorCode = error
        }
        return r
    }

    /// A valid batch of `count` records, encoded, with its base offset then overwritten (the
    /// CRC does not cover it, so the batch still checks out).
    static func batch(baseOffset: Int64, count: Int = 3, codec: KafkaCompression = .none) throws -> [UInt8] {
        let records = (0..<count).map { KafkaRecord(key: nil, value: Array("v\($0)".utf8), timestamp: 1_700_000_000_000) }
        var bytes = try RecordBatch.producing(records, compression: codec).encode()
        withUnsafeBytes(of: baseOffset.bigEndian) { for (i, b) in $0.enumerated() { bytes[i] = b } }
        return bytes
    }

    /// Recomputes a batch's CRC after its covered bytes were edited.
    static func fixCRC(_ bytes: inout [UInt8], at start: Int = 0) {
        let length = Int(Int32(bigEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: start + 8, as: Int32.self) }))
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + 21)..<(start + 12 + length)])) }
        withUnsafeBytes(of: crc.bigEndian) { for (i, b) in $0.enumerated() { bytes[start + 17 + i] = b } }
    }

    static func fetchPartition(_ records: [UInt8], highWatermark: Int64 = 100) -> FetchResponse.Partition {
        var p = FetchResponse.Partition()
        p.highWatermark = highWatermark
        p.records = ByteBuffer(bytes: records)
        return p
    }

    /// The backlog the processor asks about adds up watermarks a broker sent: whatever they
    /// are, the sum saturates instead of trapping, and an unknown (negative) one is skipped.
    @Test func aHighWatermarkFromTheWireNeverTrapsTheBacklog() throws {
        #expect(KafkaConsumer.backlog([]) == nil)
        #expect(KafkaConsumer.backlog([(position: 5, highWatermark: -1)]) == nil)
        #expect(KafkaConsumer.backlog([(position: 5, highWatermark: 12), (position: 9, highWatermark: 3), (position: 0, highWatermark: -1)]) == 7)
        #expect(KafkaConsumer.backlog([(position: .min, highWatermark: .max)]) == .max)
        #expect(KafkaConsumer.backlog([(position: 0, highWatermark: .max), (position: 1, highWatermark: .max)]) == .max)
        let unknown = try KafkaConsumer.decode(
            TopicPartition("t", 0), requestedOffset: 0, Self.fetchPartition([], highWatermark: .min), options: .init())
        #expect(unknown.highWatermark == -1)
        let known = try KafkaConsumer.decode(
            TopicPartition("t", 0), requestedOffset: 0, Self.fetchPartition([], highWatermark: 42), options: .init())
        #expect(known.highWatermark == 42)
    }

    // MARK: 1. FindCoordinator node ids

    /// Before, `Int32.max - nodeID` trapped for a negative node id.
    @Test(
        "FindCoordinator with node id -1, -2 or Int32.min and no error: a protocol error naming NodeId",
        arguments: [Int32(-1), -2, .min])
    func coordinatorWithNegativeNodeID(_ nodeID: Int32) async throws {
        var options = Self.plaintext
        options.findCoordinator = { version in Self.coordinator(version: version, nodeID: nodeID) }
        try await TestKafkaBroker.with(options) { broker in
            let cluster = KafkaCluster(configuration: Self.configuration(broker))
            let error = await #expect(throws: KafkaProtocolError.self) { _ = try await cluster.coordinator(group: "g") }
            #expect(error?.code == .invalidValue)
            #expect(error?.api == .findCoordinator)
            #expect(error?.field == "Coordinators.NodeId")
            #expect(error?.message.contains("\(nodeID)") == true)
            await cluster.close()
        }
    }

    @Test("a good coordinator is used; node id -1 with COORDINATOR_NOT_AVAILABLE is retried, then reported")
    func coordinatorAnswersThatAreFine() async throws {
        var options = Self.plaintext
        options.findCoordinator = { version in Self.coordinator(version: version, nodeID: 0, port: 19092) }
        try await TestKafkaBroker.with(options) { broker in
            let cluster = KafkaCluster(configuration: Self.configuration(broker))
            let key = try await cluster.coordinator(group: "g")
            #expect(key == Int32.max)
            #expect(await cluster.address(of: .max) == "127.0.0.1:19092")
            await cluster.close()
        }
        options.findCoordinator = { version in Self.coordinator(version: version, nodeID: -1, error: .coordinatorNotAvailable) }
        try await TestKafkaBroker.with(options) { broker in
            let cluster = KafkaCluster(configuration: Self.configuration(broker))
            let error = await #expect(throws: KafkaClientError.self) { _ = try await cluster.coordinator(group: "g") }
            #expect(error?.kafkaError == .coordinatorNotAvailable)
            await cluster.close()
        }
    }

    @Test(
        "every FindCoordinator version: node id, host and port are checked when there is no error",
        arguments: Array(FindCoordinatorRequest.supportedVersions))
    func coordinatorAnswerIsChecked(_ version: Int16) throws {
        let prefix = version >= 4 ? "Coordinators." : ""
        for (nodeID, host, port, field) in [
            (Int32.min, "h", Int32(9092), "NodeId"), (-1, "h", 9092, "NodeId"), (1, "", 9092, "Host"), (1, "h", 0, "Port"),
            (1, "h", -9092, "Port"), (1, "h", 65536, "Port"),
        ] {
            // Through the wire, as the client gets it.
            let wire = try FindCoordinatorRequest.encodeResponseBody(
                Self.coordinator(version: version, nodeID: nodeID, host: host, port: port), version: version)
            let response = try FindCoordinatorRequest.decodeResponseBody(wire, version: version)
            let error = #expect(throws: KafkaProtocolError.self) { try response.answer(for: "g") }
            #expect(error?.field == prefix + field)
        }
        let fine = Self.coordinator(version: version, nodeID: 7, port: 9093)
        #expect(try fine.answer(for: "g").nodeID == 7)
        let unavailable = Self.coordinator(version: version, nodeID: -1, host: "", port: -1, error: .coordinatorNotAvailable)
        #expect(try unavailable.answer(for: "g").errorCode == .coordinatorNotAvailable)
    }

    // MARK: 2. Fetch offsets

    /// Before, `lastOffset + 1` trapped in the consumer (and in `KafkaBroker.fetch`).
    @Test(
        "a Fetch batch whose base offset is Int64.max: KafkaRecordsError naming BaseOffset",
        arguments: [KafkaCompression.none, .gzip, .zstd])
    func fetchBatchAtInt64Max(_ codec: KafkaCompression) throws {
        let data = Self.fetchPartition(try Self.batch(baseOffset: .max, codec: codec))
        let error = #expect(throws: KafkaRecordsError.self) {
            _ = try KafkaConsumer.decode(TopicPartition("t", 0), requestedOffset: 0, data, options: .init())
        }
        #expect(error?.field == "BaseOffset")
        #expect(error?.code == .corruptBatch)
        #expect(error?.baseOffset == .max)
    }

    @Test(
        "base offsets that are negative or whose last offset reaches Int64.max are refused",
        arguments: [
            (Int64.max - 2, 3), (Int64.max, 1), (-1, 1), (.min, 2),
        ])
    func batchOffsetRange(_ base: Int64, _ count: Int) throws {
        let error = #expect(throws: KafkaRecordsError.self) { try RecordBatch.decodeAll(Self.batch(baseOffset: base, count: count)) }
        #expect(error?.field == "BaseOffset")
        // The largest batch that still leaves a next offset decodes.
        let last = try RecordBatch.decode(Self.batch(baseOffset: .max - 1 - Int64(count - 1), count: count))
        #expect(last.lastOffset == .max - 1)
        #expect(last.records.last?.offset == Int64.max - 1)
    }

    @Test("the same answer through a broker: KafkaBroker.fetch reports it")
    func fetchAtInt64MaxThroughABroker() async throws {
        var options = Self.plaintext
        options.topics = ["t": 1]
        let hostile = try Self.batch(baseOffset: .max)
        options.fetch = { request in
            var r = FetchResponse()
            var topic = FetchResponse.Topic()
            topic.topic = request.topics.first?.topic ?? "t"
            topic.partitions = [Self.fetchPartition(hostile)]
            r.responses = [topic]
            return r
        }
        try await TestKafkaBroker.with(options) { broker in
            try await KafkaBroker.withBroker(Self.configuration(broker)) { client in
                let error = await #expect(throws: KafkaRecordsError.self) {
                    _ = try await client.fetch(topic: "t", partition: 0, offset: 0, maxRecords: 10, maxBytes: 1 << 20, maxWait: .zero)
                }
                #expect(error?.field == "BaseOffset")
                try await client.close()
            }
        }
    }

    @Test("batches that go backwards in one Fetch answer: a protocol error, not a position that moves back")
    func fetchOffsetsGoBackwards() throws {
        let data = Self.fetchPartition(try Self.batch(baseOffset: 10) + Self.batch(baseOffset: 5))
        let error = #expect(throws: KafkaProtocolError.self) {
            _ = try KafkaConsumer.decode(TopicPartition("t", 0), requestedOffset: 0, data, options: .init())
        }
        #expect(error?.field == "Responses.Partitions.Records")
        // In order, they decode, and the next offset follows the last batch.
        let fine = try KafkaConsumer.decode(
            TopicPartition("t", 0), requestedOffset: 4, Self.fetchPartition(try Self.batch(baseOffset: 0, count: 5) + Self.batch(baseOffset: 5)),
            options: .init())
        #expect(fine.records.map(\.offset) == [4, 5, 6, 7])
        #expect(fine.next == 8)
    }

    @Test(
        "record fields the batch must agree with",
        arguments: [
            // (what, byte in the first record after its length varint, new value, field)
            ("offset delta past the last offset delta", 3, UInt8(2 * 5), "OffsetDelta"),  // zigzag 5 > delta 2
            ("negative offset delta", 3, UInt8(1), "OffsetDelta"),  // zigzag -1
        ])
    func recordOffsetDeltas(_ what: String, _ index: Int, _ value: UInt8, _ field: String) throws {
        // Short records: length, attributes, timestamp delta 0, offset delta, ….
        var bytes = try Self.batch(baseOffset: 0)
        bytes[RecordBatch.headerSize + index] = value
        Self.fixCRC(&bytes)
        let error = #expect(throws: KafkaRecordsError.self, "\(what)") { try RecordBatch.decode(bytes) }
        #expect(error?.field == field)
    }

    @Test("more records than the batch's offsets span, duplicate offsets, a timestamp that overflows")
    func recordCountsAndTimestamps() throws {
        // Record count 4 in a batch spanning 3 offsets.
        var bytes = try Self.batch(baseOffset: 0)
        bytes[60] = 4
        Self.fixCRC(&bytes)
        #expect((#expect(throws: KafkaRecordsError.self) { try RecordBatch.decode(bytes) })?.field == "RecordCount")

        // Two records with offset delta 0.
        let records = [KafkaRecord(key: nil, value: [1], timestamp: 0), KafkaRecord(key: nil, value: [2], timestamp: 0)]
        var batch = RecordBatch.producing(records)
        batch.records[1].offset = 0
        #expect((#expect(throws: KafkaRecordsError.self) { try RecordBatch.decode(try batch.encode()) })?.field == "OffsetDelta")

        // Base timestamp Int64.max - 1 plus a delta of 3 (encoded as Int64.min + 1 minus the base, wrapping).
        var late = RecordBatch.producing([KafkaRecord(key: nil, value: [1], timestamp: .min + 1)])
        late.baseTimestamp = .max - 1
        let encoded = try late.encode()
        #expect((#expect(throws: KafkaRecordsError.self) { try RecordBatch.decode(encoded) })?.field == "TimestampDelta")
    }

    // MARK: Produce answers

    @Test("a Produce answer with base offset near Int64.max fails the produce, naming BaseOffset")
    func produceBaseOffsetAtTheEnd() async throws {
        var options = Self.plaintext
        options.topics = ["t": 1]
        options.produce = { request in
            var r = ProduceResponse()
            var topic = ProduceResponse.TopicResponse()
            topic.name = request.topicData.first?.name ?? "t"
            var p = ProduceResponse.PartitionResponse()
            p.baseOffset = .max - 2
            topic.partitionResponses = [p]
            r.responses = [topic]
            return r
        }
        try await TestKafkaBroker.with(options) { broker in
            try await KafkaBroker.withBroker(Self.configuration(broker)) { client in
                let records = (0..<5).map { ProducerRecord(value: [UInt8($0)], partition: 0) }
                let error = await #expect(throws: KafkaProtocolError.self) { _ = try await client.produce(topic: "t", records: records) }
                #expect(error?.field == "Responses.PartitionResponses.BaseOffset")
                try await client.close()
            }
        }
    }

    // MARK: Metadata

    @Test("Metadata answers the cluster cannot be built from are protocol errors naming the field")
    func metadataIsChecked() throws {
        func broker(_ id: Int32, port: Int32 = 9092, host: String = "h") -> MetadataResponse.Broker {
            .init(nodeID: id, host: host, port: port)
        }
        func topic(_ partitions: [Int32], leader: Int32 = 1) -> MetadataResponse.Topic {
            var t = MetadataResponse.Topic()
            t.name = "t"
            t.partitions = partitions.map { i in
                var p = MetadataResponse.Partition()
                p.partitionIndex = i
                p.leaderID = leader
                return p
            }
            return t
        }
        let cases: [(MetadataResponse, String)] = [
            (
                {
                    var r = MetadataResponse()
                    r.brokers = [broker(-1)]
                    return r
                }(), "Brokers.NodeId"
            ),
            (
                {
                    var r = MetadataResponse()
                    r.brokers = [broker(.min)]
                    return r
                }(), "Brokers.NodeId"
            ),
            (
                {
                    var r = MetadataResponse()
                    r.brokers = [broker(1, port: 0)]
                    return r
                }(), "Brokers.Port"
            ),
            (
                {
                    var r = MetadataResponse()
                    r.brokers = [broker(1, port: 70_000)]
                    return r
                }(), "Brokers.Port"
            ),
            (
                {
                    var r = MetadataResponse()
                    r.brokers = [broker(1, host: "")]
                    return r
                }(), "Brokers.Host"
            ),
            (
                {
                    var r = MetadataResponse()
                    r.topics = [topic([0, 2])]
                    return r
                }(), "Topics.Partitions.PartitionIndex"
            ),
            (
                {
                    var r = MetadataResponse()
                    r.topics = [topic([0, 0])]
                    return r
                }(), "Topics.Partitions.PartitionIndex"
            ),
            (
                {
                    var r = MetadataResponse()
                    r.topics = [topic([-1])]
                    return r
                }(), "Topics.Partitions.PartitionIndex"
            ),
            (
                {
                    var r = MetadataResponse()
                    r.topics = [topic([0], leader: -2)]
                    return r
                }(), "Topics.Partitions.LeaderId"
            ),
        ]
        for (response, field) in cases {
            let error = #expect(throws: KafkaProtocolError.self) { try response.validate() }
            #expect(error?.field == field)
        }
        var fine = MetadataResponse()
        fine.brokers = [broker(0), broker(1)]
        fine.topics = [topic([1, 0], leader: -1)]
        try fine.validate()
    }

    // MARK: Frames and the connection

    @Test(
        "an oversized or negative frame size closes the connection with a protocol error",
        arguments: [
            [UInt8(0x7F), 0xFF, 0xFF, 0xFF, 0, 0, 0, 1], [0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0, 1], [0x06, 0x40, 0x00, 0x01],
        ])
    func oversizedFrame(_ raw: [UInt8]) async throws {
        var options = Self.plaintext
        options.rawMetadataReply = raw
        try await TestKafkaBroker.with(options) { broker in
            let connection = try await KafkaConnection.connect(host: "127.0.0.1", port: broker.port)
            let error = await #expect(throws: KafkaConnectionError.self) { _ = try await connection.send(MetadataRequest(topics: [])) }
            #expect(error?.code == .protocolError)
            #expect(error?.message.contains("frame size") == true)
            try? await connection.close()
        }
    }

    @Test("a frame for a correlation id nobody asked for closes the connection")
    func unsolicitedResponse() async throws {
        var frame = ByteBuffer()
        frame.writeInteger(Int32(4 + 1))
        frame.writeInteger(Int32(999))
        frame.writeInteger(UInt8(0))
        var options = Self.plaintext
        options.rawMetadataReply = Array(frame.readableBytesView)
        try await TestKafkaBroker.with(options) { broker in
            let connection = try await KafkaConnection.connect(host: "127.0.0.1", port: broker.port)
            let error = await #expect(throws: KafkaConnectionError.self) { _ = try await connection.send(MetadataRequest(topics: [])) }
            #expect(error?.code == .unexpectedCorrelationID)
            try? await connection.close()
        }
    }

    @Test("an array element that reads no bytes cannot be repeated for free")
    func zeroByteArrayElements() {
        struct Nothing: KafkaWireStruct {
            mutating func code(_ c: inout KafkaCodec) throws {}
        }
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(1_000))
        buffer.writeRepeatingByte(0, count: 1_000)
        var codec = KafkaCodec(decoding: buffer, version: 0, flexible: false)
        var items: [Nothing] = []
        let error = #expect(throws: KafkaProtocolError.self) { try codec.array(&items, "Items") }
        #expect(error?.field == "Items")
    }

    // MARK: Decompression bombs

    /// 8 MiB of records compressed to a few KiB.
    static func bomb(_ codec: KafkaCompression, baseOffset: Int64 = 0) throws -> [UInt8] {
        let records = (0..<8).map { _ in KafkaRecord(key: nil, value: [UInt8](repeating: 0, count: 1 << 20), timestamp: 0) }
        var batch = RecordBatch.producing(records, compression: codec)
        batch.baseOffset = baseOffset
        batch.records = batch.records.map {
            var r = $0
            r.offset += baseOffset
            return r
        }
        return try batch.encode()
    }

    @Test(
        "a batch inflating past maxDecompressedBytes fails cleanly, naming the codec",
        arguments: [
            KafkaCompression.gzip, .snappy, .lz4, .zstd,
        ])
    func decompressionBomb(_ codec: KafkaCompression) throws {
        let bytes = try Self.bomb(codec)
        #expect(bytes.count < 1 << 20)
        let error = #expect(throws: KafkaRecordsError.self) {
            try RecordBatch.decodeAll(bytes, options: .init(maxDecompressedBytes: 1 << 20))
        }
        #expect(error?.code == .corruptCompressedData)
        #expect(error?.codec == codec)
        #expect(error?.baseOffset == 0)
        // Within the limit it decodes.
        #expect(try RecordBatch.decodeAll(bytes, options: .init(maxDecompressedBytes: 9 << 20)).records.count == 8)
    }

    @Test("the limit covers all batches of one answer together")
    func decompressionBudgetIsShared() throws {
        let two = try Self.bomb(.lz4) + Self.bomb(.lz4, baseOffset: 8)
        #expect(throws: KafkaRecordsError.self) { try RecordBatch.decodeAll(two, options: .init(maxDecompressedBytes: 12 << 20)) }
        #expect(try RecordBatch.decodeAll(two, options: .init(maxDecompressedBytes: 17 << 20)).records.count == 16)
    }

    @Test("gzip: a trailer claiming more than the limit, or than deflate can produce, is refused before inflating")
    func gzipTrailerClaims() throws {
        var gzip = try KafkaCodecs.compress(Array("hello hello hello".utf8), codec: .gzip)
        let end = gzip.count - 4
        for (claim, maxBytes, says) in [(UInt32(0xFFFF_FFF0), 1 << 20, "more than 1048576"), (200 << 20, 256 << 20, "can hold")] {
            withUnsafeBytes(of: claim.littleEndian) { for (i, b) in $0.enumerated() { gzip[end + i] = b } }
            let error = #expect(throws: KafkaRecordsError.self) { try KafkaCodecs.decompress(gzip, codec: .gzip, maxBytes: maxBytes) }
            #expect(error?.message.contains(says) == true)
        }
        #expect(throws: KafkaRecordsError.self) { try KafkaCodecs.decompress([], codec: .gzip) }
    }

    @Test("the consumer's limit comes from its configuration (URL key max_decompressed_bytes)")
    func consumerLimitIsConfigured() throws {
        let c = try KafkaClientConfiguration(url: "kafka://h:1?max_decompressed_bytes=1048576")
        #expect(c.consumer.maxDecompressedBytes == 1 << 20)
        let data = Self.fetchPartition(try Self.bomb(.zstd))
        let error = #expect(throws: KafkaRecordsError.self) {
            _ = try KafkaConsumer.decode(TopicPartition("t", 0), requestedOffset: 0, data, options: c.consumer.decodingOptions)
        }
        #expect(error?.codec == .zstd)
        #expect(KafkaClientConfiguration.Consumer().maxDecompressedBytes == 64 << 20)
    }

    // MARK: SCRAM

    static let rfcNonce = "rOprNGfwEbeRWgbNEkqO"

    static func serverFirst(iterations: String, nonce: String = rfcNonce + "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0") -> String {
        "r=\(nonce),s=W22ZaJ0SNY7soEsUEjb6gQ==,i=\(iterations)"
    }

    @Test(
        "SCRAM: an iteration count above the maximum is refused before any hashing",
        arguments: [
            "2147483647", "9223372036854775807", "100001", "99999999999",
        ])
    func scramIterationBomb(_ iterations: String) throws {
        var client = SCRAMClient(algorithm: .sha512, username: "user", password: "pencil", nonce: Self.rfcNonce)
        _ = client.clientFirstMessage()
        let failure = #expect(throws: SCRAMClient.Failure.self) { try client.clientFinalMessage(serverFirst: Self.serverFirst(iterations: iterations)) }
        #expect(failure?.reason == (iterations.count > 10 ? .malformedServerMessage : .iterationCountTooHigh))
        #expect(failure?.message.contains(iterations.count > 10 ? "10 digits" : "100000") == true)
    }

    @Test(
        "SCRAM: malformed iteration counts, nonces and oversized messages",
        arguments: [
            serverFirst(iterations: "+4096"), serverFirst(iterations: " 4096"), serverFirst(iterations: "4096 "),
            serverFirst(iterations: "-1"), serverFirst(iterations: "0x1000"), serverFirst(iterations: ""),
            serverFirst(iterations: "4096", nonce: rfcNonce + "a\u{7}b"), serverFirst(iterations: "4096", nonce: rfcNonce + "é"),
            serverFirst(iterations: "4096") + ",x=" + String(repeating: "a", count: 5000),
        ])
    func scramMalformed(_ message: String) throws {
        var client = SCRAMClient(algorithm: .sha256, username: "user", password: "pencil", nonce: Self.rfcNonce)
        _ = client.clientFirstMessage()
        let failure = #expect(throws: SCRAMClient.Failure.self) { try client.clientFinalMessage(serverFirst: message) }
        #expect(failure?.reason == .malformedServerMessage)
    }

    @Test("SCRAM: the maximum is the configuration's (URL key sasl_max_iterations)")
    func scramMaximumIsConfigured() throws {
        let c = try KafkaClientConfiguration(url: "kafka://u:p@h:1?sasl=scram-sha-256&sasl_max_iterations=5000")
        let sasl = try #require(c.connection.sasl)
        #expect(sasl.maximumSCRAMIterations == 5000)
        #expect(KafkaSASLConfiguration(username: "u", password: "p").maximumSCRAMIterations == 100_000)
        var machine = KafkaSASLStateMachine(configuration: sasl, broker: "b:1", scramNonce: Self.rfcNonce)
        _ = machine.start()
        _ = machine.handshakeReceived(SaslHandshakeResponse())
        var answer = SaslAuthenticateResponse()
        answer.authBytes = ByteBuffer(string: Self.serverFirst(iterations: "8192"))
        guard case .fail(let error) = machine.authenticateReceived(answer) else {
            Issue.record("expected the exchange to fail")
            return
        }
        #expect(error.code == .authenticationFailed)
        #expect(error.message.contains("more than the maximum 5000"))
        #expect(throws: KafkaClientError.self) { try KafkaClientConfiguration(url: "kafka://u:p@h:1?sasl=plain&sasl_max_iterations=10") }
    }

    @Test("SCRAM against a broker asking for 200,000 iterations: the connect fails with the reason")
    func scramBrokerAsksTooMuch() async throws {
        var options = TestKafkaBroker.Options()
        options.scramIterations = 200_000
        try await TestKafkaBroker.with(options) { broker in
            let sasl = KafkaSASLConfiguration(mechanism: .scramSHA256, username: options.username, password: options.password)
            // Generous timeouts: in one test pass on a loaded 2-core machine the handshake's round
            // trips took longer than the default 10 s connect timeout; the test is about the reason.
            let error = await #expect(throws: KafkaConnectionError.self) {
                _ = try await KafkaConnection.connect(
                    host: "127.0.0.1", port: broker.port, configuration: .init(connectTimeout: .seconds(120), requestTimeout: .seconds(120), sasl: sasl))
            }
            #expect(error?.code == .authenticationFailed, "\(String(describing: error))")
            #expect(error?.message.contains("200000 iterations") == true)
        }
    }

    // MARK: Configuration

    @Test("durations of any size become Kafka millisecond fields without trapping")
    func durationsSaturate() {
        #expect(Duration.seconds(Int64.max).kafkaMilliseconds == .max)
        #expect(Duration.seconds(Int64.min).kafkaMilliseconds == .min)
        #expect(Duration.milliseconds(1500).kafkaMilliseconds == 1500)
        #expect(Duration.seconds(Int64.max / 1000).kafkaMilliseconds == .max)
    }

    @Test("new limits have URL keys with ranges")
    func limitKeys() throws {
        let c = try KafkaClientConfiguration(url: "kafka://h:1?max_frame_bytes=1048576")
        #expect(c.connection.maximumFrameSize == 1 << 20)
        #expect(KafkaConnection.Configuration().maximumFrameSize == 100 << 20)
        for bad in ["max_frame_bytes=1", "max_frame_bytes=4294967296", "max_decompressed_bytes=0", "sasl_max_iterations=5"] {
            let error = #expect(throws: KafkaClientError.self) { try KafkaClientConfiguration(url: "kafka://h:1?" + bad) }
            #expect(error?.message.contains(String(bad.prefix { $0 != "=" })) == true)
        }
    }
}
