import Foundation
import NIOCore
import Testing

@testable import FreshetCQL

/// Helpers shared by the CQL tests.
enum CQLWire {
    static func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    static func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    /// "0a0b" → [0x0a, 0x0b]; `nil` for odd lengths or non-hex characters.
    static func bytes(hex: some StringProtocol) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let byte = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
            i += 2
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Encodes with `write`, then reads with `read`; returns the bytes and what was read,
    /// and checks that `read` used every byte.
    static func roundTrip<T>(
        _ write: (inout ByteBuffer) throws -> Void, _ read: (inout ByteBuffer) throws -> T,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ([UInt8], T) {
        var buffer = ByteBuffer()
        try write(&buffer)
        let written = bytes(buffer)
        let value = try read(&buffer)
        #expect(buffer.readableBytes == 0, "unread bytes", sourceLocation: sourceLocation)
        return (written, value)
    }

    /// Runs every frame in `bytes` through `CQLFrameDecoder` one byte at a time.
    static func dripFeed(_ bytes: [UInt8], maximumBodyLength: Int = CQLFrameDecoder.defaultMaximumBodyLength) throws -> [CQLFrame] {
        var decoder = CQLFrameDecoder(maximumBodyLength: maximumBodyLength)
        var frames: [CQLFrame] = []
        for byte in bytes {
            decoder.feed(CollectionOfOne(byte))
            while let f = try decoder.next() { frames.append(f) }
        }
        #expect(decoder.bufferedBytes == 0)
        return frames
    }
}

/// One captured frame under Golden/requests or Golden/responses (see Golden/capture.py).
struct CQLGoldenFrame: Sendable, CustomTestStringConvertible {
    enum Kind: String, Sendable { case requests, responses }

    let kind: Kind
    let name: String
    var testDescription: String { "\(kind.rawValue)/\(name)" }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func all(_ kind: Kind) -> [CQLGoldenFrame] {
        let path = directory.appendingPathComponent(kind.rawValue).path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { $0.hasSuffix(".hex") }.sorted().map { CQLGoldenFrame(kind: kind, name: String($0.dropLast(4))) }
    }

    static let requests = all(.requests)
    static let responses = all(.responses)
    /// Frames this module decodes (the v3/v5/DSE OPTIONS are refused by design).
    static let v4Requests = requests.filter { !$0.name.hasPrefix("options-v") }
    static let everyV4Frame = v4Requests + responses

    static func request(_ name: String) -> CQLGoldenFrame { CQLGoldenFrame(kind: .requests, name: name) }
    static func response(_ name: String) -> CQLGoldenFrame { CQLGoldenFrame(kind: .responses, name: name) }

    /// The whole frame, header included.
    func bytes() throws -> [UInt8] {
        let url = Self.directory.appendingPathComponent(kind.rawValue).appendingPathComponent(name + ".hex")
        let text = try String(contentsOf: url, encoding: .utf8)
        let hex = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined()
        return try #require(CQLWire.bytes(hex: hex), "\(name).hex is not hex")
    }

    func buffer() throws -> ByteBuffer { ByteBuffer(bytes: try bytes()) }

    /// The frame through `CQLFrameDecoder`, drip-fed.
    func frame() throws -> CQLFrame {
        let frames = try CQLWire.dripFeed(try bytes())
        #expect(frames.count == 1)
        return try #require(frames.first)
    }

    func requestFrame() throws -> CQLRequestFrame { try CQLRequestFrame(decoding: try frame()) }
    func responseFrame() throws -> CQLResponseFrame { try CQLResponseFrame(decoding: try frame()) }
}

/// A line of Golden/values.txt.
struct CQLGoldenValue: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    var testDescription: String { name }

    static let all: [CQLGoldenValue] = {
        let url = CQLGoldenFrame.directory.appendingPathComponent("values.txt")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard let bytes = CQLWire.bytes(hex: parts.count > 1 ? parts[1] : "") else { return nil }
            return CQLGoldenValue(name: String(parts[0]), bytes: bytes)
        }
    }()
}

/// A line of Golden/murmur3.txt, or a literal vector.
struct CQLMurmur3Vector: Sendable, CustomTestStringConvertible {
    let key: [UInt8]
    let token: Int64
    var testDescription: String { "\(key.count) bytes \(CQLWire.hex(key).prefix(16)) → \(token)" }

    static let captured: [CQLMurmur3Vector] = {
        let url = CQLGoldenFrame.directory.appendingPathComponent("murmur3.txt")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let token = Int64(parts[1]) else { return nil }
            guard let key = parts[0] == "-" ? [] : CQLWire.bytes(hex: parts[0]) else { return nil }
            return CQLMurmur3Vector(key: key, token: token)
        }
    }()
}

/// A small deterministic generator so failures reproduce.
struct CQLTestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
