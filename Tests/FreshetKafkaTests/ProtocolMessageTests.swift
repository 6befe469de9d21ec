import NIOCore
import Testing

@testable import FreshetKafka

struct ProtocolMessageCase: Sendable, CustomTestStringConvertible {
    let api: ApiKey
    let version: Int16
    var type: any KafkaRequest.Type { api.requestType! }
    var testDescription: String { "\(api) v\(version)" }

    /// Lowest and highest implemented version of every request type.
    static let all: [ProtocolMessageCase] = ApiKey.implementedRequests.flatMap { type in
        [type.supportedVersions.lowerBound, type.supportedVersions.upperBound].map { ProtocolMessageCase(api: type.apiKey, version: $0) }
    }

    /// Every implemented version of every request type.
    static let everyVersion: [ProtocolMessageCase] = ApiKey.implementedRequests.flatMap { type in
        type.supportedVersions.map { ProtocolMessageCase(api: type.apiKey, version: $0) }
    }
}

/// Round trip of one request/response pair through full frames.
func protocolRoundTrip<R: KafkaRequest>(_ request: R, _ anyResponse: any KafkaWireStruct, version: Int16) throws {
    let response = try #require(anyResponse as? R.Response)

    // Request: frame → frame decoder → header + body → re-encode.
    let frame = try KafkaWire.encodeRequest(request, version: version, correlationID: 41, clientID: "freshet")
    var frames = KafkaFrameDecoder()
    frames.feed(frame)
    let body = try #require(try frames.next())
    let (header, decoded) = try KafkaWire.decodeRequest(body, as: R.self)
    #expect(header == KafkaRequestHeader(apiKey: R.apiKey, apiVersion: version, correlationID: 41, clientID: "freshet"))
    let again = try KafkaWire.encodeRequest(decoded, version: version, correlationID: 41, clientID: "freshet")
    #expect(again == frame)
    #expect(try R.decodeBody(try decoded.encodeBody(version: version), version: version) == decoded)

    // Response the same way.
    let responseFrame = try KafkaWire.encodeResponse(response, to: R.self, version: version, correlationID: 41)
    frames.feed(responseFrame)
    let responseBody = try #require(try frames.next())
    let (responseHeader, decodedResponse) = try KafkaWire.decodeResponse(responseBody, to: R.self, version: version)
    #expect(responseHeader.correlationID == 41)
    let responseAgain = try KafkaWire.encodeResponse(decodedResponse, to: R.self, version: version, correlationID: 41)
    #expect(responseAgain == responseFrame)
}

/// Every proper prefix of the encoded body must fail to decode with a `KafkaProtocolError`.
func protocolTruncations<R: KafkaRequest>(_ request: R, _ anyResponse: any KafkaWireStruct, version: Int16) throws -> Int {
    let response = try #require(anyResponse as? R.Response)
    var checked = 0
    let requestBody = try request.encodeBody(version: version)
    let responseBody = try R.encodeResponseBody(response, version: version)
    for cut in 0..<requestBody.readableBytes {
        let prefix = requestBody.getSlice(at: requestBody.readerIndex, length: cut)!
        #expect(throws: KafkaProtocolError.self, "\(R.apiKey) v\(version) request cut at \(cut)") {
            try R.decodeBody(prefix, version: version)
        }
        checked += 1
    }
    for cut in 0..<responseBody.readableBytes {
        let prefix = responseBody.getSlice(at: responseBody.readerIndex, length: cut)!
        #expect(throws: KafkaProtocolError.self, "\(R.apiKey) v\(version) response cut at \(cut)") {
            try R.decodeResponseBody(prefix, version: version)
        }
        checked += 1
    }
    return checked
}

@Suite("Kafka messages")
struct ProtocolMessageTests {
    @Test("request and response round trip at lowest and highest version", arguments: ProtocolMessageCase.all)
    func roundTrips(_ c: ProtocolMessageCase) throws {
        let (request, response) = ProtocolSamples.pair(c.type)
        try protocolRoundTrip(request, response, version: c.version)
    }

    @Test("every implemented version round trips", arguments: ProtocolMessageCase.everyVersion)
    func everyVersionRoundTrips(_ c: ProtocolMessageCase) throws {
        let (request, response) = ProtocolSamples.pair(c.type)
        try protocolRoundTrip(request, response, version: c.version)
    }

    @Test("truncated input at every byte throws KafkaProtocolError", arguments: ProtocolMessageCase.all)
    func truncated(_ c: ProtocolMessageCase) throws {
        let (request, response) = ProtocolSamples.pair(c.type)
        let checked = try protocolTruncations(request, response, version: c.version)
        #expect(checked > 0)
    }

    @Test("trailing bytes after a message are an error")
    func trailing() throws {
        var body = try ProtocolSamples.heartbeatRequest.encodeBody(version: 4)
        body.writeInteger(UInt8(0))
        let error = #expect(throws: KafkaProtocolError.self) { try HeartbeatRequest.decodeBody(body, version: 4) }
        #expect(error?.code == .trailingBytes)
        #expect(error?.api == .heartbeat)
    }

    @Test(
        "unsupported versions are refused by name",
        arguments: [
            ProtocolMessageCase(api: .produce, version: 2), ProtocolMessageCase(api: .fetch, version: 13), ProtocolMessageCase(api: .metadata, version: 0),
        ])
    func unsupported(_ c: ProtocolMessageCase) {
        let (request, _) = ProtocolSamples.pair(c.type)
        let error = #expect(throws: KafkaProtocolError.self) { try request.encodeBody(version: c.version) }
        #expect(error?.code == .unsupportedVersion)
        #expect(error?.message.contains(c.api.name) == true)
    }

    @Test("Metadata v12 keeps every field")
    func metadataFields() throws {
        let body = try MetadataRequest.encodeResponseBody(ProtocolSamples.metadataResponse, version: 12)
        let r = try MetadataRequest.decodeResponseBody(body, version: 12)
        #expect(r.brokers.map(\.host) == ["127.0.0.1", "h2"])
        #expect(r.brokers[0].rack == "r1")
        #expect(r.clusterID == "cluster-a")
        #expect(r.topics[0].topicID == ProtocolSamples.topicID)
        #expect(r.topics[0].partitions[0].errorCode == .leaderNotAvailable)
        #expect(r.topics[0].partitions[0].leaderEpoch == 4)
        #expect(r.topics[0].partitions[0].offlineReplicas == [103])
        #expect(r.topics[0].topicAuthorizedOperations == 0x0F)
        // v11+ dropped the cluster operations field: it is not sent, so it comes back default.
        #expect(r.clusterAuthorizedOperations == .min)
        let v10 = try MetadataRequest.decodeResponseBody(
            try MetadataRequest.encodeResponseBody(ProtocolSamples.metadataResponse, version: 10), version: 10)
        #expect(v10.clusterAuthorizedOperations == 0x10)
    }

    @Test("Metadata request: null topics means all topics")
    func metadataAllTopics() throws {
        let all = MetadataRequest(topics: nil)
        #expect(ProtocolWire.bytes(try all.encodeBody(version: 1)) == [0xFF, 0xFF, 0xFF, 0xFF])
        // Compact null (0), AllowAutoTopicCreation, the two authorized-operations flags, no tags.
        #expect(ProtocolWire.bytes(try all.encodeBody(version: 9)) == [0, 0, 0, 0, 0])
        #expect(try MetadataRequest.decodeBody(try all.encodeBody(version: 12), version: 12).topics == nil)
    }

    @Test("Produce v9 carries record bytes untouched")
    func produceRecords() throws {
        for version in ProduceRequest.supportedVersions {
            let r = try ProduceRequest.decodeBody(try ProtocolSamples.produceRequest.encodeBody(version: version), version: version)
            #expect(r.topicData[0].partitionData[0].records == ProtocolSamples.records)
            #expect(r.topicData[0].partitionData[1].records == nil)
            #expect(r.transactionalID == "tx")
        }
        let response = try ProduceRequest.decodeResponseBody(
            try ProduceRequest.encodeResponseBody(ProtocolSamples.produceResponse, version: 9), version: 9)
        #expect(response.responses[0].partitionResponses[0].recordErrors[0].batchIndexErrorMessage == "bad")
        #expect(response.responses[0].partitionResponses[0].errorCode.isRetriable)
    }

    @Test("Fetch v12 known tagged fields survive, v11 drops them")
    func fetchTags() throws {
        let v12 = try FetchRequest.decodeResponseBody(try FetchRequest.encodeResponseBody(ProtocolSamples.fetchResponse, version: 12), version: 12)
        let p = v12.responses[0].partitions[0]
        #expect(p.divergingEpoch == .init(epoch: 2, endOffset: 50))
        #expect(p.currentLeader == .init(leaderID: 1, leaderEpoch: 3))
        #expect(p.snapshotID == .init(epoch: 1, endOffset: 20))
        #expect(p.records == ProtocolSamples.records)
        #expect(p.abortedTransactions?.first?.producerID == 11)
        let v11 = try FetchRequest.decodeResponseBody(try FetchRequest.encodeResponseBody(ProtocolSamples.fetchResponse, version: 11), version: 11)
        #expect(v11.responses[0].partitions[0].divergingEpoch == nil)
        #expect(v11.responses[0].partitions[0].records == ProtocolSamples.records)
        let request = try FetchRequest.decodeBody(try ProtocolSamples.fetchRequest.encodeBody(version: 12), version: 12)
        #expect(request.clusterID == "cluster-a")
        #expect(request.topics[0].partitions[0].lastFetchedEpoch == 1)
        #expect(request.rackID == "rack-1")
    }

    @Test("unknown tagged fields in a message are skipped, known ones kept")
    func unknownTagsInMessage() throws {
        // HeartbeatResponse v4 by hand: throttle 7, error 27 (REBALANCE_IN_PROGRESS), then a
        // tagged section with an unknown tag 4 of two bytes.
        let bytes: [UInt8] = [0, 0, 0, 7, 0, 27, 1, 4, 2, 0xAB, 0xCD]
        let r = try HeartbeatRequest.decodeResponseBody(ByteBuffer(bytes: bytes), version: 4)
        #expect(r.throttleTimeMs == 7)
        #expect(r.errorCode == .rebalanceInProgress)

        // ApiVersionsResponse v3 with known tag 1 (FinalizedFeaturesEpoch = 5) and unknown tag 7.
        var b = ByteBuffer()
        b.writeInteger(Int16(0))  // error
        b.writeKafkaUnsignedVarint(2)  // one api key
        b.writeInteger(Int16(18))
        b.writeInteger(Int16(0))
        b.writeInteger(Int16(3))
        b.writeKafkaUnsignedVarint(0)
        b.writeInteger(Int32(0))  // throttle
        b.writeKafkaUnsignedVarint(2)  // two tags
        b.writeKafkaUnsignedVarint(1)
        b.writeKafkaUnsignedVarint(8)
        b.writeInteger(Int64(5))
        b.writeKafkaUnsignedVarint(7)
        b.writeKafkaUnsignedVarint(3)
        b.writeBytes([1, 2, 3])
        let av = try ApiVersionsRequest.decodeResponseBody(b, version: 3)
        #expect(av.finalizedFeaturesEpoch == 5)
        #expect(av.versions(of: .apiVersions) == 0...3)

        // A known tag whose payload is shorter than its type is an error, not a crash.
        var bad = ByteBuffer()
        bad.writeInteger(Int16(0))
        bad.writeKafkaUnsignedVarint(1)
        bad.writeInteger(Int32(0))
        bad.writeKafkaUnsignedVarint(1)
        bad.writeKafkaUnsignedVarint(1)
        bad.writeKafkaUnsignedVarint(2)
        bad.writeInteger(Int16(5))
        #expect(throws: KafkaProtocolError.self) { try ApiVersionsRequest.decodeResponseBody(bad, version: 3) }
    }

    @Test("FindCoordinator v4 uses coordinator keys; v3 a single key")
    func findCoordinatorShapes() throws {
        let v4 = try FindCoordinatorRequest.decodeBody(try ProtocolSamples.findCoordinatorRequest.encodeBody(version: 4), version: 4)
        #expect(v4.coordinatorKeys == ["group-a", "group-b"])
        #expect(v4.key == "")
        let v3 = try FindCoordinatorRequest.decodeBody(try ProtocolSamples.findCoordinatorRequest.encodeBody(version: 3), version: 3)
        #expect(v3.key == "group-a")
        #expect(v3.coordinatorKeys == [])
        let response = try FindCoordinatorRequest.decodeResponseBody(
            try FindCoordinatorRequest.encodeResponseBody(ProtocolSamples.findCoordinatorResponse, version: 4), version: 4)
        #expect(response.coordinators.first?.port == 9092)
    }
}
