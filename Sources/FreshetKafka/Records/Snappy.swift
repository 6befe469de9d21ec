/// Snappy, pure Swift: the raw block format (github.com/google/snappy format_description.txt)
/// and the xerial "snappy-java" stream framing that Kafka's Java client writes:
/// `\x82SNAPPY\x00`, version i32 BE (1), compatible version i32 BE (1), then blocks of
/// i32 BE compressed length + raw snappy data, each block ≤ 32 KiB uncompressed.
public enum Snappy {
    static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    /// Uncompressed bytes per xerial block (snappy-java's default).
    static let xerialBlockSize = 32 * 1024

    // MARK: Decoding

    /// Decodes a Kafka snappy payload: xerial-framed (Java client) or raw (librdkafka).
    public static func decompressKafka(_ b: UnsafeRawBufferPointer, maxBytes: Int = RecordBatchDecodingOptions.defaultMaxDecompressedBytes) throws -> [UInt8] {
        guard b.count >= 16, xerialMagic.withUnsafeBytes({ $0.elementsEqual(b[0..<8]) }) else {
            return try decompressRaw(b, maxBytes: maxBytes)
        }
        var out: [UInt8] = []
        var pos = 16
        while pos < b.count {
            guard b.count - pos >= 4 else {
                throw KafkaCodecs.corrupt(.snappy, "xerial snappy stream ends inside a block length", position: pos)
            }
            let length = Int(b.beInt32(at: pos))
            pos += 4
            guard length >= 0, length <= b.count - pos else {
                throw KafkaCodecs.corrupt(.snappy, "xerial snappy block length \(length) exceeds the data", position: pos - 4)
            }
            out += try decompressRaw(UnsafeRawBufferPointer(rebasing: b[pos..<(pos + length)]), maxBytes: maxBytes - out.count)
            pos += length
        }
        return out
    }

    /// Decodes one raw snappy block (varint length + elements).
    public static func decompressRaw(_ b: UnsafeRawBufferPointer, maxBytes: Int = RecordBatchDecodingOptions.defaultMaxDecompressedBytes) throws -> [UInt8] {
        var ip = 0
        let length: Int
        do {
            length = Int(try KafkaVarint.readUnsignedVarint(b, &ip))
        } catch {
            throw KafkaCodecs.corrupt(.snappy, "snappy length preamble is malformed", position: 0)
        }
        // The densest element (a 3-byte copy of 64 bytes) expands ~21×; a larger claim is bogus.
        guard length <= (b.count - ip) * 24 + 32 else {
            throw KafkaCodecs.corrupt(.snappy, "snappy block claims \(length) bytes from only \(b.count) bytes of input")
        }
        guard length <= maxBytes else {
            throw KafkaCodecs.corrupt(.snappy, "snappy block inflates to \(length) bytes, over the \(maxBytes)-byte limit")
        }
        var failure: KafkaRecordsError?
        let out = [UInt8](unsafeUninitializedCapacity: length) { dst, initialized in
            failure = decodeElements(b, from: ip, into: dst)
            initialized = failure == nil ? length : 0
        }
        if let failure { throw failure }
        return out
    }

    private static func decodeElements(_ b: UnsafeRawBufferPointer, from start: Int, into dst: UnsafeMutableBufferPointer<UInt8>) -> KafkaRecordsError? {
        let n = b.count
        let len = dst.count
        guard len > 0, let out = dst.baseAddress else {
            return start == n ? nil : KafkaCodecs.corrupt(.snappy, "snappy data continues past its declared length 0", position: start)
        }
        var ip = start
        var op = 0
        while ip < n {
            let tag = b[ip]
            ip += 1
            var length: Int
            var offset: Int
            switch tag & 3 {
            case 0:
                length = Int(tag >> 2)
                if length >= 60 {
                    let extra = length - 59
                    guard n - ip >= extra else { return KafkaCodecs.corrupt(.snappy, "truncated literal length", position: ip) }
                    length = 0
                    for k in 0..<extra { length |= Int(b[ip + k]) << (8 * k) }
                    ip += extra
                }
                length += 1
                guard n - ip >= length, len - op >= length else {
                    return KafkaCodecs.corrupt(.snappy, "snappy literal of \(length) bytes overruns input or output", position: ip)
                }
                (out + op).update(from: b.baseAddress!.assumingMemoryBound(to: UInt8.self) + ip, count: length)
                ip += length
                op += length
                continue
            case 1:
                guard ip < n else { return KafkaCodecs.corrupt(.snappy, "truncated copy", position: ip) }
                length = 4 + Int((tag >> 2) & 7)
                offset = Int(tag >> 5) << 8 | Int(b[ip])
                ip += 1
            case 2:
                guard n - ip >= 2 else { return KafkaCodecs.corrupt(.snappy, "truncated copy", position: ip) }
                length = Int(tag >> 2) + 1
                offset = Int(b[ip]) | Int(b[ip + 1]) << 8
                ip += 2
            default:
                guard n - ip >= 4 else { return KafkaCodecs.corrupt(.snappy, "truncated copy", position: ip) }
                length = Int(tag >> 2) + 1
                offset = Int(b.leUInt32(at: ip))
                ip += 4
            }
            guard offset > 0, offset <= op, len - op >= length else {
                return KafkaCodecs.corrupt(.snappy, "snappy copy (offset \(offset), length \(length)) is out of bounds", position: ip)
            }
            copyMatch(out, op: op, offset: offset, length: length)
            op += length
        }
        guard op == len else {
            return KafkaCodecs.corrupt(.snappy, "snappy data produced \(op) bytes, its header says \(len)")
        }
        return nil
    }

    // MARK: Encoding

    /// Compresses `bytes` in the xerial framing (what Kafka's Java client and librdkafka read).
    public static func compressXerial(_ bytes: [UInt8]) -> [UInt8] {
        var out = xerialMagic
        out.appendBE(Int32(1))
        out.appendBE(Int32(1))
        out.reserveCapacity(16 + bytes.count + bytes.count / 6 + 64)
        bytes.withUnsafeBytes { src in
            var start = 0
            while start < src.count {
                let end = min(start + xerialBlockSize, src.count)
                let lengthAt = out.count
                out.appendBE(Int32(0))
                compressBlock(UnsafeRawBufferPointer(rebasing: src[start..<end]), into: &out)
                out.setBE(UInt32(out.count - lengthAt - 4), at: lengthAt)
                start = end
            }
        }
        return out
    }

    /// Compresses `bytes` as one raw snappy stream (no framing).
    public static func compressRaw(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 6 + 32)
        bytes.withUnsafeBytes { src in
            KafkaVarint.writeUnsigned(UInt32(src.count), to: &out)
            var start = 0
            while start < src.count {
                let end = min(start + 65536, src.count)
                compressElements(UnsafeRawBufferPointer(rebasing: src[start..<end]), into: &out)
                start = end
            }
        }
        return out
    }

    /// One raw snappy stream for ≤ 64 KiB of input.
    static func compressBlock(_ src: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        KafkaVarint.writeUnsigned(UInt32(src.count), to: &out)
        compressElements(src, into: &out)
    }

    /// Greedy hash-table matcher (as in the reference implementation) over ≤ 64 KiB, so every
    /// offset fits a 2-byte copy.
    private static func compressElements(_ src: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let n = src.count
        var nextEmit = 0
        if n >= 16 {
            var table = [UInt16](repeating: 0, count: 1 << 14)
            table.withUnsafeMutableBufferPointer { table in
                var ip = 1
                let limit = n - 4
                while ip <= limit {
                    let cur = src.leUInt32(at: ip)
                    let h = Int((cur &* 0x1E35_A7BD) >> 18)
                    let cand = Int(table[h])
                    table[h] = UInt16(truncatingIfNeeded: ip)
                    if cand < ip, src.leUInt32(at: cand) == cur {
                        emitLiteral(src, nextEmit, ip, into: &out)
                        var m = ip + 4
                        var c = cand + 4
                        while m < n, src[m] == src[c] {
                            m += 1
                            c += 1
                        }
                        emitCopy(offset: ip - cand, length: m - ip, into: &out)
                        ip = m
                        nextEmit = m
                    } else {
                        ip += 1 + ((ip - nextEmit) >> 5)
                    }
                }
            }
        }
        emitLiteral(src, nextEmit, n, into: &out)
    }

    @inline(__always)
    private static func emitLiteral(_ src: UnsafeRawBufferPointer, _ from: Int, _ to: Int, into out: inout [UInt8]) {
        let n = to - from
        guard n > 0 else { return }
        let v = n - 1
        if v < 60 {
            out.append(UInt8(v << 2))
        } else if v < 1 << 8 {
            out.append(60 << 2)
            out.append(UInt8(v))
        } else if v < 1 << 16 {
            out.append(61 << 2)
            out.appendLE(UInt16(v))
        } else if v < 1 << 24 {
            out.append(62 << 2)
            out.appendLE(UInt16(truncatingIfNeeded: v))
            out.append(UInt8(v >> 16))
        } else {
            out.append(63 << 2)
            out.appendLE(UInt32(v))
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: src[from..<to]))
    }

    @inline(__always)
    private static func emitCopy(offset: Int, length: Int, into out: inout [UInt8]) {
        var length = length
        while length >= 68 {
            out.append(2 | (63 << 2))
            out.appendLE(UInt16(offset))
            length -= 64
        }
        if length > 64 {
            out.append(2 | (59 << 2))
            out.appendLE(UInt16(offset))
            length -= 60
        }
        if length < 12, offset < 2048 {
            out.append(UInt8(1 | ((length - 4) << 2) | ((offset >> 8) << 5)))
            out.append(UInt8(offset & 0xFF))
        } else {
            out.append(UInt8(2 | ((length - 1) << 2)))
            out.appendLE(UInt16(offset))
        }
    }
}

/// Copies `length` bytes from `op - offset` to `op`, byte by byte when they overlap (a run).
@inline(__always)
func copyMatch(_ out: UnsafeMutablePointer<UInt8>, op: Int, offset: Int, length: Int) {
    if offset >= length {
        (out + op).update(from: out + op - offset, count: length)
    } else {
        var s = op - offset
        for d in op..<(op + length) {
            out[d] = out[s]
            s += 1
        }
    }
}
