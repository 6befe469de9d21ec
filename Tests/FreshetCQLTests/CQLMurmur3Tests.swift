import NIOCore
import Testing

@testable import FreshetCQL

@Suite("Murmur3Partitioner tokens")
struct CQLMurmur3Tests {
    static let literal = [
        CQLMurmur3Vector(key: [], token: 0),
        CQLMurmur3Vector(key: Array("a".utf8), token: -8_839_064_797_231_613_815),
        CQLMurmur3Vector(key: Array("abc".utf8), token: -5_434_086_359_492_102_041),
    ]

    @Test("known vectors", arguments: literal)
    func known(_ v: CQLMurmur3Vector) {
        #expect(CQLMurmur3Token.token(of: v.key) == v.token)
    }

    @Test(
        "tokens from the Python driver: every tail length, bytes ≥ 0x80, UUID and compound keys",
        arguments: CQLMurmur3Vector.captured)
    func captured(_ v: CQLMurmur3Vector) {
        #expect(CQLMurmur3Token.token(of: v.key) == v.token)
    }

    @Test("the capture has the lengths that exercise each branch")
    func coverage() {
        let lengths = Set(CQLMurmur3Vector.captured.map(\.key.count))
        for n in [0, 1, 8, 9, 15, 16, 17, 31, 32, 33] { #expect(lengths.contains(n), "no key of \(n) bytes") }
        #expect(CQLMurmur3Vector.captured.contains { $0.key.count == 16 && $0.key.contains { $0 >= 0x80 } })
        #expect(CQLMurmur3Vector.captured.count >= 40)
    }

    @Test("a ByteBuffer slice, a CQLValue and an array of the same bytes give the same token")
    func inputs() {
        var buffer = ByteBuffer(bytes: [0xEE, 0xEE])
        buffer.writeString("freshet")
        buffer.moveReaderIndex(forwardBy: 2)
        let expected = CQLMurmur3Token.token(of: Array("freshet".utf8))
        #expect(CQLMurmur3Token.token(of: buffer) == expected)
        #expect(CQLMurmur3Token.token(of: CQLValue.text("freshet")) == expected)
        #expect(CQLMurmur3Token.token(of: ArraySlice(Array("xfreshet".utf8).dropFirst())) == expected)
    }

    @Test("compound partition keys are serialized as CompositeType; a single key is itself")
    func routingKey() throws {
        let key = CQLMurmur3Token.routingKey([CQLValue.text("NZ").serialized(), CQLValue.int(7).serialized()])
        #expect(CQLWire.bytes(key) == [0, 2, 0x4E, 0x5A, 0, 0, 4, 0, 0, 0, 7, 0])
        // The same bytes are in murmur3.txt with the driver's token.
        let captured = try #require(CQLMurmur3Vector.captured.first { $0.key == CQLWire.bytes(key) })
        #expect(CQLMurmur3Token.token(of: key) == captured.token)
        let single = CQLValue.bigint(5).serialized()
        #expect(CQLMurmur3Token.routingKey([single]) == single)
    }

    @Test("a hash of Long.MIN_VALUE becomes Long.MAX_VALUE; others are kept")
    func ringMinimum() {
        #expect(CQLMurmur3Token.ringToken(.min) == .max)
        #expect(CQLMurmur3Token.ringToken(.min + 1) == .min + 1)
        #expect(CQLMurmur3Token.ringToken(-5) == -5)
    }
}
