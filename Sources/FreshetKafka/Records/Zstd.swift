#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Zstandard through the system's libzstd, loaded at run time (a full zstd decoder — FSE,
/// Huffman, repeat offsets — is too large to write and fuzz in pure Swift for now).
///
/// The library is opened with `dlopen` rather than linked, so building Freshet needs no zstd
/// headers (`swift run freshet up` works on a machine without `libzstd-dev`), and a machine
/// without the shared library (`libzstd1` on Debian; apt itself depends on it) still runs
/// everything except this codec, which then fails with an error naming it and the library.
/// Kafka writes standard zstd frames (RFC 8878) with no framing of its own.
enum Zstd {
    /// Kafka's default level for `compression.zstd.level`.
    static let level: Int32 = 3

    /// Shared-object names tried in order.
    static let libraryNames = ["libzstd.so.1", "libzstd.so", "libzstd.1.dylib", "libzstd.dylib"]

    private static let loaded: Result<Library, KafkaRecordsError> = Library.load(names: libraryNames)

    static func library() throws -> Library { try loaded.get() }

    /// The libzstd entry points Freshet calls (stable ABI since zstd 1.0).
    struct Library: @unchecked Sendable {
        typealias SizeToSize = @convention(c) (Int) -> Int
        typealias IsError = @convention(c) (Int) -> UInt32
        typealias ErrorName = @convention(c) (Int) -> UnsafePointer<CChar>?
        typealias Compress = @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int, Int32) -> Int
        typealias Decompress = @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int) -> Int
        typealias FrameContentSize = @convention(c) (UnsafeRawPointer?, Int) -> UInt64
        typealias FrameCompressedSize = @convention(c) (UnsafeRawPointer?, Int) -> Int
        typealias CreateDStream = @convention(c) () -> OpaquePointer?
        typealias FreeDStream = @convention(c) (OpaquePointer?) -> Int
        typealias StreamOutSize = @convention(c) () -> Int
        /// `(ZSTD_DStream*, ZSTD_outBuffer*, ZSTD_inBuffer*)`; both buffers are three machine
        /// words (pointer, size, pos) — a `StreamBuffer`.
        typealias DecompressStream = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int
        /// `ZSTD_DCtx_setParameter(ZSTD_DCtx*, ZSTD_dParameter, int)` (zstd ≥ 1.4.0).
        typealias SetDParameter = @convention(c) (OpaquePointer?, Int32, Int32) -> Int

        let compressBound: SizeToSize
        let isError: IsError
        let errorName: ErrorName
        let compress: Compress
        let decompress: Decompress
        let frameContentSize: FrameContentSize
        let frameCompressedSize: FrameCompressedSize
        let createDStream: CreateDStream
        let freeDStream: FreeDStream
        let dStreamOutSize: StreamOutSize
        let decompressStream: DecompressStream
        /// `nil` with a libzstd older than 1.4.0: the window is then bounded only by
        /// libzstd's own default (128 MiB).
        let setDParameter: SetDParameter?

        func errorText(_ code: Int) -> String {
            errorName(code).map { String(cString: $0) } ?? "error \(code)"
        }

        /// Opens the first library in `names` that exists and resolves every symbol.
        static func load(names: [String]) -> Result<Library, KafkaRecordsError> {
            var reasons: [String] = []
            for name in names {
                guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
                    if let text = dlerror() { reasons.append(String(cString: text)) }
                    continue
                }
                do {
                    return .success(try Library(handle: handle, name: name))
                } catch {
                    return .failure(error)
                }
            }
            return .failure(
                KafkaRecordsError(
                    .unsupportedCompression,
                    "compression codec zstd (4) needs the zstd shared library, which was not found "
                        + "(tried \(names.joined(separator: ", ")); on Debian: apt-get install libzstd1)"
                        + (reasons.isEmpty ? "" : ": \(reasons[0])"),
                    codec: .zstd))
        }

        private init(handle: UnsafeMutableRawPointer, name: String) throws(KafkaRecordsError) {
            func symbol<T>(_ symbolName: String, as: T.Type) throws(KafkaRecordsError) -> T {
                guard let pointer = dlsym(handle, symbolName) else {
                    throw KafkaRecordsError(
                        .unsupportedCompression,
                        "compression codec zstd (4): \(name) has no symbol \(symbolName) (libzstd too old?)", codec: .zstd)
                }
                return unsafeBitCast(pointer, to: T.self)
            }
            compressBound = try symbol("ZSTD_compressBound", as: SizeToSize.self)
            isError = try symbol("ZSTD_isError", as: IsError.self)
            errorName = try symbol("ZSTD_getErrorName", as: ErrorName.self)
            compress = try symbol("ZSTD_compress", as: Compress.self)
            decompress = try symbol("ZSTD_decompress", as: Decompress.self)
            frameContentSize = try symbol("ZSTD_getFrameContentSize", as: FrameContentSize.self)
            frameCompressedSize = try symbol("ZSTD_findFrameCompressedSize", as: FrameCompressedSize.self)
            createDStream = try symbol("ZSTD_createDStream", as: CreateDStream.self)
            freeDStream = try symbol("ZSTD_freeDStream", as: FreeDStream.self)
            dStreamOutSize = try symbol("ZSTD_DStreamOutSize", as: StreamOutSize.self)
            decompressStream = try symbol("ZSTD_decompressStream", as: DecompressStream.self)
            setDParameter = dlsym(handle, "ZSTD_DCtx_setParameter").map { unsafeBitCast($0, to: SetDParameter.self) }
        }
    }

    /// Layout of `ZSTD_inBuffer` / `ZSTD_outBuffer`: `{ void *ptr; size_t size; size_t pos; }`
    /// — three machine words in declaration order, as Swift lays out a struct of word-sized
    /// trivial fields.
    struct StreamBuffer {
        var pointer: UnsafeRawPointer?
        var size: Int
        var pos: Int
    }

    static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        let z = try library()
        let bound = z.compressBound(bytes.count)
        var failure: String?
        let out = [UInt8](unsafeUninitializedCapacity: bound) { dst, initialized in
            let n = bytes.withUnsafeBytes { src in
                z.compress(UnsafeMutableRawPointer(dst.baseAddress), bound, src.baseAddress, src.count, level)
            }
            if z.isError(n) != 0 {
                failure = z.errorText(n)
                initialized = 0
            } else {
                initialized = n
            }
        }
        if let failure { throw KafkaRecordsError(.corruptCompressedData, "libzstd failed to compress: \(failure)", codec: .zstd) }
        return out
    }

    /// `ZSTD_d_windowLogMax`.
    static let windowLogMaxParameter: Int32 = 100
    /// A frame may announce a window of up to 2^31 bytes, which the streaming decoder then
    /// allocates from a few bytes of input. Refuse windows larger than the output may be or
    /// than 8 MiB (2^23: what every level up to 19 uses, and levels 20–22 on inputs of at
    /// most 8 MiB — Kafka batches are far smaller), but allow at least 1 MiB.
    static func windowLogMax(maxBytes: Int) -> Int32 {
        var log: Int32 = 20
        while log < 23, (1 << log) < maxBytes { log += 1 }
        return log
    }

    /// Decodes one or more concatenated zstd frames, streaming (Kafka's Java client doesn't
    /// record the content size in the frame header), into at most `maxBytes`.
    static func decompress(_ b: UnsafeRawBufferPointer, maxBytes: Int) throws -> [UInt8] {
        let z = try library()
        guard b.count > 0 else { throw KafkaCodecs.corrupt(.zstd, "zstd data is empty") }
        // Fast path: a single frame that records its content size (librdkafka, ZSTD_compress),
        // decoded straight into an array of that size. The size is the sender's claim, so it
        // must fit `maxBytes` and be plausible for the input (a bigger claim takes the
        // streaming path, which allocates only what really comes out). Unknown (2^64-1) and
        // error (2^64-2) sizes fail both checks.
        let contentSize = z.frameContentSize(b.baseAddress, b.count)
        let plausible = UInt64(min(maxBytes, max(1 << 20, b.count * 64)))
        if contentSize <= plausible, z.frameCompressedSize(b.baseAddress, b.count) == b.count {
            var failure: Int?
            let out = [UInt8](unsafeUninitializedCapacity: Int(contentSize)) { dst, initialized in
                let n = z.decompress(UnsafeMutableRawPointer(dst.baseAddress), Int(contentSize), b.baseAddress, b.count)
                if z.isError(n) != 0 || n != Int(contentSize) {
                    failure = n
                    initialized = 0
                } else {
                    initialized = n
                }
            }
            if let failure {
                let reason = z.isError(failure) != 0 ? z.errorText(failure) : "size mismatch"
                throw KafkaCodecs.corrupt(.zstd, "zstd data is corrupt: \(reason)")
            }
            return out
        }
        guard let stream = z.createDStream() else {
            throw KafkaRecordsError(.corruptCompressedData, "libzstd could not allocate a decoder", codec: .zstd)
        }
        defer { _ = z.freeDStream(stream) }
        if let setDParameter = z.setDParameter {
            let r = setDParameter(stream, windowLogMaxParameter, windowLogMax(maxBytes: maxBytes))
            if z.isError(r) != 0 {
                throw KafkaRecordsError(
                    .corruptCompressedData, "libzstd refused a window limit: \(z.errorText(r))", codec: .zstd)
            }
        }
        var out: [UInt8] = []
        let chunk = max(z.dStreamOutSize(), 64 * 1024)
        var input = StreamBuffer(pointer: b.baseAddress, size: b.count, pos: 0)
        var lastResult = 0
        var scratch = [UInt8](repeating: 0, count: chunk)
        while true {
            let consumedBefore = input.pos
            let (result, produced): (Int, Int) = scratch.withUnsafeMutableBytes { dst in
                var output = StreamBuffer(pointer: UnsafeRawPointer(dst.baseAddress), size: dst.count, pos: 0)
                let r = withUnsafeMutablePointer(to: &output) { out in
                    withUnsafeMutablePointer(to: &input) { z.decompressStream(stream, UnsafeMutableRawPointer(out), UnsafeMutableRawPointer($0)) }
                }
                return (r, output.pos)
            }
            if z.isError(result) != 0 {
                throw KafkaCodecs.corrupt(.zstd, "zstd data is corrupt: \(z.errorText(result))")
            }
            guard produced <= maxBytes - out.count else {
                throw KafkaCodecs.corrupt(.zstd, "zstd data inflates to more than \(maxBytes) bytes (maxDecompressedBytes)")
            }
            out.append(contentsOf: scratch[..<produced])
            lastResult = result
            // Done when all input is consumed and the decoder has flushed everything.
            if input.pos == input.size && produced < chunk { break }
            // No progress at all: nothing more will come out (the frame is incomplete).
            if produced == 0 && input.pos == consumedBefore { break }
        }
        guard lastResult == 0 else {
            throw KafkaCodecs.corrupt(.zstd, "zstd data is truncated (frame incomplete)")
        }
        return out
    }
}
