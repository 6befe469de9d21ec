/// xxHash32 (Yann Collet's XXH32), used by the LZ4 frame format for header, block and
/// content checksums. Known vectors (seed 0): "" → 0x02CC5D05, "abc" → 0x32D153FF.
public enum XXHash32 {
    static let p1: UInt32 = 2_654_435_761
    static let p2: UInt32 = 2_246_822_519
    static let p3: UInt32 = 3_266_489_917
    static let p4: UInt32 = 668_265_263
    static let p5: UInt32 = 374_761_393

    @inline(__always)
    static func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 { (x << r) | (x >> (32 - r)) }

    @inline(__always)
    static func round(_ acc: UInt32, _ lane: UInt32) -> UInt32 { rotl(acc &+ lane &* p2, 13) &* p1 }

    /// The xxHash32 of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>, seed: UInt32 = 0) -> UInt32 {
        if let h = bytes.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0), seed: seed) }) { return h }
        return Array(bytes).withUnsafeBytes { hash($0, seed: seed) }
    }

    /// The xxHash32 of the bytes in `b`.
    public static func hash(_ b: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        let n = b.count
        var i = 0
        var h: UInt32
        if n >= 16 {
            var v1 = seed &+ p1 &+ p2
            var v2 = seed &+ p2
            var v3 = seed
            var v4 = seed &- p1
            while i + 16 <= n {
                v1 = round(v1, b.leUInt32(at: i))
                v2 = round(v2, b.leUInt32(at: i + 4))
                v3 = round(v3, b.leUInt32(at: i + 8))
                v4 = round(v4, b.leUInt32(at: i + 12))
                i += 16
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
        } else {
            h = seed &+ p5
        }
        h = h &+ UInt32(truncatingIfNeeded: n)
        while i + 4 <= n {
            h = rotl(h &+ b.leUInt32(at: i) &* p3, 17) &* p4
            i += 4
        }
        while i < n {
            h = rotl(h &+ UInt32(b[i]) &* p5, 11) &* p1
            i += 1
        }
        h ^= h >> 15
        h = h &* p2
        h ^= h >> 13
        h = h &* p3
        h ^= h >> 16
        return h
    }
}
