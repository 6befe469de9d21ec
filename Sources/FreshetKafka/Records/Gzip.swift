import CompressNIO
import NIOCore

/// gzip (RFC 1952) through zlib, via compress-nio. Kafka's Java client writes one gzip member
/// with default compression; so do we.
enum Gzip {
    static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        do {
            let out = try input.compress(with: .gzip())
            return Array(out.readableBytesView)
        } catch {
            throw KafkaRecordsError(.corruptCompressedData, "zlib failed to gzip \(bytes.count) bytes: \(error)", codec: .gzip)
        }
    }

    static func decompress(_ bytes: UnsafeRawBufferPointer, maxBytes: Int) throws -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        do {
            let out = try input.decompress(with: .gzip(), maxSize: maxBytes)
            // zlib stops quietly at the end of a truncated stream; the gzip trailer's ISIZE
            // (uncompressed length mod 2^32, little-endian) must match what came out.
            guard bytes.count >= 18, bytes.leUInt32(at: bytes.count - 4) == UInt32(truncatingIfNeeded: out.readableBytes) else {
                throw KafkaCodecs.corrupt(.gzip, "gzip data is truncated or has extra bytes (trailer length mismatch)")
            }
            return Array(out.readableBytesView)
        } catch let e as KafkaRecordsError {
            throw e
        } catch let e as CompressNIOError where e == .bufferOverflow {
            throw KafkaCodecs.corrupt(.gzip, "gzip data inflates to more than \(maxBytes) bytes (maxDecompressedBytes)")
        } catch {
            throw KafkaCodecs.corrupt(.gzip, "gzip data is corrupt: \(error)")
        }
    }
}
