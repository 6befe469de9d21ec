import NIOCore
import Testing

@testable import FreshetKafka

@Suite("Version negotiation, error codes, consumer protocol")
struct ProtocolNegotiationTests {
    static func broker(_ entries: [(ApiKey, Int16, Int16)]) -> ApiVersionsResponse {
        var r = ApiVersionsResponse()
        r.apiKeys = entries.map { .init(apiKey: $0.0, minVersion: $0.1, maxVersion: $0.2) }
        return r
    }

    @Test("picks the highest version both sides support")
    func highestCommon() throws {
        let b = Self.broker([(.produce, 3, 11), (.fetch, 0, 10), (.metadata, 0, 12)])
        #expect(try KafkaVersionNegotiation.negotiate(ProduceRequest.self, broker: b) == 9)
        #expect(try KafkaVersionNegotiation.negotiate(FetchRequest.self, broker: b) == 10)
        #expect(try KafkaVersionNegotiation.negotiate(.metadata, ours: 1...8, broker: b) == 8)
    }

    @Test("no overlap or missing API throws naming the API")
    func noCommon() {
        let b = Self.broker([(.produce, 10, 12)])
        let error = #expect(throws: KafkaProtocolError.self) { try KafkaVersionNegotiation.negotiate(ProduceRequest.self, broker: b) }
        #expect(error?.code == .noCommonVersion)
        #expect(error?.api == .produce)
        #expect(error?.message.contains("Produce") == true)
        let missing = #expect(throws: KafkaProtocolError.self) { try KafkaVersionNegotiation.negotiate(JoinGroupRequest.self, broker: b) }
        #expect(missing?.message.contains("JoinGroup") == true)
    }

    @Test("negotiateAll covers every implemented API or names the first gap")
    func all() throws {
        let full = Self.broker(ApiKey.implementedRequests.map { ($0.apiKey, 0, 20) })
        let versions = try KafkaVersionNegotiation.negotiateAll(broker: full)
        #expect(versions.count == ApiKey.implementedRequests.count)
        #expect(versions[.fetch] == 12)
        #expect(versions[.apiVersions] == 3)
        let partial = Self.broker([(.apiVersions, 0, 3)])
        #expect(throws: KafkaProtocolError.self) { try KafkaVersionNegotiation.negotiateAll(broker: partial) }
    }

    @Test(
        "error codes have Kafka's names and retriable flags",
        arguments: [
            (Int16(0), "NONE", false), (3, "UNKNOWN_TOPIC_OR_PARTITION", true), (6, "NOT_LEADER_OR_FOLLOWER", true),
            (15, "COORDINATOR_NOT_AVAILABLE", true), (16, "NOT_COORDINATOR", true), (25, "UNKNOWN_MEMBER_ID", false),
            (27, "REBALANCE_IN_PROGRESS", false), (36, "TOPIC_ALREADY_EXISTS", false), (-1, "UNKNOWN_SERVER_ERROR", false),
            (7, "REQUEST_TIMED_OUT", true),
        ])
    func errorCodes(code: Int16, name: String, retriable: Bool) {
        let e = KafkaErrorCode(rawValue: code)
        #expect(e.name == name)
        #expect(e.isRetriable == retriable)
        #expect(e.isKnown)
    }

    @Test("an unknown error code still has a name")
    func unknownErrorCode() {
        #expect(KafkaErrorCode(rawValue: 31000).name == "UNKNOWN_CODE(31000)")
        #expect(!KafkaErrorCode(rawValue: 31000).isRetriable)
    }

    @Test("consumer protocol subscription v0–v3 round trip", arguments: Array(Int16(0)...3))
    func subscription(version: Int16) throws {
        var s = ConsumerProtocolSubscription(
            topics: ["users", "orders"], userData: ByteBuffer(bytes: [1, 2]),
            ownedPartitions: [.init(topic: "users", partitions: [0, 2])])
        s.generationID = 7
        s.rackID = "r1"
        let bytes = try s.encoded(version: version)
        #expect(bytes.getInteger(at: 0, as: Int16.self) == version)
        let (back, v) = try ConsumerProtocolSubscription.decode(bytes)
        #expect(v == version)
        #expect(back.topics == ["users", "orders"])
        #expect(back.userData == ByteBuffer(bytes: [1, 2]))
        #expect(back.ownedPartitions.isEmpty == (version == 0))
        #expect((back.rackID == "r1") == (version >= 3))
        for cut in 0..<bytes.readableBytes {
            #expect(throws: KafkaProtocolError.self) { try ConsumerProtocolSubscription.decode(bytes.getSlice(at: 0, length: cut)!) }
        }
    }

    @Test("consumer protocol v0 subscription has Kafka's layout")
    func subscriptionLayout() throws {
        let bytes = try ConsumerProtocolSubscription(topics: ["t"]).encoded(version: 0)
        #expect(ProtocolWire.bytes(bytes) == [0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test("a newer subscription version is read as the newest known one")
    func forwardCompatible() throws {
        var bytes = try ConsumerProtocolSubscription(topics: ["t"]).encoded(version: 3)
        bytes.setInteger(Int16(9), at: 0)
        bytes.writeBytes([0xAA, 0xBB])  // fields of a future version
        let (s, v) = try ConsumerProtocolSubscription.decode(bytes)
        #expect(v == 9)
        #expect(s.topics == ["t"])
    }

    @Test("consumer protocol assignment v0–v1 round trip and empty assignment", arguments: [Int16(0), 1])
    func assignment(version: Int16) throws {
        let a = ConsumerProtocolAssignment(assignedPartitions: [.init(topic: "users", partitions: [0, 1, 2])], userData: nil)
        let (back, v) = try ConsumerProtocolAssignment.decode(try a.encoded(version: version))
        #expect(back == a)
        #expect(v == version)
        #expect(try ConsumerProtocolAssignment.decode(ByteBuffer()).0.assignedPartitions.isEmpty)
    }
}
