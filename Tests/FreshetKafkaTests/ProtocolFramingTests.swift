import NIOCore
import NIOTestUtils
import Testing

@testable import FreshetKafka

@Suite("Kafka headers and framing")
struct ProtocolFramingTests {
    @Test("request header v1: classic nullable client id, no tags")
    func requestHeaderV1() throws {
        var buffer = ByteBuffer()
        try KafkaRequestHeader(apiKey: .metadata, apiVersion: 8, correlationID: 7, clientID: "ab")
            .encode(into: &buffer, headerVersion: 1)
        #expect(ProtocolWire.bytes(buffer) == [0, 3, 0, 8, 0, 0, 0, 7, 0, 2, 0x61, 0x62])
        let decoded = try KafkaRequestHeader.decode(from: &buffer)
        #expect(decoded == KafkaRequestHeader(apiKey: .metadata, apiVersion: 8, correlationID: 7, clientID: "ab"))
        #expect(buffer.readableBytes == 0)
    }

    @Test("request header v2 keeps the client id non-compact and adds tags")
    func requestHeaderV2() throws {
        var buffer = ByteBuffer()
        try KafkaRequestHeader(apiKey: .metadata, apiVersion: 12, correlationID: 1, clientID: nil)
            .encode(into: &buffer, headerVersion: 2)
        #expect(ProtocolWire.bytes(buffer) == [0, 3, 0, 12, 0, 0, 0, 1, 0xFF, 0xFF, 0])
        // An unknown header tag from a newer client is skipped.
        var withTag = ByteBuffer(bytes: [0, 3, 0, 12, 0, 0, 0, 1, 0, 1, 0x61, 1, 4, 1, 0xEE, 0x42])
        let decoded = try KafkaRequestHeader.decode(from: &withTag)
        #expect(decoded.clientID == "a")
        #expect(ProtocolWire.bytes(withTag) == [0x42])
    }

    @Test("unknown API key in a request header is an error, not a crash")
    func unknownApiKey() {
        var buffer = ByteBuffer(bytes: [0x7F, 0x00, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF])
        let error = #expect(throws: KafkaProtocolError.self) { try KafkaRequestHeader.decode(from: &buffer) }
        #expect(error?.code == .unknownApiKey)
    }

    @Test("response header v0 and v1")
    func responseHeaders() throws {
        var v0 = ByteBuffer()
        KafkaResponseHeader(correlationID: 258).encode(into: &v0, headerVersion: 0)
        #expect(ProtocolWire.bytes(v0) == [0, 0, 1, 2])
        var v1 = ByteBuffer()
        KafkaResponseHeader(correlationID: 258).encode(into: &v1, headerVersion: 1)
        #expect(ProtocolWire.bytes(v1) == [0, 0, 1, 2, 0])
        #expect(try KafkaResponseHeader.peekCorrelationID(v1) == 258)
        #expect(try KafkaResponseHeader.decode(from: &v1, headerVersion: 1).correlationID == 258)
        #expect(v1.readableBytes == 0)
    }

    @Test("ApiVersions responses use header v0 even when flexible; others v1")
    func headerVersions() {
        #expect(ApiVersionsRequest.responseHeaderVersion(3) == 0)
        #expect(ApiVersionsRequest.requestHeaderVersion(3) == 2)
        #expect(MetadataRequest.responseHeaderVersion(9) == 1)
        #expect(MetadataRequest.responseHeaderVersion(8) == 0)
        #expect(MetadataRequest.requestHeaderVersion(8) == 1)
        #expect(SaslHandshakeRequest.requestHeaderVersion(1) == 1)
    }

    @Test("correlation ids increase and wrap")
    func correlationIDs() {
        var ids = KafkaCorrelationIDs(startingAt: .max - 1)
        #expect([ids.next(), ids.next(), ids.next()] == [.max - 1, .max, 0])
    }

    static func sampleFrames() throws -> [ByteBuffer] {
        var metadata = MetadataRequest(topics: ["users"])
        metadata.includeTopicAuthorizedOperations = true
        return [
            try KafkaWire.encodeRequest(
                ApiVersionsRequest(clientSoftwareName: "freshet", clientSoftwareVersion: "0.1"), version: 3, correlationID: 1, clientID: "freshet"),
            try KafkaWire.encodeRequest(metadata, version: 12, correlationID: 2, clientID: "freshet"),
            try KafkaWire.encodeRequest(HeartbeatRequest(), version: 0, correlationID: 3, clientID: nil),
        ]
    }

    @Test("frame decoder: one byte at a time yields every frame whole")
    func dripFed() throws {
        let frames = try Self.sampleFrames()
        var stream = ByteBuffer()
        for f in frames { stream.writeImmutableBuffer(f) }
        var decoder = KafkaFrameDecoder()
        var out: [ByteBuffer] = []
        for byte in stream.readableBytesView {
            decoder.feed(CollectionOfOne(byte))
            while let frame = try decoder.next() { out.append(frame) }
        }
        #expect(out.count == 3)
        #expect(out == frames.map { $0.getSlice(at: 4, length: $0.readableBytes - 4)! })
        #expect(decoder.bufferedBytes == 0)
        let (header, body) = try KafkaWire.decodeRequest(out[1], as: MetadataRequest.self)
        #expect(header.correlationID == 2)
        #expect(body.topics?.first?.name == "users")
    }

    @Test("frame decoder: many frames in one read, and a split size prefix")
    func batched() throws {
        let frames = try Self.sampleFrames()
        var stream = ByteBuffer()
        for f in frames { stream.writeImmutableBuffer(f) }
        var decoder = KafkaFrameDecoder()
        decoder.feed(stream.getSlice(at: 0, length: frames[0].readableBytes + 2)!)
        #expect(try decoder.next() != nil)
        #expect(try decoder.next() == nil)
        decoder.feed(stream.getSlice(at: frames[0].readableBytes + 2, length: stream.readableBytes - frames[0].readableBytes - 2)!)
        #expect(try decoder.next() != nil)
        #expect(try decoder.next() != nil)
        #expect(try decoder.next() == nil)
    }

    @Test("frame decoder refuses negative and oversized frames", arguments: [Int32(-1), Int32(1025), .max])
    func badSizes(size: Int32) {
        var decoder = KafkaFrameDecoder(maximumFrameSize: 1024)
        var b = ByteBuffer()
        b.writeInteger(size)
        decoder.feed(b)
        let error = #expect(throws: KafkaProtocolError.self) { try decoder.next() }
        #expect(error?.code == .frameTooLarge)
    }

    @Test("NIO wrapper passes ByteToMessageDecoderVerifier")
    func verifier() throws {
        let frames = try Self.sampleFrames()
        let pairs: [(ByteBuffer, [ByteBuffer])] = frames.map { f in
            (f, [f.getSlice(at: 4, length: f.readableBytes - 4)!])
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            KafkaFrameByteToMessageDecoder()
        }
    }
}
