// Big-endian fixed-width reads and writes used by the batch header and the codecs.

extension UnsafeRawBufferPointer {
    @inline(__always)
    func beInt64(at i: Int) -> Int64 { Int64(bigEndian: loadUnaligned(fromByteOffset: i, as: Int64.self)) }
    @inline(__always)
    func beInt32(at i: Int) -> Int32 { Int32(bigEndian: loadUnaligned(fromByteOffset: i, as: Int32.self)) }
    @inline(__always)
    func beInt16(at i: Int) -> Int16 { Int16(bigEndian: loadUnaligned(fromByteOffset: i, as: Int16.self)) }
    @inline(__always)
    func beUInt32(at i: Int) -> UInt32 { UInt32(bigEndian: loadUnaligned(fromByteOffset: i, as: UInt32.self)) }
    @inline(__always)
    func leUInt32(at i: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: i, as: UInt32.self)) }
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendBE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
    @inline(__always)
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
    @inline(__always)
    mutating func setBE(_ value: UInt32, at i: Int) {
        self[i] = UInt8(truncatingIfNeeded: value >> 24)
        self[i + 1] = UInt8(truncatingIfNeeded: value >> 16)
        self[i + 2] = UInt8(truncatingIfNeeded: value >> 8)
        self[i + 3] = UInt8(truncatingIfNeeded: value)
    }
}
