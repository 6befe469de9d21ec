import NIOCore
import Testing

@testable import FreshetKafka

/// Decoding hostile input must end in a value or a `KafkaProtocolError`, never a trap.
@Suite("Malformed input")
struct ProtocolRobustnessTests {
    static func decodeAnyway<R: KafkaRequest>(_ frame: ByteBuffer, golden: ProtocolGoldenFrame, as _: R.Type) throws {
        do {
            if golden.isRequest {
                _ = try KafkaWire.decodeRequest(frame, as: R.self)
            } else {
                _ = try KafkaWire.decodeResponse(frame, to: R.self, version: golden.version)
            }
        } catch is KafkaProtocolError {
            // expected for most corruptions
        }
    }

    @Test("every byte of every golden frame inverted: decodes or throws KafkaProtocolError", arguments: ProtocolGoldenFrame.all)
    func flippedBytes(_ golden: ProtocolGoldenFrame) throws {
        let frame = try golden.frame()
        let type = try #require(golden.api.requestType)
        for i in 0..<frame.readableBytes {
            var corrupt = frame
            corrupt.setInteger(~frame.getInteger(at: frame.readerIndex + i, as: UInt8.self)!, at: corrupt.readerIndex + i)
            try Self.decodeAnyway(corrupt, golden: golden, as: type)
        }
    }

    @Test("random bytes into every response decoder at every version", arguments: ProtocolMessageCase.everyVersion)
    func randomBytes(_ c: ProtocolMessageCase) throws {
        var generator = ProtocolTestRandom(seed: UInt64(c.api.rawValue) << 16 | UInt64(c.version))
        for length in [0, 1, 2, 5, 17, 64, 300] {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                try Self.randomDecode(ByteBuffer(bytes: bytes), c.type, version: c.version)
            }
        }
    }

    static func randomDecode<R: KafkaRequest>(_ buffer: ByteBuffer, _: R.Type, version: Int16) throws {
        do { _ = try R.decodeResponseBody(buffer, version: version) } catch is KafkaProtocolError {}
        do { _ = try R.decodeBody(buffer, version: version) } catch is KafkaProtocolError {}
    }
}

/// A small deterministic generator so failures reproduce.
struct ProtocolTestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
