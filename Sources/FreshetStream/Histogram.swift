import Synchronization

/// A latency histogram with log-linear buckets (about 6% precision), from 1 µs to hours.
/// Cheap to record into under a lock; percentiles are read from the bucket counts.
public struct Histogram: Sendable {
    static let subBuckets = 16
    var counts = [UInt64](repeating: 0, count: 64 * 16)
    public private(set) var count: UInt64 = 0
    public private(set) var max: Int64 = 0
    var sum: Int64 = 0

    public init() {}

    static func index(_ micros: Int64) -> Int {
        let v = UInt64(Swift.max(1, micros))
        let exponent = 63 - v.leadingZeroBitCount
        let mantissa: Int
        if exponent >= 4 {
            mantissa = Int((v >> UInt64(exponent - 4)) & 0xF)
        } else {
            mantissa = Int((v << UInt64(4 - exponent)) & 0xF)
        }
        return exponent * subBuckets + mantissa
    }

    static func value(at index: Int) -> Int64 {
        let exponent = index / subBuckets
        let mantissa = index % subBuckets
        if exponent >= 4 {
            return Int64((UInt64(16 + mantissa) << UInt64(exponent)) >> 4)
        }
        return Int64((UInt64(16 + mantissa) << UInt64(exponent)) >> 4)
    }

    /// Records a value in microseconds.
    public mutating func record(micros: Int64) {
        counts[Self.index(micros)] += 1
        count += 1
        sum += micros
        if micros > max { max = micros }
    }

    /// The value at quantile `q` (0…1), in microseconds; 0 when empty.
    public func percentile(_ q: Double) -> Int64 {
        guard count > 0 else { return 0 }
        let rank = UInt64((Double(count) * q).rounded(.up))
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() where c > 0 {
            seen += c
            if seen >= Swift.max(1, rank) { return Swift.min(Self.value(at: i), max) }
        }
        return max
    }

    public var mean: Double { count == 0 ? 0 : Double(sum) / Double(count) }

    public mutating func merge(_ other: Histogram) {
        for i in counts.indices { counts[i] += other.counts[i] }
        count += other.count
        sum += other.sum
        max = Swift.max(max, other.max)
    }
}
