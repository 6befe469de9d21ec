import NIOCore

/// The token of a partition key under Cassandra's `Murmur3Partitioner`, the default
/// partitioner: which node range owns a row.
///
/// Cassandra hashes with its own port of MurmurHash3 x64_128 (seed 0) and takes the first
/// 64-bit half. The port differs from the reference in the tail: it widens each remaining
/// byte as a *signed* Java byte before shifting, so bytes ≥ 0x80 set every higher bit of
/// the tail word. The token range is `Int64.min + 1 ... Int64.max`: `Long.MIN_VALUE` is the
/// ring's minimum token, so a hash equal to it is mapped to `Long.MAX_VALUE`.
public enum CQLMurmur3Token {
    /// The token of a serialized partition key (see `routingKey(_:)` for compound keys).
    public static func token(of key: some Collection<UInt8>) -> Int64 {
        let bytes = Array(key)
        return bytes.withUnsafeBufferPointer { token(of: $0) }
    }

    /// The token of a serialized partition key.
    public static func token(of key: ByteBuffer) -> Int64 {
        key.withUnsafeReadableBytes { token(of: $0.bindMemory(to: UInt8.self)) }
    }

    /// The token of a single-column partition key with value `value`.
    public static func token(of value: CQLValue) -> Int64 {
        token(of: value.serialized())
    }

    /// The serialized form of a compound partition key, as Cassandra's CompositeType
    /// builds it: each component as a 2-byte length, its bytes and a 0 byte. A key of one
    /// component is just that component's bytes.
    public static func routingKey(_ components: [ByteBuffer]) -> ByteBuffer {
        if components.count == 1 { return components[0] }
        var out = ByteBuffer()
        for c in components {
            out.writeInteger(UInt16(truncatingIfNeeded: c.readableBytes))
            out.writeImmutableBuffer(c)
            out.writeInteger(UInt8(0))
        }
        return out
    }

    static let c1: UInt64 = 0x87c3_7b91_1142_53d5
    static let c2: UInt64 = 0x4cf5_ad43_2745_937f

    @inline(__always)
    static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }

    @inline(__always)
    static func fmix(_ k: UInt64) -> UInt64 {
        var k = k
        k ^= k >> 33
        k &*= 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k &*= 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }

    /// Java's `(long) byte`: sign-extended.
    @inline(__always)
    static func signed(_ b: UInt8) -> UInt64 { UInt64(bitPattern: Int64(Int8(bitPattern: b))) }

    static func token(of key: UnsafeBufferPointer<UInt8>) -> Int64 {
        let length = key.count
        var h1: UInt64 = 0
        var h2: UInt64 = 0

        func block(_ offset: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in (0..<8).reversed() { v = v << 8 | UInt64(key[offset + i]) }
            return v
        }

        let blocks = length / 16
        for i in 0..<blocks {
            var k1 = block(i * 16)
            var k2 = block(i * 16 + 8)

            k1 &*= c1
            k1 = rotl(k1, 31)
            k1 &*= c2
            h1 ^= k1
            h1 = rotl(h1, 27)
            h1 &+= h2
            h1 = h1 &* 5 &+ 0x52dc_e729

            k2 &*= c2
            k2 = rotl(k2, 33)
            k2 &*= c1
            h2 ^= k2
            h2 = rotl(h2, 31)
            h2 &+= h1
            h2 = h2 &* 5 &+ 0x3849_5ab5
        }

        let tail = blocks * 16
        let remaining = length & 15
        var k1: UInt64 = 0
        var k2: UInt64 = 0
        if remaining > 8 {
            for i in (8..<remaining).reversed() { k2 ^= signed(key[tail + i]) << (UInt64(i - 8) * 8) }
            k2 &*= c2
            k2 = rotl(k2, 33)
            k2 &*= c1
            h2 ^= k2
        }
        if remaining > 0 {
            for i in (0..<min(remaining, 8)).reversed() { k1 ^= signed(key[tail + i]) << (UInt64(i) * 8) }
            k1 &*= c1
            k1 = rotl(k1, 31)
            k1 &*= c2
            h1 ^= k1
        }

        h1 ^= UInt64(length)
        h2 ^= UInt64(length)
        h1 &+= h2
        h2 &+= h1
        h1 = fmix(h1)
        h2 = fmix(h2)
        h1 &+= h2

        return ringToken(Int64(bitPattern: h1))
    }

    /// Long.MIN_VALUE is the ring's minimum token, which no key may have.
    static func ringToken(_ hash: Int64) -> Int64 { hash == .min ? .max : hash }
}
