import NIOCore
import NIOTestUtils
import Testing

@testable import FreshetCQL

@Suite("CQL frame header and frame decoder")
struct CQLFramingTests {
    @Test("header: version with direction bit, flags, signed stream, opcode, length")
    func headerLayout() {
        var b = ByteBuffer()
        CQLFrameHeader(direction: .request, flags: [.tracing, .customPayload], streamID: 0x0102, opcode: .query, bodyLength: 5)
            .encode(into: &b)
        #expect(CQLWire.bytes(b) == [0x04, 0x06, 0x01, 0x02, 0x07, 0, 0, 0, 5])
        var r = ByteBuffer()
        let event = CQLFrameHeader(direction: .response, flags: .warning, streamID: -1, opcode: .event, bodyLength: 0x0102_0304)
        event.encode(into: &r)
        #expect(CQLWire.bytes(r) == [0x84, 0x08, 0xFF, 0xFF, 0x0C, 1, 2, 3, 4])
        #expect(CQLFrameHeader.read(from: &r) == event)
        #expect(CQLFrameFlags(rawValue: 0x1F) == [.compression, .tracing, .customPayload, .warning, .useBeta])
    }

    @Test("opcodes are the spec's, and 0x04 does not exist")
    func opcodes() {
        #expect(
            [
                CQLOpcode.error, .startup, .ready, .authenticate, .options, .supported, .query, .result, .prepare, .execute,
                .register, .event, .batch, .authChallenge, .authResponse, .authSuccess,
            ].map(\.rawValue)
                == [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])
        #expect(!CQLOpcode(rawValue: 0x04).isKnown)
        #expect(CQLOpcode.authChallenge.description == "AUTH_CHALLENGE")
    }

    static func goldenStream() throws -> (bytes: [UInt8], frames: [[UInt8]]) {
        let frames = try CQLGoldenFrame.everyV4Frame.map { try $0.bytes() }
        return (frames.flatMap { $0 }, frames)
    }

    @Test("one byte at a time: every golden frame comes out whole, in order")
    func dripFed() throws {
        let (stream, frames) = try Self.goldenStream()
        #expect(frames.count > 40)
        let decoded = try CQLWire.dripFeed(stream)
        #expect(decoded.count == frames.count)
        #expect(decoded.map { CQLWire.bytes($0.encoded()) } == frames)
    }

    @Test("everything in one read, and reads split inside a header")
    func batched() throws {
        let (stream, frames) = try Self.goldenStream()
        var decoder = CQLFrameDecoder()
        decoder.feed(stream)
        var count = 0
        while try decoder.next() != nil { count += 1 }
        #expect(count == frames.count)

        var split = CQLFrameDecoder()
        let cut = frames[0].count + 4  // inside the second frame's header
        split.feed(stream[0..<cut])
        #expect(try split.next() != nil)
        #expect(try split.next() == nil)
        #expect(split.bufferedBytes == 4)
        split.feed(stream[cut...])
        var rest = 0
        while try split.next() != nil { rest += 1 }
        #expect(rest == frames.count - 1)
    }

    @Test("every truncation of every golden frame waits for more and consumes nothing", arguments: CQLGoldenFrame.everyV4Frame)
    func truncatedAtEveryByte(_ golden: CQLGoldenFrame) throws {
        let bytes = try golden.bytes()
        for length in 0..<bytes.count {
            var buffer = ByteBuffer(bytes: bytes[0..<length])
            #expect(try CQLFrameDecoder.decodeFrame(from: &buffer, maximumBodyLength: 1 << 20) == nil, "prefix \(length)")
            #expect(buffer.readableBytes == length)
        }
        var whole = ByteBuffer(bytes: bytes)
        #expect(try CQLFrameDecoder.decodeFrame(from: &whole, maximumBodyLength: 1 << 20) != nil)
        #expect(whole.readableBytes == 0)
    }

    @Test(
        "body length above the limit or negative is refused from the header alone",
        arguments: [Int32(-1), 1025, .max])
    func oversized(length: Int32) {
        var decoder = CQLFrameDecoder(maximumBodyLength: 1024)
        var header = ByteBuffer()
        CQLFrameHeader(direction: .request, streamID: 9, opcode: .query, bodyLength: length).encode(into: &header)
        decoder.feed(header)
        let error = #expect(throws: CQLProtocolError.self) { try decoder.next() }
        #expect(error?.code == .frameTooLarge)
        #expect(error?.streamID == 9)
    }

    @Test("a body of exactly the limit is accepted; the default limit is 256 MiB")
    func limitInclusive() throws {
        #expect(CQLFrameDecoder().maximumBodyLength == 256 * 1024 * 1024)
        let frame = CQLFrame(
            header: CQLFrameHeader(direction: .request, streamID: 1, opcode: .query, bodyLength: 0),
            body: ByteBuffer(repeating: 0x41, count: 1024))
        var decoder = CQLFrameDecoder(maximumBodyLength: 1024)
        decoder.feed(frame.encoded())
        #expect(try decoder.next() == frame)
    }

    struct VersionCase: Sendable, CustomTestStringConvertible {
        let file: String
        let version: UInt8
        let stream: Int16
        var testDescription: String { file }
    }

    static let versionCases = [
        VersionCase(file: "options-v5", version: 5, stream: 0), VersionCase(file: "options-v65", version: 65, stream: 3),
        VersionCase(file: "options-v66", version: 66, stream: 0x1234), VersionCase(file: "options-v3", version: 3, stream: 7),
    ]

    @Test(
        "a driver's v5/v65/v66/v3 OPTIONS: the error carries version and stream, and the answer is the PROTOCOL_ERROR drivers downgrade on",
        arguments: versionCases)
    func unsupportedVersion(_ c: VersionCase) throws {
        let bytes = try CQLGoldenFrame.request(c.file).bytes()
        // The error comes as soon as the stream id is known (4 bytes), before the body.
        var decoder = CQLFrameDecoder()
        decoder.feed(bytes[0..<3])
        #expect(try decoder.next() == nil)
        decoder.feed(bytes[3..<4])
        let error = try #require(#expect(throws: CQLProtocolError.self) { try decoder.next() })
        #expect(error.code == .unsupportedVersion)
        #expect(error.protocolVersion == c.version)
        #expect(error.streamID == c.stream)
        #expect(error.serverError.code == .protocolError)
        #expect(error.serverError.message.contains("unsupported protocol version (\(c.version))"))
        let answer = try #require(try error.unsupportedVersionResponse())
        #expect(CQLWire.bytes(answer) == (try CQLGoldenFrame.response("error-unsupported-version-v\(c.version)").bytes()))
    }

    @Test("v1/v2 headers have a one-byte stream id")
    func oldHeader() throws {
        var decoder = CQLFrameDecoder()
        decoder.feed([0x02, 0x00, 0x05, 0x05, 0, 0, 0, 0])
        let error = try #require(#expect(throws: CQLProtocolError.self) { try decoder.next() })
        #expect(error.protocolVersion == 2)
        #expect(error.streamID == 5)
        #expect(error.opcode == .options)
    }

    @Test("other errors have no unsupported-version answer")
    func noAnswerForOtherErrors() throws {
        let error = CQLProtocolError(code: .truncated, message: "x")
        #expect(try error.unsupportedVersionResponse() == nil)
        #expect(error.serverError == CQLServerError(code: .protocolError, message: "x"))
    }

    @Test("the NIO decoder passes ByteToMessageDecoderVerifier on every golden frame")
    func verifier() throws {
        let pairs: [(ByteBuffer, [CQLFrame])] = try CQLGoldenFrame.everyV4Frame.map { golden in
            (try golden.buffer(), [try golden.frame()])
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            CQLFrameByteToMessageDecoder()
        }
    }
}
