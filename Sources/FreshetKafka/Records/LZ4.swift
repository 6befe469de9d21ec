/// LZ4, pure Swift: the block format and the frame format (magic 0x184D2204) that Kafka
/// uses for record batches v2. The frame header checksum is xxHash32 (``XXHash32``).
///
/// Decoding accepts every frame option: dependent or independent blocks, block checksums,
/// content size, content checksum (both checksums are verified), all block sizes.
/// Encoding writes independent 64 KiB blocks, no checksums beyond the header's — like
/// Kafka's Java client.
public enum LZ4 {
    static let frameMagic: UInt32 = 0x184D_2204
    static let blockSize = 64 * 1024

    // MARK: Frame

    /// Decodes a complete LZ4 frame (skippable frames around it are ignored).
    public static func decompressFrame(_ b: UnsafeRawBufferPointer, maxBytes: Int = RecordBatchDecodingOptions.defaultMaxDecompressedBytes) throws -> [UInt8] {
        var out: [UInt8] = []
        var pos = 0
        var sawFrame = false
        while pos < b.count {
            guard b.count - pos >= 4 else { throw corrupt("LZ4 data ends inside a frame magic", pos) }
            let magic = b.leUInt32(at: pos)
            if magic & 0xFFFF_FFF0 == 0x184D_2A50 {  // skippable frame
                guard b.count - pos >= 8 else { throw corrupt("truncated skippable frame", pos) }
                let size = Int(b.leUInt32(at: pos + 4))
                guard size <= b.count - pos - 8 else { throw corrupt("truncated skippable frame", pos) }
                pos += 8 + size
                continue
            }
            guard magic == frameMagic else {
                throw corrupt("LZ4 frame magic is 0x\(String(magic, radix: 16)), expected 0x184d2204", pos)
            }
            pos = try decodeFrame(b, at: pos + 4, into: &out, maxBytes: maxBytes)
            sawFrame = true
        }
        guard sawFrame else { throw corrupt("LZ4 data holds no frame", 0) }
        return out
    }

    private static func decodeFrame(
        _ b: UnsafeRawBufferPointer, at start: Int, into out: inout [UInt8], maxBytes: Int
    ) throws -> Int {
        var pos = start
        guard b.count - pos >= 3 else { throw corrupt("LZ4 frame descriptor is truncated", pos) }
        let flg = b[pos]
        let bd = b[pos + 1]
        guard flg >> 6 == 1 else { throw corrupt("LZ4 frame version \(flg >> 6) is not 1", pos) }
        guard flg & 0x02 == 0, bd & 0x8F == 0 else { throw corrupt("LZ4 frame descriptor has reserved bits set", pos) }
        let blockChecksums = flg & 0x10 != 0
        let hasContentSize = flg & 0x08 != 0
        let contentChecksum = flg & 0x04 != 0
        let hasDictID = flg & 0x01 != 0
        let blockMaxCode = Int(bd >> 4) & 7
        guard blockMaxCode >= 4 else { throw corrupt("LZ4 block maximum size code \(blockMaxCode) is invalid", pos + 1) }
        let blockMax = 1 << (8 + 2 * blockMaxCode)
        let descriptorLength = 2 + (hasContentSize ? 8 : 0) + (hasDictID ? 4 : 0)
        guard b.count - pos >= descriptorLength + 1 else { throw corrupt("LZ4 frame descriptor is truncated", pos) }
        guard !hasDictID else { throw corrupt("LZ4 frames with a dictionary ID are not supported", pos) }
        let hc = UInt8(truncatingIfNeeded: XXHash32.hash(UnsafeRawBufferPointer(rebasing: b[pos..<(pos + descriptorLength)])) >> 8)
        guard hc == b[pos + descriptorLength] else {
            throw corrupt(
                "LZ4 frame header checksum is 0x\(String(b[pos + descriptorLength], radix: 16)), expected 0x\(String(hc, radix: 16))", pos + descriptorLength)
        }
        pos += descriptorLength + 1
        let frameStart = out.count
        while true {
            guard b.count - pos >= 4 else { throw corrupt("LZ4 frame ends without an end mark", pos) }
            let word = b.leUInt32(at: pos)
            pos += 4
            if word == 0 { break }
            let size = Int(word & 0x7FFF_FFFF)
            let stored = word & 0x8000_0000 != 0
            guard size <= b.count - pos - (blockChecksums ? 4 : 0) else { throw corrupt("LZ4 block of \(size) bytes is truncated", pos - 4) }
            let block = UnsafeRawBufferPointer(rebasing: b[pos..<(pos + size)])
            pos += size
            if blockChecksums {
                guard XXHash32.hash(block) == b.leUInt32(at: pos) else { throw corrupt("LZ4 block checksum mismatch", pos) }
                pos += 4
            }
            guard out.count + (stored ? size : blockMax) <= maxBytes + blockMax else {
                throw corrupt("LZ4 data inflates to more than \(maxBytes) bytes (maxDecompressedBytes)", pos)
            }
            if stored {
                out.append(contentsOf: block)
            } else {
                // A block can expand at most ~255×; don't reserve 4 MiB for a 10-byte block.
                try decodeBlock(block, appendingTo: &out, maxOutput: min(blockMax, size * 256 + 64))
            }
            guard out.count <= maxBytes else {
                throw corrupt("LZ4 data inflates to more than \(maxBytes) bytes (maxDecompressedBytes)", pos)
            }
        }
        if hasContentSize {
            let expected = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: start + 2, as: UInt64.self))
            guard expected == UInt64(out.count - frameStart) else {
                throw corrupt("LZ4 frame holds \(out.count - frameStart) bytes, its header says \(expected)", start + 2)
            }
        }
        if contentChecksum {
            guard b.count - pos >= 4 else { throw corrupt("LZ4 content checksum is truncated", pos) }
            let h = out.withUnsafeBytes { XXHash32.hash(UnsafeRawBufferPointer(rebasing: $0[frameStart...])) }
            guard h == b.leUInt32(at: pos) else { throw corrupt("LZ4 content checksum mismatch", pos) }
            pos += 4
        }
        return pos
    }

    /// Compresses `bytes` into one LZ4 frame: independent 64 KiB blocks, no checksums.
    public static func compressFrame(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 255 + 32)
        out.appendLE(frameMagic)
        let flg: UInt8 = 0x60  // version 01, independent blocks
        let bd: UInt8 = 0x40  // 64 KiB blocks
        out.append(flg)
        out.append(bd)
        out.append(UInt8(truncatingIfNeeded: XXHash32.hash([flg, bd]) >> 8))
        bytes.withUnsafeBytes { src in
            var start = 0
            while start < src.count {
                let end = min(start + blockSize, src.count)
                let block = UnsafeRawBufferPointer(rebasing: src[start..<end])
                let sizeAt = out.count
                out.appendLE(UInt32(0))
                compressBlock(block, into: &out)
                let compressed = out.count - sizeAt - 4
                if compressed >= block.count {  // incompressible: store it
                    out.removeSubrange((sizeAt + 4)...)
                    out.append(contentsOf: block)
                    out.withUnsafeMutableBytes { $0.storeBytes(of: (UInt32(block.count) | 0x8000_0000).littleEndian, toByteOffset: sizeAt, as: UInt32.self) }
                } else {
                    out.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(compressed).littleEndian, toByteOffset: sizeAt, as: UInt32.self) }
                }
                start = end
            }
        }
        out.appendLE(UInt32(0))  // end mark
        return out
    }

    // MARK: Block

    /// Decodes one LZ4 block, appending to `out`; matches may reach into earlier output
    /// (dependent blocks), up to 64 KiB back.
    static func decodeBlock(_ b: UnsafeRawBufferPointer, appendingTo out: inout [UInt8], maxOutput: Int) throws {
        let base = out.count
        out.append(contentsOf: repeatElement(0, count: maxOutput))
        var failure: KafkaRecordsError?
        var produced = 0
        out.withUnsafeMutableBufferPointer { buf in
            guard let dst = buf.baseAddress else {
                failure = corrupt("LZ4 block has no room to decode into", 0)
                return
            }
            let limit = base + maxOutput
            var ip = 0
            var op = base
            let n = b.count
            func fail(_ m: String) -> KafkaRecordsError { corrupt(m, ip) }
            while ip < n {
                let token = b[ip]
                ip += 1
                var litLen = Int(token >> 4)
                if litLen == 15 {
                    while true {
                        guard ip < n else {
                            failure = fail("LZ4 literal length is truncated")
                            return
                        }
                        let x = b[ip]
                        ip += 1
                        litLen += Int(x)
                        if x != 255 { break }
                    }
                }
                guard n - ip >= litLen, limit - op >= litLen else {
                    failure = fail("LZ4 literals overrun the block")
                    return
                }
                if litLen > 0 {
                    (dst + op).update(from: b.baseAddress!.assumingMemoryBound(to: UInt8.self) + ip, count: litLen)
                }
                ip += litLen
                op += litLen
                if ip == n { break }  // the last sequence has literals only
                guard n - ip >= 2 else {
                    failure = fail("LZ4 match offset is truncated")
                    return
                }
                let offset = Int(b[ip]) | Int(b[ip + 1]) << 8
                ip += 2
                var matchLen = Int(token & 15)
                if matchLen == 15 {
                    while true {
                        guard ip < n else {
                            failure = fail("LZ4 match length is truncated")
                            return
                        }
                        let x = b[ip]
                        ip += 1
                        matchLen += Int(x)
                        if x != 255 { break }
                    }
                }
                matchLen += 4
                guard offset > 0, offset <= op, limit - op >= matchLen else {
                    failure = fail("LZ4 match (offset \(offset), length \(matchLen)) is out of bounds")
                    return
                }
                copyMatch(dst, op: op, offset: offset, length: matchLen)
                op += matchLen
            }
            produced = op - base
        }
        out.removeSubrange((base + produced)...)
        if let failure { throw failure }
    }

    /// Greedy hash-table LZ4 block compressor (offsets ≤ 65535, last 5 bytes literal,
    /// no match starting in the last 12 bytes — the format's end-of-block rules).
    static func compressBlock(_ src: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let n = src.count
        var anchor = 0
        if n > 12 {
            var table = [Int32](repeating: -1, count: 1 << 14)
            table.withUnsafeMutableBufferPointer { table in
                var ip = 0
                let matchStartLimit = n - 12
                let matchEndLimit = n - 5
                while ip < matchStartLimit {
                    let cur = src.leUInt32(at: ip)
                    let h = Int((cur &* 2_654_435_761) >> 18)
                    let cand = Int(table[h])
                    table[h] = Int32(ip)
                    if cand >= 0, ip - cand <= 65535, src.leUInt32(at: cand) == cur {
                        var m = ip + 4
                        var c = cand + 4
                        while m < matchEndLimit, src[m] == src[c] {
                            m += 1
                            c += 1
                        }
                        emitSequence(src, literalsFrom: anchor, to: ip, offset: ip - cand, matchLength: m - ip, into: &out)
                        ip = m
                        anchor = m
                    } else {
                        ip += 1 + ((ip - anchor) >> 6)
                    }
                }
            }
        }
        // Last literals.
        let litLen = n - anchor
        out.append(UInt8(min(litLen, 15) << 4))
        if litLen >= 15 { writeLength(litLen - 15, into: &out) }
        if litLen > 0 { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: src[anchor..<n])) }
    }

    @inline(__always)
    private static func emitSequence(
        _ src: UnsafeRawBufferPointer, literalsFrom a: Int, to ip: Int, offset: Int, matchLength: Int, into out: inout [UInt8]
    ) {
        let litLen = ip - a
        let ml = matchLength - 4
        out.append(UInt8(min(litLen, 15) << 4 | min(ml, 15)))
        if litLen >= 15 { writeLength(litLen - 15, into: &out) }
        if litLen > 0 { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: src[a..<ip])) }
        out.appendLE(UInt16(offset))
        if ml >= 15 { writeLength(ml - 15, into: &out) }
    }

    @inline(__always)
    private static func writeLength(_ v: Int, into out: inout [UInt8]) {
        var v = v
        while v >= 255 {
            out.append(255)
            v -= 255
        }
        out.append(UInt8(v))
    }

    static func corrupt(_ message: String, _ position: Int) -> KafkaRecordsError {
        KafkaCodecs.corrupt(.lz4, message, position: position)
    }
}
