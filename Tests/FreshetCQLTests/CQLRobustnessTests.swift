import NIOCore
import Testing

@testable import FreshetCQL

/// Decoding hostile input must end in a value or a `CQLProtocolError`, never a trap.
@Suite("Malformed CQL input")
struct CQLRobustnessTests {
    static func decodeAnyway(_ frame: CQLFrame) {
        do {
            if frame.header.direction == .request {
                _ = try CQLRequestFrame(decoding: frame)
            } else {
                _ = try CQLResponseFrame(decoding: frame)
            }
        } catch is CQLProtocolError {
            // expected for most corruptions
        } catch {
            Issue.record("unexpected error type \(type(of: error)): \(error)")
        }
    }

    @Test("every byte of every golden frame inverted: decodes or throws CQLProtocolError", arguments: CQLGoldenFrame.everyV4Frame)
    func flippedBytes(_ golden: CQLGoldenFrame) throws {
        let bytes = try golden.bytes()
        for i in 0..<bytes.count {
            var corrupt = bytes
            corrupt[i] = ~corrupt[i]
            var buffer = ByteBuffer(bytes: corrupt)
            do {
                // Small limit: an inverted length byte must not make the test allocate 2 GiB.
                if let frame = try CQLFrameDecoder.decodeFrame(from: &buffer, maximumBodyLength: 1 << 16) {
                    Self.decodeAnyway(frame)
                }
            } catch is CQLProtocolError {}
        }
    }

    @Test(
        "every truncated body of every golden frame: a request throws CQLProtocolError, a response decodes or throws it",
        arguments: CQLGoldenFrame.everyV4Frame)
    func truncatedBodies(_ golden: CQLGoldenFrame) throws {
        let frame = try golden.frame()
        for length in 0..<frame.body.readableBytes {
            let cut = CQLFrame(header: frame.header, body: frame.body.getSlice(at: frame.body.readerIndex, length: length)!)
            if frame.header.direction == .request {
                // A request body is only valid whole; a shorter one must be an error. (An
                // empty OPTIONS body is whole, and has no proper prefix.)
                #expect(throws: CQLProtocolError.self, "\(length) of \(frame.body.readableBytes) bytes") {
                    try CQLRequestFrame(decoding: cut)
                }
            } else {
                Self.decodeAnyway(cut)
            }
        }
    }

    @Test(
        "responses cut short fail unless what remains is a whole shorter message",
        arguments: CQLGoldenFrame.responses.filter { $0.name.hasPrefix("result-rows") || $0.name.hasPrefix("error-") })
    func truncatedResponses(_ golden: CQLGoldenFrame) throws {
        let frame = try golden.frame()
        // Removing the last byte of a Rows result or an error can never leave a valid message.
        let cut = CQLFrame(header: frame.header, body: frame.body.getSlice(at: frame.body.readerIndex, length: frame.body.readableBytes - 1)!)
        #expect(throws: CQLProtocolError.self) { try CQLResponseFrame(decoding: cut) }
    }

    @Test("random bytes as the body of every opcode, both directions")
    func randomBodies() {
        var random = CQLTestRandom(seed: 42)
        for opcode in 0...0x11 {
            for direction in [CQLDirection.request, .response] {
                for length in [0, 1, 2, 4, 9, 17, 64, 300] {
                    for _ in 0..<30 {
                        let body = ByteBuffer(bytes: (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) })
                        let header = CQLFrameHeader(
                            direction: direction, flags: CQLFrameFlags(rawValue: UInt8.random(in: 0...0x0E, using: &random)),
                            streamID: 1, opcode: CQLOpcode(rawValue: UInt8(opcode)), bodyLength: 0)
                        Self.decodeAnyway(CQLFrame(header: header, body: body))
                    }
                }
            }
        }
    }

    @Test("random byte streams into the frame decoder never crash")
    func randomStreams() {
        var random = CQLTestRandom(seed: 7)
        for _ in 0..<500 {
            var decoder = CQLFrameDecoder(maximumBodyLength: 4096)
            // Start most streams with a valid version byte so the length check is reached.
            var bytes = (0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if !bytes.isEmpty, Bool.random(using: &random) { bytes[0] = 0x04 }
            decoder.feed(bytes)
            do {
                while let frame = try decoder.next() { Self.decodeAnyway(frame) }
            } catch is CQLProtocolError {
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test("random bytes as type options and as values of every type")
    func randomTypesAndValues() {
        var random = CQLTestRandom(seed: 99)
        for _ in 0..<2000 {
            var b = ByteBuffer(
                bytes: (0..<Int.random(in: 0...40, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random) % (Bool.random(using: &random) ? 0x40 : 0xFF)
                })
            do { _ = try CQLType.read(from: &b) } catch is CQLProtocolError {} catch { Issue.record("\(error)") }
        }
        for type in CQLTypeValueTests.types {
            for length in [0, 1, 2, 3, 4, 8, 16, 33] {
                for _ in 0..<20 {
                    let b = ByteBuffer(bytes: (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) })
                    do { _ = try CQLValue(decoding: b, as: type) } catch is CQLProtocolError {} catch { Issue.record("\(error)") }
                }
            }
        }
    }

    @Test("a value nested past the limit is refused, not a stack overflow")
    func deepValue() {
        var type = CQLType.int
        for _ in 0..<(CQLType.maximumDepth + 5) { type = .tuple([type]) }
        var value = CQLValue.int(1)
        for _ in 0..<(CQLType.maximumDepth + 5) { value = .tuple([value]) }
        let error = #expect(throws: CQLProtocolError.self) { try CQLValue(decoding: value.serialized(), as: type) }
        #expect(error?.code == .nestingTooDeep)
    }
}
