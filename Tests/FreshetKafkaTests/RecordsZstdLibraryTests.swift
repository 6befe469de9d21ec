import Testing

@testable import FreshetKafka

@Suite("zstd shared library")
struct RecordsZstdLibraryTests {
    @Test("the system libzstd loads with every symbol Freshet calls")
    func loads() throws {
        let library = try Zstd.Library.load(names: Zstd.libraryNames).get()
        #expect(library.isError(library.compressBound(100)) == 0)
        // ZSTD_inBuffer/ZSTD_outBuffer are { ptr, size_t size, size_t pos }.
        #expect(MemoryLayout<Zstd.StreamBuffer>.size == 3 * MemoryLayout<Int>.size)
        #expect(MemoryLayout<Zstd.StreamBuffer>.offset(of: \.size) == MemoryLayout<Int>.size)
        #expect(MemoryLayout<Zstd.StreamBuffer>.offset(of: \.pos) == 2 * MemoryLayout<Int>.size)
    }

    @Test("without the library, zstd fails with an error naming the codec and the library")
    func missingLibrary() {
        let result = Zstd.Library.load(names: ["libzstd-freshet-test-missing.so.1"])
        guard case .failure(let error) = result else {
            Issue.record("a library that does not exist loaded")
            return
        }
        #expect(error.code == .unsupportedCompression)
        #expect(error.codec == .zstd)
        #expect(error.message.contains("zstd (4)"))
        #expect(error.message.contains("libzstd-freshet-test-missing.so.1"))
        #expect(error.message.contains("libzstd1"))
    }

    @Test("a streamed (multi-call) decode and the one-shot decode agree")
    func streamedAgrees() throws {
        let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 31 ^ ($0 >> 7)) }
        let frame = try Zstd.compress(payload)
        let once = try frame.withUnsafeBytes { try Zstd.decompress($0, maxBytes: 1 << 20) }
        // Two frames back to back take the streaming path.
        let twice = try (frame + frame).withUnsafeBytes { try Zstd.decompress($0, maxBytes: 1 << 20) }
        #expect(once == payload)
        #expect(twice == payload + payload)
    }
}
