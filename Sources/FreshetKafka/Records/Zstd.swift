import CZstd

/// Zstandard through Debian's libzstd (a full zstd decoder — FSE, Huffman, repeat offsets,
/// dictionaries-free frames — is too large to write and fuzz in pure Swift for now).
/// Kafka writes standard zstd frames (RFC 8878) with no framing of its own.
enum Zstd {
    /// Kafka's default level for `compression.zstd.level`.
    static let level: Int32 = 3

    static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        var failure: String?
        let out = [UInt8](unsafeUninitializedCapacity: bound) { dst, initialized in
            let n = bytes.withUnsafeBytes { src in
                ZSTD_compress(dst.baseAddress, bound, src.baseAddress, src.count, level)
            }
            if ZSTD_isError(n) != 0 {
                failure = String(cString: ZSTD_getErrorName(n))
                initialized = 0
            } else {
                initialized = n
            }
        }
        if let failure { throw KafkaRecordsError(.corruptCompressedData, "libzstd failed to compress: \(failure)", codec: .zstd) }
        return out
    }

    /// Decodes one or more concatenated zstd frames, streaming (Kafka's Java client doesn't
    /// record the content size in the frame header).
    static func decompress(_ b: UnsafeRawBufferPointer, maxBytes: Int) throws -> [UInt8] {
        // Fast path: a single frame that records its content size (librdkafka, ZSTD_compress).
        let contentSize = ZSTD_getFrameContentSize(b.baseAddress, b.count)
        if contentSize <= UInt64(maxBytes), ZSTD_findFrameCompressedSize(b.baseAddress, b.count) == b.count {
            var failure: Int?
            let out = [UInt8](unsafeUninitializedCapacity: Int(contentSize)) { dst, initialized in
                let n = ZSTD_decompress(dst.baseAddress, Int(contentSize), b.baseAddress, b.count)
                if ZSTD_isError(n) != 0 || n != Int(contentSize) {
                    failure = n
                    initialized = 0
                } else {
                    initialized = n
                }
            }
            if let failure {
                let reason = ZSTD_isError(failure) != 0 ? String(cString: ZSTD_getErrorName(failure)) : "size mismatch"
                throw KafkaCodecs.corrupt(.zstd, "zstd data is corrupt: \(reason)")
            }
            return out
        }
        guard let stream = ZSTD_createDStream() else {
            throw KafkaRecordsError(.corruptCompressedData, "libzstd could not allocate a decoder", codec: .zstd)
        }
        defer { ZSTD_freeDStream(stream) }
        var out: [UInt8] = []
        let chunk = max(ZSTD_DStreamOutSize(), 64 * 1024)
        var input = ZSTD_inBuffer(src: b.baseAddress, size: b.count, pos: 0)
        var lastResult = 0
        var scratch = [UInt8](repeating: 0, count: chunk)
        while true {
            let (result, produced): (Int, Int) = scratch.withUnsafeMutableBytes { dst in
                var output = ZSTD_outBuffer(dst: dst.baseAddress, size: dst.count, pos: 0)
                let r = ZSTD_decompressStream(stream, &output, &input)
                return (r, output.pos)
            }
            if ZSTD_isError(result) != 0 {
                throw KafkaCodecs.corrupt(.zstd, "zstd data is corrupt: \(String(cString: ZSTD_getErrorName(result)))")
            }
            out.append(contentsOf: scratch[..<produced])
            guard out.count <= maxBytes else {
                throw KafkaCodecs.corrupt(.zstd, "zstd data inflates to more than \(maxBytes) bytes (maxDecompressedBytes)")
            }
            lastResult = result
            // Done when all input is consumed and the decoder has flushed everything.
            if input.pos == input.size && produced < chunk { break }
            if produced == 0 && input.pos == input.size { break }
        }
        guard lastResult == 0 else {
            throw KafkaCodecs.corrupt(.zstd, "zstd data is truncated (frame incomplete)")
        }
        return out
    }
}
