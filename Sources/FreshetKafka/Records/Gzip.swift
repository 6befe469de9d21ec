import CompressNIO
import NIOCore

/// gzip (RFC 1952) through zlib, via compress-nio. Kafka's Java client writes one gzip member
/// with default compression; so do we.
enum Gzip {
    /// Deflate's densest encoding turns 258 bytes into about two bits: no valid stream inflates
    /// to more than ~1032 times its size.
    static let maximumRatio = 1032

    static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        do {
            let out = try input.compress(with: .gzip())
            return Array(out.readableBytesView)
        } catch {
            throw KafkaRecordsError(.corruptCompressedData, "zlib failed to gzip \(bytes.count) bytes: \(error)", codec: .gzip)
        }
    }

    /// Inflates one gzip member of at most `maxBytes`.
    ///
    /// The output is sized once, before inflating, from the trailer's ISIZE (the uncompressed
    /// length mod 2^32) — checked against `maxBytes` and against what deflate can produce from
    /// this many bytes — and the stream must fill exactly that: so a hostile length never sizes
    /// an allocation beyond the limit, and a truncated stream (which zlib ends quietly) or extra
    /// bytes are caught.
    static func decompress(_ bytes: UnsafeRawBufferPointer, maxBytes: Int) throws -> [UInt8] {
        // 10-byte header, at least a 2-byte deflate block, 8-byte trailer.
        guard bytes.count >= 20, bytes[0] == 0x1F, bytes[1] == 0x8B else {
            throw KafkaCodecs.corrupt(.gzip, "gzip data is too short or lacks the gzip magic (1f 8b)")
        }
        let isize = Int(bytes.leUInt32(at: bytes.count - 4))
        guard isize <= maxBytes else {
            throw KafkaCodecs.corrupt(
                .gzip, "gzip data inflates to \(isize) bytes, more than \(maxBytes) (maxDecompressedBytes)")
        }
        guard isize <= bytes.count * maximumRatio else {
            throw KafkaCodecs.corrupt(.gzip, "gzip trailer claims \(isize) bytes, more than \(bytes.count) compressed bytes can hold")
        }
        var input = ByteBuffer(bytes: bytes)
        // One spare byte so that a stream longer than its trailer says is caught as such.
        var output = ByteBufferAllocator().buffer(capacity: isize + 1)
        do {
            try input.decompress(to: &output, with: .gzip())
        } catch let e as CompressNIOError where e == .bufferOverflow {
            throw KafkaCodecs.corrupt(.gzip, "gzip data inflates to more than its trailer's \(isize) bytes")
        } catch {
            throw KafkaCodecs.corrupt(.gzip, "gzip data is corrupt: \(error)")
        }
        guard output.readableBytes == isize, input.readableBytes == 0 else {
            throw KafkaCodecs.corrupt(.gzip, "gzip data is truncated or has extra bytes (trailer length mismatch)")
        }
        return Array(output.readableBytesView)
    }
}
