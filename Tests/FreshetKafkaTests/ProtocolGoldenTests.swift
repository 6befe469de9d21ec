import Foundation
import NIOCore
import Testing

@testable import FreshetKafka

/// One captured frame in Golden/ (see Golden/README.md).
struct ProtocolGoldenFrame: Sendable, CustomTestStringConvertible {
    let file: String
    let api: ApiKey
    let version: Int16
    let isRequest: Bool
    var testDescription: String { file }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static let all: [ProtocolGoldenFrame] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".hex") }.sorted().compactMap(parse)
    }()

    /// "Produce-v9-request.hex" → Produce, 9, request.
    static func parse(_ file: String) -> ProtocolGoldenFrame? {
        let parts = file.dropLast(4).split(separator: "-")
        guard parts.count == 3, let version = Int16(parts[1].dropFirst()),
            let type = ApiKey.implementedRequests.first(where: { $0.apiKey.name == parts[0] })
        else { return nil }
        return ProtocolGoldenFrame(file: file, api: type.apiKey, version: version, isRequest: parts[2] == "request")
    }

    static func named(_ api: ApiKey, _ version: Int16, request: Bool) throws -> ProtocolGoldenFrame {
        try #require(all.first { $0.api == api && $0.version == version && $0.isRequest == request })
    }

    /// The whole frame, size prefix included.
    func bytes() throws -> ByteBuffer {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(file), encoding: .utf8)
        let hex = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined()
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(try #require(UInt8(hex[index..<next], radix: 16)))
            index = next
        }
        return ByteBuffer(bytes: out)
    }

    /// The frame without its size prefix, through `KafkaFrameDecoder` (drip-fed).
    func frame() throws -> ByteBuffer {
        var decoder = KafkaFrameDecoder()
        var frames: [ByteBuffer] = []
        for byte in try bytes().readableBytesView {
            decoder.feed(CollectionOfOne(byte))
            while let f = try decoder.next() { frames.append(f) }
        }
        #expect(frames.count == 1)
        return try #require(frames.first)
    }

    func request<R: KafkaRequest>(_: R.Type) throws -> (KafkaRequestHeader, R) {
        let (header, body) = try KafkaWire.decodeRequest(try frame(), as: R.self)
        return (header, body)
    }

    func response<R: KafkaRequest>(_: R.Type) throws -> R.Response {
        try KafkaWire.decodeResponse(try frame(), to: R.self, version: version).body
    }
}

/// Decodes a golden frame and encodes it again; the bytes must be identical.
func protocolReencode<R: KafkaRequest>(_ golden: ProtocolGoldenFrame, as _: R.Type) throws {
    let original = try golden.bytes()
    if golden.isRequest {
        let (header, body) = try golden.request(R.self)
        #expect(header.apiVersion == golden.version)
        let again = try KafkaWire.encodeRequest(body, version: golden.version, correlationID: header.correlationID, clientID: header.clientID)
        #expect(again == original)
    } else {
        let correlationID = try KafkaResponseHeader.peekCorrelationID(try golden.frame())
        let body = try golden.response(R.self)
        let again = try KafkaWire.encodeResponse(body, to: R.self, version: golden.version, correlationID: correlationID)
        #expect(again == original)
    }
}

@Suite("Golden frames captured from librdkafka and tansu")
struct ProtocolGoldenTests {
    static let topic = "freshet-golden"
    static let group = "freshet-golden-group"

    @Test("the capture covers the core APIs")
    func coverage() {
        let apis = Set(ProtocolGoldenFrame.all.map(\.api))
        for api: ApiKey in [
            .apiVersions, .metadata, .produce, .fetch, .findCoordinator, .joinGroup, .syncGroup, .offsetCommit, .offsetFetch, .initProducerId, .createTopics,
        ] {
            #expect(apis.contains(api), "no golden frame for \(api)")
        }
    }

    @Test("every golden frame decodes and re-encodes to the same bytes", arguments: ProtocolGoldenFrame.all)
    func roundTrip(_ golden: ProtocolGoldenFrame) throws {
        let type = try #require(golden.api.requestType)
        try protocolReencode(golden, as: type)
    }

    @Test("ApiVersions: rdkafka's request and the broker's list")
    func apiVersions() throws {
        let (header, request) = try ProtocolGoldenFrame.named(.apiVersions, 3, request: true).request(ApiVersionsRequest.self)
        #expect(header.clientID == "rdkafka")
        #expect(request.clientSoftwareName == "confluent-kafka-python")
        #expect(request.clientSoftwareVersion.contains("rdkafka"))
        let response = try ProtocolGoldenFrame.named(.apiVersions, 3, request: false).response(ApiVersionsRequest.self)
        #expect(response.errorCode == .noError)
        #expect(response.versions(of: .apiVersions)?.contains(3) == true)
        #expect(response.versions(of: .produce) != nil)
        let negotiated = try KafkaVersionNegotiation.negotiateAll(broker: response, apis: [ProduceRequest.self, FetchRequest.self, MetadataRequest.self])
        #expect(negotiated[.produce] == 9)
        #expect(negotiated[.fetch] == 12)
    }

    @Test("Metadata names the topic and the advertised broker")
    func metadata() throws {
        let (_, request) = try ProtocolGoldenFrame.named(.metadata, 12, request: true).request(MetadataRequest.self)
        #expect(request.topics?.contains { $0.name == Self.topic } == true)
        let response = try ProtocolGoldenFrame.named(.metadata, 12, request: false).response(MetadataRequest.self)
        #expect(response.brokers.first?.host == "127.0.0.1")
        let topic = try #require(response.topics.first { $0.name == Self.topic })
        #expect(topic.errorCode == .noError)
        #expect(topic.partitions.count == 1)
    }

    @Test("Produce names the topic and carries a record batch")
    func produce() throws {
        let (header, request) = try ProtocolGoldenFrame.named(.produce, 9, request: true).request(ProduceRequest.self)
        #expect(header.clientID == "rdkafka")
        #expect(request.acks == -1)
        #expect(request.topicData.first?.name == Self.topic)
        let records = try #require(request.topicData.first?.partitionData.first?.records)
        // RecordBatch v2: magic byte 2 at offset 16.
        #expect(records.getInteger(at: records.readerIndex + 16, as: UInt8.self) == 2)
        let response = try ProtocolGoldenFrame.named(.produce, 9, request: false).response(ProduceRequest.self)
        #expect(response.responses.first?.name == Self.topic)
        #expect(response.responses.first?.partitionResponses.first?.errorCode == .noError)
    }

    @Test("Fetch returns the produced records")
    func fetch() throws {
        let (_, request) = try ProtocolGoldenFrame.named(.fetch, 12, request: true).request(FetchRequest.self)
        #expect(request.topics.first?.topic == Self.topic)
        let response = try ProtocolGoldenFrame.named(.fetch, 12, request: false).response(FetchRequest.self)
        let partition = try #require(response.responses.first?.partitions.first)
        #expect(response.responses.first?.topic == Self.topic)
        #expect(partition.errorCode == .noError)
        #expect(partition.highWatermark == 3)
        #expect((partition.records?.readableBytes ?? 0) > 61)
    }

    @Test("group membership: FindCoordinator, JoinGroup, SyncGroup")
    func groups() throws {
        let find = try #require(ProtocolGoldenFrame.all.first { $0.api == .findCoordinator && $0.isRequest })
        let request = try find.request(FindCoordinatorRequest.self).1
        #expect(request.key == Self.group || request.coordinatorKeys.contains(Self.group))
        let coordinator = try ProtocolGoldenFrame.named(.findCoordinator, find.version, request: false).response(FindCoordinatorRequest.self)
        #expect(coordinator.errorCode == .noError)

        let joinFrame = try #require(ProtocolGoldenFrame.all.first { $0.api == .joinGroup && $0.isRequest })
        let join = try joinFrame.request(JoinGroupRequest.self).1
        #expect(join.groupID == Self.group)
        #expect(join.protocolType == "consumer")
        #expect(join.sessionTimeoutMs == 6000)
        let metadata = try #require(join.protocols.first?.metadata)
        #expect(try ConsumerProtocolSubscription.decode(metadata).0.topics == [Self.topic])
        let joined = try ProtocolGoldenFrame.named(.joinGroup, joinFrame.version, request: false).response(JoinGroupRequest.self)
        #expect(joined.errorCode == .noError)
        #expect(!joined.memberID.isEmpty)

        let syncFrame = try #require(ProtocolGoldenFrame.all.first { $0.api == .syncGroup && $0.isRequest })
        let sync = try syncFrame.request(SyncGroupRequest.self).1
        #expect(sync.groupID == Self.group)
        let synced = try ProtocolGoldenFrame.named(.syncGroup, syncFrame.version, request: false).response(SyncGroupRequest.self)
        let assignment = try ConsumerProtocolAssignment.decode(synced.assignment).0
        #expect(assignment.assignedPartitions == [.init(topic: Self.topic, partitions: [0])])
    }

    @Test("offsets: OffsetCommit and OffsetFetch")
    func offsets() throws {
        let (_, commit) = try ProtocolGoldenFrame.named(.offsetCommit, 8, request: true).request(OffsetCommitRequest.self)
        #expect(commit.groupID == Self.group)
        #expect(commit.topics.first?.name == Self.topic)
        #expect(commit.topics.first?.partitions.first?.committedOffset == 3)
        let committed = try ProtocolGoldenFrame.named(.offsetCommit, 8, request: false).response(OffsetCommitRequest.self)
        #expect(committed.topics.first?.partitions.first?.errorCode == .noError)
        let (_, fetch) = try ProtocolGoldenFrame.named(.offsetFetch, 8, request: true).request(OffsetFetchRequest.self)
        #expect(fetch.groups.first?.groupID == Self.group)
        let fetched = try ProtocolGoldenFrame.named(.offsetFetch, 8, request: false).response(OffsetFetchRequest.self)
        #expect(fetched.groups.first?.groupID == Self.group)
    }

    @Test("InitProducerId and CreateTopics")
    func producerAndAdmin() throws {
        let producer = try ProtocolGoldenFrame.named(.initProducerId, 4, request: false).response(InitProducerIdRequest.self)
        #expect(producer.errorCode == .noError)
        #expect(producer.producerID >= 0)
        let createFrame = try #require(ProtocolGoldenFrame.all.first { $0.api == .createTopics && $0.isRequest })
        let create = try createFrame.request(CreateTopicsRequest.self).1
        #expect(create.topics.first?.name == Self.topic)
        #expect(create.topics.first?.numPartitions == 1)
        let created = try ProtocolGoldenFrame.named(.createTopics, createFrame.version, request: false).response(CreateTopicsRequest.self)
        #expect(created.topics.first?.name == Self.topic)
    }

    @Test("truncated golden frames throw at every byte", arguments: ProtocolGoldenFrame.all)
    func truncatedGolden(_ golden: ProtocolGoldenFrame) throws {
        let frame = try golden.frame()
        let type = try #require(golden.api.requestType)
        try protocolTruncateGolden(frame, golden: golden, as: type)
    }
}

func protocolTruncateGolden<R: KafkaRequest>(_ frame: ByteBuffer, golden: ProtocolGoldenFrame, as _: R.Type) throws {
    for cut in 0..<frame.readableBytes {
        let prefix = frame.getSlice(at: frame.readerIndex, length: cut)!
        #expect(throws: KafkaProtocolError.self, "\(golden.file) cut at \(cut)") {
            if golden.isRequest {
                _ = try KafkaWire.decodeRequest(prefix, as: R.self)
            } else {
                _ = try KafkaWire.decodeResponse(prefix, to: R.self, version: golden.version)
            }
        }
    }
}
