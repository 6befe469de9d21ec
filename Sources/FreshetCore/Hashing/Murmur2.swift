/// Kafka's murmur2 hash (`org.apache.kafka.common.utils.Utils.murmur2`), bit for bit.
///
/// Shared by the embedded log and the Kafka client so that a key lands on the same
/// partition number in both worlds.
public func murmur2(_ key: some Collection<UInt8>) -> Int32 {
    if let h = key.withContiguousStorageIfAvailable({ murmur2(buffer: $0) }) { return h }
    return Array(key).withUnsafeBufferPointer { murmur2(buffer: $0) }
}

private func murmur2(buffer data: UnsafeBufferPointer<UInt8>) -> Int32 {
    let length = data.count
    let m: UInt32 = 0x5BD1_E995
    let r: UInt32 = 24
    var h: UInt32 = 0x9747_B28C ^ UInt32(truncatingIfNeeded: length)
    let length4 = length / 4
    for i in 0..<length4 {
        let i4 = i * 4
        var k = UInt32(data[i4]) | UInt32(data[i4 + 1]) << 8 | UInt32(data[i4 + 2]) << 16 | UInt32(data[i4 + 3]) << 24
        k = k &* m
        k ^= k >> r
        k = k &* m
        h = h &* m
        h ^= k
    }
    let tail = length & ~3
    switch length % 4 {
    case 3:
        h ^= UInt32(data[tail + 2]) << 16
        h ^= UInt32(data[tail + 1]) << 8
        h ^= UInt32(data[tail])
        h = h &* m
    case 2:
        h ^= UInt32(data[tail + 1]) << 8
        h ^= UInt32(data[tail])
        h = h &* m
    case 1:
        h ^= UInt32(data[tail])
        h = h &* m
    default:
        break
    }
    h ^= h >> 13
    h = h &* m
    h ^= h >> 15
    return Int32(bitPattern: h)
}

/// The partition Kafka's default partitioner picks for a non-null `key`:
/// `toPositive(murmur2(key)) % partitionCount`, where `toPositive(h) = h & 0x7fffffff`.
public func kafkaPartition(forKey key: some Collection<UInt8>, partitionCount: Int32) -> Int32 {
    precondition(partitionCount > 0, "partitionCount must be positive")
    return (murmur2(key) & 0x7FFF_FFFF) % partitionCount
}
